// Keel's learners with their defaults on scikit-learn's bundled datasets,
// against scikit-learn and Python's xgboost on the same fixed split: test
// scores within 1% of theirs.
#include <cmath>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "keel/base/testing/python.h"
#include "keel/base/testing/temp_dir.h"
#include "keel/learn/train.h"
#include "keel/table/csv_reader.h"

namespace keel::learn {
namespace {

using nlohmann::json;

// Writes <dir>/<name>_train.csv and _test.csv (columns f0.., target) and
// prints the reference test scores of each model.
constexpr char kScript[] = R"PY(
import json, sys, warnings
import numpy as np, pandas as pd, xgboost as xgb
from sklearn import datasets, linear_model, metrics
from sklearn.model_selection import train_test_split
warnings.filterwarnings("ignore")
d = json.load(sys.stdin)
out = {}
for name, loader, kind in [("breast_cancer", datasets.load_breast_cancer, "binary"),
                           ("wine", datasets.load_wine, "multiclass"),
                           ("iris", datasets.load_iris, "multiclass"),
                           ("digits", datasets.load_digits, "multiclass"),
                           ("diabetes", datasets.load_diabetes, "regression")]:
    X, y = loader(return_X_y=True)
    strat = y if kind != "regression" else None
    Xtr, Xte, ytr, yte = train_test_split(X, y, test_size=0.25, random_state=0, stratify=strat)
    cols = ["f%d" % i for i in range(X.shape[1])]
    for part, Xp, yp in [("train", Xtr, ytr), ("test", Xte, yte)]:
        df = pd.DataFrame(Xp, columns=cols); df["target"] = yp
        df.to_csv("%s/%s_%s.csv" % (d["dir"], name, part), index=False, float_format="%.17g")
    r = {}
    if kind == "regression":
        g = xgb.XGBRegressor(tree_method="hist", random_state=0).fit(Xtr, ytr)
        r["gbdt"] = {"r2": metrics.r2_score(yte, g.predict(Xte))}
        l = linear_model.LinearRegression().fit(Xtr, ytr)
        r["linear"] = {"r2": metrics.r2_score(yte, l.predict(Xte))}
    else:
        g = xgb.XGBClassifier(tree_method="hist", random_state=0).fit(Xtr, ytr)
        l = linear_model.LogisticRegression(C=1.0, solver="newton-cg", tol=1e-10,
                                            max_iter=10000).fit(Xtr, ytr)
        for key, m in [("gbdt", g), ("logistic", l)]:
            s = {"accuracy": metrics.accuracy_score(yte, m.predict(Xte))}
            if kind == "binary":
                s["roc_auc"] = metrics.roc_auc_score(yte, m.predict_proba(Xte)[:, 1])
            r[key] = s
    out[name] = r
print(json.dumps(out))
)PY";

TEST(RealDataTest, WithinOnePercentOfScikitLearnAndXgboost) {
  if (!testing::HavePythonModule("sklearn") || !testing::HavePythonModule("xgboost")) {
    GTEST_SKIP() << "python3-sklearn and python3-xgboost are needed";
  }
  testing::TempDir dir;
  StatusOr<json> ref = testing::RunPythonJson(kScript, {{"dir", dir.path()}}, 300);
  ASSERT_TRUE(ref.ok()) << ref.status();
  for (const auto& [dataset, models] : ref->items()) {
    StatusOr<Table> train = ReadCsv(dir.path() + "/" + dataset + "_train.csv", {});
    StatusOr<Table> test = ReadCsv(dir.path() + "/" + dataset + "_test.csv", {});
    ASSERT_TRUE(train.ok() && test.ok()) << dataset;
    for (const auto& [learner, scores] : models.items()) {
      TrainSpec spec;
      spec.learner = learner;
      spec.target = "target";
      spec.valid_fraction = 0;
      // Integer targets: say which task (a gbdt could regress on them too).
      spec.task = dataset == "diabetes"        ? Task::kRegression
                  : dataset == "breast_cancer" ? Task::kBinary
                                               : Task::kMulticlass;
      StatusOr<TrainOutcome> outcome = Train(*train, spec);
      ASSERT_TRUE(outcome.ok()) << dataset << " " << learner << ": " << outcome.status();
      StatusOr<std::map<std::string, double>> got = Evaluate(outcome->bundle, *test);
      ASSERT_TRUE(got.ok()) << got.status();
      for (const auto& [metric, value] : scores.items()) {
        const double want = value.get<double>();
        EXPECT_LE(std::abs(got->at(metric) - want), 0.01 * std::abs(want))
            << dataset << " " << learner << " " << metric << ": keel " << got->at(metric)
            << ", reference " << want;
      }
    }
  }
}

}  // namespace
}  // namespace keel::learn
