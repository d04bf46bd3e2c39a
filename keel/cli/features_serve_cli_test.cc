// End-to-end: `keel serve --online-features` answers POST /v1/features in
// Feast's shape from what `keel features materialize` wrote, takes
// POST /v1/push, and answers bad requests with 4xx JSON naming the field.
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "keel/base/files.h"
#include "keel/base/testing/subprocess.h"
#include "keel/base/testing/temp_dir.h"
#include "keel/cli/run_keel_for_test.h"
#include "nlohmann/json.hpp"

namespace keel {
namespace {

using ::testing::HasSubstr;
using json = nlohmann::json;

constexpr char kDefinitions[] = R"(entities:
  - {name: customer, join_keys: [{name: customer_id, type: int64}]}
sources:
  - {name: stats_source, dataset: stats, timestamp_field: event_time}
feature_views:
  - name: stats
    entities: [customer]
    source: stats_source
    features:
      - {name: spend, type: float64}
      - {name: orders, type: int64}
services:
  - {name: fraud, features: ["stats:*"]}
)";

constexpr char kStats[] = R"(customer_id,event_time,spend,orders
1,2024-01-01T00:00:00,10.5,1
1,2024-01-02T00:00:00,21.5,3
2,2024-01-01T00:00:00,7.25,9
)";

class FeaturesServeCliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_EQ(Keel({"init", "--project", "t"}).exit_code, 0);
    ASSERT_TRUE(WriteFileAtomic(dir_.path() + "/features.yaml", kDefinitions).ok());
    ASSERT_TRUE(WriteFileAtomic(dir_.path() + "/stats.csv", kStats).ok());
    ASSERT_EQ(Keel({"ingest", "stats.csv", "--name", "stats"}).exit_code, 0);
    ASSERT_EQ(Keel({"features", "apply", "features.yaml"}).exit_code, 0);
    testing::CommandResult m =
        Keel({"features", "materialize", "--start", "2024-01-01", "--end", "2024-01-03"});
    ASSERT_EQ(m.exit_code, 0) << m.err;
  }
  testing::CommandResult Keel(std::vector<std::string> args) {
    return testing::RunKeel(std::move(args), dir_.path());
  }
  // The service's features for customers 1, 4 and 5 at 2024-01-06 from
  // get-historical (`result`: its run), one JSON object per entity row.
  std::vector<json> HistoricalAtJan6(testing::CommandResult* result) {
    EXPECT_TRUE(WriteFileAtomic(dir_.path() + "/entities.csv",
                                "customer_id,event_timestamp\n1,2024-01-06T00:00:00Z\n"
                                "4,2024-01-06T00:00:00Z\n5,2024-01-06T00:00:00Z\n")
                    .ok());
    *result = Keel({"features", "get-historical", "--entities", "entities.csv", "--service",
                    "fraud", "--out", "hist.jsonl"});
    if (result->exit_code != 0) return {};
    return ReadJsonLines("hist.jsonl");
  }
  // The objects of the JSON Lines file `name` in the workspace (none when it
  // cannot be read).
  std::vector<json> ReadJsonLines(const std::string& name) {
    std::vector<json> rows;
    StatusOr<std::string> text = ReadFile(dir_.path() + "/" + name);
    if (!text.ok()) return rows;
    const std::vector<std::string> lines = absl::StrSplit(*text, "\n", absl::SkipEmpty());
    for (const std::string& line : lines) rows.push_back(json::parse(line));
    return rows;
  }
  // `keel predict --model MODEL` on rows.csv: each row's probability.
  std::vector<double> PredictedProbabilities(const std::string& model) {
    testing::CommandResult predicted =
        Keel({"predict", "--model", model, "--data", "rows.csv", "--out", "scores.jsonl"});
    EXPECT_EQ(predicted.exit_code, 0) << predicted.err;
    std::vector<double> out;
    for (const json& row : ReadJsonLines("scores.jsonl")) {
      out.push_back(row["probability"].get<double>());
    }
    return out;
  }
  // The data of the "probability" output of POST /v2/models/MODEL/infer
  // with inputs amount (FP64) and customer_id (INT64); null when the
  // answer has none. `r`: the answer.
  static json InferProbability(int port, const std::string& model,
                               const std::vector<double>& amounts,
                               const std::vector<int64_t>& customers, testing::CommandResult* r) {
    const int64_t n = static_cast<int64_t>(amounts.size());
    const json v2 = {
        {"inputs",
         {{{"name", "amount"}, {"datatype", "FP64"}, {"shape", {n}}, {"data", amounts}},
          {{"name", "customer_id"}, {"datatype", "INT64"}, {"shape", {n}}, {"data", customers}}}}};
    *r = testing::Curl(port, "/v2/models/" + model + "/infer", v2.dump());
    json probability;
    if (testing::CurlStatus(*r) != 200) return probability;
    const json answer = testing::CurlJson(*r);
    for (const json& o : answer["outputs"]) {
      if (o["name"] == "probability") probability = o["data"];
    }
    return probability;
  }
  testing::TempDir dir_;
};

