// Windowed aggregations offline: each function and the window's bounds by
// hand, the event-log helpers and encoding, then GetHistoricalFeatures
// against a direct computation in pandas on generated data (ties, nulls,
// unsorted rows, unknown entities, null keys and times).
#include "keel/features/aggregation.h"

#include <cmath>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "keel/base/testing/python.h"
#include "keel/features/historical.h"
#include "keel/table/column.h"
#include "nlohmann/json.hpp"

namespace keel::features {
namespace {

using ::testing::HasSubstr;
using json = nlohmann::json;

constexpr int64_t kHour = 3'600'000'000LL;

constexpr char kDefs[] = R"(entities:
  - {name: user, join_keys: [{name: user_id, type: int64}]}
sources:
  - {name: src, dataset: d, timestamp_field: at, created_timestamp_field: created}
feature_views:
  - name: w
    entities: [user]
    source: src
    aggregations:
      - {column: amount, type: float64, function: sum, windows: [1h, 1d]}
      - {column: amount, type: float64, function: mean, windows: [1d]}
      - {column: amount, type: float64, function: count, windows: [1h, 1d]}
      - {column: amount, type: float64, function: min, windows: [1d]}
      - {column: amount, type: float64, function: max, windows: [1d]}
      - {column: amount, type: float64, function: last, windows: [1h, 1d]}
      - {column: tag, type: string, function: last, windows: [1d]}
      - {column: tag, type: string, function: min, windows: [1d]}
      - {column: tag, type: string, function: max, windows: [1h]}
      - {column: qty, type: int64, function: sum, windows: [2h]}
      - {column: qty, type: int64, function: mean, windows: [1d]}
      - {column: qty, type: int64, function: min, windows: [1d]}
      - {column: qty, type: int64, function: last, windows: [2h]}
services:
  - {name: s, features: ["w:*"]}
)";

FeatureValue Int(int64_t v) { return {.type = DataType::kInt64, .is_null = false, .int_value = v}; }
FeatureValue Float(double v) {
  return {.type = DataType::kFloat64, .is_null = false, .float_value = v};
}
FeatureValue Str(std::string v) {
  return {.type = DataType::kString, .is_null = false, .string_value = std::move(v)};
}
FeatureValue Null(DataType t) { return {.type = t}; }

// A log of (time, created, amount, tag, qty) events, sorted as given.
struct Ev {
  int64_t time;
  int64_t created;
  std::optional<double> amount;
  std::optional<std::string> tag;
  std::optional<int64_t> qty;
};

class AggregationTest : public ::testing::Test {
 protected:
  void SetUp() override {
    defs_ = *FeatureDefinitions::Parse(kDefs, "f.yaml");
    view_ = defs_.FindView("w");
    columns_ = AggregatedColumns(*view_);
  }
  EventLog Log(const std::vector<Ev>& events) const {
    ColumnBuilder amount(DataType::kFloat64), tag(DataType::kString), qty(DataType::kInt64);
    for (const Ev& e : events) {
      e.amount ? amount.AppendFloat64(*e.amount) : amount.AppendNull();
      e.tag ? tag.AppendString(*e.tag) : tag.AppendNull();
      e.qty ? qty.AppendInt64(*e.qty) : qty.AppendNull();
    }
    const Column a = amount.Finish(), t = tag.Finish(), q = qty.Finish();
    const std::vector<const Column*> values = {&a, &t, &q};
    EventLog log = MakeEventLog(columns_);
    for (size_t i = 0; i < events.size(); ++i) {
      AppendEvent(events[i].time, events[i].created, values, static_cast<int64_t>(i), &log);
    }
    return log;
  }
  FeatureValue At(const EventLog& log, const std::string& feature, int64_t t) const {
    const Aggregation* a = view_->FindAggregation(feature);
    EXPECT_NE(a, nullptr) << feature;
    return ComputeAggregate(log, log.ColumnIndex(a->column), *a, t);
  }

