#include "keel/table/types.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace keel {
namespace {

using ::testing::HasSubstr;

TEST(TypesTest, NamesRoundTrip) {
  for (DataType type : AllDataTypes()) {
    auto parsed = ParseDataType(DataTypeName(type));
    ASSERT_TRUE(parsed.ok()) << parsed.status();
    EXPECT_EQ(*parsed, type);
  }
  EXPECT_EQ(DataTypeName(DataType::kTimestamp), "timestamp");
}

TEST(TypesTest, UnknownNameSuggestsClosest) {
  auto parsed = ParseDataType("int");
  ASSERT_FALSE(parsed.ok());
  EXPECT_EQ(parsed.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(parsed.status().message()), HasSubstr("unknown column type 'int'"));
  EXPECT_THAT(std::string(parsed.status().message()), HasSubstr("Did you mean 'int64'?"));
  EXPECT_THAT(std::string(ParseDataType("strnig").status().message()), HasSubstr("'string'"));
}

}  // namespace
}  // namespace keel
