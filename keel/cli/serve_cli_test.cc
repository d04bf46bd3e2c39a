// End-to-end tests of `keel serve`: the real binary in a fresh workspace,
// started in the background on a free port, called with curl, stopped by
// its PID with SIGTERM. Scores over HTTP equal `keel predict` on the same rows.
#include <signal.h>

#include <chrono>
#include <cmath>
#include <random>
#include <thread>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "keel/base/files.h"
#include "keel/base/testing/python.h"
#include "keel/base/testing/subprocess.h"
#include "keel/base/testing/temp_dir.h"
#include "keel/cli/run_keel_for_test.h"
#include "nlohmann/json.hpp"

namespace keel {
namespace {

using testing::BackgroundProcess;
using testing::CommandResult;
using ::testing::HasSubstr;
using json = nlohmann::json;

constexpr char kPrep[] = R"yaml(remainder: drop
steps:
  - step: scale
    columns: [x1]
  - step: impute
    columns: [x2]
  - step: one_hot
    columns: [city]
    handle_unknown: bucket
  - step: datetime
    columns: [at]
    features: [hour, dow]
)yaml";

class ServeCliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_EQ(Keel({"init", "--project", "t"}).exit_code, 0);
    std::mt19937_64 rng(5);
    std::normal_distribution<double> normal(0, 1);
    std::uniform_real_distribution<double> u(0, 1);
    std::string csv = "x1,x2,city,at,label\n";
    const char* cities[] = {"Paris", "Lyon", "Nice"};
    for (int i = 0; i < 2000; ++i) {
      const double x1 = normal(rng), x2 = normal(rng);
      const bool gap = u(rng) < 0.1;
      const int hour = static_cast<int>(u(rng) * 24);
      const double logit = 1.2 * x1 - (gap ? 0 : x2) + (hour < 6 ? 1.5 : 0) + (i % 3 == 0 ? 0.7 : 0);
      const int label = u(rng) < 1 / (1 + std::exp(-logit)) ? 1 : 0;
      csv += absl::StrCat(x1, ",", gap ? "" : absl::StrCat(x2), ",", cities[i % 3],
                          absl::StrFormat(",2024-05-%02dT%02d:15:00Z,", 1 + i % 28, hour), label,
                          "\n");
    }
    ASSERT_TRUE(WriteFileAtomic(dir_.path() + "/data.csv", csv).ok());
    ASSERT_TRUE(WriteFileAtomic(dir_.path() + "/prep.yaml", kPrep).ok());
    ASSERT_EQ(Keel({"ingest", "data.csv", "--name", "d"}).exit_code, 0);
    Train();
  }

  CommandResult Keel(std::vector<std::string> args) {
    return testing::RunKeel(std::move(args), dir_.path());
  }
  void Train(std::string learner = "gbdt") {
    CommandResult r = Keel({"train", "--data", "d", "--target", "label", "--model", learner,
                            "--transform", "prep.yaml", "--name", "fraud", "-p",
                            learner == "gbdt" ? "n_estimators=20" : "max_iter=100"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
  }

  // Starts `keel serve ARGS --port 0 --json` and waits for its address line.
  std::unique_ptr<BackgroundProcess> Serve(std::vector<std::string> args) {
    auto server = testing::StartKeelServe(std::move(args), dir_.path(), &port_);
    EXPECT_NE(port_, 0) << server->err();
    return server;
  }
  CommandResult Curl(std::string path, std::string body = "", std::vector<std::string> extra = {}) {
    return testing::Curl(port_, path, body, extra);
  }
  static int Status(const CommandResult& r) { return testing::CurlStatus(r); }
  static json Body(const CommandResult& r) { return testing::CurlJson(r); }

  testing::TempDir dir_;
  int port_ = 0;
};

const char kRows[] =
    "x1,x2,city,at\n"
    "0.5,-1.25,Paris,2024-05-03T02:15:00Z\n"
    "-1.5,,Lyon,2024-05-04T13:15:00Z\n"
    "2.25,0.75,Berlin,2024-05-05T23:15:00Z\n";

TEST_F(ServeCliTest, ScoresOverHttpEqualKeelPredict) {
  ASSERT_TRUE(WriteFileAtomic(dir_.path() + "/rows.csv", kRows).ok());
  CommandResult predicted = Keel({"predict", "--model", "fraud", "--data", "rows.csv", "--out",
                                  "scores.jsonl"});
  ASSERT_EQ(predicted.exit_code, 0) << predicted.err;
  std::vector<double> expected;
  StatusOr<std::string> lines = ReadFile(dir_.path() + "/scores.jsonl");
  ASSERT_TRUE(lines.ok()) << lines.status();
  for (const std::string& line : std::vector<std::string>(absl::StrSplit(*lines, "\n", absl::SkipEmpty()))) {
    expected.push_back(json::parse(line)["probability"].get<double>());
  }
  ASSERT_EQ(expected.size(), 3u);

  // Batching on (requests here come one at a time: each waits 1 ms, then
  // goes alone, with the same numbers).
  auto server = Serve({"--model", "fraud", "--batching", "fraud:16:1000"});
  ASSERT_GT(port_, 0) << server->err();
  EXPECT_EQ(Status(Curl("/v2/health/ready")), 200);

  // TF Serving rows: raw fields (a string, a timestamp, a gap) through the pipeline.
  json tf = {{"instances",
              {{{"x1", 0.5}, {"x2", -1.25}, {"city", "Paris"}, {"at", "2024-05-03T02:15:00Z"}},
               {{"x1", -1.5}, {"x2", nullptr}, {"city", "Lyon"}, {"at", "2024-05-04T13:15:00Z"}},
               {{"x1", 2.25}, {"x2", 0.75}, {"city", "Berlin"}, {"at", "2024-05-05T23:15:00Z"}}}}};
  CommandResult r = Curl("/v1/models/fraud:predict", tf.dump());
  ASSERT_EQ(Status(r), 200) << r.out;
  json predictions = Body(r)["predictions"];
  ASSERT_EQ(predictions.size(), 3u) << r.out;
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(predictions[i]["probability"].get<double>(), expected[i]) << "row " << i;
  }

  // KServe V2 named tensors: the same numbers.
  json v2 = {{"inputs",
              {{{"name", "x1"}, {"datatype", "FP64"}, {"shape", {3}}, {"data", {0.5, -1.5, 2.25}}},
               {{"name", "x2"}, {"datatype", "FP64"}, {"shape", {3}}, {"data", {-1.25, nullptr, 0.75}}},
               {{"name", "city"}, {"datatype", "BYTES"}, {"shape", {3}}, {"data", {"Paris", "Lyon", "Berlin"}}},
               {{"name", "at"}, {"datatype", "BYTES"}, {"shape", {3}},
                {"data", {"2024-05-03T02:15:00Z", "2024-05-04T13:15:00Z", "2024-05-05T23:15:00Z"}}}}}};
  r = Curl("/v2/models/fraud/infer", v2.dump());
  ASSERT_EQ(Status(r), 200) << r.out;
  json outputs = Body(r)["outputs"];
  json probability;
  for (const json& o : outputs) {
    if (o["name"] == "probability") probability = o["data"];
  }
  ASSERT_EQ(probability.size(), 3u) << r.out;
  for (int i = 0; i < 3; ++i) EXPECT_EQ(probability[i].get<double>(), expected[i]);

  // A field the model lacks is named, with a 400 and a JSON body.
  tf["instances"][0]["x3"] = 1;
  r = Curl("/v1/models/fraud:predict", tf.dump());
  EXPECT_EQ(Status(r), 400);
  EXPECT_THAT(Body(r).value("error", ""), HasSubstr("x3"));

  // /metrics counts what happened.
  r = Curl("/metrics");
  EXPECT_THAT(r.out, HasSubstr("keel_requests_total{endpoint=\"tf_predict\",model=\"fraud\",version=\"1\",code=\"200\"} 1"));
  EXPECT_THAT(r.out, HasSubstr("keel_dynamic_batches_total{model=\"fraud\",version=\"1\"} 0"));

  // SIGTERM drains and exits 0.
  EXPECT_EQ(server->Stop(SIGTERM), 0) << server->err();
  EXPECT_THAT(server->err(), HasSubstr("draining"));
}

