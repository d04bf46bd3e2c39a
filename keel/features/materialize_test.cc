#include "keel/features/materialize.h"

#include <random>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "keel/base/testing/temp_dir.h"
#include "keel/features/embedded_online_store.h"
#include "keel/features/historical.h"
#include "keel/table/column.h"

namespace keel::features {
namespace {

using ::testing::HasSubstr;

constexpr int64_t kMinute = 60'000'000;

constexpr char kDefs[] = R"(entities:
  - {name: user, join_keys: [{name: user_id, type: int64}]}
sources:
  - {name: src, dataset: d, timestamp_field: at, created_timestamp_field: created}
feature_views:
  - name: v
    entities: [user]
    source: src
    ttl: 2h
    features: [{name: score, type: float64}, {name: label, type: string}]
services:
  - {name: s, features: ["v:*"]}
)";

// `n` feature rows over `users` users at minutes 0..99 (many exact-time
// ties, broken by `created`, which repeats too), in random order, with some
// nulls.
Table MakeSource(int n, int users, uint64_t seed) {
  std::mt19937_64 rng(seed);
  ColumnBuilder user(DataType::kInt64), at(DataType::kTimestamp), created(DataType::kTimestamp),
      score(DataType::kFloat64), label(DataType::kString);
  for (int i = 0; i < n; ++i) {
    user.AppendInt64(static_cast<int64_t>(rng() % users));
    at.AppendTimestamp(static_cast<int64_t>(rng() % 100) * kMinute);
    created.AppendTimestamp(static_cast<int64_t>(rng() % 3));
    if (rng() % 10 == 0) {
      score.AppendNull();
    } else {
      score.AppendFloat64(static_cast<double>(i) + 0.25);
    }
    label.AppendString("row" + std::to_string(i));
  }
  return *Table::Make(
      {"user_id", "at", "created", "score", "label"},
      {user.Finish(), at.Finish(), created.Finish(), score.Finish(), label.Finish()});
}

class MaterializeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    defs_ = *FeatureDefinitions::Parse(kDefs, "f.yaml");
    store_ = *EmbeddedOnlineStore::Open(dir_.path());
  }

  // The offline join for every user (0..users) at time `at`.
  Table Offline(const Table& source, int users, int64_t at) {
    ColumnBuilder ids(DataType::kInt64), ts(DataType::kTimestamp);
    for (int u = 0; u <= users; ++u) {
      ids.AppendInt64(u);
      ts.AppendTimestamp(at);
    }
    Table entities = *Table::Make({"user_id", "ts"}, {ids.Finish(), ts.Finish()});
    StatusOr<Table> out =
        GetHistoricalFeatures(defs_, "s", entities, "ts", [&](const Source&) { return source; });
    EXPECT_TRUE(out.ok()) << out.status();
    return *out;
  }

  // Online values of every user read at `at`, compared with the offline join.
  void ExpectOnlineEqualsOffline(const Table& source, int users, int64_t at) {
    const Table offline = Offline(source, users, at);
    const OnlineView view = OnlineView::From(defs_, *defs_.FindView("v"));
    std::vector<std::string> keys;
    for (int u = 0; u <= users; ++u) keys.push_back("user_id=" + std::to_string(u));
    std::vector<std::string> features = {"score", "label"};
    std::vector<OnlineRow> rows;
    ASSERT_TRUE(store_->Read(view, keys, features, at, &rows).ok());
    const Column score = *offline.ColumnByName("v__score");
    const Column label = *offline.ColumnByName("v__label");
    int found = 0;
    for (int u = 0; u <= users; ++u) {
      SCOPED_TRACE("user " + std::to_string(u));
      const OnlineRow& r = rows[u];
      // A user whose latest row has a null label would be ambiguous; labels
      // are never null here, so "found" is exactly "label not null".
      ASSERT_EQ(r.found, label.IsValid(u));
      if (!r.found) continue;
      ++found;
      EXPECT_EQ(r.values[1].string_value, label.StringAt(u));
      ASSERT_EQ(r.values[0].is_null, score.IsNull(u));
      if (score.IsValid(u)) {
        EXPECT_EQ(r.values[0].float_value, score.Float64Values()[u]);
      }
    }
    EXPECT_GT(found, users / 2);
  }

  testing::TempDir dir_;
  FeatureDefinitions defs_;
  std::unique_ptr<EmbeddedOnlineStore> store_;
};

TEST_F(MaterializeTest, OnlineValuesEqualThePointInTimeJoinAtTheEndOfTheWindow) {
  const Table source = MakeSource(5000, 300, 7);
  StatusOr<MaterializeStats> stats =
      MaterializeView(defs_, *defs_.FindView("v"), source, 0, 99 * kMinute, *store_);
  ASSERT_TRUE(stats.ok()) << stats.status();
  EXPECT_EQ(stats->source_rows, 5000);
  EXPECT_EQ(stats->rows_in_window, 5000);
  EXPECT_EQ(stats->entities, 300);
  ExpectOnlineEqualsOffline(source, 300, 99 * kMinute);
  // Later reads apply the TTL as the offline join does (2h after minute 99:
  // some rows from before minute 99 are already too old).
  ExpectOnlineEqualsOffline(source, 300, 99 * kMinute + 2 * 60 * kMinute - 30 * kMinute);
}

