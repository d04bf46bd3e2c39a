// The SQLite source against real database files made by each test.
#include "keel/sql/sqlite_source.h"

#include <sqlite3.h>

#include <filesystem>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "keel/base/files.h"
#include "keel/base/testing/temp_dir.h"
#include "keel/base/time.h"

namespace keel {
namespace {

using ::testing::HasSubstr;

class SqliteSourceTest : public ::testing::Test {
 protected:
  void SetUp() override { path_ = dir_.path() + "/shop.db"; }

  // Runs `sql` on the test's database through SQLite itself (creating it).
  void Exec(const std::string& sql) {
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open(path_.c_str(), &db), SQLITE_OK);
    char* error = nullptr;
    const int rc = sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &error);
    EXPECT_EQ(rc, SQLITE_OK) << (error ? error : "");
    sqlite3_free(error);
    sqlite3_close(db);
  }

  StatusOr<Table> Query(const std::string& query) {
    return RunQuery("sqlite://" + path_, query, {});
  }

  testing::TempDir dir_;
  std::string path_;
};

TEST_F(SqliteSourceTest, DeclaredTypes) {
  Exec(R"(CREATE TABLE t (id INTEGER, amount REAL, price DOUBLE PRECISION, name TEXT,
                          code VARCHAR(8), ok BOOLEAN, at TIMESTAMP, day DATE, big BIGINT);
          INSERT INTO t VALUES (1, 2.5, 3, 'Ann', 'A1', 1, '2024-01-02 03:04:05.25',
                                '2024-01-02', 9007199254740993);
          INSERT INTO t VALUES (NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL);
          INSERT INTO t VALUES (-3, -0.5, 1e300, '', 'é', 0, '2024-03-10T14:30:00+02:00',
                                '1999-12-31', -1);)");
  auto table = Query("SELECT * FROM t ORDER BY rowid");
  ASSERT_TRUE(table.ok()) << table.status();
  EXPECT_EQ(table->schema().ToString(),
            "id: int64, amount: float64, price: float64, name: string, code: string, ok: bool, "
            "at: timestamp, day: timestamp, big: int64");
  ASSERT_EQ(table->num_rows(), 3);
  EXPECT_EQ(table->column(0).Int64Values()[0], 1);
  EXPECT_EQ(table->column(0).Int64Values()[2], -3);
  EXPECT_EQ(table->column(1).Float64Values()[0], 2.5);
  EXPECT_EQ(table->column(2).Float64Values()[0], 3.0);
  EXPECT_EQ(table->column(2).Float64Values()[2], 1e300);
  EXPECT_EQ(table->column(3).StringAt(0), "Ann");
  EXPECT_EQ(table->column(3).StringAt(2), "");
  EXPECT_FALSE(table->column(3).IsNull(2));
  EXPECT_EQ(table->column(4).StringAt(2), "é");
  EXPECT_EQ(table->column(5).BoolValues()[0], 1);
  EXPECT_EQ(table->column(5).BoolValues()[2], 0);
  EXPECT_EQ(table->column(6).TimestampValues()[0], *ParseTimestamp("2024-01-02T03:04:05.25Z"));
  EXPECT_EQ(table->column(6).TimestampValues()[2], *ParseTimestamp("2024-03-10T12:30:00Z"));
  EXPECT_EQ(table->column(7).TimestampValues()[1 + 1], *ParseTimestamp("1999-12-31T00:00:00Z"));
  EXPECT_EQ(table->column(8).Int64Values()[0], 9007199254740993);  // not via a double
  for (int c = 0; c < table->num_columns(); ++c) {
    EXPECT_TRUE(table->column(c).IsNull(1)) << table->schema().field(c).name;
    EXPECT_EQ(table->column(c).null_count(), 1) << table->schema().field(c).name;
  }
}

TEST_F(SqliteSourceTest, ExpressionsAreTypedByStorageClassOverAllRows) {
  Exec(R"(CREATE TABLE v (x);
          INSERT INTO v VALUES (1), (2.5), (NULL);
          CREATE TABLE w (x);
          INSERT INTO w VALUES (1), ('two'), (X'0aff'), (0.5);)");
  auto table = Query(
      "SELECT 1 + 1 AS two, 0.5 * 3 AS half, 'a' || 'b' AS ab, NULL AS blank, x FROM v "
      "ORDER BY rowid");
  ASSERT_TRUE(table.ok()) << table.status();
  // x has no declared type: integers and reals make float64.
  EXPECT_EQ(table->schema().ToString(),
            "two: int64, half: float64, ab: string, blank: string, x: float64");
  EXPECT_EQ(table->column(0).Int64Values()[0], 2);
  EXPECT_EQ(table->column(1).Float64Values()[0], 1.5);
  EXPECT_EQ(table->column(2).StringAt(0), "ab");
  EXPECT_EQ(table->column(3).null_count(), 3);
  EXPECT_EQ(table->column(4).Float64Values()[0], 1.0);
  EXPECT_EQ(table->column(4).Float64Values()[1], 2.5);
  EXPECT_TRUE(table->column(4).IsNull(2));

  table = Query("SELECT x FROM w ORDER BY rowid");
  ASSERT_TRUE(table.ok()) << table.status();
  EXPECT_EQ(table->schema().ToString(), "x: string");
  EXPECT_EQ(table->column(0).StringAt(0), "1");
  EXPECT_EQ(table->column(0).StringAt(1), "two");
  EXPECT_EQ(table->column(0).StringAt(2), "\\x0aff");
  EXPECT_EQ(table->column(0).StringAt(3), "0.5");
}

