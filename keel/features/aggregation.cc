#include "keel/features/aggregation.h"

#include <algorithm>
#include <cstring>
#include <numeric>
#include <optional>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "keel/base/suggest.h"

namespace keel::features {
namespace {

// Encoding (EncodeEventLog): byte kLogMagic (or kLogMagicWithIds), uint32
// event count n, uint8 column count, n int64 times, uint8 1/0 (created times
// follow or all are kNoCreated), [n int64 created], [kLogMagicWithIds only:
// n ids, each uint16 length + bytes], then per column: uint8 name length, the
// name, uint8 DataType, a validity bitmap of (n + 7) / 8 bytes (bit i of
// byte i / 8: event i has a value) and the values of the valid events: 1
// byte (bool), 8 bytes (int64, timestamp, float64) or uint32 length + bytes
// (string). Numbers are in the machine's byte order, as online_store.cc's
// rows (x86-64 and arm64 are both little-endian).
constexpr uint8_t kLogMagic = 0xE1;         // "Keel events, version 1"
constexpr uint8_t kLogMagicWithIds = 0xE2;  // version 2: version 1 with event ids

template <typename T>
void Put(T value, std::string* out) {
  char bytes[sizeof(T)];
  std::memcpy(bytes, &value, sizeof(T));
  out->append(bytes, sizeof(T));
}

// Reads values off encoded bytes; every read fails (returns false) once the
// bytes run out.
class ByteReader {
 public:
  explicit ByteReader(std::string_view bytes) : bytes_(bytes) {}
  template <typename T>
  bool Get(T* value) {
    if (bytes_.size() - pos_ < sizeof(T)) return false;
    std::memcpy(value, bytes_.data() + pos_, sizeof(T));
    pos_ += sizeof(T);
    return true;
  }
  bool Bytes(size_t n, std::string_view* out) {
    if (bytes_.size() - pos_ < n) return false;
    *out = bytes_.substr(pos_, n);
    pos_ += n;
    return true;
  }
  bool AtEnd() const { return pos_ == bytes_.size(); }

