// Materialisation: the latest row of each entity of a feature view, taken
// from its offline source, written to the online store.
#ifndef KEEL_FEATURES_MATERIALIZE_H_
#define KEEL_FEATURES_MATERIALIZE_H_

#include <cstdint>
#include <functional>

#include "keel/base/status.h"
#include "keel/features/definitions.h"
#include "keel/features/online_store.h"
#include "keel/table/table.h"

namespace keel::features {

struct MaterializeStats {
  int64_t source_rows = 0;  // rows of the source table
  // Plain features: rows with start <= timestamp_field <= end, and the
  // distinct entity keys among them = rows written. A view with only
  // aggregations reports window_events and event_logs here.
  int64_t rows_in_window = 0;
  int64_t entities = 0;
  // Aggregations (0 without): events with end - largest window <
  // timestamp_field <= end, and the entities among them = logs written.
  int64_t window_events = 0;
  int64_t event_logs = 0;
};

// For each entity key of `view` with rows in `source` whose timestamp_field
// lies in [start_us, end_us] (both inclusive, as Feast's materialize), writes
// its latest row to `store`: the greatest (timestamp_field,
// created_timestamp_field, position in `source`), the order the offline
// point-in-time join uses, so a read at time t >= end_us returns what
// get-historical returns for an entity row at t (given no later rows).
// Rows with a null join key or timestamp are skipped. `progress` (optional)
// is called with (entities written, entities to write) as batches land.
//
// A view with aggregations also gets its entities' event logs replaced from
// the source as of end_us (MaterializeEventLogs in aggregation_online.h):
// they need the whole largest window before end_us, so start_us does not
// narrow them; a read of an aggregated feature at end_us then returns what
// get-historical returns at end_us.
//
// Errors: InvalidArgument for start_us > end_us, and (naming the view and
// column) for a source without the timestamp field, a join key or a feature,
// or one of another type than declared; the store's errors, prefixed with
// the view. Writes already made stay (materialisation is replayable: the
// store keeps the newest row per key).
StatusOr<MaterializeStats> MaterializeView(
    const FeatureDefinitions& definitions, const FeatureView& view, const Table& source,
    int64_t start_us, int64_t end_us, OnlineStore& store,
    const std::function<void(int64_t, int64_t)>& progress = {});

}  // namespace keel::features

#endif  // KEEL_FEATURES_MATERIALIZE_H_
