// What every `keel` subcommand shares: the global flags, the workspace
// (opened on first use), JSON and human output, progress settings and the
// mapping from Status to exit code.
#ifndef KEEL_CLI_CONTEXT_H_
#define KEEL_CLI_CONTEXT_H_

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "CLI/CLI.hpp"
#include "keel/base/progress.h"
#include "keel/base/status.h"
#include "keel/base/workspace.h"
#include "nlohmann/json.hpp"

namespace keel::cli {

// Exit codes of the keel command.
enum ExitCode : int { kExitOk = 0, kExitFailure = 1, kExitUsage = 2 };

// Marks `status` as a usage error (bad flags, bad keel.yaml): exit code 2.
Status AsUsageError(Status status);
bool IsUsageError(const Status& status);

struct GlobalOptions {
  std::string workspace;          // --workspace
  bool json = false;              // --json
  std::string log_level;          // --log-level (empty: from keel.yaml / KEEL_LOG_LEVEL)
  std::string log_format;         // --log-format
  std::string progress = "auto";  // --progress auto|bar|lines|off
  bool quiet = false;             // --quiet
};

class CommandContext {
 public:
  using Handler = std::function<Status()>;

  CommandContext();

  GlobalOptions& options() { return options_; }
  const GlobalOptions& options() const { return options_; }

  // Registers what runs when `command` is the subcommand given.
  void Bind(CLI::App* command, Handler handler) { handlers_[command] = std::move(handler); }
  const Handler* HandlerFor(CLI::App* command) const;

  // Finds and opens the workspace (flag, KEEL_WORKSPACE, or upward search)
  // once; later calls return the same one. Config errors are usage errors.
  StatusOr<Workspace*> workspace();

  // Process environment as NAME=VALUE (tests pass their own via setenv).
  const std::vector<std::string>& environ() const { return environ_; }

  // Progress settings from --progress/--quiet (and --json: progress still
  // goes to stderr, never stdout).
  ProgressOptions progress_options() const;

  // Writes `value` as one JSON document on stdout.
  void PrintJson(const nlohmann::json& value) const;
  // Writes a line for people on stdout (nothing under --json).
  void Print(const std::string& line) const;

  // Sets up logging from the flags, or from the workspace config if open.
  Status InitLogging();

 private:
  GlobalOptions options_;
  std::map<CLI::App*, Handler> handlers_;
  std::vector<std::string> environ_;
  std::unique_ptr<Workspace> workspace_;
};

}  // namespace keel::cli

#endif  // KEEL_CLI_CONTEXT_H_
