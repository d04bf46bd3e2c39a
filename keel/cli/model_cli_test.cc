// End-to-end tests of `keel train`, `predict`, `evaluate`, `models` and
// `runs`: the real binary in a fresh workspace. Predictions are checked
// against Python's xgboost loading the exported model.json.
#include <cmath>
#include <random>
#include <string>
#include <vector>

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

class ModelCliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_EQ(Keel({"init", "--project", "t"}).exit_code, 0);
    // 3,000 rows: four numeric features (one with gaps), a city, and a label
    // that depends on them through a logistic link.
    std::mt19937_64 rng(11);
    std::normal_distribution<double> normal(0, 1);
    std::uniform_real_distribution<double> u(0, 1);
    std::string csv = "x1,x2,x3,x4,city,label\n";
    const char* cities[] = {"Paris", "Lyon", "Nice"};
    for (int i = 0; i < 3000; ++i) {
      const double x1 = normal(rng), x2 = normal(rng), x3 = u(rng) * 10, x4 = normal(rng);
      const bool gap = u(rng) < 0.1;
      const double logit = 1.5 * x1 - x2 + 0.3 * (x3 - 5) + (gap ? 0 : 0.8 * x4);
      const int label = u(rng) < 1 / (1 + std::exp(-logit)) ? 1 : 0;
      csv += absl::StrCat(x1, ",", x2, ",", x3, ",", gap ? "" : absl::StrCat(x4), ",",
                          cities[i % 3], ",", label, "\n");
    }
    ASSERT_TRUE(WriteFileAtomic(dir_.path() + "/data.csv", csv).ok());
    ASSERT_EQ(Keel({"ingest", "data.csv", "--name", "d"}).exit_code, 0);
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

const std::vector<std::string> kFeatures = {"--features", "x1,x2,x3,x4"};