TEST_F(FeaturesServeCliTest, ServesMaterializedAndPushedFeatures) {
  int port = 0;
  auto server = testing::StartKeelServe({"--online-features"}, dir_.path(), &port);
  ASSERT_NE(port, 0) << server->err();
  EXPECT_EQ(testing::CurlStatus(testing::Curl(port, "/v2/health/ready")), 200);

  const std::string request =
      R"({"feature_service": "fraud", "entities": {"customer_id": [1, 2, 3]}})";
  testing::CommandResult r = testing::Curl(port, "/v1/features", request);
  ASSERT_EQ(testing::CurlStatus(r), 200) << r.out;
  json body = testing::CurlJson(r);
  EXPECT_EQ(body["metadata"]["feature_names"],
            json::parse(R"(["customer_id", "spend", "orders"])"));
  EXPECT_EQ(body["results"][1]["values"], json::parse("[21.5, 7.25, null]"));
  EXPECT_EQ(body["results"][2]["statuses"], json::parse(R"(["PRESENT","PRESENT","NOT_FOUND"])"));
  EXPECT_EQ(body["results"][1]["event_timestamps"][0], "2024-01-02T00:00:00Z");

  // A push is served at once; an older push does not replace newer values.
  r = testing::Curl(port, "/v1/push", R"({"feature_view": "stats", "df": {
      "customer_id": [3, 1], "event_time": ["2024-02-01T00:00:00Z", "2023-06-01T00:00:00Z"],
      "spend": [99.5, 0.5], "orders": [4, 0]}})");
  ASSERT_EQ(testing::CurlStatus(r), 200) << r.out;
  EXPECT_EQ(testing::CurlJson(r)["rows"], 2);
  body = testing::CurlJson(testing::Curl(port, "/v1/features", request));
  EXPECT_EQ(body["results"][1]["values"], json::parse("[21.5, 7.25, 99.5]"));

  // Bad requests: 4xx with a JSON error naming the field; the server goes on.
  r = testing::Curl(port, "/v1/push", R"({"feature_view": "stat", "df": {"customer_id": [1]}})");
  EXPECT_EQ(testing::CurlStatus(r), 404);
  EXPECT_THAT(testing::CurlJson(r)["error"].get<std::string>(), HasSubstr("Did you mean 'stats'"));
  r = testing::Curl(port, "/v1/push",
                    R"({"feature_view": "stats", "df": {"customer_id": [1],
                        "event_time": [1], "spend": ["lots"]}})");
  EXPECT_EQ(testing::CurlStatus(r), 400);
  EXPECT_THAT(testing::CurlJson(r)["error"].get<std::string>(), HasSubstr("df.spend[0]"));
  r = testing::Curl(port, "/v1/features", R"({"features": ["stats:spend"]})");
  EXPECT_EQ(testing::CurlStatus(r), 400);
  EXPECT_THAT(testing::CurlJson(r)["error"].get<std::string>(), HasSubstr("'entities' is missing"));
  r = testing::Curl(port, "/v1/features");  // GET
  EXPECT_EQ(testing::CurlStatus(r), 405);

  // The embedded store is held by the server: materialize says so clearly.
  testing::CommandResult busy =
      Keel({"features", "materialize", "--start", "2024-01-01", "--end", "2024-01-03"});
  EXPECT_NE(busy.exit_code, 0);
  EXPECT_THAT(busy.err, HasSubstr("open in another process"));
  EXPECT_EQ(server->Stop(SIGTERM), 0);

  // After the server stops, the pushed row is still there (durable).
  testing::CommandResult online = Keel({"features", "get-online", "--service", "fraud", "--entity",
                                        "customer_id=3", "--json", "--at", "2024-02-01T00:00:00"});
  ASSERT_EQ(online.exit_code, 0) << online.err;
  EXPECT_EQ(json::parse(online.out)["results"][1]["values"], json::parse("[99.5]"));
}

