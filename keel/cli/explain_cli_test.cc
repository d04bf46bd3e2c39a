// End-to-end tests of `keel evaluate --importance` and `keel predict
// --explain` (SHAP contributions checked against Python's xgboost
// pred_contribs on the exported model), and of input that must fail cleanly:
// a class too small to stratify, a bundle from a newer keel, a `keel train`
// killed mid-run.
#include <signal.h>

#include <chrono>
#include <cmath>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "keel/base/files.h"
#include "keel/base/testing/python.h"
#include "keel/base/testing/subprocess.h"
#include "keel/base/testing/temp_dir.h"
#include "keel/cli/run_keel_for_test.h"
#include "keel/table/csv_reader.h"
#include "nlohmann/json.hpp"

namespace keel {
namespace {

using testing::CommandResult;
using ::testing::HasSubstr;
using json = nlohmann::json;

class ExplainCliTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_EQ(Keel({"init", "--project", "t"}).exit_code, 0); }

  // `rows` rows: signal and weak drive the label, noise does not.
  void WriteData(const std::string& name, int rows) {
    std::mt19937_64 rng(3);
    std::normal_distribution<double> normal(0, 1);
    std::string csv = "signal,noise,weak,label\n";
    for (int i = 0; i < rows; ++i) {
      const double s = normal(rng), n = normal(rng), w = normal(rng);
      const int label = 2 * s + 0.5 * w + 0.3 * normal(rng) > 0 ? 1 : 0;
      absl::StrAppend(&csv, s, ",", n, ",", w, ",", label, "\n");
    }
    ASSERT_TRUE(WriteFileAtomic(dir_.path() + "/" + name, csv).ok());
  }

  CommandResult Keel(std::vector<std::string> args) {
    return testing::RunKeel(std::move(args), dir_.path());
  }
  json KeelJson(std::vector<std::string> args) {
    args.push_back("--json");
    CommandResult r = Keel(args);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return json::parse(r.out, nullptr, false);
  }

  testing::TempDir dir_;
};

