// Test helper: a throwaway PostgreSQL server for the PostgreSQL source's
// tests. Runs Debian's initdb into a fresh temporary directory, starts
// `postgres` on a free loopback port (its Unix socket in that directory)
// and stops it by PID. Password authentication (scram-sha-256) over TCP, so
// a wrong password is really refused. Under root the server runs as
// `nobody` (postgres refuses to run as root), with the directory chowned to it.
#ifndef KEEL_SQL_TESTING_POSTGRES_TEST_SERVER_H_
#define KEEL_SQL_TESTING_POSTGRES_TEST_SERVER_H_

#include <sys/types.h>

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "keel/base/status.h"
#include "keel/base/testing/temp_dir.h"

namespace keel::testing {

// Not thread-safe; one per test.
class PostgresTestServer {
 public:
  static constexpr char kUser[] = "keel";
  static constexpr char kPassword[] = "keel-pg-test-pw-4711";
  static constexpr char kDatabase[] = "postgres";

  struct Config {
    // How long initdb, and then the server's start, may take.
    int64_t start_timeout_ms = 60'000;
  };

  // Runs initdb, starts the server and waits until it accepts connections.
  // Errors: FailedPrecondition when the PostgreSQL server binaries are not
  // installed (naming the Debian package) or, under root, there is no user
  // `nobody`; Unavailable when initdb or the server failed or did not come
  // up in time (with the end of the log).
  static StatusOr<std::unique_ptr<PostgresTestServer>> Start(const Config& config);
  static StatusOr<std::unique_ptr<PostgresTestServer>> Start() { return Start(Config()); }

  // SIGINT (PostgreSQL's fast shutdown: ends open sessions), then SIGKILL
  // after 10 s; waits for the process.
  ~PostgresTestServer();
  PostgresTestServer(const PostgresTestServer&) = delete;
  PostgresTestServer& operator=(const PostgresTestServer&) = delete;

  int port() const { return port_; }
  // "postgresql://keel:<password>@127.0.0.1:<port>/postgres?sslmode=disable";
  // `password` empty: no password in the URI.
  std::string uri(std::string_view password = kPassword) const;
  // Runs `sql` (any number of statements) as the superuser. Errors:
  // Internal with the server's message.
  Status Execute(std::string_view sql) const;
  // initdb's and the server's output, for failure messages.
  std::string log() const;

 private:
  PostgresTestServer() = default;

  TempDir dir_;
  pid_t pid_ = -1;
  int port_ = 0;
};

}  // namespace keel::testing

#endif  // KEEL_SQL_TESTING_POSTGRES_TEST_SERVER_H_
