#include "keel/base/status.h"

#include <memory>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace keel {
namespace {

StatusOr<int> Half(int x) {
  if (x % 2 != 0) return absl::InvalidArgumentError(absl::StrCat(x, " is odd"));
  return x / 2;
}

StatusOr<int> Quarter(int x) {
  KEEL_ASSIGN_OR_RETURN(int half, Half(x));
  KEEL_ASSIGN_OR_RETURN(int quarter, Half(half));
  return quarter;
}

Status CheckEven(int x) {
  KEEL_RETURN_IF_ERROR(Half(x).status());
  return absl::OkStatus();
}

StatusOr<std::unique_ptr<int>> MakeBox(int x) { return std::make_unique<int>(x); }

TEST(StatusTest, AssignOrReturnPassesValuesThrough) {
  auto q = Quarter(8);
  ASSERT_TRUE(q.ok());
  EXPECT_EQ(*q, 2);
}

TEST(StatusTest, AssignOrReturnPropagatesTheFirstError) {
  auto q = Quarter(6);  // 6 -> 3 -> error
  EXPECT_EQ(q.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(q.status().message(), "3 is odd");
}

TEST(StatusTest, AssignOrReturnMovesMoveOnlyValues) {
  auto f = []() -> StatusOr<int> {
    KEEL_ASSIGN_OR_RETURN(std::unique_ptr<int> box, MakeBox(7));
    std::unique_ptr<int> existing;
    KEEL_ASSIGN_OR_RETURN(existing, MakeBox(5));
    return *box + *existing;
  };
  EXPECT_EQ(*f(), 12);
}

TEST(StatusTest, ReturnIfError) {
  EXPECT_TRUE(CheckEven(4).ok());
  EXPECT_EQ(CheckEven(5).message(), "5 is odd");
}

TEST(StatusTest, AnnotateKeepsCodeAndPrefixesMessage) {
  Status s = Annotate(absl::NotFoundError("no such key"), "s3://b/k");
  EXPECT_EQ(s.code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(s.message(), "s3://b/k: no such key");
  EXPECT_TRUE(Annotate(absl::OkStatus(), "x").ok());
}

}  // namespace
}  // namespace keel
