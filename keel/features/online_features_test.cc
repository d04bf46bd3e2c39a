#include "keel/features/online_features.h"

#include <nlohmann/json.hpp>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "keel/base/testing/temp_dir.h"
#include "keel/features/embedded_online_store.h"
#include "keel/table/column.h"

namespace keel::features {
namespace {

using ::testing::HasSubstr;
using json = nlohmann::json;

constexpr int64_t kHour = 3'600'000'000;

constexpr char kDefs[] = R"(entities:
  - {name: customer, join_keys: [{name: customer_id, type: int64}]}
  - {name: merchant, join_keys: [{name: merchant, type: string}]}
sources:
  - {name: cs, dataset: c, timestamp_field: at}
  - {name: ms, dataset: m, timestamp_field: at}
feature_views:
  - name: stats
    entities: [customer]
    source: cs
    ttl: 1h
    features: [{name: spend, type: float64}, {name: vip, type: bool}]
  - name: risk
    entities: [merchant]
    source: ms
    features: [{name: score, type: int64}]
on_demand_views:
  - name: txn
    request_fields: [{name: amount, type: float64}, {name: note, type: string}]
    features:
      - {name: share, type: float64, expression: "amount / stats.spend"}
      - {name: vip_big, type: bool, expression: "coalesce(stats.vip, false) or amount > 3"}
      - {name: tag, type: string, expression: "note + '!'"}
services:
  - {name: fraud, features: ["risk:score", "stats:*"]}
  - {name: fraud_plus, features: ["txn:share", "txn:vip_big"]}
)";

class OnlineFeaturesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    defs_ = *FeatureDefinitions::Parse(kDefs, "f.yaml");
    store_ = *EmbeddedOnlineStore::Open(dir_.path());
    // customer 1 at 1h: spend 2.5, vip null; customer 2 at 0: spend 1, vip true.
    ColumnBuilder spend(DataType::kFloat64), vip(DataType::kBool);
    spend.AppendFloat64(2.5);
    vip.AppendNull();
    spend.AppendFloat64(1);
    vip.AppendBool(true);
    const Table stats = *Table::Make({"spend", "vip"}, {spend.Finish(), vip.Finish()});
    std::vector<std::string> keys = {"customer_id=1", "customer_id=2"};
    std::vector<int64_t> times = {kHour, 0};
    ASSERT_TRUE(store_
                    ->Write(OnlineView::From(defs_, *defs_.FindView("stats")),
                            {.keys = keys, .event_times = times, .values = &stats})
                    .ok());
    ColumnBuilder score(DataType::kInt64);
    score.AppendInt64(7);
    const Table risk = *Table::Make({"score"}, {score.Finish()});
    std::vector<std::string> mkeys = {"merchant=m|1"};  // not escaped: never matches
    mkeys[0] = "merchant=m%7C1";
    std::vector<int64_t> mtimes = {5};
    ASSERT_TRUE(store_
                    ->Write(OnlineView::From(defs_, *defs_.FindView("risk")),
                            {.keys = mkeys, .event_times = mtimes, .values = &risk})
                    .ok());
  }

  StatusOr<json> Get(std::string_view body, int64_t now) {
    KEEL_ASSIGN_OR_RETURN(OnlineFeaturesRequest r, ParseOnlineFeaturesRequest(body));
    KEEL_ASSIGN_OR_RETURN(std::string out, GetOnlineFeaturesJson(defs_, *store_, r, now));
    return json::parse(out);
  }

  testing::TempDir dir_;
  FeatureDefinitions defs_;
  std::unique_ptr<EmbeddedOnlineStore> store_;
};

