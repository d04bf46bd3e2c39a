#include "keel/serve/http_server.h"

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <optional>
#include <thread>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "boost/asio/ip/tcp.hpp"
#include "boost/asio/signal_set.hpp"
#include "boost/asio/ssl.hpp"
#include "boost/asio/strand.hpp"
#include "boost/beast/core.hpp"
#include "boost/beast/http.hpp"
#include "boost/beast/ssl.hpp"
#include "keel/base/json_string.h"
#include "spdlog/spdlog.h"

namespace keel::serve {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

struct HttpServer::Impl {
  Router* router;
  ServerMetrics* metrics;
  HttpServerOptions options;
  asio::io_context ioc;
  std::optional<asio::ssl::context> tls;
  tcp::acceptor acceptor{ioc};
  std::vector<std::thread> threads;
  std::atomic<bool> draining{false};
  std::atomic<int64_t> busy{0};  // requests read and not yet fully answered
  std::mutex mutex;
  std::condition_variable stopped_cv;
  bool stopped = false;
  std::optional<asio::signal_set> signals;
  std::thread drainer;

  void Accept();
  void Drain();
};

namespace {

std::string_view Header(const http::request<http::string_body>& request, http::field field) {
  auto it = request.find(field);
  if (it == request.end()) return {};
  return std::string_view(it->value().data(), it->value().size());
}

std::string_view HeaderByName(const http::request<http::string_body>& request, std::string_view name) {
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

template <class Stream>
class Session : public std::enable_shared_from_this<Session<Stream>> {
 public:
  Session(HttpServer::Impl* server, Stream stream) : server_(server), stream_(std::move(stream)) {}

  void Start() {
    if constexpr (std::is_same_v<Stream, beast::tcp_stream>) {
      Read();
    } else {
      beast::get_lowest_layer(stream_).expires_after(
          std::chrono::microseconds(absl::ToInt64Microseconds(server_->options.read_timeout)));
      stream_.async_handshake(asio::ssl::stream_base::server,
                              [self = this->shared_from_this()](beast::error_code ec) {
                                if (ec) return;  // a failed handshake only closes the connection
                                self->Read();
                              });
    }
  }

 private:
  void Read() {
    parser_.emplace();
    parser_->body_limit(static_cast<uint64_t>(server_->options.max_body_bytes));
    parser_->header_limit(static_cast<uint32_t>(server_->options.max_header_bytes));
    beast::get_lowest_layer(stream_).expires_after(
        std::chrono::microseconds(absl::ToInt64Microseconds(server_->options.read_timeout)));
    http::async_read(stream_, buffer_, *parser_,
                     [self = this->shared_from_this()](beast::error_code ec, size_t) { self->OnRead(ec); });
  }

  void OnRead(beast::error_code ec) {
    if (ec == http::error::end_of_stream || ec == beast::error::timeout || ec == asio::error::eof ||
        ec == asio::error::operation_aborted || ec == asio::error::connection_reset) {
      return Close();
    }
    if (ec) {
      // Too large, or not HTTP: answer once and close.
      int status = 400;
      std::string message = absl::StrCat("malformed HTTP request: ", ec.message());
      if (ec == http::error::body_limit) {
        status = 413;
        message = absl::StrCat("request body larger than the limit of ", server_->options.max_body_bytes,
                               " bytes (--max-body-bytes)");
      } else if (ec == http::error::header_limit) {
        status = 431;
        message = absl::StrCat("request headers larger than the limit of ",
                               server_->options.max_header_bytes, " bytes");
      }
      server_->metrics->RecordRequest("http_error", "", 0, status, 0);
      return Reply(status, ErrorBody(message), "application/json", false, {});
    }
    const auto start = std::chrono::steady_clock::now();
    http::request<http::string_body>& request = parser_->get();
    const bool keep_alive = request.keep_alive() && !server_->draining.load();
    server_->busy.fetch_add(1);
    counted_ = true;
    std::atomic<int64_t>& inflight = server_->metrics->inflight();
    if (inflight.fetch_add(1) >= server_->options.max_inflight) {
      inflight.fetch_sub(1);
      server_->metrics->RecordRequest("overload", "", 0, 503, 0);
      return Reply(503, ErrorBody("the server is at its limit of requests in flight; retry shortly"),
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
    if (server_->options.access_log) {
      const double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
      beast::error_code ignored;
      auto endpoint = beast::get_lowest_layer(stream_).socket().remote_endpoint(ignored);
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
    head_ = request.method() == http::verb::head;
    version_ = request.version();
    Reply(out.status, std::move(out.body), out.content_type, keep_alive, {}, out.allow);
  }

  void Reply(int status, std::string body, std::string_view content_type, bool keep_alive,
             std::string_view retry_after, std::string_view allow = {}) {
    auto response = std::make_shared<http::response<http::string_body>>(
        static_cast<http::status>(status), version_);
    response->set(http::field::server, "keel");
    response->set(http::field::content_type, beast::string_view(content_type.data(), content_type.size()));
    if (!retry_after.empty()) response->set(http::field::retry_after, beast::string_view(retry_after.data(), retry_after.size()));
    if (!allow.empty()) response->set(http::field::allow, beast::string_view(allow.data(), allow.size()));
    response->body() = std::move(body);
    response->keep_alive(keep_alive);
    response->prepare_payload();
    if (head_) response->body().clear();
    http::async_write(stream_, *response,
                      [self = this->shared_from_this(), response](beast::error_code ec, size_t) {
                        self->OnWrite(ec, response->keep_alive());
                      });
  }

  void OnWrite(beast::error_code ec, bool keep_alive) {
    if (counted_) {
      server_->busy.fetch_sub(1);
      counted_ = false;
    }
    if (ec || !keep_alive) return Close();
    Read();
  }

  void Close() {
    beast::error_code ignored;
    if constexpr (std::is_same_v<Stream, beast::tcp_stream>) {
      stream_.socket().shutdown(tcp::socket::shutdown_send, ignored);
    } else {
      beast::get_lowest_layer(stream_).socket().shutdown(tcp::socket::shutdown_send, ignored);
    }
  }

  HttpServer::Impl* server_;
  Stream stream_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  unsigned version_ = 11;
  bool head_ = false;
  bool counted_ = false;
};

}  // namespace

void HttpServer::Impl::Accept() {
  acceptor.async_accept(asio::make_strand(ioc), [this](beast::error_code ec, tcp::socket socket) {
    if (ec) {
      if (ec == asio::error::operation_aborted || !acceptor.is_open()) return;
      spdlog::warn("accept failed: {}", ec.message());
    } else {
      socket.set_option(tcp::no_delay(true), ec);
      if (tls.has_value()) {
        std::make_shared<Session<beast::ssl_stream<beast::tcp_stream>>>(
            this, beast::ssl_stream<beast::tcp_stream>(beast::tcp_stream(std::move(socket)), *tls))
            ->Start();
      } else {
        std::make_shared<Session<beast::tcp_stream>>(this, beast::tcp_stream(std::move(socket)))->Start();
      }
    }
    Accept();
  });
}

void HttpServer::Impl::Drain() {
  router->set_draining(true);
  draining = true;
  asio::post(acceptor.get_executor(), [this] {
    beast::error_code ignored;
    acceptor.close(ignored);
  });
  const auto deadline = std::chrono::steady_clock::now() +
                        std::chrono::microseconds(absl::ToInt64Microseconds(options.drain_timeout));
  while (busy.load() > 0 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  if (busy.load() > 0) spdlog::warn("drain timed out with {} requests in flight", busy.load());
  ioc.stop();
}

HttpServer::HttpServer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

StatusOr<std::unique_ptr<HttpServer>> HttpServer::Start(Router* router, ServerMetrics* metrics,
                                                        HttpServerOptions options) {
  auto impl = std::make_unique<Impl>();
  impl->router = router;
  impl->metrics = metrics;
  impl->options = std::move(options);
  const HttpServerOptions& o = impl->options;
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
    if (ec) return absl::InvalidArgumentError(absl::StrCat("TLS certificate ", o.tls_cert, ": ", ec.message()));
    impl->tls->use_private_key_file(o.tls_key, asio::ssl::context::pem, ec);
    if (ec) return absl::InvalidArgumentError(absl::StrCat("TLS key ", o.tls_key, ": ", ec.message()));
  }
  beast::error_code ec;
  asio::ip::address address = asio::ip::make_address(o.host, ec);
  if (ec) return absl::InvalidArgumentError(absl::StrCat("--host '", o.host, "' is not an IP address"));
  if (o.port < 0 || o.port > 65535) return absl::InvalidArgumentError(absl::StrCat("--port ", o.port, " out of range"));
  tcp::endpoint endpoint(address, static_cast<uint16_t>(o.port));
  impl->acceptor.open(endpoint.protocol(), ec);
  if (!ec) impl->acceptor.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) impl->acceptor.bind(endpoint, ec);
  if (!ec) impl->acceptor.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) {
    return absl::UnavailableError(absl::StrCat("cannot listen on ", o.host, ":", o.port, ": ", ec.message()));
  }
  Impl* raw = impl.get();
  if (o.handle_signals) {
    impl->signals.emplace(impl->ioc, SIGTERM, SIGINT);
    impl->signals->async_wait([raw](beast::error_code error, int signal) {
      if (error) return;
      spdlog::info("signal {}: draining", signal);
      raw->drainer = std::thread([raw] { raw->Drain(); });
    });
  }
  impl->Accept();
  const int threads = o.threads > 0 ? o.threads : std::max(1u, std::thread::hardware_concurrency());
  for (int i = 0; i < threads; ++i) {
    impl->threads.emplace_back([raw] {
      raw->ioc.run();
      std::lock_guard<std::mutex> lock(raw->mutex);
      raw->stopped = true;
      raw->stopped_cv.notify_all();
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
  return impl_->acceptor.local_endpoint(ec).port();
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
