// End-to-end tests of `keel features apply | list | describe |
// get-historical`: definitions validated and kept as versions, and a
// point-in-time training set checked value by value.
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/str_split.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "keel/base/files.h"
#include "keel/base/testing/subprocess.h"
#include "keel/base/testing/temp_dir.h"
#include "keel/cli/run_keel_for_test.h"
#include "nlohmann/json.hpp"

namespace keel {
namespace {

using testing::CommandResult;
using ::testing::HasSubstr;
using ::testing::Not;
using json = nlohmann::json;

constexpr char kDefinitions[] = R"(entities:
  - name: customer
    join_keys:
      - {name: customer_id, type: int64}
sources:
  - name: stats_source
    dataset: stats
    timestamp_field: event_time
    created_timestamp_field: created
feature_views:
  - name: stats
    entities: [customer]
    source: stats_source
    ttl: 1d
    features:
      - {name: spend, type: float64}
      - {name: orders, type: int64}
services:
  - name: fraud
    features: ["stats:*"]
)";

// Two rows of customer 1 at 2024-01-02 (the later `created` wins).
constexpr char kStats[] = R"(customer_id,event_time,created,spend,orders
1,2024-01-01T00:00:00,2024-01-01T00:00:00,10.5,1
1,2024-01-02T00:00:00,2024-01-02T01:00:00,21.5,3
1,2024-01-02T00:00:00,2024-01-02T00:00:00,20.5,2
2,2024-01-01T00:00:00,2024-01-01T00:00:00,7.25,9
)";

constexpr char kEntities[] = R"(customer_id,event_timestamp,label
1,2024-01-02T00:00:00,a
1,2024-01-01T12:00:00,b
1,2024-01-03T00:00:00,c
1,2024-01-03T00:00:01,d
2,2023-12-31T23:59:59,e
3,2024-01-02T00:00:00,f
)";

class FeaturesCliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_EQ(Keel({"init", "--project", "t"}).exit_code, 0);
    Write("features.yaml", kDefinitions);
    Write("stats.csv", kStats);
    Write("entities.csv", kEntities);
    CommandResult r = Keel({"ingest", "stats.csv", "--name", "stats"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
  }

  void Write(const std::string& name, const std::string& text) {
    ASSERT_TRUE(WriteFileAtomic(dir_.path() + "/" + name, text).ok());
  }
  CommandResult Keel(std::vector<std::string> args) {
    return testing::RunKeel(std::move(args), dir_.path());
  }
  json KeelJson(std::vector<std::string> args) {
    args.push_back("--json");
    CommandResult r = Keel(args);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return json::parse(r.out, nullptr, false);
  }

  testing::TempDir dir_;
};

