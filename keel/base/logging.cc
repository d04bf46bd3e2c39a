#include "keel/base/logging.h"

#include <unistd.h>

#include <chrono>

#include "absl/time/time.h"
#include "keel/base/json_string.h"
#include "spdlog/pattern_formatter.h"
#include "spdlog/sinks/ansicolor_sink.h"

namespace keel {
namespace {

class JsonFormatter final : public spdlog::formatter {
 public:
  void format(const spdlog::details::log_msg& msg, spdlog::memory_buf_t& dest) override {
    const int64_t micros =
        std::chrono::duration_cast<std::chrono::microseconds>(msg.time.time_since_epoch())
            .count();
    std::string line = "{\"ts\":\"";
    line += absl::FormatTime("%Y-%m-%d%ET%H:%M:%E6SZ", absl::FromUnixMicros(micros),
                             absl::UTCTimeZone());
    line += "\",\"level\":\"";
    const auto level = spdlog::level::to_string_view(msg.level);
    line.append(level.data(), level.size());
    line += "\",\"logger\":\"";
    AppendJsonEscaped(std::string_view(msg.logger_name.data(), msg.logger_name.size()), &line);
    line += "\",\"msg\":\"";
    AppendJsonEscaped(std::string_view(msg.payload.data(), msg.payload.size()), &line);
    line += "\"}\n";
    dest.append(line.data(), line.data() + line.size());
  }
  std::unique_ptr<spdlog::formatter> clone() const override {
    return std::make_unique<JsonFormatter>();
  }
};

}  // namespace

StatusOr<LogFormat> ParseLogFormat(std::string_view name) {
  if (name == "text") return LogFormat::kText;
  if (name == "json") return LogFormat::kJson;
  return absl::InvalidArgumentError("unknown log format '" + std::string(name) +
                                    "'; expected 'text' or 'json'");
}

Status InitLogging(const LogOptions& options) {
  const spdlog::level::level_enum level = spdlog::level::from_str(options.level);
  // from_str maps anything unknown to `off`; only "off" itself may mean that.
  if (level == spdlog::level::off && options.level != "off") {
    return absl::InvalidArgumentError("unknown log level '" + options.level +
                                      "'; expected one of trace, debug, info, warn, error, off");
  }
  auto sink = std::make_shared<spdlog::sinks::ansicolor_stderr_sink_mt>(
      options.force_color ? spdlog::color_mode::always : spdlog::color_mode::automatic);
  auto logger = std::make_shared<spdlog::logger>("keel", sink);
  if (options.format == LogFormat::kJson) {
    logger->set_formatter(MakeJsonLogFormatter());
  } else {
    logger->set_formatter(
        std::make_unique<spdlog::pattern_formatter>("%Y-%m-%d %H:%M:%S.%e %^%-5l%$ %v"));
  }
  logger->set_level(level);
  logger->flush_on(spdlog::level::warn);
  spdlog::set_default_logger(std::move(logger));
  return absl::OkStatus();
}

std::unique_ptr<spdlog::formatter> MakeJsonLogFormatter() {
  return std::make_unique<JsonFormatter>();
}

}  // namespace keel
