// Windowed aggregations online (embedded store): the same values as offline
// after every push and after materialisation (the shared consistency
// check), pushes of event columns, reads through get-online-features,
// trimming of old events, materialisation keeping pushed events, and
// concurrent pushes to one entity.
#include "keel/features/aggregation_online.h"

#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "keel/base/testing/temp_dir.h"
#include "keel/features/aggregation.h"
#include "keel/features/embedded_online_store.h"
#include "keel/features/materialize.h"
#include "keel/features/online_features.h"
#include "keel/features/push.h"
#include "keel/features/testing/windowed_consistency.h"
#include "nlohmann/json.hpp"

namespace keel::features {
namespace {

using ::testing::HasSubstr;
using json = nlohmann::json;

constexpr int64_t kHour = 3'600'000'000LL;

TEST(WindowedConsistencyTest, EmbeddedStoreEqualsOfflineAfterEveryPushAndMaterialization) {
  for (uint32_t seed : {1u, 2u}) {
    testing::TempDir pushed_dir, materialized_dir;
    std::unique_ptr<EmbeddedOnlineStore> pushed = *EmbeddedOnlineStore::Open(pushed_dir.path());
    std::unique_ptr<EmbeddedOnlineStore> materialized =
        *EmbeddedOnlineStore::Open(materialized_dir.path());
    StatusOr<testing::WindowedConsistencyReport> report =
        testing::CheckWindowedConsistency(*pushed, *materialized, seed);
    ASSERT_TRUE(report.ok()) << "seed " << seed << ": " << report.status();
    EXPECT_EQ(report->events, 200);
    EXPECT_GT(report->pushes, 100);
    EXPECT_GT(report->compared, 10000);
    // Only reads at a late event's time, for windows near the largest.
    EXPECT_LT(report->not_promised, report->compared / 20);
    EXPECT_EQ(report->materializations, 3);
  }
}

constexpr char kDefs[] = R"(entities:
  - {name: customer, join_keys: [{name: customer_id, type: int64}]}
sources:
  - {name: txns, dataset: t, timestamp_field: event_time, created_timestamp_field: created}
feature_views:
  - name: txn
    entities: [customer]
    source: txns
    ttl: 1h
    features: [{name: merchant, type: string}]
    aggregations:
      - {column: amount, type: float64, function: sum, windows: [1h, 1d]}
      - {column: amount, type: float64, function: count, windows: [1d]}
      - {column: merchant, type: string, function: last, windows: [1d]}
services:
  - {name: svc, features: ["txn:*"]}
)";

class AggregationOnlineTest : public ::testing::Test {
 protected:
  void SetUp() override {
    defs_ = *FeatureDefinitions::Parse(kDefs, "f.yaml");
    view_ = defs_.FindView("txn");
    store_ = *EmbeddedOnlineStore::Open(dir_.path());
  }
  // Pushes a JSON "df".
  void Push(const std::string& df) {
    StatusOr<PushRequest> r =
        ParsePushRequest(defs_, absl::StrCat(R"({"feature_view": "txn", "df": )", df, "}"));
    ASSERT_TRUE(r.ok()) << r.status();
    StatusOr<int64_t> n = PushToOnlineStore(defs_, *r, *store_);
    ASSERT_TRUE(n.ok()) << n.status();
  }
  std::vector<OnlineRow> Read(std::vector<std::string> keys, int64_t now_us,
                              std::vector<std::string> features = {"amount_sum_1h",
                                                                   "amount_count_1d"}) {
    std::vector<OnlineRow> rows;
    const Status s = ReadAggregatedFeatures(*store_, defs_, *view_, keys, features, now_us, &rows);
    EXPECT_TRUE(s.ok()) << s;
    return rows;
  }

  testing::TempDir dir_;
  FeatureDefinitions defs_;
  const FeatureView* view_ = nullptr;
  std::unique_ptr<EmbeddedOnlineStore> store_;
};

TEST_F(AggregationOnlineTest, PushAcceptsEventColumnsNotAggregatedFeatures) {
  Push(R"({"customer_id": [1, 1, 2], "event_time": [0, 1000, 5], "created": [1, null, 3],
           "amount": [1.5, 2.5, null], "merchant": ["a", "b", "c"]})");
  std::vector<OnlineRow> rows = Read({"customer_id=1", "customer_id=2", "customer_id=3"}, 1000);
  EXPECT_EQ(rows[0].values[0].float_value, 4.0);
  EXPECT_EQ(rows[0].values[1].int_value, 2);
  EXPECT_TRUE(rows[0].found);
  EXPECT_EQ(rows[0].event_time, 1000);
  EXPECT_TRUE(rows[1].values[0].is_null);  // only a null amount
  EXPECT_EQ(rows[1].values[1].int_value, 0);
  EXPECT_TRUE(rows[1].found);
  EXPECT_FALSE(rows[2].found);  // never pushed
  EXPECT_FALSE(rows[2].expired);
  EXPECT_EQ(rows[2].values[1], (FeatureValue{.type = DataType::kInt64, .is_null = false}));

