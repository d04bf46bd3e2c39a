// StreamConsumer against a real redis-server (RedisTestServer) and the
// embedded online store: events land in the store within milliseconds, bad
// messages are dead-lettered with their reason, pending entries are
// replayed after a crash, the consumer rides out a Redis restart, and the
// offline sink sees every event before it is acknowledged.
#include "keel/features/stream.h"

#include <hiredis/hiredis.h>
#include <sys/time.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <thread>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "keel/base/testing/ports.h"
#include "keel/base/testing/temp_dir.h"
#include "keel/features/embedded_online_store.h"
#include "keel/features/online_features.h"
#include "keel/features/testing/redis_test_server.h"

namespace keel::features {
namespace {

using ::keel::testing::RedisTestServer;
using ::testing::HasSubstr;
using json = nlohmann::json;
using Clock = std::chrono::steady_clock;

constexpr char kDefs[] = R"(entities:
  - {name: customer, join_keys: [{name: customer_id, type: int64}]}
sources:
  - {name: cs, dataset: c, timestamp_field: event_time}
feature_views:
  - name: stats
    entities: [customer]
    source: cs
    features: [{name: spend, type: float64}, {name: tier, type: string}]
)";

// One connection that adds messages, as a producer would.
class Producer {
 public:
  explicit Producer(int port)
      : c_(redisConnectWithTimeout("127.0.0.1", port, timeval{.tv_sec = 5, .tv_usec = 0})) {}
  ~Producer() { redisFree(c_); }
  // XADD stream * fields...; returns the id ("" on failure).
  std::string Add(const std::string& stream, const std::vector<std::string>& fields) {
    std::vector<std::string> args = {"XADD", stream, "*"};
    args.insert(args.end(), fields.begin(), fields.end());
    std::vector<const char*> argv;
    std::vector<size_t> lengths;
    for (const std::string& a : args) {
      argv.push_back(a.data());
      lengths.push_back(a.size());
    }
    auto* r = static_cast<redisReply*>(
        redisCommandArgv(c_, static_cast<int>(argv.size()), argv.data(), lengths.data()));
    std::string id =
        r != nullptr && r->type == REDIS_REPLY_STRING ? std::string(r->str, r->len) : "";
    freeReplyObject(r);
    return id;
  }

 private:
  redisContext* c_;
};

std::vector<std::string> Event(int64_t customer, int64_t time_us, const std::string& spend,
                               const std::string& tier = "gold") {
  return {"customer_id", absl::StrCat(customer),
          "event_time",  absl::StrCat(time_us),
          "spend",       spend,
          "tier",        tier};
}

// Records what a flush hands over; fails while `fail` is set.
class FakeSink : public OfflineEventSink {
 public:
  Status Append(const OfflineEvents& events) override {
    if (fail) return absl::UnavailableError("the lake is not there");
    for (const Table& t : events.batches) rows += t.num_rows();
    raw += events.raw_jsonl;
    ++appends;
    return absl::OkStatus();
  }
  bool fail = false;
  int64_t rows = 0;
  int appends = 0;
  std::string raw;
};

class StreamTest : public ::testing::Test {
 protected:
  void SetUp() override {
    StatusOr<std::unique_ptr<RedisTestServer>> server = RedisTestServer::Start();
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = std::move(*server);
    defs_ = *FeatureDefinitions::Parse(kDefs, "f.yaml");
    StatusOr<std::unique_ptr<EmbeddedOnlineStore>> store = EmbeddedOnlineStore::Open(dir_.path());
    ASSERT_TRUE(store.ok()) << store.status();
    store_ = std::move(*store);
    view_ = OnlineView::From(defs_, *defs_.FindView("stats"));
  }

  StreamOptions Options(std::string consumer = "c1") const {
    StreamOptions o;
    o.redis_url = server_->url();
    o.stream = "events";
    o.consumer = std::move(consumer);
    o.default_view = "stats";
    o.start_id = "0";
    o.block_ms = 100;
    o.retry_backoff_ms = 10;
    o.max_backoff_ms = 200;
    return o;
  }

