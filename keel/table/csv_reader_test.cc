#include "keel/table/csv_reader.h"

#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "keel/base/files.h"
#include "keel/base/testing/temp_dir.h"
#include "keel/table/testing/compress.h"

namespace keel {
namespace {

using ::testing::ElementsAre;

Table Read(std::string_view text, const CsvReadOptions& options = {},
           CsvReadStats* stats = nullptr) {
  auto table = ReadCsvFromString(text, options, "test.csv", stats);
  EXPECT_TRUE(table.ok()) << table.status();
  return table.ok() ? *std::move(table) : Table();
}

Column Col(const Table& table, const std::string& name) {
  auto column = table.ColumnByName(name);
  EXPECT_TRUE(column.ok()) << column.status();
  return column.ok() ? *column : Column();
}

// Small blocks and several threads: many chunks, batches and carries.
CsvReadOptions Tiny(int64_t block = 64) {
  CsvReadOptions options;
  options.block_size_bytes = block;
  options.num_threads = 4;
  return options;
}

TEST(CsvReaderTest, InfersEachType) {
  Table t = Read(
      "flag,count,price,name,at\n"
      "true,1,1.5,apple,2024-03-10T14:30:00\n"
      "FALSE,-2,2,\"pear, green\",2024-03-10 15:00\n"
      "True,3,-0.25e1,plum,2024/03/11\n");
  ASSERT_EQ(t.num_rows(), 3);
  EXPECT_EQ(t.schema().ToString(),
            "flag: bool, count: int64, price: float64, name: string, at: timestamp");
  EXPECT_THAT(Col(t, "flag").BoolValues(), ElementsAre(1, 0, 1));
  EXPECT_THAT(Col(t, "count").Int64Values(), ElementsAre(1, -2, 3));
  EXPECT_THAT(Col(t, "price").Float64Values(), ElementsAre(1.5, 2.0, -2.5));
  EXPECT_EQ(Col(t, "name").StringAt(1), "pear, green");
  EXPECT_THAT(Col(t, "at").TimestampValues(),
              ElementsAre(1710081000000000, 1710082800000000, 1710115200000000));
}

TEST(CsvReaderTest, ZeroAndOneAreIntegersNotBools) {
  Table t = Read("x\n0\n1\n1\n");
  EXPECT_EQ(Col(t, "x").type(), DataType::kInt64);
}

TEST(CsvReaderTest, IntColumnWithNullsStaysInt64) {
  Table t = Read("a,b\n1,x\n,y\nNA,z\n4,\n");
  Column a = Col(t, "a");
  EXPECT_EQ(a.type(), DataType::kInt64);
  EXPECT_EQ(a.null_count(), 2);
  EXPECT_TRUE(a.IsNull(1));
  EXPECT_EQ(a.Int64Values()[3], 4);
  EXPECT_TRUE(Col(t, "b").IsNull(3));
}

TEST(CsvReaderTest, ColumnWithoutValuesIsStringOfNulls) {
  Table t = Read("a,b\n1,\n2,NA\n");
  Column b = Col(t, "b");
  EXPECT_EQ(b.type(), DataType::kString);
  EXPECT_EQ(b.null_count(), 2);
}

TEST(CsvReaderTest, MixedBoolAndIntBecomesString) {
  Table t = Read("x\ntrue\n5\n");
  Column x = Col(t, "x");
  EXPECT_EQ(x.type(), DataType::kString);
  EXPECT_EQ(x.StringAt(0), "true");
  EXPECT_EQ(x.StringAt(1), "5");
}

TEST(CsvReaderTest, IntegerTooBigForInt64IsString) {
  Table t = Read("id\n1\n123456789012345678901234\n");
  Column id = Col(t, "id");
  EXPECT_EQ(id.type(), DataType::kString);
  EXPECT_EQ(id.StringAt(1), "123456789012345678901234");
}

TEST(CsvReaderTest, NumbersMayHaveSurroundingSpacesAndSigns) {
  Table t = Read("a,b\n 12 ,+1.5\n-3,\t2e3\n");
  EXPECT_THAT(Col(t, "a").Int64Values(), ElementsAre(12, -3));
  EXPECT_THAT(Col(t, "b").Float64Values(), ElementsAre(1.5, 2000.0));
}

TEST(CsvReaderTest, QuotedFieldWithNewline) {
  Table t = Read("id,text\n1,\"line one\nline two\"\n2,\"a \"\"quoted\"\" word, and a comma\"\n");
  Column text = Col(t, "text");
  EXPECT_EQ(text.StringAt(0), "line one\nline two");
  EXPECT_EQ(text.StringAt(1), "a \"quoted\" word, and a comma");
  EXPECT_THAT(Col(t, "id").Int64Values(), ElementsAre(1, 2));
}

TEST(CsvReaderTest, CrlfBomBlankLinesAndMissingFinalNewline) {
  Table t = Read("\xEF\xBB\xBFid,name\r\n1,a\r\n\r\n2,b");
  EXPECT_EQ(t.schema().field(0).name, "id");
  EXPECT_THAT(Col(t, "id").Int64Values(), ElementsAre(1, 2));
  EXPECT_EQ(Col(t, "name").StringAt(0), "a");
  EXPECT_EQ(Col(t, "name").StringAt(1), "b");
}

TEST(CsvReaderTest, HeaderOnlyIsZeroRowsOfStrings) {
  Table t = Read("a,b,c\n");
  EXPECT_EQ(t.num_rows(), 0);
  EXPECT_EQ(t.schema().ToString(), "a: string, b: string, c: string");
  CsvReadOptions options;
  options.schema_override = {{"b", DataType::kInt64}};
  EXPECT_EQ(Read("a,b,c", options).schema().ToString(), "a: string, b: int64, c: string");
}

TEST(CsvReaderTest, NoHeaderNamesColumns) {
  CsvReadOptions options;
  options.has_header = false;
  Table t = Read("1,x\n2,y\n", options);
  EXPECT_EQ(t.num_rows(), 2);
  EXPECT_EQ(t.schema().ToString(), "column_1: int64, column_2: string");
}

TEST(CsvReaderTest, EmptyAndRepeatedHeaderNames) {
  Table t = Read("a,a,,a\n1,2,3,4\n");
  EXPECT_THAT(t.schema().names(), ElementsAre("a", "a.1", "column_3", "a.2"));
}

TEST(CsvReaderTest, OtherDelimitersAndNoQuoting) {
  CsvReadOptions tab;
  tab.delimiter = '\t';
  Table t = Read("a\tb\n1\tx,y\n", tab);
  EXPECT_EQ(Col(t, "b").StringAt(0), "x,y");
  CsvReadOptions unquoted;
  unquoted.quote = '\0';
  Table u = Read("a,b\n\"1,\"2\n", unquoted);
  EXPECT_EQ(Col(u, "a").StringAt(0), "\"1");
  EXPECT_EQ(Col(u, "b").StringAt(0), "\"2");
}

TEST(CsvReaderTest, NaValuesAndQuotedNulls) {
  Table t = Read("s\nNA\n\"\"\nnull\n-\nx\n");
  EXPECT_EQ(Col(t, "s").null_count(), 3);
  CsvReadOptions options;
  options.na_values = {"-"};
  options.quoted_strings_can_be_null = false;
  Table u = Read("s\nNA\n\"\"\n\"-\"\n-\n", options);
  Column s = Col(u, "s");
  EXPECT_FALSE(s.IsNull(0));
  EXPECT_EQ(s.StringAt(0), "NA");
  EXPECT_FALSE(s.IsNull(1));
  EXPECT_EQ(s.StringAt(1), "");
  EXPECT_FALSE(s.IsNull(2));
  EXPECT_TRUE(s.IsNull(3));
}

TEST(CsvReaderTest, SchemaOverrideKeepsLeadingZeros) {
  CsvReadOptions options;
  options.schema_override = {{"zip", DataType::kString}, {"n", DataType::kFloat64}};
  Table t = Read("zip,n\n00501,1\n02134,2\n", options);
  EXPECT_EQ(Col(t, "zip").StringAt(0), "00501");
  EXPECT_EQ(Col(t, "n").type(), DataType::kFloat64);
}

TEST(CsvReaderTest, TimestampsWithOffsetsAndZones) {
  Table t = Read("at\n2024-03-10T14:30:00+02:00\n2024-03-10T12:30:00.5Z\n20240310T123000Z\n");
  EXPECT_THAT(Col(t, "at").TimestampValues(),
              ElementsAre(1710073800000000, 1710073800500000, 1710073800000000));
  CsvReadOptions paris;
  paris.timezone = *TimeZone::Load("Europe/Paris");
  Table u = Read("at\n2024-01-15 10:00:00\n", paris);
  EXPECT_EQ(Col(u, "at").TimestampValues()[0], 1705309200000000);  // 09:00 UTC
}

TEST(CsvReaderTest, IntWidensToFloatAcrossChunksWithoutRereading) {
  std::string text = "x,y\n";
  for (int i = 0; i < 500; ++i) text += std::to_string(i) + ",a\n";
  text += "0.5,b\n";
  CsvReadStats stats;
  Table t = Read(text, Tiny(), &stats);
  EXPECT_EQ(stats.passes, 1);
  EXPECT_GT(stats.batches, 2);
  Column x = Col(t, "x");
  ASSERT_EQ(x.type(), DataType::kFloat64);
  EXPECT_EQ(x.Float64Values()[499], 499.0);
  EXPECT_EQ(x.Float64Values()[500], 0.5);
}

TEST(CsvReaderTest, TypeChangePastFirstBlockRereadsWithOriginalText) {
  std::string text = "code,n\n";
  for (int i = 0; i < 500; ++i) text += "00" + std::to_string(i) + "," + std::to_string(i) + "\n";
  text += "X-1,500\n";
  CsvReadStats stats;
  Table t = Read(text, Tiny(), &stats);
  EXPECT_EQ(stats.passes, 2);
  Column code = Col(t, "code");
  ASSERT_EQ(code.type(), DataType::kString);
  EXPECT_EQ(code.StringAt(0), "000");
  EXPECT_EQ(code.StringAt(7), "007");
  EXPECT_EQ(code.StringAt(500), "X-1");
  EXPECT_EQ(Col(t, "n").type(), DataType::kInt64);
  EXPECT_EQ(Col(t, "n").Int64Values()[500], 500);
}

// A varied file read with one thread and with many tiny chunks gives the
// same table, including rows whose quoted line breaks straddle chunks.
std::string VariedCsv(int rows, bool stray_quotes) {
  std::string text = "id,amount,note,flag,at\n";
  for (int i = 0; i < rows; ++i) {
    text += std::to_string(i) + ",";
    text += (i % 7 == 0) ? "" : std::to_string(i * 3) + "." + std::to_string(i % 100);
    text += ",";
    switch (i % 5) {
      case 0:
        text += "\"multi\nline " + std::to_string(i) + "\"";
        break;
      case 1:
        text += "\"has \"\"quotes\"\", commas\"";
        break;
      case 2:
        text += stray_quotes ? "5'11\" tall" : "plain";
        break;
      case 3:
        text += "NA";
        break;
      default:
        text += "\"\n\n\"";
    }
    text += (i % 2 == 0) ? ",true," : ",false,";
    text += "2024-01-01T00:00:" + std::to_string(10 + i % 50) + "Z\n";
  }
  return text;
}

TEST(CsvReaderTest, ParallelChunksMatchSequential) {
  const std::string text = VariedCsv(3000, /*stray_quotes=*/false);
  CsvReadOptions one;
  one.num_threads = 1;
  CsvReadStats one_stats, many_stats;
  Table expected = Read(text, one, &one_stats);
  ASSERT_EQ(expected.num_rows(), 3000);
  Table t = Read(text, Tiny(97), &many_stats);
  EXPECT_GT(many_stats.chunks, 100);
  EXPECT_EQ(many_stats.sequential_fallbacks, 0);
  EXPECT_TRUE(t.Equals(expected)) << t.ToString(3) << expected.ToString(3);
  EXPECT_EQ(expected.schema().ToString(),
            "id: int64, amount: float64, note: string, flag: bool, at: timestamp");
  EXPECT_EQ(Col(t, "note").StringAt(1500), "multi\nline 1500");
  EXPECT_EQ(Col(t, "note").StringAt(4), "\n\n");
}

TEST(CsvReaderTest, StrayQuotesFallBackToSequentialAndStayCorrect) {
  const std::string text = VariedCsv(3000, /*stray_quotes=*/true);
  CsvReadOptions one;
  one.num_threads = 1;
  Table expected = Read(text, one);
  ASSERT_EQ(expected.num_rows(), 3000);
  EXPECT_EQ(Col(expected, "note").StringAt(2), "5'11\" tall");
  CsvReadStats stats;
  Table t = Read(text, Tiny(97), &stats);
  EXPECT_GT(stats.sequential_fallbacks, 0);
  EXPECT_TRUE(t.Equals(expected));
}

TEST(CsvReaderTest, VeryLongFieldWithinLimit) {
  const std::string big(3 << 20, 'x');
  CsvReadOptions options = Tiny(4096);
  Table t = Read("a,b\n1,\"" + big + "\"\n2,short\n", options);
  ASSERT_EQ(t.num_rows(), 2);
  EXPECT_EQ(Col(t, "b").StringAt(0).size(), big.size());
  EXPECT_EQ(Col(t, "b").StringAt(1), "short");
}

TEST(CsvReaderTest, ReadsFilesPlainGzipAndZstd) {
  testing::TempDir dir;
  const std::string text = VariedCsv(2000, false);
  Table expected = Read(text);
  const std::pair<const char*, std::string> files[] = {
      {"/plain.csv", text},
      {"/data.csv.gz", testing::GzipCompress(text)},
      {"/data.csv.zst", testing::ZstdCompress(text)},
      {"/no_extension",
       testing::GzipCompress(text.substr(0, 1000)) + testing::GzipCompress(text.substr(1000))}};
  for (const auto& [name, bytes] : files) {
    const std::string path = dir.path() + name;
    ASSERT_TRUE(WriteFileAtomic(path, bytes).ok());
    auto t = ReadCsv(path, Tiny(1000));
    ASSERT_TRUE(t.ok()) << name << ": " << t.status();
    EXPECT_TRUE(t->Equals(expected)) << name;
  }
}

TEST(CsvReaderTest, GoldenFixture) {
  auto t = ReadCsv(std::string(KEEL_SOURCE_DIR) + "/keel/table/testdata/small.csv");
  ASSERT_TRUE(t.ok()) << t.status();
  auto expected = ReadFile(std::string(KEEL_SOURCE_DIR) + "/keel/table/testdata/small.expected");
  ASSERT_TRUE(expected.ok());
  EXPECT_EQ(t->ToString(100), *expected);
}

}  // namespace
}  // namespace keel
