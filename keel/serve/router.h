// Every endpoint of `keel serve`, independent of the transport: the HTTP
// server (and tests, and the fuzz target) hand it a request and send back
// the response it fills. Endpoints:
//
//   GET  /v2/health/live | /v2/health/ready          liveness, readiness
//   GET  /v2                                         server metadata
//   GET  /v2/models/{m}[/versions/{v}][/ready]       model metadata, readiness
//   POST /v2/models/{m}[/versions/{v}]/infer         KServe V2 inference
//   POST /v2/repository/index                        models served
//   POST /v2/repository/models/{m}/load | unload     serve / stop serving
//   GET  /v1/models/{m}[/versions/{v}|/labels/{a}]   TF Serving status
//   POST /v1/models/{m}[/versions/{v}|/labels/{a}]:predict
//   POST /v1/features                                online features (Feast's shape)
//   POST /v1/push                                    feature rows to the online store
//   GET  /metrics                                    Prometheus text
//   GET  /openapi.json                               this list, as OpenAPI 3
//
// {v} is a version number or an alias. Errors are JSON: {"error": message,
// "field": where} with 400 (bad request), 401 (API key), 404 (no such
// model, version or route), 405, 500, 503. Thread-safe.
#ifndef KEEL_SERVE_ROUTER_H_
#define KEEL_SERVE_ROUTER_H_

#include <array>
#include <atomic>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "keel/serve/api_keys.h"
#include "keel/serve/background.h"
#include "keel/serve/metrics.h"
#include "keel/serve/model_manager.h"

namespace keel::serve {

struct HttpRequest {
  std::string_view method;  // "GET", "POST"...
  std::string_view target;  // path and query
  std::string_view body;
  std::string_view authorization;  // the Authorization header ("Bearer KEY")
  std::string_view api_key;        // the X-API-Key header
};

struct HttpResponse {
  int status = 200;
  std::string body;
  std::string_view content_type = "application/json";
  std::string_view allow;  // for 405
  // For metrics and the access log: the endpoint's route pattern and the
  // model version that answered (if any).
  std::string_view endpoint;
  std::string model;
  int64_t version = 0;
};

struct RouterOptions {
  std::string keel_version;
  // Accepted API keys; empty: no key needed. Health endpoints never need one.
  std::vector<std::string> api_keys;
  // The online feature endpoints; nullptr: they answer 404 saying how to
  // turn them on. Not owned; must outlive the router.
  const class FeatureEndpoints* features = nullptr;
};

class Router {
 public:
  Router(ModelManager* manager, ServerMetrics* metrics, RouterOptions options);

  void Handle(const HttpRequest& request, HttpResponse* response) const;

  // While draining (shutdown), readiness answers 503 so load balancers stop
  // sending; other requests are still served.
  void set_draining(bool draining) { draining_ = draining; }
  // Waits until every shadow request queued so far was scored (tests).
  void FlushShadow() const { shadow_worker_.Flush(); }

 private:
  void Route(const HttpRequest& request, std::string_view path, HttpResponse* response) const;
  void Infer(const HttpRequest& request, std::string_view model, std::string_view version,
             bool tf_serving, HttpResponse* response) const;
  void ModelMetadata(std::string_view model, std::string_view version, bool ready_only,
                     HttpResponse* response) const;
  void TfStatus(std::string_view model, std::string_view version, HttpResponse* response) const;
  void Repository(const HttpRequest& request, std::string_view rest, HttpResponse* response) const;

  ModelManager* manager_;
  ServerMetrics* metrics_;
  RouterOptions options_;
  ApiKeys keys_;
  std::atomic<bool> draining_{false};
  mutable BackgroundWorker shadow_worker_;  // shadow scoring, off the request path
};

// The HTTP status for `status`'s code (200 for OK; see ErrorResponse), also
// what the gRPC transport records as the metrics' code, so that one query
// covers both transports.
int HttpStatusFor(const Status& status);

// Fills `response` with {"error": message, "field": field} and the HTTP
// status for `status`'s code (InvalidArgument 400, NotFound 404,
// Unauthenticated 401, Unavailable 503, ResourceExhausted 429, else 500).
void ErrorResponse(const Status& status, HttpResponse* response);

}  // namespace keel::serve

#endif  // KEEL_SERVE_ROUTER_H_
