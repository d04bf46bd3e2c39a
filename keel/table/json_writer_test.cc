#include "keel/table/json_writer.h"

#include <cmath>
#include <limits>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "keel/base/files.h"
#include "keel/base/testing/temp_dir.h"
#include "keel/table/json_reader.h"

namespace keel {
namespace {

using ::testing::HasSubstr;

Table MakeTable() {
  ColumnBuilder id(DataType::kInt64), score(DataType::kFloat64), name(DataType::kString),
      at(DataType::kTimestamp), ok(DataType::kBool), city(DataType::kString);
  id.AppendInt64(1);
  id.AppendInt64(-2);
  score.AppendFloat64(2.0);
  score.AppendFloat64(std::numeric_limits<double>::quiet_NaN());
  name.AppendString("say \"hi\"\n\x01 Zoë");
  name.AppendNull();
  at.AppendTimestamp(1710081000000000 + 500000);
  at.AppendNull();
  ok.AppendBool(true);
  ok.AppendNull();
  city.AppendString("Oslo");
  city.AppendNull();
  StatusOr<Table> table = Table::Make(
      {"id", "score", "user.name", "at", "ok", "user.city"},
      {id.Finish(), score.Finish(), name.Finish(), at.Finish(), ok.Finish(), city.Finish()});
  EXPECT_TRUE(table.ok()) << table.status();
  return *table;
}

TEST(JsonWriterTest, FlatKeysWithNulls) {
  StatusOr<std::string> text = WriteJsonLinesToString(MakeTable());
  ASSERT_TRUE(text.ok()) << text.status();
  EXPECT_EQ(*text,
            "{\"id\":1,\"score\":2.0,\"user.name\":\"say \\\"hi\\\"\\n\\u0001 Zoë\","
            "\"at\":\"2024-03-10T14:30:00.500Z\",\"ok\":true,\"user.city\":\"Oslo\"}\n"
            "{\"id\":-2,\"score\":null,\"user.name\":null,\"at\":null,\"ok\":null,"
            "\"user.city\":null}\n");
}

TEST(JsonWriterTest, NestedAndNullsOmitted) {
  JsonWriteOptions options;
  options.nest_dotted_names = true;
  options.write_nulls = false;
  StatusOr<std::string> text = WriteJsonLinesToString(MakeTable(), options);
  ASSERT_TRUE(text.ok()) << text.status();
  EXPECT_EQ(*text,
            "{\"id\":1,\"score\":2.0,\"user\":{\"name\":\"say \\\"hi\\\"\\n\\u0001 Zoë\","
            "\"city\":\"Oslo\"},\"at\":\"2024-03-10T14:30:00.500Z\",\"ok\":true}\n"
            "{\"id\":-2}\n");
}

TEST(JsonWriterTest, RoundTripsThroughReader) {
  const Table table = MakeTable();
  for (bool nest : {false, true}) {
    JsonWriteOptions options;
    options.nest_dotted_names = nest;
    StatusOr<std::string> text = WriteJsonLinesToString(table, options);
    ASSERT_TRUE(text.ok()) << text.status();
    StatusOr<Table> read = ReadJsonLinesFromString(*text);
    ASSERT_TRUE(read.ok()) << read.status();
    // Nesting groups "user.*" together: compare in the original order.
    StatusOr<Table> back = read->SelectColumns(table.schema().names());
    ASSERT_TRUE(back.ok()) << back.status();
    // NaN has no JSON form: it comes back as null.
    EXPECT_EQ(back->schema(), table.schema());
    for (int c = 0; c < table.num_columns(); ++c) {
      if (table.schema().field(c).name == "score") continue;
      EXPECT_TRUE(back->column(c).Equals(table.column(c))) << table.schema().field(c).name;
    }
    EXPECT_TRUE(back->column(1).IsNull(1));
  }
}

TEST(JsonWriterTest, NestingClashIsAnError) {
  ColumnBuilder a(DataType::kInt64), ab(DataType::kInt64);
  a.AppendInt64(1);
  ab.AppendInt64(2);
  StatusOr<Table> table = Table::Make({"a", "a.b"}, {a.Finish(), ab.Finish()});
  ASSERT_TRUE(table.ok());
  JsonWriteOptions options;
  options.nest_dotted_names = true;
  StatusOr<std::string> text = WriteJsonLinesToString(*table, options);
  ASSERT_FALSE(text.ok());
  EXPECT_THAT(std::string(text.status().message()), HasSubstr("'a' is both a value and an object"));
  EXPECT_TRUE(WriteJsonLinesToString(*table).ok());  // flat keys are fine
}

TEST(JsonWriterTest, WritesFileAtomically) {
  testing::TempDir dir;
  const std::string path = dir.path() + "/out.jsonl";
  ASSERT_TRUE(WriteJsonLines(MakeTable(), path).ok());
  StatusOr<Table> back = ReadJsonLines(path);
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(back->num_rows(), 2);
}

}  // namespace
}  // namespace keel
