#include "keel/serve/grpc/grpc_server.h"

#include <grpcpp/grpcpp.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <climits>
#include <fstream>
#include <sstream>
#include <thread>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "keel/serve/api_keys.h"
#include "keel/serve/codec.h"
#include "keel/serve/grpc/infer_codec.h"
#include "keel/serve/grpc/inference.grpc.pb.h"
#include "keel/serve/router.h"
#include "spdlog/spdlog.h"

namespace keel::serve {

namespace {

// absl's and gRPC's status codes are both the canonical codes (same
// numbers), so a Status keeps its code: InvalidArgument -> INVALID_ARGUMENT,
// NotFound -> NOT_FOUND, Unauthenticated -> UNAUTHENTICATED, ...
static_assert(static_cast<int>(absl::StatusCode::kInvalidArgument) ==
              grpc::StatusCode::INVALID_ARGUMENT);
static_assert(static_cast<int>(absl::StatusCode::kNotFound) == grpc::StatusCode::NOT_FOUND);
static_assert(static_cast<int>(absl::StatusCode::kUnauthenticated) ==
              grpc::StatusCode::UNAUTHENTICATED);
static_assert(static_cast<int>(absl::StatusCode::kUnavailable) == grpc::StatusCode::UNAVAILABLE);
static_assert(static_cast<int>(absl::StatusCode::kResourceExhausted) ==
              grpc::StatusCode::RESOURCE_EXHAUSTED);

grpc::Status ToGrpc(const Status& status) {
  if (status.ok()) return grpc::Status::OK;
  return grpc::Status(static_cast<grpc::StatusCode>(status.code()), std::string(status.message()));
}

std::string_view Metadata(const grpc::ServerContext& context, std::string_view key) {
  const auto& metadata = context.client_metadata();
  auto it = metadata.find(grpc::string_ref(key.data(), key.size()));
  if (it == metadata.end()) return {};
  return std::string_view(it->second.data(), it->second.size());
}

StatusOr<std::string> ReadPem(const std::string& path, std::string_view what) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return absl::NotFoundError(absl::StrCat("cannot read the TLS ", std::string(what), " file '",
                                            path, "': check the path and its permissions"));
  }
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

// What one RPC reports to the metrics besides its status.
struct Served {
  std::string model;
  int64_t version = 0;
};

class InferenceService final : public inference::GRPCInferenceService::Service {
 public:
  InferenceService(ModelManager* manager, ServerMetrics* metrics, const GrpcServerOptions& options)
      : manager_(manager),
        metrics_(metrics),
        keys_(options.api_keys),
        keel_version_(options.keel_version) {}

  void set_draining(bool draining) { draining_ = draining; }

  grpc::Status ServerLive(grpc::ServerContext* context, const inference::ServerLiveRequest*,
                          inference::ServerLiveResponse* response) override {
    return Serve(context, "grpc_live", false, [&](Served*) {
      response->set_live(true);
      return absl::OkStatus();
    });
  }

  grpc::Status ServerReady(grpc::ServerContext* context, const inference::ServerReadyRequest*,
                           inference::ServerReadyResponse* response) override {
    return Serve(context, "grpc_ready", false, [&](Served*) {
      response->set_ready(!draining_ && !manager_->List().empty());
      return absl::OkStatus();
    });
  }

  grpc::Status ModelReady(grpc::ServerContext* context, const inference::ModelReadyRequest* request,
                          inference::ModelReadyResponse* response) override {
    return Serve(context, "grpc_model_ready", true, [&](Served* served) -> Status {
      KEEL_ASSIGN_OR_RETURN(std::shared_ptr<const ServedModel> model,
                            manager_->Get(request->name(), request->version()));
      served->model = model->name();
      served->version = model->version();
      response->set_ready(true);
      return absl::OkStatus();
    });
  }

  grpc::Status ServerMetadata(grpc::ServerContext* context, const inference::ServerMetadataRequest*,
                              inference::ServerMetadataResponse* response) override {
    return Serve(context, "grpc_server_metadata", true, [&](Served*) {
      // The model repository extension is served over HTTP only.
      response->set_name("keel");
      response->set_version(keel_version_);
      return absl::OkStatus();
    });
  }

