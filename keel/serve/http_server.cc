#include "keel/serve/http_server.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <list>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "boost/asio/executor_work_guard.hpp"
#include "boost/asio/io_context.hpp"
#include "boost/asio/ip/tcp.hpp"
#include "boost/asio/post.hpp"
#include "boost/asio/signal_set.hpp"
#include "boost/asio/ssl.hpp"
#include "boost/asio/steady_timer.hpp"
#include "boost/asio/write.hpp"
#include "boost/beast/core.hpp"
#include "boost/beast/http.hpp"
#include "keel/base/json_string.h"
#include "spdlog/spdlog.h"

namespace keel::serve {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

// How the server runs: one io_context per I/O thread, each run by its own
// thread (nginx's model: a connection stays on one thread, so nothing per
// connection needs a strand or a lock). The acceptor (and the signal set)
// has a context and thread of its own, so a worker busy in a handler (a
// dynamic batch waiting for rows) never delays new connections; it hands
// each new socket to the next worker in turn. Timeouts
// are deadlines that each context's sweeper checks a few times per
// read_timeout, rather than a timer armed per operation. A response is
// written as one buffer (status line, headers and body).

namespace http_internal {

class SessionBase;

// One I/O thread's context and the sessions it runs.
struct Worker {
  std::list<SessionBase*> sessions;  // declared first: outlives the context
  asio::io_context ioc{1};
  std::optional<asio::steady_timer> sweeper;
  std::optional<asio::executor_work_guard<asio::io_context::executor_type>> work;
};

}  // namespace http_internal

using http_internal::SessionBase;
using http_internal::Worker;

struct HttpServer::Impl {
  Router* router;
  ServerMetrics* metrics;
  HttpServerOptions options;
  std::optional<asio::ssl::context> tls;  // before the workers: their sessions use it
  std::vector<std::unique_ptr<Worker>> workers;
  asio::io_context accept_ioc{1};  // the acceptor's and the signal set's
  std::optional<tcp::acceptor> acceptor;
  size_t next_worker = 0;
  std::chrono::steady_clock::duration sweep_interval;
  std::vector<std::thread> threads;
  std::atomic<bool> draining{false};
  std::atomic<int64_t> busy{0};  // requests read and not yet fully answered
  std::mutex mutex;
  bool stopped = false;
  std::optional<asio::signal_set> signals;
  std::thread drainer;

  void Accept();
  void Sweep(Worker* worker);
  void Drain();
};

namespace {

using Clock = std::chrono::steady_clock;

std::string_view Header(const http::request<http::string_body>& request, http::field field) {
  auto it = request.find(field);
  if (it == request.end()) return {};
  return std::string_view(it->value().data(), it->value().size());
}

std::string_view HeaderByName(const http::request<http::string_body>& request,
                              std::string_view name) {
  auto it = request.find(beast::string_view(name.data(), name.size()));
  if (it == request.end()) return {};
  return std::string_view(it->value().data(), it->value().size());
}

// A JSON error for failures before the router sees the request.
std::string ErrorBody(std::string_view message) {
  std::string body = "{\"error\":";
  AppendJsonString(message, &body);
  body.push_back('}');
  return body;
}

tcp::socket& LowestSocket(tcp::socket& s) { return s; }
tcp::socket& LowestSocket(asio::ssl::stream<tcp::socket>& s) { return s.next_layer(); }

}  // namespace

namespace http_internal {

// A connection as its worker's sweeper sees it: a deadline, and a way to
// cut it off. Created, used and destroyed on its worker's thread only.
class SessionBase {
 public:
  explicit SessionBase(Worker* worker) : worker_(worker) {
    where_ = worker_->sessions.insert(worker_->sessions.end(), this);
  }
  virtual ~SessionBase() { worker_->sessions.erase(where_); }
  SessionBase(const SessionBase&) = delete;
  SessionBase& operator=(const SessionBase&) = delete;

  Clock::time_point deadline() const { return deadline_; }
  // Closes the socket: its pending operation completes with an error.
  virtual void Expire() = 0;

 protected:
  Clock::time_point deadline_ = Clock::time_point::max();

 private:
  Worker* worker_;
  std::list<SessionBase*>::iterator where_;
};

}  // namespace http_internal

namespace {

template <class Stream>
class Session : public SessionBase, public std::enable_shared_from_this<Session<Stream>> {
 public:
  Session(HttpServer::Impl* server, Worker* worker, Stream stream)
      : SessionBase(worker), server_(server), stream_(std::move(stream)) {}

