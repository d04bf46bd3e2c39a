// End-to-end tests of `keel ingest` from SQL sources: the real binary in a
// fresh workspace, querying a SQLite file and a real PostgreSQL server.
#include <sqlite3.h>

#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "keel/base/files.h"
#include "keel/base/testing/subprocess.h"
#include "keel/base/testing/temp_dir.h"
#include "keel/cli/run_keel_for_test.h"
#include "keel/sql/testing/postgres_test_server.h"
#include "nlohmann/json.hpp"

namespace keel {
namespace {

using testing::CommandResult;
using ::testing::HasSubstr;
using ::testing::Not;
using testing::PostgresTestServer;
using json = nlohmann::json;

class SqlCliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_EQ(Keel({"init", "--project", "t"}).exit_code, 0);
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open((dir_.path() + "/shop.db").c_str(), &db), SQLITE_OK);
    ASSERT_EQ(sqlite3_exec(db,
                           "CREATE TABLE orders (id INTEGER, amount REAL, city TEXT, at TIMESTAMP);"
                           "INSERT INTO orders VALUES (1, 2.5, 'Paris', '2024-01-02 03:04:05'),"
                           "  (2, NULL, 'Lyon', NULL), (3, 7.25, 'Lyon', '2024-01-03');",
                           nullptr, nullptr, nullptr),
              SQLITE_OK);
    sqlite3_close(db);
  }

  CommandResult Keel(std::vector<std::string> args, std::vector<std::string> env = {}) {
    return testing::RunKeel(std::move(args), dir_.path(), std::move(env));
  }
  json KeelJson(std::vector<std::string> args) {
    args.push_back("--json");
    CommandResult r = Keel(args);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return json::parse(r.out, nullptr, false);
  }
  json DatasetList() { return KeelJson({"datasets", "list"})["datasets"]; }

  testing::TempDir dir_;
};

TEST_F(SqlCliTest, SqliteQueryIngestsTypedColumnsAndRepeatsUnchanged) {
  const std::vector<std::string> ingest = {"ingest",  "sqlite://shop.db",
                                           "--name",  "orders",
                                           "--query", "SELECT * FROM orders ORDER BY id"};
  CommandResult r = Keel(ingest);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("Ingested orders@"));
  EXPECT_THAT(r.out, HasSubstr("3 rows, 4 columns"));
  EXPECT_THAT(r.out, HasSubstr("source: sqlite://shop.db"));

  r = Keel(ingest);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("unchanged"));

  json show = KeelJson({"datasets", "show", "orders"});
  EXPECT_EQ(show["rows"], 3);
  EXPECT_EQ(show["format"], "sqlite");
  EXPECT_EQ(show["source"], "sqlite://shop.db");
  EXPECT_EQ(show["schema"], json::parse(R"([
      {"name":"id","type":"int64","nullable":true},
      {"name":"amount","type":"float64","nullable":true},
      {"name":"city","type":"string","nullable":true},
      {"name":"at","type":"timestamp","nullable":true}])"));
  json head = KeelJson({"datasets", "head", "orders"});
  EXPECT_EQ(head["rows"][1], json::parse(R"([2, null, "Lyon", null])"));
  EXPECT_EQ(DatasetList().size(), 1u);

  // The query is kept as the raw object, after a header naming the source.
  const std::string raw_key = show["raw_keys"][0];
  EXPECT_THAT(raw_key, ::testing::EndsWith("/raw/query.sql"));
  auto raw = ReadFile(dir_.path() + "/.keel/lake/" + raw_key);
  ASSERT_TRUE(raw.ok()) << raw.status();
  EXPECT_EQ(*raw,
            "-- keel-sql-source {\"engine\":\"sqlite\",\"source\":\"sqlite://shop.db\"}\n"
            "SELECT * FROM orders ORDER BY id");

  // --query-file and --json; another query is another version.
  ASSERT_TRUE(WriteFileAtomic(dir_.path() + "/lyon.sql",
                              "SELECT city, count(*) AS n, sum(amount) AS total\n"
                              "FROM orders WHERE city = 'Lyon' GROUP BY city")
                  .ok());
  json j = KeelJson({"ingest", "sqlite://shop.db", "--name", "orders", "--query-file", "lyon.sql"});
  EXPECT_FALSE(j["unchanged"].get<bool>());
  EXPECT_EQ(j["rows"], 1);
  EXPECT_EQ(j["schema"][1]["type"], "int64");
  EXPECT_EQ(j["schema"][2]["type"], "float64");
}

