// The HTTP front over real loopback sockets: keep-alive, pipelining,
// HTTP/1.0, limits (body, slow clients, requests in flight), TLS, and
// zero failed requests while a moved alias swaps versions under load.
#include "keel/serve/http_server.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "keel/base/testing/subprocess.h"
#include "keel/base/testing/temp_dir.h"
#include "keel/serve/model_manager.h"
#include "keel/serve/router.h"
#include "keel/serve/test_fixture.h"
#include "nlohmann/json.hpp"

namespace keel::serve {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;
using json = nlohmann::json;

// A blocking loopback client that speaks just enough HTTP/1.1 for tests.
class Client {
 public:
  explicit Client(int port, int timeout_ms = 10000) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    timeval tv{.tv_sec = timeout_ms / 1000, .tv_usec = (timeout_ms % 1000) * 1000};
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    int one = 1;
    ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<uint16_t>(port));
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    connected_ = ::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0;
  }
  ~Client() { ::close(fd_); }

  bool connected() const { return connected_; }
  bool Send(std::string_view bytes) {
    while (!bytes.empty()) {
      const ssize_t n = ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
      if (n <= 0) return false;
      bytes.remove_prefix(static_cast<size_t>(n));
    }
    return true;
  }

  struct Response {
    int status = 0;  // 0: connection closed or timed out before a response
    std::string headers;
    std::string body;
  };
  // Reads one response (Content-Length framed).
  Response Read() {
    Response r;
    size_t end;
    while ((end = buffer_.find("\r\n\r\n")) == std::string::npos) {
      if (!Fill()) return r;
    }
    r.headers = buffer_.substr(0, end + 2);
    buffer_.erase(0, end + 4);
    if (r.headers.size() > 12) absl::SimpleAtoi(r.headers.substr(9, 3), &r.status);
    size_t length = 0;
    const size_t at = Lower(r.headers).find("content-length: ");
    if (at != std::string::npos) {
      absl::SimpleAtoi(r.headers.substr(at + 16, r.headers.find("\r\n", at) - at - 16), &length);
    }
    while (buffer_.size() < length) {
      if (!Fill()) return Response{};
    }
    r.body = buffer_.substr(0, length);
    buffer_.erase(0, length);
    return r;
  }
  // Whether the server closed the connection (reads EOF) within the timeout.
  bool ClosedByServer() {
    char c;
    return ::recv(fd_, &c, 1, 0) == 0;
  }

  static std::string Request(std::string_view method, std::string_view target,
                             std::string_view body = "", std::string_view extra_headers = "") {
    return absl::StrCat(std::string(method), " ", std::string(target),
                        " HTTP/1.1\r\nHost: localhost\r\n", std::string(extra_headers),
                        body.empty() ? "" : "Content-Type: application/json\r\n",
                        "Content-Length: ", body.size(), "\r\n\r\n", std::string(body));
  }

 private:
  static std::string Lower(std::string s) {
    for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return s;
  }
  bool Fill() {
    char chunk[65536];
    const ssize_t n = ::recv(fd_, chunk, sizeof(chunk), 0);
    if (n <= 0) return false;
    buffer_.append(chunk, static_cast<size_t>(n));
    return true;
  }

  int fd_ = -1;
  bool connected_ = false;
  std::string buffer_;
};

// One TF Serving row request for the fixture's model.
std::string PredictBody(int64_t row) {
  json instance = {{"amount", 10.5 + static_cast<double>(row % 7)},
                   {"merchant", row % 2 == 0 ? "grocery" : "travel"},
                   {"event_time", "2024-03-01T12:30:00Z"},
                   {"n_items", row % 5}};
  return json({{"instances", json::array({instance})}}).dump();
}

class HttpServerTest : public ::testing::Test {
 protected:
  HttpServerTest() : manager_(&fixture_.lake()), metrics_("test") {}

  void StartServer(HttpServerOptions options = {}, RouterOptions router_options = {}) {
    fixture_.TrainAndStore("fraud");
    ASSERT_TRUE(manager_.Add("fraud").ok());
    router_ = std::make_unique<Router>(&manager_, &metrics_, std::move(router_options));
    options.port = 0;
    options.access_log = false;
    if (options.threads == 0) options.threads = 2;
    auto started = HttpServer::Start(router_.get(), &metrics_, options);
    ASSERT_TRUE(started.ok()) << started.status();
    server_ = std::move(*started);
  }
  int port() const { return server_->port(); }

