// URI handling, the registry and the shared error shape of the SQL sources.
#include "keel/sql/sql_source.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "keel/sql/source_util.h"

namespace keel {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;

TEST(RedactUriTest, HidesPasswordsOnly) {
  EXPECT_EQ(RedactUri("postgresql://ann:s3cret@db.example:5432/shop?sslmode=require"),
            "postgresql://ann:***@db.example:5432/shop?sslmode=require");
  EXPECT_EQ(RedactUri("postgresql://ann@db/shop"), "postgresql://ann@db/shop");
  EXPECT_EQ(RedactUri("postgres://ann:p%40ss@db/shop?password=x&sslmode=disable"),
            "postgres://ann:***@db/shop?password=***&sslmode=disable");
  EXPECT_EQ(RedactUri("postgresql://db/shop?PASSWORD=abc"), "postgresql://db/shop?PASSWORD=***");
  EXPECT_EQ(RedactUri("sqlite:///data/shop.db"), "sqlite:///data/shop.db");
  EXPECT_EQ(RedactUri("sqlite://shop.db"), "sqlite://shop.db");
}

TEST(SqlSourceRegistryTest, KnowsBuiltinSchemes) {
  EXPECT_THAT(SqlSourceRegistry::Builtins().Schemes(),
              ElementsAre("postgres", "postgresql", "sqlite"));
  EXPECT_TRUE(IsSqlUri("sqlite://x.db"));
  EXPECT_TRUE(IsSqlUri("PostgreSQL://h/db"));
  EXPECT_FALSE(IsSqlUri("s3://bucket/x.csv"));
  EXPECT_FALSE(IsSqlUri("data.csv"));
}

TEST(SqlSourceRegistryTest, UnknownSchemeListsTheKnownOnesWithoutThePassword) {
  auto source = SqlSourceRegistry::Builtins().Open("mysql://u:topsecret@h/db", {});
  ASSERT_FALSE(source.ok());
  EXPECT_EQ(source.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(source.status().message(), HasSubstr("known schemes: postgres, postgresql, sqlite"));
  EXPECT_THAT(source.status().message(), Not(HasSubstr("topsecret")));
}

TEST(QueryRecordTextTest, HeaderLineThenQuery) {
  EXPECT_EQ(QueryRecordText("sqlite", "sqlite://shop.db", "SELECT 1\n"),
            "-- keel-sql-source {\"engine\":\"sqlite\",\"source\":\"sqlite://shop.db\"}\n"
            "SELECT 1\n");
}

TEST(QueryErrorTest, PointsAtLineAndColumn) {
  const Status s = sql_internal::QueryError("SQLite", "sqlite://a.db",
                                            "near \"FORM\": syntax error", "SELECT a\nFORM t", 9);
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(s.message(),
            "SQLite rejected the query (sqlite://a.db): near \"FORM\": syntax error at line 2, "
            "column 1:\n  FORM t\n  ^");
  const Status unknown =
      sql_internal::QueryError("SQLite", "sqlite://a.db", "boom", "SELECT 1", -1);
  EXPECT_THAT(unknown.message(), HasSubstr("boom\nin the query:\n  SELECT 1"));
}

TEST(QueryErrorTest, Utf8CharacterPositions) {
  EXPECT_EQ(sql_internal::Utf8CharToByteOffset("SELECT 'é', x", 1), 0);
  EXPECT_EQ(sql_internal::Utf8CharToByteOffset("SELECT 'é', x", 13), 13);  // 'x'
  EXPECT_EQ(sql_internal::Utf8CharToByteOffset("ab", 3), 2);               // end of input
  EXPECT_EQ(sql_internal::Utf8CharToByteOffset("ab", 9), -1);
}

}  // namespace
}  // namespace keel
