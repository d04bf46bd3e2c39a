// Test helpers: run a program to completion and capture what it printed, or
// keep one running in the background (a server) and stop it by its PID.
#ifndef KEEL_BASE_TESTING_SUBPROCESS_H_
#define KEEL_BASE_TESTING_SUBPROCESS_H_

#include <string>
#include <string_view>
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

// A program running in the background, its stdout and stderr going to files
// (so a chatty server never blocks on a full pipe). The destructor kills it
// (SIGKILL) if it still runs. Not thread-safe.
class BackgroundProcess {
 public:
  // Starts argv[0] (searched in PATH); `options.stdin_text` and
  // `options.timeout_seconds` are not used. Check started() (a program that
  // cannot be executed exits 127 at once).
  BackgroundProcess(const std::vector<std::string>& argv, const CommandOptions& options = {});
  ~BackgroundProcess();
  BackgroundProcess(const BackgroundProcess&) = delete;
  BackgroundProcess& operator=(const BackgroundProcess&) = delete;

  bool started() const { return pid_ > 0; }
  int pid() const { return pid_; }
  // What it printed so far.
  std::string out() const;
  std::string err() const;
  // Polls stdout (or stderr) until it contains `text`, the process exits, or
  // `timeout_ms` pass. Returns whether the text appeared.
  bool WaitFor(std::string_view text, int timeout_ms, bool on_stderr = false);
  // Whether it still runs (reaps it when it has exited).
  bool Running();
  // Sends `signal`, waits up to `timeout_ms` for it to exit (then SIGKILL),
  // and returns the exit code as RunCommand does (128 + signal number when a
  // signal ended it). Calling it again returns the same code.
  int Stop(int signal, int timeout_ms = 10000);

 private:
  std::string dir_;
  int pid_ = -1;
  bool reaped_ = false;
  int exit_code_ = -1;
};

}  // namespace keel::testing

#endif  // KEEL_BASE_TESTING_SUBPROCESS_H_