  grpc::Status ModelMetadata(grpc::ServerContext* context,
                             const inference::ModelMetadataRequest* request,
                             inference::ModelMetadataResponse* response) override {
    return Serve(context, "grpc_model_metadata", true, [&](Served* served) -> Status {
      KEEL_ASSIGN_OR_RETURN(std::shared_ptr<const ServedModel> model,
                            manager_->Get(request->name(), request->version()));
      served->model = model->name();
      served->version = model->version();
      std::vector<int64_t> versions;
      for (const ModelEntry& entry : manager_->List()) {
        if (entry.name != model->name()) continue;
        for (const auto& [v, loaded] : entry.versions) versions.push_back(v);
      }
      grpc_internal::FillModelMetadata(*model, versions, response);
      return absl::OkStatus();
    });
  }

  grpc::Status ModelInfer(grpc::ServerContext* context, const inference::ModelInferRequest* request,
                          inference::ModelInferResponse* response) override {
    return Serve(context, "grpc_infer", true,
                 [&](Served* served) { return Infer(*request, response, served); });
  }

 private:
  // Checks the API key (when `needs_key`), runs `fn`, records the request
  // and turns the status into gRPC's; a FieldError's field also goes back
  // as trailing metadata `keel-error-field`.
  template <typename Fn>
  grpc::Status Serve(grpc::ServerContext* context, std::string_view endpoint, bool needs_key,
                     Fn&& fn) {
    const auto start = std::chrono::steady_clock::now();
    metrics_->inflight().fetch_add(1);
    Served served;
    Status status;
    if (needs_key &&
        !keys_.Accepts(Metadata(*context, "x-api-key"), Metadata(*context, "authorization"))) {
      endpoint = "grpc_auth";
      status = absl::UnauthenticatedError(kApiKeyMessage);
    } else {
      status = fn(&served);
    }
    const std::string field = ErrorField(status);
    if (!field.empty()) context->AddTrailingMetadata("keel-error-field", field);
    metrics_->inflight().fetch_sub(1);
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    metrics_->RecordRequest(endpoint, served.model, served.version, HttpStatusFor(status), seconds);
    return ToGrpc(status);
  }

  Status Infer(const inference::ModelInferRequest& request, inference::ModelInferResponse* response,
               Served* served) const {
    if (request.model_name().empty())
      return FieldError("model_name", "missing: name the model to score");
    std::shared_ptr<const ServedModel> shadow;
    KEEL_ASSIGN_OR_RETURN(std::shared_ptr<const ServedModel> model,
                          manager_->Get(request.model_name(), request.model_version(), &shadow));
    served->model = model->name();
    served->version = model->version();
    KEEL_ASSIGN_OR_RETURN(grpc_internal::DecodedInferRequest decoded,
                          grpc_internal::DecodeInferRequest(request, *model));
    KEEL_ASSIGN_OR_RETURN(Table scored, model->Infer(decoded.batch));
    metrics_->RecordBatch(model->name(), model->version(), decoded.batch.rows());
    grpc_internal::EncodeInferResponse(*model, request, decoded, scored, response);
    if (shadow != nullptr) LogShadow(request, *shadow, *model);
    return absl::OkStatus();
  }

  // Scores the request with the shadow version too; logged, never returned.
  static void LogShadow(const inference::ModelInferRequest& request, const ServedModel& shadow,
                        const ServedModel& served) {
    std::string out;
    StatusOr<grpc_internal::DecodedInferRequest> decoded =
        grpc_internal::DecodeInferRequest(request, shadow);
    StatusOr<Table> scored =
        decoded.ok() ? shadow.Score(decoded->batch) : StatusOr<Table>(decoded.status());
    if (scored.ok()) {
      inference::ModelInferResponse response;
      grpc_internal::EncodeInferResponse(shadow, request, *decoded, *scored, &response);
      out = response.ShortDebugString();
    } else {
      out = std::string(scored.status().message());
    }
    spdlog::info("shadow model={} version={} served_version={} transport=grpc output={}",
                 shadow.name(), shadow.version(), served.version(), out);
  }

  ModelManager* manager_;
  ServerMetrics* metrics_;
  ApiKeys keys_;
  std::string keel_version_;
  std::atomic<bool> draining_{false};
};

}  // namespace