TEST_F(MaterializeTest, IncrementalWindowsGiveTheSameStoreAsOneWindow) {
  const Table source = MakeSource(3000, 200, 11);
  const FeatureView& view = *defs_.FindView("v");
  // [0, 40], [40, 70], [70, 99]: boundaries overlap (inclusive ends), which
  // newest-wins makes harmless.
  for (auto [start, end] : {std::pair<int64_t, int64_t>{0, 40}, {40, 70}, {70, 99}}) {
    ASSERT_TRUE(MaterializeView(defs_, view, source, start * kMinute, end * kMinute, *store_).ok());
    ExpectOnlineEqualsOffline(source, 200, end * kMinute);
  }
}

TEST_F(MaterializeTest, OnlyRowsInsideTheWindowAreWritten) {
  const Table source = MakeSource(1000, 50, 3);
  StatusOr<MaterializeStats> stats =
      MaterializeView(defs_, *defs_.FindView("v"), source, 10 * kMinute, 10 * kMinute, *store_);
  ASSERT_TRUE(stats.ok());
  const Column at = *source.ColumnByName("at");
  int64_t expected = 0;
  for (int64_t r = 0; r < at.length(); ++r) expected += at.TimestampValues()[r] == 10 * kMinute;
  EXPECT_EQ(stats->rows_in_window, expected);
  const OnlineView online = OnlineView::From(defs_, *defs_.FindView("v"));
  std::vector<std::string> keys;
  for (int u = 0; u < 50; ++u) keys.push_back("user_id=" + std::to_string(u));
  std::vector<std::string> features = {"label"};
  std::vector<OnlineRow> rows;
  ASSERT_TRUE(store_->Read(online, keys, features, 10 * kMinute, &rows).ok());
  for (const OnlineRow& r : rows) {
    if (r.found) {
      EXPECT_EQ(r.event_time, 10 * kMinute);
    }
  }
}

// Two join keys (an int64 and a string): the latest row of each pair, ties
// at one time broken by the later created time, then the later row.
TEST_F(MaterializeTest, SeveralJoinKeysPickTheLatestRowOfEachKey) {
  const FeatureDefinitions defs = *FeatureDefinitions::Parse(R"(entities:
  - {name: user, join_keys: [{name: user_id, type: int64}]}
  - {name: shop, join_keys: [{name: shop, type: string}]}
sources:
  - {name: src, dataset: d, timestamp_field: at, created_timestamp_field: created}
feature_views:
  - name: w
    entities: [user, shop]
    source: src
    features: [{name: score, type: float64}]
)",
                                                             "f.yaml");
  // (user, shop, at, created, score)
  struct Row {
    int64_t user;
    const char* shop;
    int64_t at, created;
    double score;
  };
  const Row data[] = {{1, "a", 5, 0, 1.0}, {1, "a", 9, 0, 2.0}, {1, "b", 9, 0, 3.0},
                      {1, "a", 7, 0, 4.0}, {2, "a", 3, 1, 5.0}, {2, "a", 3, 2, 6.0},
                      {2, "a", 3, 1, 7.0}, {1, "b", 9, 0, 8.0}};
  ColumnBuilder user(DataType::kInt64), shop(DataType::kString), at(DataType::kTimestamp),
      created(DataType::kTimestamp), score(DataType::kFloat64);
  for (const Row& r : data) {
    user.AppendInt64(r.user);
    shop.AppendString(r.shop);
    at.AppendTimestamp(r.at);
    created.AppendTimestamp(r.created);
    score.AppendFloat64(r.score);
  }
  const Table source =
      *Table::Make({"user_id", "shop", "at", "created", "score"},
                   {user.Finish(), shop.Finish(), at.Finish(), created.Finish(), score.Finish()});
  StatusOr<MaterializeStats> stats =
      MaterializeView(defs, *defs.FindView("w"), source, 0, 100, *store_);
  ASSERT_TRUE(stats.ok()) << stats.status();
  EXPECT_EQ(stats->entities, 3);
  const OnlineView online = OnlineView::From(defs, *defs.FindView("w"));
  const std::vector<std::string> keys = {"user_id=1|shop=a", "user_id=1|shop=b", "user_id=2|shop=a",
                                         "user_id=2|shop=b"};
  const std::vector<std::string> features = {"score"};
  std::vector<OnlineRow> rows;
  ASSERT_TRUE(store_->Read(online, keys, features, 100, &rows).ok());
  EXPECT_EQ(rows[0].values[0].float_value, 2.0);  // the latest time
  EXPECT_EQ(rows[1].values[0].float_value, 8.0);  // equal times and created: the later row
  EXPECT_EQ(rows[2].values[0].float_value, 6.0);  // equal times: the later created
  EXPECT_FALSE(rows[3].found);
}

TEST_F(MaterializeTest, BadWindowsAndSourcesAreNamed) {
  const Table source = MakeSource(10, 5, 1);
  const FeatureView& view = *defs_.FindView("v");
  EXPECT_THAT(MaterializeView(defs_, view, source, 2, 1, *store_).status().message(),
              HasSubstr("is after end"));
  const Table no_label = *source.SelectColumns({"user_id", "at", "created", "score"});
  EXPECT_THAT(MaterializeView(defs_, view, no_label, 0, 1, *store_).status().message(),
              HasSubstr("have no column 'label'"));
}

}  // namespace
}  // namespace keel::features
