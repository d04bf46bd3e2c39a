// End-to-end: `keel serve --online-features` answers POST /v1/features in
// Feast's shape from what `keel features materialize` wrote, takes
// POST /v1/push, and answers bad requests with 4xx JSON naming the field.
#include <string>
#include <vector>

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
  testing::CommandResult online = Keel({"features", "get-online", "--service", "fraud",
                                        "--entity", "customer_id=3", "--json", "--at",
                                        "2024-02-01T00:00:00"});
  ASSERT_EQ(online.exit_code, 0) << online.err;
  EXPECT_EQ(json::parse(online.out)["results"][1]["values"], json::parse("[99.5]"));
}

TEST_F(FeaturesServeCliTest, FeatureEndpointsAreOffWithoutTheFlag) {
  testing::CommandResult r = Keel({"serve"});
  EXPECT_NE(r.exit_code, 0);
  EXPECT_THAT(r.err, HasSubstr("--online-features"));
}

}  // namespace
}  // namespace keel
