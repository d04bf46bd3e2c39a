#include "keel/features/aggregation_online.h"

#include <algorithm>
#include <functional>
#include <string_view>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/synchronization/mutex.h"
#include "keel/base/suggest.h"
#include "keel/features/aggregation.h"

namespace keel::features {
namespace {

constexpr char kLogFeature[] = "events";
// Entities per read-modify-write round (one Read and one Write of the store).
constexpr size_t kLogsPerRound = 4096;
constexpr size_t kStripes = 64;

// t - w, or INT64_MIN when that is below it (w >= 0).
int64_t MinusSaturated(int64_t t, int64_t w) { return t < INT64_MIN + w ? INT64_MIN : t - w; }

absl::Mutex& Stripe(size_t i) {
  static absl::Mutex* const stripes = new absl::Mutex[kStripes];
  return stripes[i];
}

// Holds, for its lifetime, the stripes of the logs of `keys` of store view
// `view` in `store`; stripes are taken in ascending order, so two holders
// never wait on each other in a cycle.
class LogLocks {
 public:
  LogLocks(const OnlineStore* store, std::string_view view, std::span<const std::string> keys) {
    std::vector<bool> need(kStripes, false);
    const size_t base = std::hash<const void*>{}(store) ^ std::hash<std::string_view>{}(view);
    for (const std::string& k : keys) {
      need[(base ^ (std::hash<std::string_view>{}(k)*0x9E3779B97F4A7C15ull)) % kStripes] = true;
    }
    for (size_t i = 0; i < kStripes; ++i) {
      if (!need[i]) continue;
      Stripe(i).Lock();
      held_.push_back(i);
    }
  }
  ~LogLocks() {
    for (auto it = held_.rbegin(); it != held_.rend(); ++it) Stripe(*it).Unlock();
  }
  LogLocks(const LogLocks&) = delete;
  LogLocks& operator=(const LogLocks&) = delete;

