// Test helper for the end-to-end CLI tests: runs the real `keel` binary in a
// folder, with none of the test process's own KEEL_* variables (a developer's
// shell settings must not change what a test sees).
#ifndef KEEL_CLI_RUN_KEEL_FOR_TEST_H_
#define KEEL_CLI_RUN_KEEL_FOR_TEST_H_

#include <string>
#include <vector>

#include "keel/base/testing/subprocess.h"

extern char** environ;

namespace keel::testing {

// Runs KEEL_BINARY with `args` in `cwd`; `env` (NAME=VALUE) is set on top of
// an environment with every KEEL_* variable removed.
inline CommandResult RunKeel(std::vector<std::string> args, const std::string& cwd,
                             std::vector<std::string> env = {}) {
  std::vector<std::string> unset;
  for (char** e = environ; *e != nullptr; ++e) {
    const std::string entry = *e;
    if (entry.rfind("KEEL_", 0) == 0) unset.push_back(entry.substr(0, entry.find('=')));
  }
  args.insert(args.begin(), KEEL_BINARY);
  return RunCommand(args, {.cwd = cwd, .env = std::move(env), .unset_env = std::move(unset)});
}

}  // namespace keel::testing

#endif  // KEEL_CLI_RUN_KEEL_FOR_TEST_H_
