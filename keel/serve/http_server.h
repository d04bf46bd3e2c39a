// The HTTP/1.1 front of `keel serve` (Boost.Beast over Asio, kept inside
// http_server.cc): keep-alive, pipelining, several I/O threads, optional
// TLS, limits on body and header sizes, a read timeout per request (slow
// clients cannot hold a connection), a cap on requests in flight (503 with
// Retry-After beyond it), a JSON access log, and a graceful drain on
// SIGTERM/SIGINT or Shutdown().
//
//   KEEL_ASSIGN_OR_RETURN(auto server, HttpServer::Start(&router, &metrics, options));
//   server->Wait();   // until a signal (when handle_signals) or Shutdown()
#ifndef KEEL_SERVE_HTTP_SERVER_H_
#define KEEL_SERVE_HTTP_SERVER_H_

#include <cstdint>
#include <memory>
#include <string>

#include "absl/time/time.h"
#include "keel/base/status.h"
#include "keel/serve/metrics.h"
#include "keel/serve/router.h"

namespace keel::serve {

struct HttpServerOptions {
  std::string host = "127.0.0.1";
  int port = 8080;  // 0: any free port (see HttpServer::port())
  int threads = 0;  // I/O threads; 0: one per core
  int64_t max_body_bytes = 16 << 20;
  int64_t max_header_bytes = 16 << 10;
  // Time allowed to receive one whole request, and to wait for the next one
  // on a kept-alive connection.
  absl::Duration read_timeout = absl::Seconds(30);
  int64_t max_inflight = 1024;  // requests handled at once
  std::string tls_cert;         // PEM files; both or neither
  std::string tls_key;
  bool access_log = true;
  bool handle_signals = false;  // drain and stop on SIGTERM / SIGINT
  absl::Duration drain_timeout = absl::Seconds(30);
};

class HttpServer {
 public:
  // Binds and starts serving on background threads. Errors: InvalidArgument
  // for bad options or TLS files; Unavailable when the address is taken.
  static StatusOr<std::unique_ptr<HttpServer>> Start(Router* router, ServerMetrics* metrics,
                                                     HttpServerOptions options);
  ~HttpServer();

  int port() const;
  // Stops accepting, marks the router draining (readiness 503), lets requests
  // in flight finish (up to drain_timeout), then stops. Idempotent; safe
  // from any thread but an I/O thread.
  void Shutdown();
  // Blocks until the server stopped (Shutdown, or a signal when
  // handle_signals).
  void Wait();

  struct Impl;

 private:
  explicit HttpServer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace keel::serve

#endif  // KEEL_SERVE_HTTP_SERVER_H_