// The same model over KServe V2 gRPC (--grpc-port), called from Python's
// grpcio with stubs generated from keel/serve/grpc/inference.proto.
TEST_F(ServeCliTest, GrpcPortAnswersWithTheSameNumbers) {
  ASSERT_TRUE(WriteFileAtomic(dir_.path() + "/rows.csv", kRows).ok());
  ASSERT_EQ(Keel({"predict", "--model", "fraud", "--data", "rows.csv", "--out", "s.jsonl"}).exit_code, 0);
  StatusOr<std::string> lines = ReadFile(dir_.path() + "/s.jsonl");
  ASSERT_TRUE(lines.ok());
  auto server = Serve({"--model", "fraud", "--grpc-port", "0"});
  json started = json::parse(server->out(), nullptr, false);
  ASSERT_TRUE(started.contains("grpc_port")) << server->out() << server->err();
  constexpr char kScript[] = R"py(
import json, sys
args = json.load(sys.stdin)
sys.path.insert(0, args["stubs"])
import grpc, inference_pb2 as pb, inference_pb2_grpc as pb_grpc
stub = pb_grpc.GRPCInferenceServiceStub(grpc.insecure_channel("127.0.0.1:%d" % args["port"]))
T = pb.ModelInferRequest.InferInputTensor
C = pb.InferTensorContents
nan = float("nan")
request = pb.ModelInferRequest(model_name="fraud", inputs=[
    T(name="x1", datatype="FP64", shape=[3], contents=C(fp64_contents=[0.5, -1.5, 2.25])),
    T(name="x2", datatype="FP64", shape=[3], contents=C(fp64_contents=[-1.25, nan, 0.75])),
    T(name="city", datatype="BYTES", shape=[3], contents=C(bytes_contents=[b"Paris", b"Lyon", b"Berlin"])),
    T(name="at", datatype="BYTES", shape=[3], contents=C(bytes_contents=[
        b"2024-05-03T02:15:00Z", b"2024-05-04T13:15:00Z", b"2024-05-05T23:15:00Z"]))])
reply = stub.ModelInfer(request, timeout=30)
out = {o.name: list(o.contents.fp64_contents) for o in reply.outputs}
print(json.dumps({"ready": stub.ServerReady(pb.ServerReadyRequest(), timeout=30).ready,
                  "version": reply.model_version, "probability": out.get("probability")}))
)py";
  auto out = keel::testing::RunPythonJson(
      kScript, {{"port", started["grpc_port"]}, {"stubs", KEEL_GRPC_PYTHON_DIR}});
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_TRUE((*out)["ready"].get<bool>());
  EXPECT_EQ((*out)["version"], "1");
  std::vector<std::string> rows = absl::StrSplit(*lines, "\n", absl::SkipEmpty());
  ASSERT_EQ(rows.size(), 3u);
  ASSERT_EQ((*out)["probability"].size(), 3u) << out->dump();
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ((*out)["probability"][i].get<double>(), json::parse(rows[i])["probability"].get<double>());
  }
  EXPECT_EQ(server->Stop(SIGTERM), 0) << server->err();
}

