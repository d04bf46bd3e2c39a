// RedisOnlineStore against a real redis-server (RedisTestServer): values of
// every type, newest-wins, the hash layout, TTLs and key expiry, errors,
// AUTH, Unix sockets, a server that goes away or restarts mid-write, and
// concurrent readers. Needs Debian's redis-server: without it every test
// fails with the install hint (none is skipped).
#include "keel/features/redis_online_store.h"

#include <atomic>
#include <bit>
#include <chrono>
#include <limits>
#include <map>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "keel/base/time.h"
#include "keel/features/testing/redis_test_server.h"

namespace keel::features {
namespace {

using ::keel::testing::RedisTestServer;
using ::testing::AllOf;
using ::testing::HasSubstr;
using ::testing::Not;

constexpr int64_t kHourUs = 3'600'000'000LL;
constexpr int64_t kDayUs = 24 * kHourUs;

FeatureValue Null(DataType type) { return FeatureValue{.type = type}; }
FeatureValue Bool(bool b) {
  return {.type = DataType::kBool, .is_null = false, .int_value = b ? 1 : 0};
}
FeatureValue Int(int64_t i) { return {.type = DataType::kInt64, .is_null = false, .int_value = i}; }
FeatureValue Time(int64_t t) {
  return {.type = DataType::kTimestamp, .is_null = false, .int_value = t};
}
FeatureValue Float(double f) {
  return {.type = DataType::kFloat64, .is_null = false, .float_value = f};
}
FeatureValue Str(std::string s) {
  return {.type = DataType::kString, .is_null = false, .string_value = std::move(s)};
}

Column ToColumn(DataType type, const std::vector<FeatureValue>& values) {
  ColumnBuilder b(type);
  for (const FeatureValue& v : values) {
    if (v.is_null) {
      b.AppendNull();
      continue;
    }
    switch (type) {
      case DataType::kBool:
        b.AppendBool(v.int_value != 0);
        break;
      case DataType::kInt64:
        b.AppendInt64(v.int_value);
        break;
      case DataType::kFloat64:
        b.AppendFloat64(v.float_value);
        break;
      case DataType::kString:
        b.AppendString(v.string_value);
        break;
      case DataType::kTimestamp:
        b.AppendTimestamp(v.int_value);
        break;
    }
  }
  return b.Finish();
}

// A table with one column per feature of `view`, rows[i][f] in column f.
Table ValuesTable(const OnlineView& view, const std::vector<std::vector<FeatureValue>>& rows) {
  std::vector<std::string> names;
  std::vector<Column> columns;
  for (size_t f = 0; f < view.features.size(); ++f) {
    std::vector<FeatureValue> values;
    for (const auto& row : rows) values.push_back(row[f]);
    names.push_back(view.features[f].name);
    columns.push_back(ToColumn(view.features[f].type, values));
  }
  return *Table::Make(names, std::move(columns));
}

std::vector<std::string> Names(const OnlineView& view) {
  std::vector<std::string> names;
  for (const TypedName& f : view.features) names.push_back(f.name);
  return names;
}

OnlineView AllTypes(std::optional<int64_t> ttl_us = std::nullopt) {
  return {.name = "txn",
          .join_keys = {{"customer_id", DataType::kInt64}},
          .features = {{"b", DataType::kBool},
                       {"i", DataType::kInt64},
                       {"f", DataType::kFloat64},
                       {"s", DataType::kString},
                       {"t", DataType::kTimestamp}},
          .ttl_us = ttl_us};
}

OnlineView Amounts(std::string name, std::optional<int64_t> ttl_us) {
  return {.name = std::move(name),
          .join_keys = {{"customer_id", DataType::kInt64}},
          .features = {{"amount", DataType::kFloat64}, {"n", DataType::kInt64}},
          .ttl_us = ttl_us};
}

// server.Command(args, db), failing the test on an error.
RedisTestServer::Reply Raw(const RedisTestServer& server, const std::vector<std::string>& args,
                           int db = 0) {
  StatusOr<RedisTestServer::Reply> reply = server.Command(args, db);
  EXPECT_TRUE(reply.ok()) << reply.status();
  return reply.ok() ? *std::move(reply) : RedisTestServer::Reply();
}

class RedisOnlineStoreTest : public ::testing::Test {
 protected:
  void SetUp() override { StartServer({}); }