 private:
  std::vector<size_t> held_;
};

// A stored log as read for an update.
struct StoredLog {
  bool found = false;
  int64_t time = 0;  // the store row's event time
  EventLog log;
};

// The stored logs of `keys` (whatever their age).
StatusOr<std::vector<StoredLog>> ReadLogs(OnlineStore& store, OnlineView log_view,
                                          std::span<const std::string> keys,
                                          std::span<const TypedName> columns) {
  log_view.ttl_us = std::nullopt;
  const std::vector<std::string> feature = {kLogFeature};
  std::vector<OnlineRow> rows;
  KEEL_RETURN_IF_ERROR(store.Read(log_view, keys, feature, 0, &rows));
  std::vector<StoredLog> out(keys.size());
  for (size_t k = 0; k < keys.size(); ++k) {
    const FeatureValue& bytes = rows[k].values[0];
    if (!rows[k].found || bytes.is_null) continue;
    StatusOr<EventLog> log = DecodeEventLog(bytes.string_value, columns);
    if (!log.ok()) {
      return absl::DataLossError(absl::StrCat("feature view '", log_view.name, "', entity '",
                                              keys[k], "': ", log.status().message()));
    }
    out[k] = {.found = true, .time = rows[k].event_time, .log = *std::move(log)};
  }
  return out;
}

// Writes logs[i] for keys[i] with event time times[i].
Status WriteLogs(OnlineStore& store, const OnlineView& log_view, std::span<const std::string> keys,
                 std::span<const EventLog> logs, std::span<const int64_t> times) {
  ColumnBuilder bytes(DataType::kString);
  std::string encoded;
  for (const EventLog& log : logs) {
    encoded.clear();
    EncodeEventLog(log, &encoded);
    bytes.AppendString(encoded);
  }
  KEEL_ASSIGN_OR_RETURN(Table values, Table::Make({kLogFeature}, {bytes.Finish()}));
  StatusOr<int64_t> written =
      store.Write(log_view, {.keys = keys, .event_times = times, .values = &values});
  return written.status();
}

// Drops the events of `log` that no window can use any more, and returns
// the store time of the log: the newest event time, never below `stored`.
int64_t Trim(const FeatureView& view, const StoredLog& stored, EventLog* log) {
  const int64_t newest = log->times.back();
  DropEventsThrough(MinusSaturated(newest, view.MaxWindowUs()), log);
  return stored.found ? std::max(stored.time, newest) : newest;
}

// Runs `update(stored, i)` -> the new log of entity i for every entity of
// `keys` (kLogsPerRound at a time, under the entities' locks) and writes the
// results. `progress` as in MaterializeEventLogs.
Status UpdateLogs(OnlineStore& store, const FeatureDefinitions& definitions,
                  const FeatureView& view, std::span<const std::string> keys,
                  const std::function<EventLog(StoredLog&, size_t)>& update,
                  const std::function<void(int64_t, int64_t)>& progress) {
  const OnlineView log_view = EventLogView(definitions, view);
  const std::vector<TypedName> columns = AggregatedColumns(view);
  for (size_t begin = 0; begin < keys.size(); begin += kLogsPerRound) {
    const std::span<const std::string> round =
        keys.subspan(begin, std::min(kLogsPerRound, keys.size() - begin));
    LogLocks locks(&store, log_view.name, round);
    KEEL_ASSIGN_OR_RETURN(std::vector<StoredLog> stored, ReadLogs(store, log_view, round, columns));
    std::vector<EventLog> logs;
    std::vector<int64_t> times;
    logs.reserve(round.size());
    for (size_t i = 0; i < round.size(); ++i) {
      logs.push_back(update(stored[i], begin + i));
      times.push_back(Trim(view, stored[i], &logs.back()));
    }
    KEEL_RETURN_IF_ERROR(WriteLogs(store, log_view, round, logs, times));
    if (progress) {
      progress(static_cast<int64_t>(begin + round.size()), static_cast<int64_t>(keys.size()));
    }
  }
  return absl::OkStatus();
}

// Removes from `added` the events with an id that `stored` holds (a
// replayed stream message) and returns how many.
int64_t DropKnownEvents(const EventLog& stored, EventLog* added) {
  absl::flat_hash_set<std::string_view> ids;
  for (const std::string& id : stored.ids) {
    if (!id.empty()) ids.insert(id);
  }
  if (ids.empty()) return 0;
  int64_t dropped = 0;
  std::vector<size_t> keep;
  for (size_t i = 0; i < added->size(); ++i) {
    if (!added->ids[i].empty() && ids.contains(added->ids[i])) {
      ++dropped;
    } else {
      keep.push_back(i);
    }
  }
  if (dropped == 0) return 0;
  *added = SelectEvents(*added, keep);
  return dropped;
}

Status InStore(const Status& s, const FeatureView& view, const OnlineStore& store) {
  if (s.ok() || s.code() == absl::StatusCode::kDataLoss) return s;
  return Status(s.code(), absl::StrCat("feature view '", view.name, "': online store (",
                                       std::string(store.kind()), "): ", s.message()));
}

}  // namespace

OnlineView EventLogView(const FeatureDefinitions& definitions, const FeatureView& view) {
  return {.name = absl::StrCat(view.name, "#events"),
          .join_keys = definitions.JoinKeys(view),
          .features = {TypedName{.name = kLogFeature, .type = DataType::kString}},
          .ttl_us = view.MaxWindowUs()};
}

StatusOr<int64_t> AppendEventsToOnlineStore(const FeatureDefinitions& definitions,
                                            const FeatureView& view, const Table& events,
                                            OnlineStore& store,
                                            std::span<const std::string> event_ids) {
  if (view.aggregations.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("feature view '", view.name, "' has no aggregations"));
  }
  // The optional columns a push may leave out, as nulls, so the rows read
  // as a source table.
  const Source& source = *definitions.FindSource(view.source);
  std::vector<TypedName> may_be_absent = AggregatedColumns(view);
  if (!source.created_timestamp_field.empty()) {
    may_be_absent.push_back({.name = source.created_timestamp_field, .type = DataType::kTimestamp});
  }
  KEEL_ASSIGN_OR_RETURN(Table rows, WithNullColumns(events, may_be_absent));
  KEEL_ASSIGN_OR_RETURN(EntityEvents added, GroupSourceEvents(definitions, view, rows, INT64_MIN,
                                                              INT64_MAX, event_ids));
  int64_t known = 0;  // events whose id the entity's log already holds
  const Status s = UpdateLogs(store, definitions, view, added.keys,
                              [&](StoredLog& stored, size_t i) {
                                if (!stored.found) return std::move(added.logs[i]);
                                if (!event_ids.empty())
                                  known += DropKnownEvents(stored.log, &added.logs[i]);
                                return MergeEvents(stored.log, added.logs[i]);
                              },
                              {});
  KEEL_RETURN_IF_ERROR(InStore(s, view, store));
  return added.events - known;
}

