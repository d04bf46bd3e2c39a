// Windowed aggregations in the Redis online store: the shared consistency
// check (online values bit-identical to offline after every push and after
// materialisation) against a real redis-server, and the hash layout of an
// event log. Needs Debian's redis-server, as redis_online_store_test.cc.
#include <memory>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "keel/features/redis_online_store.h"
#include "keel/features/testing/redis_test_server.h"
#include "keel/features/testing/windowed_consistency.h"

namespace keel::features {
namespace {

using ::keel::testing::RedisTestServer;

TEST(RedisWindowedTest, EqualsOfflineAfterEveryPushAndMaterialization) {
  StatusOr<std::unique_ptr<RedisTestServer>> server = RedisTestServer::Start();
  ASSERT_TRUE(server.ok()) << server.status();
  auto connect = [&](const std::string& prefix) {
    StatusOr<std::unique_ptr<RedisOnlineStore>> store =
        RedisOnlineStore::Connect({.url = (*server)->url(), .key_prefix = prefix});
    EXPECT_TRUE(store.ok()) << store.status();
    return store.ok() ? *std::move(store) : nullptr;
  };
  std::unique_ptr<RedisOnlineStore> pushed = connect("pushed");
  std::unique_ptr<RedisOnlineStore> materialized = connect("materialized");
  ASSERT_NE(pushed, nullptr);
  ASSERT_NE(materialized, nullptr);
  StatusOr<testing::WindowedConsistencyReport> report =
      testing::CheckWindowedConsistency(*pushed, *materialized, 3);
  ASSERT_TRUE(report.ok()) << report.status();
  EXPECT_GT(report->compared, 10000);
  EXPECT_LT(report->not_promised, report->compared / 20);

  // One hash per customer and prefix, holding the plain row's time, the
  // event log under "<view>#events:events" and its time; the key expires
  // (at 2100 + 7d), it is not persistent.
  StatusOr<RedisTestServer::Reply> fields = (*server)->Command({"HKEYS", "pushed:customer_id=1"});
  ASSERT_TRUE(fields.ok()) << fields.status();
  EXPECT_THAT(fields->elements,
              ::testing::IsSupersetOf({"_ts:txn", "_ts:txn#events", "txn#events:events", "_exp"}));
  StatusOr<RedisTestServer::Reply> ttl = (*server)->Command({"PTTL", "pushed:customer_id=1"});
  ASSERT_TRUE(ttl.ok()) << ttl.status();
  EXPECT_GT(ttl->integer, 0);
}

}  // namespace
}  // namespace keel::features
