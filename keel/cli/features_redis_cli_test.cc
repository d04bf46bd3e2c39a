// End-to-end: the feature store on Redis (online_store.type: redis) from the
// CLI: materialisation with the server down fails clearly and records no
// watermark; once it is back, materialize-incremental starts from scratch
// and get-online reads the values; a restarted server loses nothing that
// materialize-incremental cannot write again.
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "keel/base/files.h"
#include "keel/base/testing/temp_dir.h"
#include "keel/cli/run_keel_for_test.h"
#include "keel/features/testing/redis_test_server.h"
#include "nlohmann/json.hpp"

namespace keel {
namespace {

using ::testing::HasSubstr;
using json = nlohmann::json;

constexpr char kDefinitions[] = R"(entities:
  - {name: customer, join_keys: [{name: customer_id, type: int64}]}
sources:
  - {name: s, dataset: stats, timestamp_field: event_time}
feature_views:
  - {name: stats, entities: [customer], source: s, features: [{name: spend, type: float64}]}
services:
  - {name: fraud, features: ["stats:*"]}
)";

class FeaturesRedisCliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    StatusOr<std::unique_ptr<testing::RedisTestServer>> server = testing::RedisTestServer::Start();
    ASSERT_TRUE(server.ok()) << server.status();
    redis_ = *std::move(server);
    ASSERT_EQ(Keel({"init", "--project", "t"}).exit_code, 0);
    ASSERT_TRUE(WriteFileAtomic(dir_.path() + "/features.yaml", kDefinitions).ok());
    ASSERT_TRUE(WriteFileAtomic(dir_.path() + "/stats.csv",
                                "customer_id,event_time,spend\n1,2024-01-01T00:00:00Z,1.5\n"
                                "2,2024-01-02T00:00:00Z,2.5\n")
                    .ok());
    ASSERT_EQ(Keel({"ingest", "stats.csv", "--name", "stats"}).exit_code, 0);
    ASSERT_EQ(Keel({"features", "apply", "features.yaml"}).exit_code, 0);
  }
  testing::CommandResult Keel(std::vector<std::string> args) {
    return testing::RunKeel(std::move(args), dir_.path(),
                            {"KEEL_ONLINE_STORE_TYPE=redis",
                             "KEEL_ONLINE_STORE_REDIS_URL=" + redis_->url()});
  }
  json Online() {
    testing::CommandResult r = Keel({"features", "get-online", "--service", "fraud", "--entity",
                                     "customer_id=1", "--entity", "customer_id=2", "--json"});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return json::parse(r.out, nullptr, false);
  }

  testing::TempDir dir_;
  std::unique_ptr<testing::RedisTestServer> redis_;
};

TEST_F(FeaturesRedisCliTest, ServerDownFailsClearlyAndTheNextRunStartsOver) {
  redis_->Kill();
  testing::CommandResult down = Keel({"features", "materialize-incremental", "--end",
                                      "2024-01-03T00:00:00"});
  EXPECT_NE(down.exit_code, 0);
  EXPECT_THAT(down.err, HasSubstr(absl::StrCat("127.0.0.1:", redis_->port())));

  ASSERT_TRUE(redis_->StartAgain().ok());
  testing::CommandResult up =
      Keel({"features", "materialize-incremental", "--end", "2024-01-03T00:00:00", "--json"});
  ASSERT_EQ(up.exit_code, 0) << up.err;
  const json report = json::parse(up.out);
  // No watermark was recorded by the failed run: this one starts at the
  // beginning (the view has no TTL) and writes both customers.
  EXPECT_EQ(report["feature_views"][0]["start"], "0001-01-01T00:00:00Z");
  EXPECT_EQ(report["feature_views"][0]["entities_written"], 2);
  EXPECT_THAT(report["store"].get<std::string>(), HasSubstr("redis:redis://127.0.0.1:"));
  EXPECT_EQ(Online()["results"][1]["values"], json::parse("[1.5, 2.5]"));

  // The test server keeps nothing on disk: a restart empties it. A full
  // materialisation writes everything again; the incremental one would not
  // (its watermark says done), which is why the watermark is per store.
  ASSERT_TRUE(redis_->Restart().ok());
  EXPECT_EQ(Online()["results"][1]["statuses"], json::parse(R"(["NOT_FOUND","NOT_FOUND"])"));
  ASSERT_EQ(Keel({"features", "materialize", "--start", "2024-01-01", "--end", "2024-01-03"})
                .exit_code,
            0);
  EXPECT_EQ(Online()["results"][1]["values"], json::parse("[1.5, 2.5]"));
}

}  // namespace
}  // namespace keel
