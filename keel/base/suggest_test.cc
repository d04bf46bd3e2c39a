#include "keel/base/suggest.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace keel {
namespace {

using ::testing::ElementsAre;

TEST(EditDistanceTest, Basics) {
  EXPECT_EQ(EditDistance("", ""), 0);
  EXPECT_EQ(EditDistance("init", "init"), 0);
  EXPECT_EQ(EditDistance("kitten", "sitting"), 3);
  EXPECT_EQ(EditDistance("inti", "init"), 1);  // transposition
  EXPECT_EQ(EditDistance("INIT", "init"), 0);
  EXPECT_EQ(EditDistance("abc", ""), 3);
}

TEST(ClosestMatchesTest, RanksByDistance) {
  const std::vector<std::string> keys = {"project", "storage", "registry", "log", "threads"};
  EXPECT_THAT(ClosestMatches("regsitry", keys), ElementsAre("registry"));
  EXPECT_THAT(ClosestMatches("storag", keys), ElementsAre("storage"));
  EXPECT_THAT(ClosestMatches("zzzzzz", keys), ElementsAre());
}

TEST(ClosestMatchesTest, PrefixCounts) {
  EXPECT_THAT(ClosestMatches("data", {"datasets", "train", "database"}),
              ElementsAre("datasets", "database"));
}

TEST(DidYouMeanTest, Formats) {
  EXPECT_EQ(DidYouMean("inti", {"init", "info", "serve"}), " Did you mean 'init'?");
  EXPECT_EQ(DidYouMean("serv", {"init", "serve", "server"}), " Did you mean 'serve' or 'server'?");
  EXPECT_EQ(DidYouMean("qqq", {"init"}), "");
}

}  // namespace
}  // namespace keel