  void Start() {
    if constexpr (std::is_same_v<Stream, tcp::socket>) {
      Read();
    } else {
      SetDeadline();
      stream_.async_handshake(asio::ssl::stream_base::server,
                              [self = this->shared_from_this()](beast::error_code ec) {
                                if (ec) return;  // a failed handshake only closes the connection
                                self->Read();
                              });
    }
  }

  void Expire() override {
    beast::error_code ignored;
    LowestSocket(stream_).close(ignored);
  }

 private:
  void SetDeadline() {
    deadline_ = Clock::now() +
                std::chrono::microseconds(absl::ToInt64Microseconds(server_->options.read_timeout));
  }

  void Read() {
    parser_.emplace();
    parser_->body_limit(static_cast<uint64_t>(server_->options.max_body_bytes));
    parser_->header_limit(static_cast<uint32_t>(server_->options.max_header_bytes));
    SetDeadline();
    http::async_read(
        stream_, buffer_, *parser_,
        [self = this->shared_from_this()](beast::error_code ec, size_t) { self->OnRead(ec); });
  }

  void OnRead(beast::error_code ec) {
    if (ec == http::error::end_of_stream || ec == asio::error::eof ||
        ec == asio::error::operation_aborted || ec == asio::error::connection_reset ||
        ec == asio::error::bad_descriptor) {
      return Close();  // closed by the peer, or cut off by the sweeper
    }
    if (ec) {
      // Too large, or not HTTP: answer once and close.
      int status = 400;
      std::string message = absl::StrCat("malformed HTTP request: ", ec.message());
      if (ec == http::error::body_limit) {
        status = 413;
        message = absl::StrCat("request body larger than the limit of ",
                               server_->options.max_body_bytes, " bytes (--max-body-bytes)");
      } else if (ec == http::error::header_limit) {
        status = 431;
        message = absl::StrCat("request headers larger than the limit of ",
                               server_->options.max_header_bytes, " bytes");
      }
      server_->metrics->RecordRequest("http_error", "", 0, status, 0);
      return Reply(status, ErrorBody(message), "application/json", false, {});
    }
    const auto start = Clock::now();
    http::request<http::string_body>& request = parser_->get();
    const bool keep_alive = request.keep_alive() && !server_->draining.load();
    server_->busy.fetch_add(1);
    counted_ = true;
    head_ = request.method() == http::verb::head;
    version_ = request.version();
    std::atomic<int64_t>& inflight = server_->metrics->inflight();
    if (inflight.fetch_add(1) >= server_->options.max_inflight) {
      inflight.fetch_sub(1);
      server_->metrics->RecordRequest("overload", "", 0, 503, 0);
      return Reply(503,
                   ErrorBody("the server is at its limit of requests in flight; retry shortly"),
                   "application/json", keep_alive, "1");
    }
    HttpRequest in;
    in.method = std::string_view(request.method_string().data(), request.method_string().size());
    in.target = std::string_view(request.target().data(), request.target().size());
    in.body = request.body();
    in.authorization = Header(request, http::field::authorization);
    in.api_key = HeaderByName(request, "X-API-Key");
    HttpResponse out;
    server_->router->Handle(in, &out);
    inflight.fetch_sub(1);
    if (server_->options.access_log) AccessLog(in, out, start);
    Reply(out.status, std::move(out.body), out.content_type, keep_alive, {}, out.allow);
  }

  void AccessLog(const HttpRequest& in, const HttpResponse& out, Clock::time_point start) {
    const double ms = std::chrono::duration<double, std::milli>(Clock::now() - start).count();
    beast::error_code ignored;
    auto endpoint = LowestSocket(stream_).remote_endpoint(ignored);
    std::string line = "{\"remote\":";
    AppendJsonString(ignored ? "" : endpoint.address().to_string(), &line);
    line.append(",\"method\":");
    AppendJsonString(in.method, &line);
    line.append(",\"path\":");
    AppendJsonString(in.target.substr(0, in.target.find('?')), &line);
    absl::StrAppend(&line, ",\"status\":", out.status, ",\"ms\":", absl::StrFormat("%.3f", ms),
                    ",\"bytes_in\":", in.body.size(), ",\"bytes_out\":", out.body.size());
    if (!out.model.empty()) {
      line.append(",\"model\":");
      AppendJsonString(out.model, &line);
      absl::StrAppend(&line, ",\"version\":", out.version);
    }
    line.push_back('}');
    spdlog::info("access {}", line);
  }

