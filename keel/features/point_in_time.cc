#include "keel/features/point_in_time.h"

#include <algorithm>
#include <bit>
#include <functional>
#include <string_view>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "keel/base/suggest.h"
#include "keel/features/gather.h"

namespace keel::features {
namespace {

// How the join works (entity rows are usually far fewer than feature rows, so
// only they are sorted; the feature rows are read once, in order):
//  1. Every usable entity row (no null key or time) gets a 64-bit hash of its
//     keys; its top bits pick one of 2^k partitions, and the rows are
//     scattered into their partitions (a counting sort, in parallel).
//  2. Each partition, in parallel, maps its distinct keys to dense group ids
//     (a hash map holding one row per key) and orders its rows by (group,
//     entity_time) over its slice of two arrays: its "slots".
//  3. The feature rows, a block at a time: each one (in parallel) finds its
//     key's group and binary-searches the group's times for the first slot
//     at or after its own time; it is a candidate for that slot and every
//     later slot of the group. Then each slot (in parallel over ranges of
//     slots) keeps its greatest candidate by (feature_time, created_time,
//     row). A candidate already older than the TTL at that first slot is
//     dropped: it would be too old for every later slot too.
//  4. Each group, in parallel, carries the greatest candidate forward over
//     its slots (a running maximum): a slot's result is the latest feature
//     row at or before its time, kept if within the TTL.
//  5. The feature columns are gathered by the matched row numbers.

constexpr int64_t kMinRowsPerChunk = 16384;

uint64_t Mix(uint64_t x) {  // murmur3's finaliser
  x ^= x >> 33;
  x *= 0xff51afd7ed558ccdULL;
  x ^= x >> 33;
  x *= 0xc4ceb9fe1a85ec53ULL;
  x ^= x >> 33;
  return x;
}

// The join-key columns of one table, read without per-value type checks.
class Keys {
 public:
  explicit Keys(std::vector<Column> columns) : columns_(std::move(columns)) {
    for (const Column& c : columns_) {
      ints_.push_back(c.type() == DataType::kInt64 ? c.Int64Values().data() : nullptr);
    }
  }

  // True when the keys are one int64 column: then Hash is a bijection of the
  // value (each step of it is), so equal hashes mean equal keys.
  bool HashIsKey() const { return columns_.size() == 1 && ints_[0] != nullptr; }

  bool AnyNull(int64_t row) const {
    for (const Column& c : columns_) {
      if (c.IsNull(row)) return true;
    }
    return false;
  }

  uint64_t Hash(int64_t row) const {
    uint64_t h = 0x9e3779b97f4a7c15ULL;
    for (size_t k = 0; k < columns_.size(); ++k) {
      const uint64_t v = ints_[k] != nullptr
                             ? static_cast<uint64_t>(ints_[k][row])
                             : std::hash<std::string_view>()(columns_[k].StringAt(row));
      h = Mix(h ^ (v + 0x9e3779b97f4a7c15ULL + (h << 6) + (h >> 2)));
    }
    return h;
  }

  bool Equal(int64_t row, const Keys& other, int64_t other_row) const {
    for (size_t k = 0; k < columns_.size(); ++k) {
      if (ints_[k] != nullptr) {
        if (ints_[k][row] != other.ints_[k][other_row]) return false;
      } else if (columns_[k].StringAt(row) != other.columns_[k].StringAt(other_row)) {
        return false;
      }
    }
    return true;
  }