  FeatureDefinitions defs_;
  const FeatureView* view_ = nullptr;
  std::vector<TypedName> columns_;
};

TEST_F(AggregationTest, DefinitionsYieldTypedFeaturesInOrder) {
  ASSERT_EQ(view_->aggregations.size(), 16u);
  EXPECT_EQ(view_->features[0].name, "amount_sum_1h");
  EXPECT_EQ(view_->features[0].type, DataType::kFloat64);
  EXPECT_EQ(view_->FindAggregation("amount_count_1d")->type, DataType::kInt64);
  EXPECT_EQ(view_->FindAggregation("tag_last_1d")->type, DataType::kString);
  EXPECT_EQ(view_->FindAggregation("qty_mean_1d")->type, DataType::kFloat64);
  EXPECT_EQ(view_->FindAggregation("qty_min_1d")->type, DataType::kInt64);
  EXPECT_EQ(view_->MaxWindowUs(), 24 * kHour);
  ASSERT_EQ(columns_.size(), 3u);
  EXPECT_EQ(columns_[1].name, "tag");
}

TEST_F(AggregationTest, WindowIsStartExclusiveEndInclusive) {
  const EventLog log = Log({{0, kNoCreated, 1.0, "a", 1},
                            {kHour, kNoCreated, 2.0, "b", 2},
                            {kHour + 1, kNoCreated, 4.0, "c", 4}});
  EXPECT_EQ(At(log, "amount_sum_1h", kHour), Float(2.0));  // (0, 1h]: 0 is out, 1h in
  EXPECT_EQ(At(log, "amount_count_1h", kHour), Int(1));
  EXPECT_EQ(At(log, "amount_count_1h", kHour - 1), Int(1));  // (-1, 1h-1]: the event at 0
  EXPECT_EQ(At(log, "amount_count_1h", 2 * kHour), Int(1));  // (1h, 2h]: 1h is out
  EXPECT_EQ(At(log, "amount_count_1h", 2 * kHour + 1), Int(0));
  EXPECT_EQ(At(log, "amount_sum_1h", 2 * kHour + 1), Null(DataType::kFloat64));
  EXPECT_EQ(At(log, "amount_count_1d", -1), Int(0));  // before every event
}

TEST_F(AggregationTest, EachFunctionSkipsNulls) {
  const EventLog log = Log({{10, kNoCreated, 3.0, "m", 5},
                            {20, 1, std::nullopt, "b", std::nullopt},
                            {20, 2, -1.5, std::nullopt, -7},
                            {30, kNoCreated, std::nullopt, std::nullopt, std::nullopt}});
  EXPECT_EQ(At(log, "amount_sum_1d", 30), Float(1.5));
  EXPECT_EQ(At(log, "amount_mean_1d", 30), Float(0.75));
  EXPECT_EQ(At(log, "amount_count_1d", 30), Int(2));
  EXPECT_EQ(At(log, "amount_min_1d", 30), Float(-1.5));
  EXPECT_EQ(At(log, "amount_max_1d", 30), Float(3.0));
  EXPECT_EQ(At(log, "amount_last_1d", 30), Float(-1.5));  // the last non-null value
  EXPECT_EQ(At(log, "tag_last_1d", 30), Str("b"));
  EXPECT_EQ(At(log, "tag_min_1d", 30), Str("b"));
  EXPECT_EQ(At(log, "tag_max_1h", 30), Str("m"));
  EXPECT_EQ(At(log, "qty_sum_2h", 30), Float(-2.0));
  EXPECT_EQ(At(log, "qty_mean_1d", 30), Float(-1.0));
  EXPECT_EQ(At(log, "qty_min_1d", 30), Int(-7));
  EXPECT_EQ(At(log, "qty_last_2h", 30), Int(-7));
  EXPECT_EQ(At(log, "qty_last_2h", 15), Int(5));
}

TEST_F(AggregationTest, FloatSumsAddInLogOrder) {
  // 1e16 + 1 + 1 - 1e16 in this order is 0 in float64 (each 1 is lost);
  // reordered it is 2: the order of the log is the order of addition.
  const EventLog log = Log({{1, kNoCreated, 1e16, {}, {}},
                            {2, kNoCreated, 1.0, {}, {}},
                            {3, kNoCreated, 1.0, {}, {}},
                            {4, kNoCreated, -1e16, {}, {}}});
  EXPECT_EQ(At(log, "amount_sum_1d", 4), Float(0.0));
  const EventLog other = Log({{1, kNoCreated, 1e16, {}, {}},
                              {2, kNoCreated, -1e16, {}, {}},
                              {3, kNoCreated, 1.0, {}, {}},
                              {4, kNoCreated, 1.0, {}, {}}});
  EXPECT_EQ(At(other, "amount_sum_1d", 4), Float(2.0));
  // int64 columns add exactly, then round once.
  const EventLog ints = Log({{1, kNoCreated, {}, {}, int64_t{1} << 60},
                             {2, kNoCreated, {}, {}, 1},
                             {3, kNoCreated, {}, {}, -(int64_t{1} << 60)}});
  EXPECT_EQ(At(ints, "qty_sum_2h", 3), Float(1.0));
}

TEST_F(AggregationTest, SortMergeAndDropKeepArrivalOrderAtTies) {
  EventLog log = Log({{5, 1, 1.0, "x", {}},
                      {3, kNoCreated, 2.0, "y", {}},
                      {5, 1, 3.0, "z", {}},
                      {5, 0, 4.0, "w", {}}});
  SortEvents(&log);
  EXPECT_EQ(log.times, (std::vector<int64_t>{3, 5, 5, 5}));
  EXPECT_EQ(log.columns[1].strings, (std::vector<std::string>{"y", "w", "x", "z"}));
  const EventLog later = Log({{5, 1, 5.0, "later", {}}, {4, kNoCreated, 6.0, "four", {}}});
  EventLog sorted_later = later;
  SortEvents(&sorted_later);
  EventLog merged = MergeEvents(log, sorted_later);
  EXPECT_EQ(merged.columns[1].strings,
            (std::vector<std::string>{"y", "four", "w", "x", "z", "later"}));
  EXPECT_EQ(At(merged, "tag_last_1d", 5), Str("later"));
  DropEventsThrough(4, &merged);
  EXPECT_EQ(merged.times, (std::vector<int64_t>{5, 5, 5, 5}));
  EXPECT_EQ(merged.columns[0].floats, (std::vector<double>{4.0, 1.0, 3.0, 5.0}));
}

TEST_F(AggregationTest, EncodingRoundTripsAndToleratesChangedColumns) {
  const EventLog log = Log({{1, kNoCreated, 0.1, "a|b", 1},
                            {2, 7, std::nullopt, "", -2},
                            {2, 8, -0.0, std::nullopt, std::nullopt}});
  std::string bytes;
  EncodeEventLog(log, &bytes);
  StatusOr<EventLog> back = DecodeEventLog(bytes, columns_);
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(back->times, log.times);
  EXPECT_EQ(back->created, log.created);
  for (size_t c = 0; c < columns_.size(); ++c) {
    EXPECT_EQ(back->columns[c].valid, log.columns[c].valid);
    EXPECT_EQ(back->columns[c].ints, log.columns[c].ints);
    EXPECT_EQ(back->columns[c].strings, log.columns[c].strings);
    ASSERT_EQ(back->columns[c].floats.size(), log.columns[c].floats.size());
    for (size_t i = 0; i < log.columns[c].floats.size(); ++i) {
      EXPECT_EQ(std::signbit(back->columns[c].floats[i]), std::signbit(log.columns[c].floats[i]));
      EXPECT_EQ(back->columns[c].floats[i], log.columns[c].floats[i]);
    }
  }
  // A column now declared with another type, and one not stored: nulls.
  const std::vector<TypedName> changed = {{.name = "qty", .type = DataType::kFloat64},
                                          {.name = "new", .type = DataType::kString},
                                          {.name = "tag", .type = DataType::kString}};
  StatusOr<EventLog> other = DecodeEventLog(bytes, changed);
  ASSERT_TRUE(other.ok()) << other.status();
  EXPECT_EQ(other->columns[0].valid, (std::vector<uint8_t>{0, 0, 0}));
  EXPECT_EQ(other->columns[1].valid, (std::vector<uint8_t>{0, 0, 0}));
  EXPECT_EQ(other->columns[2].strings, (std::vector<std::string>{"a|b", "", ""}));
  EXPECT_EQ(back->ids, (std::vector<std::string>{"", "", ""}));
  EXPECT_EQ(static_cast<uint8_t>(bytes[0]), 0xE1);  // no ids: version 1, as before ids

  // Event ids (stream messages) round-trip; a log with some is version 2.
  EventLog with_ids = log;
  with_ids.ids = {"events/1-0", "", "events/2-0"};
  std::string id_bytes;
  EncodeEventLog(with_ids, &id_bytes);
  EXPECT_EQ(static_cast<uint8_t>(id_bytes[0]), 0xE2);
  StatusOr<EventLog> back_ids = DecodeEventLog(id_bytes, columns_);
  ASSERT_TRUE(back_ids.ok()) << back_ids.status();
  EXPECT_EQ(back_ids->ids, with_ids.ids);
  EXPECT_EQ(back_ids->times, log.times);
  EXPECT_EQ(back_ids->columns[1].strings, log.columns[1].strings);
  EXPECT_EQ(DecodeEventLog(id_bytes.substr(0, 60), columns_).status().code(),
            absl::StatusCode::kDataLoss);

  // Corrupt bytes.
  EXPECT_EQ(DecodeEventLog(bytes.substr(0, bytes.size() - 1), columns_).status().code(),
            absl::StatusCode::kDataLoss);
  EXPECT_EQ(DecodeEventLog("x", columns_).status().code(), absl::StatusCode::kDataLoss);
  EXPECT_EQ(DecodeEventLog(bytes + "x", columns_).status().code(), absl::StatusCode::kDataLoss);
}

TEST_F(AggregationTest, HistoricalNullKeysTimesAndMissingColumns) {
  ColumnBuilder user(DataType::kInt64), at(DataType::kTimestamp), created(DataType::kInt64),
      amount(DataType::kFloat64), tag(DataType::kString), qty(DataType::kInt64);
  user.AppendInt64(1);
  at.AppendTimestamp(10);
  created.AppendNull();
  amount.AppendFloat64(2.0);
  tag.AppendString("t");
  qty.AppendInt64(3);
  const Table source = *Table::Make(
      {"user_id", "at", "created", "amount", "tag", "qty"},
      {user.Finish(), at.Finish(), created.Finish(), amount.Finish(), tag.Finish(), qty.Finish()});
  ColumnBuilder e_user(DataType::kInt64), e_at(DataType::kTimestamp);
  e_user.AppendInt64(1);
  e_at.AppendTimestamp(10);
  e_user.AppendNull();
  e_at.AppendTimestamp(10);
  e_user.AppendInt64(1);
  e_at.AppendNull();
  e_user.AppendInt64(2);
  e_at.AppendTimestamp(10);
  const Table entities = *Table::Make({"user_id", "ts"}, {e_user.Finish(), e_at.Finish()});
  StatusOr<Table> out =
      GetHistoricalFeatures(defs_, "s", entities, "ts", [&](const Source&) { return source; });
  ASSERT_TRUE(out.ok()) << out.status();
  const Column count = *out->ColumnByName("w__amount_count_1h");
  EXPECT_EQ(ValueAt(count, 0), Int(1));
  EXPECT_TRUE(count.IsNull(1));          // a null key: nothing to compute
  EXPECT_TRUE(count.IsNull(2));          // a null time
  EXPECT_EQ(ValueAt(count, 3), Int(0));  // an entity without events
  EXPECT_TRUE(out->ColumnByName("w__amount_sum_1h")->IsNull(3));

  const Table no_qty = *source.SelectColumns({"user_id", "at", "created", "amount", "tag"});
  out = GetHistoricalFeatures(defs_, "s", entities, "ts", [&](const Source&) { return no_qty; });
  EXPECT_THAT(out.status().message(),
              HasSubstr("have no column 'qty' (aggregated column declared at f.yaml:"));
  std::vector<std::string> bad = {"amount_sum_2h"};
  EXPECT_THAT(
      ComputeHistoricalAggregates(defs_, *view_, entities, "ts", source, bad).status().message(),
      HasSubstr("has no aggregated feature 'amount_sum_2h'. Did you mean"));
}

// The reference: for each entity row, the rows of its entity with
// ts in (at - window, at], sorted by (ts, created, position), then each
// function over the non-null values with pandas.
constexpr char kPandasScript[] = R"py(
import json, sys
import pandas as pd
d = json.load(sys.stdin)
src = pd.DataFrame(d["source"])
src["pos"] = range(len(src))
src["created_key"] = [(-2**63 if c is None else c) for c in d["source"]["created"]]
src = src.sort_values(["ts", "created_key", "pos"], kind="stable")
groups = {k: g for k, g in src.groupby("user_id")}
out = []
for user, at in zip(d["entities"]["user_id"], d["entities"]["ts"]):
    row = []
    for a in d["aggregations"]:
        if user is None or at is None:
            row.append(None)
            continue
        g = groups.get(user)
        values = pd.Series([], dtype=object)
        if g is not None:
            values = g[(g["ts"] > at - a["window"]) & (g["ts"] <= at)][a["column"]].dropna()
        f = a["function"]
        if f == "count":
            row.append(int(len(values)))
        elif len(values) == 0:
            row.append(None)
        elif f == "sum":
            row.append(float(values.astype("float64").sum()))
        elif f == "mean":
            row.append(float(values.astype("float64").mean()))
        elif f == "min":
            v = values.min()
            row.append(v if isinstance(v, str) else float(v))
        elif f == "max":
            v = values.max()
            row.append(v if isinstance(v, str) else float(v))
        else:
            v = values.iloc[-1]
            row.append(v if isinstance(v, str) else float(v))
    out.append(row)
print(json.dumps(out))
)py";

