#include "keel/table/csv_stream.h"

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "keel/base/files.h"
#include "keel/base/testing/temp_dir.h"

namespace keel {
namespace {

using ::testing::HasSubstr;

// Small blocks and several threads: many batches, so many chunks.
CsvStreamOptions Tiny(int64_t chunk_rows) {
  CsvStreamOptions options;
  options.read.block_size_bytes = 64;
  options.read.num_threads = 4;
  options.chunk_rows = chunk_rows;
  return options;
}

std::string Numbers(int rows) {
  std::string csv = "id,x,name\n";
  for (int i = 0; i < rows; ++i) {
    csv += absl::StrCat(i, ",", i * 0.5, ",\"n", i, (i % 7 == 0 ? "\nwith a break" : ""), "\"\n");
    if (i % 50 == 0) csv += "\n";  // blank lines are skipped
  }
  return csv;
}

std::vector<Table> StreamAll(std::string_view text, const CsvStreamOptions& options) {
  std::vector<Table> chunks;
  Status s = StreamCsvFromString(text, options, [&](const Table& chunk) -> StatusOr<StreamControl> {
    chunks.push_back(chunk);
    return StreamControl::kContinue;
  });
  EXPECT_TRUE(s.ok()) << s;
  return chunks;
}

TEST(CsvStreamTest, ChunksConcatenateToTheWholeReadWithFixedTypes) {
  const std::string text = Numbers(1000);
  CsvStreamOptions options = Tiny(64);
  options.read.schema_override = {{"id", DataType::kInt64}, {"x", DataType::kFloat64}};
  std::vector<Table> chunks = StreamAll(text, options);
  ASSERT_GT(chunks.size(), 10u);
  for (const Table& chunk : chunks) {
    EXPECT_LE(chunk.num_rows(), 64);
    EXPECT_GE(chunk.num_rows(), 1);
    // Types come from the override; other columns are text, in every chunk.
    EXPECT_EQ(chunk.schema().ToString(), "id: int64, x: float64, name: string");
  }
  CsvReadOptions whole = options.read;
  whole.schema_override["name"] = DataType::kString;
  StatusOr<Table> read = ReadCsvFromString(text, whole);
  ASSERT_TRUE(read.ok()) << read.status();
  EXPECT_EQ(read->num_rows(), 1000);
  int64_t offset = 0;
  for (const Table& chunk : chunks) {
    const Table expected = read->Slice(offset, chunk.num_rows());
    EXPECT_TRUE(chunk.Equals(expected)) << offset << "\n" << chunk.ToString(3) << "\n"
                                        << expected.ToString(3);
    offset += chunk.num_rows();
  }
  EXPECT_EQ(offset, 1000);
}

TEST(CsvStreamTest, ColumnsNotOverriddenStayTextEvenWhenNumeric) {
  std::vector<Table> chunks = StreamAll("a,b\n007,1\n8,2\n", Tiny(10));
  ASSERT_EQ(chunks.size(), 1u);
  EXPECT_EQ(chunks[0].schema().ToString(), "a: string, b: string");
  EXPECT_EQ(chunks[0].column(0).StringAt(0), "007");
}

TEST(CsvStreamTest, OverrideNamesTheFileLacksAreIgnored) {
  CsvStreamOptions options = Tiny(10);
  options.read.schema_override = {{"a", DataType::kInt64}, {"missing", DataType::kFloat64}};
  std::vector<Table> chunks = StreamAll("a,b\n1,x\n", options);
  ASSERT_EQ(chunks.size(), 1u);
  EXPECT_EQ(chunks[0].schema().ToString(), "a: int64, b: string");
}

TEST(CsvStreamTest, HeaderOnlyGivesOneEmptyChunkWithTheSchema) {
  CsvStreamOptions options = Tiny(10);
  options.read.schema_override = {{"a", DataType::kFloat64}};
  std::vector<Table> chunks = StreamAll("a,b\n", options);
  ASSERT_EQ(chunks.size(), 1u);
  EXPECT_EQ(chunks[0].num_rows(), 0);
  EXPECT_EQ(chunks[0].schema().ToString(), "a: float64, b: string");
}

TEST(CsvStreamTest, SinkCanStopEarly) {
  const std::string text = Numbers(1000);
  int64_t rows = 0;
  int calls = 0;
  Status s = StreamCsvFromString(text, Tiny(10), [&](const Table& chunk) -> StatusOr<StreamControl> {
    rows += chunk.num_rows();
    return ++calls == 3 ? StreamControl::kStop : StreamControl::kContinue;
  });
  ASSERT_TRUE(s.ok()) << s;
  EXPECT_EQ(calls, 3);
  EXPECT_EQ(rows, 30);
}

TEST(CsvStreamTest, SinkErrorStopsTheRead) {
  Status s = StreamCsvFromString(Numbers(100), Tiny(10),
                                 [&](const Table&) -> StatusOr<StreamControl> {
                                   return absl::DataLossError("disk full");
                                 });
  EXPECT_EQ(s.code(), absl::StatusCode::kDataLoss);
}

TEST(CsvStreamTest, BadValueLateInTheInputNamesItsLine) {
  std::string text = "x\n";
  for (int i = 0; i < 500; ++i) text += absl::StrCat(i, "\n");
  text += "oops\n";
  CsvStreamOptions options = Tiny(16);
  options.read.schema_override = {{"x", DataType::kInt64}};
  int64_t rows = 0;
  Status s = StreamCsvFromString(
      text, options,
      [&](const Table& chunk) -> StatusOr<StreamControl> {
        rows += chunk.num_rows();
        return StreamControl::kContinue;
      },
      "late.csv");
  ASSERT_FALSE(s.ok());
  EXPECT_THAT(s.message(), HasSubstr("late.csv:502:1: value 'oops' in column 'x'"));
  EXPECT_GT(rows, 0);  // earlier chunks were handed over
}

TEST(CsvStreamTest, CountRowsSeesQuotedBreaksAndBlankLines) {
  testing::TempDir dir;
  const std::string path = dir.path() + "/n.csv";
  ASSERT_TRUE(WriteFileAtomic(path, Numbers(777)).ok());
  StatusOr<int64_t> rows = CountCsvRows(path);
  ASSERT_TRUE(rows.ok()) << rows.status();
  EXPECT_EQ(*rows, 777);
}

TEST(CsvStreamTest, ChunkRowsMustBePositive) {
  Status s = StreamCsvFromString("a\n1\n", Tiny(0),
                                 [](const Table&) -> StatusOr<StreamControl> {
                                   return StreamControl::kContinue;
                                 });
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace keel
