// Test helper for the end-to-end CLI tests: runs the real `keel` binary in a
// folder, with none of the test process's own KEEL_* variables (a developer's
// shell settings must not change what a test sees).
#ifndef KEEL_CLI_RUN_KEEL_FOR_TEST_H_
#define KEEL_CLI_RUN_KEEL_FOR_TEST_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "keel/base/testing/subprocess.h"
#include "nlohmann/json.hpp"

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

// Starts `keel serve ARGS --port 0 --json` in `cwd` and waits (30 s at most)
// for the line with its address; *port is 0 when none came.
inline std::unique_ptr<BackgroundProcess> StartKeelServe(std::vector<std::string> args,
                                                         const std::string& cwd, int* port) {
  std::vector<std::string> argv = {KEEL_BINARY, "serve", "--port", "0", "--json"};
  argv.insert(argv.end(), args.begin(), args.end());
  auto server = std::make_unique<BackgroundProcess>(
      argv, CommandOptions{.cwd = cwd, .unset_env = {"KEEL_WORKSPACE"}});
  server->WaitFor("\"port\"", 30000);
  const nlohmann::json started = nlohmann::json::parse(server->out(), nullptr, false);
  *port = started.is_object() ? started.value("port", 0) : 0;
  return server;
}

// curl of http://127.0.0.1:PORT/PATH (a POST of `body` as JSON when not
// empty); stdout ends with "\n<HTTP status>".
inline CommandResult Curl(int port, const std::string& path, const std::string& body = "",
                          const std::vector<std::string>& extra = {}) {
  std::vector<std::string> argv = {"curl", "-sS", "-w", "\n%{http_code}",
                                   absl::StrCat("http://127.0.0.1:", port, path)};
  if (!body.empty()) {
    argv.insert(argv.end(), {"-H", "Content-Type: application/json", "--data-binary", body});
  }
  argv.insert(argv.end(), extra.begin(), extra.end());
  return RunCommand(argv, {.timeout_seconds = 20});
}
// The HTTP status Curl printed last, and the JSON body before it.
inline int CurlStatus(const CommandResult& r) {
  return std::stoi(r.out.substr(r.out.rfind('\n') + 1));
}
inline nlohmann::json CurlJson(const CommandResult& r) {
  return nlohmann::json::parse(r.out.substr(0, r.out.rfind('\n')), nullptr, false);
}

}  // namespace keel::testing

#endif  // KEEL_CLI_RUN_KEEL_FOR_TEST_H_