TEST_F(SqlCliTest, SyntaxErrorIsClearAndWritesNothing) {
  CommandResult r = Keel(
      {"ingest", "sqlite://shop.db", "--name", "orders", "--query", "SELECT id FROM orders WHERE"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.err, HasSubstr("SQLite rejected the query (sqlite://shop.db)"));
  EXPECT_THAT(r.err, HasSubstr("incomplete input"));
  EXPECT_THAT(r.err, HasSubstr("SELECT id FROM orders WHERE"));
  EXPECT_TRUE(DatasetList().empty());

  r = Keel({"ingest", "sqlite://missing.db", "--name", "orders", "--query", "SELECT 1"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.err, HasSubstr("no SQLite database at missing.db"));
  EXPECT_TRUE(DatasetList().empty());
}

TEST_F(SqlCliTest, UsageErrors) {
  CommandResult r = Keel({"ingest", "sqlite://shop.db", "--name", "orders"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.err, HasSubstr("--query"));
  r = Keel({"ingest", "sqlite://shop.db", "--name", "o", "--query", "SELECT 1", "--query-file",
            "x.sql"});
  EXPECT_EQ(r.exit_code, 2);
  r = Keel(
      {"ingest", "sqlite://shop.db", "--name", "o", "--query", "SELECT 1", "--delimiter", ";"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.err, HasSubstr("--delimiter applies to files"));
  ASSERT_TRUE(WriteFileAtomic(dir_.path() + "/t.csv", "a\n1\n").ok());
  r = Keel({"ingest", "t.csv", "--name", "t", "--query", "SELECT 1"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.err, HasSubstr("--query needs a SQL source"));
  r = Keel({"ingest", "sqlite://shop.db", "--name", "o", "--query-file", "nope.sql"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.err, HasSubstr("nope.sql"));
  EXPECT_THAT(Keel({"ingest", "--help"}).out, HasSubstr("postgresql://"));
  EXPECT_TRUE(DatasetList().empty());
}

TEST_F(SqlCliTest, PostgresQueryNeverRecordsThePassword) {
  auto server = PostgresTestServer::Start();
  if (server.status().code() == absl::StatusCode::kFailedPrecondition) {
    GTEST_SKIP() << server.status();
  }
  ASSERT_TRUE(server.ok()) << server.status();
  const std::string password = PostgresTestServer::kPassword;
  const std::string query =
      "SELECT g AS id, g % 3 = 0 AS fizz, now()::date AS day FROM generate_series(1, 10) g";
  CommandResult r = Keel({"ingest", (*server)->uri(), "--name", "pg", "--query", query, "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out + r.err, Not(HasSubstr(password)));
  json j = json::parse(r.out);
  EXPECT_EQ(j["format"], "postgresql");
  EXPECT_EQ(j["rows"], 10);
  EXPECT_THAT(j["source"].get<std::string>(), HasSubstr("postgresql://keel:***@127.0.0.1:"));
  EXPECT_EQ(j["schema"][1]["type"], "bool");
  EXPECT_EQ(j["schema"][2]["type"], "timestamp");
  r = Keel({"datasets", "show", "pg", "--json"});
  EXPECT_THAT(r.out, Not(HasSubstr(password)));

  // The password from PGPASSWORD; a wrong one fails without showing it.
  r = Keel({"ingest", (*server)->uri(""), "--name", "pg", "--query", query},
           {"PGPASSWORD=" + password});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  r = Keel({"ingest", (*server)->uri("wrong-Secret-77"), "--name", "pg", "--query", query});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.err, HasSubstr("password authentication failed"));
  EXPECT_THAT(r.err, Not(HasSubstr("wrong-Secret-77")));
  r = Keel({"ingest", (*server)->uri(), "--name", "pg", "--query", "SELECT * FORM pg_class"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.err, HasSubstr("syntax error at or near \"FORM\""));
  EXPECT_THAT(r.err, Not(HasSubstr(password)));
}

}  // namespace
}  // namespace keel
