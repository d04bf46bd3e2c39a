// Timestamp columns that mix values with a UTC offset and values without
// one (naive) are refused by the CSV and JSON Lines readers, with both
// examples and their lines; values with different offsets are accepted.
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "keel/table/csv_reader.h"
#include "keel/table/csv_stream.h"
#include "keel/table/json_reader.h"

namespace keel {
namespace {

using ::testing::AllOf;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::StartsWith;

constexpr char kFix[] =
    "write every time with an offset such as Z, or every time without one; naive times are "
    "read as UTC";

CsvReadOptions Tiny(int threads) {
  CsvReadOptions options;
  options.block_size_bytes = 64;
  options.num_threads = threads;
  return options;
}

std::string CsvError(std::string_view text, const CsvReadOptions& options = {}) {
  StatusOr<Table> table = ReadCsvFromString(text, options, "data.csv");
  EXPECT_FALSE(table.ok()) << "read succeeded: " << table->ToString();
  EXPECT_EQ(table.status().code(), absl::StatusCode::kInvalidArgument);
  return std::string(table.status().message());
}

std::vector<TimestampMicros> Times(const Table& table, const std::string& name) {
  StatusOr<Column> column = table.ColumnByName(name);
  EXPECT_TRUE(column.ok()) << column.status();
  if (!column.ok() || column->type() != DataType::kTimestamp) return {};
  const auto values = column->TimestampValues();
  return std::vector<TimestampMicros>(values.begin(), values.end());
}

TEST(TimestampOffsetsTest, CsvColumnMixingNaiveAndOffsetTimesIsAnError) {
  const std::string text =
      "id,ts\n"
      "1,2024-01-01T00:00:00Z\n"
      "2,2024-01-01T03:00:00+02:00\n"
      "3,2024-01-01 00:00:00\n"
      "4,2024-01-02\n";
  const std::string expected = std::string(
                                   "data.csv:4:3: column 'ts' mixes timestamps with a UTC offset "
                                   "('2024-01-01T00:00:00Z', line 2) and without one ('2024-01-01 "
                                   "00:00:00', line 4), so the ones without may be local times; ") +
                               kFix;
  EXPECT_EQ(CsvError(text), expected);  // inferred
  CsvReadOptions fixed;
  fixed.schema_override = {{"ts", DataType::kTimestamp}};
  EXPECT_EQ(CsvError(text, fixed), expected);
  for (int threads : {1, 4}) EXPECT_EQ(CsvError(text, Tiny(threads)), expected);
}

TEST(TimestampOffsetsTest, CsvMixFarApartNamesBothLines) {
  // The naive value first, the offset one thousands of lines (many batches
  // and chunks) later; quoted line breaks count as lines.
  std::string text = "ts,note\n2024-01-01 00:00:00,\"two\nlines\"\n";
  for (int i = 0; i < 5000; ++i) text += "2024-01-01 00:00:01,x\n";
  text += "  2024-01-01T00:00:02+01:00,y\n";
  for (int i = 0; i < 100; ++i) text += "2024-01-01 00:00:03,z\n";
  for (int threads : {1, 4}) {
    for (bool override_type : {false, true}) {
      CsvReadOptions options = Tiny(threads);
      if (override_type) options.schema_override = {{"ts", DataType::kTimestamp}};
      EXPECT_THAT(CsvError(text, options),
                  AllOf(StartsWith("data.csv:5004:1: column 'ts' mixes timestamps with a UTC "
                                   "offset ('  2024-01-01T00:00:02+01:00', line 5004) and without "
                                   "one ('2024-01-01 00:00:00', line 2)"),
                        HasSubstr(kFix)))
          << threads << " threads, override " << override_type;
    }
  }
}

TEST(TimestampOffsetsTest, CsvStreamRefusesAMixToo) {
  CsvStreamOptions options;
  options.read.schema_override = {{"ts", DataType::kTimestamp}};
  const Status status = StreamCsvFromString(
      "ts\n2024-01-01T00:00:00\n2024-01-01T00:00:00Z\n", options,
      [](const Table&) -> StatusOr<StreamControl> { return StreamControl::kContinue; }, "data.csv");
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(status.message()), StartsWith("data.csv:3:1: column 'ts' mixes"));
}

TEST(TimestampOffsetsTest, CsvMixWithTextIsAStringColumn) {
  // Inference widens timestamps and text to string, which keeps every value
  // as written: nothing is ambiguous then. Also when the text comes late.
  std::string text = "ts\n2024-01-01T00:00:00Z\n2024-01-01 00:00:00\n";
  for (int i = 0; i < 500; ++i) text += "2024-01-01 00:00:00\n";
  text += "soon\n";
  for (int threads : {1, 4}) {
    StatusOr<Table> table = ReadCsvFromString(text, Tiny(threads));
    ASSERT_TRUE(table.ok()) << table.status();
    EXPECT_EQ(table->schema().ToString(), "ts: string");
  }
}

TEST(TimestampOffsetsTest, CsvDifferentOffsetsAreInstants) {
  // Europe/Paris across both DST changes of 2024: +01:00 and +02:00 in one
  // column, each value an unambiguous instant. Nulls are neither kind.
  StatusOr<Table> table = ReadCsvFromString(
      "ts\n"
      "2024-03-31T01:30:00+01:00\n"
      "2024-03-31T03:30:00+02:00\n"
      "NA\n"
      "2024-10-27T02:30:00+02:00\n"
      "2024-10-27T02:30:00+01:00\n"
      "2024-10-27T01:30:00Z\n");
  ASSERT_TRUE(table.ok()) << table.status();
  EXPECT_THAT(Times(*table, "ts"),
              ElementsAre(1711845000000000, 1711848600000000, 0, 1729989000000000, 1729992600000000,
                          1729992600000000));
}

TEST(TimestampOffsetsTest, CsvNaiveTimesInAZoneNameTheZone) {
  CsvReadOptions options;
  options.timezone = *TimeZone::Load("Europe/Paris");
  StatusOr<Table> naive = ReadCsvFromString("ts\n2024-01-01 01:00:00\n2024-07-01\n", options);
  ASSERT_TRUE(naive.ok()) << naive.status();
  EXPECT_THAT(Times(*naive, "ts"), ElementsAre(1704067200000000, 1719784800000000));
  EXPECT_THAT(CsvError("ts\n2024-01-01 01:00:00\n2024-01-01T00:00:00Z\n", options),
              HasSubstr("or every time without one; naive times are read as local time in "
                        "Europe/Paris"));
}

TEST(TimestampOffsetsTest, CsvMixIsReportedBeforeASecondPass) {
  // `code` would need a second pass (007 must stay text once X-1 appears);
  // the first pass has seen every value of `ts` already.
  std::string text = "code,ts\n";
  for (int i = 0; i < 200; ++i) text += "007,2024-01-01T00:00:00Z\n";
  text += "X-1,2024-01-01 00:00:00\n";
  CsvReadStats stats;
  StatusOr<Table> table = ReadCsvFromString(text, Tiny(4), "data.csv", &stats);
  ASSERT_FALSE(table.ok());
  EXPECT_THAT(std::string(table.status().message()),
              StartsWith("data.csv:202:5: column 'ts' mixes timestamps with a UTC offset "
                         "('2024-01-01T00:00:00Z', line 2) and without one ('2024-01-01 "
                         "00:00:00', line 202)"));
  EXPECT_EQ(stats.passes, 1);
  // Without the mix the second pass runs and keeps the timestamps.
  text.replace(text.rfind("2024-01-01 00:00:00"), 19, "2024-01-01T00:00:00Z");
  table = ReadCsvFromString(text, Tiny(4), "data.csv", &stats);
  ASSERT_TRUE(table.ok()) << table.status();
  EXPECT_EQ(stats.passes, 2);
  EXPECT_EQ(table->schema().ToString(), "code: string, ts: timestamp");
}

TEST(TimestampOffsetsTest, JsonKeyMixingNaiveAndOffsetTimesIsAnError) {
  const std::string text =
      "{\"id\": 1, \"ts\": \"2024-01-01T00:00:00Z\"}\n"
      "\n"
      "{\"id\": 2, \"ts\": {\"$date\": 1704067200000}}\n"
      "{\"id\": 3, \"ts\": \"2024-01-01 00:00:00\"}\n";
  const std::string expected = std::string(
                                   "data.jsonl:4:1: key 'ts' mixes timestamps with a UTC offset "
                                   "('2024-01-01T00:00:00Z', line 1) and without one ('2024-01-01 "
                                   "00:00:00', line 4), so the ones without may be local times; ") +
                               kFix;
  JsonReadOptions options;
  StatusOr<Table> table = ReadJsonLinesFromString(text, options, "data.jsonl");
  ASSERT_FALSE(table.ok());
  EXPECT_EQ(table.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(std::string(table.status().message()), expected);
  // Overridden as timestamp: the naive value is a string that parses.
  options.schema_override = {{"ts", DataType::kTimestamp}};
  table = ReadJsonLinesFromString(text, options, "data.jsonl");
  ASSERT_FALSE(table.ok());
  EXPECT_EQ(std::string(table.status().message()), expected);
}

TEST(TimestampOffsetsTest, JsonDifferentOffsetsAreInstants) {
  StatusOr<Table> table = ReadJsonLinesFromString(
      "{\"ts\": \"2024-03-31T01:30:00+01:00\"}\n"
      "{\"ts\": \"2024-03-31T03:30:00+02:00\"}\n"
      "{\"ts\": {\"$date\": \"2024-10-27T02:30:00+02:00\"}}\n"
      "{\"ts\": \"2024-10-27T02:30:00+01:00\"}\n");
  ASSERT_TRUE(table.ok()) << table.status();
  EXPECT_THAT(Times(*table, "ts"),
              ElementsAre(1711845000000000, 1711848600000000, 1729989000000000, 1729992600000000));
}

TEST(TimestampOffsetsTest, JsonOverrideMayNameMissingColumnsWhenAsked) {
  JsonReadOptions options;
  options.schema_override = {{"ts", DataType::kTimestamp}, {"absent", DataType::kInt64}};
  StatusOr<Table> table = ReadJsonLinesFromString("{\"ts\": \"2024-01-01\"}\n", options);
  EXPECT_FALSE(table.ok());
  options.schema_override_may_name_missing_columns = true;
  table = ReadJsonLinesFromString("{\"ts\": \"2024-01-01\"}\n", options);
  ASSERT_TRUE(table.ok()) << table.status();
  EXPECT_EQ(table->schema().ToString(), "ts: timestamp");
}

}  // namespace
}  // namespace keel
