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
  int64_t source_rows = 0;     // rows of the source table
  int64_t rows_in_window = 0;  // with start <= timestamp_field <= end
  int64_t entities = 0;        // distinct entity keys among them = rows written
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
