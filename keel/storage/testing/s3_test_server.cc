#include "keel/storage/testing/s3_test_server.h"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <thread>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "keel/base/files.h"

extern char** environ;

namespace keel::testing {
namespace {

constexpr char kInstallHint[] =
    "run `make deps` (scripts/install-deps.sh installs Node.js from Debian and runs `npm ci` "
    "from package-lock.json)";

std::string Tail(const std::string& text, size_t max_bytes = 4000) {
  return text.size() <= max_bytes ? text : "..." + text.substr(text.size() - max_bytes);
}

}  // namespace

StatusOr<std::unique_ptr<S3TestServer>> S3TestServer::Start(const Config& config) {
  const std::string source_dir = KEEL_SOURCE_DIR;
  const std::string modules = source_dir + "/node_modules";
  const std::string script = source_dir + "/keel/storage/testing/s3_test_server.js";
  for (const std::string& needed :
       {modules + "/s3rver/package.json", modules + "/aws4/package.json"}) {
    if (!PathExists(needed)) {
      return absl::FailedPreconditionError(absl::StrCat(
          "the S3 test server is not installed: ", needed, " is missing; ", kInstallHint));
    }
  }

  std::unique_ptr<S3TestServer> server(new S3TestServer());
  server->bucket_ = config.bucket;
  const std::string data_dir = server->dir_.path() + "/data";
  const std::string port_file = server->dir_.path() + "/port";
  const std::string log_file = server->dir_.path() + "/server.log";
  KEEL_RETURN_IF_ERROR(MakeDirs(data_dir));

  std::vector<std::string> args = {"node",        script,   "--modules", modules,
                                   "--directory", data_dir, "--bucket",  config.bucket,
                                   "--port-file", port_file};
  if (!config.fail_parts_of_key.empty()) {
    args.insert(args.end(), {"--fail-parts-of", config.fail_parts_of_key});
  }
  std::vector<char*> argv;
  for (std::string& arg : args) argv.push_back(arg.data());
  argv.push_back(nullptr);

  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, log_file.c_str(),
                                   O_WRONLY | O_CREAT | O_TRUNC, 0644);
  posix_spawn_file_actions_adddup2(&actions, STDOUT_FILENO, STDERR_FILENO);
  pid_t pid = -1;
  const int spawn_error = posix_spawnp(&pid, "node", &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (spawn_error != 0) {
    return absl::FailedPreconditionError(
        absl::StrCat("cannot start `node` for the S3 test server: ", std::strerror(spawn_error),
                     "; ", kInstallHint));
  }
  server->pid_ = pid;

  const auto deadline =
      std::chrono::steady_clock::now() + std::chrono::milliseconds(config.start_timeout_ms);
  while (true) {
    if (PathExists(port_file)) {
      StatusOr<std::string> text = ReadFile(port_file);
      if (text.ok() && absl::SimpleAtoi(absl::StripAsciiWhitespace(*text), &server->port_) &&
          server->port_ > 0) {
        return server;
      }
    }
    int wait_status = 0;
    if (::waitpid(pid, &wait_status, WNOHANG) == pid) {
      server->pid_ = -1;
      return absl::UnavailableError(absl::StrCat("the S3 test server exited at start (status ",
                                                 wait_status, "); its log:\n",
                                                 Tail(server->log())));
    }
    if (std::chrono::steady_clock::now() > deadline) {
      return absl::UnavailableError(absl::StrCat("the S3 test server did not listen within ",
                                                 config.start_timeout_ms, " ms; its log:\n",
                                                 Tail(server->log())));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

S3TestServer::~S3TestServer() {
  if (pid_ <= 0) return;
  ::kill(pid_, SIGTERM);
  for (int i = 0; i < 250; ++i) {  // 5 s
    if (::waitpid(pid_, nullptr, WNOHANG) == pid_) return;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  ::kill(pid_, SIGKILL);
  ::waitpid(pid_, nullptr, 0);
}

std::string S3TestServer::endpoint() const { return absl::StrCat("http://127.0.0.1:", port_); }

ObjectStoreOptions S3TestServer::options() const {
  ObjectStoreOptions options;
  options.endpoint = endpoint();
  options.region = "us-east-1";
  options.path_style = true;
  options.access_key_id = kAccessKeyId;
  options.secret_access_key = kSecretAccessKey;
  options.connect_timeout_ms = 5'000;
  options.idle_timeout_ms = 30'000;
  options.max_attempts = 2;
  return options;
}

std::string S3TestServer::uri(const std::string& prefix) const {
  return prefix.empty() ? absl::StrCat("s3://", bucket_)
                        : absl::StrCat("s3://", bucket_, "/", prefix);
}

std::string S3TestServer::log() const {
  StatusOr<std::string> text = ReadFile(dir_.path() + "/server.log");
  return text.ok() ? *text : std::string(text.status().message());
}

}  // namespace keel::testing
