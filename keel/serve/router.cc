#include "keel/serve/router.h"

#include "keel/serve/feature_endpoints.h"

#include <cctype>
#include <chrono>
#include <cstring>
#include <utility>

#include "absl/strings/str_cat.h"
#include "keel/base/json_string.h"
#include "keel/serve/codec.h"
#include "keel/serve/kserve_v2.h"
#include "keel/serve/openapi.h"
#include "keel/serve/tf_serving.h"
#include "nlohmann/json.hpp"
#include "spdlog/spdlog.h"

namespace keel::serve {

int HttpStatusFor(const Status& status) {
  if (status.ok()) return 200;
  switch (status.code()) {
    case absl::StatusCode::kInvalidArgument:
    case absl::StatusCode::kOutOfRange:
    case absl::StatusCode::kFailedPrecondition:
      return 400;
    case absl::StatusCode::kUnauthenticated:
      return 401;
    case absl::StatusCode::kPermissionDenied:
      return 403;
    case absl::StatusCode::kNotFound:
      return 404;
    case absl::StatusCode::kResourceExhausted:
      return 429;
    case absl::StatusCode::kUnavailable:
      return 503;
    default:
      return 500;
  }
}

namespace {

void JsonResponse(int status, std::string body, HttpResponse* response) {
  response->status = status;
  response->body = std::move(body);
  response->content_type = "application/json";
}

// Splits "/v2/models/m/versions/3/infer" after a prefix into its segments.
std::vector<std::string_view> Segments(std::string_view path) {
  std::vector<std::string_view> out;
  while (!path.empty()) {
    const size_t slash = path.find('/');
    std::string_view part = path.substr(0, slash);
    if (!part.empty()) out.push_back(part);
    if (slash == std::string_view::npos) break;
    path.remove_prefix(slash + 1);
  }
  return out;
}

}  // namespace

void ErrorResponse(const Status& status, HttpResponse* response) {
  std::string body = "{\"error\":";
  AppendJsonString(std::string(status.message()), &body);
  std::string field = ErrorField(status);
  if (!field.empty()) {
    body.append(",\"field\":");
    AppendJsonString(field, &body);
  }
  body.push_back('}');
  JsonResponse(HttpStatusFor(status), std::move(body), response);
}

namespace {

// Scores a request with the shadow version and logs its answer (or error).
void ShadowScore(const ServedModel& shadow, int64_t served_version, bool tf_serving,
                 const std::string& body) {
  std::string out;
  if (tf_serving) {
    StatusOr<TfPredictRequest> tf = ParseTfPredictRequest(body, shadow);
    StatusOr<Table> scored = tf.ok() ? shadow.Score(tf->batch) : StatusOr<Table>(tf.status());
    if (scored.ok()) {
      WriteTfPredictResponse(*tf, *scored, &out);
    } else {
      out = std::string(scored.status().message());
    }
  } else {
    StatusOr<V2InferRequest> parsed = ParseV2InferRequest(body, shadow);
    StatusOr<Table> scored = parsed.ok() ? shadow.Score(parsed->batch) : StatusOr<Table>(parsed.status());
    if (scored.ok()) {
      WriteV2InferResponse(shadow, *parsed, *scored, &out);
    } else {
      out = std::string(scored.status().message());
    }
  }
  spdlog::info("shadow model={} version={} served_version={} output={}", shadow.name(),
               shadow.version(), served_version, out);
}

}  // namespace

Router::Router(ModelManager* manager, ServerMetrics* metrics, RouterOptions options)
    : manager_(manager), metrics_(metrics), options_(std::move(options)), keys_(options_.api_keys) {
}

void Router::Handle(const HttpRequest& request, HttpResponse* response) const {
  const auto start = std::chrono::steady_clock::now();
  std::string_view path = request.target.substr(0, request.target.find('?'));
  const bool health = path == "/v2/health/live" || path == "/v2/health/ready";
  if (!health && !keys_.Accepts(request.api_key, request.authorization)) {
    response->endpoint = "auth";
    ErrorResponse(absl::UnauthenticatedError(kApiKeyMessage),
                  response);
  } else {
    Route(request, path, response);
  }
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  metrics_->RecordRequest(response->endpoint, response->model, response->version, response->status,
                          seconds);
}

void Router::Route(const HttpRequest& request, std::string_view path, HttpResponse* response) const {
  const bool get = request.method == "GET" || request.method == "HEAD";
  const bool post = request.method == "POST";
  auto method_not_allowed = [&](std::string_view allow) {
    response->allow = allow;
    ErrorResponse(absl::InvalidArgumentError(absl::StrCat(std::string(request.method), " is not allowed on ",
                                                          std::string(path), "; use ", std::string(allow))),
                  response);
    response->status = 405;
  };

  if (path == "/v2/health/live" || path == "/v2/health/ready") {
    response->endpoint = path == "/v2/health/live" ? "live" : "ready";
    if (!get) return method_not_allowed("GET");
    if (path == "/v2/health/live") return JsonResponse(200, "{\"live\":true}", response);
    const bool ready =
        !draining_ && (!manager_->List().empty() || options_.features != nullptr);
    return JsonResponse(ready ? 200 : 503, ready ? "{\"ready\":true}" : "{\"ready\":false}", response);
  }
  if (path == "/metrics") {
    response->endpoint = "metrics";
    if (!get) return method_not_allowed("GET");
    response->status = 200;
    response->body = metrics_->Render(*manager_);
    response->content_type = "text/plain; version=0.0.4; charset=utf-8";
    return;
  }
  if (path == "/openapi.json") {
    response->endpoint = "openapi";
    if (!get) return method_not_allowed("GET");
    return JsonResponse(200, std::string(OpenApiJson()), response);
  }
  if (path == "/v2" || path == "/v2/") {
    response->endpoint = "server_metadata";
    if (!get) return method_not_allowed("GET");
    std::string body = "{\"name\":\"keel\",\"version\":";
    AppendJsonString(options_.keel_version, &body);
    body.append(",\"extensions\":[\"model_repository\"]}");
    return JsonResponse(200, std::move(body), response);
  }
  if (path == "/v1/features" || path == "/v1/push") {
    const bool get_features = path == "/v1/features";
    response->endpoint = get_features ? "v1_features" : "v1_push";
    if (!post) return method_not_allowed("POST");
    if (options_.features == nullptr) {
      return ErrorResponse(absl::NotFoundError(absl::StrCat(
                               std::string(path), " is off: start `keel serve` with "
                               "--online-features to serve the feature store")),
                           response);
    }
    return get_features ? options_.features->GetOnlineFeatures(request.body, response)
                        : options_.features->Push(request.body, response);
  }
  if (path.starts_with("/v2/repository/")) {
    response->endpoint = "repository";
    if (!post) return method_not_allowed("POST");
    return Repository(request, path.substr(strlen("/v2/repository/")), response);
  }
  if (path.starts_with("/v2/models/")) {
    std::vector<std::string_view> s = Segments(path.substr(strlen("/v2/models/")));
    // m | m/ready | m/infer | m/versions/v | m/versions/v/ready | m/versions/v/infer
    std::string_view model, version, action;
    if (!s.empty()) model = s[0];
    size_t next = 1;
    if (s.size() >= 3 && s[1] == "versions") {
      version = s[2];
      next = 3;
    }
    if (s.size() == next + 1) action = s[next];
    const bool shape_ok = !model.empty() && (s.size() == next || s.size() == next + 1) &&
                          (action.empty() || action == "ready" || action == "infer") &&
                          !(s.size() >= 2 && s[1] == "versions" && version.empty());
    if (shape_ok) {
      if (action == "infer") {
        response->endpoint = "v2_infer";
        if (!post) return method_not_allowed("POST");
        return Infer(request, model, version, false, response);
      }
      response->endpoint = action == "ready" ? "v2_model_ready" : "v2_model_metadata";
      if (!get) return method_not_allowed("GET");
      return ModelMetadata(model, version, action == "ready", response);
    }
  }
  if (path.starts_with("/v1/models/")) {
    std::string_view rest = path.substr(strlen("/v1/models/"));
    bool predict = false;
    if (rest.ends_with(":predict")) {
      predict = true;
      rest.remove_suffix(strlen(":predict"));
    }
    std::vector<std::string_view> s = Segments(rest);
    std::string_view version;
    const bool shape_ok =
        s.size() == 1 || (s.size() == 3 && (s[1] == "versions" || s[1] == "labels"));
    if (shape_ok) {
      if (s.size() == 3) version = s[2];
      if (predict) {
        response->endpoint = "tf_predict";
        if (!post) return method_not_allowed("POST");
        return Infer(request, s[0], version, true, response);
      }
      response->endpoint = "tf_status";
      if (!get) return method_not_allowed("GET");
      return TfStatus(s[0], version, response);
    }
  }
  response->endpoint = "unknown";
  ErrorResponse(absl::NotFoundError(absl::StrCat("no endpoint ", std::string(request.method), " ",
                                                 std::string(path), "; the endpoints are listed at GET /openapi.json")),
                response);
}

void Router::Infer(const HttpRequest& request, std::string_view model_name, std::string_view version,
                   bool tf_serving, HttpResponse* response) const {
  std::shared_ptr<const ServedModel> shadow;
  StatusOr<std::shared_ptr<const ServedModel>> found = manager_->Get(model_name, version, &shadow);
  if (!found.ok()) return ErrorResponse(found.status(), response);
  const ServedModel& model = **found;
  response->model = model.name();
  response->version = model.version();
  response->body.reserve(256);
  if (tf_serving) {
    StatusOr<TfPredictRequest> parsed = ParseTfPredictRequest(request.body, model);
    if (!parsed.ok()) return ErrorResponse(parsed.status(), response);
    StatusOr<Table> scored = model.Infer(parsed->batch);
    if (!scored.ok()) return ErrorResponse(scored.status(), response);
    metrics_->RecordBatch(model.name(), model.version(), parsed->batch.rows());
    WriteTfPredictResponse(*parsed, *scored, &response->body);
  } else {
    StatusOr<V2InferRequest> parsed = ParseV2InferRequest(request.body, model);
    if (!parsed.ok()) return ErrorResponse(parsed.status(), response);
    StatusOr<Table> scored = model.Infer(parsed->batch);
    if (!scored.ok()) return ErrorResponse(scored.status(), response);
    metrics_->RecordBatch(model.name(), model.version(), parsed->batch.rows());
    WriteV2InferResponse(model, *parsed, *scored, &response->body);
  }
  response->status = 200;
  if (shadow != nullptr) {
    // Scored off the request path, on a copy of the body; logged, never
    // returned. Under overload shadow jobs are dropped, not queued forever.
    const int64_t served_version = model.version();
    if (!shadow_worker_.Post([shadow, served_version, tf_serving, body = std::string(request.body)] {
          ShadowScore(*shadow, served_version, tf_serving, body);
        })) {
      spdlog::warn("shadow queue full: request not scored by {} version {}", shadow->name(),
                   shadow->version());
    }
  }
}

void Router::ModelMetadata(std::string_view name, std::string_view version, bool ready_only,
                           HttpResponse* response) const {
  StatusOr<std::shared_ptr<const ServedModel>> found = manager_->Get(name, version);
  if (!found.ok()) return ErrorResponse(found.status(), response);
  const ServedModel& model = **found;
  response->model = model.name();
  response->version = model.version();
  if (ready_only) {
    std::string body = "{\"name\":";
    AppendJsonString(model.name(), &body);
    absl::StrAppend(&body, ",\"version\":\"", model.version(), "\",\"ready\":true}");
    return JsonResponse(200, std::move(body), response);
  }
  std::vector<int64_t> versions;
  for (const ModelEntry& entry : manager_->List()) {
    if (entry.name != model.name()) continue;
    for (const auto& [v, loaded] : entry.versions) versions.push_back(v);
  }
  std::string body;
  WriteV2ModelMetadata(model, versions, &body);
  JsonResponse(200, std::move(body), response);
}

void Router::TfStatus(std::string_view name, std::string_view version, HttpResponse* response) const {
  StatusOr<std::shared_ptr<const ServedModel>> found = manager_->Get(name, version);
  if (!found.ok()) return ErrorResponse(found.status(), response);
  response->model = (*found)->name();
  response->version = (*found)->version();
  std::vector<int64_t> versions;
  if (!version.empty()) {
    versions.push_back((*found)->version());
  } else {
    for (const ModelEntry& entry : manager_->List()) {
      if (entry.name != name) continue;
      for (const auto& [v, loaded] : entry.versions) versions.push_back(v);
    }
  }
  std::string body = "{\"model_version_status\":[";
  for (size_t i = 0; i < versions.size(); ++i) {
    absl::StrAppend(&body, i > 0 ? "," : "", "{\"version\":\"", versions[i],
                    "\",\"state\":\"AVAILABLE\",\"status\":{\"error_code\":\"OK\",\"error_message\":\"\"}}");
  }
  body.append("]}");
  JsonResponse(200, std::move(body), response);
}

void Router::Repository(const HttpRequest& request, std::string_view rest, HttpResponse* response) const {
  if (rest == "index") {
    nlohmann::json index = nlohmann::json::array();
    for (const ModelEntry& entry : manager_->List()) {
      for (const auto& [version, loaded] : entry.versions) {
        index.push_back({{"name", entry.name},
                         {"version", std::to_string(version)},
                         {"state", "READY"},
                         {"reason", version == entry.default_version ? "default" : ""}});
      }
    }
    return JsonResponse(200, index.dump(), response);
  }
  std::vector<std::string_view> s = Segments(rest);
  if (s.size() != 3 || s[0] != "models" || (s[2] != "load" && s[2] != "unload")) {
    return ErrorResponse(absl::NotFoundError(absl::StrCat("no endpoint POST /v2/repository/",
                                                          std::string(rest),
                                                          "; use index, models/{m}/load or models/{m}/unload")),
                         response);
  }
  const std::string model(s[1]);
  response->model = model;
  if (s[2] == "unload") {
    Status status = manager_->Unload(model);
    if (!status.ok()) return ErrorResponse(status, response);
    return JsonResponse(200, "{}", response);
  }
  // Optional body {"parameters": {"version": "3"}} (a number or an alias).
  std::string ref = model;
  if (!request.body.empty()) {
    nlohmann::json body = nlohmann::json::parse(request.body, nullptr, false);
    if (body.is_discarded() || !body.is_object()) {
      return ErrorResponse(FieldError("body", "malformed JSON; send {} or {\"parameters\": {\"version\": \"3\"}}"),
                           response);
    }
    if (body.contains("parameters") && body["parameters"].contains("version")) {
      const nlohmann::json& v = body["parameters"]["version"];
      if (!v.is_string() && !v.is_number_integer()) {
        return ErrorResponse(FieldError("parameters.version", "expected a version number or an alias"), response);
      }
      ref = absl::StrCat(model, "@", v.is_string() ? v.get<std::string>() : std::to_string(v.get<int64_t>()));
    }
  }
  Status status = manager_->Add(ref);
  if (!status.ok()) return ErrorResponse(status, response);
  JsonResponse(200, "{}", response);
}

}  // namespace keel::serve
