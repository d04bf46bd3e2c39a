// The gRPC transport of `keel serve`: the Open Inference Protocol (KServe
// V2) service `inference.GRPCInferenceService` of inference.proto, beside
// the HTTP server and over the same ModelManager and ServerMetrics, so that
// Triton's and KServe's gRPC clients can call Keel.
//
//   GrpcServerOptions options{.host = "0.0.0.0", .port = 8081};
//   KEEL_ASSIGN_OR_RETURN(auto server, GrpcServer::Start(&manager, &metrics, options));
//   ... server->port() ...
//   server->Shutdown();   // also done by the destructor
//
// RPCs: ServerLive, ServerReady, ModelReady, ServerMetadata, ModelMetadata,
// ModelInfer (rules in infer_codec.h). Errors carry the gRPC code of the
// Status (INVALID_ARGUMENT naming the field, NOT_FOUND naming what is
// served, UNAUTHENTICATED, UNAVAILABLE...) and the message the REST API
// gives. Every RPC is recorded in ServerMetrics as endpoint "grpc_<rpc>"
// (grpc_infer, grpc_model_metadata...) with the HTTP status that REST would
// answer as its code, so one /metrics query covers both transports.
//
// This header includes no gRPC or protobuf header (the implementation is
// behind a pointer); grpc_server.cc and infer_codec.cc hold them.
#ifndef KEEL_SERVE_GRPC_GRPC_SERVER_H_
#define KEEL_SERVE_GRPC_GRPC_SERVER_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "keel/base/status.h"
#include "keel/serve/metrics.h"
#include "keel/serve/model_manager.h"

namespace keel::serve {

struct GrpcServerOptions {
  std::string host = "0.0.0.0";
  // 0: the system picks a free port (read it back with port()).
  int port = 0;
  // Threads of the sync server (its gRPC ResourceQuota), which bound the
  // RPCs handled at once; 0: the number of hardware threads, at least 4.
  int threads = 0;
  // Largest request and response message, in bytes.
  int64_t max_message_bytes = 64 << 20;
  // Accepted API keys, from metadata `x-api-key: KEY` or `authorization:
  // Bearer KEY`; empty: no key needed. ServerLive and ServerReady never
  // need one (as the HTTP health endpoints).
  std::vector<std::string> api_keys;
  // PEM files for TLS; both empty: plaintext. Both or neither.
  std::string tls_cert_file;
  std::string tls_key_file;
  // ServerMetadata's version.
  std::string keel_version;
  // How long Shutdown lets in-flight RPCs finish before cancelling them.
  int64_t shutdown_grace_ms = 5000;
};

class GrpcServer {
 public:
  // Listens on host:port and serves until Shutdown. `manager` and `metrics`
  // must outlive the server. Errors: InvalidArgument for bad options (one
  // TLS file without the other, port outside 0..65535, threads < 0,
  // max_message_bytes < 1);
  // NotFound for an unreadable TLS file; Unavailable when the address
  // cannot be bound (in use, bad host).
  static StatusOr<std::unique_ptr<GrpcServer>> Start(ModelManager* manager, ServerMetrics* metrics,
                                                     GrpcServerOptions options);
  ~GrpcServer();
  GrpcServer(const GrpcServer&) = delete;
  GrpcServer& operator=(const GrpcServer&) = delete;

  // The port bound (the free one chosen when options.port was 0).
  int port() const;

  // While draining, ServerReady answers false so that load balancers stop
  // sending; other RPCs are still served. Thread-safe.
  void set_draining(bool draining);

  // Stops accepting RPCs, lets in-flight ones finish for up to
  // options.shutdown_grace_ms, then cancels the rest and returns.
  // Idempotent; thread-safe.
  void Shutdown();

 private:
  struct Impl;
  explicit GrpcServer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace keel::serve

#endif  // KEEL_SERVE_GRPC_GRPC_SERVER_H_
