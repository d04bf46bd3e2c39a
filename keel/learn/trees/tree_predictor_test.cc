// Keel's compiled predictor against XGBoost's own predictor, in process, on
// every kind of model the learners train (NaNs in the inputs included).
#include "keel/learn/trees/tree_predictor.h"

#include <cmath>
#include <iterator>
#include <limits>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "keel/learn/trees/test_data.h"
#include "keel/learn/trees/xgboost_learner.h"
#include "keel/learn/trees/xgboost_model.h"

namespace keel::learn::trees {
namespace {

using ::testing::HasSubstr;

constexpr double kTolerance = 1e-6;

double MaxAbsDiff(const Matrix& a, const Matrix& b) {
  EXPECT_EQ(a.rows(), b.rows());
  EXPECT_EQ(a.cols(), b.cols());
  double diff = 0;
  for (int64_t i = 0; i < a.rows() * a.cols(); ++i) {
    diff = std::max(diff, std::abs(a.data()[i] - b.data()[i]));
  }
  return diff;
}

std::unique_ptr<XGBoostModel> Train(const Learner& learner, const TestData& data, Task task,
                                    int num_classes, std::vector<std::string> assignments) {
  StatusOr<Params> params = ParseParams(learner.name(), learner.params(), assignments);
  EXPECT_TRUE(params.ok()) << params.status();
  TrainData train{.x = data.x,
                  .y = data.y,
                  .task = task,
                  .num_classes = num_classes,
                  .feature_names = data.names};
  StatusOr<std::unique_ptr<Model>> model = learner.Fit(train, *params, {.seed = 7});
  EXPECT_TRUE(model.ok()) << model.status();
  if (!model.ok()) return nullptr;
  return std::unique_ptr<XGBoostModel>(static_cast<XGBoostModel*>(model->release()));
}

// Compiled vs XGBoost on fresh rows (probabilities and margins), and
// PredictRow vs Predict. Returns the largest difference seen.
double ExpectSameAsXGBoost(const XGBoostModel& model, const Matrix& x) {
  Matrix compiled;
  EXPECT_TRUE(model.Predict(x, &compiled).ok());
  StatusOr<Matrix> reference = model.PredictWithXGBoost(x);
  EXPECT_TRUE(reference.ok()) << reference.status();
  const double diff = MaxAbsDiff(compiled, *reference);
  EXPECT_LE(diff, kTolerance);

  Matrix margins;
  EXPECT_TRUE(model.predictor().Predict(x, &margins, /*margin=*/true).ok());
  StatusOr<Matrix> reference_margins = model.PredictWithXGBoost(x, /*margin=*/true);
  EXPECT_TRUE(reference_margins.ok());
  const double margin_diff = MaxAbsDiff(margins, *reference_margins);
  EXPECT_LE(margin_diff, kTolerance);

  std::vector<double> out(static_cast<size_t>(model.num_outputs()));
  double row_diff = 0;
  for (int64_t r = 0; r < x.rows(); ++r) {
    EXPECT_TRUE(model.PredictRow(x.row(r), out).ok());
    for (size_t k = 0; k < out.size(); ++k) {
      row_diff = std::max(row_diff, std::abs(out[k] - compiled.at(r, static_cast<int64_t>(k))));
    }
  }
  EXPECT_EQ(row_diff, 0.0);
  std::printf("max |keel - xgboost|: %.3g (margins %.3g) over %lld rows x %lld outputs\n", diff,
              margin_diff, static_cast<long long>(x.rows()),
              static_cast<long long>(model.num_outputs()));
  return std::max(diff, margin_diff);
}

TEST(TreePredictorTest, BinaryGbdtMatchesXGBoost) {
  const TestData train = MakeTestData(3000, 12, Task::kBinary, 2, 1);
  auto model = Train(GbdtLearner(), train, Task::kBinary, 2, {"n_estimators=60"});
  ASSERT_NE(model, nullptr);
  EXPECT_EQ(model->task(), Task::kBinary);
  EXPECT_EQ(model->predictor().objective(), "binary:logistic");
  ExpectSameAsXGBoost(*model, MakeTestData(5000, 12, Task::kBinary, 2, 2, 0.2).x);
}

TEST(TreePredictorTest, MulticlassGbdtMatchesXGBoost) {
  const TestData train = MakeTestData(3000, 10, Task::kMulticlass, 4, 3);
  auto model = Train(GbdtLearner(), train, Task::kMulticlass, 4, {"n_estimators=40"});
  ASSERT_NE(model, nullptr);
  EXPECT_EQ(model->num_outputs(), 4);
  EXPECT_EQ(model->predictor().num_trees(), 160);
  ExpectSameAsXGBoost(*model, MakeTestData(4000, 10, Task::kMulticlass, 4, 4, 0.2).x);
}

TEST(TreePredictorTest, RegressionGbdtMatchesXGBoostWithLargeTargets) {
  // Targets in the thousands: float sums must follow XGBoost's order exactly.
  const TestData train = MakeTestData(3000, 8, Task::kRegression, 0, 5, 0.1, 1000.0);
  auto model =
      Train(GbdtLearner(), train, Task::kRegression, 0, {"n_estimators=100", "max_depth=8"});
  ASSERT_NE(model, nullptr);
  EXPECT_EQ(model->predictor().objective(), "reg:squarederror");
  ExpectSameAsXGBoost(*model, MakeTestData(5000, 8, Task::kRegression, 0, 6, 0.3).x);
}

TEST(TreePredictorTest, ApproxAndExactTreeMethodsMatchXGBoost) {
  const TestData train = MakeTestData(1500, 6, Task::kBinary, 2, 7);
  for (const char* method : {"tree_method=approx", "tree_method=exact"}) {
    SCOPED_TRACE(method);
    auto model = Train(GbdtLearner(), train, Task::kBinary, 2, {"n_estimators=30", method});
    ASSERT_NE(model, nullptr);
    ExpectSameAsXGBoost(*model, MakeTestData(2000, 6, Task::kBinary, 2, 8, 0.2).x);
  }
}

TEST(TreePredictorTest, RandomForestsMatchXGBoost) {
  const TestData binary = MakeTestData(2000, 8, Task::kBinary, 2, 9);
  auto forest = Train(RandomForestLearner(), binary, Task::kBinary, 2, {"n_estimators=50"});
  ASSERT_NE(forest, nullptr);
  EXPECT_EQ(forest->predictor().num_trees(), 50);
  EXPECT_EQ(forest->rounds(), 1);
  ExpectSameAsXGBoost(*forest, MakeTestData(3000, 8, Task::kBinary, 2, 10, 0.2).x);

  const TestData multi = MakeTestData(2000, 8, Task::kMulticlass, 3, 11);
  auto multi_forest =
      Train(RandomForestLearner(), multi, Task::kMulticlass, 3, {"n_estimators=20"});
  ASSERT_NE(multi_forest, nullptr);
  EXPECT_EQ(multi_forest->predictor().num_trees(), 60);
  ExpectSameAsXGBoost(*multi_forest, MakeTestData(3000, 8, Task::kMulticlass, 3, 12, 0.2).x);

  const TestData reg = MakeTestData(2000, 8, Task::kRegression, 0, 13);
  auto reg_forest = Train(RandomForestLearner(), reg, Task::kRegression, 0, {"n_estimators=30"});
  ASSERT_NE(reg_forest, nullptr);
  ExpectSameAsXGBoost(*reg_forest, MakeTestData(3000, 8, Task::kRegression, 0, 14, 0.2).x);
}

TEST(TreePredictorTest, AllMissingRowsAndSingleRows) {
  const TestData train = MakeTestData(1000, 5, Task::kBinary, 2, 15);
  auto model = Train(GbdtLearner(), train, Task::kBinary, 2, {"n_estimators=20"});
  ASSERT_NE(model, nullptr);
  Matrix x = MakeTestData(7, 5, Task::kBinary, 2, 16, 1.0).x;  // every value NaN
  ExpectSameAsXGBoost(*model, x);
  ExpectSameAsXGBoost(*model, MakeTestData(1, 5, Task::kBinary, 2, 17).x);
}

// Features on a small integer grid: XGBoost's split thresholds then fall on
// values that rows carry exactly, so x == threshold is scored under both
// missing-value directions (the compiled form tests x < t as -x >= -t's
// successor for nodes whose missing values go right). Signed zeros and
// denormals too (XGBoost refuses infinite inputs).
TEST(TreePredictorTest, ValuesExactlyOnThresholdsAndSignedZeros) {
  TestData train = MakeTestData(3000, 6, Task::kBinary, 2, 21, 0.15);
  for (int64_t i = 0; i < train.x.rows() * train.x.cols(); ++i) {
    double& v = train.x.data()[i];
    if (!std::isnan(v)) v = std::round(v * 2);
  }
  for (const std::string method : {"hist", "exact"}) {
    auto model = Train(GbdtLearner(), train, Task::kBinary, 2,
                       {"n_estimators=40", "tree_method=" + method});
    ASSERT_NE(model, nullptr);
    const double specials[] = {-0.0,
                               0.0,
                               std::nan(""),
                               std::numeric_limits<double>::denorm_min(),
                               -std::numeric_limits<double>::denorm_min()};
    Matrix x = MakeTestData(2000, 6, Task::kBinary, 2, 22, 0.1).x;
    for (int64_t i = 0; i < x.rows() * x.cols(); ++i) {
      double& v = x.data()[i];
      v = i % 5 == 0 ? specials[(i / 5) % std::size(specials)] : std::round(v * 2);
    }
    EXPECT_EQ(ExpectSameAsXGBoost(*model, x), 0.0) << method;
  }
}

TEST(TreePredictorTest, WrongFeatureCountNamesBothCounts) {
  const TestData train = MakeTestData(500, 5, Task::kRegression, 0, 18);
  auto model = Train(GbdtLearner(), train, Task::kRegression, 0, {"n_estimators=5"});
  ASSERT_NE(model, nullptr);
  Matrix out;
  Status status = model->Predict(Matrix(3, 4), &out);
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(status.message()), HasSubstr("has 4 features"));
  EXPECT_THAT(std::string(status.message()), HasSubstr("trained on 5"));
  std::vector<double> row(6);
  double one = 0;
  status = model->PredictRow(row, {&one, 1});
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(status.message()), HasSubstr("has 6 features"));
}