TEST_F(FeaturesServeCliTest, PushesReachTheOfflineStoreWhenAsked) {
  int port = 0;
  auto server = testing::StartKeelServe({"--online-features"}, dir_.path(), &port);
  ASSERT_NE(port, 0) << server->err();
  testing::CommandResult r = testing::Curl(port, "/v1/push", R"({"feature_view": "stats",
      "to": "online_and_offline", "df": {"customer_id": [4], "event_time": ["2024-01-05T00:00:00Z"],
      "spend": [4.5], "orders": [44]}})");
  ASSERT_EQ(testing::CurlStatus(r), 200) << r.out;
  EXPECT_EQ(testing::CurlJson(r)["to"], "online_and_offline");
  r = testing::Curl(port, "/v1/push", R"({"feature_view": "stats", "to": "offline",
      "df": {"customer_id": [5], "event_time": ["2024-01-05T12:00:00Z"], "spend": [5.5]}})");
  ASSERT_EQ(testing::CurlStatus(r), 200) << r.out;
  EXPECT_EQ(testing::CurlJson(r)["rows"], 1);
  const std::string request =
      R"({"feature_service": "fraud", "entities": {"customer_id": [4, 5]}})";
  json body = testing::CurlJson(testing::Curl(port, "/v1/features", request));
  EXPECT_EQ(body["results"][1]["values"], json::parse("[4.5, null]"));  // 5: offline only
  EXPECT_EQ(body["results"][2]["values"], json::parse("[44, null]"));
  EXPECT_EQ(server->Stop(SIGTERM), 0);

  // Training sees both pushes: each made a version of the view's dataset.
  testing::CommandResult hist;
  std::vector<json> rows = HistoricalAtJan6(&hist);
  ASSERT_EQ(rows.size(), 3u) << hist.err;
  EXPECT_EQ(rows[0]["stats__spend"], 21.5);
  EXPECT_EQ(rows[1]["stats__spend"], 4.5);
  EXPECT_EQ(rows[1]["stats__orders"], 44);
  EXPECT_EQ(rows[2]["stats__spend"], 5.5);
  EXPECT_EQ(rows[2]["stats__orders"], nullptr);
  testing::CommandResult versions = Keel({"datasets", "versions", "stats"});
  EXPECT_EQ(versions.exit_code, 0) << versions.err;
  EXPECT_THAT(versions.out, HasSubstr("push"));
}