  std::unique_ptr<StreamConsumer> Consumer(const StreamOptions& o,
                                           OfflineEventSink* sink = nullptr) {
    StatusOr<std::unique_ptr<StreamConsumer>> c = StreamConsumer::Create(defs_, *store_, sink, o);
    EXPECT_TRUE(c.ok()) << c.status();
    return c.ok() ? std::move(*c) : nullptr;
  }

  // The stored row of customer `id`.
  OnlineRow Row(int64_t id) {
    const std::vector<std::string> keys = {absl::StrCat("customer_id=", id)};
    const std::vector<std::string> features = {"spend", "tier"};
    std::vector<OnlineRow> out;
    const Status s = store_->Read(view_, keys, features, 0, &out);
    EXPECT_TRUE(s.ok()) << s;
    return out.empty() ? OnlineRow() : out[0];
  }

  // Waits (5 s at most) until customer `id`'s row has event time `time_us`.
  bool WaitForRow(int64_t id, int64_t time_us) {
    const auto deadline = Clock::now() + std::chrono::seconds(5);
    while (Clock::now() < deadline) {
      const OnlineRow r = Row(id);
      if (r.found && r.event_time == time_us) return true;
      std::this_thread::sleep_for(std::chrono::microseconds(50));
    }
    return false;
  }

  // The entries of `stream`: [[id, [field, value, ...]], ...].
  json Entries(const std::string& stream) const {
    StatusOr<RedisTestServer::Reply> r = server_->Command(
        {"EVAL", "return cjson.encode(redis.call('XRANGE', KEYS[1], '-', '+'))", "1", stream});
    EXPECT_TRUE(r.ok()) << r.status();
    return r.ok() ? json::parse(r->str) : json();
  }
  // How many entries the group has read but not acknowledged.
  long long Pending() const {
    StatusOr<RedisTestServer::Reply> r = server_->Command(
        {"EVAL", "return redis.call('XPENDING', KEYS[1], ARGV[1])[1]", "1", "events", "keel"});
    EXPECT_TRUE(r.ok()) << r.status();
    return r.ok() ? r->integer : -1;
  }

  testing::TempDir dir_;
  std::unique_ptr<RedisTestServer> server_;
  FeatureDefinitions defs_;
  std::unique_ptr<EmbeddedOnlineStore> store_;
  OnlineView view_;
};

// Runs `consumer` on a thread until Stop().
class Running {
 public:
  explicit Running(StreamConsumer& consumer)
      : thread_([this, &consumer] { status_ = consumer.Run([this] { return stop_.load(); }); }) {}
  ~Running() { Stop().IgnoreError(); }
  Status Stop() {
    stop_ = true;
    if (thread_.joinable()) thread_.join();
    return status_;
  }

