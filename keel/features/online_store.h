// The online store: the latest feature values per entity, for serving.
// One interface, two back-ends: EmbeddedOnlineStore (RocksDB in the
// workspace, the default) and RedisOnlineStore (one hash per entity).
//
// Both keep, per (feature view, entity key), the features of the newest row
// written (by event time) and that row's event time. Writes never move a
// value back in time: a row older than the stored one is skipped, so
// replaying a materialisation or a push is harmless. Reads hide a row whose
// event time is older than the view's TTL before `now_us`, exactly as the
// offline point-in-time join would for an entity row at `now_us`.
//
// A view's windowed aggregations are not stored as values: each entity's
// events are kept in a hidden store view and aggregated when read
// (aggregation_online.h); OnlineView::From lists them as `computed`.
#ifndef KEEL_FEATURES_ONLINE_STORE_H_
#define KEEL_FEATURES_ONLINE_STORE_H_

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "keel/base/status.h"
#include "keel/features/definitions.h"
#include "keel/table/table.h"

namespace keel::features {

// One feature value: null, or a value of `type` (bool, int64 and timestamp
// in `int_value`, float64 in `float_value`, string in `string_value`).
struct FeatureValue {
  DataType type = DataType::kFloat64;
  bool is_null = true;
  int64_t int_value = 0;
  double float_value = 0;
  std::string string_value;

  bool operator==(const FeatureValue&) const = default;
};

// What a store needs to know of a feature view.
struct OnlineView {
  std::string name;
  std::vector<TypedName> join_keys;  // in FeatureDefinitions::JoinKeys order
  std::vector<TypedName> features;   // the stored features
  std::optional<int64_t> ttl_us;     // nullopt: values never expire
  // Features of the view that are not stored but computed when read: its
  // windowed aggregations (ReadAggregatedFeatures in aggregation_online.h).
  // Resolve refuses them with a message that says so.
  std::vector<std::string> computed;

  // The view's plain features as `features`, its aggregated ones as
  // `computed`.
  static OnlineView From(const FeatureDefinitions& definitions, const FeatureView& view);
  // Index of feature `name`, or -1.
  int FeatureIndex(std::string_view name) const;
  // The features named `names`, in that order. Errors: InvalidArgument for
  // a name that is not a feature of the view (did-you-mean, the features).
  StatusOr<std::vector<TypedName>> Resolve(std::span<const std::string> names) const;
};

// The values of one entity's row of one view, as read back.
struct OnlineRow {
  bool found = false;                // false: no row, or it expired (values all null)
  bool expired = false;              // a row exists but is older than the view's TTL
  int64_t event_time = 0;            // of the stored row, when found
  std::vector<FeatureValue> values;  // one per requested feature
};

// Rows to write into one view: row i has entity key keys[i] (EncodeEntityKey),
// event time event_times[i], and feature values in the columns of `values`
// named like the view's features (columns of other names are ignored; a
// feature without a column is written as null).
struct OnlineWriteBatch {
  std::span<const std::string> keys;
  std::span<const int64_t> event_times;
  const Table* values = nullptr;
};

// Implementations are thread-safe: Read and Write may be called at once
// from several threads.
class OnlineStore {
 public:
  virtual ~OnlineStore() = default;

  // "embedded" or "redis".
  virtual std::string_view kind() const = 0;

  // Writes the batch's rows, each unless the store already holds a row of
  // that view and key with a later event time (equal times: the later write
  // wins). Rows of the batch may repeat a key; the last wins as above.
  // Returns how many rows were stored. Errors: InvalidArgument when the
  // columns do not match the view's types or the spans differ in length;
  // Unavailable / Internal from the back-end (nothing is half-written for
  // one entity; earlier entities of the batch may be stored).
  virtual StatusOr<int64_t> Write(const OnlineView& view, const OnlineWriteBatch& batch) = 0;

  // For each key, the values of `features` (names of the view's features;
  // InvalidArgument for another name). A key with no row, or whose row is
  // older than the view's TTL before `now_us`, gives found = false.
  // `out` is resized to keys.size().
  virtual Status Read(const OnlineView& view, std::span<const std::string> keys,
                      std::span<const std::string> features, int64_t now_us,
                      std::vector<OnlineRow>* out) = 0;
};

// The entity key of row `row`: the join key columns (in `join_keys` order,
// looked up by name in `table`) encoded as "name=value|name=value", with
// '%', '|' and '=' in string values percent-encoded. Int64 and string join
// keys only. Errors: InvalidArgument for a missing or mistyped column, or a
// null key (naming the column and row).
StatusOr<std::vector<std::string>> EncodeEntityKeys(const Table& table,
                                                    std::span<const TypedName> join_keys);
// One key from text values given in join key order (as from a request).
std::string EncodeEntityKey(std::span<const TypedName> join_keys,
                            std::span<const std::string> values);

// Compact binary encoding of one stored row, for back-ends that keep a row
// as one value: event time, then (name, type, value) per feature.
// Self-describing, so a view that gains or loses features still reads old
// rows (a feature missing from the row reads as null). Appends to `out` the
// row `row` of `columns` (one per feature, of its declared type; nullptr
// writes a null).
void AppendEncodedRow(int64_t event_time, std::span<const TypedName> features,
                      std::span<const Column* const> columns, int64_t row, std::string* out);
// The column of `batch.values` for each feature of `view` (nullptr where the
// table has none). Errors: InvalidArgument when the spans and the table
// differ in length, or a column has another type than its feature (naming
// the view, feature, expected and found types).
StatusOr<std::vector<const Column*>> BatchColumns(const OnlineView& view,
                                                  const OnlineWriteBatch& batch);

// Decodes `bytes` into `row` (found = true, its event time, one value per
// entry of `wanted`, looked up by name; a stored value of another type than
// the wanted one reads as null). Errors: DataLoss for bytes that are not an
// encoded row.
Status DecodeRow(std::string_view bytes, std::span<const TypedName> wanted, OnlineRow* row);
// Only the event time of an encoded row. DataLoss when corrupt.
StatusOr<int64_t> DecodeRowTime(std::string_view bytes);

// The value of column `column` at `row` (null when the column is null there).
FeatureValue ValueAt(const Column& column, int64_t row);
// The inverse: appends `v` (or a null) to `builder`, whose type must be v.type.
void AppendFeatureValue(const FeatureValue& v, ColumnBuilder* builder);

// `rows` with an all-null column for each of `columns` it lacks (appended
// in that order; a column it has is kept as it is): pushed rows may leave
// out what a source table has.
StatusOr<Table> WithNullColumns(const Table& rows, std::span<const TypedName> columns);

}  // namespace keel::features

#endif  // KEEL_FEATURES_ONLINE_STORE_H_