// A push source with no dataset: its rows are only online, and the commands
// that read rows offline say so.
TEST_F(FeaturesServeCliTest, APushOnlySourceIsOnlineOnly) {
  std::string defs = kDefinitions;
  defs.replace(defs.find("services:"), 9,
               "  - name: clicks\n    entities: [customer]\n    source: click_push\n"
               "    features: [{name: clicks, type: int64}]\nservices:\n"
               "  - {name: clicky, features: [\"clicks:*\"]}");
  defs.replace(defs.find("feature_views:"), 14,
               "  - {name: click_push, push: true, timestamp_field: at}\nfeature_views:");
  ASSERT_TRUE(WriteFileAtomic(dir_.path() + "/features.yaml", defs).ok());
  testing::CommandResult applied = Keel({"features", "apply", "features.yaml"});
  ASSERT_EQ(applied.exit_code, 0) << applied.err;
  testing::CommandResult described = Keel({"features", "describe", "clicks"});
  EXPECT_THAT(described.out, HasSubstr("click_push (push, online only, time at)"));
  // materialize skips it (the other view still materializes); named, it is refused.
  testing::CommandResult m =
      Keel({"features", "materialize", "--start", "2024-01-01", "--end", "2024-01-03"});
  EXPECT_EQ(m.exit_code, 0) << m.err;
  EXPECT_THAT(m.out, HasSubstr("clicks: skipped (a push source without a dataset"));
  m = Keel({"features", "materialize", "--start", "2024-01-01", "--end", "2024-01-03", "--view",
            "clicks"});
  EXPECT_NE(m.exit_code, 0);
  EXPECT_THAT(m.err, HasSubstr("is a push source without a dataset"));

  int port = 0;
  auto server = testing::StartKeelServe({"--online-features"}, dir_.path(), &port);
  ASSERT_NE(port, 0) << server->err();
  const std::string df = R"("df": {"customer_id": [7], "at": ["2024-01-05T00:00:00Z"],
                                   "clicks": [12]}})";
  testing::CommandResult r = testing::Curl(
      port, "/v1/push", absl::StrCat(R"({"feature_view": "clicks", "to": "offline", )", df));
  EXPECT_EQ(testing::CurlStatus(r), 400);
  EXPECT_THAT(testing::CurlJson(r)["error"].get<std::string>(),
              HasSubstr("reads push source 'click_push', which names no dataset"));
  r = testing::Curl(port, "/v1/push", absl::StrCat(R"({"feature_view": "clicks", )", df));
  ASSERT_EQ(testing::CurlStatus(r), 200) << r.out;
  json body = testing::CurlJson(testing::Curl(
      port, "/v1/features", R"({"feature_service": "clicky", "entities": {"customer_id": [7]}})"));
  EXPECT_EQ(body["results"][1]["values"], json::parse("[12]"));
  EXPECT_EQ(server->Stop(SIGTERM), 0);

  ASSERT_TRUE(WriteFileAtomic(dir_.path() + "/entities.csv",
                              "customer_id,event_timestamp\n7,2024-01-06T00:00:00Z\n")
                  .ok());
  r = Keel({"features", "get-historical", "--entities", "entities.csv", "--service", "clicky",
            "--out", "hist.jsonl"});
  EXPECT_NE(r.exit_code, 0);
  EXPECT_THAT(r.err, HasSubstr("source 'click_push' (features.yaml:"));
  EXPECT_THAT(r.err, HasSubstr("is a push source without a dataset"));
}

TEST_F(FeaturesServeCliTest, FeatureEndpointsAreOffWithoutTheFlag) {
  testing::CommandResult r = Keel({"serve"});
  EXPECT_NE(r.exit_code, 0);
  EXPECT_THAT(r.err, HasSubstr("--online-features"));
}