TEST_F(SqliteSourceTest, ValuesThatDoNotFitTheDeclaredTypeFallBackToInference) {
  Exec(R"(CREATE TABLE t (n INTEGER, f INTEGER, flag BOOLEAN, at DATETIME);
          INSERT INTO t VALUES (1, 1, 1, '2024-01-01');
          INSERT INTO t VALUES ('n/a', 2.5, 2, 'yesterday');)");
  auto table = Query("SELECT * FROM t ORDER BY rowid");
  ASSERT_TRUE(table.ok()) << table.status();
  EXPECT_EQ(table->schema().ToString(), "n: string, f: float64, flag: int64, at: string");
  EXPECT_EQ(table->column(0).StringAt(0), "1");
  EXPECT_EQ(table->column(0).StringAt(1), "n/a");
  EXPECT_EQ(table->column(1).Float64Values()[1], 2.5);
  EXPECT_EQ(table->column(2).Int64Values()[1], 2);
  EXPECT_EQ(table->column(3).StringAt(0), "2024-01-01");
}

TEST_F(SqliteSourceTest, EmptyResultKeepsNamesAndTypes) {
  Exec("CREATE TABLE t (id INTEGER, name TEXT, at TIMESTAMP, ok BOOLEAN, x);");
  auto table = Query("SELECT * FROM t");
  ASSERT_TRUE(table.ok()) << table.status();
  EXPECT_EQ(table->num_rows(), 0);
  EXPECT_EQ(table->schema().ToString(),
            "id: int64, name: string, at: timestamp, ok: bool, x: string");
}

TEST_F(SqliteSourceTest, SyntaxErrorNamesTheMessageAndPosition) {
  Exec("CREATE TABLE t (id INTEGER);");
  auto table = Query("SELECT id\nFROM t WHERE id >");
  ASSERT_FALSE(table.ok());
  EXPECT_EQ(table.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(table.status().message(), HasSubstr("SQLite rejected the query (sqlite://"));
  EXPECT_THAT(table.status().message(), HasSubstr("incomplete input"));
  table = Query("SELEC id FROM t");
  ASSERT_FALSE(table.ok());
  EXPECT_THAT(
      table.status().message(),
      HasSubstr("near \"SELEC\": syntax error at line 1, column 1:\n  SELEC id FROM t\n  ^"));
  table = Query("SELECT nope FROM t");
  ASSERT_FALSE(table.ok());
  EXPECT_THAT(table.status().message(), HasSubstr("no such column: nope"));
}

TEST_F(SqliteSourceTest, OneReadOnlyStatement) {
  Exec("CREATE TABLE t (id INTEGER); INSERT INTO t VALUES (1);");
  auto table = Query("SELECT id FROM t; -- done\n");
  ASSERT_TRUE(table.ok()) << table.status();
  table = Query("SELECT 1; SELECT 2");
  ASSERT_FALSE(table.ok());
  EXPECT_THAT(table.status().message(), HasSubstr("more than one statement"));
  table = Query("DELETE FROM t");
  ASSERT_FALSE(table.ok());
  EXPECT_THAT(table.status().message(), HasSubstr("read-only"));
  table = Query("  ");
  ASSERT_FALSE(table.ok());
  EXPECT_THAT(table.status().message(), HasSubstr("empty"));
  EXPECT_EQ(Query("SELECT count(*) AS n FROM t")->column(0).Int64Values()[0], 1);
}

TEST_F(SqliteSourceTest, DuplicateColumnNamesAskForAliases) {
  Exec("CREATE TABLE t (id INTEGER);");
  auto table = Query("SELECT id, id FROM t");
  ASSERT_FALSE(table.ok());
  EXPECT_THAT(table.status().message(), HasSubstr("its own name"));
}

TEST_F(SqliteSourceTest, MissingFileAndNotADatabase) {
  auto table = RunQuery("sqlite://" + dir_.path() + "/missing.db", "SELECT 1", {});
  ASSERT_FALSE(table.ok());
  EXPECT_EQ(table.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(table.status().message(), HasSubstr("missing.db"));
  EXPECT_FALSE(PathExists(dir_.path() + "/missing.db"));  // not created

  ASSERT_TRUE(WriteFileAtomic(dir_.path() + "/junk.db", "this is not a database at all").ok());
  table = RunQuery("sqlite://" + dir_.path() + "/junk.db", "SELECT * FROM t", {});
  ASSERT_FALSE(table.ok());
  EXPECT_THAT(table.status().message(), HasSubstr("not a database"));
  EXPECT_EQ(RunQuery("sqlite://", "SELECT 1", {}).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST_F(SqliteSourceTest, RelativePathFromTheCurrentFolder) {
  Exec("CREATE TABLE t (id INTEGER); INSERT INTO t VALUES (7);");
  const std::string cwd = std::filesystem::current_path();
  std::filesystem::current_path(dir_.path());
  auto table = RunQuery("sqlite://shop.db", "SELECT id FROM t", {});
  std::filesystem::current_path(cwd);
  ASSERT_TRUE(table.ok()) << table.status();
  EXPECT_EQ(table->column(0).Int64Values()[0], 7);
}

}  // namespace
}  // namespace keel