StatusOr<EventLogMaterializeStats> MaterializeEventLogs(
    const FeatureDefinitions& definitions, const FeatureView& view, const Table& source,
    int64_t end_us, OnlineStore& store, const std::function<void(int64_t, int64_t)>& progress) {
  KEEL_ASSIGN_OR_RETURN(EntityEvents window,
                        GroupSourceEvents(definitions, view, source,
                                          MinusSaturated(end_us, view.MaxWindowUs()), end_us));
  const Status s = UpdateLogs(
      store, definitions, view, window.keys,
      [&](StoredLog& stored, size_t i) {
        if (!stored.found) return std::move(window.logs[i]);
        DropEventsThrough(end_us, &stored.log);  // keeps what came after end_us
        return MergeEvents(window.logs[i], stored.log);
      },
      progress);
  KEEL_RETURN_IF_ERROR(InStore(s, view, store));
  return EventLogMaterializeStats{.events = window.events,
                                  .entities = static_cast<int64_t>(window.keys.size())};
}

Status ReadAggregatedFeatures(OnlineStore& store, const FeatureDefinitions& definitions,
                              const FeatureView& view, std::span<const std::string> keys,
                              std::span<const std::string> features, int64_t now_us,
                              std::vector<OnlineRow>* out) {
  const std::vector<TypedName> columns = AggregatedColumns(view);
  KEEL_ASSIGN_OR_RETURN(ResolvedAggregations resolved, ResolveAggregations(view, features));
  const std::vector<const Aggregation*>& aggregations = resolved.aggregations;
  const std::vector<int>& column_of = resolved.column_of;
  const OnlineView log_view = EventLogView(definitions, view);
  const std::vector<std::string> feature = {kLogFeature};
  std::vector<OnlineRow> stored;
  KEEL_RETURN_IF_ERROR(InStore(store.Read(log_view, keys, feature, now_us, &stored), view, store));
  const int64_t window = view.MaxWindowUs();
  const EventLog none = MakeEventLog(columns);
  out->assign(keys.size(), OnlineRow());
  for (size_t k = 0; k < keys.size(); ++k) {
    OnlineRow& row = (*out)[k];
    const FeatureValue& bytes = stored[k].values[0];
    StatusOr<EventLog> decoded = none;
    if (stored[k].found && !bytes.is_null) decoded = DecodeEventLog(bytes.string_value, columns);
    if (!decoded.ok()) {
      return absl::DataLossError(absl::StrCat("feature view '", view.name, "', entity '", keys[k],
                                              "': ", decoded.status().message()));
    }
    const EventLog& log = *decoded;
    row.values.reserve(aggregations.size());
    for (size_t f = 0; f < aggregations.size(); ++f) {
      row.values.push_back(ComputeAggregate(log, column_of[f], *aggregations[f], now_us));
    }
    // The newest event at or before now_us, if inside the largest window.
    const auto newest = std::upper_bound(log.times.begin(), log.times.end(), now_us);
    const bool any = newest != log.times.begin();
    if (any && *(newest - 1) > MinusSaturated(now_us, window)) {
      row.found = true;
      row.event_time = *(newest - 1);
    } else {
      row.expired = stored[k].expired || any;
    }
  }
  return absl::OkStatus();
}

Status ReadOnlineFeatures(OnlineStore& store, const FeatureDefinitions& definitions,
                          const OnlineView& view, std::span<const std::string> keys,
                          std::span<const std::string> features, int64_t now_us,
                          std::vector<OnlineRow>* out) {
  std::vector<std::string> plain, aggregated;
  std::vector<std::pair<bool, size_t>> from;  // per feature: (aggregated?, index there)
  for (const std::string& name : features) {
    const bool computed =
        std::find(view.computed.begin(), view.computed.end(), name) != view.computed.end();
    std::vector<std::string>& to = computed ? aggregated : plain;
    from.emplace_back(computed, to.size());
    to.push_back(name);
  }
  if (aggregated.empty()) return store.Read(view, keys, features, now_us, out);
  const FeatureView* definition = definitions.FindView(view.name);
  if (definition == nullptr) {
    return absl::InvalidArgumentError(absl::StrCat("unknown feature view '", view.name, "'"));
  }
  std::vector<OnlineRow> stored, computed;
  if (!plain.empty()) KEEL_RETURN_IF_ERROR(store.Read(view, keys, plain, now_us, &stored));
  KEEL_RETURN_IF_ERROR(
      ReadAggregatedFeatures(store, definitions, *definition, keys, aggregated, now_us, &computed));
  out->assign(keys.size(), OnlineRow());
  for (size_t k = 0; k < keys.size(); ++k) {
    OnlineRow& row = (*out)[k];
    const OnlineRow& first = plain.empty() ? computed[k] : stored[k];
    row.found = first.found;
    row.expired = first.expired;
    row.event_time = first.event_time;
    row.values.reserve(features.size());
    for (const auto& [is_computed, index] : from) {
      row.values.push_back(is_computed ? computed[k].values[index] : stored[k].values[index]);
    }
  }
  return absl::OkStatus();
}

}  // namespace keel::features