 private:
  std::vector<Column> columns_;
  std::vector<const int64_t*> ints_;
};

// A row of either table in a partition's key map.
struct KeyRef {
  int64_t row;
  uint64_t hash;
  bool entity;
};
struct KeyRefHash {
  size_t operator()(const KeyRef& k) const { return k.hash; }
};
struct KeyRefEq {
  const Keys* entity_keys;
  const Keys* feature_keys;
  bool hash_is_key;  // both Keys' HashIsKey()
  bool operator()(const KeyRef& a, const KeyRef& b) const {
    if (a.hash != b.hash) return false;
    if (hash_is_key) return true;
    return (a.entity ? entity_keys : feature_keys)
        ->Equal(a.row, b.entity ? *entity_keys : *feature_keys, b.row);
  }
};
using KeyMap = absl::flat_hash_map<KeyRef, uint32_t, KeyRefHash, KeyRefEq>;

struct Partition {
  int64_t begin = 0;  // its slice of the sorted arrays
  int64_t end = 0;
  KeyMap groups;                     // key -> group id
  std::vector<int64_t> group_begin;  // group g: [begin + gb[g], begin + gb[g + 1])
};

// A counting sort of rows [0, n) into `num_parts` partitions, in parallel,
// keeping the rows' order within each partition. part_of(row) gives a row's
// partition, or -1 to leave it out, and is called once per row;
// place(row, position) is then called once per kept row with its position in
// the partition-major output. Returns the partitions' begin positions and,
// last, the number of rows kept (num_parts + 1 values).
template <typename PartOf, typename Place>
std::vector<int64_t> ScatterByPartition(ThreadPool& pool, int64_t n, int num_parts,
                                        const PartOf& part_of, const Place& place) {
  const int64_t num_chunks = std::max<int64_t>(1, (n + kMinRowsPerChunk - 1) / kMinRowsPerChunk);
  const int64_t chunk_rows = std::max<int64_t>(1, (n + num_chunks - 1) / num_chunks);
  std::vector<int16_t> parts(n);
  std::vector<int64_t> next(num_chunks * num_parts, 0);
  pool.ParallelFor(num_chunks, 1, [&](int64_t c0, int64_t c1) {
    for (int64_t c = c0; c < c1; ++c) {
      int64_t* count = &next[c * num_parts];
      for (int64_t row = c * chunk_rows; row < std::min(n, (c + 1) * chunk_rows); ++row) {
        parts[row] = static_cast<int16_t>(part_of(row));
        if (parts[row] >= 0) ++count[parts[row]];
      }
    }
  });
  std::vector<int64_t> begin(num_parts + 1);
  int64_t total = 0;  // exclusive prefix sums, partition-major
  for (int p = 0; p < num_parts; ++p) {
    begin[p] = total;
    for (int64_t c = 0; c < num_chunks; ++c) {
      const int64_t count = next[c * num_parts + p];
      next[c * num_parts + p] = total;
      total += count;
    }
  }
  begin[num_parts] = total;
  pool.ParallelFor(num_chunks, 1, [&](int64_t c0, int64_t c1) {
    for (int64_t c = c0; c < c1; ++c) {
      int64_t* position = &next[c * num_parts];
      for (int64_t row = c * chunk_rows; row < std::min(n, (c + 1) * chunk_rows); ++row) {
        if (parts[row] >= 0) place(row, position[parts[row]]++);
      }
    }
  });
  return begin;
}

std::string ColumnList(const Table& table) {
  std::string out;
  for (const Field& f : table.schema().fields()) {
    absl::StrAppend(&out, out.empty() ? "" : ", ", f.name);
  }
  return out;
}

StatusOr<Column> FindColumn(const Table& table, std::string_view table_name,
                            const std::string& option, std::string_view name) {
  const int index = table.schema().IndexOf(name);
  if (index >= 0) return table.column(index);
  return absl::NotFoundError(
      absl::StrCat(option, " '", std::string(name), "' is not a column of the ",
                   std::string(table_name), " table (its columns: ", ColumnList(table), ").",
                   DidYouMean(name, table.schema().names()), " Name an existing column."));
}

Status CheckTime(const Column& column, const std::string& option, std::string_view name,
                 bool allow_int64) {
  if (column.type() == DataType::kTimestamp) return absl::OkStatus();
  if (allow_int64 && column.type() == DataType::kInt64) return absl::OkStatus();
  return absl::InvalidArgumentError(absl::StrCat(
      option, " '", std::string(name), "' is ", std::string(DataTypeName(column.type())),
      " but must be a timestamp", allow_int64 ? " or int64" : "",
      " column; parse it as a timestamp (microseconds UTC) first."));
}

}  // namespace

StatusOr<Table> PointInTimeJoin(const Table& entities, const Table& feature_rows,
                                const PointInTimeOptions& options) {
  ThreadPool& pool = options.pool != nullptr ? *options.pool : ThreadPool::Default();
  if (options.join_keys.empty()) {
    return absl::InvalidArgumentError(
        "point-in-time join: no join_keys given; name the entity "
        "key columns present in both tables");
  }
  if (options.feature_block_rows <= 0) {
    return absl::InvalidArgumentError(absl::StrCat("point-in-time join: feature_block_rows is ",
                                                   options.feature_block_rows, "; it must be > 0"));
  }
  if (options.ttl_us.has_value() && *options.ttl_us < 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("point-in-time join: ttl_us is ", *options.ttl_us, "; it must be >= 0"));
  }