TEST(TreePredictorTest, TruncatedJsonIsDataLoss) {
  const TestData train = MakeTestData(500, 5, Task::kRegression, 0, 19);
  auto model = Train(GbdtLearner(), train, Task::kRegression, 0, {"n_estimators=5"});
  ASSERT_NE(model, nullptr);
  StatusOr<std::string> json = model->Save();
  ASSERT_TRUE(json.ok());
  const std::string truncated = json->substr(0, json->size() / 2);
  StatusOr<TreePredictor> compiled = TreePredictor::FromXGBoostJson(truncated);
  EXPECT_EQ(compiled.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_THAT(std::string(compiled.status().message()), HasSubstr("does not parse"));
  StatusOr<std::unique_ptr<Model>> loaded = GbdtLearner().Load(truncated);
  EXPECT_EQ(loaded.status().code(), absl::StatusCode::kDataLoss);

  StatusOr<TreePredictor> no_trees = TreePredictor::FromXGBoostJson(R"({"learner": {}})");
  EXPECT_EQ(no_trees.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_THAT(std::string(no_trees.status().message()),
              HasSubstr("/learner/learner_model_param is missing"));
}

TEST(TreePredictorTest, UnknownObjectiveIsRefusedWithTheList) {
  const TestData train = MakeTestData(500, 5, Task::kRegression, 0, 20);
  auto model = Train(GbdtLearner(), train, Task::kRegression, 0, {"n_estimators=3"});
  ASSERT_NE(model, nullptr);
  StatusOr<std::string> json = model->Save();
  ASSERT_TRUE(json.ok());
  std::string changed = *json;
  const size_t at = changed.find("reg:squarederror");
  ASSERT_NE(at, std::string::npos);
  changed.replace(at, 16, "rank:pairwise");
  StatusOr<TreePredictor> compiled = TreePredictor::FromXGBoostJson(changed);
  EXPECT_EQ(compiled.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(compiled.status().message()),
              HasSubstr("objective 'rank:pairwise' is not supported"));
  EXPECT_THAT(std::string(compiled.status().message()), HasSubstr("multi:softprob"));
}

}  // namespace
}  // namespace keel::learn::trees
