// The lake on a real S3-protocol server (npm's s3rver with SigV4 checks,
// started on loopback), through the `keel` binary: ingest from an s3:// URI,
// a workspace whose lake lives in a bucket, training and scoring on it, and a
// wrong secret refused.
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "keel/base/testing/temp_dir.h"
#include "keel/cli/run_keel_for_test.h"
#include "keel/storage/testing/s3_test_server.h"
#include "nlohmann/json.hpp"

namespace keel {
namespace {

using testing::CommandResult;
using ::testing::HasSubstr;
using json = nlohmann::json;

class S3CliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    StatusOr<std::unique_ptr<testing::S3TestServer>> server = testing::S3TestServer::Start();
    if (!server.ok() && server.status().code() == absl::StatusCode::kFailedPrecondition) {
      GTEST_SKIP() << server.status();
    }
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = *std::move(server);
    StatusOr<std::unique_ptr<ObjectStore>> store =
        ObjectStoreRegistry::Builtins().Open(server_->uri(), server_->options());
    ASSERT_TRUE(store.ok()) << store.status();
    store_ = *std::move(store);
    std::string csv = "id,x,label\n";
    for (int i = 0; i < 200; ++i) {
      csv +=
          std::to_string(i) + "," + std::to_string(i % 17) + "," + (i % 17 > 8 ? "1" : "0") + "\n";
    }
    ASSERT_TRUE(store_->Put("incoming/data.csv", csv).ok());
    ASSERT_EQ(Keel({"init", "--project", "t"}).exit_code, 0);
  }

  std::vector<std::string> Env(
      const std::string& secret = testing::S3TestServer::kSecretAccessKey) {
    return {"KEEL_STORAGE_S3_ENDPOINT=" + server_->endpoint(),
            "KEEL_STORAGE_S3_PATH_STYLE=true",
            "KEEL_STORAGE_S3_REGION=us-east-1",
            std::string("KEEL_STORAGE_S3_ACCESS_KEY_ID=") + testing::S3TestServer::kAccessKeyId,
            "KEEL_STORAGE_S3_SECRET_ACCESS_KEY=" + secret,
            "KEEL_STORAGE_S3_TIMEOUT_MS=10000",
            "OMP_WAIT_POLICY=passive"};
  }
  CommandResult Keel(std::vector<std::string> args, std::vector<std::string> env = {}) {
    return testing::RunKeel(std::move(args), dir_.path(), std::move(env));
  }

  testing::TempDir dir_;
  std::unique_ptr<testing::S3TestServer> server_;
  std::unique_ptr<ObjectStore> store_;
};

TEST_F(S3CliTest, IngestFromS3IntoALocalLake) {
  CommandResult r =
      Keel({"ingest", server_->uri("incoming/data.csv"), "--name", "d", "--json"}, Env());
  ASSERT_EQ(r.exit_code, 0) << r.err;
  json j = json::parse(r.out);
  EXPECT_EQ(j["rows"], 200);
  EXPECT_EQ(j["source"], server_->uri("incoming/data.csv"));
  r = Keel({"ingest", server_->uri("incoming/data.csv"), "--name", "d"}, Env());
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("unchanged"));
}

TEST_F(S3CliTest, TheWholeLakeInABucket) {
  std::vector<std::string> env = Env();
  env.push_back("KEEL_STORAGE_URI=" + server_->uri("lake"));
  CommandResult r = Keel({"ingest", server_->uri("incoming/data.csv"), "--name", "d"}, env);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  r = Keel({"train", "--data", "d", "--target", "label", "--model", "logistic", "--name", "m",
            "--features", "x", "--valid-fraction", "0.25"},
           env);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  r = Keel({"predict", "--model", "m", "--data", "d", "--out", "p.csv", "--json"}, env);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(json::parse(r.out)["rows"], 200);

  // Everything the lake wrote is in the bucket, under the prefix.
  StatusOr<std::vector<ObjectInfo>> objects = store_->List("lake/");
  ASSERT_TRUE(objects.ok()) << objects.status();
  int datasets = 0, models = 0;
  for (const ObjectInfo& o : *objects) {
    datasets += o.key.rfind("lake/datasets/d/", 0) == 0 ? 1 : 0;
    models += o.key.rfind("lake/models/m/", 0) == 0 ? 1 : 0;
  }
  EXPECT_EQ(datasets, 2);  // the raw bytes and the table
  EXPECT_EQ(models, 1);    // the bundle
}

TEST_F(S3CliTest, AWrongSecretIsRefusedAndNothingIsRecorded) {
  CommandResult r =
      Keel({"ingest", server_->uri("incoming/data.csv"), "--name", "d"}, Env("not-the-secret"));
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.err, HasSubstr("SignatureDoesNotMatch"));
  EXPECT_THAT(r.err, ::testing::Not(HasSubstr("not-the-secret")));
  r = Keel({"datasets", "list", "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(json::parse(r.out)["datasets"].size(), 0u);
}

}  // namespace
}  // namespace keel
