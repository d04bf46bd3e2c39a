#include "keel/features/embedded_online_store.h"

#include <thread>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "keel/base/testing/temp_dir.h"
#include "keel/table/column.h"

namespace keel::features {
namespace {

using ::testing::HasSubstr;

constexpr int64_t kHour = 3'600'000'000;

TypedName T(std::string name, DataType type) { return {.name = std::move(name), .type = type}; }

OnlineView StatsView() {
  return {.name = "stats",
          .join_keys = {T("customer_id", DataType::kInt64)},
          .features = {T("spend", DataType::kFloat64), T("orders", DataType::kInt64),
                       T("tier", DataType::kString)},
          .ttl_us = 24 * kHour};
}

// One row per key: spend = `spend`, orders = i, tier = "t<i>".
Table Values(std::vector<double> spend) {
  ColumnBuilder s(DataType::kFloat64), o(DataType::kInt64), t(DataType::kString);
  for (size_t i = 0; i < spend.size(); ++i) {
    s.AppendFloat64(spend[i]);
    o.AppendInt64(static_cast<int64_t>(i));
    t.AppendString("t" + std::to_string(i));
  }
  return *Table::Make({"spend", "orders", "tier"}, {s.Finish(), o.Finish(), t.Finish()});
}

class EmbeddedOnlineStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    StatusOr<std::unique_ptr<EmbeddedOnlineStore>> store = EmbeddedOnlineStore::Open(dir_.path());
    ASSERT_TRUE(store.ok()) << store.status();
    store_ = *std::move(store);
  }
  // Writes one row per (key, time, spend).
  void Put(std::vector<std::string> keys, std::vector<int64_t> times, std::vector<double> spend) {
    const Table values = Values(spend);
    StatusOr<int64_t> n =
        store_->Write(view_, {.keys = keys, .event_times = times, .values = &values});
    ASSERT_TRUE(n.ok()) << n.status();
    EXPECT_EQ(*n, static_cast<int64_t>(keys.size()));
  }
  OnlineRow Get(const std::string& key, int64_t now = 0) {
    std::vector<std::string> keys = {key};
    std::vector<std::string> features = {"spend", "orders", "tier"};
    std::vector<OnlineRow> rows;
    const Status s = store_->Read(view_, keys, features, now, &rows);
    EXPECT_TRUE(s.ok()) << s;
    return rows.at(0);
  }

  testing::TempDir dir_;
  OnlineView view_ = StatsView();
  std::unique_ptr<EmbeddedOnlineStore> store_;
};

TEST_F(EmbeddedOnlineStoreTest, ReadsBackWhatWasWritten) {
  Put({"customer_id=1", "customer_id=2"}, {10, 20}, {1.5, 2.5});
  OnlineRow row = Get("customer_id=2", 20);
  ASSERT_TRUE(row.found);
  EXPECT_EQ(row.event_time, 20);
  EXPECT_EQ(row.values[0].float_value, 2.5);
  EXPECT_EQ(row.values[1].int_value, 1);
  EXPECT_EQ(row.values[2].string_value, "t1");
  OnlineRow missing = Get("customer_id=3");
  EXPECT_FALSE(missing.found);
  ASSERT_EQ(missing.values.size(), 3u);
  EXPECT_TRUE(missing.values[0].is_null);
  EXPECT_EQ(missing.values[2].type, DataType::kString);
}

TEST_F(EmbeddedOnlineStoreTest, NewestEventTimeWinsWhateverTheOrderOfWrites) {
  Put({"customer_id=1"}, {100}, {1.0});
  Put({"customer_id=1"}, {50}, {2.0});  // older: ignored
  EXPECT_EQ(Get("customer_id=1", 100).values[0].float_value, 1.0);
  Put({"customer_id=1"}, {100}, {3.0});  // same time: the later write wins
  EXPECT_EQ(Get("customer_id=1", 100).values[0].float_value, 3.0);
  // Within one batch too, and after a flush to disk (merge across levels).
  ASSERT_TRUE(store_->Flush().ok());
  Put({"customer_id=1", "customer_id=1", "customer_id=1"}, {300, 200, 300}, {4.0, 5.0, 6.0});
  EXPECT_EQ(Get("customer_id=1", 300).values[0].float_value, 6.0);
  ASSERT_TRUE(store_->Flush().ok());
  Put({"customer_id=1"}, {299}, {7.0});
  EXPECT_EQ(Get("customer_id=1", 300).values[0].float_value, 6.0);
}

