#include "keel/registry/sqlite.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "keel/base/testing/temp_dir.h"

namespace keel::sqlite {
namespace {

using ::testing::HasSubstr;

TEST(SqliteTest, TransactionRollsBackUnlessCommitted) {
  testing::TempDir dir;
  auto db = Database::Open(dir.path() + "/t.db");
  ASSERT_TRUE(db.ok()) << db.status();
  ASSERT_TRUE((*db)->Execute("CREATE TABLE t (x INTEGER)").ok());
  {
    auto txn = Transaction::Begin(db->get());
    ASSERT_TRUE(txn.ok());
    ASSERT_TRUE((*db)->Execute("INSERT INTO t VALUES (1)").ok());
  }
  {
    auto txn = Transaction::Begin(db->get());
    ASSERT_TRUE((*db)->Execute("INSERT INTO t VALUES (2)").ok());
    ASSERT_TRUE(txn->Commit().ok());
  }
  auto s = (*db)->Prepare("SELECT x FROM t");
  ASSERT_TRUE(s.ok());
  std::vector<int64_t> values;
  while (*s->Step()) values.push_back(s->ColumnInt(0));
  EXPECT_EQ(values, std::vector<int64_t>{2});
}

TEST(SqliteTest, UsesWalJournal) {
  testing::TempDir dir;
  auto db = Database::Open(dir.path() + "/t.db");
  ASSERT_TRUE(db.ok());
  auto s = (*db)->Prepare("PRAGMA journal_mode");
  ASSERT_TRUE(*s->Step());
  EXPECT_EQ(s->ColumnText(0), "wal");
}

TEST(SqliteTest, MigrationsApplyOnceAndRefuseNewerSchemas) {
  testing::TempDir dir;
  const std::string path = dir.path() + "/t.db";
  std::vector<Migration> v1 = {{1, "t", "CREATE TABLE t (x INTEGER)"}};
  std::vector<Migration> v2 = v1;
  v2.push_back({2, "u", "CREATE TABLE u (y TEXT)"});
  {
    auto db = Database::Open(path);
    EXPECT_EQ(*Migrate(db->get(), v1), 1);
    EXPECT_EQ(*Migrate(db->get(), v1), 1);  // idempotent
    EXPECT_EQ(*Migrate(db->get(), v2), 2);
  }
  auto db = Database::Open(path);
  StatusOr<int> old = Migrate(db->get(), v1);
  ASSERT_FALSE(old.ok());
  EXPECT_EQ(old.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(std::string(old.status().message()),
              HasSubstr("schema is version 2 but this keel knows up to 1"));
}

TEST(SqliteTest, FailedMigrationLeavesNothingApplied) {
  testing::TempDir dir;
  auto db = Database::Open(dir.path() + "/t.db");
  std::vector<Migration> bad = {{1, "broken", "CREATE TABLE t (x INTEGER); NOT SQL"}};
  StatusOr<int> r = Migrate(db->get(), bad);
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(std::string(r.status().message()), HasSubstr("registry migration 1 (broken)"));
  auto s = (*db)->Prepare("SELECT COUNT(*) FROM sqlite_master WHERE name = 't'");
  ASSERT_TRUE(*s->Step());
  EXPECT_EQ(s->ColumnInt(0), 0);
}

}  // namespace
}  // namespace keel::sqlite
