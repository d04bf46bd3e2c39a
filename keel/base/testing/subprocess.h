// Test helper: run a program to completion and capture what it printed.
#ifndef KEEL_BASE_TESTING_SUBPROCESS_H_
#define KEEL_BASE_TESTING_SUBPROCESS_H_

#include <string>
#include <vector>

namespace keel::testing {

struct CommandResult {
  int exit_code = -1;  // 128 + signal number when killed by a signal
  std::string out;     // stdout
  std::string err;     // stderr
};

struct CommandOptions {
  std::string cwd;                     // empty: the test's cwd
  std::vector<std::string> env;        // NAME=VALUE added to (or replacing) the environment
  std::vector<std::string> unset_env;  // names removed from the environment
  std::string stdin_text;
  int timeout_seconds = 60;            // killed (SIGKILL) after this
};

// Runs argv[0] (searched in PATH) with the arguments. Never throws.
CommandResult RunCommand(const std::vector<std::string>& argv, const CommandOptions& options = {});

}  // namespace keel::testing

#endif  // KEEL_BASE_TESTING_SUBPROCESS_H_
