// For every learner: Save -> Load -> Predict is bit-identical, Save is
// stable across a reload, PredictRow equals Predict bit for bit, and the
// registry lists them all.
#include <cstring>
#include <ostream>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "keel/learn/linear/register.h"
#include "keel/learn/linear/sklearn_reference.h"

namespace keel::learn {
namespace {

struct Case {
  std::string learner;
  Task task;
  int num_classes;
  std::vector<std::string> params;
};
void PrintTo(const Case& c, std::ostream* os) { *os << c.learner; }

class ModelIoTest : public ::testing::TestWithParam<Case> {};

bool SameBits(double a, double b) { return std::memcmp(&a, &b, sizeof(double)) == 0; }

TEST_P(ModelIoTest, SaveLoadPredictAndPredictRowAgreeBitForBit) {
  const Case& c = GetParam();
  // 7 columns: not a multiple of the kernels' 4 partial sums.
  Matrix x = testing_util::Gaussian(120, 7, 101, 2.0, 0.3);
  std::vector<double> y;
  if (c.task == Task::kRegression) {
    y = testing_util::LinearTarget(x, std::vector<double>{1, -2, 0.5, 0, 3, 0.1, -0.7}, 0.25, 0.3,
                                   102);
  } else if (c.task == Task::kBinary || c.task == Task::kMulticlass) {
    y = testing_util::SoftmaxLabels(x, c.num_classes, 103);
  }
  TrainData train{.x = x,
                  .y = y,
                  .task = c.task,
                  .num_classes = c.num_classes,
                  .feature_names = {"a", "b", "c", "d", "e", "f", "g"}};
  std::unique_ptr<Model> model = testing_util::FitOrDie(c.learner, train, c.params);
  ASSERT_NE(model, nullptr);
  EXPECT_EQ(model->learner(), c.learner);
  EXPECT_EQ(model->task(), c.task);
  EXPECT_EQ(model->num_features(), 7);

  StatusOr<std::string> payload = model->Save();
  ASSERT_TRUE(payload.ok()) << payload.status();
  StatusOr<std::unique_ptr<Model>> loaded = testing_util::LinearLearner(c.learner).Load(*payload);
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  EXPECT_EQ(*(*loaded)->Save(), *payload);  // nothing lost or rounded

  const Matrix test = testing_util::Gaussian(50, 7, 104, 3.0);
  Matrix before, after;
  ASSERT_TRUE(model->Predict(test, &before).ok());
  ASSERT_TRUE((*loaded)->Predict(test, &after).ok());
  ASSERT_EQ(before.cols(), model->num_outputs());
  ASSERT_EQ(after.cols(), before.cols());
  std::vector<double> row_out(static_cast<size_t>(model->num_outputs()));
  for (int64_t r = 0; r < test.rows(); ++r) {
    ASSERT_TRUE(model->PredictRow(test.row(r), row_out).ok());
    for (int64_t j = 0; j < before.cols(); ++j) {
      EXPECT_TRUE(SameBits(before.at(r, j), after.at(r, j))) << "row " << r << " output " << j;
      EXPECT_TRUE(SameBits(before.at(r, j), row_out[j])) << "row " << r << " output " << j;
    }
  }
}

INSTANTIATE_TEST_SUITE_P(
    Learners, ModelIoTest,
    ::testing::Values(Case{"linear", Task::kRegression, 0, {}},
                      Case{"linear", Task::kRegression, 0, {"alpha=3"}},
                      Case{"lasso", Task::kRegression, 0, {"alpha=0.05", "l1_ratio=0.7"}},
                      Case{"logistic", Task::kBinary, 2, {"C=0.3"}},
                      Case{"logistic", Task::kMulticlass, 4, {}},
                      Case{"kmeans", Task::kClustering, 0, {"k=5", "n_init=3"}},
                      Case{"pca", Task::kReduction, 0, {"n_components=3"}},
                      Case{"pca", Task::kReduction, 0, {"whiten=true"}}),
    [](const ::testing::TestParamInfo<Case>& info) {
      return info.param.learner + std::string(TaskName(info.param.task)) +
             std::to_string(info.index);
    });

TEST(RegisterTest, ListsEveryLinearLearnerWithItsParameters) {
  LearnerRegistry registry;
  RegisterLinearLearners(registry);
  EXPECT_THAT(registry.Names(),
              ::testing::ElementsAre("kmeans", "lasso", "linear", "logistic", "pca"));
  for (const std::string& name : registry.Names()) {
    const Learner* learner = *registry.Find(name);
    EXPECT_FALSE(learner->description().empty());
    EXPECT_FALSE(learner->tasks().empty());
    // Every default parses against its own spec.
    EXPECT_TRUE(ParseParams(name, learner->params(), {}).ok()) << name;
    for (const ParamSpec& spec : learner->params()) EXPECT_FALSE(spec.help.empty()) << spec.name;
  }
  StatusOr<const Learner*> missing = registry.Find("lassso");
  ASSERT_FALSE(missing.ok());
  EXPECT_THAT(std::string(missing.status().message()), ::testing::HasSubstr("'lasso'"));
}

TEST(ModelIoTest, ImportanceIsTheAbsoluteCoefficients) {
  Matrix x = testing_util::Gaussian(100, 3, 111);
  const std::vector<double> y =
      testing_util::LinearTarget(x, std::vector<double>{-4, 0, 2}, 1, 0.01, 112);
  TrainData train{.x = x, .y = y};
  std::unique_ptr<Model> model = testing_util::FitOrDie("linear", train, {});
  ASSERT_NE(model, nullptr);
  const std::vector<double> coef = model->Importance().at("coef");
  ASSERT_EQ(coef.size(), 3u);
  EXPECT_NEAR(coef[0], 4, 0.01);
  EXPECT_NEAR(coef[1], 0, 0.01);
  EXPECT_NEAR(coef[2], 2, 0.01);
}

}  // namespace
}  // namespace keel::learn