TEST_F(ExplainCliTest, EvaluateRanksColumnsByPermutationAndGain) {
  WriteData("data.csv", 2000);
  ASSERT_EQ(Keel({"ingest", "data.csv", "--name", "d"}).exit_code, 0);
  ASSERT_EQ(Keel({"train", "--data", "d", "--target", "label", "--model", "gbdt", "--name", "m",
                  "-p", "n_estimators=30"})
                .exit_code,
            0);
  json e = KeelJson({"evaluate", "--model", "m", "--data", "d", "--importance", "permutation",
                     "--repeats", "3", "--seed", "7"});
  const json& imp = e["importance"];
  EXPECT_EQ(imp["kind"], "permutation");
  EXPECT_EQ(imp["metric"], "roc_auc");
  EXPECT_EQ(imp["repeats"], 3);
  EXPECT_EQ(imp["over"], "inputs");
  ASSERT_EQ(imp["columns"].size(), 3u);
  EXPECT_EQ(imp["columns"][0]["name"], "signal");  // most important first
  EXPECT_EQ(imp["columns"][1]["name"], "weak");
  EXPECT_EQ(imp["columns"][2]["name"], "noise");
  EXPECT_GT(imp["columns"][0]["mean"].get<double>(), 0.2);
  EXPECT_LT(std::abs(imp["columns"][2]["mean"].get<double>()), 0.01);
  EXPECT_EQ(imp["columns"][0]["values"].size(), 3u);
  // The same seed gives the same numbers.
  json again = KeelJson({"evaluate", "--model", "m", "--data", "data.csv", "--importance",
                         "permutation", "--repeats", "3", "--seed", "7"});
  EXPECT_EQ(again["importance"]["columns"], imp["columns"]);

  json gain = KeelJson({"evaluate", "--model", "m", "--data", "d", "--importance", "gain"});
  EXPECT_EQ(gain["importance"]["kind"], "gain");
  EXPECT_EQ(gain["importance"]["features"][0]["name"], "signal");

  CommandResult text = Keel({"evaluate", "--model", "m", "--data", "d", "--importance",
                             "permutation", "--permute", "features", "--metric", "log_loss"});
  ASSERT_EQ(text.exit_code, 0) << text.err;
  EXPECT_THAT(text.out, HasSubstr("log_loss rise when each feature is shuffled (5 repeats"));
  EXPECT_THAT(text.out, ::testing::ContainsRegex("FEATURE +MEAN +STD\nsignal"));

  CommandResult r = Keel({"evaluate", "--model", "m", "--data", "d", "--importance", "gian"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.err, HasSubstr("use one of: permutation, cover, gain, weight"));
  r = Keel(
      {"evaluate", "--model", "m", "--data", "d", "--importance", "permutation", "--metric", "r2"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.err, HasSubstr("metric 'r2' is not one a binary model reports"));
}

TEST_F(ExplainCliTest, PredictExplainEqualsXgboostPredContribs) {
  WriteData("data.csv", 1000);
  ASSERT_EQ(Keel({"ingest", "data.csv", "--name", "d"}).exit_code, 0);
  ASSERT_EQ(Keel({"train", "--data", "d", "--target", "label", "--model", "gbdt", "--name", "m",
                  "-p", "n_estimators=25", "-p", "max_depth=4"})
                .exit_code,
            0);
  json p = KeelJson({"predict", "--model", "m", "--data", "data.csv", "--out", "p.csv", "--explain",
                     "--chunk-rows", "300"});
  EXPECT_EQ(p["rows"], 1000);
  StatusOr<Table> pred = ReadCsv(dir_.path() + "/p.csv", {});
  ASSERT_TRUE(pred.ok()) << pred.status();
  EXPECT_EQ(pred->schema().names(),
            (std::vector<std::string>{"prediction", "probability", "shap_signal", "shap_noise",
                                      "shap_weak", "shap_bias"}));
  // A row's contributions sum to its log-odds.
  double max_sum_diff = 0;
  for (int64_t r = 0; r < pred->num_rows(); ++r) {
    double sum = 0;
    for (int c = 2; c < 6; ++c) sum += pred->column(c).Float64Values()[r];
    const double prob = pred->column(1).Float64Values()[r];
    max_sum_diff = std::max(max_sum_diff, std::abs(1 / (1 + std::exp(-sum)) - prob));
  }
  EXPECT_LE(max_sum_diff, 1e-6);

  CommandResult r = Keel({"models", "export", "m", "--out", "exported"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  if (!testing::HavePythonModule("xgboost")) GTEST_SKIP() << "python3-xgboost is not installed";
  StatusOr<json> ref = testing::RunPythonJson(
      R"PY(
import json, sys
import numpy as np, pandas as pd, xgboost as xgb
d = json.load(sys.stdin)
b = xgb.Booster(); b.load_model(d["model"])
X = pd.read_csv(d["data"])[["signal", "noise", "weak"]].astype("float32")
contribs = b.predict(xgb.DMatrix(X), pred_contribs=True)
got = pd.read_csv(d["pred"])[["shap_signal", "shap_noise", "shap_weak", "shap_bias"]].to_numpy()
print(json.dumps({"max_diff": float(np.max(np.abs(contribs - got))), "shape": list(contribs.shape)}))
)PY",
      {{"model", dir_.path() + "/exported/model.json"},
       {"data", dir_.path() + "/data.csv"},
       {"pred", dir_.path() + "/p.csv"}});
  ASSERT_TRUE(ref.ok()) << ref.status();
  EXPECT_EQ((*ref)["shape"], json::array({1000, 4}));
  EXPECT_LE((*ref)["max_diff"].get<double>(), 1e-6);

  // Linear models have no SHAP path: the flag is refused before any work.
  ASSERT_EQ(
      Keel({"train", "--data", "d", "--target", "label", "--model", "logistic", "--name", "lr"})
          .exit_code,
      0);
  r = Keel({"predict", "--model", "lr", "--data", "data.csv", "--out", "q.csv", "--explain"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.err, HasSubstr("--explain: SHAP contributions are computed for tree models"));
  EXPECT_THAT(r.err, HasSubstr("--importance permutation"));
  EXPECT_FALSE(PathExists(dir_.path() + "/q.csv"));
}

TEST_F(ExplainCliTest, ClassTooSmallForStratifiedSplitIsNamed) {
  std::string csv = "x,label\n";
  for (int i = 0; i < 40; ++i) absl::StrAppend(&csv, i, ",", i % 2 ? "cat" : "dog", "\n");
  absl::StrAppend(&csv, "7,axolotl\n");
  ASSERT_TRUE(WriteFileAtomic(dir_.path() + "/pets.csv", csv).ok());
  ASSERT_EQ(Keel({"ingest", "pets.csv", "--name", "pets"}).exit_code, 0);
  CommandResult r =
      Keel({"train", "--data", "pets", "--target", "label", "--model", "logistic", "--name", "p"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.err, HasSubstr("class 'axolotl' of target column 'label' has only 1 row"));
  EXPECT_THAT(r.err, HasSubstr("--split random"));
  EXPECT_EQ(KeelJson({"models", "list"}).size(), 0u);
}

TEST_F(ExplainCliTest, BundleFromNewerKeelAsksToUpgrade) {
  WriteData("data.csv", 200);
  ASSERT_EQ(Keel({"ingest", "data.csv", "--name", "d"}).exit_code, 0);
  ASSERT_EQ(
      Keel({"train", "--data", "d", "--target", "label", "--model", "logistic", "--name", "m"})
          .exit_code,
      0);
  // What a newer keel sharing this registry would leave: a bundle whose
  // manifest names keel 9.0.0, registered with its own checksum.
  StatusOr<json> edited = testing::RunPythonJson(
      R"PY(
import hashlib, json, sqlite3, sys
d = json.load(sys.stdin)
db = sqlite3.connect(d["dir"] + "/.keel/keel.db")
key, = db.execute("SELECT bundle_key FROM model_versions WHERE model = 'm'").fetchone()
path = d["dir"] + "/.keel/lake/" + key
data = open(path, "rb").read()
header, body = data.split(b"\n\n", 1)
lines = header.split(b"\n")
sections, at = [], 0
for line in lines[1:]:
    name, size, _ = line.split(b" ")
    sections.append([name, body[at:at + int(size)]]); at += int(size)
for s in sections:
    if s[0] == b"manifest.json":
        m = json.loads(s[1]); m["keel_version"] = "keel 9.0.0 (git future)"; s[1] = json.dumps(m).encode()
out = lines[0] + b"\n" + b"".join(b"%s %d %s\n" % (n, len(b), hashlib.sha256(b).hexdigest().encode())
                                  for n, b in sections) + b"\n" + b"".join(b for _, b in sections)
open(path, "wb").write(out)
db.execute("UPDATE model_versions SET bundle_sha256 = ?, bundle_size_bytes = ? WHERE model = 'm'",
           (hashlib.sha256(out).hexdigest(), len(out)))
db.commit()
print(json.dumps({"key": key}))
)PY",
      {{"dir", dir_.path()}});
  ASSERT_TRUE(edited.ok()) << edited.status();
  for (const std::vector<std::string>& args :
       {std::vector<std::string>{"predict", "--model", "m", "--data", "data.csv", "--out", "p.csv"},
        std::vector<std::string>{"evaluate", "--model", "m", "--data", "d"}}) {
    CommandResult r = Keel(args);
    EXPECT_EQ(r.exit_code, 1) << args[0];
    EXPECT_THAT(r.err, HasSubstr("this model bundle was written by keel 9.0.0 (git future), "
                                 "newer than this keel (0."))
        << args[0];
    EXPECT_THAT(r.err, HasSubstr("upgrade keel to 9.0.0 or later")) << args[0];
  }
  EXPECT_FALSE(PathExists(dir_.path() + "/p.csv"));
}

TEST_F(ExplainCliTest, KilledTrainLeavesNoHalfRegisteredVersion) {
  WriteData("big.csv", 60000);
  ASSERT_EQ(Keel({"ingest", "big.csv", "--name", "big"}).exit_code, 0);
  const std::vector<std::string> quick = {"train", "--data",  "big",           "--target",
                                          "label", "--model", "gbdt",          "--name",
                                          "m",     "-p",      "n_estimators=3"};
  ASSERT_EQ(KeelJson(quick)["version"], 1);

  // Thousands of deep rounds without a validation set (no early stopping):
  // far longer than the test waits.
  std::vector<std::string> slow = {
      KEEL_BINARY, "train",        "--data",           "big", "--target", "label",
      "--model",   "gbdt",         "--name",           "m",   "-p",       "n_estimators=10000",
      "-p",        "max_depth=10", "--valid-fraction", "0"};
  testing::BackgroundProcess train(slow, {.cwd = dir_.path(), .env = {"OMP_WAIT_POLICY=passive"}});
  ASSERT_TRUE(train.started());
  // Kill it once its run is recorded, i.e. while it trains.
  bool running = false;
  for (int i = 0; i < 300 && !running && train.Running(); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    json runs = KeelJson({"runs", "list"});
    for (const json& run : runs) running = running || run["status"] == "running";
  }
  ASSERT_TRUE(running) << train.err();
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  ASSERT_TRUE(train.Running()) << "finished before it could be killed: " << train.err();
  EXPECT_EQ(train.Stop(SIGKILL), 128 + SIGKILL);

  json models = KeelJson({"models", "list"});
  ASSERT_EQ(models.size(), 1u);
  EXPECT_EQ(models[0]["versions"], 1);
  json versions = KeelJson({"models", "show", "m"});
  EXPECT_EQ(versions["version"], 1);
  // Its run does not stay "running" forever: the process is gone.
  json runs = KeelJson({"runs", "list"});
  int killed = 0;
  for (const json& run : runs) {
    EXPECT_NE(run["status"], "running") << run.dump();
    if (run["status"] == "killed") {
      ++killed;
      EXPECT_THAT(run["error"].get<std::string>(), HasSubstr("ended before the run finished"));
    }
  }
  EXPECT_EQ(killed, 1);
  EXPECT_EQ(KeelJson(quick)["version"], 2);
}

}  // namespace
}  // namespace keel
