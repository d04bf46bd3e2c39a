// End-to-end tests of `keel ingest` and `keel datasets`: the real binary in
// a fresh workspace.
#include <string>
#include <vector>

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
using json = nlohmann::json;

class LakeCliTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_EQ(Keel({"init", "--project", "t"}).exit_code, 0); }

  CommandResult Keel(std::vector<std::string> args) {
    return testing::RunKeel(std::move(args), dir_.path());
  }
  json KeelJson(std::vector<std::string> args) {
    args.push_back("--json");
    CommandResult r = Keel(args);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return json::parse(r.out, nullptr, false);
  }
  std::string Write(const std::string& name, const std::string& text) {
    EXPECT_TRUE(WriteFileAtomic(dir_.path() + "/" + name, text).ok());
    return name;
  }

  testing::TempDir dir_;
};

constexpr char kCsv[] = "id,amount,city,ok\n1,2.5,Paris,true\n2,,Lyon,false\n3,7.25,Lyon,true\n";

TEST_F(LakeCliTest, IngestShowListVersions) {
  Write("t.csv", kCsv);
  CommandResult r = Keel({"ingest", "t.csv", "--name", "txns"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("Ingested txns@"));
  EXPECT_THAT(r.out, HasSubstr("3 rows, 4 columns"));

  r = Keel({"ingest", "t.csv", "--name", "txns"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("unchanged"));
  json again = KeelJson({"ingest", "t.csv", "--name", "txns"});
  EXPECT_TRUE(again["unchanged"].get<bool>());

  json show = KeelJson({"datasets", "show", "txns"});
  EXPECT_EQ(show["rows"], 3);
  EXPECT_EQ(show["schema"], json::parse(R"([
      {"name":"id","type":"int64","nullable":true},
      {"name":"amount","type":"float64","nullable":true},
      {"name":"city","type":"string","nullable":true},
      {"name":"ok","type":"bool","nullable":true}])"));
  const std::string version = show["version"];
  EXPECT_EQ(version, again["version"]);
  EXPECT_EQ(KeelJson({"datasets", "show", "txns@" + version.substr(0, 8)})["version"], version);
  r = Keel({"datasets", "show", "txns"});
  EXPECT_THAT(r.out, HasSubstr("amount  float64"));

  // A second version (other bytes), newest first.
  Write("t2.csv", std::string(kCsv) + "4,1.0,Nice,false\n");
  ASSERT_EQ(Keel({"ingest", "t2.csv", "--name", "txns"}).exit_code, 0);
  json versions = KeelJson({"datasets", "versions", "txns"});
  ASSERT_EQ(versions["versions"].size(), 2u);
  EXPECT_EQ(versions["versions"][0]["rows"], 4);
  EXPECT_TRUE(versions["versions"][0]["latest"].get<bool>());
  EXPECT_EQ(versions["versions"][1]["version"], version);

  json list = KeelJson({"datasets", "list"});
  ASSERT_EQ(list["datasets"].size(), 1u);
  EXPECT_EQ(list["datasets"][0]["name"], "txns");
  EXPECT_EQ(list["datasets"][0]["versions"], 2);
  EXPECT_EQ(list["datasets"][0]["rows"], 4);
  EXPECT_THAT(Keel({"datasets", "list"}).out, HasSubstr("txns"));
}

TEST_F(LakeCliTest, HeadExportProfile) {
  Write("t.csv", kCsv);
  ASSERT_EQ(Keel({"ingest", "t.csv", "--name", "txns"}).exit_code, 0);
  json head = KeelJson({"datasets", "head", "txns", "-n", "2"});
  EXPECT_EQ(head["columns"], json::parse(R"(["id","amount","city","ok"])"));
  EXPECT_EQ(head["rows"], json::parse(R"([[1,2.5,"Paris",true],[2,null,"Lyon",false]])"));
  CommandResult r = Keel({"datasets", "head", "txns"});
  EXPECT_THAT(r.out, HasSubstr("Paris"));

  r = Keel({"datasets", "export", "txns", "--out", "out.csv"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(*ReadFile(dir_.path() + "/out.csv"),
            "id,amount,city,ok\n1,2.5,Paris,true\n2,,Lyon,false\n3,7.25,Lyon,true\n");
  EXPECT_EQ(Keel({"datasets", "export", "txns", "--out", "out.xlsx"}).exit_code, 2);
  // Parquet and JSON Lines exports ingest back to the same table.
  for (const char* out : {"out.parquet", "out.jsonl"}) {
    ASSERT_EQ(Keel({"datasets", "export", "txns", "--out", out}).exit_code, 0) << out;
    json again = KeelJson({"ingest", out, "--name", "again"});
    EXPECT_EQ(again["rows"], 3) << out;
    EXPECT_EQ(KeelJson({"datasets", "head", "again", "-n", "3"})["rows"],
              KeelJson({"datasets", "head", "txns", "-n", "3"})["rows"])
        << out;
  }

  json profile = KeelJson({"datasets", "profile", "txns"});
  EXPECT_EQ(profile["rows"], 3);
  const json& amount = profile["columns"][1];
  EXPECT_EQ(amount["name"], "amount");
  EXPECT_EQ(amount["nulls"], 1);
  EXPECT_EQ(amount["count"], 2);
  EXPECT_DOUBLE_EQ(amount["mean"].get<double>(), 4.875);
  EXPECT_EQ(amount["histogram"].size(), 20u);
  const json& city = profile["columns"][2];
  EXPECT_EQ(city["top_values"][0], json::parse(R"({"value":"Lyon","count":2})"));
  EXPECT_EQ(city["distinct_estimate"], 2);
  EXPECT_THAT(Keel({"datasets", "profile", "txns"}).out, HasSubstr("DISTINCT"));
}

TEST_F(LakeCliTest, BadInputFailsAndRecordsNothing) {
  Write("ragged.csv", "a,b\n1,2\n3,4,5\n");
  CommandResult r = Keel({"ingest", "ragged.csv", "--name", "bad"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.err, HasSubstr("ragged.csv:3:"));
  r = Keel({"ingest", "missing.csv", "--name", "bad"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.err, HasSubstr("missing.csv"));
  Write("empty.csv", "");
  r = Keel({"ingest", "empty.csv", "--name", "bad"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.err, HasSubstr("empty.csv"));
  EXPECT_TRUE(KeelJson({"datasets", "list"})["datasets"].empty());
  r = Keel({"datasets", "show", "bad"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.err, HasSubstr("no dataset named 'bad'"));
}

TEST_F(LakeCliTest, BadFlagsAreUsageErrors) {
  Write("t.csv", kCsv);
  EXPECT_EQ(Keel({"ingest", "t.csv"}).exit_code, 2);  // --name missing
  CommandResult r = Keel({"ingest", "t.csv", "--name", "Bad Name"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.err, HasSubstr("--name"));
  EXPECT_EQ(Keel({"ingest", "t.csv", "--name", "t", "--format", "xml"}).exit_code, 2);
  EXPECT_EQ(Keel({"ingest", "t.csv", "--name", "t", "--delimiter", ";;"}).exit_code, 2);
  EXPECT_EQ(Keel({"datasets", "show", "t@zz"}).exit_code, 2);
  EXPECT_EQ(Keel({"datasets", "head", "t", "-n", "-1"}).exit_code, 2);
  EXPECT_EQ(Keel({"datasets"}).exit_code, 2);

  ASSERT_EQ(Keel({"ingest", "t.csv", "--name", "txns"}).exit_code, 0);
  r = Keel({"datasets", "show", "txn"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.err, HasSubstr("Did you mean 'txns'?"));
  r = Keel({"datasets", "show", "txns@0000", "--json"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(json::parse(r.out)["error"]["code"], "NOT_FOUND");
}

TEST_F(LakeCliTest, JsonLinesIngest) {
  Write("events.jsonl",
        "{\"_id\": {\"$oid\": \"65a1\"}, \"at\": {\"$date\": \"2024-01-02T03:04:05Z\"}, "
        "\"user\": {\"id\": 7}}\n{\"_id\": {\"$oid\": \"65a2\"}, \"extra\": [1, 2]}\n");
  CommandResult r = Keel({"ingest", "events.jsonl", "--name", "events"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  r = Keel({"datasets", "show", "events", "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto doc = nlohmann::json::parse(r.out);
  EXPECT_EQ(doc["rows"], 2);
  std::vector<std::string> columns;
  for (const auto& field : doc["schema"]) {
    columns.push_back(field["name"].get<std::string>() + ":" + field["type"].get<std::string>());
  }
  EXPECT_THAT(columns, ::testing::ElementsAre("_id:string", "at:timestamp", "user.id:int64",
                                              "extra:string"));
  Write("bad.jsonl", "{\"a\": 1}\n{\"a\": }\n");
  r = Keel({"ingest", "bad.jsonl", "--name", "bad"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.err, HasSubstr("bad.jsonl:2:"));
}

TEST_F(LakeCliTest, DelimiterAndTsv) {
  Write("s.csv", "a;b\n1;x\n");
  json r = KeelJson({"ingest", "s.csv", "--name", "s", "--delimiter", ";"});
  EXPECT_EQ(r["columns"], 2);
  Write("t.tsv", "a\tb\tc\n1\t2\t3\n");
  EXPECT_EQ(KeelJson({"ingest", "t.tsv", "--name", "t"})["columns"], 3);
}

TEST_F(LakeCliTest, PartitionBy) {
  Write("t.csv", kCsv);
  json r = KeelJson({"ingest", "t.csv", "--name", "txns", "--partition-by", "city"});
  EXPECT_EQ(r["partition_column"], "city");
  EXPECT_EQ(KeelJson({"datasets", "head", "txns"})["rows"].size(), 3u);
  EXPECT_THAT(Keel({"datasets", "show", "txns"}).out, HasSubstr("partitioned by city"));
  CommandResult bad = Keel({"ingest", "t.csv", "--name", "txns", "--partition-by", "cty"});
  EXPECT_EQ(bad.exit_code, 1);
  EXPECT_THAT(bad.err, HasSubstr("city"));
}

}  // namespace
}  // namespace keel

namespace keel {
namespace {

class ObjectsCliTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_EQ(Keel({"init", "--project", "t"}).exit_code, 0); }
  testing::CommandResult Keel(std::vector<std::string> args) {
    return testing::RunKeel(std::move(args), dir_.path());
  }
  testing::TempDir dir_;
};

TEST_F(ObjectsCliTest, FolderOfObjectsListedAndReadBack) {
  const std::string png = std::string("\x89PNG\r\n\x1a\n\0\0\0\x0dIHDR\0\0\0\x02\0\0\0\x03", 24);
  ASSERT_TRUE(MakeDirs(dir_.path() + "/imgs/a").ok());
  ASSERT_TRUE(WriteFileAtomic(dir_.path() + "/imgs/a/one.png", png + "pixels").ok());
  ASSERT_TRUE(WriteFileAtomic(dir_.path() + "/imgs/notes.txt", "two\n").ok());

  testing::CommandResult r = Keel({"ingest", "imgs", "--name", "imgs"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.err, HasSubstr("is a folder"));
  EXPECT_THAT(r.err, HasSubstr("--objects"));

  r = Keel({"ingest", "imgs", "--name", "imgs", "--objects", "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  json j = json::parse(r.out);
  EXPECT_EQ(j["rows"], 2);
  EXPECT_EQ(j["format"], "objects");

  r = Keel({"datasets", "head", "imgs", "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  json head = json::parse(r.out);
  EXPECT_EQ(head["columns"], json::parse(R"(["path","size_bytes","content_type","sha256","key",
                                              "width","height"])"));
  EXPECT_EQ(head["rows"][0][0], "a/one.png");
  EXPECT_EQ(head["rows"][0][2], "image/png");
  EXPECT_EQ(head["rows"][0][5], 2);
  EXPECT_EQ(head["rows"][0][6], 3);
  EXPECT_EQ(head["rows"][1][2], "text/plain");

  r = Keel({"datasets", "get", "imgs", "a/one.png", "-o", "back.png"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(*ReadFile(dir_.path() + "/back.png"), png + "pixels");
  r = Keel({"datasets", "get", "imgs", "notes.txt"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "two\n");
  r = Keel({"datasets", "get", "imgs", "a/two.png"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.err, HasSubstr("Did you mean 'a/one.png'"));

  r = Keel({"ingest", "imgs", "--name", "imgs", "--objects"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("unchanged"));
}

}  // namespace
}  // namespace keel