  const std::string message(
      ParsePushRequest(defs_, R"({"feature_view": "txn", "df": {"customer_id": [1],
                                  "event_time": [0], "amount_sum_1h": [1.0]}})")
          .status()
          .message());
  EXPECT_THAT(message, HasSubstr("df.amount_sum_1h is an aggregation of feature view 'txn', "
                                 "computed from the pushed events: push column 'amount'"));
  // The plain feature is stored as before; the aggregated ones are not.
  const OnlineView online = OnlineView::From(defs_, *view_);
  ASSERT_EQ(online.features.size(), 1u);
  std::vector<OnlineRow> plain;
  const std::vector<std::string> keys = {"customer_id=1"};
  std::vector<std::string> names = {"merchant"};
  ASSERT_TRUE(store_->Read(online, keys, names, 1000, &plain).ok());
  EXPECT_EQ(plain[0].values[0].string_value, "b");
  names = {"amount_sum_1h"};
  EXPECT_THAT(std::string(store_->Read(online, keys, names, 1000, &plain).message()),
              HasSubstr("is a windowed aggregation, computed from the view's events when read"));
}

// A client that retries a push after a timeout sends the same event_ids:
// the events count once; new ids count again; a bad event_ids is named.
TEST_F(AggregationOnlineTest, RetriedPushesWithEventIdsCountOnce) {
  const std::string body = R"({"feature_view": "txn", "event_ids": ["a", "b"], "df": {
      "customer_id": [1, 1], "event_time": [0, 1000], "amount": [1.5, 2.5],
      "merchant": ["x", "y"]}})";
  for (int attempt = 0; attempt < 3; ++attempt) {
    StatusOr<PushRequest> r = ParsePushRequest(defs_, body);
    ASSERT_TRUE(r.ok()) << r.status();
    EXPECT_EQ(r->event_ids, (std::vector<std::string>{"push/a", "push/b"}));
    ASSERT_TRUE(PushToOnlineStore(defs_, *r, *store_).ok());
  }
  std::vector<OnlineRow> rows = Read({"customer_id=1"}, 1000);
  EXPECT_EQ(rows[0].values[0].float_value, 4.0);
  EXPECT_EQ(rows[0].values[1].int_value, 2);

  StatusOr<PushRequest> again =
      ParsePushRequest(defs_, R"({"feature_view": "txn", "event_ids": ["c"], "df": {
      "customer_id": [1], "event_time": [1000], "amount": [2.5]}})");
  ASSERT_TRUE(again.ok()) << again.status();
  ASSERT_TRUE(PushToOnlineStore(defs_, *again, *store_).ok());
  rows = Read({"customer_id=1"}, 1000);
  EXPECT_EQ(rows[0].values[0].float_value, 6.5);
  EXPECT_EQ(rows[0].values[1].int_value, 3);

  const std::string message(
      ParsePushRequest(defs_, R"({"feature_view": "txn", "event_ids": ["a"], "df": {
      "customer_id": [1, 2], "event_time": [0, 1], "amount": [1, 2]}})")
          .status()
          .message());
  EXPECT_THAT(message, HasSubstr("'event_ids' must be an array of 2 strings, one per row"));
}

