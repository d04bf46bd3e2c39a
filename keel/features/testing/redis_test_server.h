// Test helper: a throwaway redis-server for the Redis online store's tests
// and benchmarks. Runs Debian's /usr/bin/redis-server on 127.0.0.1, a free
// port and a Unix socket, in a fresh temporary directory, without
// persistence (its data is gone once it stops), and stops it by PID.
#ifndef KEEL_FEATURES_TESTING_REDIS_TEST_SERVER_H_
#define KEEL_FEATURES_TESTING_REDIS_TEST_SERVER_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "keel/base/status.h"
#include "keel/base/testing/subprocess.h"
#include "keel/base/testing/temp_dir.h"

namespace keel::testing {

// Not thread-safe: one thread at a time calls its methods (a test may
// restart it from another thread while clients use the server).
class RedisTestServer {
 public:
  static constexpr char kBinary[] = "/usr/bin/redis-server";

  struct Config {
    // Non-empty: the server requires it (requirepass), and url() holds it
    // (unescaped: use letters, digits, "-" and "_").
    std::string password;
    // How long the server may take to answer PING.
    int64_t start_timeout_ms = 30'000;
  };

  // Starts the server and waits until it answers PING. Errors:
  // FailedPrecondition when redis-server is not installed (naming the
  // Debian package); Unavailable when it exits or does not answer in time
  // (with the end of its log), or finds no free port in 3 tries.
  static StatusOr<std::unique_ptr<RedisTestServer>> Start(const Config& config);
  static StatusOr<std::unique_ptr<RedisTestServer>> Start() { return Start(Config()); }

  // Stop().
  ~RedisTestServer();
  RedisTestServer(const RedisTestServer&) = delete;
  RedisTestServer& operator=(const RedisTestServer&) = delete;

  // SIGTERM, then SIGKILL after 10 s; waits for the process. No-op when it
  // is not running.
  void Stop();
  // SIGKILL (a crash); waits for the process.
  void Kill();
  // Starts it again, empty, on the same port and socket, after Stop() or
  // Kill(); waits until it answers. Errors: as Start, Unavailable also when
  // the port was taken in between.
  Status StartAgain();
  // Stop(), then StartAgain().
  Status Restart();

  bool running() const { return process_ != nullptr; }
  int port() const { return port_; }
  int pid() const { return process_ == nullptr ? -1 : process_->pid(); }
  // "redis://127.0.0.1:<port>", with ":<password>@" when the server has one.
  std::string url() const;
  // The server's Unix socket (unix://<path> in RedisOptions::url).
  std::string socket_path() const { return dir_.path() + "/redis.sock"; }
  // The server's log, for failure messages.
  std::string log() const;

  // A reply to Command(), flattened.
  struct Reply {
    long long integer = 0;              // an integer reply
    std::string str;                    // a string or status reply
    std::vector<std::string> elements;  // an array's strings (nil: "")
  };
  // Runs one command on database `db` over a new connection (after AUTH
  // when the server has a password), to look at what a client stored.
  // Errors: Unavailable when the server does not answer; Internal with the
  // server's error reply.
  StatusOr<Reply> Command(const std::vector<std::string>& args, int db = 0) const;

 private:
  explicit RedisTestServer(Config config) : config_(std::move(config)) {}
  // Launches on port_ and waits for PING; *port_taken tells that it exited
  // because the port was in use.
  Status Launch(bool* port_taken);

  Config config_;
  TempDir dir_;
  std::unique_ptr<BackgroundProcess> process_;
  int port_ = 0;
};

}  // namespace keel::testing

#endif  // KEEL_FEATURES_TESTING_REDIS_TEST_SERVER_H_