TEST_F(ServeCliTest, FollowsTheRegistryWhenAnAliasMoves) {
  ASSERT_EQ(Keel({"models", "promote", "fraud", "1", "--alias", "production"}).exit_code, 0);
  auto server = Serve({"--model", "fraud@production", "--watch-interval", "0.1", "--no-access-log"});
  ASSERT_GT(port_, 0) << server->err();
  const std::string body =
      json({{"instances", {{{"x1", 0.5}, {"x2", 1}, {"city", "Nice"}, {"at", "2024-05-03T02:15:00Z"}}}}})
          .dump();
  EXPECT_EQ(Status(Curl("/v1/models/fraud/labels/production:predict", body)), 200);
  Train("logistic");
  ASSERT_EQ(Keel({"models", "promote", "fraud", "2", "--alias", "production"}).exit_code, 0);
  bool moved = false;
  for (int i = 0; i < 100 && !moved; ++i) {
    json status = Body(Curl("/v1/models/fraud"));
    moved = status.dump().find("\"version\":\"2\"") != std::string::npos;
    if (!moved) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  EXPECT_TRUE(moved) << Curl("/v1/models/fraud").out;
  CommandResult r = Curl("/v2/models/fraud/versions/production/infer",
                         json({{"inputs", {{{"name", "x1"}, {"datatype", "FP64"}, {"shape", {1}}, {"data", {0.5}}},
                                           {{"name", "x2"}, {"datatype", "FP64"}, {"shape", {1}}, {"data", {1.0}}},
                                           {{"name", "city"}, {"datatype", "BYTES"}, {"shape", {1}}, {"data", {"Nice"}}},
                                           {{"name", "at"}, {"datatype", "BYTES"}, {"shape", {1}}, {"data", {"2024-05-03T02:15:00Z"}}}}}})
                             .dump());
  ASSERT_EQ(Status(r), 200) << r.out;
  EXPECT_EQ(Body(r)["model_version"], "2");
  EXPECT_EQ(server->Stop(SIGTERM), 0);
}

TEST_F(ServeCliTest, ApiKeyFileIsEnforced) {
  ASSERT_TRUE(WriteFileAtomic(dir_.path() + "/keys.txt", "# ops\nk-123456\n").ok());
  auto server = Serve({"--model", "fraud", "--api-key-file", "keys.txt"});
  ASSERT_GT(port_, 0) << server->err();
  EXPECT_EQ(Status(Curl("/v2/health/live")), 200);  // probes need no key
  EXPECT_EQ(Status(Curl("/v2/models/fraud")), 401);
  EXPECT_EQ(Status(Curl("/v2/models/fraud", "", {"-H", "X-API-Key: k-123456"})), 200);
  EXPECT_EQ(Status(Curl("/v2/models/fraud", "", {"-H", "Authorization: Bearer k-123456"})), 200);
  EXPECT_EQ(server->Stop(SIGTERM), 0);
  EXPECT_THAT(server->err(), Not(HasSubstr("k-123456")));  // never logged
}

TEST_F(ServeCliTest, StartupErrorsAreClear) {
  CommandResult r = Keel({"serve", "--model", "frau", "--port", "0"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.err, HasSubstr("Did you mean 'fraud'?"));
  r = Keel({"serve", "--port", "0"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.err, HasSubstr("at least one --model"));
  r = Keel({"serve", "--model", "fraud", "--port", "0", "--canary", "other:2=10"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.err, HasSubstr("'other', which no --model serves"));
  r = Keel({"serve", "--model", "fraud", "--port", "0", "--batching", "fraud:0"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.err, HasSubstr("expected MODEL:MAX_ROWS[:MAX_WAIT_US]"));
  r = Keel({"serve", "--model", "fraud", "--port", "0", "--api-key-file", "nope.txt"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.err, HasSubstr("--api-key-file nope.txt"));
  r = Keel({"serve", "--help"});
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_THAT(r.out, HasSubstr("--api-key-file"));
}

}  // namespace
}  // namespace keel
