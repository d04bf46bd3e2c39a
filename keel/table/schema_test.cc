#include "keel/table/schema.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace keel {
namespace {

using ::testing::HasSubstr;

TEST(SchemaTest, LooksUpFieldsByName) {
  auto schema = Schema::Make(
      {{"id", DataType::kInt64, false}, {"name", DataType::kString}, {"at", DataType::kTimestamp}});
  ASSERT_TRUE(schema.ok()) << schema.status();
  EXPECT_EQ(schema->num_fields(), 3);
  EXPECT_EQ(schema->IndexOf("name"), 1);
  EXPECT_EQ(schema->IndexOf("missing"), -1);
  EXPECT_EQ(*schema->FindIndex("at"), 2);
  EXPECT_EQ(schema->ToString(), "id: int64 not null, name: string, at: timestamp");
}

TEST(SchemaTest, UnknownNameSuggestsClosest) {
  auto schema = Schema::Make({{"amount", DataType::kFloat64}, {"id", DataType::kInt64}});
  ASSERT_TRUE(schema.ok());
  auto index = schema->FindIndex("amuont");
  ASSERT_FALSE(index.ok());
  EXPECT_EQ(index.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(std::string(index.status().message()), HasSubstr("no column 'amuont'"));
  EXPECT_THAT(std::string(index.status().message()), HasSubstr("Did you mean 'amount'?"));
}

TEST(SchemaTest, RejectsDuplicateAndEmptyNames) {
  auto duplicate = Schema::Make({{"a", DataType::kInt64}, {"b"}, {"a", DataType::kBool}});
  ASSERT_FALSE(duplicate.ok());
  EXPECT_THAT(std::string(duplicate.status().message()),
              HasSubstr("duplicate column name 'a' (fields 1 and 3)"));
  auto empty = Schema::Make({{"", DataType::kInt64}});
  ASSERT_FALSE(empty.ok());
  EXPECT_THAT(std::string(empty.status().message()), HasSubstr("empty name"));
}

TEST(SchemaTest, EqualityComparesFields) {
  auto a = Schema::Make({{"x", DataType::kInt64}});
  auto b = Schema::Make({{"x", DataType::kInt64}});
  auto c = Schema::Make({{"x", DataType::kFloat64}});
  EXPECT_TRUE(*a == *b);
  EXPECT_FALSE(*a == *c);
}

}  // namespace
}  // namespace keel
