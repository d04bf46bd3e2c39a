#include "keel/lake/partition.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "keel/table/csv_reader.h"

namespace keel {
namespace {

TEST(PartitionTest, SplitsByValueAndConcatenatesBack) {
  auto table = ReadCsvFromString("id,city,x\n1,Paris,0.5\n2,Lyon,\n3,Paris,1.5\n4,,2\n5,a/b c,3\n");
  ASSERT_TRUE(table.ok()) << table.status();
  auto parts = PartitionTable(*table, "city");
  ASSERT_TRUE(parts.ok()) << parts.status();
  std::vector<std::string> segments;
  for (const Partition& p : *parts) segments.push_back(p.path_segment);
  EXPECT_THAT(segments,
              ::testing::ElementsAre("city=Lyon", "city=Paris", "city=__null__", "city=a%2Fb%20c"));
  EXPECT_EQ((*parts)[1].table.num_rows(), 2);
  EXPECT_EQ((*parts)[1].table.column(0).Int64Values()[1], 3);
  EXPECT_TRUE((*parts)[0].table.column(2).IsNull(0));

  std::vector<Table> tables;
  for (const Partition& p : *parts) tables.push_back(p.table);
  auto back = ConcatTables(tables);
  ASSERT_TRUE(back.ok());
  EXPECT_TRUE(back->Equals(TakeRows(*table, {1, 0, 2, 3, 4}))) << back->ToString();
}

TEST(PartitionTest, ErrorsNameTheProblem) {
  auto table = ReadCsvFromString("id,city\n1,a\n2,b\n3,c\n");
  auto unknown = PartitionTable(*table, "cty");
  EXPECT_EQ(unknown.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(std::string(unknown.status().message()), ::testing::HasSubstr("city"));
  EXPECT_EQ(PartitionTable(*table, "id", 2).status().code(), absl::StatusCode::kInvalidArgument);
  auto other = ReadCsvFromString("a\n1\n");
  EXPECT_FALSE(ConcatTables({*table, *other}).ok());
}

}  // namespace
}  // namespace keel
