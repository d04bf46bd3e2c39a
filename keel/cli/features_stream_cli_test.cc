// End-to-end: `keel features stream` reads a Redis Stream (a real
// redis-server), writes the events to the online store (get-online sees
// them), dead-letters a bad message with its reason, appends the events to
// the view's source dataset (get-historical sees them), and stops cleanly
// on SIGTERM.
#include <signal.h>

#include <chrono>
#include <memory>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "keel/base/files.h"
#include "keel/base/testing/subprocess.h"
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
2,2024-01-01T00:00:00,7.25,9
)";

class FeaturesStreamCliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    StatusOr<std::unique_ptr<testing::RedisTestServer>> server = testing::RedisTestServer::Start();
    ASSERT_TRUE(server.ok()) << server.status();
    redis_ = std::move(*server);
    ASSERT_EQ(Keel({"init", "--project", "t"}).exit_code, 0);
    ASSERT_TRUE(WriteFileAtomic(dir_.path() + "/features.yaml", kDefinitions).ok());
    ASSERT_TRUE(WriteFileAtomic(dir_.path() + "/stats.csv", kStats).ok());
    ASSERT_EQ(Keel({"ingest", "stats.csv", "--name", "stats"}).exit_code, 0);
    ASSERT_EQ(Keel({"features", "apply", "features.yaml"}).exit_code, 0);
  }
  testing::CommandResult Keel(std::vector<std::string> args) {
    return testing::RunKeel(std::move(args), dir_.path());
  }
  std::string Add(const std::vector<std::string>& fields) {
    std::vector<std::string> args = {"XADD", "events", "*"};
    args.insert(args.end(), fields.begin(), fields.end());
    StatusOr<testing::RedisTestServer::Reply> r = redis_->Command(args);
    EXPECT_TRUE(r.ok()) << r.status();
    return r.ok() ? r->str : "";
  }
  json GetOnline(const std::string& customer) {
    testing::CommandResult r =
        Keel({"features", "get-online", "--service", "fraud", "--entity", "customer_id=" + customer,
              "--json", "--at", "2024-02-01T00:00:00"});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return json::parse(r.out, nullptr, false);
  }

  testing::TempDir dir_;
  std::unique_ptr<testing::RedisTestServer> redis_;
};

