#include "keel/features/testing/redis_test_server.h"

#include <hiredis/hiredis.h>
#include <signal.h>
#include <sys/time.h>

#include <chrono>
#include <string_view>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "keel/base/files.h"
#include "keel/base/testing/ports.h"

namespace keel::testing {
namespace {

constexpr char kInstallHint[] =
    "install Debian's `redis-server` package (listed in scripts/debian-packages.txt; `make deps`)";

std::string Tail(const std::string& text, size_t max_bytes = 4000) {
  return text.size() <= max_bytes ? text : "..." + text.substr(text.size() - max_bytes);
}

// Runs `args` on 127.0.0.1:`port`, database `db`, after AUTH `password`
// when it is not empty.
StatusOr<RedisTestServer::Reply> RunCommand(int port, const std::string& password, int db,
                                            const std::vector<std::string>& args) {
  redisContext* c = redisConnectWithTimeout("127.0.0.1", port, timeval{.tv_sec = 2, .tv_usec = 0});
  if (c == nullptr || c->err != 0) {
    const std::string error = c == nullptr ? "out of memory" : c->errstr;
    redisFree(c);
    return absl::UnavailableError(
        absl::StrCat("redis test server at 127.0.0.1:", port, ": ", error));
  }
  redisSetTimeout(c, timeval{.tv_sec = 10, .tv_usec = 0});
  std::vector<std::vector<std::string>> commands;
  if (!password.empty()) commands.push_back({"AUTH", password});
  if (db != 0) commands.push_back({"SELECT", absl::StrCat(db)});
  commands.push_back(args);
  StatusOr<RedisTestServer::Reply> out;
  for (const std::vector<std::string>& command : commands) {
    std::vector<const char*> argv;
    std::vector<size_t> lengths;
    for (const std::string& a : command) {
      argv.push_back(a.data());
      lengths.push_back(a.size());
    }
    auto* r = static_cast<redisReply*>(
        redisCommandArgv(c, static_cast<int>(argv.size()), argv.data(), lengths.data()));
    if (r == nullptr) {
      out = absl::UnavailableError(absl::StrCat("redis test server: ", c->errstr));
    } else if (r->type == REDIS_REPLY_ERROR) {
      out = absl::InternalError(
          absl::StrCat("redis test server: ", command[0], ": ", std::string(r->str, r->len)));
    } else {
      RedisTestServer::Reply reply;
      reply.integer = r->integer;
      if (r->str != nullptr) reply.str.assign(r->str, r->len);
      for (size_t i = 0; i < r->elements; ++i) {
        const redisReply* e = r->element[i];
        reply.elements.push_back(e->str == nullptr ? "" : std::string(e->str, e->len));
      }
      out = std::move(reply);
    }
    freeReplyObject(r);
    if (!out.ok()) break;
  }
  redisFree(c);
  return out;
}

}  // namespace

StatusOr<std::unique_ptr<RedisTestServer>> RedisTestServer::Start(const Config& config) {
  if (!PathExists(kBinary)) {
    return absl::FailedPreconditionError(
        absl::StrCat("no ", kBinary, " to run the Redis tests against; ", kInstallHint));
  }
  std::unique_ptr<RedisTestServer> server(new RedisTestServer(config));
  // A port can be taken between FreeLoopbackPort() and the server's bind: retry.
  for (int attempt = 0; attempt < 3; ++attempt) {
    KEEL_ASSIGN_OR_RETURN(server->port_, FreeLoopbackPort());
    bool port_taken = false;
    const Status started = server->Launch(&port_taken);
    if (started.ok()) return server;
    if (!port_taken) return started;
  }
  return absl::UnavailableError(absl::StrCat(
      "redis-server could not bind a free port in 3 tries; its log:\n", Tail(server->log())));
}

RedisTestServer::~RedisTestServer() { Stop(); }

Status RedisTestServer::Launch(bool* port_taken) {
  *port_taken = false;
  const std::string& dir = dir_.path();
  std::vector<std::string> args = {kBinary,
                                   "--port",
                                   absl::StrCat(port_),
                                   "--bind",
                                   "127.0.0.1",
                                   "--unixsocket",
                                   socket_path(),
                                   "--unixsocketperm",
                                   "700",
                                   "--dir",
                                   dir,
                                   "--dbfilename",
                                   "dump.rdb",
                                   "--save",
                                   "",
                                   "--appendonly",
                                   "no",
                                   "--daemonize",
                                   "no",
                                   "--logfile",
                                   dir + "/redis.log"};
  if (!config_.password.empty()) {
    args.push_back("--requirepass");
    args.push_back(config_.password);
  }
  process_ = std::make_unique<BackgroundProcess>(args, CommandOptions{.cwd = dir});
  if (!process_->started()) {
    process_.reset();
    return absl::UnavailableError(absl::StrCat("cannot start ", kBinary));
  }
  const auto deadline =
      std::chrono::steady_clock::now() + std::chrono::milliseconds(config_.start_timeout_ms);
  while (true) {
    StatusOr<Reply> ping = RunCommand(port_, config_.password, 0, {"PING"});
    if (ping.ok() && ping->str == "PONG") return absl::OkStatus();
    if (!process_->Running()) {
      const std::string output = process_->out() + process_->err();
      process_.reset();
      const std::string text = log() + output;
      *port_taken = text.find("Address already in use") != std::string::npos;
      return absl::UnavailableError(
          absl::StrCat("redis-server exited at start; its log:\n", Tail(text)));
    }
    if (std::chrono::steady_clock::now() > deadline) {
      Stop();
      return absl::UnavailableError(absl::StrCat("redis-server did not answer PING within ",
                                                 config_.start_timeout_ms, " ms; its log:\n",
                                                 Tail(log())));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
}

void RedisTestServer::Stop() {
  if (process_ == nullptr) return;
  process_->Stop(SIGTERM, 10'000);
  process_.reset();
}

void RedisTestServer::Kill() {
  if (process_ == nullptr) return;
  process_->Stop(SIGKILL, 10'000);
  process_.reset();
}

Status RedisTestServer::StartAgain() {
  if (process_ != nullptr) return absl::OkStatus();
  bool port_taken = false;
  const Status started = Launch(&port_taken);
  if (!started.ok() && port_taken) {
    return absl::UnavailableError(absl::StrCat("redis-server cannot start again on port ", port_,
                                               ": it was taken meanwhile; ", started.message()));
  }
  return started;
}

Status RedisTestServer::Restart() {
  Stop();
  return StartAgain();
}

std::string RedisTestServer::url() const {
  return absl::StrCat("redis://", config_.password.empty() ? "" : ":", config_.password,
                      config_.password.empty() ? "" : "@", "127.0.0.1:", port_);
}

StatusOr<RedisTestServer::Reply> RedisTestServer::Command(const std::vector<std::string>& args,
                                                          int db) const {
  return RunCommand(port_, config_.password, db, args);
}

std::string RedisTestServer::log() const {
  StatusOr<std::string> text = ReadFile(dir_.path() + "/redis.log");
  return text.ok() ? *text : std::string(text.status().message());
}

}  // namespace keel::testing