  // Writes the whole response as one buffer. HTTP/1.1 closes with
  // "Connection: close", HTTP/1.0 keeps alive only with
  // "Connection: keep-alive"; a HEAD answer has the length but no body.
  void Reply(int status, std::string body, std::string_view content_type, bool keep_alive,
             std::string_view retry_after, std::string_view allow = {}) {
    const beast::string_view reason = http::obsolete_reason(static_cast<http::status>(status));
    out_.clear();
    out_.append(version_ == 10 ? "HTTP/1.0 " : "HTTP/1.1 ");
    absl::StrAppend(&out_, status);
    out_.push_back(' ');
    out_.append(reason.data(), reason.size());
    out_.append("\r\nServer: keel\r\nContent-Type: ");
    out_.append(content_type);
    out_.append("\r\n");
    if (!retry_after.empty()) out_.append("Retry-After: ").append(retry_after).append("\r\n");
    if (!allow.empty()) out_.append("Allow: ").append(allow).append("\r\n");
    if (version_ == 10 && keep_alive) out_.append("Connection: keep-alive\r\n");
    if (version_ != 10 && !keep_alive) out_.append("Connection: close\r\n");
    out_.append("Content-Length: ");
    absl::StrAppend(&out_, body.size());
    out_.append("\r\n\r\n");
    if (!head_) out_.append(body);
    keep_alive_ = keep_alive;
    SetDeadline();
    asio::async_write(
        stream_, asio::buffer(out_),
        [self = this->shared_from_this()](beast::error_code ec, size_t) { self->OnWrite(ec); });
  }

  void OnWrite(beast::error_code ec) {
    if (counted_) {
      server_->busy.fetch_sub(1);
      counted_ = false;
    }
    if (ec || !keep_alive_) return Close();
    Read();
  }

  void Close() {
    deadline_ = Clock::time_point::max();
    beast::error_code ignored;
    LowestSocket(stream_).shutdown(tcp::socket::shutdown_send, ignored);
  }