  testing::ServeFixture fixture_;
  ModelManager manager_;
  ServerMetrics metrics_;
  std::unique_ptr<Router> router_;
  std::unique_ptr<HttpServer> server_;
};

TEST_F(HttpServerTest, KeepAliveServesManyRequestsOnOneConnection) {
  StartServer();
  Client client(port());
  ASSERT_TRUE(client.connected());
  for (int i = 0; i < 20; ++i) {
    ASSERT_TRUE(client.Send(Client::Request("POST", "/v1/models/fraud:predict", PredictBody(i))));
    Client::Response r = client.Read();
    ASSERT_EQ(r.status, 200) << r.headers << r.body;
    EXPECT_THAT(r.body, StartsWith("{\"predictions\":"));
    EXPECT_THAT(r.headers, HasSubstr("Content-Type: application/json"));
  }
}

TEST_F(HttpServerTest, PipelinedRequestsAnswerInOrder) {
  StartServer();
  Client client(port());
  std::string batch = Client::Request("GET", "/v2/health/live") +
                      Client::Request("GET", "/v2/models/nope") +
                      Client::Request("GET", "/v2/health/ready");
  ASSERT_TRUE(client.Send(batch));
  EXPECT_EQ(client.Read().status, 200);
  Client::Response missing = client.Read();
  EXPECT_EQ(missing.status, 404);
  EXPECT_THAT(missing.body, HasSubstr("fraud"));  // names the served models
  EXPECT_EQ(client.Read().status, 200);
}

TEST_F(HttpServerTest, Http10IsAnsweredAndClosed) {
  StartServer();
  Client client(port());
  ASSERT_TRUE(client.Send("GET /v2/health/live HTTP/1.0\r\n\r\n"));
  Client::Response r = client.Read();
  EXPECT_EQ(r.status, 200);
  EXPECT_THAT(r.headers, StartsWith("HTTP/1.0 200"));
  EXPECT_TRUE(client.ClosedByServer());
}

TEST_F(HttpServerTest, MalformedHttpGets400AndClose) {
  StartServer();
  Client client(port());
  ASSERT_TRUE(client.Send("NOT HTTP AT ALL\r\n\r\n"));
  Client::Response r = client.Read();
  EXPECT_EQ(r.status, 400);
  EXPECT_THAT(json::parse(r.body)["error"].get<std::string>(), HasSubstr("malformed HTTP request"));
  EXPECT_TRUE(client.ClosedByServer());
}

TEST_F(HttpServerTest, BodyOverTheLimitIs413WithJson) {
  HttpServerOptions options;
  options.max_body_bytes = 1000;
  StartServer(options);
  Client client(port());
  ASSERT_TRUE(client.Send(Client::Request("POST", "/v1/models/fraud:predict", std::string(5000, ' '))));
  Client::Response r = client.Read();
  EXPECT_EQ(r.status, 413);
  EXPECT_THAT(json::parse(r.body)["error"].get<std::string>(),
              HasSubstr("larger than the limit of 1000 bytes"));
}

TEST_F(HttpServerTest, SlowClientIsCutOffAndOthersStillServed) {
  HttpServerOptions options;
  options.read_timeout = absl::Milliseconds(300);
  options.threads = 1;  // a held thread would starve everyone
  StartServer(options);
  // Slowloris: a request head sent a byte at a time, never finished.
  Client slow(port(), 3000);
  ASSERT_TRUE(slow.Send("POST /v1/models/fraud:predict HTTP/1.1\r\nHost: x\r\n"));
  const auto start = std::chrono::steady_clock::now();
  Client fast(port());
  ASSERT_TRUE(fast.Send(Client::Request("GET", "/v2/health/ready")));
  EXPECT_EQ(fast.Read().status, 200);
  for (int i = 0; i < 10 && !slow.ClosedByServer(); ++i) {
    slow.Send("X");
  }
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  EXPECT_LT(seconds, 2.5) << "the slow client held its connection past the read timeout";
}

