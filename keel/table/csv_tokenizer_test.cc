#include "keel/table/csv_tokenizer.h"

#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace keel::csv_internal {
namespace {

using ::testing::ElementsAre;

std::vector<std::string> Fields(const std::string& text, const Tokenized& t) {
  std::vector<std::string> out;
  for (const FieldRef& f : t.fields) {
    std::string s = text.substr(f.begin, f.end() - f.begin);
    if (f.quoted()) s = "Q:" + s;
    out.push_back(s);
  }
  return out;
}

Tokenized TokenizeAll(const std::string& text, bool at_eof = true, int columns = -1) {
  Tokenized t;
  Tokenize(text.data(), text.size(), text.size(), at_eof, Dialect(), columns, &t);
  return t;
}

TEST(CsvTokenizerTest, SplitsRowsAndFields) {
  const std::string text = "a,b,c\n1,,3\r\n\n4,5,6";
  Tokenized t = TokenizeAll(text);
  EXPECT_EQ(t.error, TokenizeError::kNone);
  EXPECT_EQ(t.num_columns, 3);
  EXPECT_EQ(t.rows, 3);
  EXPECT_EQ(t.newlines, 3);
  EXPECT_EQ(t.consumed, text.size());
  EXPECT_THAT(Fields(text, t), ElementsAre("a", "b", "c", "1", "", "3", "4", "5", "6"));
}

TEST(CsvTokenizerTest, QuotedFieldWithDelimiterNewlineAndDoubledQuote) {
  const std::string text = "\"x,y\",\"line1\nline2\",\"say \"\"hi\"\"\"\n";
  Tokenized t = TokenizeAll(text);
  ASSERT_EQ(t.error, TokenizeError::kNone);
  EXPECT_EQ(t.rows, 1);
  EXPECT_EQ(t.newlines, 2);
  EXPECT_THAT(Fields(text, t), ElementsAre("Q:x,y", "Q:line1\nline2", "Q:say \"\"hi\"\""));
  EXPECT_FALSE(t.fields[0].escaped());
  EXPECT_TRUE(t.fields[2].escaped());
}

TEST(CsvTokenizerTest, QuoteInsideUnquotedFieldIsData) {
  const std::string text = "5'11\",tall\n";
  Tokenized t = TokenizeAll(text);
  ASSERT_EQ(t.error, TokenizeError::kNone);
  EXPECT_THAT(Fields(text, t), ElementsAre("5'11\"", "tall"));
}

TEST(CsvTokenizerTest, LeavesPartialRowWithoutEof) {
  const std::string text = "a,b\n1,2\n3,\"unfinished\n";
  Tokenized t = TokenizeAll(text, /*at_eof=*/false);
  EXPECT_EQ(t.rows, 2);
  EXPECT_EQ(t.consumed, 8u);
  EXPECT_TRUE(t.partial_row);
  EXPECT_TRUE(t.partial_in_quote);
  EXPECT_EQ(t.partial_quote_offset, 10u);
  EXPECT_EQ(t.fields.size(), 4u);

  // A last row without newline is partial unless at the end of input.
  Tokenized u = TokenizeAll("a,b\n1,2", /*at_eof=*/false);
  EXPECT_EQ(u.rows, 1);
  EXPECT_TRUE(u.partial_row);
  EXPECT_EQ(TokenizeAll("a,b\n1,2", /*at_eof=*/true).rows, 2);
  // "\r" at the end may be the start of "\r\n".
  EXPECT_TRUE(TokenizeAll("a,b\r", /*at_eof=*/false).partial_row);
}

TEST(CsvTokenizerTest, ReportsRaggedRows) {
  Tokenized more = TokenizeAll("a,b\n1,2,3\n");
  EXPECT_EQ(more.error, TokenizeError::kRaggedRow);
  EXPECT_EQ(more.error_offset, 8u);  // the third field of line 2
  EXPECT_EQ(more.rows, 1);

  Tokenized fewer = TokenizeAll("a,b\n1\n");
  EXPECT_EQ(fewer.error, TokenizeError::kRaggedRow);
  EXPECT_EQ(fewer.error_offset, 5u);  // the end of line 2
  EXPECT_EQ(fewer.error_fields, 1);
}

TEST(CsvTokenizerTest, ReportsQuoteErrors) {
  Tokenized open = TokenizeAll("a,b\n1,\"never closed\n");
  EXPECT_EQ(open.error, TokenizeError::kUnterminatedQuote);
  EXPECT_EQ(open.error_offset, 6u);
  Tokenized after = TokenizeAll("a,b\n\"x\"y,1\n");
  EXPECT_EQ(after.error, TokenizeError::kTextAfterQuote);
  EXPECT_EQ(after.error_offset, 7u);
}

TEST(CsvTokenizerTest, SoftEndStopsAfterTheRowThatCrossesIt) {
  const std::string text = "1,2\n3,4\n5,6\n";
  Tokenized t;
  Tokenize(text.data(), text.size(), 5, true, Dialect(), 2, &t);
  EXPECT_EQ(t.rows, 2);
  EXPECT_EQ(t.consumed, 8u);
}

TEST(CsvTokenizerTest, ChunkStartsSkipQuotedNewlines) {
  // Every row holds a quoted field with a line break; a naive split at the
  // first '\n' after each offset would land inside a quote.
  std::string text;
  for (int i = 0; i < 200; ++i) text += std::to_string(i) + ",\"first\nsecond\",x\n";
  table_internal::Parallel parallel(3);
  const std::vector<size_t> starts =
      FindChunkStarts(text.data(), text.size(), 100, Dialect(), parallel);
  ASSERT_GT(starts.size(), 10u);
  // Each start is a true row start: tokenizing up to it ends exactly there.
  for (size_t k = 1; k < starts.size(); ++k) {
    Tokenized t;
    Tokenize(text.data(), starts[k], starts[k], false, Dialect(), 3, &t);
    EXPECT_EQ(t.consumed, starts[k]) << k;
    EXPECT_FALSE(t.partial_row) << k;
  }
}

}  // namespace
}  // namespace keel::csv_internal
