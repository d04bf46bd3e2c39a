// keel serve: the online model server (keel/serve/) over the workspace's
// registry and lake: KServe V2 and TF Serving REST, KServe V2 gRPC, Prometheus metrics,
// API keys, TLS, limits, registry watching and a graceful drain.
#include <omp.h>

#include <fstream>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "absl/time/time.h"
#include "keel/cli/commands.h"
#include "keel/cli/common.h"
#include "keel/cli/features_common.h"
#include "keel/cli/stream_lake_sink.h"
#include "keel/cli/version.h"
#include "keel/features/open_online_store.h"
#include "keel/serve/feature_endpoints.h"
#include "keel/serve/grpc/grpc_server.h"
#include "keel/serve/http_server.h"
#include "keel/serve/metrics.h"
#include "keel/serve/model_manager.h"
#include "keel/serve/router.h"
#include "spdlog/spdlog.h"

namespace keel::cli {
namespace {

struct ServeArgs {
  std::vector<std::string> models;
  std::vector<std::string> canary;    // MODEL:REF=PERCENT
  std::vector<std::string> shadow;    // MODEL:REF
  std::vector<std::string> batching;  // MODEL:MAX_ROWS[:MAX_WAIT_US]
  serve::HttpServerOptions http;
  int grpc_port = -1;  // -1: no gRPC
  std::string api_key_file;
  double read_timeout_s = 30;
  double drain_timeout_s = 30;
  double watch_interval_s = 2;
  bool no_access_log = false;
  bool online_features = false;
};

// API keys, one per line; blank lines and lines starting with '#' skipped.
StatusOr<std::vector<std::string>> ReadApiKeys(const std::string& path) {
  std::ifstream in(path);
  if (!in) {
    return absl::NotFoundError(absl::StrCat("--api-key-file ", path, ": cannot be read"));
  }
  std::vector<std::string> keys;
  std::string line;
  while (std::getline(in, line)) {
    std::string key(absl::StripAsciiWhitespace(line));
    if (key.empty() || key.front() == '#') continue;
    keys.emplace_back(key);
  }
  if (keys.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "--api-key-file ", path, " holds no key; write one key per line ('#' starts a comment)"));
  }
  return keys;
}

// Splits "MODEL:REST" (the per-model route flags), usage error otherwise.
StatusOr<std::pair<std::string, std::string>> SplitModelFlag(const std::string& flag,
                                                             const std::string& value,
                                                             const std::string& example) {
  std::pair<std::string, std::string> parts = absl::StrSplit(value, absl::MaxSplits(':', 1));
  if (parts.first.empty() || parts.second.empty()) {
    return AsUsageError(
        absl::InvalidArgumentError(absl::StrCat(flag, " '", value, "': expected MODEL:", example)));
  }
  return parts;
}

