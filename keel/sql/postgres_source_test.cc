// The PostgreSQL source against a real server (initdb in a temp folder, a
// free loopback port) started by each test.
#include "keel/sql/postgres_source.h"

#include <cstdio>
#include <cstdlib>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "keel/base/time.h"
#include "keel/sql/testing/postgres_test_server.h"

namespace keel {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using testing::PostgresTestServer;

class PostgresSourceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto server = PostgresTestServer::Start();
    if (server.status().code() == absl::StatusCode::kFailedPrecondition) {
      GTEST_SKIP() << server.status();
    }
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = *std::move(server);
  }

  void TearDown() override {
    if (HasFailure() && server_ != nullptr) {
      const std::string log = server_->log();
      std::printf("PostgreSQL test server log:\n%s\n",
                  log.substr(log.size() > 8000 ? log.size() - 8000 : 0).c_str());
    }
  }

  StatusOr<Table> Query(const std::string& query) { return RunQuery(server_->uri(), query, {}); }

  std::unique_ptr<PostgresTestServer> server_;
};

TEST_F(PostgresSourceTest, EveryTypeMapping) {
  ASSERT_TRUE(server_
                  ->Execute(R"(
      CREATE TABLE t (b bool, i2 int2, i4 int4, i8 int8, f4 float4, f8 float8, n numeric,
                      s text, v varchar(10), c char(3), nm name, u uuid, j json, jb jsonb,
                      d date, ts timestamp, tz timestamptz, iv interval, by bytea, arr int[]);
      INSERT INTO t VALUES (true, -32768, 2147483647, 9223372036854775807, 0.1, 1e300,
                            12345678901234567890.125, 'héllo', 'v', 'ab', 'nm',
                            'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', '{"a": 1}', '{"b": [1, 2]}',
                            '2024-02-29', '2024-01-02 03:04:05.123456',
                            '2024-03-10 14:30:00+02', '1 day 02:00:00', '\x0aff', '{1,2}');
      INSERT INTO t DEFAULT VALUES;)")
                  .ok());
  auto table = Query("SELECT * FROM t ORDER BY b NULLS LAST");
  ASSERT_TRUE(table.ok()) << table.status();
  EXPECT_EQ(table->schema().ToString(),
            "b: bool, i2: int64, i4: int64, i8: int64, f4: float64, f8: float64, n: float64, "
            "s: string, v: string, c: string, nm: string, u: string, j: string, jb: string, "
            "d: timestamp, ts: timestamp, tz: timestamp, iv: string, by: string, arr: string");
  ASSERT_EQ(table->num_rows(), 2);
  const auto col = [&](const char* name) { return *table->ColumnByName(name); };
  EXPECT_EQ(col("b").BoolValues()[0], 1);
  EXPECT_EQ(col("i2").Int64Values()[0], -32768);
  EXPECT_EQ(col("i4").Int64Values()[0], 2147483647);
  EXPECT_EQ(col("i8").Int64Values()[0], 9223372036854775807);
  EXPECT_EQ(col("f4").Float64Values()[0], 0.1);  // float4's shortest text, read as a double
  EXPECT_EQ(col("f8").Float64Values()[0], 1e300);
  EXPECT_EQ(col("n").Float64Values()[0], 12345678901234567890.125);  // rounded to a double
  EXPECT_EQ(col("s").StringAt(0), "héllo");
  EXPECT_EQ(col("v").StringAt(0), "v");
  EXPECT_EQ(col("c").StringAt(0), "ab ");  // char(n) is blank-padded
  EXPECT_EQ(col("nm").StringAt(0), "nm");
  EXPECT_EQ(col("u").StringAt(0), "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11");
  EXPECT_EQ(col("j").StringAt(0), "{\"a\": 1}");
  EXPECT_EQ(col("jb").StringAt(0), "{\"b\": [1, 2]}");
  EXPECT_EQ(col("d").TimestampValues()[0], *ParseTimestamp("2024-02-29T00:00:00Z"));
  EXPECT_EQ(col("ts").TimestampValues()[0], *ParseTimestamp("2024-01-02T03:04:05.123456Z"));
  EXPECT_EQ(col("tz").TimestampValues()[0], *ParseTimestamp("2024-03-10T12:30:00Z"));
  EXPECT_EQ(col("iv").StringAt(0), "1 day 02:00:00");
  EXPECT_EQ(col("by").StringAt(0), "\\x0aff");
  EXPECT_EQ(col("arr").StringAt(0), "{1,2}");
  for (int c = 0; c < table->num_columns(); ++c) {
    EXPECT_TRUE(table->column(c).IsNull(1)) << table->schema().field(c).name;
  }

  // Expressions carry their result type; an empty result keeps names and types.
  table = Query(
      "SELECT 1 AS one, 2.5::float8 AS half, now() AS at, 'x' AS s, NULL::int AS none "
      "WHERE false");
  ASSERT_TRUE(table.ok()) << table.status();
  EXPECT_EQ(table->num_rows(), 0);
  EXPECT_EQ(table->schema().ToString(),
            "one: int64, half: float64, at: timestamp, s: string, none: int64");
  table = Query("SELECT 'NaN'::float8 AS nan, '-Infinity'::float8 AS ninf");
  ASSERT_TRUE(table.ok()) << table.status();
  EXPECT_TRUE(std::isnan(table->column(0).Float64Values()[0]));
  EXPECT_EQ(table->column(1).Float64Values()[0], -HUGE_VAL);
}