// A model trained on a service's training set serves with requests that
// carry only the entity key and the other inputs: keel serve reads the
// service's features from the online store itself (one hop), and scores
// them exactly as `keel predict` does on the same values.
TEST_F(FeaturesServeCliTest, AModelNamingItsFeatureServiceFetchesFeaturesItself) {
  std::string entities = "customer_id,event_timestamp,amount,label\n";
  for (int i = 0; i < 60; ++i) {
    const int customer = 1 + i % 2;
    const double amount = 5.0 + (i * 37) % 100;
    const int label = (amount > 50) != (customer == 2 && i % 5 == 0) ? 1 : 0;
    entities += absl::StrCat(customer, ",2024-01-03T00:00:00,", amount, ",", label, "\n");
  }
  ASSERT_TRUE(WriteFileAtomic(dir_.path() + "/entities.csv", entities).ok());
  ASSERT_TRUE(WriteFileAtomic(dir_.path() + "/prep.yaml",
                              "remainder: drop\nsteps:\n  - step: impute\n    columns: [amount, "
                              "stats__spend, stats__orders]\n")
                  .ok());
  ASSERT_EQ(Keel({"features", "get-historical", "--entities", "entities.csv", "--service", "fraud",
                  "--out", "train.csv"})
                .exit_code,
            0);
  ASSERT_EQ(Keel({"ingest", "train.csv", "--name", "train"}).exit_code, 0);
  testing::CommandResult bad =
      Keel({"train", "--data", "train", "--target", "label", "--model", "gbdt", "--transform",
            "prep.yaml", "--feature-service", "frud", "--name", "fraud"});
  EXPECT_NE(bad.exit_code, 0);
  EXPECT_THAT(bad.err, HasSubstr("Did you mean 'fraud'"));
  testing::CommandResult trained =
      Keel({"train", "--data", "train", "--target", "label", "--model", "gbdt", "--transform",
            "prep.yaml", "--feature-service", "fraud", "--name", "fraud", "-p", "n_estimators=10"});
  ASSERT_EQ(trained.exit_code, 0) << trained.err;

  // What keel predict gives with the features the online store holds
  // (customer 1: spend 21.5, orders 3; customer 2: 7.25, 9; 3: unknown).
  ASSERT_TRUE(WriteFileAtomic(dir_.path() + "/rows.csv",
                              "amount,stats__spend,stats__orders\n80,21.5,3\n20,7.25,9\n60,,\n")
                  .ok());
  const std::vector<double> expected = PredictedProbabilities("fraud");
  ASSERT_EQ(expected.size(), 3u);

  // No --online-features: the bundle's service opens the store by itself.
  int port = 0;
  auto server = testing::StartKeelServe({"--model", "fraud"}, dir_.path(), &port);
  ASSERT_NE(port, 0) << server->err();
  json meta = testing::CurlJson(testing::Curl(port, "/v2/models/fraud"));
  std::vector<std::string> input_names;
  for (const json& i : meta["inputs"]) input_names.push_back(i["name"].get<std::string>());
  EXPECT_THAT(input_names, ::testing::UnorderedElementsAre("amount", "customer_id"));

  testing::CommandResult r;
  const json probability = InferProbability(port, "fraud", {80, 20, 60}, {1, 2, 3}, &r);
  ASSERT_EQ(testing::CurlStatus(r), 200) << r.out;
  ASSERT_EQ(probability.size(), 3u) << r.out;
  for (int i = 0; i < 3; ++i) EXPECT_EQ(probability[i].get<double>(), expected[i]) << i;

  // A push moves customer 2's features; the next request scores the new ones.
  ASSERT_EQ(
      testing::CurlStatus(testing::Curl(port, "/v1/push",
                                        R"({"feature_view": "stats", "df": {"customer_id": [2],
                    "event_time": ["2024-03-01T00:00:00Z"], "spend": [21.5], "orders": [3]}})")),
      200);
  const json one = {
      {"inputs",
       {{{"name", "amount"}, {"datatype", "FP64"}, {"shape", {1}}, {"data", {80}}},
        {{"name", "customer_id"}, {"datatype", "INT64"}, {"shape", {1}}, {"data", {2}}}}}};
  r = testing::Curl(port, "/v2/models/fraud/infer", one.dump());
  ASSERT_EQ(testing::CurlStatus(r), 200) << r.out;
  const json pushed_outputs = testing::CurlJson(r)["outputs"];
  ASSERT_EQ(pushed_outputs.size(), 2u) << r.out;
  for (const json& o : pushed_outputs) {
    if (o["name"] == "probability") {
      EXPECT_EQ(o["data"][0].get<double>(), expected[0]);
    }
  }
  // The join key is required, and named when missing.
  const json no_key = {
      {"inputs", {{{"name", "amount"}, {"datatype", "FP64"}, {"shape", {1}}, {"data", {1}}}}}};
  r = testing::Curl(port, "/v2/models/fraud/infer", no_key.dump());
  EXPECT_EQ(testing::CurlStatus(r), 400);
  EXPECT_THAT(r.out, HasSubstr("customer_id"));
  EXPECT_EQ(server->Stop(SIGTERM), 0);
}