Status Serve(CommandContext& context, ServeArgs args) {
  if (args.models.empty() && !args.online_features) {
    return AsUsageError(absl::InvalidArgumentError(
        "keel serve needs at least one --model NAME[@VERSION|@ALIAS] (`keel models list` shows "
        "what the registry holds), or --online-features to serve only the feature store"));
  }
  absl::flat_hash_map<std::string, serve::RouteOptions> routes;
  for (const std::string& value : args.canary) {
    KEEL_ASSIGN_OR_RETURN(auto parts, SplitModelFlag("--canary", value, "REF=PERCENT"));
    routes[parts.first].canary = parts.second;
  }
  for (const std::string& value : args.shadow) {
    KEEL_ASSIGN_OR_RETURN(auto parts, SplitModelFlag("--shadow", value, "REF"));
    routes[parts.first].shadow = parts.second;
  }

  for (const std::string& value : args.batching) {
    KEEL_ASSIGN_OR_RETURN(auto parts,
                          SplitModelFlag("--batching", value, "MAX_ROWS[:MAX_WAIT_US]"));
    std::vector<std::string> numbers = absl::StrSplit(parts.second, ':');
    serve::BatchingOptions& batching = routes[parts.first].batching;
    if (numbers.size() > 2 || !absl::SimpleAtoi(numbers[0], &batching.max_rows) ||
        batching.max_rows < 1 ||
        (numbers.size() == 2 &&
         (!absl::SimpleAtoi(numbers[1], &batching.max_wait_us) || batching.max_wait_us < 0))) {
      return AsUsageError(absl::InvalidArgumentError(
          absl::StrCat("--batching '", value,
                       "': expected MODEL:MAX_ROWS[:MAX_WAIT_US] with MAX_ROWS >= 1 "
                       "and MAX_WAIT_US >= 0, e.g. fraud:32:500")));
    }
  }

  serve::RouterOptions router_options;
  router_options.keel_version = VersionString();
  if (!args.api_key_file.empty()) {
    KEEL_ASSIGN_OR_RETURN(router_options.api_keys, ReadApiKeys(args.api_key_file));
  }
  serve::GrpcServerOptions grpc_options;
  grpc_options.host = args.http.host;
  grpc_options.port = args.grpc_port;
  grpc_options.api_keys = router_options.api_keys;
  grpc_options.tls_cert_file = args.http.tls_cert;
  grpc_options.tls_key_file = args.http.tls_key;
  grpc_options.keel_version = router_options.keel_version;
  grpc_options.max_message_bytes = args.http.max_body_bytes;
  grpc_options.shutdown_grace_ms = static_cast<int64_t>(args.drain_timeout_s * 1000);

  // Serving scores with Keel's own predictor; XGBoost is only used while a
  // model loads. One OpenMP thread keeps libgomp's idle workers from
  // spinning on the cores the I/O threads need (and makes loading faster on
  // small machines).
  omp_set_num_threads(1);
  KEEL_ASSIGN_OR_RETURN(auto lake, OpenLake(context));
  // The feature store, opened with --online-features or when a served
  // model's bundle names a feature service (its features are then fetched
  // online for each request).
  std::unique_ptr<serve::FeatureEndpoints> feature_endpoints;
  auto open_features = [&]() -> StatusOr<const serve::FeatureEndpoints*> {
    if (feature_endpoints == nullptr) {
      KEEL_ASSIGN_OR_RETURN(auto latest, LoadLatestFeatureDefinitions(*lake));
      KEEL_ASSIGN_OR_RETURN(Workspace * ws, context.workspace());
      KEEL_ASSIGN_OR_RETURN(std::unique_ptr<features::OnlineStore> store,
                            features::OpenOnlineStore(features::OnlineStoreConfigFor(*ws)));
      feature_endpoints = std::make_unique<serve::FeatureEndpoints>(
          std::move(latest.second), std::move(store), latest.first.version);
      // Pushes with "to": "offline" / "online_and_offline" append to each
      // view's source dataset, as `keel features stream` does.
      feature_endpoints->set_offline_sink(std::make_unique<LakeEventSink>(
          *lake, feature_endpoints->definitions(), "", "POST /v1/push on keel serve"));
    }
    return feature_endpoints.get();
  };
  if (args.online_features) KEEL_RETURN_IF_ERROR(open_features().status());
  serve::ModelManager manager(lake.get());
  manager.set_feature_source(open_features);
  const absl::Time load_start = absl::Now();
  for (const std::string& ref : args.models) {
    const std::string name(ref.substr(0, ref.find('@')));
    auto route = routes.find(name);
    KEEL_RETURN_IF_ERROR(
        manager.Add(ref, route == routes.end() ? serve::RouteOptions{} : route->second));
    if (route != routes.end()) routes.erase(route);
  }
  if (!routes.empty()) {
    return AsUsageError(absl::InvalidArgumentError(
        absl::StrCat("--canary/--shadow/--batching name model '", routes.begin()->first,
                     "', which no --model serves")));
  }
  const double load_ms = absl::ToDoubleMilliseconds(absl::Now() - load_start);
  if (args.watch_interval_s > 0) manager.StartWatching(absl::Seconds(args.watch_interval_s));

  router_options.features = feature_endpoints.get();

  serve::ServerMetrics metrics(router_options.keel_version);
  serve::Router router(&manager, &metrics, std::move(router_options));
  args.http.read_timeout = absl::Seconds(args.read_timeout_s);
  args.http.drain_timeout = absl::Seconds(args.drain_timeout_s);
  args.http.access_log = !args.no_access_log;
  args.http.handle_signals = true;
  KEEL_ASSIGN_OR_RETURN(std::unique_ptr<serve::HttpServer> server,
                        serve::HttpServer::Start(&router, &metrics, args.http));
  std::unique_ptr<serve::GrpcServer> grpc;
  if (args.grpc_port >= 0) {
    KEEL_ASSIGN_OR_RETURN(grpc, serve::GrpcServer::Start(&manager, &metrics, grpc_options));
  }

  std::vector<std::string> served;
  for (const serve::ModelEntry& entry : manager.List()) {
    served.push_back(absl::StrCat(entry.name, " v", entry.default_version));
  }
  const std::string scheme = args.http.tls_cert.empty() ? "http" : "https";
  // One line a supervisor or a script can wait for; readiness is also
  // GET /v2/health/ready.
  spdlog::info("serving {} on {}://{}:{}{} (models loaded in {:.1f} ms)",
               absl::StrJoin(served, ", "), scheme, args.http.host, server->port(),
               grpc ? absl::StrCat(" and gRPC port ", grpc->port()) : "", load_ms);
  if (context.options().json) {
    nlohmann::json started = {{"host", args.http.host},
                              {"port", server->port()},
                              {"scheme", scheme},
                              {"models", served},
                              {"load_ms", load_ms}};
    if (grpc) started["grpc_port"] = grpc->port();
    context.PrintJson(started);
  }
  server->Wait();
  if (grpc) {
    grpc->set_draining(true);
    grpc->Shutdown();
  }
  manager.StopWatching();
  spdlog::info("stopped");
  return absl::OkStatus();
}

}  // namespace

