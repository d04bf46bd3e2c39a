// PointInTimeJoin: hand-written cases for each rule, then row-for-row
// agreement with pandas merge_asof(direction="backward") on generated data
// (needs /usr/bin/python3 with pandas).
#include "keel/features/point_in_time.h"

#include <optional>
#include <random>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "keel/base/testing/python.h"
#include "nlohmann/json.hpp"

namespace keel::features {
namespace {

using ::testing::HasSubstr;
using Ints = std::vector<std::optional<int64_t>>;
using Strs = std::vector<std::optional<std::string>>;

Column IntColumn(const Ints& v, DataType type = DataType::kInt64) {
  ColumnBuilder b(type);
  for (const auto& x : v) {
    if (!x) {
      b.AppendNull();
    } else if (type == DataType::kInt64) {
      b.AppendInt64(*x);
    } else {
      b.AppendTimestamp(*x);
    }
  }
  return b.Finish();
}
Column TimeColumn(const Ints& v) { return IntColumn(v, DataType::kTimestamp); }
Column StrColumn(const Strs& v) {
  ColumnBuilder b(DataType::kString);
  for (const auto& x : v) x ? b.AppendString(*x) : b.AppendNull();
  return b.Finish();
}

// Column `name` of `t` as optional ints (int64 or timestamp).
Ints IntsOf(const Table& t, const std::string& name) {
  Column c = *t.ColumnByName(name);
  Ints out;
  for (int64_t i = 0; i < c.length(); ++i) {
    if (c.IsNull(i)) {
      out.push_back(std::nullopt);
    } else {
      out.push_back(c.type() == DataType::kInt64 ? c.Int64Values()[i] : c.TimestampValues()[i]);
    }
  }
  return out;
}

PointInTimeOptions Options(std::optional<int64_t> ttl = std::nullopt) {
  PointInTimeOptions o;
  o.join_keys = {"user"};
  o.entity_time = "at";
  o.feature_time = "ts";
  o.ttl_us = ttl;
  return o;
}

// Entities: user, at (unsorted). Features: user, ts, created, v (v = row).
Table Entities(const Ints& users, const Ints& at) {
  return *Table::Make({"user", "at"}, {IntColumn(users), TimeColumn(at)});
}
Table Features(const Ints& users, const Ints& ts, const Ints& created) {
  Ints v;
  for (size_t i = 0; i < users.size(); ++i) v.push_back(static_cast<int64_t>(i) * 10);
  return *Table::Make({"user", "ts", "created", "v"},
                      {IntColumn(users), TimeColumn(ts), TimeColumn(created), IntColumn(v)});
}

TEST(PointInTimeJoinTest, LatestAtOrBeforeInInputOrder) {
  // user 1 has rows at 10 and 20; user 2 at 5. Entities unsorted.
  Table f = Features({1, 2, 1}, {20, 5, 10}, {0, 0, 0});
  Table e = Entities({1, 1, 2, 1, 3}, {25, 15, 100, 20, 50});
  PointInTimeOptions o = Options();
  o.created_time = "created";
  StatusOr<Table> out = PointInTimeJoin(e, f, o);
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_EQ(out->schema().names(), (std::vector<std::string>{"user", "at", "v"}));
  EXPECT_EQ(IntsOf(*out, "user"), (Ints{1, 1, 2, 1, 3}));
  EXPECT_EQ(IntsOf(*out, "at"), (Ints{25, 15, 100, 20, 50}));
  // 20 matches exactly (allow_exact_matches); user 3 is unknown.
  EXPECT_EQ(IntsOf(*out, "v"), (Ints{0, 20, 10, 0, std::nullopt}));
}

TEST(PointInTimeJoinTest, EntityBeforeAnyFeatureRowIsNull) {
  Table f = Features({1, 1}, {10, 20}, {0, 0});
  Table e = Entities({1, 1}, {9, 10});
  StatusOr<Table> out = PointInTimeJoin(e, f, Options());
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_EQ(IntsOf(*out, "v"), (Ints{std::nullopt, 0}));
}

TEST(PointInTimeJoinTest, ExactTimeTiesLaterCreatedWins) {
  // Three rows at ts 10: created 5, 7, 6 -> row 1 (v 10) wins.
  Table f = Features({1, 1, 1}, {10, 10, 10}, {5, 7, 6});
  Table e = Entities({1}, {10});
  PointInTimeOptions o = Options();
  o.created_time = "created";
  StatusOr<Table> out = PointInTimeJoin(e, f, o);
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_EQ(IntsOf(*out, "v"), (Ints{10}));
  // created is a feature column unless named as created_time.
  EXPECT_EQ(out->num_columns(), 3);
}

TEST(PointInTimeJoinTest, ExactTiesWithEqualCreatedLaterRowWins) {
  Table f = Features({1, 1, 1, 1}, {10, 10, 10, 9}, {7, 7, 3, 9});
  Table e = Entities({1}, {12});
  PointInTimeOptions o = Options();
  o.created_time = "created";
  StatusOr<Table> with_created = PointInTimeJoin(e, f, o);
  ASSERT_TRUE(with_created.ok()) << with_created.status();
  EXPECT_EQ(IntsOf(*with_created, "v"), (Ints{10}));  // rows 0 and 1 tie: row 1
  o.created_time = "";
  o.features = {"v"};
  StatusOr<Table> without = PointInTimeJoin(e, f, o);
  ASSERT_TRUE(without.ok()) << without.status();
  EXPECT_EQ(IntsOf(*without, "v"), (Ints{20}));  // last of the three at ts 10
}

TEST(PointInTimeJoinTest, TtlBoundaryIsInclusive) {
  Table f = Features({1}, {1000}, {0});
  Table e = Entities({1, 1, 1}, {1100, 1101, 1000});
  StatusOr<Table> out = PointInTimeJoin(e, f, Options(100));
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_EQ(IntsOf(*out, "v"), (Ints{0, std::nullopt, 0}));
  StatusOr<Table> zero = PointInTimeJoin(e, f, Options(0));
  ASSERT_TRUE(zero.ok()) << zero.status();
  EXPECT_EQ(IntsOf(*zero, "v"), (Ints{std::nullopt, std::nullopt, 0}));
}

TEST(PointInTimeJoinTest, LatestRowOutsideTtlGivesNullEvenIfOlderExist) {
  Table f = Features({1, 1}, {0, 500}, {0, 0});
  Table e = Entities({1}, {700});
  StatusOr<Table> out = PointInTimeJoin(e, f, Options(100));
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_EQ(IntsOf(*out, "v"), (Ints{std::nullopt}));
}

TEST(PointInTimeJoinTest, NullKeysAndTimes) {
  Table f = Features({std::nullopt, 1, 1}, {5, std::nullopt, 1}, {0, 0, 0});
  Table e = Entities({std::nullopt, 1, 1}, {10, std::nullopt, 10});
  StatusOr<Table> out = PointInTimeJoin(e, f, Options());
  ASSERT_TRUE(out.ok()) << out.status();
  // Feature rows with a null key or time are never used: row 2 (v 20).
  EXPECT_EQ(IntsOf(*out, "v"), (Ints{std::nullopt, std::nullopt, 20}));
}

TEST(PointInTimeJoinTest, TwoJoinKeysIntAndString) {
  Table f =
      *Table::Make({"user", "shop", "ts", "spend"},
                   {IntColumn({1, 1, 2, 1}), StrColumn({"a", "b", "a", "a"}),
                    TimeColumn({10, 10, 10, 20}), StrColumn({"1a@10", "1b@10", "2a@10", "1a@20"})});
  Table e = *Table::Make({"user", "shop", "at"},
                         {IntColumn({1, 1, 2, 2, 1}), StrColumn({"b", "a", "a", "b", "a"}),
                          TimeColumn({30, 15, 10, 30, 30})});
  PointInTimeOptions o = Options();
  o.join_keys = {"user", "shop"};
  StatusOr<Table> out = PointInTimeJoin(e, f, o);
  ASSERT_TRUE(out.ok()) << out.status();
  Column spend = *out->ColumnByName("spend");
  EXPECT_EQ(spend.ValueToString(0), "1b@10");
  EXPECT_EQ(spend.ValueToString(1), "1a@10");
  EXPECT_EQ(spend.ValueToString(2), "2a@10");
  EXPECT_TRUE(spend.IsNull(3));
  EXPECT_EQ(spend.ValueToString(4), "1a@20");
}

TEST(PointInTimeJoinTest, EmptyTables) {
  Table f = Features({}, {}, {});
  Table e = Entities({1, 2}, {1, 2});
  StatusOr<Table> out = PointInTimeJoin(e, f, Options());
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_EQ(IntsOf(*out, "v"), (Ints{std::nullopt, std::nullopt}));
  StatusOr<Table> none = PointInTimeJoin(Entities({}, {}), Features({1}, {1}, {1}), Options());
  ASSERT_TRUE(none.ok()) << none.status();
  EXPECT_EQ(none->num_rows(), 0);
}

TEST(PointInTimeJoinTest, Errors) {
  Table f = Features({1}, {1}, {1});
  Table e = Entities({1}, {1});
  PointInTimeOptions o = Options();
  o.join_keys = {"usr"};
  Status s = PointInTimeJoin(e, f, o).status();
  EXPECT_EQ(s.code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(std::string(s.message()), HasSubstr("Did you mean 'user'"));

  o = Options();
  o.entity_time = "user";
  s = PointInTimeJoin(e, f, o).status();
  EXPECT_THAT(std::string(s.message()), HasSubstr("entity_time 'user' is int64"));

  o = Options();
  o.feature_time = "tss";
  s = PointInTimeJoin(e, f, o).status();
  EXPECT_THAT(std::string(s.message()), HasSubstr("Did you mean 'ts'"));

  Table es = *Table::Make({"user", "at"}, {StrColumn({"1"}), TimeColumn({1})});
  s = PointInTimeJoin(es, f, Options()).status();
  EXPECT_THAT(std::string(s.message()),
              HasSubstr("string in the entity table but int64 in the feature table"));

  Table ev = *Table::Make({"user", "at", "v"}, {IntColumn({1}), TimeColumn({1}), IntColumn({1})});
  s = PointInTimeJoin(ev, f, Options()).status();
  EXPECT_THAT(std::string(s.message()), HasSubstr("feature column 'v' is also a column"));

  o = Options();
  o.features = {"vv"};
  s = PointInTimeJoin(e, f, o).status();
  EXPECT_EQ(s.code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(std::string(s.message()), HasSubstr("Did you mean 'v'"));

  s = PointInTimeJoin(e, f, Options(-1)).status();
  EXPECT_THAT(std::string(s.message()), HasSubstr("ttl_us"));

  o = Options();
  o.feature_block_rows = 0;
  s = PointInTimeJoin(e, f, o).status();
  EXPECT_THAT(std::string(s.message()), HasSubstr("feature_block_rows is 0"));
}

constexpr char kPandasScript[] = R"py(
import json, sys
import pandas as pd
d = json.load(sys.stdin)
keys = d["keys"]
left = pd.DataFrame(d["entities"])
right = pd.DataFrame(d["features"])
left["at"] = pd.to_datetime(left["at"], unit="us")
right["ts"] = pd.to_datetime(right["ts"], unit="us")
left["orig"] = range(len(left))
left = left.sort_values("at", kind="stable")
order = ["ts", "created"] if d["use_created"] else ["ts"]
right = right.sort_values(order, kind="stable")
kw = {}
if d["ttl"] is not None:
    kw["tolerance"] = pd.Timedelta(microseconds=d["ttl"])
out = pd.merge_asof(left, right[keys + ["ts", "v"]], left_on="at", right_on="ts", by=keys,
                    direction="backward", allow_exact_matches=True, **kw)
out = out.sort_values("orig")
print(json.dumps([None if pd.isna(x) else int(x) for x in out["v"]]))
)py";

// Generated data with many exact ties (times on a coarse grid), keys that
// appear only on one side, and both tables in random order.
void CompareWithPandas(uint32_t seed, bool two_keys, bool use_created, std::optional<int64_t> ttl,
                       int num_features = 3000, int num_entities = 2000, int num_users = 60,
                       int64_t feature_block_rows = int64_t{1} << 20) {
  std::mt19937 rng(seed);
  auto pick = [&](int n) { return static_cast<int64_t>(rng() % static_cast<uint32_t>(n)); };
  Ints fuser, fts, fcreated, v, euser, eat;
  Strs fshop, eshop;
  const char* shops[] = {"a", "b", "c"};
  for (int i = 0; i < num_features; ++i) {
    fuser.push_back(pick(num_users));
    fshop.push_back(shops[pick(3)]);
    fts.push_back(1'700'000'000'000'000 + pick(40) * 1000);
    fcreated.push_back(1'800'000'000'000'000 + pick(3));
    v.push_back(i);
  }
  for (int i = 0; i < num_entities; ++i) {
    euser.push_back(pick(num_users + num_users / 6));  // some unknown
    eshop.push_back(shops[pick(3)]);
    // On the grid (exact matches, TTL boundaries) or between points.
    eat.push_back(1'700'000'000'000'000 + pick(45) * 1000 - 2000 + (pick(2) ? 0 : pick(1001)));
  }
  Table f = *Table::Make(
      {"user", "shop", "ts", "created", "v"},
      {IntColumn(fuser), StrColumn(fshop), TimeColumn(fts), TimeColumn(fcreated), IntColumn(v)});
  Table e =
      *Table::Make({"user", "shop", "at"}, {IntColumn(euser), StrColumn(eshop), TimeColumn(eat)});
  PointInTimeOptions o = Options(ttl);
  if (two_keys) o.join_keys = {"user", "shop"};
  if (use_created) o.created_time = "created";
  o.features = {"v"};
  o.feature_block_rows = feature_block_rows;
  StatusOr<Table> out = PointInTimeJoin(e, f, o);
  ASSERT_TRUE(out.ok()) << out.status();

  nlohmann::json input;
  input["keys"] = o.join_keys;
  input["use_created"] = use_created;
  input["ttl"] = ttl.has_value() ? nlohmann::json(*ttl) : nlohmann::json(nullptr);
  auto js = [](const Ints& x) {
    nlohmann::json a = nlohmann::json::array();
    for (const auto& y : x) a.push_back(*y);
    return a;
  };
  auto jstr = [](const Strs& x) {
    nlohmann::json a = nlohmann::json::array();
    for (const auto& y : x) a.push_back(*y);
    return a;
  };
  input["entities"] = {{"user", js(euser)}, {"at", js(eat)}};
  input["features"] = {
      {"user", js(fuser)}, {"ts", js(fts)}, {"created", js(fcreated)}, {"v", js(v)}};
  if (two_keys) {
    input["entities"]["shop"] = jstr(eshop);
    input["features"]["shop"] = jstr(fshop);
  }
  StatusOr<nlohmann::json> expected = keel::testing::RunPythonJson(kPandasScript, input);
  ASSERT_TRUE(expected.ok()) << expected.status();
  Ints got = IntsOf(*out, "v");
  ASSERT_EQ(expected->size(), got.size());
  int64_t matched = 0;
  for (size_t i = 0; i < got.size(); ++i) {
    const nlohmann::json& want = (*expected)[i];
    std::optional<int64_t> w =
        want.is_null() ? std::nullopt : std::optional<int64_t>(want.get<int64_t>());
    ASSERT_EQ(got[i], w) << "entity row " << i << " user " << *euser[i] << " at " << *eat[i];
    matched += w.has_value();
  }
  // The data must exercise both outcomes.
  EXPECT_GT(matched, num_entities / 4);
  EXPECT_LT(matched, num_entities);
}

class PandasTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(keel::testing::HavePythonModule("pandas"))
        << "python3-pandas is needed (scripts/install-deps.sh installs it)";
  }
};

TEST_F(PandasTest, OneKeyCreatedTtl) {
  for (uint32_t seed : {1u, 2u, 3u}) CompareWithPandas(seed, false, true, 5000);
}
TEST_F(PandasTest, TwoKeysCreatedTtl) {
  for (uint32_t seed : {4u, 5u}) CompareWithPandas(seed, true, true, 3000);
}
TEST_F(PandasTest, NoCreatedInputOrderTies) {
  for (uint32_t seed : {6u, 7u}) CompareWithPandas(seed, false, false, 2000);
}
TEST_F(PandasTest, NoTtl) { CompareWithPandas(8, true, true, std::nullopt); }
// Enough entity rows for several hash partitions, feature rows read in
// several rounds.
TEST_F(PandasTest, ManyPartitionsAndRounds) {
  CompareWithPandas(9, true, true, 4000, 70000, 70000, 3000, 9000);
}
TEST_F(PandasTest, OneFeatureRowPerRound) {
  CompareWithPandas(10, false, true, 5000, 400, 300, 20, 1);
}

}  // namespace
}  // namespace keel::features