struct GrpcServer::Impl {
  GrpcServerOptions options;
  std::unique_ptr<InferenceService> service;
  std::unique_ptr<grpc::Server> server;
  int port = 0;
  absl::Mutex mutex;
  bool shut_down = false;  // guarded by mutex
};

StatusOr<std::unique_ptr<GrpcServer>> GrpcServer::Start(ModelManager* manager,
                                                        ServerMetrics* metrics,
                                                        GrpcServerOptions options) {
  if (options.tls_cert_file.empty() != options.tls_key_file.empty()) {
    return absl::InvalidArgumentError(
        "gRPC TLS needs both a certificate and a key file (PEM); give both, or neither for "
        "plaintext");
  }
  if (options.threads < 0)
    return absl::InvalidArgumentError("gRPC threads must be >= 0 (0: one per core)");
  if (options.max_message_bytes < 1)
    return absl::InvalidArgumentError("gRPC max message bytes must be >= 1");
  if (options.port < 0 || options.port > 65535) {
    return absl::InvalidArgumentError(
        absl::StrCat("gRPC port ", options.port, " is not in 0..65535"));
  }
  const int threads = options.threads > 0
                          ? options.threads
                          : std::max(4, static_cast<int>(std::thread::hardware_concurrency()));

  std::shared_ptr<grpc::ServerCredentials> credentials = grpc::InsecureServerCredentials();
  if (!options.tls_cert_file.empty()) {
    grpc::SslServerCredentialsOptions ssl;
    KEEL_ASSIGN_OR_RETURN(std::string cert, ReadPem(options.tls_cert_file, "certificate"));
    KEEL_ASSIGN_OR_RETURN(std::string key, ReadPem(options.tls_key_file, "key"));
    ssl.pem_key_cert_pairs.push_back({std::move(key), std::move(cert)});
    credentials = grpc::SslServerCredentials(ssl);
  }

  auto impl = std::make_unique<Impl>();
  impl->options = std::move(options);
  impl->service = std::make_unique<InferenceService>(manager, metrics, impl->options);
  const std::string& host = impl->options.host;
  const std::string address = absl::StrCat(
      host.find(':') != std::string::npos ? "[" + host + "]" : host, ":", impl->options.port);
  const int max_bytes =
      static_cast<int>(std::min<int64_t>(impl->options.max_message_bytes, INT_MAX));

  grpc::ServerBuilder builder;
  builder.AddListeningPort(address, credentials, &impl->port);
  builder.RegisterService(impl->service.get());
  builder.SetMaxReceiveMessageSize(max_bytes);
  builder.SetMaxSendMessageSize(max_bytes);
  // gRPC sets SO_REUSEPORT by default, which would let a second server bind
  // a port in use and share its traffic; refuse that instead.
  builder.AddChannelArgument(GRPC_ARG_ALLOW_REUSEPORT, 0);
  grpc::ResourceQuota quota("keel_grpc");
  quota.SetMaxThreads(threads);
  builder.SetResourceQuota(quota);
  impl->server = builder.BuildAndStart();
  if (impl->server == nullptr || impl->port == 0) {
    return absl::UnavailableError(
        absl::StrCat("cannot serve gRPC on ", address,
                     ": the port is in use or the host is not an address of this machine"));
  }
  spdlog::info("gRPC (KServe V2) listening on {}:{}{}", host, impl->port,
               impl->options.tls_cert_file.empty() ? "" : " (TLS)");
  return std::unique_ptr<GrpcServer>(new GrpcServer(std::move(impl)));
}

GrpcServer::GrpcServer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

GrpcServer::~GrpcServer() { Shutdown(); }

int GrpcServer::port() const { return impl_->port; }

void GrpcServer::set_draining(bool draining) { impl_->service->set_draining(draining); }

void GrpcServer::Shutdown() {
  absl::MutexLock lock(&impl_->mutex);
  if (impl_->shut_down) return;
  impl_->shut_down = true;
  impl_->server->Shutdown(std::chrono::system_clock::now() +
                          std::chrono::milliseconds(impl_->options.shutdown_grace_ms));
  impl_->server->Wait();
}

}  // namespace keel::serve