  void StartServer(const RedisTestServer::Config& config) {
    StatusOr<std::unique_ptr<RedisTestServer>> server = RedisTestServer::Start(config);
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = std::move(*server);
  }

  RedisOptions Options() const {
    RedisOptions o;
    o.url = server_->url();
    o.key_prefix = "keel:test";
    o.retries = 3;
    o.retry_backoff_ms = 10;
    return o;
  }

  std::unique_ptr<RedisOnlineStore> Connect(const RedisOptions& options) {
    StatusOr<std::unique_ptr<RedisOnlineStore>> store = RedisOnlineStore::Connect(options);
    EXPECT_TRUE(store.ok()) << store.status();
    return store.ok() ? std::move(*store) : nullptr;
  }

  static StatusOr<int64_t> Write(OnlineStore& store, const OnlineView& view,
                                 const std::vector<std::string>& keys,
                                 const std::vector<int64_t>& times,
                                 const std::vector<std::vector<FeatureValue>>& rows) {
    const Table values = ValuesTable(view, rows);
    return store.Write(view, {.keys = keys, .event_times = times, .values = &values});
  }

  static std::vector<OnlineRow> Read(OnlineStore& store, const OnlineView& view,
                                     const std::vector<std::string>& keys, int64_t now_us,
                                     std::vector<std::string> features = {}) {
    if (features.empty()) features = Names(view);
    std::vector<OnlineRow> out;
    const Status status = store.Read(view, keys, features, now_us, &out);
    EXPECT_TRUE(status.ok()) << status;
    return out;
  }

  std::map<std::string, std::string> HashOf(const std::string& key) const {
    const RedisTestServer::Reply r = Raw(*server_, {"HGETALL", key});
    std::map<std::string, std::string> out;
    for (size_t i = 0; i + 1 < r.elements.size(); i += 2) out[r.elements[i]] = r.elements[i + 1];
    return out;
  }