  // Validate the columns.
  std::vector<Column> entity_key_columns, feature_key_columns;
  for (const std::string& key : options.join_keys) {
    KEEL_ASSIGN_OR_RETURN(Column e, FindColumn(entities, "entity", "join key", key));
    KEEL_ASSIGN_OR_RETURN(Column f, FindColumn(feature_rows, "feature", "join key", key));
    if (e.type() != DataType::kInt64 && e.type() != DataType::kString) {
      return absl::InvalidArgumentError(
          absl::StrCat("join key '", key, "' is ", std::string(DataTypeName(e.type())),
                       " in the entity table; join keys must be int64 or string columns"));
    }
    if (e.type() != f.type()) {
      return absl::InvalidArgumentError(
          absl::StrCat("join key '", key, "' is ", std::string(DataTypeName(e.type())),
                       " in the entity table but ", std::string(DataTypeName(f.type())),
                       " in the feature table; convert one so both have the same type"));
    }
    entity_key_columns.push_back(std::move(e));
    feature_key_columns.push_back(std::move(f));
  }
  KEEL_ASSIGN_OR_RETURN(Column entity_time,
                        FindColumn(entities, "entity", "entity_time", options.entity_time));
  KEEL_RETURN_IF_ERROR(CheckTime(entity_time, "entity_time", options.entity_time, false));
  KEEL_ASSIGN_OR_RETURN(Column feature_time,
                        FindColumn(feature_rows, "feature", "feature_time", options.feature_time));
  KEEL_RETURN_IF_ERROR(CheckTime(feature_time, "feature_time", options.feature_time, false));
  std::optional<Column> created;
  if (!options.created_time.empty()) {
    KEEL_ASSIGN_OR_RETURN(
        created, FindColumn(feature_rows, "feature", "created_time", options.created_time));
    KEEL_RETURN_IF_ERROR(CheckTime(*created, "created_time", options.created_time, true));
  }
  std::vector<std::string> feature_names = options.features;
  if (feature_names.empty()) {
    absl::flat_hash_set<std::string> skip(options.join_keys.begin(), options.join_keys.end());
    skip.insert(options.feature_time);
    skip.insert(options.created_time);
    for (const Field& f : feature_rows.schema().fields()) {
      if (!skip.contains(f.name)) feature_names.push_back(f.name);
    }
  }
  std::vector<Field> fields = entities.schema().fields();
  std::vector<Column> feature_columns;
  for (const std::string& name : feature_names) {
    KEEL_ASSIGN_OR_RETURN(Column c, FindColumn(feature_rows, "feature", "feature", name));
    if (entities.schema().IndexOf(name) >= 0) {
      return absl::InvalidArgumentError(
          absl::StrCat("feature column '", name,
                       "' is also a column of the entity table; rename one of them, "
                       "or list the features to attach in `features` without it"));
    }
    fields.push_back({name, c.type(), true});
    feature_columns.push_back(std::move(c));
  }
  KEEL_ASSIGN_OR_RETURN(Schema schema, Schema::Make(std::move(fields)));