TEST_F(FeaturesCliTest, ApplyListDescribeAndUnchanged) {
  json applied = KeelJson({"features", "apply", "features.yaml"});
  EXPECT_EQ(applied["version"], 1);
  EXPECT_EQ(applied["status"], "applied");
  EXPECT_EQ(applied["feature_views"], 1);

  CommandResult again = Keel({"features", "apply", "features.yaml"});
  EXPECT_EQ(again.exit_code, 0) << again.err;
  EXPECT_THAT(again.out, HasSubstr("Unchanged: features.yaml is feature definitions version 1"));

  json list = KeelJson({"features", "list"});
  EXPECT_EQ(list["version"], 1);
  ASSERT_EQ(list["feature_views"].size(), 1u);
  EXPECT_EQ(list["feature_views"][0]["name"], "stats");
  EXPECT_EQ(list["services"][0]["name"], "fraud");

  json view = KeelJson({"features", "describe", "stats"});
  EXPECT_EQ(view["kind"], "feature_view");
  EXPECT_EQ(view["ttl_us"], int64_t{86'400'000'000});
  EXPECT_EQ(view["join_keys"][0]["name"], "customer_id");
  EXPECT_EQ(view["features"][1]["type"], "int64");
  json service = KeelJson({"features", "describe", "fraud"});
  EXPECT_EQ(service["features"][0]["column"], "stats__spend");
  CommandResult human = Keel({"features", "describe", "stats"});
  EXPECT_THAT(human.out, HasSubstr("ttl       1d"));
  CommandResult unknown = Keel({"features", "describe", "fruad"});
  EXPECT_EQ(unknown.exit_code, 2);
  EXPECT_THAT(unknown.err, HasSubstr("Did you mean 'fraud'?"));

  std::string changed = kDefinitions;
  changed.replace(changed.find("ttl: 1d"), 7, "ttl: 2d");
  Write("features.yaml", changed);
  EXPECT_EQ(KeelJson({"features", "apply", "features.yaml"})["version"], 2);
  EXPECT_EQ(KeelJson({"features", "describe", "stats"})["ttl"], "2d");
}

TEST_F(FeaturesCliTest, ApplyRejectsAnUnknownEntityWithItsPlace) {
  std::string bad = kDefinitions;
  bad.replace(bad.find("[customer]"), 10, "[custmer]");
  Write("bad.yaml", bad);
  CommandResult r = Keel({"features", "apply", "bad.yaml"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.err, HasSubstr("bad.yaml:12:16: feature view 'stats': unknown entity 'custmer'. "
                               "Did you mean 'customer'?"));
  CommandResult list = Keel({"features", "list"});
  EXPECT_EQ(list.exit_code, 1);
  EXPECT_THAT(list.err, HasSubstr("no feature definitions applied yet"));
}

TEST_F(FeaturesCliTest, GetHistoricalIsPointInTimeCorrect) {
  ASSERT_EQ(Keel({"features", "apply", "features.yaml"}).exit_code, 0);
  json r = KeelJson({"features", "get-historical", "--entities", "entities.csv", "--service",
                     "fraud", "--out", "train.jsonl"});
  EXPECT_EQ(r["rows"], 6);
  StatusOr<std::string> text = ReadFile(dir_.path() + "/train.jsonl");
  ASSERT_TRUE(text.ok()) << text.status();
  std::vector<json> rows;
  std::istringstream lines(*text);
  for (std::string line; std::getline(lines, line);) rows.push_back(json::parse(line));
  ASSERT_EQ(rows.size(), 6u);
  const std::vector<json> spend = {21.5, 10.5, 21.5, nullptr, nullptr, nullptr};
  const std::vector<json> orders = {3, 1, 3, nullptr, nullptr, nullptr};
  const std::vector<std::string> labels = {"a", "b", "c", "d", "e", "f"};
  for (size_t i = 0; i < rows.size(); ++i) {
    SCOPED_TRACE(i);
    EXPECT_EQ(rows[i]["label"], labels[i]);  // entity rows in order, columns kept
    EXPECT_EQ(rows[i]["stats__spend"], spend[i]);
    EXPECT_EQ(rows[i]["stats__orders"], orders[i]);
  }
}

TEST_F(FeaturesCliTest, GetHistoricalNamesAMissingJoinKeyAndAnUnknownService) {
  ASSERT_EQ(Keel({"features", "apply", "features.yaml"}).exit_code, 0);
  Write("no_key.csv", "customer,event_timestamp\n1,2024-01-02T00:00:00\n");
  CommandResult r = Keel({"features", "get-historical", "--entities", "no_key.csv", "--service",
                          "fraud", "--out", "x.csv"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.err, HasSubstr("the entity rows have no column 'customer_id' (join key of "
                               "feature view 'stats')."));
  EXPECT_THAT(r.err, HasSubstr("Did you mean 'customer'?"));
  r = Keel({"features", "get-historical", "--entities", "entities.csv", "--service", "fraudd",
            "--out", "x.csv"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.err, HasSubstr("Did you mean 'fraud'?"));
  r = Keel({"features", "get-historical", "--entities", "entities.csv", "--service", "fraud",
            "--out", "x.csv", "--timestamp-column", "ts"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.err, HasSubstr("have no column 'ts' (the event time)"));
}

// An entity time column with some times carrying an offset and some not is
// ambiguous (the naive ones may be local times): refused with both examples,
// for CSV and JSON Lines, and by `keel ingest` (the readers refuse it).
TEST_F(FeaturesCliTest, GetHistoricalRefusesEntityTimesInMixedZones) {
  ASSERT_EQ(Keel({"features", "apply", "features.yaml"}).exit_code, 0);
  Write("mixed.csv",
        "customer_id,event_timestamp,label\n"
        "1,2024-01-02T00:00:00Z,a\n"
        "1,2024-01-01 12:00:00,b\n");
  CommandResult r = Keel({"features", "get-historical", "--entities", "mixed.csv", "--service",
                          "fraud", "--out", "x.csv"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.err, HasSubstr("mixed.csv:3:3: column 'event_timestamp' mixes timestamps with a "
                               "UTC offset ('2024-01-02T00:00:00Z', line 2) and without one "
                               "('2024-01-01 12:00:00', line 3), so the ones without may be local "
                               "times; write every time with an offset such as Z, or every time "
                               "without one; naive times are read as UTC"));
  EXPECT_FALSE(PathExists(dir_.path() + "/x.csv"));

  Write("mixed.jsonl",
        "{\"customer_id\": 1, \"event_timestamp\": \"2024-01-02T00:00:00\"}\n"
        "{\"customer_id\": 1, \"event_timestamp\": \"2024-01-01T12:00:00+01:00\"}\n");
  r = Keel({"features", "get-historical", "--entities", "mixed.jsonl", "--service", "fraud",
            "--out", "x.csv"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.err, HasSubstr("mixed.jsonl:2:1: key 'event_timestamp' mixes timestamps with a "
                               "UTC offset ('2024-01-01T12:00:00+01:00', line 2) and without one "
                               "('2024-01-02T00:00:00', line 1)"));

  r = Keel({"ingest", "mixed.csv", "--name", "mixed"});
  EXPECT_NE(r.exit_code, 0);
  EXPECT_THAT(r.err, HasSubstr("mixed.csv:3:3: column 'event_timestamp' mixes timestamps"));
}

// Different explicit offsets (a DST change, several sources) are each an
// unambiguous instant: accepted and joined at the right UTC time.
TEST_F(FeaturesCliTest, GetHistoricalAcceptsEntityTimesWithDifferentOffsets) {
  ASSERT_EQ(Keel({"features", "apply", "features.yaml"}).exit_code, 0);
  Write("offsets.csv",
        "customer_id,event_timestamp,label\n"
        "1,2024-01-02T01:00:00+01:00,a\n"
        "1,2024-01-01T14:00:00+02:00,b\n"
        "2,2024-01-01T00:00:00Z,c\n");
  json r = KeelJson({"features", "get-historical", "--entities", "offsets.csv", "--service",
                     "fraud", "--out", "train.jsonl"});
  ASSERT_EQ(r["rows"], 3);
  const std::vector<std::string> lines =
      absl::StrSplit(*ReadFile(dir_.path() + "/train.jsonl"), "\n", absl::SkipEmpty());
  ASSERT_EQ(lines.size(), 3u);
  const std::vector<std::string> times = {"2024-01-02T00:00:00Z", "2024-01-01T12:00:00Z",
                                          "2024-01-01T00:00:00Z"};
  const std::vector<json> spend = {21.5, 10.5, 7.25};
  for (size_t i = 0; i < lines.size(); ++i) {
    SCOPED_TRACE(i);
    const json row = json::parse(lines[i]);
    EXPECT_EQ(row["event_timestamp"], times[i]);
    EXPECT_EQ(row["stats__spend"], spend[i]);
  }
}

TEST_F(FeaturesCliTest, GetHistoricalNamesTheLineOfAnUnparseableEntityTime) {
  ASSERT_EQ(Keel({"features", "apply", "features.yaml"}).exit_code, 0);
  Write("bad.csv", "customer_id,event_timestamp\n1,2024-01-02T00:00:00\n1,2024-01-32T00:00:00\n");
  CommandResult r = Keel({"features", "get-historical", "--entities", "bad.csv", "--service",
                          "fraud", "--out", "x.csv"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.err, HasSubstr("bad.csv:3:3: value '2024-01-32T00:00:00' in column "
                               "'event_timestamp' is not a valid timestamp"));
  Write("bad.jsonl",
        "{\"customer_id\": 1, \"event_timestamp\": \"2024-01-02T00:00:00\"}\n"
        "{\"customer_id\": 1, \"event_timestamp\": \"yesterday\"}\n");
  r = Keel({"features", "get-historical", "--entities", "bad.jsonl", "--service", "fraud", "--out",
            "x.csv"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.err, HasSubstr("bad.jsonl:2:1: value 'yesterday' of key 'event_timestamp' is not "
                               "a valid timestamp"));
}

TEST_F(FeaturesCliTest, MaterializeThenGetOnlineGivesTheOfflineValuesAtTheEnd) {
  ASSERT_EQ(Keel({"features", "apply", "features.yaml"}).exit_code, 0);
  // Window [2024-01-01T12:00, 2024-01-02T00:00]: customer 1's two rows at
  // 01-02 (the later `created` wins), not customer 2's row at 01-01 00:00.
  json m = KeelJson({"features", "materialize", "--start", "2024-01-01T12:00:00", "--end",
                     "2024-01-02T00:00:00"});
  ASSERT_EQ(m["feature_views"].size(), 1u) << m.dump();
  EXPECT_EQ(m["feature_views"][0]["rows_in_window"], 2);
  EXPECT_EQ(m["feature_views"][0]["entities_written"], 1);
  EXPECT_THAT(m["store"].get<std::string>(), HasSubstr("embedded:"));

  // Read long after: the view's TTL (1d) hides the row; the status says so.
  json old = KeelJson({"features", "get-online", "--service", "fraud", "--entity",
                       "customer_id=1", "--entity", "customer_id=2"});
  EXPECT_EQ(old["metadata"]["feature_names"], json::parse(R"(["customer_id","spend","orders"])"));
  EXPECT_EQ(old["results"][1]["statuses"], json::parse(R"(["OUTSIDE_MAX_AGE","NOT_FOUND"])"));

  // The incremental run starts at the watermark (customer 2's older row is
  // not in it).
  json inc = KeelJson({"features", "materialize-incremental", "--end", "2024-01-03T00:00:00"});
  EXPECT_EQ(inc["feature_views"][0]["start"], "2024-01-02T00:00:00Z");
  EXPECT_EQ(inc["feature_views"][0]["rows_in_window"], 2);  // the boundary rows again
  json up = KeelJson({"features", "materialize-incremental", "--end", "2024-01-02T12:00:00"});
  EXPECT_EQ(up["feature_views"][0]["status"], "up to date");

  // A backfill of everything brings customer 2; values match get-historical.
  ASSERT_EQ(Keel({"features", "materialize", "--start", "2023-01-01", "--end", "2024-01-03"})
                .exit_code,
            0);
  CommandResult human = Keel({"features", "get-online", "--feature", "stats:spend", "--feature",
                              "stats:orders", "--entity", "customer_id=1", "--full-names"});
  EXPECT_EQ(human.exit_code, 0) << human.err;
  // Out of the TTL at the real "now": shown as such, not as values.
  EXPECT_THAT(human.out, HasSubstr("stats__spend"));
  EXPECT_THAT(human.out, HasSubstr("(OUTSIDE_MAX_AGE)"));

  json at = KeelJson({"features", "get-online", "--service", "fraud", "--entity", "customer_id=1",
                      "--entity", "customer_id=2", "--entity", "customer_id=3", "--at",
                      "2024-01-02T12:00:00"});
  EXPECT_EQ(at["results"][1]["values"], json::parse("[21.5, null, null]")) << at.dump();
  EXPECT_EQ(at["results"][2]["values"], json::parse("[3, null, null]"));
  EXPECT_EQ(at["results"][2]["statuses"],
            json::parse(R"(["PRESENT","OUTSIDE_MAX_AGE","NOT_FOUND"])"));
  EXPECT_EQ(at["results"][2]["event_timestamps"][0], "2024-01-02T00:00:00Z");
  json hist = KeelJson({"features", "get-historical", "--entities", "entities.csv", "--service",
                        "fraud", "--out", "h.jsonl"});
  ASSERT_EQ(hist["rows"], 6);

  CommandResult bad = Keel({"features", "get-online", "--service", "fraud", "--entity", "cid=1"});
  EXPECT_NE(bad.exit_code, 0);
  EXPECT_THAT(bad.err, HasSubstr("no join key 'customer_id', needed by feature view 'stats'"));
  CommandResult bad_view =
      Keel({"features", "materialize", "--start", "2024-01-01", "--view", "stat"});
  EXPECT_NE(bad_view.exit_code, 0);
  EXPECT_THAT(bad_view.err, HasSubstr("Did you mean 'stats'"));
}

TEST_F(FeaturesCliTest, DiffShowsWhatAnApplyWouldChangeAndBetweenVersions) {
  ASSERT_EQ(Keel({"features", "apply", "features.yaml"}).exit_code, 0);
  std::string changed = kDefinitions;
  changed.replace(changed.find("ttl: 1d"), 7, "ttl: 7d");
  changed.replace(changed.find("{name: orders, type: int64}"), 27,
                  "{name: orders, type: float64}\n      - {name: visits, type: int64}");
  Write("features2.yaml", changed);

  CommandResult pending = Keel({"features", "diff", "features2.yaml"});
  ASSERT_EQ(pending.exit_code, 0) << pending.err;
  EXPECT_THAT(pending.out, HasSubstr("version 1 -> features2.yaml: 2 changed"));
  EXPECT_THAT(pending.out, HasSubstr("~ feature_view stats\n    ttl: 1d -> 7d\n"
                                     "    feature orders: int64 -> float64\n"
                                     "    feature visits: added (int64)"));
  // "stats:*" is the same text, but it now expands to one more feature.
  EXPECT_THAT(pending.out, HasSubstr("~ service fraud\n    features: stats:spend, stats:orders -> "
                                     "stats:spend, stats:orders, stats:visits"));
  EXPECT_THAT(pending.out, Not(HasSubstr("entity")));

  ASSERT_EQ(Keel({"features", "apply", "features2.yaml"}).exit_code, 0);
  json between = KeelJson({"features", "diff"});
  EXPECT_EQ(between["from"], "version 1");
  EXPECT_EQ(between["to"], "version 2");
  ASSERT_EQ(between["changes"].size(), 2u) << between.dump();
  EXPECT_EQ(between["changes"][0]["name"], "stats");
  EXPECT_EQ(between["changes"][1]["kind"], "service");  // stats:* now expands to visits too
  json none = KeelJson({"features", "diff", "--from", "2", "--to", "2"});
  EXPECT_TRUE(none["changes"].empty());
  CommandResult missing = Keel({"features", "diff", "--to", "9"});
  EXPECT_EQ(missing.exit_code, 2);
  EXPECT_THAT(missing.err, HasSubstr("no feature definitions version 9; versions 1..2 exist"));
}

// A source may be a SQL query (here SQLite, a path relative to the
// workspace): get-historical and materialize read the query's result.
TEST_F(FeaturesCliTest, ASqlSourceFeedsTrainingSetsAndTheOnlineStore) {
  CommandResult db = testing::RunCommand(
      {"python3", "-c",
       "import sqlite3; c = sqlite3.connect('shop.db'); "
       "c.execute('CREATE TABLE s (customer_id INTEGER, event_time TIMESTAMP, spend REAL, n INTEGER)'); "
       "c.executemany('INSERT INTO s VALUES (?, ?, ?, ?)', ["
       "(1, '2024-01-01T00:00:00Z', 10.5, 1), (1, '2024-01-02T00:00:00Z', 21.5, 3), "
       "(2, '2024-01-01T00:00:00Z', 7.25, 9)]); c.commit()"},
      {.cwd = dir_.path()});
  ASSERT_EQ(db.exit_code, 0) << db.err;
  std::string sql_defs = kDefinitions;
  const std::string lake_source =
      "    dataset: stats\n    timestamp_field: event_time\n    created_timestamp_field: created\n";
  ASSERT_NE(sql_defs.find(lake_source), std::string::npos);
  sql_defs.replace(sql_defs.find(lake_source), lake_source.size(),
                   "    sql: sqlite://shop.db\n"
                   "    query: SELECT customer_id, event_time, spend, n AS orders FROM s\n"
                   "    timestamp_field: event_time\n");
  Write("sql.yaml", sql_defs);
  CommandResult applied = Keel({"features", "apply", "sql.yaml"});
  ASSERT_EQ(applied.exit_code, 0) << applied.err;

  // A TIMESTAMP-declared column comes typed (keel/sql parses its text).
  json hist = KeelJson({"features", "get-historical", "--entities", "entities.csv", "--service",
                        "fraud", "--out", "h.jsonl"});
  ASSERT_EQ(hist["rows"], 6) << hist.dump();
  const std::vector<std::string> lines =
      absl::StrSplit(*ReadFile(dir_.path() + "/h.jsonl"), "\n", absl::SkipEmpty());
  ASSERT_EQ(lines.size(), 6u);
  EXPECT_EQ(json::parse(lines[0])["stats__spend"], 21.5);  // customer 1 at 2024-01-02
  EXPECT_EQ(json::parse(lines[1])["stats__orders"], 1);    // 2024-01-01T12:00
  EXPECT_TRUE(json::parse(lines[5])["stats__spend"].is_null());  // customer 3: unknown
  json m = KeelJson({"features", "materialize", "--start", "2023-01-01", "--end", "2024-01-03"});
  EXPECT_EQ(m["feature_views"][0]["source_dataset"], "sql:sqlite://shop.db");
  EXPECT_EQ(m["feature_views"][0]["entities_written"], 2);
  json online = KeelJson({"features", "get-online", "--service", "fraud", "--entity",
                          "customer_id=1", "--at", "2024-01-02T12:00:00"});
  EXPECT_EQ(online["results"][1]["values"], json::parse("[21.5]"));

  Write("bad.yaml", "entities: []\nsources:\n  - {name: s, dataset: d, sql: 'sqlite://x.db', "
                    "query: 'SELECT 1', timestamp_field: t}\n");
  CommandResult bad = Keel({"features", "apply", "bad.yaml"});
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_THAT(bad.err, HasSubstr("bad.yaml:3:5: source 's': give either 'dataset'"));
}

}  // namespace
}  // namespace keel
