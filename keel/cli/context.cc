#include "keel/cli/context.h"

#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <iostream>

#include "absl/strings/cord.h"
#include "keel/base/config.h"
#include "keel/base/logging.h"

namespace keel::cli {
namespace {

constexpr char kUsagePayload[] = "keel.dev/exit-code";

}  // namespace

Status AsUsageError(Status status) {
  if (!status.ok()) status.SetPayload(kUsagePayload, absl::Cord("2"));
  return status;
}

bool IsUsageError(const Status& status) { return status.GetPayload(kUsagePayload).has_value(); }

CommandContext::CommandContext() : environ_(ProcessEnvironment()) {}

const CommandContext::Handler* CommandContext::HandlerFor(CLI::App* command) const {
  auto it = handlers_.find(command);
  return it == handlers_.end() ? nullptr : &it->second;
}

StatusOr<Workspace*> CommandContext::workspace() {
  if (workspace_ != nullptr) return workspace_.get();
  std::error_code ec;
  const std::string cwd = std::filesystem::current_path(ec).string();
  KEEL_ASSIGN_OR_RETURN(std::string root, Workspace::Locate(options_.workspace, environ_, cwd));
  StatusOr<Workspace> ws = Workspace::Open(root, environ_);
  if (!ws.ok()) {
    // A broken keel.yaml or KEEL_* value is the user's input: exit 2.
    if (ws.status().code() == absl::StatusCode::kInvalidArgument) {
      return AsUsageError(ws.status());
    }
    return ws.status();
  }
  workspace_ = std::make_unique<Workspace>(*std::move(ws));
  for (const std::string& warning : workspace_->warnings()) spdlog::warn("{}", warning);
  KEEL_RETURN_IF_ERROR(InitLogging());
  return workspace_.get();
}

ProgressOptions CommandContext::progress_options() const {
  ProgressOptions progress;
  if (options_.quiet || options_.progress == "off") {
    progress.mode = ProgressMode::kOff;
  } else if (options_.progress == "bar") {
    progress.mode = ProgressMode::kBar;
  } else if (options_.progress == "lines") {
    progress.mode = ProgressMode::kLines;
  }
  return progress;
}

void CommandContext::PrintJson(const nlohmann::json& value) const {
  std::cout << value.dump(2) << std::endl;
}

void CommandContext::Print(const std::string& line) const {
  if (!options_.json) std::cout << line << "\n";
}

Status CommandContext::InitLogging() {
  // Flag > workspace config (which includes KEEL_*) > KEEL_* alone > default.
  Config environment_only;
  const Config* config = workspace_ ? &workspace_->config() : &environment_only;
  if (!workspace_) {
    StatusOr<std::vector<std::string>> applied = environment_only.ApplyEnvironment(environ_);
    if (!applied.ok()) return AsUsageError(applied.status());
  }
  auto pick = [&](const std::string& flag, const char* key) {
    return flag.empty() ? config->GetString(key) : flag;
  };
  LogOptions log;
  log.level =
      options_.quiet && options_.log_level.empty() ? "warn" : pick(options_.log_level, "log.level");
  auto format = ParseLogFormat(pick(options_.log_format, "log.format"));
  if (!format.ok()) return AsUsageError(format.status());
  log.format = *format;
  Status s = keel::InitLogging(log);
  return s.ok() ? s : AsUsageError(s);
}

}  // namespace keel::cli
