// Bad input: every failure names file:line:column (where a position makes
// sense), says what is wrong and how to fix it, and returns no table.
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "keel/base/files.h"
#include "keel/base/testing/temp_dir.h"
#include "keel/table/csv_reader.h"
#include "keel/table/testing/compress.h"

namespace keel {
namespace {

using ::testing::AllOf;
using ::testing::HasSubstr;
using ::testing::StartsWith;

Status ReadError(std::string_view text, const CsvReadOptions& options = {}) {
  auto table = ReadCsvFromString(text, options, "data.csv");
  EXPECT_FALSE(table.ok()) << "read succeeded: " << table->ToString();
  return table.status();
}

CsvReadOptions Tiny() {
  CsvReadOptions options;
  options.block_size_bytes = 64;
  options.num_threads = 4;
  return options;
}

TEST(CsvReaderErrorsTest, RowWithTooManyFields) {
  Status s = ReadError("a,b\n1,2\n3,4,5\n");
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(s.message()),
              AllOf(StartsWith("data.csv:3:5: row has more than 2 fields"),
                    HasSubstr("quote fields that contain ','")));
}

TEST(CsvReaderErrorsTest, RowWithTooFewFields) {
  Status s = ReadError("a,b,c\n1,2,3\n4,5\n");
  EXPECT_THAT(
      std::string(s.message()),
      AllOf(StartsWith("data.csv:3:4: row has 2 fields, expected 3"), HasSubstr("every row")));
}

TEST(CsvReaderErrorsTest, RaggedRowFoundInALaterBatch) {
  std::string text = "a,b\n";
  for (int i = 0; i < 5000; ++i) text += std::to_string(i) + ",x\n";
  text += "oops\n";
  for (int i = 0; i < 100; ++i) text += "1,y\n";
  for (int threads : {1, 4}) {
    CsvReadOptions options = Tiny();
    options.num_threads = threads;
    EXPECT_THAT(std::string(ReadError(text, options).message()),
                StartsWith("data.csv:5002:5: row has 1 fields"));
  }
}

TEST(CsvReaderErrorsTest, UnterminatedQuote) {
  Status s = ReadError("a,b\n1,x\n2,\"never closed\n3,y\n");
  EXPECT_THAT(std::string(s.message()), AllOf(StartsWith("data.csv:3:3: unterminated quoted field"),
                                              HasSubstr("double any quote")));
  // Also when the open field spans many batches.
  std::string text = "a,b\n";
  for (int i = 0; i < 100; ++i) text += std::to_string(i) + ",x\n";
  text += "7,\"open";
  for (int i = 0; i < 1000; ++i) text += "\nmore text";
  EXPECT_THAT(std::string(ReadError(text, Tiny()).message()),
              StartsWith("data.csv:102:3: unterminated quoted"));
}

TEST(CsvReaderErrorsTest, TextAfterClosingQuote) {
  Status s = ReadError("a,b\n1,\"say \\\"hi\\\"\"\n");
  EXPECT_THAT(std::string(s.message()),
              AllOf(StartsWith("data.csv:2:10: unexpected 'h' after the closing quote"),
                    HasSubstr("doubled")));
}

TEST(CsvReaderErrorsTest, InvalidUtf8InAValue) {
  Status s = ReadError("id,name\n1,ok\n2,caf\xE9\n");
  EXPECT_THAT(std::string(s.message()),
              AllOf(StartsWith("data.csv:3:6: invalid UTF-8 (byte 0xe9) in column 'name'"),
                    HasSubstr("iconv")));
}

TEST(CsvReaderErrorsTest, InvalidUtf8InTheHeader) {
  EXPECT_THAT(std::string(ReadError("id,na\xFFme\n1,2\n").message()),
              StartsWith("data.csv:1:6: invalid UTF-8 in the header"));
}

TEST(CsvReaderErrorsTest, ColumnsCountCharactersNotBytes) {
  EXPECT_THAT(std::string(ReadError("a,b\nhéllo,wörld,x\n").message()),
              StartsWith("data.csv:2:13:"));
}

TEST(CsvReaderErrorsTest, LineNumbersCountQuotedLineBreaksAndCrlf) {
  EXPECT_THAT(std::string(ReadError("a,b\r\n1,\"x\r\ny\r\nz\"\r\n\r\n2\r\n").message()),
              StartsWith("data.csv:6:2: row has 1 fields"));
}

TEST(CsvReaderErrorsTest, ValueThatDoesNotFitTheOverrideType) {
  CsvReadOptions options;
  options.schema_override = {{"n", DataType::kInt64}};
  Status s = ReadError("id,n\n1,10\n2,1.5\n", options);
  EXPECT_THAT(std::string(s.message()),
              AllOf(StartsWith("data.csv:3:3: value '1.5' in column 'n' is not a valid int64"),
                    HasSubstr("schema_override"), HasSubstr("override the column as string")));
}

TEST(CsvReaderErrorsTest, OverrideOfAnUnknownColumn) {
  CsvReadOptions options;
  options.schema_override = {{"amuont", DataType::kFloat64}};
  Status s = ReadError("id,amount\n1,2\n", options);
  EXPECT_THAT(std::string(s.message()), AllOf(HasSubstr("schema_override names column 'amuont'"),
                                              HasSubstr("Did you mean 'amount'?")));
}

TEST(CsvReaderErrorsTest, EmptyInput) {
  EXPECT_THAT(std::string(ReadError("").message()), StartsWith("data.csv:1:1: empty input"));
  EXPECT_THAT(std::string(ReadError("\n\r\n\n").message()), HasSubstr("empty input"));
  CsvReadOptions options;
  options.has_header = false;
  EXPECT_THAT(std::string(ReadError("", options).message()), HasSubstr("at least a header line"));
}

TEST(CsvReaderErrorsTest, LineLongerThanMaxRowBytes) {
  CsvReadOptions options = Tiny();
  options.max_row_bytes = 10000;
  std::string text = "a,b\n1,2\n3,";
  text += std::string(50000, 'x');
  text += "\n";
  EXPECT_THAT(std::string(ReadError(text, options).message()),
              AllOf(StartsWith("data.csv:3:1: the row starting here is longer than max_row_bytes "
                               "(10000 bytes)"),
                    HasSubstr("raise CsvReadOptions::max_row_bytes")));
}

TEST(CsvReaderErrorsTest, UnclosedQuoteLongerThanMaxRowBytes) {
  CsvReadOptions options = Tiny();
  options.max_row_bytes = 10000;
  std::string text = "a,b\n1,2\n3,\"open";
  for (int i = 0; i < 5000; ++i) text += "\n4,5";
  EXPECT_THAT(std::string(ReadError(text, options).message()),
              StartsWith("data.csv:3:3: the quoted field opened here is not closed within "
                         "max_row_bytes"));
}

TEST(CsvReaderErrorsTest, TruncatedGzipFile) {
  testing::TempDir dir;
  std::string text = "a,b\n";
  for (int i = 0; i < 50000; ++i) text += std::to_string(i) + "," + std::to_string(i * 7) + "\n";
  const std::string gz = testing::GzipCompress(text);
  const std::string path = dir.path() + "/cut.csv.gz";
  ASSERT_TRUE(WriteFileAtomic(path, gz.substr(0, gz.size() * 2 / 3)).ok());
  auto table = ReadCsv(path);
  ASSERT_FALSE(table.ok());
  EXPECT_EQ(table.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_THAT(std::string(table.status().message()),
              AllOf(StartsWith(path + ": truncated gzip data"), HasSubstr("incomplete"),
                    HasSubstr("ends in line")));
}

TEST(CsvReaderErrorsTest, TruncatedZstd) {
  std::string text = "a,b\n";
  for (int i = 0; i < 20000; ++i) text += std::to_string(i) + "," + std::to_string(i * 7) + "\n";
  const std::string zst = testing::ZstdCompress(text);
  Status s = ReadError(zst.substr(0, zst.size() / 2));
  EXPECT_EQ(s.code(), absl::StatusCode::kDataLoss);
  EXPECT_THAT(std::string(s.message()),
              AllOf(StartsWith("data.csv: truncated zstd data"), HasSubstr("incomplete")));
}

TEST(CsvReaderErrorsTest, CorruptGzip) {
  std::string text = "a,b\n";
  for (int i = 0; i < 20000; ++i) text += std::to_string(i) + "," + std::to_string(i * 7) + "\n";
  std::string gz = testing::GzipCompress(text);
  for (size_t i = gz.size() / 2; i < gz.size() / 2 + 16; ++i)
    gz[i] = static_cast<char>(gz[i] ^ 0x5a);
  Status s = ReadError(gz);
  EXPECT_EQ(s.code(), absl::StatusCode::kDataLoss);
  EXPECT_THAT(std::string(s.message()),
              AllOf(StartsWith("data.csv: corrupt gzip data"), HasSubstr("damaged")));
}

TEST(CsvReaderErrorsTest, FixtureFilesNameThemselves) {
  const std::string dir = std::string(KEEL_SOURCE_DIR) + "/keel/table/testdata/";
  auto ragged = ReadCsv(dir + "bad_ragged.csv");
  ASSERT_FALSE(ragged.ok());
  EXPECT_THAT(std::string(ragged.status().message()),
              StartsWith(dir + "bad_ragged.csv:3:21: row has more than 3 fields"));
  auto open = ReadCsv(dir + "bad_unterminated.csv");
  ASSERT_FALSE(open.ok());
  EXPECT_THAT(std::string(open.status().message()),
              StartsWith(dir + "bad_unterminated.csv:3:3: unterminated quoted field"));
}

TEST(CsvReaderErrorsTest, MissingFile) {
  testing::TempDir dir;
  auto table = ReadCsv(dir.path() + "/missing.csv");
  ASSERT_FALSE(table.ok());
  EXPECT_EQ(table.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(std::string(table.status().message()), HasSubstr("missing.csv"));
}

TEST(CsvReaderErrorsTest, BadOptions) {
  CsvReadOptions options;
  options.delimiter = '"';
  EXPECT_THAT(std::string(ReadError("a\n", options).message()), HasSubstr("delimiter must differ"));
  CsvReadOptions huge;
  huge.max_row_bytes = int64_t{1} << 40;
  EXPECT_THAT(std::string(ReadError("a\n", huge).message()), HasSubstr("max_row_bytes"));
}

}  // namespace
}  // namespace keel