  HttpServer::Impl* server_;
  Stream stream_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  std::string out_;  // the response being written
  unsigned version_ = 11;
  bool head_ = false;
  bool keep_alive_ = false;
  bool counted_ = false;
};

}  // namespace

void HttpServer::Impl::Accept() {
  Worker* worker = workers[next_worker].get();
  next_worker = (next_worker + 1) % workers.size();
  acceptor->async_accept(worker->ioc, [this, worker](beast::error_code ec, tcp::socket socket) {
    if (ec) {
      if (ec == asio::error::operation_aborted || !acceptor->is_open()) return;
      spdlog::warn("accept failed: {}", ec.message());
    } else {
      socket.set_option(tcp::no_delay(true), ec);
      // The session starts on its worker's thread, which owns it from then on.
      asio::post(worker->ioc, [this, worker, socket = std::move(socket)]() mutable {
        if (tls.has_value()) {
          std::make_shared<Session<asio::ssl::stream<tcp::socket>>>(
              this, worker, asio::ssl::stream<tcp::socket>(std::move(socket), *tls))
              ->Start();
        } else {
          std::make_shared<Session<tcp::socket>>(this, worker, std::move(socket))->Start();
        }
      });
    }
    Accept();
  });
}

void HttpServer::Impl::Sweep(Worker* worker) {
  worker->sweeper->expires_after(sweep_interval);
  worker->sweeper->async_wait([this, worker](beast::error_code ec) {
    if (ec) return;
    const Clock::time_point now = Clock::now();
    for (SessionBase* session : worker->sessions) {
      if (session->deadline() <= now) session->Expire();
    }
    Sweep(worker);
  });
}

void HttpServer::Impl::Drain() {
  router->set_draining(true);
  draining = true;
  asio::post(accept_ioc, [this] {
    beast::error_code ignored;
    acceptor->close(ignored);
  });
  const auto deadline =
      Clock::now() + std::chrono::microseconds(absl::ToInt64Microseconds(options.drain_timeout));
  while (busy.load() > 0 && Clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  if (busy.load() > 0) spdlog::warn("drain timed out with {} requests in flight", busy.load());
  for (auto& worker : workers) worker->ioc.stop();
  accept_ioc.stop();
}

HttpServer::HttpServer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

StatusOr<std::unique_ptr<HttpServer>> HttpServer::Start(Router* router, ServerMetrics* metrics,
                                                        HttpServerOptions options) {
  auto impl = std::make_unique<Impl>();
  impl->router = router;
  impl->metrics = metrics;
  impl->options = std::move(options);
  const HttpServerOptions& o = impl->options;
  const int threads = o.threads > 0 ? o.threads : std::max(1u, std::thread::hardware_concurrency());
  for (int i = 0; i < threads; ++i) {
    auto worker = std::make_unique<Worker>();
    worker->sweeper.emplace(worker->ioc);
    worker->work.emplace(worker->ioc.get_executor());
    impl->workers.push_back(std::move(worker));
  }
  // Deadlines are checked a few times per read timeout (at most every 250 ms).
  impl->sweep_interval = std::clamp<Clock::duration>(
      std::chrono::microseconds(absl::ToInt64Microseconds(o.read_timeout) / 4),
      std::chrono::milliseconds(5), std::chrono::milliseconds(250));
  impl->acceptor.emplace(impl->accept_ioc);
  if (o.tls_cert.empty() != o.tls_key.empty()) {
    return absl::InvalidArgumentError("TLS needs both --tls-cert and --tls-key");
  }
  if (!o.tls_cert.empty()) {
    impl->tls.emplace(asio::ssl::context::tls_server);
    beast::error_code ec;
    impl->tls->set_options(asio::ssl::context::default_workarounds | asio::ssl::context::no_sslv2 |
                           asio::ssl::context::no_sslv3 | asio::ssl::context::no_tlsv1 |
                           asio::ssl::context::no_tlsv1_1);
    impl->tls->use_certificate_chain_file(o.tls_cert, ec);
    if (ec)
      return absl::InvalidArgumentError(
          absl::StrCat("TLS certificate ", o.tls_cert, ": ", ec.message()));
    impl->tls->use_private_key_file(o.tls_key, asio::ssl::context::pem, ec);
    if (ec)
      return absl::InvalidArgumentError(absl::StrCat("TLS key ", o.tls_key, ": ", ec.message()));
  }
  beast::error_code ec;
  asio::ip::address address = asio::ip::make_address(o.host, ec);
  if (ec)
    return absl::InvalidArgumentError(absl::StrCat("--host '", o.host, "' is not an IP address"));
  if (o.port < 0 || o.port > 65535)
    return absl::InvalidArgumentError(absl::StrCat("--port ", o.port, " out of range"));
  tcp::endpoint endpoint(address, static_cast<uint16_t>(o.port));
  impl->acceptor->open(endpoint.protocol(), ec);
  if (!ec) impl->acceptor->set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) impl->acceptor->bind(endpoint, ec);
  if (!ec) impl->acceptor->listen(asio::socket_base::max_listen_connections, ec);
  if (ec) {
    return absl::UnavailableError(
        absl::StrCat("cannot listen on ", o.host, ":", o.port, ": ", ec.message()));
  }
  Impl* raw = impl.get();
  if (o.handle_signals) {
    impl->signals.emplace(impl->accept_ioc, SIGTERM, SIGINT);
    impl->signals->async_wait([raw](beast::error_code error, int signal) {
      if (error) return;
      spdlog::info("signal {}: draining", signal);
      raw->drainer = std::thread([raw] { raw->Drain(); });
    });
  }
  impl->Accept();
  impl->threads.emplace_back([raw] { raw->accept_ioc.run(); });
  for (auto& worker : impl->workers) {
    Worker* w = worker.get();
    asio::post(w->ioc, [raw, w] { raw->Sweep(w); });
    impl->threads.emplace_back([raw, w] {
      w->ioc.run();
      std::lock_guard<std::mutex> lock(raw->mutex);
      raw->stopped = true;
    });
  }
  return std::unique_ptr<HttpServer>(new HttpServer(std::move(impl)));
}

HttpServer::~HttpServer() {
  Shutdown();
  Wait();
}

int HttpServer::port() const {
  beast::error_code ec;
  return impl_->acceptor->local_endpoint(ec).port();
}

void HttpServer::Shutdown() {
  {
    std::lock_guard<std::mutex> lock(impl_->mutex);
    if (impl_->stopped) return;
  }
  if (!impl_->draining.exchange(true)) impl_->Drain();
}

void HttpServer::Wait() {
  for (std::thread& t : impl_->threads) {
    if (t.joinable()) t.join();
  }
  if (impl_->drainer.joinable()) impl_->drainer.join();
}

}  // namespace keel::serve
