// libFuzzer target for the server's request handling: any bytes as the body
// (and, from the first byte, the route) of a request to the Router, which
// parses KServe V2 and TF Serving JSON with simdjson and decodes it into a
// model's inputs. The property checked: never a crash, a hang or a memory
// error (ASan, UBSan), and every answer is a valid status with a JSON body
// ({"error": ...} for 4xx).
//
//   build/keel/serve/fuzz/keel_serve_request_fuzz -max_total_time=60 CORPUS_DIR keel/serve/fuzz/corpus
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <string_view>

#include "keel/serve/metrics.h"
#include "keel/serve/model_manager.h"
#include "keel/serve/router.h"
#include "keel/serve/test_fixture.h"
#include "spdlog/spdlog.h"

namespace {

struct Server {
  keel::serve::testing::ServeFixture fixture;
  std::unique_ptr<keel::serve::ModelManager> manager;
  std::unique_ptr<keel::serve::ServerMetrics> metrics;
  std::unique_ptr<keel::serve::Router> router;
};

Server* server = nullptr;

constexpr std::string_view kTargets[] = {
    "/v2/models/fraud/infer",         "/v2/models/fraud/versions/1/infer",
    "/v1/models/fraud:predict",       "/v1/models/fraud/labels/production:predict",
    "/v2/models/numeric/infer",       "/v1/models/numeric:predict",
    "/v2/repository/models/fraud/load", "/v2/models/fraud",
};

}  // namespace

// Abseil's containers, compiled here with ASan, poison their empty slots;
// Keel's libraries built without ASan copy those containers whole, which
// ASan would report as use-after-poison. Memory errors stay detected: only
// the containers' own annotations are ignored.
extern "C" const char* __asan_default_options() {
  return "allow_user_poisoning=0:detect_leaks=0";
}

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  spdlog::set_level(spdlog::level::off);
  server = new Server();
  server->fixture.TrainAndStore("fraud", "gbdt", 1);
  server->fixture.TrainNumericAndStore("numeric");
  if (!server->fixture.lake().registry().SetAlias("fraud", "production", 1).ok()) std::abort();
  server->manager = std::make_unique<keel::serve::ModelManager>(&server->fixture.lake());
  if (!server->manager->Add("fraud").ok() || !server->manager->Add("numeric").ok()) std::abort();
  server->metrics = std::make_unique<keel::serve::ServerMetrics>("fuzz");
  server->router = std::make_unique<keel::serve::Router>(server->manager.get(),
                                                         server->metrics.get(),
                                                         keel::serve::RouterOptions{});
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  keel::serve::HttpRequest request;
  request.method = (data[0] & 0x80) ? "GET" : "POST";
  request.target = kTargets[data[0] % (sizeof(kTargets) / sizeof(kTargets[0]))];
  const std::string body(reinterpret_cast<const char*>(data + 1), size - 1);
  request.body = body;
  keel::serve::HttpResponse response;
  server->router->Handle(request, &response);
  if (response.status < 200 || response.status > 599) std::abort();
  if (response.status >= 400 && response.body.rfind("{\"error\":", 0) != 0) {
    std::fprintf(stderr, "status %d without a JSON error body: %s\n", response.status,
                 response.body.c_str());
    std::abort();
  }
  return 0;
}
