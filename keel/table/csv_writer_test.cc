#include "keel/table/csv_writer.h"

#include <cmath>
#include <limits>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "keel/base/files.h"
#include "keel/base/testing/temp_dir.h"
#include "keel/table/csv_reader.h"

namespace keel {
namespace {

Table Sample() {
  ColumnBuilder flag(DataType::kBool), n(DataType::kInt64), x(DataType::kFloat64),
      s(DataType::kString), at(DataType::kTimestamp);
  flag.AppendBool(true);
  flag.AppendNull();
  flag.AppendBool(false);
  n.AppendInt64(-5);
  n.AppendInt64(std::numeric_limits<int64_t>::max());
  n.AppendNull();
  x.AppendFloat64(0.1);
  x.AppendFloat64(3.0);
  x.AppendFloat64(-1e300);
  s.AppendString("plain");
  s.AppendString("with, comma and \"quotes\"\nand a line break");
  s.AppendString("");
  at.AppendTimestamp(1710081000000000);
  at.AppendTimestamp(1710081000123000);
  at.AppendNull();
  auto table = Table::Make({"flag", "n", "x", "s", "at"},
                           {flag.Finish(), n.Finish(), x.Finish(), s.Finish(), at.Finish()});
  EXPECT_TRUE(table.ok());
  return *table;
}

TEST(CsvWriterTest, FormatsAndQuotes) {
  auto text = WriteCsvToString(Sample());
  ASSERT_TRUE(text.ok());
  EXPECT_EQ(*text,
            "flag,n,x,s,at\n"
            "true,-5,0.1,plain,2024-03-10T14:30:00Z\n"
            ",9223372036854775807,3.0,\"with, comma and \"\"quotes\"\"\n"
            "and a line break\",2024-03-10T14:30:00.123Z\n"
            "false,,-1e+300,\"\",\n");
}

TEST(CsvWriterTest, RoundTripsThroughTheReader) {
  const Table table = Sample();
  auto text = WriteCsvToString(table);
  ASSERT_TRUE(text.ok());
  CsvReadOptions options;
  options.quoted_strings_can_be_null = false;  // keep "" as an empty string
  auto back = ReadCsvFromString(*text, options);
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_TRUE(back->Equals(table)) << back->ToString() << table.ToString();
}

TEST(CsvWriterTest, WritesFilesWithOtherDelimiters) {
  testing::TempDir dir;
  const std::string path = dir.path() + "/out.tsv";
  CsvWriteOptions options;
  options.delimiter = '\t';
  options.crlf = true;
  ASSERT_TRUE(WriteCsv(Sample().Slice(0, 1), path, options).ok());
  EXPECT_EQ(*ReadFile(path), "flag\tn\tx\ts\tat\r\ntrue\t-5\t0.1\tplain\t2024-03-10T14:30:00Z\r\n");
  options.delimiter = '"';
  EXPECT_FALSE(WriteCsvToString(Sample(), options).ok());
}

}  // namespace
}  // namespace keel
