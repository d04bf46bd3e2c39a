#include "keel/base/logging.h"

#include <sstream>

#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "spdlog/sinks/ostream_sink.h"

namespace keel {
namespace {

TEST(LoggingTest, JsonLinesAreValidJsonWithEscapes) {
  std::ostringstream out;
  auto sink = std::make_shared<spdlog::sinks::ostream_sink_mt>(out);
  sink->set_formatter(MakeJsonLogFormatter());
  spdlog::logger logger("keel", sink);
  logger.info("read {} rows from \"{}\"\nnext\tline", 42, "a\\b.csv");
  logger.warn("control \x01 char");

  std::istringstream lines(out.str());
  std::string line;
  ASSERT_TRUE(std::getline(lines, line));
  const auto first = nlohmann::json::parse(line);
  EXPECT_EQ(first["level"], "info");
  EXPECT_EQ(first["logger"], "keel");
  EXPECT_EQ(first["msg"], "read 42 rows from \"a\\b.csv\"\nnext\tline");
  const std::string ts = first["ts"];
  ASSERT_EQ(ts.size(), 27u) << ts;  // 2026-11-24T23:59:00.123456Z
  EXPECT_EQ(ts[10], 'T');
  EXPECT_EQ(ts.back(), 'Z');
  ASSERT_TRUE(std::getline(lines, line));
  EXPECT_EQ(nlohmann::json::parse(line)["msg"], "control \x01 char");
  EXPECT_FALSE(std::getline(lines, line));
}

TEST(LoggingTest, UnknownLevelIsRejected) {
  Status s = InitLogging({.level = "loud"});
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("trace, debug, info, warn, error, off"), std::string::npos);
  EXPECT_TRUE(InitLogging({.level = "off"}).ok());
  EXPECT_TRUE(InitLogging({.format = LogFormat::kJson, .level = "debug"}).ok());
  EXPECT_EQ(spdlog::default_logger()->level(), spdlog::level::debug);
}

TEST(LoggingTest, ParseLogFormat) {
  EXPECT_EQ(*ParseLogFormat("json"), LogFormat::kJson);
  EXPECT_EQ(*ParseLogFormat("text"), LogFormat::kText);
  EXPECT_EQ(ParseLogFormat("xml").status().message(),
            "unknown log format 'xml'; expected 'text' or 'json'");
}

}  // namespace
}  // namespace keel
