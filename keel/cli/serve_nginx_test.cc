// keel serve scaled out: two replicas behind a real nginx (Debian's
// nginx-light) configured by the shipped deploy/nginx/keel.conf, all on
// loopback. Requests spread over both replicas; a replica stopped with
// SIGTERM mid-traffic costs no failed request. Also checks that the
// Kubernetes manifest parses and only uses flags `keel serve` has.
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <fstream>
#include <random>
#include <regex>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "keel/base/files.h"
#include "keel/base/testing/ports.h"
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

// Count of answered TF Serving requests in a replica's /metrics.
int64_t Answered(int port) {
  CommandResult r = testing::RunCommand(
      {"curl", "-sS", absl::StrCat("http://127.0.0.1:", port, "/metrics")}, {.timeout_seconds = 10});
  std::smatch m;
  const std::regex line(R"re(keel_requests_total\{endpoint="tf_predict",[^}]*code="200"\} (\d+))re");
  return std::regex_search(r.out, m, line) ? std::stoll(m[1]) : 0;
}

class ServeNginxTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_EQ(Keel({"init", "--project", "t"}).exit_code, 0);
    std::mt19937_64 rng(3);
    std::normal_distribution<double> normal(0, 1);
    std::uniform_real_distribution<double> u(0, 1);
    std::string csv = "a,b,label\n";
    for (int i = 0; i < 500; ++i) {
      const double a = normal(rng), b = normal(rng);
      csv += absl::StrCat(a, ",", b, ",", u(rng) < 1 / (1 + std::exp(-2 * a + b)) ? 1 : 0, "\n");
    }
    ASSERT_TRUE(WriteFileAtomic(dir_.path() + "/d.csv", csv).ok());
    ASSERT_EQ(Keel({"ingest", "d.csv", "--name", "d"}).exit_code, 0);
    CommandResult r = Keel({"train", "--data", "d", "--target", "label", "--model", "logistic",
                            "--name", "m"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
  }

  CommandResult Keel(std::vector<std::string> args) {
    return testing::RunKeel(std::move(args), dir_.path());
  }
  std::unique_ptr<BackgroundProcess> Replica(int* port) {
    auto server = std::make_unique<BackgroundProcess>(
        std::vector<std::string>{KEEL_BINARY, "serve", "--model", "m", "--port", "0", "--json",
                                 "--no-access-log", "--drain-timeout", "5"},
        testing::CommandOptions{.cwd = dir_.path(), .unset_env = {"KEEL_WORKSPACE"}});
    EXPECT_TRUE(server->WaitFor("\"port\"", 30000)) << server->err();
    json started = json::parse(server->out(), nullptr, false);
    *port = started.is_object() ? started.value("port", 0) : 0;
    return server;
  }

  testing::TempDir dir_;
};