TEST_F(OnlineFeaturesTest, AnswersInFeastsShapeWithStatusesAndTimes) {
  StatusOr<json> out = Get(
      R"({"feature_service": "fraud",
          "entities": {"customer_id": [1, 2, 3], "merchant": ["m|1", "x", "m|1"]}})",
      kHour + kHour / 2);
  ASSERT_TRUE(out.ok()) << out.status();
  const json expected = json::parse(R"({
    "metadata": {"feature_names": ["customer_id", "merchant", "score", "spend", "vip"]},
    "results": [
      {"values": [1, 2, 3], "statuses": ["PRESENT", "PRESENT", "PRESENT"],
       "event_timestamps": ["1970-01-01T00:00:00Z", "1970-01-01T00:00:00Z", "1970-01-01T00:00:00Z"]},
      {"values": ["m|1", "x", "m|1"], "statuses": ["PRESENT", "PRESENT", "PRESENT"],
       "event_timestamps": ["1970-01-01T00:00:00Z", "1970-01-01T00:00:00Z", "1970-01-01T00:00:00Z"]},
      {"values": [7, null, 7], "statuses": ["PRESENT", "NOT_FOUND", "PRESENT"],
       "event_timestamps": ["1970-01-01T00:00:00.000005Z", "1970-01-01T00:00:00Z", "1970-01-01T00:00:00.000005Z"]},
      {"values": [2.5, null, null], "statuses": ["PRESENT", "OUTSIDE_MAX_AGE", "NOT_FOUND"],
       "event_timestamps": ["1970-01-01T01:00:00Z", "1970-01-01T00:00:00Z", "1970-01-01T00:00:00Z"]},
      {"values": [null, null, null], "statuses": ["NULL_VALUE", "OUTSIDE_MAX_AGE", "NOT_FOUND"],
       "event_timestamps": ["1970-01-01T01:00:00Z", "1970-01-01T00:00:00Z", "1970-01-01T00:00:00Z"]}
    ]})");
  EXPECT_EQ(*out, expected) << out->dump(1);
}

TEST_F(OnlineFeaturesTest, FeatureListsAndFullNames) {
  StatusOr<json> out = Get(
      R"({"features": ["stats:vip", "stats:spend"], "full_feature_names": true,
          "entities": {"customer_id": ["2"]}})",
      0);
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_EQ((*out)["metadata"]["feature_names"],
            json::parse(R"(["customer_id", "stats__vip", "stats__spend"])"));
  EXPECT_EQ((*out)["results"][1]["values"], json::parse("[true]"));
  EXPECT_EQ((*out)["results"][2]["values"], json::parse("[1.0]"));
  EXPECT_EQ((*out)["results"][0]["values"], json::parse("[2]"));  // an int64 key, as a number
}

TEST_F(OnlineFeaturesTest, BadRequestsNameTheField) {
  auto message = [&](std::string_view body) { return std::string(Get(body, 0).status().message()); };
  EXPECT_THAT(message("[1]"), HasSubstr("not a JSON object"));
  EXPECT_THAT(message(R"({"entities": {"customer_id": [1]}})"),
              HasSubstr("exactly one of 'feature_service' and 'features'"));
  EXPECT_THAT(message(R"({"feature_service": "fraud", "entitys": {}})"),
              HasSubstr("Did you mean 'entities'"));
  EXPECT_THAT(message(R"({"feature_service": "fraud", "entities": {"customer_id": [1, 2],
                         "merchant": ["a"]}})"),
              HasSubstr("they must match"));
  EXPECT_THAT(message(R"({"feature_service": "fraud", "entities": {"customer_id": [{}]}})"),
              HasSubstr("entities.customer_id[0]: expected a number or a string, found object"));
  EXPECT_THAT(message(R"({"feature_service": "frud", "entities": {"customer_id": [1]}})"),
              HasSubstr("unknown feature service 'frud'. Did you mean 'fraud'? Services: fraud"));
  EXPECT_THAT(message(R"({"feature_service": "fraud", "entities": {"customer_id": [1]}})"),
              HasSubstr("no join key 'merchant', needed by feature view 'risk'"));
  EXPECT_THAT(message(R"({"features": ["stats:spend"], "entities": {"customer_id": [1.5]}})"),
              HasSubstr("entities.customer_id[0]: '1.5' is not an int64"));
  EXPECT_THAT(message(R"({"features": ["stats:spnd"], "entities": {"customer_id": [1]}})"),
              HasSubstr("Did you mean 'spend'"));
  EXPECT_EQ(Get(R"({"features": ["stat:spend"], "entities": {"customer_id": [1]}})", 0)
                .status()
                .code(),
            absl::StatusCode::kNotFound);
}

