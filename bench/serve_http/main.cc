// The small pieces bench/serve_http/run.sh needs besides wrk: a free port,
// and how long a server takes from process start to ready.
//
//   bench_serve_http free-port
//       Prints a TCP port of 127.0.0.1 that the kernel handed out (bind to
//       port 0) and that was free a moment ago.
//   bench_serve_http ready --port P [--cwd DIR] [--path /v2/health/ready] -- CMD ARG...
//       Starts CMD (searched in PATH) in DIR, polls GET PATH on 127.0.0.1:P
//       every 0.2 ms until it answers 200, stops CMD with SIGTERM and prints
//       "ready_ms X" (fork to the first 200, in ms) and, when CMD logged
//       "models loaded in X ms" (keel serve does), "load_ms X".
//
// Exit code 1 (and the server's stderr) when the server exits or is not
// ready within 60 s.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include "keel/base/testing/ports.h"
#include "keel/base/testing/subprocess.h"

namespace {

[[noreturn]] void Die(const std::string& what) {
  std::fprintf(stderr, "bench_serve_http: %s\n", what.c_str());
  std::exit(1);
}

sockaddr_in Loopback(int port) {
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  return addr;
}

// One GET over a fresh connection; true when the status line says 200.
bool Answers200(int port, const std::string& path) {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return false;
  sockaddr_in addr = Loopback(port);
  bool ok = false;
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0) {
    const std::string request =
        "GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n";
    char status[16] = {};
    size_t got = 0;
    if (write(fd, request.data(), request.size()) == static_cast<ssize_t>(request.size())) {
      while (got < 12) {
        const ssize_t n = read(fd, status + got, 12 - got);
        if (n <= 0) break;
        got += static_cast<size_t>(n);
      }
    }
    ok = got == 12 && std::strncmp(status + 8, " 200", 4) == 0;  // "HTTP/1.1 200"
  }
  close(fd);
  return ok;
}

int Ready(int argc, char** argv) {
  int port = 0;
  std::string cwd;
  std::string path = "/v2/health/ready";
  std::vector<std::string> command;
  for (int i = 2; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--") {
      command.assign(argv + i + 1, argv + argc);
      break;
    }
    if (i + 1 >= argc) Die("ready: " + arg + " needs a value");
    if (arg == "--port") {
      port = std::atoi(argv[++i]);
    } else if (arg == "--cwd") {
      cwd = argv[++i];
    } else if (arg == "--path") {
      path = argv[++i];
    } else {
      Die("ready: unknown option " + arg);
    }
  }
  if (port <= 0 || command.empty()) Die("ready: needs --port P and -- CMD ARG...");

  const auto start = std::chrono::steady_clock::now();
  keel::testing::BackgroundProcess server(command, {.cwd = cwd});
  if (!server.started()) Die("ready: cannot start " + command[0]);
  while (!Answers200(port, path)) {
    const double waited_s =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    if (!server.Running() || waited_s > 60) {
      server.Stop(SIGKILL);
      Die("ready: the server exited or was not ready within 60 s:\n" + server.err());
    }
    std::this_thread::sleep_for(std::chrono::microseconds(200));
  }
  const double ready_ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
  server.Stop(SIGTERM);
  std::printf("ready_ms %.1f\n", ready_ms);
  const std::string log = server.err();
  const std::string marker = "models loaded in ";
  if (const size_t at = log.find(marker); at != std::string::npos) {
    std::printf("load_ms %.1f\n", std::atof(log.c_str() + at + marker.size()));
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  const std::string mode = argc > 1 ? argv[1] : "";
  if (mode == "free-port") {
    keel::StatusOr<int> port = keel::testing::FreeLoopbackPort();
    if (!port.ok()) Die("free-port: " + std::string(port.status().message()));
    std::printf("%d\n", *port);
    return 0;
  }
  if (mode == "ready") return Ready(argc, argv);
  Die("usage: bench_serve_http free-port | ready --port P [--cwd DIR] [--path PATH] -- CMD ARG...");
}