TEST_F(HttpServerTest, ApiKeyRequiredOverTheWire) {
  RouterOptions router_options;
  router_options.api_keys = {"s3cret-key"};
  StartServer({}, router_options);
  Client client(port());
  ASSERT_TRUE(client.Send(Client::Request("POST", "/v1/models/fraud:predict", PredictBody(1))));
  Client::Response denied = client.Read();
  EXPECT_EQ(denied.status, 401);
  EXPECT_THAT(denied.body, Not(HasSubstr("s3cret")));
  ASSERT_TRUE(client.Send(Client::Request("POST", "/v1/models/fraud:predict", PredictBody(1),
                                          "X-API-Key: s3cret-key\r\n")));
  EXPECT_EQ(client.Read().status, 200);
  ASSERT_TRUE(client.Send(Client::Request("POST", "/v1/models/fraud:predict", PredictBody(1),
                                          "Authorization: Bearer s3cret-key\r\n")));
  EXPECT_EQ(client.Read().status, 200);
}

TEST_F(HttpServerTest, ShutdownDrainsAndRefusesNewConnections) {
  StartServer();
  Client client(port());
  ASSERT_TRUE(client.Send(Client::Request("GET", "/v2/health/live")));
  EXPECT_EQ(client.Read().status, 200);
  const int p = port();
  server_->Shutdown();
  server_->Wait();
  Client late(p, 1000);
  EXPECT_FALSE(late.connected() && late.Send(Client::Request("GET", "/v2/health/live")) &&
               late.Read().status == 200);
}

TEST_F(HttpServerTest, TlsServesOverHttps) {
  keel::testing::TempDir dir;
  const std::string cert = dir.path() + "/cert.pem";
  const std::string key = dir.path() + "/key.pem";
  keel::testing::CommandResult made = keel::testing::RunCommand(
      {"openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", cert,
       "-days", "1", "-subj", "/CN=localhost"});
  ASSERT_EQ(made.exit_code, 0) << made.err;
  HttpServerOptions options;
  options.tls_cert = cert;
  options.tls_key = key;
  StartServer(options);
  keel::testing::CommandResult r = keel::testing::RunCommand(
      {"curl", "-sS", "--cacert", cert, "--resolve", absl::StrCat("localhost:", port(), ":127.0.0.1"),
       absl::StrCat("https://localhost:", port(), "/v2/health/ready")});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  // Plain HTTP to the TLS port gets no answer.
  Client plain(port(), 2000);
  plain.Send(Client::Request("GET", "/v2/health/live"));
  EXPECT_EQ(plain.Read().status, 0);
}

TEST_F(HttpServerTest, BadTlsFilesAreNamed) {
  fixture_.TrainAndStore("fraud");
  Router router(&manager_, &metrics_, {});
  HttpServerOptions options;
  options.port = 0;
  options.tls_cert = "/nonexistent/cert.pem";
  options.tls_key = "/nonexistent/key.pem";
  auto started = HttpServer::Start(&router, &metrics_, options);
  ASSERT_FALSE(started.ok());
  EXPECT_THAT(started.status().message(), HasSubstr("/nonexistent/cert.pem"));
  options.tls_key = "";
  EXPECT_THAT(HttpServer::Start(&router, &metrics_, options).status().message(),
              HasSubstr("both --tls-cert and --tls-key"));
}

TEST_F(HttpServerTest, AddressInUseIsUnavailable) {
  StartServer();
  Router router(&manager_, &metrics_, {});
  HttpServerOptions options;
  options.port = port();
  auto second = HttpServer::Start(&router, &metrics_, options);
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(second.status().message(), HasSubstr(absl::StrCat("127.0.0.1:", port())));
}

