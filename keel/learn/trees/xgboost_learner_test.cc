#include "keel/learn/trees/xgboost_learner.h"

#include <cmath>
#include <map>
#include <string>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "keel/learn/trees/register.h"
#include "keel/learn/trees/test_data.h"
#include "keel/learn/trees/xgboost_model.h"

namespace keel::learn::trees {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsSupersetOf;

Params Parse(const Learner& learner, std::vector<std::string> assignments) {
  StatusOr<Params> params = ParseParams(learner.name(), learner.params(), assignments);
  EXPECT_TRUE(params.ok()) << params.status();
  return params.ok() ? *params : Params();
}

std::vector<std::string> SpecNames(const Learner& learner) {
  std::vector<std::string> names;
  for (const ParamSpec& spec : learner.params()) names.push_back(spec.name);
  return names;
}

TEST(XGBoostLearnerTest, RegistersGbdtAndRf) {
  LearnerRegistry registry;
  RegisterTreeLearners(registry);
  EXPECT_THAT(registry.Names(), ElementsAre("gbdt", "rf"));
  StatusOr<const Learner*> gbdt = registry.Find("gbdt");
  ASSERT_TRUE(gbdt.ok());
  EXPECT_THAT((*gbdt)->tasks(), ElementsAre(Task::kRegression, Task::kBinary, Task::kMulticlass));
}

TEST(XGBoostLearnerTest, DeclaresTunableParameters) {
  GbdtLearner gbdt;
  EXPECT_THAT(SpecNames(gbdt),
              IsSupersetOf({"n_estimators", "eta", "max_depth", "min_child_weight", "subsample",
                            "colsample_bytree", "lambda", "alpha", "gamma", "max_bin",
                            "tree_method", "early_stopping_rounds"}));
  for (const ParamSpec& spec : gbdt.params()) {
    if (spec.name == "eta") {
      EXPECT_TRUE(spec.log_scale);
      EXPECT_EQ(spec.default_value, "0.3");
    }
  }
  Params defaults = Parse(gbdt, {});
  EXPECT_EQ(defaults.Choice("tree_method"), "hist");
  EXPECT_EQ(defaults.Int("max_depth"), 6);

  RandomForestLearner rf;
  EXPECT_THAT(SpecNames(rf), IsSupersetOf({"n_estimators", "subsample", "colsample_bynode"}));
  Params rf_defaults = Parse(rf, {});
  EXPECT_LT(rf_defaults.Float("subsample"), 1.0);
  EXPECT_LT(rf_defaults.Float("colsample_bynode"), 1.0);
  EXPECT_FALSE(ParseParams("gbdt", gbdt.params(), {"eta=2"}).ok());
}

TEST(XGBoostLearnerTest, OnIterationIsCalledOncePerRound) {
  const TestData data = MakeTestData(800, 6, Task::kRegression, 0, 1);
  GbdtLearner gbdt;
  std::vector<int> rounds;
  std::map<std::string, double> last;
  FitOptions options{.on_iteration = [&](int i, const std::map<std::string, double>& metrics) {
    rounds.push_back(i);
    last = metrics;
  }};
  TrainData train{.x = data.x, .y = data.y, .task = Task::kRegression};
  StatusOr<std::unique_ptr<Model>> model =
      gbdt.Fit(train, Parse(gbdt, {"n_estimators=7"}), options);
  ASSERT_TRUE(model.ok()) << model.status();
  EXPECT_THAT(rounds, ElementsAre(0, 1, 2, 3, 4, 5, 6));
  ASSERT_EQ(last.count("train-rmse"), 1u);
  EXPECT_GT(last["train-rmse"], 0.0);
}

TEST(XGBoostLearnerTest, EarlyStoppingKeepsTheBestIteration) {
  // Few rows, deep trees and a high learning rate: the validation loss
  // turns up after a few rounds.
  const TestData data = MakeTestData(300, 6, Task::kBinary, 2, 2, 0.1);
  const TestData held_out = MakeTestData(1000, 6, Task::kBinary, 2, 3, 0.1);
  GbdtLearner gbdt;
  std::vector<double> valid_loss;
  ValidData valid{.x = held_out.x, .y = held_out.y};
  FitOptions options{.valid = &valid,
                     .on_iteration = [&](int, const std::map<std::string, double>& metrics) {
                       valid_loss.push_back(metrics.at("valid-logloss"));
                     }};
  TrainData train{.x = data.x, .y = data.y, .task = Task::kBinary, .num_classes = 2};
  StatusOr<std::unique_ptr<Model>> model =
      gbdt.Fit(train,
               Parse(gbdt, {"n_estimators=300", "eta=0.8", "max_depth=8", "min_child_weight=0",
                            "early_stopping_rounds=5", "eval_metric=logloss"}),
               options);
  ASSERT_TRUE(model.ok()) << model.status();
  ASSERT_FALSE(valid_loss.empty());
  const int best =
      static_cast<int>(std::min_element(valid_loss.begin(), valid_loss.end()) - valid_loss.begin());
  EXPECT_LT(valid_loss.size(), 300u) << "did not stop early";
  EXPECT_EQ(static_cast<int>(valid_loss.size()), best + 1 + 5);
  const auto& xgb_model = static_cast<const XGBoostModel&>(**model);
  EXPECT_EQ(xgb_model.rounds(), best + 1);
  EXPECT_EQ(xgb_model.predictor().num_trees(), best + 1);
  StatusOr<std::string> json = xgb_model.Save();
  ASSERT_TRUE(json.ok());
  EXPECT_THAT(*json, HasSubstr(absl::StrCat("\"best_iteration\":\"", best, "\"")));
}

TEST(XGBoostLearnerTest, SaveAndLoadPredictTheSame) {
  const TestData data = MakeTestData(1000, 6, Task::kMulticlass, 3, 4);
  GbdtLearner gbdt;
  TrainData train{.x = data.x,
                  .y = data.y,
                  .task = Task::kMulticlass,
                  .num_classes = 3,
                  .feature_names = data.names};
  StatusOr<std::unique_ptr<Model>> model = gbdt.Fit(train, Parse(gbdt, {"n_estimators=10"}), {});
  ASSERT_TRUE(model.ok()) << model.status();
  StatusOr<std::string> payload = (*model)->Save();
  ASSERT_TRUE(payload.ok());
  StatusOr<std::unique_ptr<Model>> loaded = gbdt.Load(*payload);
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  EXPECT_EQ((*loaded)->task(), Task::kMulticlass);
  EXPECT_EQ((*loaded)->num_features(), 6);
  EXPECT_EQ((*loaded)->num_outputs(), 3);
  EXPECT_EQ(static_cast<const XGBoostModel&>(**loaded).feature_names(), data.names);
  Matrix a, b;
  ASSERT_TRUE((*model)->Predict(data.x, &a).ok());
  ASSERT_TRUE((*loaded)->Predict(data.x, &b).ok());
  for (int64_t i = 0; i < a.rows() * a.cols(); ++i) ASSERT_EQ(a.data()[i], b.data()[i]);
}

TEST(XGBoostLearnerTest, ImportanceRanksTheInformativeFeatures) {
  const TestData data = MakeTestData(2000, 8, Task::kRegression, 0, 5, 0.0);
  GbdtLearner gbdt;
  TrainData train{.x = data.x, .y = data.y, .task = Task::kRegression, .feature_names = data.names};
  StatusOr<std::unique_ptr<Model>> model = gbdt.Fit(train, Parse(gbdt, {"n_estimators=30"}), {});
  ASSERT_TRUE(model.ok());
  std::map<std::string, std::vector<double>> importance = (*model)->Importance();
  ASSERT_EQ(importance.count("gain"), 1u);
  ASSERT_EQ(importance.count("weight"), 1u);
  ASSERT_EQ(importance.count("cover"), 1u);
  const std::vector<double>& gain = importance["gain"];
  ASSERT_EQ(gain.size(), 8u);
  // Features 0..3 carry the signal; 4..7 are noise.
  const double min_signal = *std::min_element(gain.begin(), gain.begin() + 4);
  const double max_noise = *std::max_element(gain.begin() + 4, gain.end());
  EXPECT_GT(min_signal, max_noise);
}

TEST(XGBoostLearnerTest, ContributionsSumToTheMargin) {
  const TestData data = MakeTestData(500, 5, Task::kMulticlass, 3, 6);
  GbdtLearner gbdt;
  TrainData train{.x = data.x, .y = data.y, .task = Task::kMulticlass, .num_classes = 3};
  StatusOr<std::unique_ptr<Model>> model = gbdt.Fit(train, Parse(gbdt, {"n_estimators=10"}), {});
  ASSERT_TRUE(model.ok());
  const auto& xgb_model = static_cast<const XGBoostModel&>(**model);
  StatusOr<Matrix> contributions = xgb_model.Contributions(data.x);
  ASSERT_TRUE(contributions.ok()) << contributions.status();
  ASSERT_EQ(contributions->rows(), 500);
  ASSERT_EQ(contributions->cols(), 3 * 6);
  Matrix margins;
  ASSERT_TRUE(xgb_model.predictor().Predict(data.x, &margins, /*margin=*/true).ok());
  for (int64_t r = 0; r < 500; ++r) {
    for (int g = 0; g < 3; ++g) {
      double sum = 0;
      for (int c = 0; c < 6; ++c) sum += contributions->at(r, g * 6 + c);
      ASSERT_NEAR(sum, margins.at(r, g), 1e-4) << "row " << r << " class " << g;
    }
  }
}

TEST(XGBoostLearnerTest, MulticlassLabelOutOfRangeNamesTheRow) {
  TestData data = MakeTestData(100, 4, Task::kMulticlass, 3, 7);
  data.y[42] = 3;
  GbdtLearner gbdt;
  TrainData train{.x = data.x, .y = data.y, .task = Task::kMulticlass, .num_classes = 3};
  StatusOr<std::unique_ptr<Model>> model = gbdt.Fit(train, Parse(gbdt, {}), {});
  EXPECT_EQ(model.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(model.status().message()), HasSubstr("label at row 42 is 3"));
  EXPECT_THAT(std::string(model.status().message()), HasSubstr("labels 0..2"));
}

TEST(XGBoostLearnerTest, RejectsBadData) {
  TestData data = MakeTestData(100, 4, Task::kBinary, 2, 8);
  GbdtLearner gbdt;
  const Params params = Parse(gbdt, {"n_estimators=2"});
  data.y[5] = 0.5;
  TrainData binary{.x = data.x, .y = data.y, .task = Task::kBinary, .num_classes = 2};
  EXPECT_THAT(std::string(gbdt.Fit(binary, params, {}).status().message()),
              HasSubstr("label at row 5 is 0.5"));
  data.y[5] = std::nan("");
  EXPECT_THAT(std::string(gbdt.Fit(binary, params, {}).status().message()),
              HasSubstr("label at row 5 is nan"));
  TrainData clustering{.x = data.x, .task = Task::kClustering};
  EXPECT_THAT(std::string(gbdt.Fit(clustering, params, {}).status().message()),
              HasSubstr("does not do task 'clustering'"));
  data.y[5] = 1;
  Matrix other(10, 3);
  std::vector<double> other_y(10, 0.0);
  ValidData valid{.x = other, .y = other_y};
  EXPECT_THAT(std::string(gbdt.Fit(binary, params, {.valid = &valid}).status().message()),
              HasSubstr("validation set has 3 features"));
}

}  // namespace
}  // namespace keel::learn::trees
