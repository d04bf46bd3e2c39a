// Test helper: the "identical values at the same time" check of windowed
// aggregations against any OnlineStore, so the embedded and the Redis tests
// run the very same check. Events of several entities (exact-time ties,
// equal created times, nulls, out-of-order arrival, pushes of one and of
// several rows) are pushed one push at a time; after each push every entity
// is read online at the time of the last pushed event and compared, bit for
// bit, with GetHistoricalFeatures over the rows pushed so far at that time.
// Then the whole source is materialised at several ends into a second store
// and each read at its end is compared with the offline values at that end.
#ifndef KEEL_FEATURES_TESTING_WINDOWED_CONSISTENCY_H_
#define KEEL_FEATURES_TESTING_WINDOWED_CONSISTENCY_H_

#include <cstdint>

#include "keel/base/status.h"
#include "keel/features/online_store.h"

namespace keel::testing {

struct WindowedConsistencyReport {
  int64_t pushes = 0;
  int64_t events = 0;
  // (entity, time, feature) values found bit-identical online and offline.
  int64_t compared = 0;
  // Values read at a time before the entity's newest event by more than the
  // largest window minus the feature's window, which ReadAggregatedFeatures
  // does not promise to be exact (events may have been dropped); not
  // compared.
  int64_t not_promised = 0;
  int64_t materializations = 0;
};

// Runs the check with data from `seed`, pushing into `pushed` and
// materialising into `materialized` (two empty stores, or two key prefixes
// of one Redis). The events' times are in the year 2100, so Redis expiry
// (event time + largest window, by the wall clock) keeps them.
// Errors: Internal describing the first difference (entity, time, feature,
// both values); any step's own error, prefixed with the step.
StatusOr<WindowedConsistencyReport> CheckWindowedConsistency(features::OnlineStore& pushed,
                                                             features::OnlineStore& materialized,
                                                             uint32_t seed);

}  // namespace keel::testing

#endif  // KEEL_FEATURES_TESTING_WINDOWED_CONSISTENCY_H_
