// The offline point-in-time join: for each entity row (join keys and an event
// time), the latest feature row with the same keys at or before that time and
// within a time-to-live; the training-set builder of the feature store.
#ifndef KEEL_FEATURES_POINT_IN_TIME_H_
#define KEEL_FEATURES_POINT_IN_TIME_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "keel/base/status.h"
#include "keel/base/thread_pool.h"
#include "keel/table/table.h"

namespace keel::features {

struct PointInTimeOptions {
  // Columns present in both tables with the same type, int64 or string (one
  // or several; a row matches when all are equal).
  std::vector<std::string> join_keys;
  // The entity table's event time (timestamp column).
  std::string entity_time;
  // The feature table's event time (timestamp column).
  std::string feature_time;
  // Optional tie-break among feature rows with equal keys and feature_time:
  // the greatest created_time wins (a timestamp or int64 column; a null sorts
  // before every value). "" or equal created times: the later row in the
  // feature table's order wins.
  std::string created_time;
  // A feature row is eligible when
  //   entity_time - ttl_us <= feature_time <= entity_time
  // (both ends inclusive, as pandas merge_asof's tolerance). No value: no
  // limit. Must be >= 0.
  std::optional<int64_t> ttl_us;
  // Feature-table columns to attach, in this order. Empty: every column of
  // the feature table except the join keys, feature_time and created_time,
  // in table order.
  std::vector<std::string> features;
  // Feature rows read per round (the join's memory for them is 8 bytes per
  // row of a round). Tests lower it to cover several rounds. Must be > 0.
  int64_t feature_block_rows = int64_t{1} << 20;
  // Runs the parallel parts; nullptr: ThreadPool::Default(). Not owned.
  ThreadPool* pool = nullptr;
};

// Returns every entity row in its original order with its columns unchanged,
// followed by the feature columns (nullable, typed as in `feature_rows`). A
// row's features come from the feature row with equal join keys that has the
// greatest (feature_time, created_time, position in `feature_rows`) among
// those eligible for its entity_time (see ttl_us); they are null when none
// is eligible (an unknown entity, an event before the first feature row, a
// gap longer than the TTL) and when a join key or the entity_time of the
// entity row is null. Feature rows with a null join key or feature_time are
// never matched. Equivalent to pandas merge_asof(direction="backward",
// tolerance=ttl, allow_exact_matches=True) of the entities sorted by time
// with the feature rows stably sorted by [feature_time, created_time].
//
// Neither input is sorted or copied, and the feature rows are read once in
// order; the feature values are gathered once into the output. Memory beyond
// the inputs and the output: about 60 bytes per entity row and 8 per feature
// row of a round (feature_block_rows). Thread-safe (inputs are immutable).
//
// Errors (InvalidArgument unless said): NotFound for a join key, time or
// feature column missing from its table (with the closest names); a join key
// of another type than int64 or string, or of different types in the two
// tables; a time column that is not a timestamp (created_time: timestamp or
// int64); a feature column whose name is already an entity column (rename
// one or list `features` explicitly); a negative ttl_us; no join keys; a
// feature_block_rows <= 0.
StatusOr<Table> PointInTimeJoin(const Table& entities, const Table& feature_rows,
                                const PointInTimeOptions& options);

}  // namespace keel::features

#endif  // KEEL_FEATURES_POINT_IN_TIME_H_
