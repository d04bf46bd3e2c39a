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
services:
  - {name: fraud, features: ["risk:score", "stats:*"]}
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

}  // namespace
}  // namespace keel::features