TEST_F(PostgresSourceTest, HundredThousandRows) {
  auto table = Query(
      "SELECT g AS id, g * 0.5 AS half, 'row ' || g AS label, "
      "CASE WHEN g % 10 = 0 THEN NULL ELSE g END AS sparse "
      "FROM generate_series(1, 100000) AS g ORDER BY g");
  ASSERT_TRUE(table.ok()) << table.status();
  ASSERT_EQ(table->num_rows(), 100000);
  EXPECT_EQ(table->schema().ToString(), "id: int64, half: float64, label: string, sparse: int64");
  int64_t sum = 0;
  for (int64_t v : table->column(0).Int64Values()) sum += v;
  EXPECT_EQ(sum, int64_t{100000} * 100001 / 2);
  EXPECT_EQ(table->column(1).Float64Values()[99999], 50000.0);
  EXPECT_EQ(table->column(2).StringAt(41), "row 42");
  EXPECT_EQ(table->column(3).null_count(), 10000);
}

TEST_F(PostgresSourceTest, SyntaxErrorCarriesTheServerMessageAndPosition) {
  auto table = Query("SELECT *\n  FORM pg_class");
  ASSERT_FALSE(table.ok());
  EXPECT_EQ(table.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(table.status().message(), HasSubstr("PostgreSQL rejected the query (postgresql://"));
  EXPECT_THAT(table.status().message(),
              HasSubstr("syntax error at or near \"FORM\" at line 2, column 3:\n  "
                        "  FORM pg_class\n    ^"));
  EXPECT_THAT(table.status().message(), Not(HasSubstr(PostgresTestServer::kPassword)));

  table = Query("SELECT nope FROM pg_class");
  ASSERT_FALSE(table.ok());
  EXPECT_THAT(table.status().message(), HasSubstr("column \"nope\" does not exist"));
  table = Query("SELECT 1; SELECT 2");
  ASSERT_FALSE(table.ok());
  EXPECT_THAT(table.status().message(), HasSubstr("multiple commands"));
  table = Query("CREATE TABLE made (a int)");
  ASSERT_FALSE(table.ok());
  EXPECT_THAT(table.status().message(), HasSubstr("read-only transaction"));
  table = Query("SELECT 'infinity'::date AS d");
  ASSERT_FALSE(table.ok());
  EXPECT_THAT(table.status().message(), HasSubstr("column 'd'"));
  EXPECT_THAT(table.status().message(), HasSubstr("'infinity'"));
  // The connection is still usable after the failures.
  EXPECT_TRUE(Query("SELECT 1 AS one").ok());
}

TEST_F(PostgresSourceTest, WrongPasswordIsRefusedWithoutShowingIt) {
  const std::string wrong = "not-the-Password-99";
  auto source = PostgresSource::Open(server_->uri(wrong), {});
  ASSERT_FALSE(source.ok());
  EXPECT_EQ(source.status().code(), absl::StatusCode::kPermissionDenied);
  EXPECT_THAT(source.status().message(), HasSubstr("password authentication failed"));
  EXPECT_THAT(source.status().message(), HasSubstr("postgresql://keel:***@127.0.0.1:"));
  EXPECT_THAT(source.status().message(), Not(HasSubstr(wrong)));
}

TEST_F(PostgresSourceTest, PasswordFromPgpassword) {
  ::setenv("PGPASSWORD", PostgresTestServer::kPassword, 1);
  auto table = RunQuery(server_->uri(/*password=*/""), "SELECT 42 AS answer", {});
  ::unsetenv("PGPASSWORD");
  ASSERT_TRUE(table.ok()) << table.status();
  EXPECT_EQ(table->column(0).Int64Values()[0], 42);

  auto source = PostgresSource::Open(server_->uri(""), {});
  ASSERT_FALSE(source.ok());
  EXPECT_EQ(source.status().code(), absl::StatusCode::kPermissionDenied);
}

}  // namespace
}  // namespace keel
