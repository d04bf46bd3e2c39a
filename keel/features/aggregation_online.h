// Windowed aggregations in the online store, kept up to date incrementally.
//
// Per (feature view, entity) the store holds the entity's events within the
// view's largest window before its newest event, as one encoded EventLog
// (aggregation.h) in the string feature "events" of a hidden store view
// "<view>#events" (no feature view can have that name), written through the
// ordinary OnlineStore::Write. Pushes append events (read, merge, write
// back); materialisation replaces the events up to its end from the source;
// reads decode the log and compute each aggregate at the read time with the
// same ComputeAggregate as the offline path, so an online value equals the
// offline one at the same time (see ReadAggregatedFeatures for when).
//
// Read-modify-writes of one entity's log are serialised within the process
// (a fixed set of mutexes, striped by store, view and entity). Writers in
// several processes (Redis only: the embedded store admits one process) may
// lose each other's events when they update one entity at the same moment;
// the last write wins.
#ifndef KEEL_FEATURES_AGGREGATION_ONLINE_H_
#define KEEL_FEATURES_AGGREGATION_ONLINE_H_

#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <vector>

#include "keel/base/status.h"
#include "keel/features/definitions.h"
#include "keel/features/online_store.h"
#include "keel/table/table.h"

namespace keel::features {

// The store view that holds `view`'s event logs: name "<view>#events", the
// view's join keys, one string feature "events", and a TTL of the largest
// window (a log whose newest event is older than that before the read time
// holds nothing any window can use; Redis expires the key then). Its rows'
// event time is the newest event time ever written to the log (never
// decreasing, so the store's newest-wins rule accepts every update).
OnlineView EventLogView(const FeatureDefinitions& definitions, const FeatureView& view);

// Appends the rows of `events` to their entities' logs: each row is one
// event with the view's join keys, its source's timestamp_field (timestamp),
// optionally the created_timestamp_field (timestamp or int64; absent or
// null: none) and the aggregated columns (absent: null). At equal (time,
// created) an event goes after those already stored and after earlier rows
// of `events`. Then each log drops its events at or before its newest event
// time minus the largest window. Returns the number of events appended (the
// rows of `events`, some of which may fall out at once when they are that
// old). `event_ids`: empty, or one id per row ("" for none); an event whose
// id its entity's log already holds is skipped and not counted, so a stream
// message delivered twice (a replay after a crash before its XACK) counts
// once while its first delivery is still within the largest window.
// Errors: InvalidArgument for a missing or mistyped column, a null key or
// time (naming it), event_ids of another length; DataLoss for a stored log
// that is corrupt; the store's errors (logs already written stay).
StatusOr<int64_t> AppendEventsToOnlineStore(const FeatureDefinitions& definitions,
                                            const FeatureView& view, const Table& events,
                                            OnlineStore& store,
                                            std::span<const std::string> event_ids = {});

struct EventLogMaterializeStats {
  int64_t events = 0;    // source events with time in (end - largest window, end]
  int64_t entities = 0;  // entities among them = logs written
};

// Materialisation of `view`'s aggregations at `end_us`: for every entity with
// events in `source` (rows as GroupSourceEvents takes them) with time in
// (end_us - largest window, end_us], replaces the stored log's events at or
// before end_us by those (the source is the record up to end_us), keeping
// stored events after end_us (pushed ones). A read at end_us then equals
// the offline value at end_us. Entities without events in the window are
// left as they are. `progress` (optional) gets (logs written, logs to
// write). Errors: GroupSourceEvents', DataLoss for a corrupt stored log, the
// store's.
StatusOr<EventLogMaterializeStats> MaterializeEventLogs(
    const FeatureDefinitions& definitions, const FeatureView& view, const Table& source,
    int64_t end_us, OnlineStore& store, const std::function<void(int64_t, int64_t)>& progress = {});

// For each key of `keys` (EncodeEntityKey form), the aggregated features
// `features` of `view` (names of its aggregations) at `now_us`, computed
// from the stored log with ComputeAggregate. `out` is resized to keys.size()
// and each row's values follow `features`. A row is found when its log has
// an event in (now_us - largest window, now_us]; its event_time is then the
// newest such event. Otherwise found = false, expired = true when a log
// exists but its events are older, and the values are those of no events:
// count 0, the others null (as offline for an entity without events).
//
// The values equal the offline ones at now_us (ComputeHistoricalAggregates
// over the same events) whenever now_us is at or after the entity's newest
// stored event; for an earlier now_us, as long as no event inside the window
// was dropped, which holds for a window w when now_us >= newest event time -
// (largest window - w).
//
// Errors: InvalidArgument for a name that is not an aggregation of the view
// (did-you-mean); DataLoss for a corrupt stored log; the store's errors.
Status ReadAggregatedFeatures(OnlineStore& store, const FeatureDefinitions& definitions,
                              const FeatureView& view, std::span<const std::string> keys,
                              std::span<const std::string> features, int64_t now_us,
                              std::vector<OnlineRow>* out);

// Features `features` of `view` (plain and aggregated, in any order) for
// each key at now_us: plain ones as OnlineStore::Read gives them, the
// aggregated ones (view.computed) as ReadAggregatedFeatures. Row k's values
// follow `features`; its found, expired and event_time are those of the
// plain features when any are asked for, else of the aggregated ones.
// Errors: InvalidArgument for a name that is not a feature of the view; the
// readers' errors.
Status ReadOnlineFeatures(OnlineStore& store, const FeatureDefinitions& definitions,
                          const OnlineView& view, std::span<const std::string> keys,
                          std::span<const std::string> features, int64_t now_us,
                          std::vector<OnlineRow>* out);

}  // namespace keel::features

#endif  // KEEL_FEATURES_AGGREGATION_ONLINE_H_