TEST_F(AggregationOnlineTest, OldEventsAreDroppedButLateOnesStillCount) {
  // Events every 6h for 3 days; the largest window is 1d.
  std::string ids, times, amounts;
  for (int i = 0; i < 12; ++i) {
    const char* comma = i == 0 ? "" : ",";
    absl::StrAppend(&ids, comma, 7);
    absl::StrAppend(&times, comma, i * 6 * kHour);
    absl::StrAppend(&amounts, comma, i);
  }
  Push(absl::StrCat(R"({"customer_id": [)", ids, R"(], "event_time": [)", times,
                    R"(], "amount": [)", amounts, "]}"));
  const OnlineView log_view = EventLogView(defs_, *view_);
  const std::vector<std::string> keys = {"customer_id=7"};
  const std::vector<std::string> events = {"events"};
  std::vector<OnlineRow> raw;
  ASSERT_TRUE(store_->Read(log_view, keys, events, 66 * kHour, &raw).ok());
  StatusOr<EventLog> log = DecodeEventLog(raw[0].values[0].string_value, AggregatedColumns(*view_));
  ASSERT_TRUE(log.ok()) << log.status();
  // Newest at 66h: kept (42h, 66h].
  EXPECT_EQ(log->times, (std::vector<int64_t>{48 * kHour, 54 * kHour, 60 * kHour, 66 * kHour}));
  EXPECT_EQ(raw[0].event_time, 66 * kHour);
  EXPECT_EQ(Read(keys, 66 * kHour)[0].values[1].int_value, 4);
  // A late event inside the window counts; one older than the window is dropped.
  Push(
      R"({"customer_id": [7, 7], "event_time": [180000000000, 3600000000], "amount": [100, 1000]})");
  std::vector<OnlineRow> rows = Read(keys, 66 * kHour);
  EXPECT_EQ(rows[0].values[1].int_value, 5);
  EXPECT_EQ(rows[0].event_time, 66 * kHour);
  // Past the largest window: nothing found, the log is outside its age.
  rows = Read(keys, 91 * kHour);
  EXPECT_FALSE(rows[0].found);
  EXPECT_TRUE(rows[0].expired);
  EXPECT_EQ(rows[0].values[1].int_value, 0);
}

TEST_F(AggregationOnlineTest, MaterializeReplacesUpToEndAndKeepsLaterPushes) {
  // Pushed first: an event after the end, and one before it that the source
  // does not have (the source is the record up to the end).
  Push(R"({"customer_id": [1, 1], "event_time": [36000000000, 3600000000], "amount": [5, 50]})");
  ColumnBuilder id(DataType::kInt64), at(DataType::kTimestamp), amount(DataType::kFloat64),
      created(DataType::kTimestamp), merchant(DataType::kString);
  for (int64_t h : {0, 2, 8}) {
    id.AppendInt64(1);
    at.AppendTimestamp(h * kHour);
    amount.AppendFloat64(static_cast<double>(h) + 0.5);
    created.AppendNull();
    merchant.AppendString(absl::StrCat("m", h));
  }
  const Table source = *Table::Make(
      {"customer_id", "event_time", "amount", "created", "merchant"},
      {id.Finish(), at.Finish(), amount.Finish(), created.Finish(), merchant.Finish()});
  StatusOr<MaterializeStats> stats =
      MaterializeView(defs_, *view_, source, 7 * kHour, 9 * kHour, *store_);
  ASSERT_TRUE(stats.ok()) << stats.status();
  EXPECT_EQ(stats->window_events, 3);
  EXPECT_EQ(stats->event_logs, 1);
  EXPECT_EQ(stats->rows_in_window, 1);  // the plain feature: [7h, 9h]
  const std::vector<std::string> keys = {"customer_id=1"};
  std::vector<OnlineRow> rows = Read(keys, 9 * kHour, {"amount_count_1d", "merchant_last_1d"});
  EXPECT_EQ(rows[0].values[0].int_value, 3);  // 0h, 2h, 8h; the pushed 1h is replaced
  EXPECT_EQ(rows[0].values[1].string_value, "m8");
  rows = Read(keys, 10 * kHour, {"amount_count_1d", "amount_sum_1d"});
  EXPECT_EQ(rows[0].values[0].int_value, 4);  // and the pushed 10h
  EXPECT_EQ(rows[0].values[1].float_value, 0.5 + 2.5 + 8.5 + 5);
}