TEST_F(ModelCliTest, TrainPromotePredictMatchesPythonXgboost) {
  std::vector<std::string> train = {"train",           "--data", "d",          "--target", "label",
                                    "--model",         "gbdt",   "--name",     "m",        "-p",
                                    "n_estimators=30", "-p",     "max_depth=3"};
  train.insert(train.end(), kFeatures.begin(), kFeatures.end());
  json t = KeelJson(train);
  EXPECT_EQ(t["model"], "m");
  EXPECT_EQ(t["version"], 1);
  EXPECT_EQ(t["task"], "binary");
  EXPECT_EQ(t["train_rows"], 2400);
  EXPECT_EQ(t["valid_rows"], 600);
  EXPECT_GT(t["metrics"]["roc_auc"].get<double>(), 0.75);
  EXPECT_EQ(KeelJson(train)["version"], 2);

  CommandResult r = Keel({"models", "promote", "m", "1", "--alias", "production"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  json show = KeelJson({"models", "show", "m@production"});
  EXPECT_EQ(show["version"], 1);
  EXPECT_EQ(show["aliases"], json::array({"production"}));
  EXPECT_EQ(show["dataset"], "d");
  json list = KeelJson({"models", "list"});
  ASSERT_EQ(list.size(), 1u);
  EXPECT_EQ(list[0]["versions"], 2);

  json runs = KeelJson({"runs", "list"});
  ASSERT_EQ(runs.size(), 2u);
  EXPECT_EQ(runs[0]["status"], "finished");
  json run = KeelJson({"runs", "show", t["run_id"].get<std::string>().substr(0, 10)});
  EXPECT_EQ(run["params"]["n_estimators"], "30");
  EXPECT_TRUE(run["metrics"].contains("roc_auc"));

  json compare = KeelJson(
      {"runs", "compare", runs[0]["id"].get<std::string>(), runs[1]["id"].get<std::string>()});
  ASSERT_EQ(compare["runs"].size(), 2u);
  EXPECT_THAT(compare["params"].get<std::vector<std::string>>(), ::testing::Contains("max_depth"));
  EXPECT_THAT(compare["metrics"].get<std::vector<std::string>>(), ::testing::Contains("roc_auc"));
  CommandResult table = Keel({"runs", "compare", runs[0]["id"].get<std::string>().substr(0, 8),
                              runs[1]["id"].get<std::string>().substr(0, 8)});
  ASSERT_EQ(table.exit_code, 0) << table.err;
  EXPECT_THAT(table.out, ::testing::ContainsRegex("param n_estimators +30 +30"));
  EXPECT_EQ(Keel({"runs", "compare", "onlyone"}).exit_code, 2);

  json p = KeelJson({"predict", "--model", "m@production", "--data", "data.csv", "--out",
                     "pred.csv", "--keep-inputs"});
  EXPECT_EQ(p["rows"], 3000);
  StatusOr<Table> pred = ReadCsv(dir_.path() + "/pred.csv", {});
  ASSERT_TRUE(pred.ok()) << pred.status();
  EXPECT_EQ(pred->schema().names(),
            (std::vector<std::string>{"x1", "x2", "x3", "x4", "city", "label", "prediction",
                                      "probability"}));

  json e = KeelJson({"evaluate", "--model", "m@1", "--data", "d"});
  EXPECT_EQ(e["rows"], 3000);
  EXPECT_GT(e["metrics"]["accuracy"].get<double>(), 0.7);

  // Python's xgboost loads the exported model and gives the same numbers.
  json exported = KeelJson({"models", "export", "m@production", "--out", "exported"});
  ASSERT_EQ(exported["files"].size(), 2u);
  if (!testing::HavePythonModule("xgboost")) GTEST_SKIP() << "python3-xgboost is not installed";
  StatusOr<json> ref = testing::RunPythonJson(
      R"PY(
import json, sys
import numpy as np, pandas as pd, xgboost as xgb
d = json.load(sys.stdin)
b = xgb.Booster(); b.load_model(d["model"])
pred = pd.read_csv(d["pred"])
p = b.predict(xgb.DMatrix(pred[["x1", "x2", "x3", "x4"]].astype("float32")))
print(json.dumps({"max_diff": float(np.max(np.abs(p - pred["probability"].to_numpy())))}))
)PY",
      {{"model", dir_.path() + "/exported/model.json"}, {"pred", dir_.path() + "/pred.csv"}});
  ASSERT_TRUE(ref.ok()) << ref.status();
  EXPECT_LE((*ref)["max_diff"].get<double>(), 1e-6);
}

TEST_F(ModelCliTest, ImportedPythonModelPredictsTheSame) {
  if (!testing::HavePythonModule("xgboost")) GTEST_SKIP() << "python3-xgboost is not installed";
  StatusOr<json> ref = testing::RunPythonJson(
      R"PY(
import json, sys
import numpy as np, pandas as pd, xgboost as xgb
d = json.load(sys.stdin)
df = pd.read_csv(d["data"])
X = df[["x1", "x2", "x3", "x4"]]
m = xgb.XGBClassifier(n_estimators=20, max_depth=4, tree_method="hist").fit(X, df["label"])
m.save_model(d["model"])
print(json.dumps({"p": m.predict_proba(X)[:, 1].astype(float).tolist()}))
)PY",
      {{"data", dir_.path() + "/data.csv"}, {"model", dir_.path() + "/py.json"}});
  ASSERT_TRUE(ref.ok()) << ref.status();
  json imported = KeelJson({"models", "import", "py.json", "--name", "py"});
  EXPECT_EQ(imported["version"], 1);
  EXPECT_EQ(imported["task"], "binary");
  ASSERT_EQ(Keel({"predict", "--model", "py", "--data", "data.csv", "--out", "p.csv"}).exit_code,
            0);
  StatusOr<Table> pred = ReadCsv(dir_.path() + "/p.csv", {});
  ASSERT_TRUE(pred.ok()) << pred.status();
  const std::vector<double> want = (*ref)["p"].get<std::vector<double>>();
  StatusOr<Column> got = pred->ColumnByName("probability");
  ASSERT_TRUE(got.ok());
  ASSERT_EQ(got->length(), static_cast<int64_t>(want.size()));
  double max_diff = 0;
  for (size_t i = 0; i < want.size(); ++i) {
    max_diff = std::max(max_diff, std::abs(got->Float64Values()[i] - want[i]));
  }
  EXPECT_LE(max_diff, 1e-6);

  CommandResult r = Keel({"models", "import", "data.csv", "--name", "bad"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.err, HasSubstr("data.csv"));
}

TEST_F(ModelCliTest, BadInputIsExplained) {
  CommandResult r =
      Keel({"train", "--data", "d", "--target", "label", "--model", "gbdtt", "--name", "m"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.err, HasSubstr("unknown model 'gbdtt'. Did you mean 'gbdt'?"));

  r = Keel({"train", "--data", "d", "--target", "label", "--model", "gbdt", "--name", "m", "-p",
            "max_dept=3"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.err, HasSubstr("unknown parameter 'max_dept' for gbdt. Did you mean 'max_depth'?"));

  r = Keel({"train", "--data", "d", "--target", "labl", "--model", "gbdt", "--name", "m"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.err, HasSubstr("labl"));

  // A string column needs a transform (or leaving it out).
  r = Keel({"train", "--data", "d", "--target", "label", "--model", "gbdt", "--name", "m"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.err, HasSubstr("column 'city' is a string column"));
  json runs = KeelJson({"runs", "list"});
  ASSERT_EQ(runs.size(), 2u);  // the two that got as far as reading the data
  EXPECT_EQ(runs[0]["status"], "failed");
  EXPECT_THAT(runs[0]["error"].get<std::string>(), HasSubstr("city"));
  EXPECT_EQ(KeelJson({"models", "list"}).size(), 0u);

  r = Keel({"predict", "--model", "nope", "--data", "d", "--out", "p.csv"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.err, HasSubstr("nope"));

  std::vector<std::string> train = {"train",   "--data",   "d",      "--target", "label",
                                    "--model", "logistic", "--name", "lr"};
  train.insert(train.end(), {"--features", "x1,x2,x3"});
  ASSERT_EQ(Keel(train).exit_code, 0);
  ASSERT_TRUE(WriteFileAtomic(dir_.path() + "/missing.csv", "x1,x2\n1,2\n").ok());
  r = Keel({"predict", "--model", "lr", "--data", "missing.csv", "--out", "p.csv"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.err, HasSubstr("x3"));
  EXPECT_FALSE(PathExists(dir_.path() + "/p.csv"));
}

}  // namespace
}  // namespace keel
