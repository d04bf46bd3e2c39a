// Windowed aggregations of a feature view (count, sum, mean, min, max, last
// over windows such as 1h or 7d, per entity): one entity's events, the value
// of an aggregation at a time, the compact encoding of the events that the
// online store keeps, and the offline computation for training sets.
//
// The offline path (GetHistoricalFeatures) and the online path
// (aggregation_online.h) compute every value with ComputeAggregate over an
// EventLog in the same order, so they agree bit for bit at the same time.
#ifndef KEEL_FEATURES_AGGREGATION_H_
#define KEEL_FEATURES_AGGREGATION_H_

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "keel/base/status.h"
#include "keel/features/definitions.h"
#include "keel/features/online_store.h"
#include "keel/table/table.h"

namespace keel::features {

// The created time of an event without one (no created_timestamp_field, or
// a null there): it sorts before every other created time.
inline constexpr int64_t kNoCreated = INT64_MIN;

// The values of one aggregated column of an EventLog, one per event.
struct EventColumn {
  std::string name;
  DataType type = DataType::kFloat64;
  std::vector<uint8_t> valid;        // 1: a value, 0: null
  std::vector<int64_t> ints;         // bool (0/1), int64, timestamp; else empty
  std::vector<double> floats;        // float64; else empty
  std::vector<std::string> strings;  // string; else empty
};

// One entity's events in (time, created, arrival) order. Offline, arrival is
// the row's position in the source; online, the order in which events
// reached the store (the same when they are pushed in source order).
struct EventLog {
  std::vector<int64_t> times;    // event times (µs since the epoch)
  std::vector<int64_t> created;  // tie-break at equal times (kNoCreated: none)
  // Each event's id ("" for none): a stream message's, so that a replayed
  // message is not counted twice (AppendEventsToOnlineStore).
  std::vector<std::string> ids;
  std::vector<EventColumn> columns;  // AggregatedColumns(view), in that order

  size_t size() const { return times.size(); }
  // Index of column `name`, or -1.
  int ColumnIndex(std::string_view name) const;
};

// The distinct source columns of `view`'s aggregations with their declared
// types, in first-use order: the columns an EventLog of the view holds.
std::vector<TypedName> AggregatedColumns(const FeatureView& view);

// The aggregations named `features` (aggregated feature names of `view`),
// each with the index of its column in AggregatedColumns(view).
struct ResolvedAggregations {
  std::vector<const Aggregation*> aggregations;
  std::vector<int> column_of;
};
// Errors: InvalidArgument for a name that is not an aggregated feature of
// the view (did-you-mean, the aggregated features).
StatusOr<ResolvedAggregations> ResolveAggregations(const FeatureView& view,
                                                   std::span<const std::string> features);

// An EventLog without events, with one column per entry of `columns`.
EventLog MakeEventLog(std::span<const TypedName> columns);

// Appends one event at the end of `log` (callers keep the order, or call
// SortEvents): row `row` of values[c] for log column c (nullptr: null; the
// column's type must be log column c's; a timestamp column may feed an int64
// one and back, both are int64 values), with id `id` ("" for none).
void AppendEvent(int64_t time_us, int64_t created, std::span<const Column* const> values,
                 int64_t row, EventLog* log, std::string_view id = {});

// Sorts `log` by (time, created), keeping the current order at ties.
void SortEvents(EventLog* log);

// The events of `earlier` and then of `later` (same columns, each sorted) in
// (time, created) order, where an event of `later` comes after the events of
// `earlier` at equal (time, created): `later` arrived after `earlier`.
EventLog MergeEvents(const EventLog& earlier, const EventLog& later);

// The events of `log` at `indices` (increasing), in that order.
EventLog SelectEvents(const EventLog& log, std::span<const size_t> indices);

// Removes the events with time <= cutoff_us.
void DropEventsThrough(int64_t cutoff_us, EventLog* log);

// The value of `aggregation` at time `t_us` over the events of `log` with
// time in (t_us - window_us, t_us] (start exclusive, end inclusive), taken in
// log order; `column` is the index of aggregation.column in log.columns.
//   count: the number of non-null values (int64, never null)
//   sum:   the non-null values added one after the other in log order as
//          float64 (int64 columns: added exactly, then rounded once)
//   mean:  sum / count
//   min, max: the least / greatest non-null value (strings: byte order;
//          the first in log order at ties)
//   last:  the last non-null value in log order
// Null (count: 0) when the window holds no non-null value.
FeatureValue ComputeAggregate(const EventLog& log, int column, const Aggregation& aggregation,
                              int64_t t_us);

// Appends the compact encoding of `log` to `out`: a version byte, the event
// count, the times and created times (8 bytes each), the ids when any event
// has one (version 2; a log without ids is written as version 1), then per
// column its name, type, a validity bitmap and the non-null values.
void EncodeEventLog(const EventLog& log, std::string* out);

// Decodes an encoded log into one with exactly the columns `columns`: a
// column that the bytes lack, or hold with another type (the definitions
// changed), reads as null. Errors: DataLoss for bytes that are not an
// encoded log.
StatusOr<EventLog> DecodeEventLog(std::string_view bytes, std::span<const TypedName> columns);

// A source's events for `view`, one EventLog per entity (sorted), keyed by
// EncodeEntityKeys of the view's join keys, in order of first appearance.
struct EntityEvents {
  std::vector<std::string> keys;
  std::vector<EventLog> logs;
  int64_t events = 0;  // in all logs
};

// The rows of `source` with every join key and the time present and a time
// in (after_us, until_us], as events of their entities. `source` must have
// the view's join keys, its source's timestamp_field (a timestamp), the
// aggregated columns with their declared types (CheckSourceTable checks
// them) and, when the source names one, its created_timestamp_field
// (timestamp or int64). `event_ids`: empty, or one id per row of `source`
// for the events ("" for none). Errors: InvalidArgument naming a missing or
// mistyped column, or event_ids of another length.
StatusOr<EntityEvents> GroupSourceEvents(const FeatureDefinitions& definitions,
                                         const FeatureView& view, const Table& source,
                                         int64_t after_us, int64_t until_us,
                                         std::span<const std::string> event_ids = {});

// The offline side: for every row of `entities` (which has the view's join
// keys and the timestamp column `entity_time`), the aggregated features
// `features` of `view` (names of its aggregations) at the row's time over
// all of `source`'s events of the row's entity; one column per feature,
// typed as the aggregation. A row with a null join key or time gets nulls
// (count too); an entity without events gets count 0 and nulls. The view's
// TTL does not apply. Errors: InvalidArgument for a name that is not an
// aggregation of the view, and GroupSourceEvents'.
StatusOr<std::vector<Column>> ComputeHistoricalAggregates(
    const FeatureDefinitions& definitions, const FeatureView& view, const Table& entities,
    std::string_view entity_time, const Table& source, std::span<const std::string> features);

}  // namespace keel::features

#endif  // KEEL_FEATURES_AGGREGATION_H_
