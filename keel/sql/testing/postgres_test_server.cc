#include "keel/sql/testing/postgres_test_server.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <grp.h>
#include <libpq-fe.h>
#include <netinet/in.h>
#include <pwd.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <optional>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "keel/base/files.h"
#include "keel/base/testing/ports.h"

namespace keel::testing {
namespace {

constexpr char kInstallHint[] =
    "install Debian's `postgresql` package (listed in scripts/debian-packages.txt; `make deps`)";

std::string Tail(const std::string& text, size_t max_bytes = 4000) {
  return text.size() <= max_bytes ? text : "..." + text.substr(text.size() - max_bytes);
}

// The newest /usr/lib/postgresql/<major>/bin holding initdb and postgres.
std::optional<std::string> FindBinDir() {
  for (int major = 20; major >= 10; --major) {
    const std::string dir = absl::StrCat("/usr/lib/postgresql/", major, "/bin");
    if (PathExists(dir + "/initdb") && PathExists(dir + "/postgres")) return dir;
  }
  return std::nullopt;
}

// The user the server runs as: none (ourselves) unless we are root.
struct RunAs {
  bool switch_user = false;
  uid_t uid = 0;
  gid_t gid = 0;
};

// fork + exec of `args` with stdout and stderr appended to `log_path`,
// as `run_as`, in a minimal environment. Everything the child needs is
// prepared before fork (only async-signal-safe calls after it).
StatusOr<pid_t> Spawn(std::vector<std::string> args, const std::string& log_path,
                      const RunAs& run_as, const std::string& home) {
  std::vector<char*> argv;
  for (std::string& arg : args) argv.push_back(arg.data());
  argv.push_back(nullptr);
  std::vector<std::string> env = {"PATH=/usr/bin:/bin", "LC_ALL=C", "LANG=C", "TZ=UTC",
                                  "HOME=" + home};
  std::vector<char*> envp;
  for (std::string& e : env) envp.push_back(e.data());
  envp.push_back(nullptr);

  const pid_t pid = ::fork();
  if (pid < 0) return absl::InternalError(absl::StrCat("fork: ", std::strerror(errno)));
  if (pid == 0) {
    const int log = ::open(log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0666);
    const int null_in = ::open("/dev/null", O_RDONLY);
    if (log < 0 || null_in < 0) ::_exit(126);
    ::dup2(null_in, STDIN_FILENO);
    ::dup2(log, STDOUT_FILENO);
    ::dup2(log, STDERR_FILENO);
    if (run_as.switch_user &&
        (::setgroups(0, nullptr) != 0 || ::setgid(run_as.gid) != 0 || ::setuid(run_as.uid) != 0)) {
      static constexpr char kMessage[] = "postgres_test_server: cannot switch to user nobody\n";
      [[maybe_unused]] ssize_t n = ::write(STDERR_FILENO, kMessage, sizeof(kMessage) - 1);
      ::_exit(126);
    }
    if (::chdir(home.c_str()) != 0) ::_exit(126);
    ::execve(argv[0], argv.data(), envp.data());
    ::_exit(127);
  }
  return pid;
}

// Waits for `pid` up to `timeout_ms`; its exit status, or nullopt when it
// is still running.
std::optional<int> WaitFor(pid_t pid, int64_t timeout_ms) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  while (true) {
    int status = 0;
    if (::waitpid(pid, &status, WNOHANG) == pid) return status;
    if (std::chrono::steady_clock::now() > deadline) return std::nullopt;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

}  // namespace

StatusOr<std::unique_ptr<PostgresTestServer>> PostgresTestServer::Start(const Config& config) {
  const std::optional<std::string> bin = FindBinDir();
  if (!bin) {
    return absl::FailedPreconditionError(absl::StrCat(
        "no PostgreSQL server binaries under /usr/lib/postgresql/<major>/bin; ", kInstallHint));
  }
  std::unique_ptr<PostgresTestServer> server(new PostgresTestServer());
  const std::string dir = server->dir_.path();
  const std::string data = dir + "/data";
  const std::string log = dir + "/server.log";
  const std::string pwfile = dir + "/pwfile";
  KEEL_RETURN_IF_ERROR(WriteFileAtomic(pwfile, kPassword));

  RunAs run_as;
  if (::geteuid() == 0) {
    const passwd* nobody = ::getpwnam("nobody");
    if (nobody == nullptr) {
      return absl::FailedPreconditionError(
          "running as root, and postgres refuses root; there is no user `nobody` to run it as");
    }
    run_as = {.switch_user = true, .uid = nobody->pw_uid, .gid = nobody->pw_gid};
    for (const std::string& path : {dir, pwfile}) {
      if (::chown(path.c_str(), run_as.uid, run_as.gid) != 0) {
        return absl::InternalError(absl::StrCat("chown ", path, ": ", std::strerror(errno)));
      }
    }
  }

  KEEL_ASSIGN_OR_RETURN(
      pid_t initdb,
      Spawn({*bin + "/initdb", "-D", data, "-U", kUser, "--pwfile=" + pwfile, "--auth-local=trust",
             "--auth-host=scram-sha-256", "--encoding=UTF8", "--locale=C", "--no-sync"},
            log, run_as, dir));
  const std::optional<int> initdb_status = WaitFor(initdb, config.start_timeout_ms);
  if (!initdb_status || !WIFEXITED(*initdb_status) || WEXITSTATUS(*initdb_status) != 0) {
    if (!initdb_status) {
      ::kill(initdb, SIGKILL);
      ::waitpid(initdb, nullptr, 0);
    }
    return absl::UnavailableError(
        absl::StrCat("initdb failed",
                     run_as.switch_user ? " (run as `nobody`: TMPDIR must be reachable by it)" : "",
                     "; its log:\n", Tail(server->log())));
  }

  // A port can be taken between FreeLoopbackPort() and the server's bind: retry.
  for (int attempt = 0; attempt < 3; ++attempt) {
    KEEL_ASSIGN_OR_RETURN(server->port_, FreeLoopbackPort());
    KEEL_ASSIGN_OR_RETURN(
        server->pid_,
        Spawn({*bin + "/postgres", "-D", data, "-p", absl::StrCat(server->port_), "-k", dir, "-c",
               "listen_addresses=127.0.0.1", "-c", "fsync=off", "-c", "shared_buffers=16MB", "-c",
               "max_connections=20", "-c", "logging_collector=off"},
              log, run_as, dir));
    const std::string ping =
        absl::StrCat("host=127.0.0.1 port=", server->port_, " dbname=", kDatabase, " user=", kUser,
                     " connect_timeout=2");
    const auto deadline =
        std::chrono::steady_clock::now() + std::chrono::milliseconds(config.start_timeout_ms);
    while (true) {
      if (PQping(ping.c_str()) == PQPING_OK) return server;
      if (std::optional<int> exited = WaitFor(server->pid_, 0)) {
        server->pid_ = -1;
        if (absl::StrContains(server->log(), "could not bind")) break;  // next port
        return absl::UnavailableError(absl::StrCat("postgres exited at start (status ", *exited,
                                                   "); its log:\n", Tail(server->log())));
      }
      if (std::chrono::steady_clock::now() > deadline) {
        return absl::UnavailableError(absl::StrCat("postgres did not accept connections within ",
                                                   config.start_timeout_ms, " ms; its log:\n",
                                                   Tail(server->log())));
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
  }
  return absl::UnavailableError(absl::StrCat(
      "postgres could not bind a free port in 3 tries; its log:\n", Tail(server->log())));
}

PostgresTestServer::~PostgresTestServer() {
  if (pid_ <= 0) return;
  ::kill(pid_, SIGINT);
  if (WaitFor(pid_, 10'000)) return;
  ::kill(pid_, SIGKILL);
  ::waitpid(pid_, nullptr, 0);
}

std::string PostgresTestServer::uri(std::string_view password) const {
  return absl::StrCat("postgresql://", kUser, password.empty() ? "" : ":", std::string(password),
                      "@127.0.0.1:", port_, "/", kDatabase, "?sslmode=disable");
}

Status PostgresTestServer::Execute(std::string_view sql) const {
  PGconn* conn = PQconnectdb(uri().c_str());
  Status status;
  if (PQstatus(conn) != CONNECTION_OK) {
    status =
        absl::InternalError(absl::StrCat("connect to the test server: ", PQerrorMessage(conn)));
  } else {
    PGresult* result = PQexec(conn, std::string(sql).c_str());
    const ExecStatusType code = PQresultStatus(result);
    if (code != PGRES_COMMAND_OK && code != PGRES_TUPLES_OK) {
      status = absl::InternalError(absl::StrCat("test server SQL failed: ", PQerrorMessage(conn)));
    }
    PQclear(result);
  }
  PQfinish(conn);
  return status;
}

std::string PostgresTestServer::log() const {
  StatusOr<std::string> text = ReadFile(dir_.path() + "/server.log");
  return text.ok() ? *text : std::string(text.status().message());
}

}  // namespace keel::testing