 private:
  std::string_view bytes_;
  size_t pos_ = 0;
};

Status CorruptLog() { return absl::DataLossError("online store: a stored event log is corrupt"); }

bool IsIntLike(DataType type) {
  return type == DataType::kBool || type == DataType::kInt64 || type == DataType::kTimestamp;
}

// Value `i` of `c` (valid) as a FeatureValue of c's type.
FeatureValue ValueOf(const EventColumn& c, size_t i) {
  FeatureValue v{.type = c.type, .is_null = false};
  if (c.type == DataType::kFloat64) {
    v.float_value = c.floats[i];
  } else if (c.type == DataType::kString) {
    v.string_value = c.strings[i];
  } else {
    v.int_value = c.ints[i];
  }
  return v;
}

// Whether value `a` of `c` is less than value `b`.
bool Less(const EventColumn& c, size_t a, size_t b) {
  if (c.type == DataType::kFloat64) return c.floats[a] < c.floats[b];
  if (c.type == DataType::kString) return c.strings[a] < c.strings[b];
  return c.ints[a] < c.ints[b];
}

void AppendFrom(const EventLog& from, size_t i, EventLog* to) {
  to->times.push_back(from.times[i]);
  to->created.push_back(from.created[i]);
  to->ids.push_back(from.ids[i]);
  for (size_t c = 0; c < to->columns.size(); ++c) {
    const EventColumn& src = from.columns[c];
    EventColumn& dst = to->columns[c];
    dst.valid.push_back(src.valid[i]);
    if (dst.type == DataType::kFloat64) {
      dst.floats.push_back(src.floats[i]);
    } else if (dst.type == DataType::kString) {
      dst.strings.push_back(src.strings[i]);
    } else {
      dst.ints.push_back(src.ints[i]);
    }
  }
}

bool Before(const EventLog& a, size_t i, const EventLog& b, size_t j) {
  return a.times[i] != b.times[j] ? a.times[i] < b.times[j] : a.created[i] < b.created[j];
}

// Column `name` of `table`, which must be one of `types`. `what` says what
// the column is for.
StatusOr<Column> TypedColumn(const Table& table, const std::string& name,
                             std::initializer_list<DataType> types, const std::string& what) {
  const int index = table.schema().IndexOf(name);
  if (index < 0) {
    return absl::InvalidArgumentError(
        absl::StrCat(what, ": no column '", name, "'.", DidYouMean(name, table.schema().names()),
                     " Columns: ", absl::StrJoin(table.schema().names(), ", ")));
  }
  const Column& c = table.column(index);
  if (std::find(types.begin(), types.end(), c.type()) == types.end()) {
    std::vector<std::string> names;
    for (DataType t : types) names.push_back(std::string(DataTypeName(t)));
    return absl::InvalidArgumentError(absl::StrCat(what, ": column '", name, "': expected ",
                                                   absl::StrJoin(names, " or "), ", found ",
                                                   std::string(DataTypeName(c.type()))));
  }
  return c;
}

}  // namespace

int EventLog::ColumnIndex(std::string_view name) const {
  for (size_t c = 0; c < columns.size(); ++c) {
    if (columns[c].name == name) return static_cast<int>(c);
  }
  return -1;
}

std::vector<TypedName> AggregatedColumns(const FeatureView& view) {
  std::vector<TypedName> out;
  for (const Aggregation& a : view.aggregations) {
    const bool seen =
        std::any_of(out.begin(), out.end(), [&](const TypedName& t) { return t.name == a.column; });
    if (!seen) out.push_back({.name = a.column, .type = a.column_type, .where = a.where});
  }
  return out;
}

EventLog MakeEventLog(std::span<const TypedName> columns) {
  EventLog log;
  for (const TypedName& c : columns) log.columns.push_back({.name = c.name, .type = c.type});
  return log;
}

void AppendEvent(int64_t time_us, int64_t created, std::span<const Column* const> values,
                 int64_t row, EventLog* log, std::string_view id) {
  log->times.push_back(time_us);
  log->created.push_back(created);
  log->ids.emplace_back(id);
  for (size_t c = 0; c < log->columns.size(); ++c) {
    EventColumn& dst = log->columns[c];
    const Column* src = values[c];
    const bool valid = src != nullptr && src->IsValid(row);
    dst.valid.push_back(valid ? 1 : 0);
    switch (dst.type) {
      case DataType::kFloat64:
        dst.floats.push_back(valid ? src->Float64Values()[row] : 0.0);
        break;
      case DataType::kString:
        dst.strings.emplace_back(valid ? src->StringAt(row) : std::string_view());
        break;
      case DataType::kBool:
        dst.ints.push_back(valid ? src->BoolValues()[row] : 0);
        break;
      case DataType::kInt64:
      case DataType::kTimestamp:
        dst.ints.push_back(!valid                                ? 0
                           : src->type() == DataType::kTimestamp ? src->TimestampValues()[row]
                                                                 : src->Int64Values()[row]);
        break;
    }
  }
}

void SortEvents(EventLog* log) {
  std::vector<size_t> order(log->size());
  std::iota(order.begin(), order.end(), size_t{0});
  std::stable_sort(order.begin(), order.end(),
                   [&](size_t a, size_t b) { return Before(*log, a, *log, b); });
  if (std::is_sorted(order.begin(), order.end())) return;
  EventLog sorted;
  for (const EventColumn& c : log->columns)
    sorted.columns.push_back({.name = c.name, .type = c.type});
  for (size_t i : order) AppendFrom(*log, i, &sorted);
  *log = std::move(sorted);
}

EventLog MergeEvents(const EventLog& earlier, const EventLog& later) {
  EventLog out;
  for (const EventColumn& c : earlier.columns)
    out.columns.push_back({.name = c.name, .type = c.type});
  size_t i = 0;
  size_t j = 0;
  while (i < earlier.size() || j < later.size()) {
    // `later` goes first only when strictly before: ties keep arrival order.
    if (j < later.size() && (i == earlier.size() || Before(later, j, earlier, i))) {
      AppendFrom(later, j++, &out);
    } else {
      AppendFrom(earlier, i++, &out);
    }
  }
  return out;
}

EventLog SelectEvents(const EventLog& log, std::span<const size_t> indices) {
  EventLog out;
  for (const EventColumn& c : log.columns) out.columns.push_back({.name = c.name, .type = c.type});
  for (size_t i : indices) AppendFrom(log, i, &out);
  return out;
}

void DropEventsThrough(int64_t cutoff_us, EventLog* log) {
  const auto end = std::upper_bound(log->times.begin(), log->times.end(), cutoff_us);
  const size_t n = static_cast<size_t>(end - log->times.begin());
  if (n == 0) return;
  log->times.erase(log->times.begin(), log->times.begin() + n);
  log->created.erase(log->created.begin(), log->created.begin() + n);
  log->ids.erase(log->ids.begin(), log->ids.begin() + n);
  for (EventColumn& c : log->columns) {
    c.valid.erase(c.valid.begin(), c.valid.begin() + n);
    if (!c.ints.empty()) c.ints.erase(c.ints.begin(), c.ints.begin() + n);
    if (!c.floats.empty()) c.floats.erase(c.floats.begin(), c.floats.begin() + n);
    if (!c.strings.empty()) c.strings.erase(c.strings.begin(), c.strings.begin() + n);
  }
}

FeatureValue ComputeAggregate(const EventLog& log, int column, const Aggregation& aggregation,
                              int64_t t_us) {
  FeatureValue out{.type = aggregation.type};
  const int64_t start =
      t_us < INT64_MIN + aggregation.window_us ? INT64_MIN : t_us - aggregation.window_us;
  const auto first = std::upper_bound(log.times.begin(), log.times.end(), start);
  const auto last = std::upper_bound(first, log.times.end(), t_us);
  const size_t lo = static_cast<size_t>(first - log.times.begin());
  const size_t hi = static_cast<size_t>(last - log.times.begin());
  const EventColumn& c = log.columns[column];
  switch (aggregation.function) {
    case AggregationFunction::kCount: {
      int64_t n = 0;
      for (size_t i = lo; i < hi; ++i) n += c.valid[i];
      out.is_null = false;
      out.int_value = n;
      return out;
    }
    case AggregationFunction::kSum:
    case AggregationFunction::kMean: {
      int64_t n = 0;
      double sum = 0;
      if (c.type == DataType::kFloat64) {
        for (size_t i = lo; i < hi; ++i) {
          if (c.valid[i] == 0) continue;
          sum += c.floats[i];
          ++n;
        }
      } else {
        __int128 exact = 0;
        for (size_t i = lo; i < hi; ++i) {
          if (c.valid[i] == 0) continue;
          exact += c.ints[i];
          ++n;
        }
        sum = static_cast<double>(exact);
      }
      if (n == 0) return out;
      out.is_null = false;
      out.float_value =
          aggregation.function == AggregationFunction::kSum ? sum : sum / static_cast<double>(n);
      return out;
    }
    case AggregationFunction::kMin:
    case AggregationFunction::kMax: {
      const bool min = aggregation.function == AggregationFunction::kMin;
      size_t best = hi;
      for (size_t i = lo; i < hi; ++i) {
        if (c.valid[i] == 0) continue;
        if (best == hi || (min ? Less(c, i, best) : Less(c, best, i))) best = i;
      }
      if (best == hi) return out;
      return ValueOf(c, best);
    }
    case AggregationFunction::kLast:
      for (size_t i = hi; i > lo; --i) {
        if (c.valid[i - 1] != 0) return ValueOf(c, i - 1);
      }
      return out;
  }
  return out;
}

void EncodeEventLog(const EventLog& log, std::string* out) {
  const size_t n = log.size();
  const bool any_id = std::any_of(log.ids.begin(), log.ids.end(),
                                  [](const std::string& id) { return !id.empty(); });
  out->push_back(static_cast<char>(any_id ? kLogMagicWithIds : kLogMagic));
  Put<uint32_t>(static_cast<uint32_t>(n), out);
  Put<uint8_t>(static_cast<uint8_t>(log.columns.size()), out);
  for (int64_t t : log.times) Put<int64_t>(t, out);
  const bool any_created = std::any_of(log.created.begin(), log.created.end(),
                                       [](int64_t c) { return c != kNoCreated; });
  Put<uint8_t>(any_created ? 1 : 0, out);
  if (any_created) {
    for (int64_t c : log.created) Put<int64_t>(c, out);
  }
  if (any_id) {
    for (const std::string& id : log.ids) {
      const size_t size = std::min<size_t>(id.size(), UINT16_MAX);
      Put<uint16_t>(static_cast<uint16_t>(size), out);
      out->append(id.data(), size);
    }
  }
  for (const EventColumn& c : log.columns) {
    const size_t name_size = std::min<size_t>(c.name.size(), 255);
    Put<uint8_t>(static_cast<uint8_t>(name_size), out);
    out->append(c.name.data(), name_size);
    Put<uint8_t>(static_cast<uint8_t>(c.type), out);
    std::string bitmap((n + 7) / 8, '\0');
    for (size_t i = 0; i < n; ++i) {
      if (c.valid[i] != 0) bitmap[i / 8] = static_cast<char>(bitmap[i / 8] | (1 << (i % 8)));
    }
    out->append(bitmap);
    for (size_t i = 0; i < n; ++i) {
      if (c.valid[i] == 0) continue;
      switch (c.type) {
        case DataType::kBool:
          Put<uint8_t>(c.ints[i] != 0 ? 1 : 0, out);
          break;
        case DataType::kInt64:
        case DataType::kTimestamp:
          Put<int64_t>(c.ints[i], out);
          break;
        case DataType::kFloat64:
          Put<double>(c.floats[i], out);
          break;
        case DataType::kString:
          Put<uint32_t>(static_cast<uint32_t>(c.strings[i].size()), out);
          out->append(c.strings[i]);
          break;
      }
    }
  }
}

StatusOr<EventLog> DecodeEventLog(std::string_view bytes, std::span<const TypedName> columns) {
  ByteReader in(bytes);
  uint8_t magic = 0;
  uint32_t n = 0;
  uint8_t num_columns = 0;
  if (!in.Get(&magic) || (magic != kLogMagic && magic != kLogMagicWithIds) || !in.Get(&n) ||
      !in.Get(&num_columns) || bytes.size() < size_t{n} * 8) {
    return CorruptLog();
  }
  EventLog log = MakeEventLog(columns);
  log.times.resize(n);
  for (int64_t& t : log.times) {
    if (!in.Get(&t)) return CorruptLog();
  }
  uint8_t any_created = 0;
  if (!in.Get(&any_created)) return CorruptLog();
  log.created.assign(n, kNoCreated);
  if (any_created != 0) {
    for (int64_t& c : log.created) {
      if (!in.Get(&c)) return CorruptLog();
    }
  }
  log.ids.assign(n, std::string());
  if (magic == kLogMagicWithIds) {
    for (std::string& id : log.ids) {
      uint16_t size = 0;
      std::string_view text;
      if (!in.Get(&size) || !in.Bytes(size, &text)) return CorruptLog();
      id.assign(text);
    }
  }
  std::vector<bool> filled(log.columns.size(), false);
  for (uint8_t k = 0; k < num_columns; ++k) {
    uint8_t name_size = 0;
    std::string_view name;
    uint8_t tag = 0;
    std::string_view bitmap;
    if (!in.Get(&name_size) || !in.Bytes(name_size, &name) || !in.Get(&tag) ||
        tag > static_cast<uint8_t>(DataType::kTimestamp) || !in.Bytes((n + 7) / 8, &bitmap)) {
      return CorruptLog();
    }
    const DataType type = static_cast<DataType>(tag);
    // The stored column is read (to skip it) and kept only when wanted.
    const int wanted = log.ColumnIndex(name);
    EventColumn scratch{.type = type};
    EventColumn& c =
        wanted >= 0 && log.columns[wanted].type == type ? log.columns[wanted] : scratch;
    c.valid.assign(n, 0);
    if (IsIntLike(type)) c.ints.assign(n, 0);
    if (type == DataType::kFloat64) c.floats.assign(n, 0.0);
    if (type == DataType::kString) c.strings.assign(n, std::string());
    for (uint32_t i = 0; i < n; ++i) {
      if (((static_cast<uint8_t>(bitmap[i / 8]) >> (i % 8)) & 1) == 0) continue;
      c.valid[i] = 1;
      bool ok = true;
      switch (type) {
        case DataType::kBool: {
          uint8_t b = 0;
          ok = in.Get(&b);
          c.ints[i] = b;
          break;
        }
        case DataType::kInt64:
        case DataType::kTimestamp:
          ok = in.Get(&c.ints[i]);
          break;
        case DataType::kFloat64:
          ok = in.Get(&c.floats[i]);
          break;
        case DataType::kString: {
          uint32_t size = 0;
          std::string_view text;
          ok = in.Get(&size) && in.Bytes(size, &text);
          if (ok) c.strings[i].assign(text);
          break;
        }
      }
      if (!ok) return CorruptLog();
    }
    if (&c != &scratch) filled[wanted] = true;
  }
  if (!in.AtEnd()) return CorruptLog();
  // Columns the bytes lack: all null.
  for (size_t k = 0; k < log.columns.size(); ++k) {
    if (filled[k]) continue;
    EventColumn& c = log.columns[k];
    c.valid.assign(n, 0);
    if (IsIntLike(c.type)) c.ints.assign(n, 0);
    if (c.type == DataType::kFloat64) c.floats.assign(n, 0.0);
    if (c.type == DataType::kString) c.strings.assign(n, std::string());
  }
  return log;
}

StatusOr<EntityEvents> GroupSourceEvents(const FeatureDefinitions& definitions,
                                         const FeatureView& view, const Table& source,
                                         int64_t after_us, int64_t until_us,
                                         std::span<const std::string> event_ids) {
  const Source& src = *definitions.FindSource(view.source);
  const std::string what = absl::StrCat("feature view '", view.name, "': source '", src.name, "'");
  if (!event_ids.empty() && static_cast<int64_t>(event_ids.size()) != source.num_rows()) {
    return absl::InvalidArgumentError(
        absl::StrCat(what, ": ", event_ids.size(), " event ids for ", source.num_rows(), " rows"));
  }
  const std::vector<TypedName> join_keys = definitions.JoinKeys(view);
  KEEL_ASSIGN_OR_RETURN(Column time,
                        TypedColumn(source, src.timestamp_field, {DataType::kTimestamp}, what));
  std::vector<Column> keys;
  std::vector<std::string> key_names;
  for (const TypedName& k : join_keys) {
    KEEL_ASSIGN_OR_RETURN(Column c, TypedColumn(source, k.name, {k.type}, what));
    keys.push_back(std::move(c));
    key_names.push_back(k.name);
  }
  std::optional<Column> created;
  if (!src.created_timestamp_field.empty()) {
    KEEL_ASSIGN_OR_RETURN(created, TypedColumn(source, src.created_timestamp_field,
                                               {DataType::kTimestamp, DataType::kInt64}, what));
  }
  const std::vector<TypedName> columns = AggregatedColumns(view);
  std::vector<Column> values;
  for (const TypedName& c : columns) {
    KEEL_ASSIGN_OR_RETURN(Column v, TypedColumn(source, c.name, {c.type}, what));
    values.push_back(std::move(v));
  }
  std::vector<const Column*> value_ptrs;
  for (const Column& v : values) value_ptrs.push_back(&v);

  const std::span<const int64_t> times = time.TimestampValues();
  std::vector<int64_t> rows;
  for (int64_t r = 0; r < source.num_rows(); ++r) {
    if (time.IsNull(r) || times[r] <= after_us || times[r] > until_us) continue;
    bool keyed = true;
    for (const Column& k : keys) keyed = keyed && k.IsValid(r);
    if (keyed) rows.push_back(r);
  }
  EntityEvents out;
  out.events = static_cast<int64_t>(rows.size());
  if (rows.empty()) return out;
  KEEL_ASSIGN_OR_RETURN(Table key_table, source.SelectColumns(key_names));
  KEEL_ASSIGN_OR_RETURN(std::vector<std::string> encoded,
                        EncodeEntityKeys(key_table.Take(rows), join_keys));
  auto created_at = [&](int64_t r) -> int64_t {
    if (!created || created->IsNull(r)) return kNoCreated;
    return created->type() == DataType::kTimestamp ? created->TimestampValues()[r]
                                                   : created->Int64Values()[r];
  };
  // Rows per entity, in source order.
  absl::flat_hash_map<std::string_view, size_t> group_of;
  std::vector<std::vector<int64_t>> groups;
  for (size_t i = 0; i < rows.size(); ++i) {
    auto [it, added] = group_of.try_emplace(encoded[i], groups.size());
    if (added) {
      groups.emplace_back();
      out.keys.push_back(encoded[i]);
    }
    groups[it->second].push_back(rows[i]);
  }
  out.logs.reserve(groups.size());
  for (std::vector<int64_t>& g : groups) {
    std::stable_sort(g.begin(), g.end(), [&](int64_t a, int64_t b) {
      return times[a] != times[b] ? times[a] < times[b] : created_at(a) < created_at(b);
    });
    EventLog log = MakeEventLog(columns);
    for (int64_t r : g) {
      AppendEvent(times[r], created_at(r), value_ptrs, r, &log,
                  event_ids.empty() ? std::string_view() : std::string_view(event_ids[r]));
    }
    out.logs.push_back(std::move(log));
  }
  return out;
}

StatusOr<ResolvedAggregations> ResolveAggregations(const FeatureView& view,
                                                   std::span<const std::string> features) {
  const std::vector<TypedName> columns = AggregatedColumns(view);
  ResolvedAggregations out;
  for (const std::string& name : features) {
    const Aggregation* a = view.FindAggregation(name);
    if (a == nullptr) {
      std::vector<std::string> names;
      for (const Aggregation& x : view.aggregations) names.push_back(x.name);
      return absl::InvalidArgumentError(absl::StrCat(
          "feature view '", view.name, "' has no aggregated feature '", name, "'.",
          DidYouMean(name, names),
          names.empty() ? " It has no aggregations."
                        : absl::StrCat(" Aggregated features: ", absl::StrJoin(names, ", "))));
    }
    out.aggregations.push_back(a);
    const auto it = std::find_if(columns.begin(), columns.end(),
                                 [&](const TypedName& c) { return c.name == a->column; });
    out.column_of.push_back(static_cast<int>(it - columns.begin()));
  }
  return out;
}

StatusOr<std::vector<Column>> ComputeHistoricalAggregates(
    const FeatureDefinitions& definitions, const FeatureView& view, const Table& entities,
    std::string_view entity_time, const Table& source, std::span<const std::string> features) {
  const std::vector<TypedName> columns = AggregatedColumns(view);
  KEEL_ASSIGN_OR_RETURN(ResolvedAggregations resolved, ResolveAggregations(view, features));
  const std::vector<const Aggregation*>& aggregations = resolved.aggregations;
  const std::vector<int>& column_of = resolved.column_of;
  KEEL_ASSIGN_OR_RETURN(EntityEvents events,
                        GroupSourceEvents(definitions, view, source, INT64_MIN, INT64_MAX));
  absl::flat_hash_map<std::string_view, size_t> log_of;
  for (size_t i = 0; i < events.keys.size(); ++i) log_of.emplace(events.keys[i], i);

  // Entity rows with every join key and the time present, and their keys.
  const std::string what = absl::StrCat("feature view '", view.name, "': the entity rows");
  KEEL_ASSIGN_OR_RETURN(
      Column time, TypedColumn(entities, std::string(entity_time), {DataType::kTimestamp}, what));
  const std::vector<TypedName> join_keys = definitions.JoinKeys(view);
  std::vector<std::string> key_names;
  std::vector<Column> keys;
  for (const TypedName& k : join_keys) {
    KEEL_ASSIGN_OR_RETURN(Column c, TypedColumn(entities, k.name, {k.type}, what));
    keys.push_back(std::move(c));
    key_names.push_back(k.name);
  }
  std::vector<int64_t> keyed;
  for (int64_t r = 0; r < entities.num_rows(); ++r) {
    bool ok = time.IsValid(r);
    for (const Column& k : keys) ok = ok && k.IsValid(r);
    if (ok) keyed.push_back(r);
  }
  KEEL_ASSIGN_OR_RETURN(Table key_table, entities.SelectColumns(key_names));
  KEEL_ASSIGN_OR_RETURN(std::vector<std::string> encoded,
                        EncodeEntityKeys(key_table.Take(keyed), join_keys));

  std::vector<ColumnBuilder> builders;
  for (const Aggregation* a : aggregations) {
    builders.emplace_back(a->type);
    builders.back().Reserve(entities.num_rows());
  }
  const EventLog none = MakeEventLog(columns);
  size_t next = 0;  // into keyed / encoded
  for (int64_t r = 0; r < entities.num_rows(); ++r) {
    if (next == keyed.size() || keyed[next] != r) {
      for (ColumnBuilder& b : builders) b.AppendNull();
      continue;
    }
    const auto found = log_of.find(encoded[next]);
    const EventLog& log = found == log_of.end() ? none : events.logs[found->second];
    ++next;
    const int64_t t = time.TimestampValues()[r];
    for (size_t f = 0; f < aggregations.size(); ++f) {
      AppendFeatureValue(ComputeAggregate(log, column_of[f], *aggregations[f], t), &builders[f]);
    }
  }
  std::vector<Column> out;
  for (ColumnBuilder& b : builders) out.push_back(b.Finish());
  return out;
}

}  // namespace keel::features