// A model trained on a service of on-demand features: requests carry the
// join key and the request field; the server fetches the features the
// expressions read (the model does not use them itself), computes the
// on-demand ones as get-historical did, and scores exactly as `keel
// predict` on the same values.
TEST_F(FeaturesServeCliTest, AModelOnOnDemandFeaturesComputesThemPerRequest) {
  std::string definitions(kDefinitions);
  definitions.replace(definitions.find("services:\n"), 10, R"yaml(on_demand_views:
  - name: txn
    request_fields: [{name: amount, type: float64}]
    features:
      - {name: per_order, type: float64, expression: "amount / stats.orders"}
      - {name: over, type: float64, expression: "if(amount > 2 * coalesce(stats.spend, 0), 1, 0)"}
services:
  - {name: fraud_od, features: ["txn:*"]}
)yaml");
  ASSERT_TRUE(WriteFileAtomic(dir_.path() + "/features_od.yaml", definitions).ok());
  testing::CommandResult applied = Keel({"features", "apply", "features_od.yaml"});
  ASSERT_EQ(applied.exit_code, 0) << applied.err;
  std::string entities = "customer_id,event_timestamp,amount,label\n";
  for (int i = 0; i < 60; ++i) {
    const int customer = 1 + i % 2;
    const int amount = 5 + (i * 37) % 100;  // integers: CSV typing must make them float64
    const int label = (amount > 50) != (customer == 2 && i % 5 == 0) ? 1 : 0;
    entities += absl::StrCat(customer, ",2024-01-03T00:00:00,", amount, ",", label, "\n");
  }
  ASSERT_TRUE(WriteFileAtomic(dir_.path() + "/entities.csv", entities).ok());
  ASSERT_TRUE(WriteFileAtomic(dir_.path() + "/prep.yaml",
                              "remainder: drop\nsteps:\n  - step: impute\n    columns: [amount, "
                              "txn__per_order, txn__over]\n")
                  .ok());
  testing::CommandResult historical =
      Keel({"features", "get-historical", "--entities", "entities.csv", "--service", "fraud_od",
            "--out", "train.csv"});
  ASSERT_EQ(historical.exit_code, 0) << historical.err;
  const std::vector<std::string> train =
      absl::StrSplit(*ReadFile(dir_.path() + "/train.csv"), "\n", absl::SkipEmpty());
  EXPECT_EQ(train[0], "customer_id,event_timestamp,amount,label,txn__per_order,txn__over");
  ASSERT_EQ(Keel({"ingest", "train.csv", "--name", "train"}).exit_code, 0);
  testing::CommandResult trained =
      Keel({"train", "--data", "train", "--target", "label", "--model", "gbdt", "--transform",
            "prep.yaml", "--feature-service", "fraud_od", "--name", "od", "-p", "n_estimators=10"});
  ASSERT_EQ(trained.exit_code, 0) << trained.err;

  // The on-demand values for customer 1 (spend 21.5, orders 3), 2 (7.25, 9)
  // and 3 (unknown), as keel predict reads them.
  ASSERT_TRUE(WriteFileAtomic(dir_.path() + "/rows.csv",
                              absl::StrFormat("amount,txn__per_order,txn__over\n80,%.17g,1.0\n"
                                              "10,%.17g,0.0\n60,,1.0\n",
                                              80.0 / 3, 10.0 / 9))
                  .ok());
  const std::vector<double> expected = PredictedProbabilities("od");
  ASSERT_EQ(expected.size(), 3u);

  int port = 0;
  auto server = testing::StartKeelServe({"--model", "od"}, dir_.path(), &port);
  ASSERT_NE(port, 0) << server->err();
  json meta = testing::CurlJson(testing::Curl(port, "/v2/models/od"));
  std::vector<std::string> input_names;
  for (const json& i : meta["inputs"]) input_names.push_back(i["name"].get<std::string>());
  EXPECT_THAT(input_names, ::testing::UnorderedElementsAre("amount", "customer_id"));
  testing::CommandResult r;
  const json probability = InferProbability(port, "od", {80, 10, 60}, {1, 2, 3}, &r);
  ASSERT_EQ(testing::CurlStatus(r), 200) << r.out;
  ASSERT_EQ(probability.size(), 3u) << r.out;
  for (int i = 0; i < 3; ++i) EXPECT_EQ(probability[i].get<double>(), expected[i]) << i;
  EXPECT_EQ(server->Stop(SIGTERM), 0);
}

}  // namespace
}  // namespace keel