// Beyond --max-inflight requests at once: 503 with Retry-After, JSON body.
// A batching model with a long wait holds the first request in flight.
TEST_F(HttpServerTest, OverTheInflightCapIs503WithRetryAfter) {
  fixture_.TrainAndStore("fraud");
  RouteOptions route;
  route.batching = {.max_rows = 64, .max_wait_us = 1'500'000};
  ASSERT_TRUE(manager_.Add("fraud", route).ok());
  router_ = std::make_unique<Router>(&manager_, &metrics_, RouterOptions{});
  HttpServerOptions options;
  options.port = 0;
  options.access_log = false;
  options.threads = 2;
  options.max_inflight = 1;
  auto started = HttpServer::Start(router_.get(), &metrics_, options);
  ASSERT_TRUE(started.ok()) << started.status();
  server_ = std::move(*started);

  Client held(port());
  ASSERT_TRUE(held.Send(Client::Request("POST", "/v1/models/fraud:predict", PredictBody(1))));
  std::this_thread::sleep_for(std::chrono::milliseconds(300));  // now waiting in the batcher
  Client refused(port());
  ASSERT_TRUE(refused.Send(Client::Request("GET", "/v2/models/fraud")));
  Client::Response r = refused.Read();
  EXPECT_EQ(r.status, 503) << r.headers << r.body;
  EXPECT_THAT(r.headers, HasSubstr("Retry-After: 1"));
  EXPECT_THAT(json::parse(r.body)["error"].get<std::string>(), HasSubstr("limit of requests in flight"));
  EXPECT_EQ(held.Read().status, 200);  // the held request still completes
  ASSERT_TRUE(refused.Send(Client::Request("GET", "/v2/models/fraud")));
  EXPECT_EQ(refused.Read().status, 200);  // and capacity comes back
}

// Clients hammer the server while the production alias moves from version 1
// to 2 and back: every request answers 200, and both versions answered.
TEST_F(HttpServerTest, MovedAliasSwapsWithZeroFailedRequestsUnderLoad) {
  fixture_.TrainAndStore("fraud", "gbdt", 1);
  fixture_.TrainAndStore("fraud", "logistic", 2);
  ASSERT_TRUE(fixture_.lake().registry().SetAlias("fraud", "production", 1).ok());
  ASSERT_TRUE(manager_.Add("fraud@production").ok());
  router_ = std::make_unique<Router>(&manager_, &metrics_, RouterOptions{});
  HttpServerOptions options;
  options.port = 0;
  options.access_log = false;
  options.threads = 2;
  auto started = HttpServer::Start(router_.get(), &metrics_, options);
  ASSERT_TRUE(started.ok()) << started.status();
  server_ = std::move(*started);

  std::atomic<bool> stop{false};
  std::atomic<int64_t> ok{0}, failed{0}, v1{0}, v2{0};
  std::vector<std::thread> clients;
  for (int c = 0; c < 4; ++c) {
    clients.emplace_back([&, c] {
      Client client(port());
      for (int64_t i = 0; !stop.load(); ++i) {
        if (!client.Send(Client::Request("POST", "/v2/models/fraud/infer",
                                         json({{"inputs", json::array({
                                                   {{"name", "amount"}, {"shape", {1}}, {"datatype", "FP64"}, {"data", {12.5}}},
                                                   {{"name", "merchant"}, {"shape", {1}}, {"datatype", "BYTES"}, {"data", {"online"}}},
                                                   {{"name", "event_time"}, {"shape", {1}}, {"datatype", "BYTES"}, {"data", {"2024-03-01T08:00:00Z"}}},
                                                   {{"name", "n_items"}, {"shape", {1}}, {"datatype", "INT64"}, {"data", {c + i % 3}}}})}})
                                             .dump()))) {
          failed.fetch_add(1);
          return;
        }
        Client::Response r = client.Read();
        if (r.status != 200) {
          failed.fetch_add(1);
          continue;
        }
        ok.fetch_add(1);
        const std::string version = json::parse(r.body)["model_version"];
        (version == "1" ? v1 : v2).fetch_add(1);
      }
    });
  }
  for (int flip = 0; flip < 6; ++flip) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    ASSERT_TRUE(fixture_.lake().registry().SetAlias("fraud", "production", flip % 2 == 0 ? 2 : 1).ok());
    auto refreshed = manager_.Refresh();
    ASSERT_TRUE(refreshed.ok()) << refreshed.status();
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  stop = true;
  for (std::thread& t : clients) t.join();
  EXPECT_EQ(failed.load(), 0);
  EXPECT_GT(ok.load(), 100);
  EXPECT_GT(v1.load(), 0);
  EXPECT_GT(v2.load(), 0);
}

}  // namespace
}  // namespace keel::serve