  std::unique_ptr<RedisTestServer> server_;
};

TEST_F(RedisOnlineStoreTest, RoundTripsEveryType) {
  auto store = Connect(Options());
  ASSERT_NE(store, nullptr);
  const OnlineView view = AllTypes();
  const std::string binary("\x00\x01\xff|=%\r\n", 8);
  const std::vector<std::vector<FeatureValue>> rows = {
      {Bool(true), Int(std::numeric_limits<int64_t>::min()), Float(-0.0), Str("a|b=c%d"),
       Time(1'700'000'000'123'456)},
      {Bool(false), Int(std::numeric_limits<int64_t>::max()), Float(1e-300), Str(binary), Time(-1)},
      {Null(DataType::kBool), Null(DataType::kInt64), Null(DataType::kFloat64),
       Null(DataType::kString), Null(DataType::kTimestamp)},
      {Bool(true), Int(-1), Float(0.1), Str(""), Time(0)},
      {Null(DataType::kBool), Int(0), Float(5e-324), Str("grüße ✓ 日本"),
       Null(DataType::kTimestamp)},
      {Bool(false), Null(DataType::kInt64), Float(-1.7976931348623157e308), Null(DataType::kString),
       Time(std::numeric_limits<int64_t>::max())},
  };
  const std::vector<std::string> keys = {"customer_id=1", "customer_id=2", "customer_id=3",
                                         "customer_id=4", "customer_id=5", "customer_id=6"};
  const std::vector<int64_t> times = {10, 20, 30, -40, 50, 60};
  StatusOr<int64_t> stored = Write(*store, view, keys, times, rows);
  ASSERT_TRUE(stored.ok()) << stored.status();
  EXPECT_EQ(*stored, 6);

  const std::vector<OnlineRow> got = Read(*store, view, keys, /*now_us=*/0);
  ASSERT_EQ(got.size(), keys.size());
  for (size_t k = 0; k < keys.size(); ++k) {
    SCOPED_TRACE(keys[k]);
    EXPECT_TRUE(got[k].found);
    EXPECT_EQ(got[k].event_time, times[k]);
    ASSERT_EQ(got[k].values.size(), 5u);
    for (size_t f = 0; f < 5; ++f) {
      EXPECT_EQ(got[k].values[f], rows[k][f]) << view.features[f].name;
      EXPECT_EQ(std::bit_cast<uint64_t>(got[k].values[f].float_value),
                std::bit_cast<uint64_t>(rows[k][f].float_value));
    }
  }
  // A subset, in another order.
  const std::vector<OnlineRow> some = Read(*store, view, {keys[1]}, 0, {"s", "b"});
  ASSERT_EQ(some.size(), 1u);
  EXPECT_EQ(some[0].values, (std::vector<FeatureValue>{Str(binary), Bool(false)}));
}

TEST_F(RedisOnlineStoreTest, NullValueRemovesTheField) {
  auto store = Connect(Options());
  ASSERT_NE(store, nullptr);
  const OnlineView view = Amounts("txn", std::nullopt);
  ASSERT_TRUE(Write(*store, view, {"customer_id=1"}, {100}, {{Float(2.5), Int(7)}}).ok());
  ASSERT_TRUE(
      Write(*store, view, {"customer_id=1"}, {200}, {{Null(DataType::kFloat64), Int(8)}}).ok());
  EXPECT_FALSE(HashOf("keel:test:customer_id=1").contains("txn:amount"));
  const std::vector<OnlineRow> got = Read(*store, view, {"customer_id=1"}, 0);
  EXPECT_EQ(got[0].values, (std::vector<FeatureValue>{Null(DataType::kFloat64), Int(8)}));

  // No value columns at all: every feature is written as null.
  const std::vector<std::string> keys = {"customer_id=1"};
  const std::vector<int64_t> times = {300};
  ASSERT_TRUE(store->Write(view, {.keys = keys, .event_times = times}).ok());
  const std::vector<OnlineRow> nulls = Read(*store, view, keys, 0);
  EXPECT_TRUE(nulls[0].found);
  EXPECT_EQ(nulls[0].event_time, 300);
  EXPECT_EQ(nulls[0].values,
            (std::vector<FeatureValue>{Null(DataType::kFloat64), Null(DataType::kInt64)}));
}

TEST_F(RedisOnlineStoreTest, NewestWins) {
  auto store = Connect(Options());
  ASSERT_NE(store, nullptr);
  const OnlineView view = Amounts("txn", std::nullopt);
  const std::vector<std::string> key = {"customer_id=1"};
  auto write = [&](int64_t time, int64_t n) {
    StatusOr<int64_t> stored = Write(*store, view, key, {time}, {{Float(1), Int(n)}});
    EXPECT_TRUE(stored.ok()) << stored.status();
    return stored.value_or(-1);
  };
  auto read = [&] { return Read(*store, view, key, 0)[0]; };
  EXPECT_EQ(write(200, 1), 1);
  EXPECT_EQ(write(100, 2), 0);  // older: skipped
  EXPECT_EQ(read().values[1], Int(1));
  EXPECT_EQ(read().event_time, 200);
  EXPECT_EQ(write(99, 3), 0);   // shorter number, older
  EXPECT_EQ(write(200, 4), 1);  // equal time: the later write wins
  EXPECT_EQ(read().values[1], Int(4));
  EXPECT_EQ(write(1000, 5), 1);
  EXPECT_EQ(read().values[1], Int(5));

  // Exact beyond 2^53 (a double would call these equal) and for negatives.
  const std::vector<std::string> other = {"customer_id=2"};
  ASSERT_EQ(*Write(*store, view, other, {9'007'199'254'740'993}, {{Float(1), Int(1)}}), 1);
  EXPECT_EQ(*Write(*store, view, other, {9'007'199'254'740'992}, {{Float(1), Int(2)}}), 0);
  const std::vector<std::string> negative = {"customer_id=3"};
  ASSERT_EQ(*Write(*store, view, negative, {-5}, {{Float(1), Int(1)}}), 1);
  EXPECT_EQ(*Write(*store, view, negative, {-10}, {{Float(1), Int(2)}}), 0);
  EXPECT_EQ(*Write(*store, view, negative, {-6}, {{Float(1), Int(3)}}), 0);
  EXPECT_EQ(*Write(*store, view, negative, {-3}, {{Float(1), Int(4)}}), 1);
  EXPECT_EQ(*Write(*store, view, negative, {0}, {{Float(1), Int(5)}}), 1);
  EXPECT_EQ(Read(*store, view, negative, 0)[0].values[1], Int(5));
}

TEST_F(RedisOnlineStoreTest, RepeatedKeysInOneBatchApplyInOrder) {
  RedisOptions options = Options();
  options.rows_per_pipeline = 2;  // the repeats span round trips
  auto store = Connect(options);
  ASSERT_NE(store, nullptr);
  const OnlineView view = Amounts("txn", std::nullopt);
  const std::vector<std::string> keys(5, "customer_id=1");
  StatusOr<int64_t> stored = Write(*store, view, keys, {5, 7, 6, 7, 1},
                                   {{Float(1), Int(1)},
                                    {Float(2), Int(2)},
                                    {Float(3), Int(3)},
                                    {Float(4), Int(4)},
                                    {Float(5), Int(5)}});
  ASSERT_TRUE(stored.ok()) << stored.status();
  EXPECT_EQ(*stored, 3);
  const OnlineRow row = Read(*store, view, {keys[0]}, 0)[0];
  EXPECT_EQ(row.event_time, 7);
  EXPECT_EQ(row.values, (std::vector<FeatureValue>{Float(4), Int(4)}));
}

TEST_F(RedisOnlineStoreTest, TwoViewsShareOneHashLaidOutAsDocumented) {
  auto store = Connect(Options());
  ASSERT_NE(store, nullptr);
  const OnlineView txn = Amounts("txn", std::nullopt);
  const OnlineView profile = {.name = "profile",
                              .join_keys = {{"customer_id", DataType::kInt64}},
                              .features = {{"tier", DataType::kString}, {"vip", DataType::kBool}},
                              .ttl_us = std::nullopt};
  const std::vector<std::string> key = {"customer_id=42"};
  ASSERT_TRUE(Write(*store, txn, key, {1'000}, {{Float(12.5), Int(3)}}).ok());
  ASSERT_TRUE(Write(*store, profile, key, {2'000}, {{Str("gold"), Null(DataType::kBool)}}).ok());

  EXPECT_EQ(HashOf("keel:test:customer_id=42"),
            (std::map<std::string, std::string>{{"_ts:txn", "1000"},
                                                {"txn:amount", "12.5"},
                                                {"txn:n", "3"},
                                                {"_ts:profile", "2000"},
                                                {"profile:tier", "gold"},
                                                {"_exp", "0"}}));
  EXPECT_EQ(Raw(*server_, {"DBSIZE"}).integer, 1);
  EXPECT_EQ(Read(*store, txn, key, 0)[0].values, (std::vector<FeatureValue>{Float(12.5), Int(3)}));
  EXPECT_EQ(Read(*store, profile, key, 0)[0].values,
            (std::vector<FeatureValue>{Str("gold"), Null(DataType::kBool)}));
}

TEST_F(RedisOnlineStoreTest, TtlHidesOldRowsOnRead) {
  auto store = Connect(Options());
  ASSERT_NE(store, nullptr);
  const OnlineView view = Amounts("txn", kHourUs);
  const int64_t now = NowMicros();
  const std::vector<std::string> key = {"customer_id=1"};
  ASSERT_TRUE(Write(*store, view, key, {now}, {{Float(1.5), Int(1)}}).ok());
  EXPECT_TRUE(Read(*store, view, key, now)[0].found);
  EXPECT_TRUE(Read(*store, view, key, now + kHourUs)[0].found);  // the TTL's last instant
  const OnlineRow expired = Read(*store, view, key, now + kHourUs + 1)[0];
  EXPECT_FALSE(expired.found);
  EXPECT_EQ(expired.values,
            (std::vector<FeatureValue>{Null(DataType::kFloat64), Null(DataType::kInt64)}));
  // Hidden, not deleted: still in the hash (the key expires an hour later).
  EXPECT_EQ(HashOf("keel:test:customer_id=1")["txn:n"], "1");
}

TEST_F(RedisOnlineStoreTest, KeyExpiresAtLatestEventTimePlusTtl) {
  auto store = Connect(Options());
  ASSERT_NE(store, nullptr);
  const OnlineView day = Amounts("txn", kDayUs);
  const OnlineView two_days = Amounts("clicks", 2 * kDayUs);
  const std::string key = "keel:test:customer_id=1";
  const int64_t now = NowMicros() / 1000 * 1000;
  auto expire_time_ms = [&] { return Raw(*server_, {"PEXPIRETIME", key}).integer; };

  ASSERT_TRUE(
      Write(*store, day, {"customer_id=1"}, {now + kHourUs + 1}, {{Float(1), Int(1)}}).ok());
  // Rounded up to the millisecond, so the key outlives the row's visibility.
  EXPECT_EQ(expire_time_ms(), (now + kHourUs + kDayUs) / 1000 + 1);
  ASSERT_TRUE(Write(*store, day, {"customer_id=1"}, {now}, {{Float(1), Int(1)}}).ok());  // skipped
  EXPECT_EQ(expire_time_ms(), (now + kHourUs + kDayUs) / 1000 + 1);
  ASSERT_TRUE(Write(*store, two_days, {"customer_id=1"}, {now}, {{Float(1), Int(1)}}).ok());
  EXPECT_EQ(expire_time_ms(), (now + 2 * kDayUs) / 1000);
  // An earlier expiry from a later write does not shorten the key's life.
  ASSERT_TRUE(
      Write(*store, day, {"customer_id=1"}, {now + 2 * kHourUs}, {{Float(1), Int(1)}}).ok());
  EXPECT_EQ(expire_time_ms(), (now + 2 * kDayUs) / 1000);
  EXPECT_EQ(HashOf(key)["_exp"], absl::StrCat((now + 2 * kDayUs) / 1000));
}

TEST_F(RedisOnlineStoreTest, ViewWithoutTtlMakesTheKeyPersistent) {
  auto store = Connect(Options());
  ASSERT_NE(store, nullptr);
  const std::string key = "keel:test:customer_id=1";
  const int64_t now = NowMicros();
  ASSERT_TRUE(
      Write(*store, Amounts("txn", kDayUs), {"customer_id=1"}, {now}, {{Float(1), Int(1)}}).ok());
  EXPECT_GT(Raw(*server_, {"PTTL", key}).integer, 0);
  ASSERT_TRUE(Write(*store, Amounts("profile", std::nullopt), {"customer_id=1"}, {now},
                    {{Float(1), Int(1)}})
                  .ok());
  EXPECT_EQ(Raw(*server_, {"PTTL", key}).integer, -1);
  ASSERT_TRUE(
      Write(*store, Amounts("txn", kDayUs), {"customer_id=1"}, {now + 1}, {{Float(2), Int(2)}})
          .ok());
  EXPECT_EQ(Raw(*server_, {"PTTL", key}).integer, -1);
  EXPECT_EQ(HashOf(key)["_exp"], "0");
}

TEST_F(RedisOnlineStoreTest, MissingKeyOrViewIsNotFound) {
  auto store = Connect(Options());
  ASSERT_NE(store, nullptr);
  const OnlineView txn = Amounts("txn", std::nullopt);
  ASSERT_TRUE(Write(*store, txn, {"customer_id=1"}, {5}, {{Float(1), Int(1)}}).ok());
  const std::vector<OnlineRow> got =
      Read(*store, Amounts("other", std::nullopt), {"customer_id=1", "customer_id=2"}, 0);
  ASSERT_EQ(got.size(), 2u);
  for (const OnlineRow& row : got) {
    EXPECT_FALSE(row.found);
    EXPECT_EQ(row.values,
              (std::vector<FeatureValue>{Null(DataType::kFloat64), Null(DataType::kInt64)}));
  }
  EXPECT_FALSE(Read(*store, txn, {"customer_id=2"}, 0)[0].found);
  EXPECT_TRUE(Read(*store, txn, {}, 0).empty());
}

TEST_F(RedisOnlineStoreTest, UnknownFeatureIsInvalidArgument) {
  auto store = Connect(Options());
  ASSERT_NE(store, nullptr);
  const std::vector<std::string> keys = {"customer_id=1"}, features = {"amout"};
  std::vector<OnlineRow> out;
  const Status status = store->Read(Amounts("txn", std::nullopt), keys, features, 0, &out);
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(status.message(), AllOf(HasSubstr("txn"), HasSubstr("amout"), HasSubstr("amount")));
}

TEST_F(RedisOnlineStoreTest, MistypedColumnIsInvalidArgumentAndWritesNothing) {
  auto store = Connect(Options());
  ASSERT_NE(store, nullptr);
  const OnlineView view = Amounts("txn", std::nullopt);
  const Table values = *Table::Make(
      {"amount", "n"},
      {ToColumn(DataType::kInt64, {Int(1), Int(2)}), ToColumn(DataType::kInt64, {Int(1), Int(2)})});
  const std::vector<std::string> keys = {"customer_id=1", "customer_id=2"};
  const std::vector<int64_t> times = {1, 2};
  StatusOr<int64_t> stored =
      store->Write(view, {.keys = keys, .event_times = times, .values = &values});
  EXPECT_EQ(stored.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(stored.status().message(), AllOf(HasSubstr("'txn'"), HasSubstr("'amount'"),
                                               HasSubstr("float64"), HasSubstr("int64")));
  EXPECT_EQ(Raw(*server_, {"DBSIZE"}).integer, 0);

  const std::vector<int64_t> one_time = {1};
  stored = store->Write(view, {.keys = keys, .event_times = one_time});
  EXPECT_EQ(stored.status().code(), absl::StatusCode::kInvalidArgument);
}

TEST_F(RedisOnlineStoreTest, BadUrlIsInvalidArgument) {
  for (const std::string url :
       {"http://127.0.0.1:6379", "redis://127.0.0.1:99999", "redis://127.0.0.1:6379/abc",
        "redis://:secretpw@:6379", "redis://secretpw@127.0.0.1", "unix://relative/sock",
        "unix:///tmp/x.sock?dbb=1"}) {
    RedisOptions options = Options();
    options.url = url;
    StatusOr<std::unique_ptr<RedisOnlineStore>> store = RedisOnlineStore::Connect(options);
    EXPECT_EQ(store.status().code(), absl::StatusCode::kInvalidArgument) << url;
    EXPECT_THAT(store.status().message(), AllOf(HasSubstr("redis://[:password@]host[:port][/db]"),
                                                Not(HasSubstr("secretpw"))));
  }
}

TEST_F(RedisOnlineStoreTest, ServerDownIsUnavailableNamingTheServer) {
  auto store = Connect(Options());
  ASSERT_NE(store, nullptr);
  server_->Stop();
  const std::string where = absl::StrCat("127.0.0.1:", server_->port());
  const OnlineView view = Amounts("txn", std::nullopt);
  std::vector<OnlineRow> out;
  const std::vector<std::string> keys = {"customer_id=1"}, features = {"n"};
  const Status read = store->Read(view, keys, features, 0, &out);
  EXPECT_EQ(read.code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(read.message(), AllOf(HasSubstr(where), HasSubstr("is redis-server running at"),
                                    HasSubstr("4 tries")));
  StatusOr<int64_t> written = Write(*store, view, keys, {1}, {{Float(1), Int(1)}});
  EXPECT_EQ(written.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(written.status().message(), AllOf(HasSubstr(where), HasSubstr("the first 0 of 1")));
  StatusOr<std::unique_ptr<RedisOnlineStore>> again = RedisOnlineStore::Connect(Options());
  EXPECT_EQ(again.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(again.status().message(), HasSubstr(where));
}

TEST_F(RedisOnlineStoreTest, ReconnectsAfterRestartAndReloadsTheScript) {
  auto store = Connect(Options());
  ASSERT_NE(store, nullptr);
  const OnlineView view = Amounts("txn", std::nullopt);
  const std::vector<std::string> key = {"customer_id=1"};
  ASSERT_TRUE(Write(*store, view, key, {1}, {{Float(1), Int(1)}}).ok());
  // The pooled connection is dead and the new server has no scripts.
  server_->Kill();
  ASSERT_TRUE(server_->StartAgain().ok()) << server_->log();
  StatusOr<int64_t> stored = Write(*store, view, key, {2}, {{Float(2), Int(2)}});
  ASSERT_TRUE(stored.ok()) << stored.status();
  EXPECT_EQ(*stored, 1);
  EXPECT_EQ(Read(*store, view, key, 0)[0].values[1], Int(2));
  // SCRIPT FLUSH on a live connection: NOSCRIPT, reloaded.
  ASSERT_EQ(Raw(*server_, {"SCRIPT", "FLUSH"}).str, "OK");
  ASSERT_TRUE(Write(*store, view, key, {3}, {{Float(3), Int(3)}}).ok());
  EXPECT_EQ(Read(*store, view, key, 0)[0].values[1], Int(3));
  ASSERT_TRUE(server_->Restart().ok()) << server_->log();
  EXPECT_FALSE(Read(*store, view, key, 0)[0].found);  // no persistence
}

// A restart (all data lost: no persistence) while a large Write runs: with
// retries the Write goes on after it; without, it fails Unavailable. Either
// way running the same Write again stores every row.
TEST_F(RedisOnlineStoreTest, RestartMidWriteThenRerunIsResumable) {
  const OnlineView view = Amounts("txn", std::nullopt);
  constexpr int64_t kRows = 200'000;
  std::vector<std::string> keys;
  std::vector<int64_t> times;
  ColumnBuilder amount(DataType::kFloat64), n(DataType::kInt64);
  for (int64_t i = 0; i < kRows; ++i) {
    keys.push_back(absl::StrCat("customer_id=", i));
    times.push_back(1'700'000'000'000'000 + i);
    amount.AppendFloat64(i * 0.25);
    n.AppendInt64(-i);
  }
  const Table values = *Table::Make({"amount", "n"}, {amount.Finish(), n.Finish()});
  const OnlineWriteBatch batch = {.keys = keys, .event_times = times, .values = &values};

  for (const int retries : {8, 0}) {
    SCOPED_TRACE(absl::StrCat("retries ", retries));
    ASSERT_EQ(Raw(*server_, {"FLUSHALL"}).str, "OK");
    RedisOptions options = Options();
    options.retries = retries;
    options.retry_backoff_ms = 20;
    auto store = Connect(options);
    ASSERT_NE(store, nullptr);
    const int old_pid = server_->pid();
    std::atomic<bool> done = false;
    Status restarted;
    std::thread restarter([&] {
      // Restart once a tenth of the rows are in (or the write is over).
      for (int i = 0; i < 3000 && !done; ++i) {
        StatusOr<RedisTestServer::Reply> size = server_->Command({"DBSIZE"});
        if (size.ok() && size->integer >= kRows / 10) break;
        std::this_thread::sleep_for(std::chrono::milliseconds(2));
      }
      restarted = server_->Restart();
    });
    StatusOr<int64_t> first = store->Write(view, batch);
    done = true;
    restarter.join();
    ASSERT_TRUE(restarted.ok()) << restarted << server_->log();
    EXPECT_NE(server_->pid(), old_pid);
    if (!first.ok()) {
      EXPECT_EQ(first.status().code(), absl::StatusCode::kUnavailable) << first.status();
      EXPECT_THAT(first.status().message(), HasSubstr("running the same Write again is safe"));
    }
    StatusOr<int64_t> second = store->Write(view, batch);
    ASSERT_TRUE(second.ok()) << second.status();
    EXPECT_EQ(*second, kRows);  // equal times overwrite
    EXPECT_EQ(Raw(*server_, {"DBSIZE"}).integer, kRows);

    int64_t wrong = 0;
    for (int64_t begin = 0; begin < kRows; begin += 10'000) {
      const std::vector<std::string> some(keys.begin() + begin, keys.begin() + begin + 10'000);
      const std::vector<OnlineRow> got = Read(*store, view, some, 0);
      for (int64_t i = 0; i < 10'000; ++i) {
        const int64_t row = begin + i;
        wrong += !got[i].found || got[i].event_time != times[row] ||
                 got[i].values != std::vector<FeatureValue>{Float(row * 0.25), Int(-row)};
      }
    }
    EXPECT_EQ(wrong, 0);
  }
}

TEST_F(RedisOnlineStoreTest, AuthWithPassword) {
  constexpr char kPassword[] = "keel-redis-pw-4711";
  StartServer({.password = kPassword});
  auto store = Connect(Options());  // the url holds the password
  ASSERT_NE(store, nullptr);
  const OnlineView view = Amounts("txn", std::nullopt);
  ASSERT_TRUE(Write(*store, view, {"customer_id=1"}, {1}, {{Float(1), Int(9)}}).ok());
  EXPECT_EQ(Read(*store, view, {"customer_id=1"}, 0)[0].values[1], Int(9));
  EXPECT_EQ(Raw(*server_, {"HGET", "keel:test:customer_id=1", "txn:n"}).str, "9");

  for (const std::string& url : {absl::StrCat("redis://:wrong-pw@127.0.0.1:", server_->port()),
                                 absl::StrCat("redis://127.0.0.1:", server_->port())}) {
    RedisOptions options = Options();
    options.url = url;
    StatusOr<std::unique_ptr<RedisOnlineStore>> refused = RedisOnlineStore::Connect(options);
    EXPECT_EQ(refused.status().code(), absl::StatusCode::kUnavailable) << url;
    EXPECT_THAT(refused.status().message(),
                AllOf(HasSubstr("refused"), HasSubstr("password"), Not(HasSubstr("wrong-pw"))));
  }
}

TEST_F(RedisOnlineStoreTest, UnixSocketAndDatabaseNumber) {
  RedisOptions options = Options();
  options.url = absl::StrCat("unix://", server_->socket_path(), "?db=3");
  auto store = Connect(options);
  ASSERT_NE(store, nullptr);
  const OnlineView view = Amounts("txn", std::nullopt);
  ASSERT_TRUE(Write(*store, view, {"customer_id=1"}, {1}, {{Float(1), Int(5)}}).ok());
  EXPECT_EQ(Raw(*server_, {"DBSIZE"}).integer, 0);
  EXPECT_EQ(Raw(*server_, {"DBSIZE"}, 3).integer, 1);
  options.url = absl::StrCat(server_->url(), "/3");
  auto tcp = Connect(options);
  ASSERT_NE(tcp, nullptr);
  EXPECT_EQ(Read(*tcp, view, {"customer_id=1"}, 0)[0].values[1], Int(5));
}

TEST_F(RedisOnlineStoreTest, ConcurrentReadsFromFourThreads) {
  auto store = Connect(Options());
  ASSERT_NE(store, nullptr);
  const OnlineView view = Amounts("txn", std::nullopt);
  constexpr int kKeys = 1000;
  std::vector<std::string> keys;
  std::vector<int64_t> times;
  std::vector<std::vector<FeatureValue>> rows;
  for (int i = 0; i < kKeys; ++i) {
    keys.push_back(absl::StrCat("customer_id=", i));
    times.push_back(i);
    rows.push_back({Float(i / 8.0), Int(i * 3)});
  }
  ASSERT_TRUE(Write(*store, view, keys, times, rows).ok());
  std::atomic<int64_t> wrong = 0, failed = 0;
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      std::mt19937 rng(t);
      const std::vector<std::string> features = Names(view);
      std::vector<OnlineRow> out;
      for (int i = 0; i < 2000; ++i) {
        std::vector<std::string> some;
        std::vector<int> which;
        for (int j = 0; j < 1 + i % 3; ++j) {
          which.push_back(static_cast<int>(rng() % kKeys));
          some.push_back(keys[which.back()]);
        }
        if (!store->Read(view, some, features, 0, &out).ok()) {
          ++failed;
          continue;
        }
        for (size_t j = 0; j < which.size(); ++j) {
          wrong += !out[j].found || out[j].values != rows[which[j]];
        }
      }
    });
  }
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(failed, 0);
  EXPECT_EQ(wrong, 0);
}

}  // namespace
}  // namespace keel::features