TEST_F(ServeNginxTest, ReplicasBehindTheShippedConfigLoseNoRequest) {
  ASSERT_TRUE(std::filesystem::exists("/usr/sbin/nginx"))
      << "nginx (Debian nginx-light, installed by scripts/install-deps.sh) is needed";
  int port1 = 0, port2 = 0;
  auto replica1 = Replica(&port1);
  auto replica2 = Replica(&port2);
  ASSERT_GT(port1, 0);
  ASSERT_GT(port2, 0);

  // The shipped config, with this test's replicas and port.
  StatusOr<std::string> shipped = ReadFile(std::string(KEEL_SOURCE_DIR) + "/deploy/nginx/keel.conf");
  ASSERT_TRUE(shipped.ok()) << shipped.status();
  StatusOr<int> free_port = testing::FreeLoopbackPort();
  ASSERT_TRUE(free_port.ok()) << free_port.status();
  const int front = *free_port;
  std::string conf = std::regex_replace(*shipped, std::regex("127\\.0\\.0\\.1:8080"),
                                        absl::StrCat("127.0.0.1:", port1));
  conf = std::regex_replace(conf, std::regex("127\\.0\\.0\\.1:8090"), absl::StrCat("127.0.0.1:", port2));
  conf = std::regex_replace(conf, std::regex("listen 127\\.0\\.0\\.1:8000;"),
                            absl::StrCat("listen 127.0.0.1:", front, ";"));
  ASSERT_NE(conf, *shipped);
  const std::string nginx_dir = dir_.path() + "/nginx";
  ASSERT_TRUE(MakeDirs(nginx_dir + "/tmp").ok());
  ::chmod(nginx_dir.c_str(), 0777);
  ::chmod((nginx_dir + "/tmp").c_str(), 0777);
  ASSERT_TRUE(WriteFileAtomic(nginx_dir + "/keel.conf", conf).ok());
  ASSERT_TRUE(WriteFileAtomic(nginx_dir + "/nginx.conf",
                              absl::StrCat("daemon off;\nworker_processes 1;\npid ", nginx_dir,
                                           "/nginx.pid;\nerror_log ", nginx_dir,
                                           "/error.log warn;\nevents { worker_connections 256; }\n"
                                           "http {\n  access_log off;\n  client_body_temp_path ",
                                           nginx_dir, "/tmp/body;\n  proxy_temp_path ", nginx_dir,
                                           "/tmp/proxy;\n  include ", nginx_dir, "/keel.conf;\n}\n"))
                  .ok());
  BackgroundProcess nginx({"/usr/sbin/nginx", "-p", nginx_dir, "-e", nginx_dir + "/error.log",
                           "-c", nginx_dir + "/nginx.conf"});
  ASSERT_TRUE(nginx.started());

  const std::string url = absl::StrCat("http://127.0.0.1:", front, "/v1/models/m:predict");
  auto post = [&](int i) {
    return testing::RunCommand(
        {"curl", "-sS", "-o", "/dev/null", "-w", "%{http_code}", "-H",
         "Content-Type: application/json", "--data-binary",
         json({{"instances", {{{"a", 0.1 * i}, {"b", -0.5}}}}}).dump(), url},
        {.timeout_seconds = 20});
  };
  bool up = false;
  for (int i = 0; i < 100 && !up; ++i) {
    up = post(0).out == "200";
    if (!up) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  ASSERT_TRUE(up) << ReadFile(nginx_dir + "/error.log").value_or("");
  for (int i = 0; i < 30; ++i) EXPECT_EQ(post(i).out, "200") << "request " << i;
  EXPECT_GT(Answered(port1), 0) << "replica 1 got no request";
  EXPECT_GT(Answered(port2), 0) << "replica 2 got no request";

  // Traffic goes on while replica 1 drains and stops: no failed request.
  std::atomic<bool> done{false};
  std::atomic<int> failed{0}, answered{0};
  std::thread client([&] {
    for (int i = 0; !done.load(); ++i) {
      (post(i).out == "200" ? answered : failed).fetch_add(1);
    }
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  EXPECT_EQ(replica1->Stop(SIGTERM), 0) << replica1->err();
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  done = true;
  client.join();
  EXPECT_EQ(failed.load(), 0);
  EXPECT_GT(answered.load(), 5);
  nginx.Stop(SIGQUIT);
  replica2->Stop(SIGTERM);
}

TEST(KubernetesManifestTest, ParsesAndUsesOnlyRealFlags) {
  constexpr char kScript[] = R"py(
import json, sys, yaml
args = json.load(sys.stdin)
docs = [d for d in yaml.safe_load_all(open(args["path"])) if d]
kinds = [d["kind"] for d in docs]
deployment = next(d for d in docs if d["kind"] == "Deployment")
container = deployment["spec"]["template"]["spec"]["containers"][0]
print(json.dumps({"kinds": kinds, "args": container["args"],
                  "ready": container["readinessProbe"]["httpGet"]["path"],
                  "live": container["livenessProbe"]["httpGet"]["path"]}))
)py";
  auto out = testing::RunPythonJson(
      kScript, {{"path", std::string(KEEL_SOURCE_DIR) + "/deploy/kubernetes/keel-serve.yaml"}});
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_THAT((*out)["kinds"].get<std::vector<std::string>>(),
              ::testing::ElementsAre("Deployment", "Service", "PodDisruptionBudget",
                                     "HorizontalPodAutoscaler"));
  EXPECT_EQ((*out)["ready"], "/v2/health/ready");
  EXPECT_EQ((*out)["live"], "/v2/health/live");
  std::vector<std::string> args = (*out)["args"];
  ASSERT_FALSE(args.empty());
  EXPECT_EQ(args[0], "serve");
  // Flags of `keel serve`, or global ones (--workspace), which go anywhere.
  const std::string help = testing::RunCommand({KEEL_BINARY, "serve", "--help"}).out +
                           testing::RunCommand({KEEL_BINARY, "--help"}).out;
  for (const std::string& arg : args) {
    if (arg.rfind("--", 0) == 0) EXPECT_THAT(help, HasSubstr(arg + " ")) << arg;
  }
}

}  // namespace
}  // namespace keel
