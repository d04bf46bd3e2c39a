// Pushing feature rows as events arrive (`POST /v1/push` on `keel serve`,
// and the stream consumer): rows for one feature view, typed by its
// definition, written to the online store at once.
//
// Body: {"feature_view": "stats", "to": "online_and_offline",
//        "event_ids": ["e1", "e2"],   // optional, one per row
//        "df": {"customer_id": [1, 2], "event_time": ["2024-01-02T00:00:00Z", ...],
//               "spend": [1.5, null], ...}}
// "df" is column-oriented as in Feast's push API; it must hold the view's
// join keys and its source's timestamp_field (RFC 3339 text, or integer
// microseconds since the epoch); features not given are stored as null.
// Columns that are neither are refused, so a misspelt feature is not lost
// silently. For a view with aggregations, each row is also an event: "df"
// may then carry the aggregated columns (not the aggregated features, which
// are computed) and the source's created_timestamp_field. "event_ids"
// (optional) name the rows' events, so that a retried push is not counted
// twice in windowed aggregates (the same rule as stream message ids).
#ifndef KEEL_FEATURES_PUSH_H_
#define KEEL_FEATURES_PUSH_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "keel/base/status.h"
#include "keel/features/definitions.h"
#include "keel/features/online_store.h"
#include "keel/table/table.h"

namespace keel::features {

// Where pushed rows go (Feast's "to"): the online store, the view's offline
// dataset (appended by whoever serves the push: see serve/feature_endpoints.h),
// or both.
enum class PushTo { kOnline, kOffline, kOnlineAndOffline };
// "online", "offline" or "online_and_offline", as the body writes it.
std::string_view PushToName(PushTo to);

struct PushRequest {
  std::string feature_view;
  PushTo to = PushTo::kOnline;  // "to": "online" | "offline" | "online_and_offline"
  // Optional, one per row: ids of the events (the stream's message ids, or
  // the body's "event_ids" as "push/<id>"), so windowed aggregates count a
  // redelivered event once (see AppendEventsToOnlineStore).
  std::vector<std::string> event_ids;
  Table rows;  // join keys, the timestamp field and features, typed as declared
};

// Parses and types a push body against `definitions`. Errors:
// InvalidArgument naming the field and row ("df.spend[2]: expected a
// number, found string"), columns of unequal length, a missing join key or
// timestamp, an unknown column (did-you-mean), a "to" other than the three;
// NotFound for an unknown
// feature view (did-you-mean, the views).
StatusOr<PushRequest> ParsePushRequest(const FeatureDefinitions& definitions,
                                       std::string_view body);

// Writes the rows to `store` (newest event time wins per entity) as the
// view's plain features, and, for a view with aggregations, appends them as
// events to the entities' event logs (AppendEventsToOnlineStore in
// aggregation_online.h). Returns the number of rows written. Errors: the
// store's; AppendEventsToOnlineStore's.
StatusOr<int64_t> PushToOnlineStore(const FeatureDefinitions& definitions,
                                    const PushRequest& request, OnlineStore& store);

}  // namespace keel::features

#endif  // KEEL_FEATURES_PUSH_H_