 private:
  std::atomic<bool> stop_{false};
  Status status_;
  std::thread thread_;
};

TEST_F(StreamTest, EventsReachTheOnlineStoreWithinMilliseconds) {
  auto consumer = Consumer(Options());
  ASSERT_NE(consumer, nullptr);
  Running running(*consumer);
  Producer producer(server_->port());
  constexpr int kEvents = 200;
  std::vector<double> latency_ms;
  for (int i = 0; i < kEvents; ++i) {
    const int64_t time_us = 1'700'000'000'000'000 + i;
    const auto start = Clock::now();
    ASSERT_FALSE(producer.Add("events", Event(i % 10, time_us, absl::StrCat(i, ".5"))).empty());
    ASSERT_TRUE(WaitForRow(i % 10, time_us)) << "event " << i << " never arrived";
    latency_ms.push_back(std::chrono::duration<double, std::milli>(Clock::now() - start).count());
  }
  ASSERT_TRUE(running.Stop().ok());
  std::sort(latency_ms.begin(), latency_ms.end());
  std::printf(
      "XADD -> readable in the embedded online store, %d events one at a time: "
      "median %.3f ms, p90 %.3f ms, p99 %.3f ms, max %.3f ms\n",
      kEvents, latency_ms[kEvents / 2], latency_ms[kEvents * 9 / 10],
      latency_ms[kEvents * 99 / 100], latency_ms.back());

  // The values are the last event's of each customer.
  for (int c = 0; c < 10; ++c) {
    const OnlineRow r = Row(c);
    ASSERT_TRUE(r.found);
    EXPECT_EQ(r.values[0].float_value, 190 + c + 0.5);
    EXPECT_EQ(r.values[1].string_value, "gold");
  }
  const StreamStats& s = consumer->stats();
  EXPECT_EQ(s.read, kEvents);
  EXPECT_EQ(s.pushed, kEvents);
  EXPECT_EQ(s.dead_lettered, 0);
  EXPECT_EQ(s.acked, kEvents);
  EXPECT_EQ(s.latest_event_time_us, 1'700'000'000'000'000 + kEvents - 1);
  EXPECT_GT(s.lag_us, 0);
  EXPECT_EQ(Pending(), 0);
}

TEST_F(StreamTest, StreamedEventsUpdateWindowedAggregatesOncePerMessage) {
  defs_ = *FeatureDefinitions::Parse(R"(entities:
  - {name: customer, join_keys: [{name: customer_id, type: int64}]}
sources:
  - {name: txns, dataset: t, timestamp_field: event_time}
feature_views:
  - name: txn
    entities: [customer]
    source: txns
    aggregations:
      - {column: amount, type: float64, function: sum, windows: [1h]}
      - {column: amount, type: float64, function: count, windows: [1h]}
)",
                                     "f.yaml");
  Producer producer(server_->port());
  constexpr int64_t kHourUs = 3'600'000'000;
  const int64_t t0 = 1'700'000'000'000'000;
  producer.Add("events", {"customer_id", "1", "event_time", absl::StrCat(t0), "amount", "1.5"});
  producer.Add("events",
               {"customer_id", "1", "event_time", absl::StrCat(t0 + kHourUs / 2), "amount", "2"});
  producer.Add("events",
               {"customer_id", "1", "event_time", absl::StrCat(t0 + kHourUs + 1), "amount", "4"});
  producer.Add("events", {"customer_id", "1", "event_time", "1", "amount_sum_1h", "4"});
  StreamOptions o = Options();
  o.default_view = "txn";
  o.max_events = 4;
  auto consumer = Consumer(o);
  ASSERT_NE(consumer, nullptr);
  ASSERT_TRUE(consumer->Run(nullptr).ok());
  EXPECT_EQ(consumer->stats().pushed, 3);
  EXPECT_EQ(consumer->stats().dead_lettered, 1);
  EXPECT_THAT(Entries("events:dead").dump(),
              HasSubstr("'amount_sum_1h' is an aggregation of feature view 'txn'"));

  OnlineFeaturesRequest request;
  request.features = {"txn:amount_sum_1h", "txn:amount_count_1h"};
  request.entities = {{.name = "customer_id", .values = {"1"}, .numbers = true}};
  StatusOr<std::string> out = GetOnlineFeaturesJson(defs_, *store_, request, t0 + kHourUs + 1);
  ASSERT_TRUE(out.ok()) << out.status();
  const json response = json::parse(*out);
  // (t - 1h, t]: the first event fell out of the window.
  EXPECT_EQ(response["results"][1]["values"], json::parse("[6.0]")) << *out;
  EXPECT_EQ(response["results"][2]["values"], json::parse("[2]")) << *out;

  // Every message delivered again (as after a crash between the push and
  // the XACK): the logs know the message ids, nothing is counted twice.
  ASSERT_TRUE(server_->Command({"XGROUP", "SETID", "events", "keel", "0"}).ok());
  consumer.reset();
  auto again = Consumer(o);
  ASSERT_NE(again, nullptr);
  ASSERT_TRUE(again->Run(nullptr).ok());
  EXPECT_EQ(again->stats().pushed, 3);
  out = GetOnlineFeaturesJson(defs_, *store_, request, t0 + kHourUs + 1);
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_EQ(json::parse(*out)["results"][1]["values"], json::parse("[6.0]")) << *out;
  EXPECT_EQ(json::parse(*out)["results"][2]["values"], json::parse("[2]")) << *out;
  // A new message with the same values is a new event.
  producer.Add("events",
               {"customer_id", "1", "event_time", absl::StrCat(t0 + kHourUs + 1), "amount", "4"});
  o.max_events = 1;
  auto third = Consumer(o);
  ASSERT_NE(third, nullptr);
  again.reset();
  ASSERT_TRUE(third->Run(nullptr).ok());
  out = GetOnlineFeaturesJson(defs_, *store_, request, t0 + kHourUs + 1);
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_EQ(json::parse(*out)["results"][1]["values"], json::parse("[10.0]")) << *out;
  EXPECT_EQ(json::parse(*out)["results"][2]["values"], json::parse("[3]")) << *out;
}

TEST_F(StreamTest, BadMessagesAreDeadLetteredWithTheReasonAndTheRestLand) {
  Producer producer(server_->port());
  const std::string bad1 = producer.Add("events", {"event_time", "5", "spend", "1"});
  const std::string bad2 =
      producer.Add("events", {"customer_id", "1", "event_time", "5", "spend", "lots"});
  const std::string bad3 = producer.Add("events", {"feature_view", "stat", "customer_id", "1"});
  producer.Add("events", Event(1, 10, "1.5"));
  producer.Add("events", Event(2, 10, "", ""));  // empty features: null
  StreamOptions o = Options();
  o.max_events = 5;
  auto consumer = Consumer(o);
  ASSERT_NE(consumer, nullptr);
  ASSERT_TRUE(consumer->Run(nullptr).ok());
  EXPECT_EQ(consumer->stats().dead_lettered, 3);
  EXPECT_EQ(consumer->stats().pushed, 2);
  EXPECT_EQ(Row(1).values[0].float_value, 1.5);
  EXPECT_TRUE(Row(2).found);
  EXPECT_TRUE(Row(2).values[0].is_null);
  EXPECT_TRUE(Row(2).values[1].is_null);
  EXPECT_EQ(Pending(), 0);

  const json dead = Entries("events:dead");
  ASSERT_EQ(dead.size(), 3u) << dead.dump();
  auto field = [](const json& entry, const std::string& name) {
    const json& f = entry[1];
    for (size_t i = 0; i + 1 < f.size(); i += 2) {
      if (f[i] == name) return f[i + 1].get<std::string>();
    }
    return std::string("(absent)");
  };
  EXPECT_EQ(field(dead[0], "id"), bad1);
  EXPECT_EQ(field(dead[0], "spend"), "1");  // the original fields are kept
  EXPECT_THAT(field(dead[0], "error"), HasSubstr("missing field 'customer_id'"));
  EXPECT_EQ(field(dead[1], "id"), bad2);
  EXPECT_THAT(field(dead[1], "error"), HasSubstr("field 'spend' = 'lots' is not a finite number"));
  EXPECT_EQ(field(dead[2], "id"), bad3);
  EXPECT_THAT(field(dead[2], "error"), HasSubstr("unknown feature view 'stat'"));
}

TEST_F(StreamTest, PendingEntriesAreReplayedAfterACrash) {
  auto first = Consumer(Options());  // creates the group
  ASSERT_NE(first, nullptr);
  first.reset();
  Producer producer(server_->port());
  for (int i = 0; i < 3; ++i) producer.Add("events", Event(i, 100 + i, "7"));
  const std::string deleted = producer.Add("events", Event(8, 1, "8"));
  // The consumer "c1" read them and died before it acknowledged them; one
  // of them was deleted from the stream meanwhile.
  ASSERT_TRUE(
      server_
          ->Command({"XREADGROUP", "GROUP", "keel", "c1", "COUNT", "10", "STREAMS", "events", ">"})
          .ok());
  ASSERT_EQ(server_->Command({"XDEL", "events", deleted})->integer, 1);
  EXPECT_EQ(Pending(), 4);
  EXPECT_FALSE(Row(0).found);

  StreamOptions o = Options();
  o.max_events = 4;
  auto again = Consumer(o);
  ASSERT_NE(again, nullptr);
  producer.Add("events", Event(9, 1, "9"));  // a new one after the replayed ones
  ASSERT_TRUE(again->Run(nullptr).ok());
  EXPECT_EQ(again->stats().replayed, 3);
  EXPECT_EQ(again->stats().pushed, 4);
  for (int i = 0; i < 3; ++i) EXPECT_EQ(Row(i).event_time, 100 + i);
  EXPECT_TRUE(Row(9).found);
  EXPECT_FALSE(Row(8).found);  // acknowledged, skipped
  EXPECT_EQ(Pending(), 0);
}

TEST_F(StreamTest, EntriesOfAConsumerThatDiedUnderAnotherNameAreClaimed) {
  ASSERT_NE(Consumer(Options()), nullptr);  // creates the group
  Producer producer(server_->port());
  for (int i = 0; i < 3; ++i) producer.Add("events", Event(i, 100 + i, "7"));
  ASSERT_TRUE(server_
                  ->Command({"XREADGROUP", "GROUP", "keel", "host-123", "COUNT", "10", "STREAMS",
                             "events", ">"})
                  .ok());
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  StreamOptions o = Options("host-456");
  o.claim_idle_ms = 20;
  o.max_events = 3;
  auto consumer = Consumer(o);
  ASSERT_NE(consumer, nullptr);
  ASSERT_TRUE(consumer->Run(nullptr).ok());
  EXPECT_EQ(consumer->stats().claimed, 3);
  EXPECT_EQ(consumer->stats().replayed, 3);
  for (int i = 0; i < 3; ++i) EXPECT_EQ(Row(i).event_time, 100 + i);
  EXPECT_EQ(Pending(), 0);
}

TEST_F(StreamTest, RecoversWhenRedisRestartsMidConsumption) {
  auto consumer = Consumer(Options());
  ASSERT_NE(consumer, nullptr);
  Running running(*consumer);
  {
    Producer producer(server_->port());
    producer.Add("events", Event(1, 10, "1"));
    ASSERT_TRUE(WaitForRow(1, 10));
  }
  server_->Kill();
  std::this_thread::sleep_for(std::chrono::milliseconds(300));  // the consumer fails meanwhile
  ASSERT_TRUE(server_->StartAgain().ok()) << server_->log();
  Producer producer(server_->port());
  for (int i = 0; i < 5; ++i) producer.Add("events", Event(2 + i, 20, "2"));
  for (int i = 0; i < 5; ++i) EXPECT_TRUE(WaitForRow(2 + i, 20)) << "customer " << 2 + i;
  ASSERT_TRUE(running.Stop().ok());
  EXPECT_GE(consumer->stats().outages, 1);
  // 6, or 7 when the kill fell between the first event's push and its
  // XACK: the restarted server lost it (no persistence), so it was not
  // replayed, but its row is in the store.
  EXPECT_GE(consumer->stats().pushed, 6);
  EXPECT_EQ(Pending(), 0);
}

TEST_F(StreamTest, GivesUpAfterTheConfiguredTimeNamingTheServer) {
  StreamOptions o = Options();
  o.give_up_after_ms = 300;
  auto consumer = Consumer(o);
  ASSERT_NE(consumer, nullptr);
  server_->Kill();
  const auto start = Clock::now();
  const Status s = consumer->Run(nullptr);
  EXPECT_EQ(s.code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(s.message(), HasSubstr(absl::StrCat("127.0.0.1:", server_->port())));
  EXPECT_THAT(s.message(), HasSubstr("is redis-server running"));
  EXPECT_LT(Clock::now() - start, std::chrono::seconds(10));
}

TEST_F(StreamTest, CreateSaysClearlyWhenRedisIsNotThereOrOptionsAreBad) {
  const int port = *testing::FreeLoopbackPort();
  StreamOptions o = Options();
  o.redis_url = absl::StrCat("redis://127.0.0.1:", port);
  StatusOr<std::unique_ptr<StreamConsumer>> c = StreamConsumer::Create(defs_, *store_, nullptr, o);
  EXPECT_EQ(c.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(c.status().message(),
              HasSubstr(absl::StrCat("cannot reach redis at 127.0.0.1:", port)));
  o = Options();
  o.default_view = "stat";
  c = StreamConsumer::Create(defs_, *store_, nullptr, o);
  EXPECT_THAT(c.status().message(), HasSubstr("Did you mean 'stats'"));
  o = Options();
  o.consumer = "";
  EXPECT_EQ(StreamConsumer::Create(defs_, *store_, nullptr, o).status().code(),
            absl::StatusCode::kInvalidArgument);
  // The key holds something else than a stream.
  ASSERT_TRUE(server_->Command({"SET", "events", "x"}).ok());
  c = StreamConsumer::Create(defs_, *store_, nullptr, Options());
  EXPECT_THAT(c.status().message(), HasSubstr("WRONGTYPE"));
}

TEST_F(StreamTest, EventsAreAcknowledgedOnlyOnceTheSinkHasThem) {
  Producer producer(server_->port());
  for (int i = 0; i < 3; ++i) producer.Add("events", Event(i, 100 + i, "7"));
  producer.Add("events", {"customer_id", "x", "event_time", "1"});  // dead-lettered, not sunk
  FakeSink sink;
  StreamOptions o = Options();
  o.max_events = 4;
  auto consumer = Consumer(o, &sink);
  ASSERT_NE(consumer, nullptr);
  long long pending_before_flush = -1;
  ASSERT_TRUE(consumer
                  ->Run(nullptr,
                        [&](const StreamStats& s) {
                          if (s.read == 4 && pending_before_flush < 0) {
                            pending_before_flush = Pending();
                          }
                        })
                  .ok());
  EXPECT_EQ(pending_before_flush, 3);  // pushed online, waiting for the sink
  EXPECT_EQ(sink.rows, 3);
  EXPECT_EQ(sink.appends, 1);
  EXPECT_THAT(sink.raw, HasSubstr(R"("fields":{"customer_id":"0","event_time":"100")"));
  EXPECT_EQ(consumer->stats().offline_appended, 3);
  EXPECT_EQ(Pending(), 0);
}

TEST_F(StreamTest, ASinkFailureLeavesTheEventsPendingForTheNextStart) {
  Producer producer(server_->port());
  for (int i = 0; i < 3; ++i) producer.Add("events", Event(i, 100 + i, "7"));
  FakeSink sink;
  sink.fail = true;
  StreamOptions o = Options();
  o.max_events = 3;
  auto consumer = Consumer(o, &sink);
  ASSERT_NE(consumer, nullptr);
  const Status s = consumer->Run(nullptr);
  EXPECT_THAT(s.message(), HasSubstr("the lake is not there"));
  EXPECT_THAT(s.message(), HasSubstr("replayed at the next start"));
  EXPECT_EQ(Pending(), 3);
  EXPECT_TRUE(Row(0).found);  // online already

  sink.fail = false;
  auto again = Consumer(o, &sink);
  ASSERT_NE(again, nullptr);
  ASSERT_TRUE(again->Run(nullptr).ok());
  EXPECT_EQ(again->stats().replayed, 3);
  EXPECT_EQ(sink.rows, 3);
  EXPECT_EQ(Pending(), 0);
}

}  // namespace
}  // namespace keel::features
