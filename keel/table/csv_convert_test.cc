#include "keel/table/csv_convert.h"

#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "keel/table/csv_column_accumulator.h"
#include "keel/table/csv_tokenizer.h"

namespace keel::csv_internal {
namespace {

using ::testing::ElementsAre;

int64_t Int(const std::string& s, IntParse expected = IntParse::kOk) {
  int64_t v = -777;
  EXPECT_EQ(ParseInt64Cell(s.data(), s.size(), &v), expected) << s;
  return v;
}

TEST(CsvConvertTest, ParsesIntegers) {
  EXPECT_EQ(Int("42"), 42);
  EXPECT_EQ(Int(" -7 "), -7);
  EXPECT_EQ(Int("+3"), 3);
  EXPECT_EQ(Int("0000000000000000000000012"), 12);
  EXPECT_EQ(Int("9223372036854775807"), std::numeric_limits<int64_t>::max());
  EXPECT_EQ(Int("-9223372036854775808"), std::numeric_limits<int64_t>::min());
  Int("9223372036854775808", IntParse::kOverflow);
  Int("123456789012345678901", IntParse::kOverflow);
  Int("", IntParse::kNotInt);
  Int("-", IntParse::kNotInt);
  Int("1.0", IntParse::kNotInt);
  Int("1e3", IntParse::kNotInt);
  Int("12a", IntParse::kNotInt);
}

double Float(const std::string& s) {
  double v = -777;
  EXPECT_TRUE(ParseFloat64Cell(s.data(), s.size(), &v)) << s;
  return v;
}

bool IsFloat(const std::string& s) {
  double v;
  return ParseFloat64Cell(s.data(), s.size(), &v);
}

TEST(CsvConvertTest, ParsesFloats) {
  EXPECT_EQ(Float("1.5"), 1.5);
  EXPECT_EQ(Float(".5"), 0.5);
  EXPECT_EQ(Float("1."), 1.0);
  EXPECT_EQ(Float("+2.5e-3"), 0.0025);
  EXPECT_EQ(Float(" 7 "), 7.0);
  EXPECT_EQ(Float("0.1"), 0.1);  // correctly rounded
  EXPECT_EQ(Float("1e999"), HUGE_VAL);
  EXPECT_EQ(Float("-1e999"), -HUGE_VAL);
  EXPECT_EQ(Float("1e-999"), 0.0);
  EXPECT_EQ(Float("-inf"), -HUGE_VAL);
  EXPECT_FALSE(IsFloat(""));
  EXPECT_FALSE(IsFloat("+-1"));
  EXPECT_FALSE(IsFloat("0x10"));
  EXPECT_FALSE(IsFloat("1,5"));
  EXPECT_FALSE(IsFloat("e5"));
}

TEST(CsvConvertTest, ClassifiesCells) {
  const TimeZone utc;
  auto classify = [&](const std::string& s) { return ClassifyCell(s.data(), s.size(), utc); };
  EXPECT_EQ(classify("TRUE"), CellType::kBool);
  EXPECT_EQ(classify("1"), CellType::kInt64);
  EXPECT_EQ(classify("1.5"), CellType::kFloat64);
  EXPECT_EQ(classify("2024-03-10 14:30"), CellType::kTimestamp);
  EXPECT_EQ(classify("20240310"), CellType::kInt64);  // digits are a number first
  EXPECT_EQ(classify("99999999999999999999"), CellType::kString);
  EXPECT_EQ(classify("hello"), CellType::kString);
}

TEST(CsvConvertTest, JoinLattice) {
  EXPECT_EQ(Join(CellType::kNull, CellType::kBool), CellType::kBool);
  EXPECT_EQ(Join(CellType::kInt64, CellType::kFloat64), CellType::kFloat64);
  EXPECT_EQ(Join(CellType::kFloat64, CellType::kInt64), CellType::kFloat64);
  EXPECT_EQ(Join(CellType::kBool, CellType::kInt64), CellType::kString);
  EXPECT_EQ(Join(CellType::kTimestamp, CellType::kFloat64), CellType::kString);
  EXPECT_TRUE(CanWidenWithoutText(CellType::kNull, CellType::kTimestamp));
  EXPECT_TRUE(CanWidenWithoutText(CellType::kInt64, CellType::kFloat64));
  EXPECT_FALSE(CanWidenWithoutText(CellType::kInt64, CellType::kString));
  EXPECT_FALSE(CanWidenWithoutText(CellType::kFloat64, CellType::kInt64));
}

TEST(CsvConvertTest, NaMatcherIsExact) {
  NaMatcher na({"", "NA", "n/a"});
  EXPECT_TRUE(na.Matches("", 0));
  EXPECT_TRUE(na.Matches("NA", 2));
  EXPECT_FALSE(na.Matches("na", 2));
  EXPECT_FALSE(na.Matches(" NA", 3));
  EXPECT_TRUE(na.Matches("n/a", 3));
  NaMatcher none({});
  EXPECT_FALSE(none.Matches("", 0));
}

// Tokenizes `text` (one column) and converts it.
ColumnChunk Convert(const std::string& text, CellType start, bool fixed,
                    ConvertFailure* failure = nullptr) {
  Tokenized tokens;
  Tokenize(text.data(), text.size(), text.size(), true, Dialect(), 1, &tokens);
  NaMatcher na({"", "NA"});
  TimeZone utc;
  ConvertOptions options;
  options.na = &na;
  options.zone = &utc;
  ChunkText view{text.data(), tokens.fields.data(), tokens.rows, 1};
  ColumnChunk out;
  ConvertFailure ignored;
  ConvertColumn(view, 0, start, fixed, options, &out, failure ? failure : &ignored);
  return out;
}

TEST(CsvConvertTest, WidensWithinAChunk) {
  EXPECT_EQ(Convert("1\n2\n", CellType::kNull, false).type, CellType::kInt64);
  EXPECT_EQ(Convert("1\nNA\n2.5\n", CellType::kNull, false).type, CellType::kFloat64);
  EXPECT_EQ(Convert("1\ntrue\n", CellType::kNull, false).type, CellType::kString);
  EXPECT_EQ(Convert("NA\n\"\"\n", CellType::kNull, false).type, CellType::kNull);
  ConvertFailure failure;
  Convert("1\nx\n", CellType::kInt64, true, &failure);
  EXPECT_EQ(failure.kind, ConvertFailure::Kind::kBadValue);
  EXPECT_EQ(failure.row, 1);
  EXPECT_EQ(failure.offset, 2u);
}

TEST(CsvConvertTest, AccumulatorWidensWhatItHolds) {
  ColumnAccumulator column;
  ColumnChunk nulls = Convert("NA\nNA\n", CellType::kNull, false);
  column.Append(&nulls, nullptr);  // still kNull: two nulls
  column.WidenTo(CellType::kInt64);
  ColumnChunk ints = Convert("1\n2\n", CellType::kNull, false);
  column.Append(&ints, nullptr);
  column.WidenTo(CellType::kFloat64);
  ColumnChunk floats = Convert("0.5\nNA\n", CellType::kNull, false);
  column.Append(&floats, nullptr);
  ColumnChunk more_ints = Convert("7\n", CellType::kInt64, false);
  column.Append(&more_ints, nullptr);
  Column out = column.Finish();
  ASSERT_EQ(out.type(), DataType::kFloat64);
  ASSERT_EQ(out.length(), 7);
  EXPECT_EQ(out.null_count(), 3);
  EXPECT_TRUE(out.IsNull(0));
  EXPECT_TRUE(out.IsNull(1));
  EXPECT_THAT(out.Float64Values().subspan(2), ElementsAre(1.0, 2.0, 0.5, 0.0, 7.0));
  EXPECT_TRUE(out.IsNull(5));
}

TEST(CsvConvertTest, AccumulatorStringsAfterNulls) {
  ColumnAccumulator column;
  ColumnChunk nulls = Convert("NA\n", CellType::kNull, false);
  column.Append(&nulls, nullptr);
  column.WidenTo(CellType::kString);
  ColumnChunk words = Convert("a\n\"b\"\"c\"\nNA\n", CellType::kString, true);
  column.Append(&words, nullptr);
  Column out = column.Finish();
  ASSERT_EQ(out.length(), 4);
  EXPECT_TRUE(out.IsNull(0));
  EXPECT_EQ(out.StringAt(1), "a");
  EXPECT_EQ(out.StringAt(2), "b\"c");
  EXPECT_TRUE(out.IsNull(3));

  ColumnAccumulator empty;
  Column none = empty.Finish();
  EXPECT_EQ(none.type(), DataType::kString);
  EXPECT_EQ(none.length(), 0);
}

TEST(CsvConvertTest, BufferPoolReusesBuffers) {
  BufferPool pool(1 << 20);
  auto a = pool.Get(1000);
  const uint8_t* address = a->data();
  pool.Put(std::move(a));
  auto b = pool.Get(900);
  EXPECT_EQ(b->data(), address);
  auto c = pool.Get(900);
  EXPECT_NE(c->data(), address);
  EXPECT_GE(c->size(), 900);
}

}  // namespace
}  // namespace keel::csv_internal