  const Keys entity_keys(std::move(entity_key_columns));
  const Keys feature_keys(std::move(feature_key_columns));

  const int64_t num_entities = entities.num_rows();
  const int64_t num_features = feature_rows.num_rows();
  const std::span<const int64_t> etime = entity_time.TimestampValues();
  const std::span<const int64_t> ftime = feature_time.TimestampValues();
  auto created_at = [&](int64_t row) -> int64_t {
    if (!created.has_value()) return 0;
    if (created->IsNull(row)) return INT64_MIN;
    return created->type() == DataType::kInt64 ? created->Int64Values()[row]
                                               : created->TimestampValues()[row];
  };

  // 1. Hash and partition the usable entity rows.
  const int bits = std::clamp(
      static_cast<int>(std::bit_width(static_cast<uint64_t>(num_entities / 16384))), 0, 10);
  const int num_parts = 1 << bits;
  auto part_of = [bits](uint64_t h) { return bits == 0 ? 0 : static_cast<int>(h >> (64 - bits)); };
  std::vector<uint64_t> hashes(num_entities);
  std::vector<int64_t> slot_rows(num_entities);  // partition slices, then sorted
  const std::vector<int64_t> part_begin = ScatterByPartition(
      pool, num_entities, num_parts,
      [&](int64_t row) {
        if (entity_time.IsNull(row) || entity_keys.AnyNull(row)) return -1;
        hashes[row] = entity_keys.Hash(row);
        return part_of(hashes[row]);
      },
      [&](int64_t row, int64_t position) { slot_rows[position] = row; });
  const int64_t num_slots = part_begin[num_parts];
  slot_rows.resize(num_slots);
  std::vector<Partition> parts(num_parts);
  for (int p = 0; p < num_parts; ++p) {
    parts[p].begin = part_begin[p];
    parts[p].end = part_begin[p + 1];
  }

  // 2. Group and order each partition.
  std::vector<int64_t> slot_times(num_slots);
  const KeyRefEq eq{&entity_keys, &feature_keys,
                    entity_keys.HashIsKey() && feature_keys.HashIsKey()};
  pool.ParallelFor(num_parts, 1, [&](int64_t p0, int64_t p1) {
    struct Item {
      int64_t time, row;
      bool operator<(const Item& o) const { return time != o.time ? time < o.time : row < o.row; }
    };
    std::vector<uint32_t> group;
    std::vector<Item> items;
    for (int64_t p = p0; p < p1; ++p) {
      Partition& part = parts[p];
      const int64_t n = part.end - part.begin;
      part.groups = KeyMap(0, KeyRefHash(), eq);
      group.resize(n);
      for (int64_t i = 0; i < n; ++i) {
        const int64_t row = slot_rows[part.begin + i];
        auto [it, inserted] = part.groups.try_emplace(KeyRef{row, hashes[row], true},
                                                      static_cast<uint32_t>(part.groups.size()));
        group[i] = it->second;
      }
      const size_t num_groups = part.groups.size();
      part.group_begin.assign(num_groups + 1, 0);
      for (int64_t i = 0; i < n; ++i) ++part.group_begin[group[i] + 1];
      for (size_t g = 0; g < num_groups; ++g) part.group_begin[g + 1] += part.group_begin[g];
      std::vector<int64_t> next(part.group_begin.begin(), part.group_begin.end() - 1);
      items.resize(n);
      for (int64_t i = 0; i < n; ++i) {
        const int64_t row = slot_rows[part.begin + i];
        items[next[group[i]]++] = Item{etime[row], row};
      }
      for (size_t g = 0; g < num_groups; ++g) {
        std::sort(items.begin() + part.group_begin[g], items.begin() + part.group_begin[g + 1]);
      }
      for (int64_t i = 0; i < n; ++i) {
        slot_rows[part.begin + i] = items[i].row;
        slot_times[part.begin + i] = items[i].time;
      }
    }
  });
  hashes = {};

