#include "keel/table/table.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace keel {
namespace {

using ::testing::HasSubstr;

Column Ints(std::initializer_list<int64_t> values) {
  ColumnBuilder builder(DataType::kInt64);
  for (int64_t v : values) builder.AppendInt64(v);
  return builder.Finish();
}

Column Strings(std::initializer_list<const char*> values) {
  ColumnBuilder builder(DataType::kString);
  for (const char* v : values) builder.AppendString(v);
  return builder.Finish();
}

TEST(TableTest, MakeChecksLengthsAndTypes) {
  auto table = Table::Make({"id", "name"}, {Ints({1, 2, 3}), Strings({"a", "b", "c"})});
  ASSERT_TRUE(table.ok()) << table.status();
  EXPECT_EQ(table->num_rows(), 3);
  EXPECT_EQ(table->num_columns(), 2);

  auto ragged = Table::Make({"id", "name"}, {Ints({1, 2, 3}), Strings({"a"})});
  ASSERT_FALSE(ragged.ok());
  EXPECT_THAT(std::string(ragged.status().message()), HasSubstr("column 'name' has 1 rows"));

  auto schema = Schema::Make({{"id", DataType::kString}});
  auto mistyped = Table::Make(*schema, {Ints({1})});
  ASSERT_FALSE(mistyped.ok());
  EXPECT_THAT(std::string(mistyped.status().message()),
              HasSubstr("column 'id' is int64 but the schema says string"));
}

TEST(TableTest, NonNullableFieldRejectsNulls) {
  ColumnBuilder builder(DataType::kInt64);
  builder.AppendNull();
  auto schema = Schema::Make({{"id", DataType::kInt64, /*nullable=*/false}});
  auto table = Table::Make(*schema, {builder.Finish()});
  ASSERT_FALSE(table.ok());
  EXPECT_THAT(std::string(table.status().message()), HasSubstr("not nullable"));
}

TEST(TableTest, ColumnByNameSuggests) {
  auto table = Table::Make({"amount"}, {Ints({1})});
  ASSERT_TRUE(table.ok());
  EXPECT_TRUE(table->ColumnByName("amount").ok());
  auto missing = table->ColumnByName("amont");
  ASSERT_FALSE(missing.ok());
  EXPECT_THAT(std::string(missing.status().message()), HasSubstr("Did you mean 'amount'?"));
}

TEST(TableTest, SliceAndSelectShareBuffers) {
  auto table = Table::Make({"id", "name"}, {Ints({1, 2, 3, 4}), Strings({"a", "b", "c", "d"})});
  ASSERT_TRUE(table.ok());
  Table slice = table->Slice(1, 2);
  EXPECT_EQ(slice.num_rows(), 2);
  EXPECT_EQ(slice.column(0).Int64Values()[0], 2);
  EXPECT_EQ(slice.column(1).StringAt(1), "c");
  EXPECT_EQ(slice.column(0).Int64Values().data(), table->column(0).Int64Values().data() + 1);

  auto selected = table->SelectColumns({"name", "id"});
  ASSERT_TRUE(selected.ok());
  EXPECT_EQ(selected->schema().field(0).name, "name");
  EXPECT_EQ(selected->num_rows(), 4);
  EXPECT_FALSE(table->SelectColumns({"id", "id"}).ok());
  EXPECT_FALSE(table->SelectColumns({"nope"}).ok());
}

TEST(TableTest, TakeCopiesRowsInOrderWithNulls) {
  ColumnBuilder floats(DataType::kFloat64);
  floats.AppendFloat64(0.5);
  floats.AppendNull();
  floats.AppendFloat64(2.5);
  auto table = Table::Make({"id", "name", "x"}, {Ints({1, 2, 3}), Strings({"a", "b", "c"}),
                                                 floats.Finish()});
  ASSERT_TRUE(table.ok());
  const int64_t rows[] = {2, 1, 2};
  Table taken = table->Take(rows);
  EXPECT_EQ(taken.num_rows(), 3);
  EXPECT_EQ(taken.column(0).ValueToString(0), "3");
  EXPECT_EQ(taken.column(1).StringAt(1), "b");
  EXPECT_TRUE(taken.column(2).IsNull(1));
  EXPECT_EQ(taken.column(2).ValueToString(2), "2.5");
  EXPECT_TRUE(taken.schema() == table->schema());
}

TEST(TableTest, EqualsAndToString) {
  auto a = Table::Make({"id"}, {Ints({1, 2})});
  auto b = Table::Make({"id"}, {Ints({1, 2})});
  auto c = Table::Make({"id"}, {Ints({1, 3})});
  EXPECT_TRUE(a->Equals(*b));
  EXPECT_FALSE(a->Equals(*c));
  EXPECT_EQ(a->ToString(1), "2 rows x 1 columns (id: int64)\n1\n... 1 more rows\n");
}

}  // namespace
}  // namespace keel
