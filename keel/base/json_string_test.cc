#include "keel/base/json_string.h"

#include "gtest/gtest.h"
#include "nlohmann/json.hpp"

namespace keel {
namespace {

TEST(JsonStringTest, EscapesQuotesBackslashesAndControls) {
  std::string out;
  AppendJsonString("a\"b\\c\nd\te\rf\x01g\x1fh é", &out);
  EXPECT_EQ(out, "\"a\\\"b\\\\c\\nd\\te\\rf\\u0001g\\u001fh é\"");
  // An independent parser reads back exactly the original text.
  EXPECT_EQ(nlohmann::json::parse(out).get<std::string>(), "a\"b\\c\nd\te\rf\x01g\x1fh é");
}

TEST(JsonStringTest, EscapedAppendsWithoutQuotes) {
  std::string out = "x=";
  AppendJsonEscaped("\"", &out);
  EXPECT_EQ(out, "x=\\\"");
}

}  // namespace
}  // namespace keel
