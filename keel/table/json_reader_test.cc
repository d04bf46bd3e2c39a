#include "keel/table/json_reader.h"

#include <algorithm>
#include <cmath>
#include <random>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "keel/base/files.h"
#include "keel/base/testing/subprocess.h"
#include "keel/base/testing/temp_dir.h"
#include "keel/table/testing/compress.h"
#include "nlohmann/json.hpp"

namespace keel {
namespace {

using ::testing::AllOf;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::StartsWith;

Table Read(std::string_view text, const JsonReadOptions& options = {}) {
  StatusOr<Table> table = ReadJsonLinesFromString(text, options);
  EXPECT_TRUE(table.ok()) << table.status();
  return table.ok() ? *std::move(table) : Table();
}

Status ReadError(std::string_view text, const JsonReadOptions& options = {}) {
  StatusOr<Table> table = ReadJsonLinesFromString(text, options);
  EXPECT_FALSE(table.ok());
  return table.status();
}

std::string Message(const Status& status) { return std::string(status.message()); }

std::vector<std::string> Values(const Table& table, const std::string& name) {
  std::vector<std::string> out;
  StatusOr<Column> column = table.ColumnByName(name);
  EXPECT_TRUE(column.ok()) << column.status();
  if (!column.ok()) return out;
  for (int64_t i = 0; i < column->length(); ++i) out.push_back(column->ValueToString(i));
  return out;
}

DataType TypeOf(const Table& table, const std::string& name) {
  return table.schema().field(table.schema().IndexOf(name)).type;
}

TEST(JsonReaderTest, FlattensNestedObjectsAndUnifiesKeys) {
  const Table t = Read(
      "{\"id\": 1, \"user\": {\"name\": \"ann\", \"geo\": {\"lat\": 1.5}}}\n"
      "{\"id\": 2, \"extra\": true}\n"
      "{\"user\": {\"geo\": {\"lat\": 2}, \"name\": null}, \"id\": 3}\n");
  EXPECT_THAT(t.schema().names(), ElementsAre("id", "user.name", "user.geo.lat", "extra"));
  EXPECT_EQ(t.num_rows(), 3);
  EXPECT_THAT(Values(t, "id"), ElementsAre("1", "2", "3"));
  EXPECT_THAT(Values(t, "user.name"), ElementsAre("ann", "null", "null"));
  EXPECT_EQ(TypeOf(t, "user.geo.lat"), DataType::kFloat64);
  EXPECT_THAT(Values(t, "user.geo.lat"), ElementsAre("1.5", "null", "2"));
  EXPECT_THAT(Values(t, "extra"), ElementsAre("null", "true", "null"));
}

TEST(JsonReaderTest, InfersTypes) {
  const Table t = Read(
      "{\"b\": true, \"i\": 5, \"f\": 0.25, \"s\": \"x\", \"ts\": \"2024-03-10T14:30:00Z\", "
      "\"mix\": true, \"digits\": \"20240310\", \"big\": 1, \"none\": null}\n"
      "{\"b\": false, \"i\": -7, \"f\": 3, \"s\": \"y\", \"ts\": \"2024-03-11 02:00:00+02:00\", "
      "\"mix\": 1, \"digits\": \"20240311\", \"big\": 18446744073709551615, \"none\": null}\n");
  EXPECT_EQ(TypeOf(t, "b"), DataType::kBool);
  EXPECT_EQ(TypeOf(t, "i"), DataType::kInt64);
  EXPECT_EQ(TypeOf(t, "f"), DataType::kFloat64);
  EXPECT_EQ(TypeOf(t, "s"), DataType::kString);
  EXPECT_EQ(TypeOf(t, "ts"), DataType::kTimestamp);
  EXPECT_THAT(Values(t, "ts"), ElementsAre("2024-03-10T14:30:00Z", "2024-03-11T00:00:00Z"));
  EXPECT_EQ(TypeOf(t, "mix"), DataType::kString);
  EXPECT_THAT(Values(t, "mix"), ElementsAre("true", "1"));
  EXPECT_EQ(TypeOf(t, "digits"), DataType::kString);
  EXPECT_EQ(TypeOf(t, "big"), DataType::kString);
  EXPECT_THAT(Values(t, "big"), ElementsAre("1", "18446744073709551615"));
  EXPECT_EQ(TypeOf(t, "none"), DataType::kString);
  EXPECT_THAT(Values(t, "none"), ElementsAre("null", "null"));
}

TEST(JsonReaderTest, TimestampAndTextMixIsString) {
  const Table t = Read("{\"a\": \"2024-03-10\"}\n{\"a\": \"soon\"}\n");
  EXPECT_EQ(TypeOf(t, "a"), DataType::kString);
  EXPECT_THAT(Values(t, "a"), ElementsAre("2024-03-10", "soon"));
}

TEST(JsonReaderTest, ArraysAndDeepObjectsAreJsonText) {
  const Table t = Read(
      "{\"tags\": [\"a\", \"b\"], \"n\": [1, {\"x\": null}], \"o\": {\"p\": {\"q\": 1}}}\n"
      "{\"tags\": []}\n");
  EXPECT_EQ(TypeOf(t, "tags"), DataType::kString);
  EXPECT_THAT(Values(t, "tags"), ElementsAre("[\"a\",\"b\"]", "[]"));
  EXPECT_THAT(Values(t, "n"), ElementsAre("[1,{\"x\":null}]", "null"));
  EXPECT_THAT(Values(t, "o.p.q"), ElementsAre("1", "null"));

  JsonReadOptions options;
  options.max_depth = 1;
  const Table shallow = Read("{\"o\": {\"p\": {\"q\": 1}, \"r\": 2}}\n", options);
  EXPECT_THAT(shallow.schema().names(), ElementsAre("o.p", "o.r"));
  EXPECT_THAT(Values(shallow, "o.p"), ElementsAre("{\"q\":1}"));
}

TEST(JsonReaderTest, ScalarAndObjectUnderOneKeyGiveBothColumns) {
  const Table t = Read("{\"a\": 1}\n{\"a\": {\"b\": 2}}\n{\"a\": {}}\n");
  EXPECT_THAT(t.schema().names(), ElementsAre("a", "a.b"));
  EXPECT_THAT(Values(t, "a"), ElementsAre("1", "null", "null"));
  EXPECT_THAT(Values(t, "a.b"), ElementsAre("null", "2", "null"));
}

TEST(JsonReaderTest, RepeatedKeyLastWins) {
  const Table t = Read("{\"a\": 1, \"a\": 2}\n{\"a\": 3, \"a\": null}\n");
  EXPECT_THAT(Values(t, "a"), ElementsAre("2", "null"));
}

TEST(JsonReaderTest, MongoExtendedJson) {
  const std::string text =
      "{\"_id\": {\"$oid\": \"5f1d7a3e9d1e8b2a3c4d5e6f\"}, \"at\": {\"$date\": "
      "\"2024-03-10T14:30:00.5Z\"}, \"n\": {\"$numberLong\": \"9007199254740993\"}, "
      "\"d\": {\"$numberDouble\": \"-Infinity\"}, \"m\": {\"$numberDecimal\": \"12.30\"}}\n"
      "{\"_id\": {\"$oid\": \"5f1d7a3e9d1e8b2a3c4d5e70\"}, \"at\": {\"$date\": {\"$numberLong\": "
      "\"1700000000123\"}}, \"n\": 4, \"d\": 1.5, \"m\": {\"$numberDecimal\": \"7\"}}\n";
  const Table t = Read(text);
  EXPECT_THAT(t.schema().names(), ElementsAre("_id", "at", "n", "d", "m"));
  EXPECT_EQ(TypeOf(t, "_id"), DataType::kString);
  EXPECT_THAT(Values(t, "_id"),
              ElementsAre("5f1d7a3e9d1e8b2a3c4d5e6f", "5f1d7a3e9d1e8b2a3c4d5e70"));
  EXPECT_EQ(TypeOf(t, "at"), DataType::kTimestamp);
  EXPECT_THAT(Values(t, "at"), ElementsAre("2024-03-10T14:30:00.500Z", "2023-11-14T22:13:20.123Z"));
  EXPECT_EQ(TypeOf(t, "n"), DataType::kInt64);
  EXPECT_THAT(Values(t, "n"), ElementsAre("9007199254740993", "4"));
  EXPECT_EQ(TypeOf(t, "d"), DataType::kFloat64);
  EXPECT_EQ(TypeOf(t, "m"), DataType::kFloat64);
  EXPECT_THAT(Values(t, "m"), ElementsAre("12.3", "7"));

  JsonReadOptions exact;
  exact.schema_override["m"] = DataType::kString;
  EXPECT_THAT(Values(Read(text, exact), "m"), ElementsAre("12.30", "7"));

  JsonReadOptions off;
  off.mongodb_extended_json = false;
  const Table raw = Read(text, off);
  EXPECT_EQ(raw.schema().field(0).name, "_id.$oid");
  EXPECT_GE(raw.schema().IndexOf("at.$date.$numberLong"), 0);
}

TEST(JsonReaderTest, BlankLinesCrlfAndByteOrderMark) {
  const Table t = Read("\xEF\xBB\xBF{\"a\": 1}\r\n\r\n   \n{\"a\": 2}");
  EXPECT_THAT(Values(t, "a"), ElementsAre("1", "2"));
}

TEST(JsonReaderTest, NaValuesAndSchemaOverride) {
  JsonReadOptions options;
  options.na_values = {"NA"};
  options.schema_override = {
      {"i", DataType::kFloat64}, {"s", DataType::kInt64}, {"o", DataType::kString}};
  const Table t = Read(
      "{\"i\": 1, \"s\": \"42\", \"o\": 7, \"x\": \"NA\"}\n"
      "{\"i\": 2, \"s\": \"NA\", \"o\": [1], \"x\": \"b\"}\n",
      options);
  EXPECT_EQ(TypeOf(t, "i"), DataType::kFloat64);
  EXPECT_THAT(Values(t, "s"), ElementsAre("42", "null"));
  EXPECT_EQ(TypeOf(t, "o"), DataType::kString);
  EXPECT_THAT(Values(t, "o"), ElementsAre("7", "[1]"));
  EXPECT_THAT(Values(t, "x"), ElementsAre("null", "b"));
}

TEST(JsonReaderTest, GzipZstdAndFile) {
  const std::string text = "{\"a\": 1, \"b\": {\"c\": \"x\"}}\n{\"a\": 2}\n";
  const Table plain = Read(text);
  EXPECT_TRUE(Read(testing::GzipCompress(text)).Equals(plain));
  EXPECT_TRUE(Read(testing::ZstdCompress(text)).Equals(plain));
  testing::TempDir dir;
  const std::string path = dir.path() + "/in.jsonl.gz";
  ASSERT_TRUE(WriteFileAtomic(path, testing::GzipCompress(text)).ok());
  StatusOr<Table> from_file = ReadJsonLines(path);
  ASSERT_TRUE(from_file.ok()) << from_file.status();
  EXPECT_TRUE(from_file->Equals(plain));
}

std::string GenerateJsonLines(int rows, uint32_t seed) {
  std::mt19937 rng(seed);
  auto pick = [&](int n) { return static_cast<int>(rng() % static_cast<uint32_t>(n)); };
  const char* words[] = {"alpha", "say \\\"hi\\\"", "Zoë", "日本語", "tab\\there", "", "NA", "123"};
  std::string text;
  for (int i = 0; i < rows; ++i) {
    if (pick(50) == 0) text += "\n";  // blank lines are skipped
    char oid[32];
    std::snprintf(oid, sizeof(oid), "%024x", 0x5f00 + i);
    text += "{\"_id\": {\"$oid\": \"" + std::string(oid) + "\"}";
    text += ", \"n\": " + std::to_string(pick(100000) - 500);
    if (pick(6) != 0) text += ", \"amount\": " + std::to_string(pick(100000) / 100.0);
    if (pick(5) != 0) text += ", \"name\": \"" + std::string(words[pick(8)]) + "\"";
    if (pick(3) == 0) text += ", \"flag\": " + std::string(pick(2) ? "true" : "false");
    if (pick(4) == 0) text += ", \"gone\": null";
    if (pick(3) != 0) {
      text += ", \"user\": {\"age\": " + std::to_string(18 + pick(60));
      if (pick(2)) text += ", \"addr\": {\"city\": \"" + std::string(words[pick(4)]) + "\"}";
      text += "}";
    }
    if (pick(3) == 0) text += ", \"tags\": [\"t" + std::to_string(pick(9)) + "\", 1, null]";
    char date[64];
    if (pick(2)) {
      std::snprintf(date, sizeof(date), "{\"$date\": \"20%02d-%02d-%02dT%02d:%02d:%02d.%03dZ\"}",
                    10 + pick(20), 1 + pick(12), 1 + pick(28), pick(24), pick(60), pick(60),
                    pick(1000));
    } else {
      std::snprintf(date, sizeof(date), "{\"$date\": {\"$numberLong\": \"%lld\"}}",
                    1000000000000ll + pick(1000000) * 1000003ll);
    }
    text += ", \"created\": " + std::string(date) + "}\n";
  }
  return text;
}

TEST(JsonReaderTest, ParallelReadEqualsSequential) {
  const std::string text = GenerateJsonLines(20000, 3);
  JsonReadOptions one;
  one.num_threads = 1;
  JsonReadOptions four;
  four.num_threads = 4;
  const Table a = Read(text, one);
  const Table b = Read(text, four);
  EXPECT_EQ(a.num_rows(), 20000);
  EXPECT_TRUE(a.Equals(b));
}

TEST(JsonReaderTest, ParallelReadReportsTheFirstError) {
  std::string text;
  for (int i = 1; i <= 20000; ++i) {
    text += i == 5000 || i == 15000 ? "{\"a\": }\n" : "{\"a\": " + std::to_string(i) + "}\n";
  }
  JsonReadOptions options;
  options.num_threads = 4;
  EXPECT_THAT(Message(ReadError(text, options)), StartsWith("<string>:5000:7: invalid JSON"));
}

TEST(JsonReaderTest, TimeZoneForLocalTimestamps) {
  JsonReadOptions options;
  StatusOr<TimeZone> zone = TimeZone::Load("+02:00");
  ASSERT_TRUE(zone.ok());
  options.timezone = *zone;
  const Table t =
      Read("{\"at\": \"2024-03-10 14:30:00\"}\n{\"at\": \"2024-03-10 16:30\"}\n", options);
  EXPECT_THAT(Values(t, "at"), ElementsAre("2024-03-10T12:30:00Z", "2024-03-10T14:30:00Z"));
  // A value with an offset ignores the zone (mixing both kinds in one key
  // is an error: timestamp_offsets_test.cc).
  const Table z = Read("{\"at\": \"2024-03-10T14:30:00Z\"}\n", options);
  EXPECT_THAT(Values(z, "at"), ElementsAre("2024-03-10T14:30:00Z"));
}

// pandas.json_normalize over json.loads lines (an independent flattening)
// must give the same column names, nulls and values.
TEST(JsonReaderTest, SameAsPandasJsonNormalize) {
  constexpr char kPython[] = "/usr/bin/python3";
  if (testing::RunCommand({kPython, "-c", "import pandas"}).exit_code != 0) {
    GTEST_SKIP() << "python3-pandas is not installed";
  }
  testing::TempDir dir;
  const std::string jsonl = dir.path() + "/in.jsonl";
  const std::string json = dir.path() + "/out.json";
  ASSERT_TRUE(WriteFileAtomic(jsonl, GenerateJsonLines(3000, 11)).ok());
  const std::string script =
      std::string(KEEL_SOURCE_DIR) + "/keel/table/testdata/json_normalize_dump.py";
  const auto result = testing::RunCommand({kPython, script, jsonl, json});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  StatusOr<Table> table = ReadJsonLines(jsonl);
  ASSERT_TRUE(table.ok()) << table.status();
  StatusOr<std::string> dump = ReadFile(json);
  ASSERT_TRUE(dump.ok()) << dump.status();
  const nlohmann::json reference = nlohmann::json::parse(*dump);

  std::vector<std::string> pandas_names;
  for (const auto& column : reference["columns"]) pandas_names.push_back(column["name"]);
  std::vector<std::string> keel_names = table->schema().names();
  std::sort(pandas_names.begin(), pandas_names.end());
  std::sort(keel_names.begin(), keel_names.end());
  ASSERT_EQ(keel_names, pandas_names);

  for (const auto& expected : reference["columns"]) {
    const std::string name = expected["name"];
    StatusOr<Column> column = table->ColumnByName(name);
    ASSERT_TRUE(column.ok());
    const auto& values = expected["values"];
    ASSERT_EQ(static_cast<int64_t>(values.size()), column->length()) << name;
    for (int64_t i = 0; i < column->length(); ++i) {
      const nlohmann::json& want = values[i];
      SCOPED_TRACE(name + " row " + std::to_string(i) + ": pandas " + want.dump());
      ASSERT_EQ(column->IsNull(i), want.is_null());
      if (want.is_null()) continue;
      switch (column->type()) {
        case DataType::kBool:
          EXPECT_EQ(column->BoolValues()[i] != 0, want.get<bool>());
          break;
        case DataType::kInt64:
          EXPECT_EQ(static_cast<double>(column->Int64Values()[i]), want.get<double>());
          break;
        case DataType::kFloat64:
          EXPECT_EQ(column->Float64Values()[i], want.get<double>());
          break;
        case DataType::kTimestamp: {
          StatusOr<TimestampMicros> t = ParseTimestamp(want.get<std::string>());
          ASSERT_TRUE(t.ok()) << t.status();
          EXPECT_EQ(column->TimestampValues()[i], *t);
          break;
        }
        case DataType::kString:
          if (want.is_array()) {
            EXPECT_EQ(nlohmann::json::parse(column->StringAt(i)), want);
          } else {
            EXPECT_EQ(column->StringAt(i), want.get<std::string>());
          }
          break;
      }
    }
  }
}

// Errors.

TEST(JsonReaderTest, InvalidJsonNamesLineAndColumn) {
  const Status status = ReadError("{\"a\": 1}\n{\"a\": tru}\n");
  EXPECT_THAT(Message(status), StartsWith("<string>:2:"));
  EXPECT_THAT(Message(status), HasSubstr("invalid JSON: "));
  EXPECT_THAT(Message(status), HasSubstr("atom"));  // simdjson's text for a bad true
  EXPECT_THAT(Message(status), HasSubstr("one complete JSON object"));
  const Status unclosed = ReadError("{\"a\": 1}\n\n{\"a\": [1, 2}\n");
  EXPECT_THAT(Message(unclosed), StartsWith("<string>:3:"));
}

TEST(JsonReaderTest, LineThatIsNotAnObject) {
  EXPECT_THAT(Message(ReadError("{\"a\": 1}\n  [1, 2]\n")),
              StartsWith("<string>:2:3: expected a JSON object, found an array"));
  EXPECT_THAT(Message(ReadError("42\n")), StartsWith("<string>:1:1: expected a JSON object, "
                                                     "found a number"));
}

TEST(JsonReaderTest, InvalidUtf8) {
  const Status status = ReadError("{\"a\": \"ok\"}\n{\"é\": \"\xff\"}\n");
  EXPECT_THAT(Message(status), StartsWith("<string>:2:8: invalid UTF-8"));
}

TEST(JsonReaderTest, EmptyInput) {
  EXPECT_THAT(Message(ReadError("")), StartsWith("<string>:1:1: empty input"));
  EXPECT_THAT(Message(ReadError("\n  \n\r\n")), HasSubstr("empty input"));
}

TEST(JsonReaderTest, TruncatedGzip) {
  std::string text;
  for (int i = 0; i < 2000; ++i) text += "{\"a\": " + std::to_string(i) + "}\n";
  const std::string gz = testing::GzipCompress(text);
  const Status status = ReadError(std::string_view(gz).substr(0, gz.size() / 2));
  EXPECT_EQ(status.code(), absl::StatusCode::kDataLoss) << status;
  EXPECT_THAT(Message(status), HasSubstr("<string>"));
}

TEST(JsonReaderTest, MissingFile) {
  StatusOr<Table> table = ReadJsonLines("/nonexistent/dir/x.jsonl");
  ASSERT_FALSE(table.ok());
  EXPECT_EQ(table.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(Message(table.status()), HasSubstr("/nonexistent/dir/x.jsonl"));
}

TEST(JsonReaderTest, ValueNotOfOverrideType) {
  JsonReadOptions options;
  options.schema_override["u.n"] = DataType::kInt64;
  const Status status = ReadError("{\"u\": {\"n\": 1}}\n{\"u\": {\"n\": 2.5}}\n", options);
  EXPECT_THAT(Message(status), StartsWith("<string>:2:"));
  EXPECT_THAT(Message(status), HasSubstr("value '2.5' of key 'u.n' is not a valid int64"));
  options.schema_override = {{"u.m", DataType::kInt64}};
  EXPECT_THAT(Message(ReadError("{\"u\": {\"n\": 1}}\n", options)),
              HasSubstr("schema_override names column 'u.m', which the file does not have"));
}

TEST(JsonReaderTest, BadExtendedJson) {
  EXPECT_THAT(Message(ReadError("{\"a\": 1}\n{\"at\": {\"$date\": \"yesterday\"}}\n")),
              AllOf(StartsWith("<string>:2:"), HasSubstr("key 'at': bad {\"$date\": ...}")));
  EXPECT_THAT(Message(ReadError("{\"n\": {\"$numberLong\": \"1.5\"}}\n")),
              HasSubstr("expected an integer"));
}

TEST(JsonReaderTest, NumberBeyondSimdjsonRange) {
  EXPECT_THAT(Message(ReadError("{\"a\": 123456789012345678901234567890}\n")),
              AllOf(StartsWith("<string>:1:"), HasSubstr("quote them as strings")));
}

TEST(JsonReaderTest, EmptyKey) {
  EXPECT_THAT(Message(ReadError("{\"a\": 1}\n{\"\": 1}\n")),
              StartsWith("<string>:2:1: a key is the empty string"));
}

TEST(JsonReaderTest, BadOptions) {
  JsonReadOptions options;
  options.max_depth = -1;
  EXPECT_EQ(ReadError("{}\n", options).code(), absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace keel