void AddServeCommand(CLI::App& app, CommandContext& context) {
  auto args = std::make_shared<ServeArgs>();
  CLI::App* serve = app.add_subcommand(
      "serve",
      "Serve model versions over HTTP (KServe V2 and TF Serving REST) until SIGTERM/SIGINT");
  serve->footer(
      "Endpoints: /v2/health/live, /v2/health/ready, /v2/models/{m}[/versions/{v}][/infer],\n"
      "/v1/models/{m}[/versions/{v}|/labels/{alias}][:predict], /v2/repository/models/{m}/load,\n"
      "/metrics (Prometheus), /openapi.json. Ready when /v2/health/ready answers 200.");
  serve
      ->add_option("--model,-m", args->models,
                   "A model to serve, repeatable: NAME (its latest version and every aliased "
                   "one), NAME@VERSION or NAME@ALIAS")
      ->type_name("NAME[@REF]");
  serve->add_option("--host", args->http.host, "Address to listen on")->capture_default_str();
  serve->add_option("--port,-p", args->http.port, "HTTP port (0: any free port, printed)")
      ->capture_default_str()
      ->check(CLI::Range(0, 65535));
  serve
      ->add_option("--grpc-port", args->grpc_port,
                   "Also serve KServe V2 gRPC (inference.GRPCInferenceService) on this port "
                   "(0: any free port; off unless given)")
      ->check(CLI::Range(0, 65535));
  serve->add_option("--threads", args->http.threads, "I/O threads (0: one per core)")
      ->capture_default_str()
      ->check(CLI::Range(0, 1024));
  serve
      ->add_option("--canary", args->canary,
                   "Send PERCENT of a model's default traffic to another version: "
                   "MODEL:REF=PERCENT (e.g. fraud:staging=10), repeatable")
      ->type_name("MODEL:REF=PCT");
  serve
      ->add_option("--shadow", args->shadow,
                   "Also score a model's default traffic with another version and log its "
                   "output (not returned): MODEL:REF, repeatable")
      ->type_name("MODEL:REF");
  serve
      ->add_option("--batching", args->batching,
                   "Dynamic batching: score a model's concurrent requests together, up to "
                   "MAX_ROWS rows, waiting at most MAX_WAIT_US (default 1000) for a batch to "
                   "fill: MODEL:MAX_ROWS[:MAX_WAIT_US], repeatable. Gains for models with a "
                   "costly call per batch; give --threads above the core count")
      ->type_name("MODEL:ROWS[:US]");
  serve
      ->add_option("--api-key-file", args->api_key_file,
                   "Require one of these API keys (one per line) in X-API-Key or "
                   "'Authorization: Bearer KEY'; health endpoints stay open")
      ->type_name("FILE");
  serve->add_option("--tls-cert", args->http.tls_cert, "TLS certificate chain (PEM)")
      ->type_name("FILE");
  serve->add_option("--tls-key", args->http.tls_key, "TLS private key (PEM)")->type_name("FILE");
  serve
      ->add_option("--max-body-bytes", args->http.max_body_bytes,
                   "Largest request body (413 beyond)")
      ->capture_default_str()
      ->check(CLI::Range(int64_t{1}, int64_t{1} << 34));
  serve
      ->add_option("--read-timeout", args->read_timeout_s,
                   "Seconds to receive a whole request, or to wait for the next on a kept-alive "
                   "connection (slow clients are closed)")
      ->capture_default_str()
      ->check(CLI::Range(0.001, 86400.0));
  serve
      ->add_option("--max-inflight", args->http.max_inflight,
                   "Requests handled at once; beyond it 503 with Retry-After")
      ->capture_default_str()
      ->check(CLI::Range(int64_t{1}, int64_t{1} << 30));
  serve
      ->add_option("--drain-timeout", args->drain_timeout_s,
                   "Seconds a SIGTERM waits for requests in flight")
      ->capture_default_str()
      ->check(CLI::Range(0.0, 3600.0));
  serve
      ->add_option("--watch-interval", args->watch_interval_s,
                   "Seconds between registry checks for new versions and moved aliases (0: off)")
      ->capture_default_str()
      ->check(CLI::Range(0.0, 3600.0));
  serve->add_flag("--no-access-log", args->no_access_log, "Do not log a JSON line per request");
  serve->add_flag("--online-features", args->online_features,
                  "Serve the feature store: POST /v1/features (Feast's get-online-features "
                  "shape) and POST /v1/push, from the online store in keel.yaml and the latest "
                  "applied feature definitions");
  context.Bind(serve, [&context, args]() { return Serve(context, *args); });
}

}  // namespace keel::cli