// On-demand features: request fields from "request_context" (or, as
// Feast's Python server, "entities"), the features they read fetched even
// when not asked for, and request fields not echoed.
TEST_F(OnlineFeaturesTest, OnDemandFeaturesFromRequestFieldsAndStoredFeatures) {
  // At 1.5h: customer 1 spend 2.5, vip null; 2 expired; 3 unknown.
  StatusOr<json> out = Get(
      R"({"feature_service": "fraud_plus", "entities": {"customer_id": [1, 2, 3]},
          "request_context": {"amount": [5, 2, null], "note": ["a", "b", "c"]}})",
      kHour + kHour / 2);
  ASSERT_TRUE(out.ok()) << out.status();
  const json expected = json::parse(R"({
    "metadata": {"feature_names": ["customer_id", "share", "vip_big"]},
    "results": [
      {"values": [1, 2, 3], "statuses": ["PRESENT", "PRESENT", "PRESENT"],
       "event_timestamps": ["1970-01-01T00:00:00Z", "1970-01-01T00:00:00Z", "1970-01-01T00:00:00Z"]},
      {"values": [2.0, null, null], "statuses": ["PRESENT", "NULL_VALUE", "NULL_VALUE"],
       "event_timestamps": ["1970-01-01T00:00:00Z", "1970-01-01T00:00:00Z", "1970-01-01T00:00:00Z"]},
      {"values": [true, false, null], "statuses": ["PRESENT", "PRESENT", "NULL_VALUE"],
       "event_timestamps": ["1970-01-01T00:00:00Z", "1970-01-01T00:00:00Z", "1970-01-01T00:00:00Z"]}
    ]})");
  EXPECT_EQ(*out, expected) << out->dump(1);

  out = Get(R"({"features": ["txn:tag", "stats:spend", "txn:share"], "full_feature_names": true,
                "entities": {"customer_id": [2], "amount": [4], "note": ["hi"]}})",
            0);
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_EQ((*out)["metadata"]["feature_names"],
            json::parse(R"(["customer_id", "txn__tag", "stats__spend", "txn__share"])"));
  EXPECT_EQ((*out)["results"][1]["values"], json::parse(R"(["hi!"])"));
  EXPECT_EQ((*out)["results"][3]["values"], json::parse("[4.0]"));

  auto message = [&](std::string_view body) {
    return std::string(Get(body, 0).status().message());
  };
  EXPECT_THAT(message(R"({"feature_service": "fraud_plus", "entities": {"customer_id": [1]},
                          "request_context": {"note": ["x"]}})"),
              HasSubstr("request field 'amount' (float64) of on-demand view 'txn' is missing; send "
                        "it in \"request_context\": {\"amount\": [...]} (or in \"entities\")"));
  EXPECT_THAT(message(R"({"feature_service": "fraud_plus", "entities": {"customer_id": [1]},
                          "request_context": {"amount": ["5"], "note": ["x"]}})"),
              HasSubstr("request_context.amount[0]: expected float64, found string (request "
                        "field of on-demand view 'txn')"));
  EXPECT_THAT(message(R"({"feature_service": "fraud_plus", "entities": {"customer_id": [1],
                          "amount": ["five"], "note": ["x"]}})"),
              HasSubstr("entities.amount[0]: 'five' is not a float64"));
  EXPECT_THAT(message(R"({"feature_service": "fraud_plus", "entities": {"customer_id": [1]},
                          "request_context": {"amount": [1, 2]}})"),
              HasSubstr("request_context.amount has 2 values, entities.customer_id has 1"));
  EXPECT_THAT(message(R"({"feature_service": "fraud_plus", "entities": {"customer_id": [1]},
                          "request_context": {"amount": [[1]]}})"),
              HasSubstr("request_context.amount[0]: expected a number, string, bool or null"));
  const StatusOr<json> unknown =
      Get(R"({"features": ["txn:shar"], "entities": {"customer_id": [1]}})", 0);
  EXPECT_EQ(unknown.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(unknown.status().message(), HasSubstr("Did you mean 'share'?"));
}

}  // namespace
}  // namespace keel::features
