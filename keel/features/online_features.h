// Online feature retrieval in the shape of Feast's feature server
// (`POST /get-online-features`), shared by `keel serve` (POST /v1/features)
// and `keel features get-online`.
//
// Request:  {"feature_service": "fraud"}  or  {"features": ["stats:spend_7d", ...]},
//           plus "entities": {"customer_id": [1, 2]} and optionally
//           "full_feature_names": true.
// Response: {"metadata": {"feature_names": ["customer_id", "spend_7d", ...]},
//            "results": [{"values": [...], "statuses": [...],
//                         "event_timestamps": [...]}, ...]}
// one result per name, entity columns first; statuses PRESENT, NULL_VALUE,
// NOT_FOUND or OUTSIDE_MAX_AGE; event times RFC 3339 (entity columns and
// missing rows: 1970-01-01T00:00:00Z, as Feast).
#ifndef KEEL_FEATURES_ONLINE_FEATURES_H_
#define KEEL_FEATURES_ONLINE_FEATURES_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "keel/base/status.h"
#include "keel/features/definitions.h"
#include "keel/features/online_store.h"

namespace keel::features {

struct OnlineFeaturesRequest {
  std::string feature_service;        // either this...
  std::vector<std::string> features;  // ...or "view:feature" references
  // Join key name -> one value per entity row, as JSON scalars: numbers for
  // int64 keys, strings for string keys (kept in request order).
  struct EntityColumn {
    std::string name;
    std::vector<std::string> values;  // as text: "42", "abc"
    bool numbers = false;             // every value was a JSON number
  };
  std::vector<EntityColumn> entities;
  bool full_feature_names = false;  // "view__feature" instead of "feature"
};

// Parses a request body. Errors: InvalidArgument naming the field (not JSON,
// neither or both of feature_service / features, entities not an object of
// equal-length arrays of numbers or strings, an empty entity list).
StatusOr<OnlineFeaturesRequest> ParseOnlineFeaturesRequest(std::string_view body);

// Resolves the request against `definitions`, reads `store` once per feature
// view (twice for a view with both plain and aggregated features), and
// renders the response. TTLs are applied at `now_us`, and aggregated
// features are computed at `now_us` (ReadAggregatedFeatures: found when the
// entity has an event in the largest window, its event time the newest one;
// a count is 0, not null, when nothing is found, as offline).
// Errors: NotFound for an unknown service, view or feature (did-you-mean);
// InvalidArgument for a missing join key (naming it and the view) or a key
// value of the wrong type (a string for an int64 key, a fraction); the
// store's errors.
StatusOr<std::string> GetOnlineFeaturesJson(const FeatureDefinitions& definitions,
                                            OnlineStore& store,
                                            const OnlineFeaturesRequest& request,
                                            int64_t now_us);

}  // namespace keel::features

#endif  // KEEL_FEATURES_ONLINE_FEATURES_H_