TEST_F(AggregationOnlineTest, GetOnlineFeaturesComputesAtNow) {
  Push(R"({"customer_id": [1, 1, 2], "event_time": [0, 1800000000, 0],
           "amount": [1.0, 2.0, 4.0], "merchant": ["a", "b", null]})");
  OnlineFeaturesRequest request;
  request.feature_service = "svc";
  request.entities = {{.name = "customer_id", .values = {"1", "2", "3"}, .numbers = true}};
  StatusOr<std::string> out = GetOnlineFeaturesJson(defs_, *store_, request, kHour + 1);
  ASSERT_TRUE(out.ok()) << out.status();
  const json j = json::parse(*out);
  EXPECT_EQ(j["metadata"]["feature_names"],
            json::parse(R"(["customer_id", "merchant", "amount_sum_1h", "amount_sum_1d",
                            "amount_count_1d", "merchant_last_1d"])"));
  const json& r = j["results"];
  // The plain feature: the latest row within the 1h TTL.
  EXPECT_EQ(r[1]["values"], json::parse(R"(["b", null, null])"));
  EXPECT_EQ(r[1]["statuses"], json::parse(R"(["PRESENT", "OUTSIDE_MAX_AGE", "NOT_FOUND"])"));
  // (1us, 1h+1us]: only the event at 30 min.
  EXPECT_EQ(r[2]["values"], json::parse("[2.0, null, null]"));
  EXPECT_EQ(r[2]["statuses"], json::parse(R"(["PRESENT", "NULL_VALUE", "NOT_FOUND"])"));
  EXPECT_EQ(r[2]["event_timestamps"][0], "1970-01-01T00:30:00Z");
  EXPECT_EQ(r[3]["values"], json::parse("[3.0, 4.0, null]"));
  EXPECT_EQ(r[4]["values"], json::parse("[2, 1, 0]"));  // a count is 0, as offline
  EXPECT_EQ(r[5]["values"], json::parse(R"(["b", null, null])"));
  request.feature_service.clear();
  request.features = {"txn:amount_sum_1hh"};
  out = GetOnlineFeaturesJson(defs_, *store_, request, kHour);
  EXPECT_EQ(out.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(out.status().message(), HasSubstr("Did you mean 'amount_sum_1h'"));
}

TEST_F(AggregationOnlineTest, ConcurrentPushesToOneEntityLoseNothing) {
  constexpr int kThreads = 4, kPushes = 40;
  std::vector<std::thread> threads;
  std::vector<Status> errors(kThreads);
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPushes && errors[t].ok(); ++i) {
        StatusOr<PushRequest> r = ParsePushRequest(
            defs_, absl::StrCat(R"({"feature_view": "txn", "df": {"customer_id": [1],
                                "event_time": [)",
                                t * kPushes + i, R"(], "amount": [1]}})"));
        errors[t] = r.ok() ? PushToOnlineStore(defs_, *r, *store_).status() : r.status();
      }
    });
  }
  for (std::thread& t : threads) t.join();
  for (const Status& s : errors) ASSERT_TRUE(s.ok()) << s;
  EXPECT_EQ(Read({"customer_id=1"}, kHour)[0].values[1].int_value, kThreads * kPushes);
}

// ReadOnlineFeatures (served models, on-demand inputs) mixes plain and
// aggregated features in the order asked, each as its own reader gives it.
TEST_F(AggregationOnlineTest, ReadOnlineFeaturesMixesPlainAndAggregatedInOrder) {
  Push(R"({"customer_id": [1, 1], "event_time": [0, 1000], "amount": [1.5, 2.5],
           "merchant": ["a", "b"]})");
  const OnlineView online = OnlineView::From(defs_, *view_);
  const std::vector<std::string> keys = {"customer_id=1", "customer_id=9"};
  const std::vector<std::string> names = {"amount_count_1d", "merchant", "amount_sum_1h"};
  std::vector<OnlineRow> rows;
  ASSERT_TRUE(ReadOnlineFeatures(*store_, defs_, online, keys, names, 1000, &rows).ok());
  std::vector<OnlineRow> plain = Read(keys, 1000, {"amount_count_1d", "amount_sum_1h"});
  std::vector<OnlineRow> stored;
  const std::vector<std::string> merchant = {"merchant"};
  ASSERT_TRUE(store_->Read(online, keys, merchant, 1000, &stored).ok());
  for (size_t k = 0; k < keys.size(); ++k) {
    ASSERT_EQ(rows[k].values.size(), 3u);
    EXPECT_EQ(rows[k].values[0], plain[k].values[0]);
    EXPECT_EQ(rows[k].values[1], stored[k].values[0]);
    EXPECT_EQ(rows[k].values[2], plain[k].values[1]);
    EXPECT_EQ(rows[k].found, stored[k].found);  // the plain features' row
  }
  EXPECT_EQ(rows[0].values[1].string_value, "b");
  EXPECT_EQ(rows[0].values[2].float_value, 4.0);
  const std::vector<std::string> unknown = {"amount_sum_1h", "merchnt"};
  EXPECT_FALSE(ReadOnlineFeatures(*store_, defs_, online, keys, unknown, 1000, &rows).ok());
}

}  // namespace
}  // namespace keel::features