TEST_F(EmbeddedOnlineStoreTest, RowsOlderThanTheTtlAreHiddenAtReadTime) {
  Put({"customer_id=1"}, {kHour}, {1.0});
  EXPECT_TRUE(Get("customer_id=1", 25 * kHour).found);       // exactly the TTL: kept
  EXPECT_FALSE(Get("customer_id=1", 25 * kHour + 1).found);  // one microsecond past it
  EXPECT_TRUE(Get("customer_id=1", 25 * kHour + 1).values[0].is_null);
}

TEST_F(EmbeddedOnlineStoreTest, ViewsAreSeparateAndNullsStayNull) {
  OnlineView other = view_;
  other.name = "other";
  ColumnBuilder s(DataType::kFloat64);
  s.AppendNull();
  const Table values = *Table::Make({"spend"}, {s.Finish()});  // orders, tier: not given
  std::vector<std::string> keys = {"customer_id=1"};
  std::vector<int64_t> times = {5};
  ASSERT_TRUE(store_->Write(other, {.keys = keys, .event_times = times, .values = &values}).ok());
  EXPECT_FALSE(Get("customer_id=1", 5).found);  // nothing in view "stats"
  std::vector<std::string> features = {"tier", "spend"};
  std::vector<OnlineRow> rows;
  ASSERT_TRUE(store_->Read(other, keys, features, 5, &rows).ok());
  ASSERT_TRUE(rows[0].found);
  EXPECT_TRUE(rows[0].values[0].is_null);
  EXPECT_TRUE(rows[0].values[1].is_null);
}

TEST_F(EmbeddedOnlineStoreTest, ValuesSurviveReopeningAndASecondOpenIsRefusedClearly) {
  Put({"customer_id=9"}, {1}, {9.5});
  StatusOr<std::unique_ptr<EmbeddedOnlineStore>> second = EmbeddedOnlineStore::Open(dir_.path());
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(second.status().message(), HasSubstr("open in another process"));
  store_.reset();
  StatusOr<std::unique_ptr<EmbeddedOnlineStore>> again = EmbeddedOnlineStore::Open(dir_.path());
  ASSERT_TRUE(again.ok()) << again.status();
  store_ = *std::move(again);
  EXPECT_EQ(Get("customer_id=9", 1).values[0].float_value, 9.5);
}

TEST_F(EmbeddedOnlineStoreTest, UnknownFeaturesAndMistypedColumnsAreErrors) {
  std::vector<std::string> keys = {"customer_id=1"};
  std::vector<std::string> features = {"spnd"};
  std::vector<OnlineRow> rows;
  Status s = store_->Read(view_, keys, features, 0, &rows);
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(s.message(), HasSubstr("Did you mean 'spend'"));
  ColumnBuilder o(DataType::kFloat64);
  o.AppendFloat64(1);
  const Table values = *Table::Make({"orders"}, {o.Finish()});
  std::vector<int64_t> times = {1};
  EXPECT_THAT(store_->Write(view_, {.keys = keys, .event_times = times, .values = &values})
                  .status()
                  .message(),
              HasSubstr("feature 'orders': expected int64, found float64"));
}

TEST_F(EmbeddedOnlineStoreTest, ConcurrentReadersSeeWholeRowsWhileAWriterRuns) {
  constexpr int kKeys = 200;
  std::vector<std::string> keys;
  for (int k = 0; k < kKeys; ++k) keys.push_back("customer_id=" + std::to_string(k));
  std::atomic<bool> stop = false;
  std::atomic<int> torn = 0;
  std::vector<std::thread> readers;
  for (int t = 0; t < 4; ++t) {
    readers.emplace_back([&] {
      std::vector<std::string> features = {"spend", "orders"};
      std::vector<OnlineRow> rows;
      while (!stop) {
        if (!store_->Read(view_, keys, features, 1000, &rows).ok()) ++torn;
        for (const OnlineRow& r : rows) {
          // Each row was written with spend == event time: never a mix.
          if (r.found && r.values[0].float_value != static_cast<double>(r.event_time)) ++torn;
        }
      }
    });
  }
  for (int round = 1; round <= 50; ++round) {
    std::vector<int64_t> times(kKeys, round);
    Put(keys, times, std::vector<double>(kKeys, static_cast<double>(round)));
  }
  stop = true;
  for (std::thread& r : readers) r.join();
  EXPECT_EQ(torn, 0);
  EXPECT_EQ(Get("customer_id=7", 50).values[0].float_value, 50.0);
}

}  // namespace
}  // namespace keel::features
