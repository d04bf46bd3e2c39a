// Running one program to completion with its output going to files: how a
// pipeline runs each step as a `keel` child process.
#ifndef KEEL_PIPELINE_PROCESS_H_
#define KEEL_PIPELINE_PROCESS_H_

#include <string>
#include <vector>

#include "keel/base/status.h"

namespace keel::pipeline {

struct ProcessOptions {
  std::string cwd;          // "" = ours
  std::string stdout_path;  // created or truncated; "" = /dev/null
  std::string stderr_path;  // created or truncated; "" = /dev/null
};

// Runs argv[0] (a path, not searched in PATH) with the arguments and our
// environment, stdin from /dev/null, and waits for it. Returns its exit
// code, or 128 + N when signal N ended it. Signals sent to us are not
// forwarded (a terminal's Ctrl-C reaches the whole process group anyway).
// Errors: Internal when it cannot be started (naming the program and why).
StatusOr<int> RunProcess(const std::vector<std::string>& argv, const ProcessOptions& options);

}  // namespace keel::pipeline

#endif  // KEEL_PIPELINE_PROCESS_H_