TEST_F(FeaturesStreamCliTest, StreamsToTheOnlineStoreTheLakeAndTheDeadLetters) {
  Add({"feature_view", "stats", "customer_id", "1", "event_time", "2024-01-02T00:00:00Z", "spend",
       "21.5", "orders", "3"});
  const std::string bad =
      Add({"customer_id", "2", "event_time", "2024-01-02T00:00:00Z", "spend", "a lot"});
  Add({"customer_id", "3", "event_time", "2024-01-03T00:00:00Z", "spend", "99.5"});
  testing::CommandResult r =
      Keel({"features", "stream", "--redis-url", redis_->url(), "--stream", "events", "--view",
            "stats", "--start-id", "0", "--max-events", "3", "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const json summary = json::parse(r.out, nullptr, false);
  ASSERT_TRUE(summary.is_object()) << r.out;
  EXPECT_EQ(summary["read"], 3);
  EXPECT_EQ(summary["pushed"], 2);
  EXPECT_EQ(summary["dead_lettered"], 1);
  EXPECT_EQ(summary["dead_letter_stream"], "events:dead");
  EXPECT_EQ(summary["offline"]["appended"], 2);
  EXPECT_TRUE(summary["offline"]["datasets"].contains("stats")) << summary.dump();
  EXPECT_EQ(summary["latest_event_time"], "2024-01-03T00:00:00Z");
  EXPECT_THAT(r.err, HasSubstr("dead-lettered"));

  // Online: the streamed values.
  json online = GetOnline("1");
  EXPECT_EQ(online["results"][1]["values"], json::parse("[21.5]")) << online.dump();
  EXPECT_EQ(online["results"][2]["values"], json::parse("[3]"));
  online = GetOnline("3");
  EXPECT_EQ(online["results"][1]["values"], json::parse("[99.5]"));
  EXPECT_EQ(online["results"][2]["statuses"], json::parse(R"(["NULL_VALUE"])")) << online.dump();

  // The dead letter keeps the message, its id and the reason.
  StatusOr<testing::RedisTestServer::Reply> dead = redis_->Command(
      {"EVAL", "return cjson.encode(redis.call('XRANGE', KEYS[1], '-', '+'))", "1", "events:dead"});
  ASSERT_TRUE(dead.ok()) << dead.status();
  const json entries = json::parse(dead->str);
  ASSERT_EQ(entries.size(), 1u);
  const std::string fields = entries[0][1].dump();
  EXPECT_THAT(fields, HasSubstr(R"("id",")" + bad + "\""));
  EXPECT_THAT(fields, HasSubstr("field 'spend' = 'a lot' is not a finite number (float64)"));

  // Offline: the source dataset has a new version with the streamed rows,
  // and a training set built after them sees them.
  ASSERT_TRUE(
      WriteFileAtomic(dir_.path() + "/entities.csv",
                      "customer_id,event_timestamp\n1,2024-01-01T12:00:00\n"
                      "1,2024-01-05T00:00:00\n3,2024-01-05T00:00:00\n2,2024-01-05T00:00:00\n")
          .ok());
  testing::CommandResult h = Keel({"features", "get-historical", "--entities", "entities.csv",
                                   "--service", "fraud", "--out", "train.jsonl"});
  ASSERT_EQ(h.exit_code, 0) << h.err;
  StatusOr<std::string> text = ReadFile(dir_.path() + "/train.jsonl");
  ASSERT_TRUE(text.ok()) << text.status();
  std::vector<json> rows;
  std::istringstream lines(*text);
  for (std::string line; std::getline(lines, line);) rows.push_back(json::parse(line));
  ASSERT_EQ(rows.size(), 4u);
  // Before the streamed event; after it; a customer only the stream knows;
  // one whose streamed event was dead-lettered.
  const std::vector<json> spend = {10.5, 21.5, 99.5, 7.25};
  const std::vector<json> orders = {1, 3, nullptr, 9};
  for (size_t i = 0; i < rows.size(); ++i) {
    SCOPED_TRACE(i);
    EXPECT_EQ(rows[i]["stats__spend"], spend[i]);
    EXPECT_EQ(rows[i]["stats__orders"], orders[i]);
  }
}

TEST_F(FeaturesStreamCliTest, StopsCleanlyOnSigtermAndFlushesTheLake) {
  testing::BackgroundProcess stream(
      {KEEL_BINARY, "features", "stream", "--redis-url", redis_->url(), "--stream", "events",
       "--view", "stats", "--consumer", "c1"},
      {.cwd = dir_.path(), .unset_env = {"KEEL_WORKSPACE"}});
  ASSERT_TRUE(stream.WaitFor("consuming as keel/c1", 30000, /*on_stderr=*/true)) << stream.err();
  Add({"customer_id", "5", "event_time", "2024-01-04T00:00:00Z", "spend", "5.5", "orders", "1"});
  // Read and pushed, but acknowledged only once the lake has it: at the
  // flush on stop.
  auto pending = [&] {
    StatusOr<testing::RedisTestServer::Reply> r = redis_->Command(
        {"EVAL", "return redis.call('XPENDING', KEYS[1], ARGV[1])[1]", "1", "events", "keel"});
    EXPECT_TRUE(r.ok()) << r.status();
    return r.ok() ? r->integer : -1;
  };
  for (int i = 0; i < 1000 && pending() != 1; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  ASSERT_EQ(pending(), 1) << stream.err();
  EXPECT_EQ(stream.Stop(SIGTERM, 30000), 0) << stream.err();
  EXPECT_THAT(stream.err(), HasSubstr("stream events: 1 events"));
  EXPECT_EQ(pending(), 0);
  EXPECT_EQ(GetOnline("5")["results"][1]["values"], json::parse("[5.5]"));
  testing::CommandResult versions = Keel({"datasets", "versions", "stats", "--json"});
  EXPECT_THAT(versions.out, HasSubstr("redis-stream"));
}

TEST_F(FeaturesStreamCliTest, SaysClearlyWhenRedisIsNotThere) {
  const std::string url = redis_->url();
  redis_->Stop();
  testing::CommandResult r =
      Keel({"features", "stream", "--redis-url", url, "--stream", "events", "--view", "stats"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.err, HasSubstr("cannot reach redis at 127.0.0.1:"));
  EXPECT_THAT(r.err, HasSubstr("is redis-server running"));
  r = Keel({"features", "stream", "--stream", "events", "--view", "stat"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.err, HasSubstr("Did you mean 'stats'"));
}

}  // namespace
}  // namespace keel