TEST_F(AggregationTest, HistoricalMatchesPandas) {
  ASSERT_TRUE(keel::testing::HavePythonModule("pandas"))
      << "python3-pandas is needed (scripts/install-deps.sh installs it)";
  std::mt19937 rng(42);
  const int kRows = 1500, kEntities = 600, kUsers = 25;
  const char* tags[] = {"a", "b", "c", "bb"};
  ColumnBuilder user(DataType::kInt64), at(DataType::kTimestamp), created(DataType::kInt64),
      amount(DataType::kFloat64), tag(DataType::kString), qty(DataType::kInt64);
  json src = {{"user_id", json::array()}, {"ts", json::array()},  {"created", json::array()},
              {"amount", json::array()},  {"tag", json::array()}, {"qty", json::array()}};
  for (int i = 0; i < kRows; ++i) {
    const int64_t u = static_cast<int64_t>(rng() % kUsers);
    // Times on a 10-minute grid over 3 days: exact ties and exact window edges.
    const int64_t t = static_cast<int64_t>(rng() % 432) * (kHour / 6);
    user.AppendInt64(u);
    at.AppendTimestamp(t);
    src["user_id"].push_back(u);
    src["ts"].push_back(t);
    if (rng() % 5 == 0) {
      created.AppendNull();
      src["created"].push_back(nullptr);
    } else {
      const int64_t c = static_cast<int64_t>(rng() % 3);
      created.AppendInt64(c);
      src["created"].push_back(c);
    }
    if (rng() % 8 == 0) {
      amount.AppendNull();
      src["amount"].push_back(nullptr);
    } else {
      const double a = static_cast<double>(rng() % 1000000) / 1000.0 + 0.001;
      amount.AppendFloat64(a);
      src["amount"].push_back(a);
    }
    if (rng() % 8 == 0) {
      tag.AppendNull();
      src["tag"].push_back(nullptr);
    } else {
      const char* t = tags[rng() % 4];
      tag.AppendString(t);
      src["tag"].push_back(t);
    }
    if (rng() % 8 == 0) {
      qty.AppendNull();
      src["qty"].push_back(nullptr);
    } else {
      const int64_t q = static_cast<int64_t>(rng() % 1000) - 300;
      qty.AppendInt64(q);
      src["qty"].push_back(q);
    }
  }
  const Table source = *Table::Make(
      {"user_id", "at", "created", "amount", "tag", "qty"},
      {user.Finish(), at.Finish(), created.Finish(), amount.Finish(), tag.Finish(), qty.Finish()});

  ColumnBuilder e_user(DataType::kInt64), e_at(DataType::kTimestamp);
  json ents = {{"user_id", json::array()}, {"ts", json::array()}};
  for (int i = 0; i < kEntities; ++i) {
    const bool null_key = rng() % 50 == 0, null_time = rng() % 50 == 0;
    const int64_t u = static_cast<int64_t>(rng() % (kUsers + 5));  // some unknown
    // On the grid (windows ending on events, starting on others) or between.
    const int64_t t = static_cast<int64_t>(rng() % 460) * (kHour / 6) - kHour +
                      (rng() % 2 == 0 ? 0 : static_cast<int64_t>(rng() % 600'000'000));
    null_key ? e_user.AppendNull() : e_user.AppendInt64(u);
    null_time ? e_at.AppendNull() : e_at.AppendTimestamp(t);
    ents["user_id"].push_back(null_key ? json(nullptr) : json(u));
    ents["ts"].push_back(null_time ? json(nullptr) : json(t));
  }
  const Table entities = *Table::Make({"user_id", "ts"}, {e_user.Finish(), e_at.Finish()});
  StatusOr<Table> out =
      GetHistoricalFeatures(defs_, "s", entities, "ts", [&](const Source&) { return source; });
  ASSERT_TRUE(out.ok()) << out.status();

  json input = {{"source", src}, {"entities", ents}, {"aggregations", json::array()}};
  for (const Aggregation& a : view_->aggregations) {
    input["aggregations"].push_back({{"column", a.column},
                                     {"function", std::string(AggregationFunctionName(a.function))},
                                     {"window", a.window_us}});
  }
  StatusOr<json> expected = keel::testing::RunPythonJson(kPandasScript, input);
  ASSERT_TRUE(expected.ok()) << expected.status();
  ASSERT_EQ(expected->size(), static_cast<size_t>(kEntities));
  int64_t non_null = 0;
  int64_t non_zero_counts = 0;
  for (size_t f = 0; f < view_->aggregations.size(); ++f) {
    const Aggregation& a = view_->aggregations[f];
    const Column got = *out->ColumnByName(FeatureColumnName("w", a.name));
    for (int r = 0; r < kEntities; ++r) {
      const json& want = (*expected)[r][f];
      const std::string where = absl::StrCat(a.name, " row ", r);
      ASSERT_EQ(got.IsNull(r), want.is_null()) << where << " want " << want.dump();
      if (want.is_null()) continue;
      ++non_null;
      switch (a.type) {
        case DataType::kInt64:
          ASSERT_EQ(got.Int64Values()[r], want.get<double>()) << where;
          if (a.function == AggregationFunction::kCount) non_zero_counts += want.get<int64_t>() > 0;
          break;
        case DataType::kFloat64: {
          const double g = got.Float64Values()[r], w = want.get<double>();
          ASSERT_LE(std::abs(g - w), 1e-12 * std::max(1.0, std::abs(w))) << where;
          break;
        }
        case DataType::kString:
          ASSERT_EQ(std::string(got.StringAt(r)), want.get<std::string>()) << where;
          break;
        default:
          FAIL() << where;
      }
    }
  }
  // The data must exercise both outcomes.
  EXPECT_GT(non_zero_counts, kEntities / 2);
  EXPECT_LT(non_null, static_cast<int64_t>(kEntities * view_->aggregations.size()));
}

}  // namespace
}  // namespace keel::features
