// A small blocking HTTP/1.1 client over libcurl for the S3 back-end:
// keep-alive connections reused across requests, connect/idle/overall
// timeouts, bodies sent from memory and received into memory or a sink.
// Internal to storage/; no libcurl type appears here.
#ifndef KEEL_STORAGE_HTTP_CLIENT_H_
#define KEEL_STORAGE_HTTP_CLIENT_H_

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "keel/base/status.h"

namespace keel {

struct HttpRequest {
  std::string method = "GET";  // "HEAD" sends no body and reads none
  std::string url;             // already percent-encoded
  // Sent as given (a "Host" here replaces curl's own).
  std::vector<std::pair<std::string, std::string>> headers;
  std::string_view body;  // sent with Content-Length for PUT and POST
  // When set, the body of a 2xx response is handed over in pieces instead of
  // being kept in HttpResponse::body; an error it returns aborts the
  // transfer and is what Send() returns. Error bodies always go to `body`.
  std::function<Status(std::string_view)> sink;
};

struct HttpResponse {
  int status = 0;
  std::vector<std::pair<std::string, std::string>> headers;  // names lowercase
  std::string body;
  // Bytes handed to the request's sink.
  int64_t sink_bytes = 0;

  // The first header of that name (lowercase), or "".
  std::string Header(std::string_view lowercase_name) const;
};

struct HttpTimeouts {
  int64_t connect_ms = 10'000;
  int64_t idle_ms = 60'000;  // no byte moved for this long; rounded up to seconds
  int64_t total_ms = 0;      // 0: no overall limit
};

// Thread-safe: concurrent Send() calls each use their own connection handle
// from a small pool, so connections are kept alive between requests.
class HttpClient {
 public:
  explicit HttpClient(HttpTimeouts timeouts);
  ~HttpClient();
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;

  // Sends the request and returns the response whatever its HTTP status.
  // Errors are transport failures only: Unavailable (connection refused,
  // host not found, connection reset), DeadlineExceeded (a timeout), or the
  // sink's own error; each message names the URL.
  StatusOr<HttpResponse> Send(const HttpRequest& request);

 private:
  void* TakeHandle();
  void ReturnHandle(void* handle);

  const HttpTimeouts timeouts_;
  absl::Mutex mu_;
  std::vector<void*> idle_handles_ ABSL_GUARDED_BY(mu_);  // CURL*
};

}  // namespace keel

#endif  // KEEL_STORAGE_HTTP_CLIENT_H_
