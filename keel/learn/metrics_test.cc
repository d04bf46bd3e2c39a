// Keel's metrics against scikit-learn 1.2 on the same random labels and
// scores (rounded so that ties occur).
#include "keel/learn/metrics.h"

#include <cmath>
#include <random>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "keel/base/testing/python.h"

namespace keel::learn {
namespace {

using nlohmann::json;
using ::testing::HasSubstr;

constexpr char kSklearnScript[] = R"PY(
import json, sys
import numpy as np
from sklearn import metrics as m
d = json.load(sys.stdin)
yb = np.array(d["y_binary"]); sb = np.array(d["score_binary"])
pb = (sb >= 0.5).astype(int)
ym = np.array(d["y_multi"]); pm = np.array(d["proba_multi"]); am = pm.argmax(axis=1)
yr = np.array(d["y_reg"]); pr = np.array(d["pred_reg"])
x = np.array(d["x"]); lab = np.array(d["labels"])
out = {
  "accuracy": m.accuracy_score(yb, pb),
  "precision": m.precision_score(yb, pb), "recall": m.recall_score(yb, pb), "f1": m.f1_score(yb, pb),
  "roc_auc": m.roc_auc_score(yb, sb), "pr_auc": m.average_precision_score(yb, sb),
  "log_loss": m.log_loss(yb, sb),
  "confusion": m.confusion_matrix(yb, pb).tolist(),
  "m_accuracy": m.accuracy_score(ym, am),
  "m_precision_macro": m.precision_score(ym, am, average="macro", zero_division=0),
  "m_recall_weighted": m.recall_score(ym, am, average="weighted", zero_division=0),
  "m_f1_macro": m.f1_score(ym, am, average="macro", zero_division=0),
  "m_f1_weighted": m.f1_score(ym, am, average="weighted", zero_division=0),
  "m_log_loss": m.log_loss(ym, pm),
  "m_roc_auc_ovr": m.roc_auc_score(ym, pm, multi_class="ovr"),
  "m_confusion": m.confusion_matrix(ym, am).tolist(),
  "rmse": m.mean_squared_error(yr, pr) ** 0.5, "mae": m.mean_absolute_error(yr, pr),
  "r2": m.r2_score(yr, pr), "explained_variance": m.explained_variance_score(yr, pr),
  "silhouette": m.silhouette_score(x, lab),
}
print(json.dumps(out))
)PY";

struct Data {
  std::vector<double> y_binary, score_binary, y_multi, y_reg, pred_reg, labels;
  Matrix proba_multi, x, score_matrix;
};

Data Generate() {
  std::mt19937_64 rng(7);
  std::uniform_real_distribution<double> u(0, 1);
  std::normal_distribution<double> normal(0, 1);
  Data d;
  const int n = 600;
  d.proba_multi = Matrix(n, 3);
  d.score_matrix = Matrix(n, 1);
  d.x = Matrix(n, 2);
  for (int i = 0; i < n; ++i) {
    const double y = u(rng) < 0.3 ? 1 : 0;
    d.y_binary.push_back(y);
    // Informative but noisy, rounded to 2 decimals so that scores tie.
    const double s = std::round(std::clamp(0.35 * y + 0.65 * u(rng), 0.0, 1.0) * 100) / 100;
    d.score_binary.push_back(s);
    d.score_matrix.at(i, 0) = s;
    const int c = static_cast<int>(u(rng) * 3);
    d.y_multi.push_back(c);
    double sum = 0;
    for (int k = 0; k < 3; ++k) {
      d.proba_multi.at(i, k) = u(rng) + (k == c ? 0.8 : 0.0);
      sum += d.proba_multi.at(i, k);
    }
    for (int k = 0; k < 3; ++k) d.proba_multi.at(i, k) /= sum;
    const double truth = 10 * normal(rng);
    d.y_reg.push_back(truth);
    d.pred_reg.push_back(truth + 3 * normal(rng));
    const int cluster = i % 3;
    d.labels.push_back(cluster);
    d.x.at(i, 0) = 4.0 * cluster + normal(rng);
    d.x.at(i, 1) = -2.0 * cluster + normal(rng);
  }
  return d;
}

json MatrixJson(const Matrix& m) {
  json rows = json::array();
  for (int64_t r = 0; r < m.rows(); ++r) {
    rows.push_back(std::vector<double>(m.row(r).begin(), m.row(r).end()));
  }
  return rows;
}

TEST(MetricsTest, MatchScikitLearn) {
  if (!testing::HavePythonModule("sklearn")) GTEST_SKIP() << "python3-sklearn is not installed";
  const Data d = Generate();
  StatusOr<json> ref =
      testing::RunPythonJson(kSklearnScript, {{"y_binary", d.y_binary},
                                              {"score_binary", d.score_binary},
                                              {"y_multi", d.y_multi},
                                              {"proba_multi", MatrixJson(d.proba_multi)},
                                              {"y_reg", d.y_reg},
                                              {"pred_reg", d.pred_reg},
                                              {"x", MatrixJson(d.x)},
                                              {"labels", d.labels}});
  ASSERT_TRUE(ref.ok()) << ref.status();
  constexpr double kTol = 1e-12;

  StatusOr<std::map<std::string, double>> binary =
      EvaluateClassifier(d.y_binary, d.score_matrix, 2);
  ASSERT_TRUE(binary.ok()) << binary.status();
  for (const char* name :
       {"accuracy", "precision", "recall", "f1", "roc_auc", "pr_auc", "log_loss"}) {
    EXPECT_NEAR(binary->at(name), (*ref)[name].get<double>(), kTol) << name;
  }
  std::vector<double> predicted;
  for (double s : d.score_binary) predicted.push_back(s >= 0.5 ? 1 : 0);
  EXPECT_EQ(json(ConfusionMatrix(d.y_binary, predicted, 2)), (*ref)["confusion"]);

  StatusOr<std::map<std::string, double>> multi = EvaluateClassifier(d.y_multi, d.proba_multi, 3);
  ASSERT_TRUE(multi.ok()) << multi.status();
  EXPECT_NEAR(multi->at("accuracy"), (*ref)["m_accuracy"].get<double>(), kTol);
  EXPECT_NEAR(multi->at("precision_macro"), (*ref)["m_precision_macro"].get<double>(), kTol);
  EXPECT_NEAR(multi->at("f1_macro"), (*ref)["m_f1_macro"].get<double>(), kTol);
  EXPECT_NEAR(multi->at("log_loss"), (*ref)["m_log_loss"].get<double>(), kTol);
  EXPECT_NEAR(multi->at("roc_auc_ovr"), (*ref)["m_roc_auc_ovr"].get<double>(), kTol);
  std::vector<double> argmax;
  for (int64_t r = 0; r < d.proba_multi.rows(); ++r) {
    std::span<const double> row = d.proba_multi.row(r);
    argmax.push_back(static_cast<double>(std::max_element(row.begin(), row.end()) - row.begin()));
  }
  const auto confusion = ConfusionMatrix(d.y_multi, argmax, 3);
  EXPECT_EQ(json(confusion), (*ref)["m_confusion"]);
  const PrecisionRecallF1 weighted = PrecisionRecall(confusion, Average::kWeighted);
  EXPECT_NEAR(weighted.recall, (*ref)["m_recall_weighted"].get<double>(), kTol);
  EXPECT_NEAR(weighted.f1, (*ref)["m_f1_weighted"].get<double>(), kTol);

  Matrix pred(static_cast<int64_t>(d.pred_reg.size()), 1);
  for (size_t i = 0; i < d.pred_reg.size(); ++i)
    pred.at(static_cast<int64_t>(i), 0) = d.pred_reg[i];
  const std::map<std::string, double> reg = EvaluateRegressor(d.y_reg, pred);
  for (const char* name : {"rmse", "mae", "r2", "explained_variance"}) {
    EXPECT_NEAR(reg.at(name), (*ref)[name].get<double>(), 1e-10) << name;
  }

  StatusOr<double> silhouette = Silhouette(d.x, d.labels);
  ASSERT_TRUE(silhouette.ok());
  EXPECT_NEAR(*silhouette, (*ref)["silhouette"].get<double>(), 1e-12);
}

TEST(MetricsTest, EdgeCasesFollowScikitLearn) {
  const std::vector<double> same = {1, 1, 1};
  EXPECT_EQ(R2(same, same), 1.0);
  EXPECT_EQ(R2(same, std::vector<double>{1, 2, 1}), 0.0);
  StatusOr<double> auc = RocAuc(same, std::vector<double>{0.1, 0.2, 0.3});
  ASSERT_FALSE(auc.ok());
  EXPECT_THAT(std::string(auc.status().message()), HasSubstr("only one class"));
  // Perfect ranking; all-tied scores give 0.5.
  EXPECT_EQ(*RocAuc(std::vector<double>{0, 0, 1, 1}, std::vector<double>{0.1, 0.2, 0.8, 0.9}), 1.0);
  EXPECT_EQ(*RocAuc(std::vector<double>{0, 1, 0, 1}, std::vector<double>{0.5, 0.5, 0.5, 0.5}), 0.5);
  Matrix x(3, 1);
  EXPECT_FALSE(Silhouette(x, std::vector<double>{0, 0, 0}).ok());
}

TEST(MetricsTest, InertiaSumsSquaredDistances) {
  Matrix x(3, 2), centres(2, 2);
  x.at(0, 0) = 1;
  x.at(1, 0) = 3;
  x.at(2, 1) = 10;
  centres.at(0, 0) = 2;
  centres.at(1, 1) = 9;
  EXPECT_EQ(Inertia(x, std::vector<double>{0, 0, 1}, centres), 1.0 + 1.0 + 1.0);
}

}  // namespace
}  // namespace keel::learn
