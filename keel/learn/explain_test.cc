// Permutation importance against scikit-learn's permutation_importance (the
// same shuffles for the same seed, on the same model loaded in Python's
// xgboost) and on a case where the answer is known; SHAP contributions sum
// to the margin.
#include "keel/learn/explain.h"

#include <cmath>
#include <random>
#include <string>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "keel/base/files.h"
#include "keel/base/testing/python.h"
#include "keel/base/testing/temp_dir.h"
#include "keel/learn/train.h"
#include "keel/learn/trees/xgboost_model.h"
#include "keel/table/csv_reader.h"

namespace keel::learn {
namespace {

using nlohmann::json;
using ::testing::HasSubstr;

// n rows: `signal` carries the target, `noise` is unrelated, `weak` adds a
// little. Regression target y; binary target label (y > 0).
std::string SyntheticCsv(int n, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> normal(0, 1);
  std::string csv = "signal,noise,weak,y,label\n";
  for (int i = 0; i < n; ++i) {
    const double signal = normal(rng), noise = normal(rng), weak = normal(rng);
    const double y = 3 * signal + 0.5 * weak + 0.2 * normal(rng);
    absl::StrAppend(&csv, signal, ",", noise, ",", weak, ",", y, ",", y > 0 ? 1 : 0, "\n");
  }
  return csv;
}

class ExplainTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(WriteFileAtomic(csv_path(), SyntheticCsv(1500, 5)).ok());
    StatusOr<Table> table = ReadCsv(csv_path(), {});
    ASSERT_TRUE(table.ok()) << table.status();
    table_ = *table;
  }

  // A gbdt on signal, noise and weak predicting `target` ("y" or "label").
  Bundle TrainOn(const std::string& target, const std::string& learner = "gbdt") {
    TrainSpec spec;
    spec.learner = learner;
    spec.target = target;
    spec.features = {"signal", "noise", "weak"};
    spec.valid_fraction = 0;
    if (learner == "gbdt") spec.params = {"n_estimators=40", "max_depth=4"};
    StatusOr<Table> inputs = table_.SelectColumns({"signal", "noise", "weak", target});
    EXPECT_TRUE(inputs.ok());
    StatusOr<TrainOutcome> outcome = Train(*inputs, spec);
    EXPECT_TRUE(outcome.ok()) << outcome.status();
    return std::move(outcome->bundle);
  }

  std::string csv_path() const { return dir_.path() + "/data.csv"; }

  testing::TempDir dir_;
  Table table_;
};

TEST_F(ExplainTest, NoiseFeatureIsUnimportantAndSignalCarriesTheModel) {
  Bundle bundle = TrainOn("y");
  StatusOr<PermutationImportanceResult> r =
      PermutationImportance(bundle, table_, {.repeats = 4, .seed = 3});
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->metric, "r2");
  EXPECT_GT(r->baseline, 0.9);
  ASSERT_EQ(r->columns.size(), 3u);
  EXPECT_EQ(r->columns[0].name, "signal");
  EXPECT_EQ(r->columns[1].name, "noise");
  EXPECT_GT(r->columns[0].mean, 1.0);  // R² falls from ~0.97 to below 0
  EXPECT_LT(std::abs(r->columns[1].mean), 0.01);
  EXPECT_GT(r->columns[2].mean, 0.01);
  EXPECT_LT(r->columns[2].mean, r->columns[0].mean);
  EXPECT_EQ(r->columns[0].values.size(), 4u);

  // A lower-is-better metric keeps the sign: larger is more important.
  r = PermutationImportance(bundle, table_, {.repeats = 2, .features = true, .metric = "rmse"});
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_FALSE(r->greater_is_better);
  EXPECT_GT(r->columns[0].mean, 1.0);

  r = PermutationImportance(bundle, table_, {.metric = "auc"});
  EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(r.status().message(), HasSubstr("use one of: explained_variance, mae, r2, rmse"));
  r = PermutationImportance(bundle, table_, {.repeats = 0});
  EXPECT_THAT(r.status().message(), HasSubstr("at least 1"));
}