  // 3. Offer each feature row to the first slot it can serve.
  struct Candidate {
    int64_t time = INT64_MIN, created = INT64_MIN, row = -1;
    bool operator<(const Candidate& o) const {
      if (time != o.time) return time < o.time;
      if (created != o.created) return created < o.created;
      return row < o.row;
    }
  };
  struct Offer {
    uint64_t hash;
    Candidate candidate;
  };
  std::vector<Candidate> best(num_slots);
  const int64_t block_size = std::min(num_features, options.feature_block_rows);
  std::vector<uint64_t> block_hashes(block_size);
  std::vector<Offer> offers(block_size);  // the block's rows, partition-major
  for (int64_t block = 0; block < num_features && num_slots > 0; block += block_size) {
    const int64_t block_rows = std::min(block_size, num_features - block);
    const std::vector<int64_t> offer_begin = ScatterByPartition(
        pool, block_rows, num_parts,
        [&](int64_t i) {
          const int64_t row = block + i;
          if (feature_time.IsNull(row) || feature_keys.AnyNull(row)) return -1;
          block_hashes[i] = feature_keys.Hash(row);
          return part_of(block_hashes[i]);
        },
        [&](int64_t i, int64_t position) {
          const int64_t row = block + i;
          offers[position] = Offer{block_hashes[i], {ftime[row], created_at(row), row}};
        });
    // Each partition owns its slots, so partitions update them in parallel.
    pool.ParallelFor(num_parts, 1, [&](int64_t p0, int64_t p1) {
      for (int64_t p = p0; p < p1; ++p) {
        const Partition& part = parts[p];
        for (int64_t o = offer_begin[p]; o < offer_begin[p + 1]; ++o) {
          const Offer& offer = offers[o];
          auto it = part.groups.find(KeyRef{offer.candidate.row, offer.hash, false});
          if (it == part.groups.end()) continue;  // no entity row has its keys
          const int64_t* first = slot_times.data() + part.begin + part.group_begin[it->second];
          const int64_t* last = slot_times.data() + part.begin + part.group_begin[it->second + 1];
          const int64_t t = offer.candidate.time;
          const int64_t* pos = std::lower_bound(first, last, t);
          if (pos == last) continue;  // every entity row is earlier
          if (options.ttl_us.has_value() && static_cast<uint64_t>(*pos) - static_cast<uint64_t>(t) >
                                                static_cast<uint64_t>(*options.ttl_us)) {
            continue;
          }
          Candidate& slot = best[pos - slot_times.data()];
          if (slot < offer.candidate) slot = offer.candidate;
        }
      }
    });
  }

  // 4. Carry each group's latest candidate forward over its slots.
  std::vector<int64_t> match(num_entities, -1);
  pool.ParallelFor(num_parts, 1, [&](int64_t p0, int64_t p1) {
    for (int64_t p = p0; p < p1; ++p) {
      const Partition& part = parts[p];
      for (size_t g = 0; g + 1 < part.group_begin.size(); ++g) {
        Candidate latest;
        for (int64_t s = part.begin + part.group_begin[g]; s < part.begin + part.group_begin[g + 1];
             ++s) {
          if (latest < best[s]) latest = best[s];
          if (latest.row < 0) continue;
          if (options.ttl_us.has_value() &&
              static_cast<uint64_t>(slot_times[s]) - static_cast<uint64_t>(latest.time) >
                  static_cast<uint64_t>(*options.ttl_us)) {
            continue;  // too old for this slot; a later slot may get a newer one
          }
          match[slot_rows[s]] = latest.row;
        }
      }
    }
  });

  // 5. Gather.
  std::vector<Column> columns = entities.columns();
  for (const Column& c : feature_columns) columns.push_back(GatherOrNull(c, match, pool));
  return Table::Make(std::move(schema), std::move(columns));
}

}  // namespace keel::features
