// Process-wide logging on spdlog, to stderr. Two formats:
//   text: "2026-11-24 23:59:00.123 info  message" (coloured on a terminal)
//   json: one object per line:
//         {"ts":"2026-11-24T23:59:00.123456Z","level":"info","logger":"keel","msg":"..."}
// Log with spdlog's calls after InitLogging: spdlog::info("read {} rows", n).
#ifndef KEEL_BASE_LOGGING_H_
#define KEEL_BASE_LOGGING_H_

#include <memory>
#include <string>
#include <string_view>

#include "keel/base/status.h"
#include "spdlog/spdlog.h"

namespace keel {

enum class LogFormat { kText, kJson };

struct LogOptions {
  LogFormat format = LogFormat::kText;
  // trace | debug | info | warn | error | off
  std::string level = "info";
  // Colour text lines: only when stderr is a terminal unless forced.
  bool force_color = false;
};

// Parses "text" / "json". Errors: InvalidArgument listing the valid names.
StatusOr<LogFormat> ParseLogFormat(std::string_view name);

// Replaces the default logger. Errors: InvalidArgument for an unknown level.
// Not thread-safe against concurrent logging; call once at start-up.
Status InitLogging(const LogOptions& options);

// A formatter that writes JSON lines; exposed for tests and custom sinks.
std::unique_ptr<spdlog::formatter> MakeJsonLogFormatter();

}  // namespace keel

#endif  // KEEL_BASE_LOGGING_H_