TEST_F(ExplainTest, SameNumbersAsScikitLearnPermutationImportance) {
  if (!testing::HavePythonModule("sklearn") || !testing::HavePythonModule("xgboost")) {
    GTEST_SKIP() << "python3-sklearn and python3-xgboost are needed";
  }
  for (const std::string target : {"y", "label"}) {
    Bundle bundle = TrainOn(target);
    StatusOr<std::string> payload = bundle.model().Save();
    ASSERT_TRUE(payload.ok());
    const std::string model_path = dir_.path() + "/" + target + ".json";
    ASSERT_TRUE(WriteFileAtomic(model_path, *payload).ok());
    StatusOr<PermutationImportanceResult> r =
        PermutationImportance(bundle, table_, {.repeats = 5, .seed = 1234, .features = true});
    ASSERT_TRUE(r.ok()) << r.status();
    StatusOr<json> ref = testing::RunPythonJson(
        R"PY(
import json, sys
import numpy as np, pandas as pd, xgboost as xgb
from sklearn.inspection import permutation_importance
from sklearn.metrics import r2_score, roc_auc_score
d = json.load(sys.stdin)
df = pd.read_csv(d["data"])
X = df[["signal", "noise", "weak"]].to_numpy()
y = df[d["target"]].to_numpy()
b = xgb.Booster(); b.load_model(d["model"])
metric = r2_score if d["target"] == "y" else roc_auc_score
score = lambda est, X, y: metric(y, b.predict(xgb.DMatrix(X, feature_names=["signal", "noise", "weak"])))
r = permutation_importance(None, X, y, scoring=score, n_repeats=5, random_state=1234)
print(json.dumps({"baseline": score(None, X, y), "mean": r.importances_mean.tolist(),
                  "std": r.importances_std.tolist(), "values": r.importances.tolist()}))
)PY",
        {{"data", csv_path()}, {"model", model_path}, {"target", target}});
    ASSERT_TRUE(ref.ok()) << ref.status();
    EXPECT_NEAR(r->baseline, (*ref)["baseline"].get<double>(), 1e-6) << target;
    for (size_t c = 0; c < 3; ++c) {
      EXPECT_NEAR(r->columns[c].mean, (*ref)["mean"][c].get<double>(), 1e-6) << target << c;
      EXPECT_NEAR(r->columns[c].std, (*ref)["std"][c].get<double>(), 1e-6) << target << c;
      for (size_t k = 0; k < 5; ++k) {
        EXPECT_NEAR(r->columns[c].values[k], (*ref)["values"][c][k].get<double>(), 1e-6)
            << target << " column " << c << " repeat " << k;
      }
    }
  }
}

TEST_F(ExplainTest, ContributionsSumToTheMargin) {
  Bundle bundle = TrainOn("label");
  EXPECT_EQ(ContributionColumnNames(bundle),
            (std::vector<std::string>{"shap_signal", "shap_noise", "shap_weak", "shap_bias"}));
  StatusOr<Matrix> x = bundle.Features(table_);
  ASSERT_TRUE(x.ok());
  StatusOr<Table> shap = ContributionsTable(bundle, *x);
  ASSERT_TRUE(shap.ok()) << shap.status();
  ASSERT_EQ(shap->num_rows(), table_.num_rows());
  const auto& trees = dynamic_cast<const trees::XGBoostModel&>(bundle.model());
  StatusOr<Matrix> margin = trees.PredictWithXGBoost(*x, /*margin=*/true);
  ASSERT_TRUE(margin.ok());
  double max_diff = 0;
  for (int64_t r = 0; r < shap->num_rows(); ++r) {
    double sum = 0;
    for (int c = 0; c < shap->num_columns(); ++c) sum += shap->column(c).Float64Values()[r];
    max_diff = std::max(max_diff, std::abs(sum - margin->at(r, 0)));
  }
  EXPECT_LE(max_diff, 1e-5);  // float32 sums of 41 terms

  Bundle linear = TrainOn("label", "logistic");
  StatusOr<Matrix> lx = linear.Features(table_);
  ASSERT_TRUE(lx.ok());
  StatusOr<Table> none = ContributionsTable(linear, *lx);
  EXPECT_EQ(none.status().code(), absl::StatusCode::kUnimplemented);
  EXPECT_THAT(none.status().message(), HasSubstr("this model is logistic"));
}

}  // namespace
}  // namespace keel::learn
