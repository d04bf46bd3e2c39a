// Bad input to the linear learners and their models: each error says what,
// where (row, column, feature name) and how to fix it.
#include <cmath>
#include <limits>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "keel/learn/linear/sklearn_reference.h"

namespace keel::learn {
namespace {

using ::testing::HasSubstr;

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

StatusOr<std::unique_ptr<Model>> Fit(const std::string& name, const TrainData& train,
                                     const std::vector<std::string>& assignments = {}) {
  const Learner& learner = testing_util::LinearLearner(name);
  KEEL_ASSIGN_OR_RETURN(Params params, ParseParams(name, learner.params(), assignments));
  return learner.Fit(train, params, {});
}

std::string Message(const Status& status) { return std::string(status.message()); }

TEST(InputErrorsTest, NanInXNamesRowColumnAndSuggestsImputing) {
  Matrix x = testing_util::Gaussian(10, 3, 1);
  x.at(7, 2) = kNaN;
  std::vector<double> y(10, 1.0);
  std::vector<double> labels(10, 0.0);
  labels[0] = 1;
  for (const std::string name : {"linear", "lasso", "logistic", "kmeans", "pca"}) {
    SCOPED_TRACE(name);
    TrainData train{.x = x, .y = y, .feature_names = {"age", "income", "balance"}};
    if (name == "logistic") {
      train.y = labels;
      train.task = Task::kBinary;
      train.num_classes = 2;
    } else if (name == "kmeans") {
      train.task = Task::kClustering;
      train.y = {};
    } else if (name == "pca") {
      train.task = Task::kReduction;
      train.y = {};
    }
    StatusOr<std::unique_ptr<Model>> model =
        Fit(name, train,
            name == "kmeans" ? std::vector<std::string>{"k=2"} : std::vector<std::string>{});
    ASSERT_FALSE(model.ok());
    EXPECT_EQ(model.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(Message(model.status()), HasSubstr("row 7, column 2 ('balance')"));
    EXPECT_THAT(Message(model.status()), HasSubstr("impute"));
  }
}

TEST(InputErrorsTest, PredictRejectsNanAndWrongWidth) {
  Matrix x = testing_util::Gaussian(20, 2, 2);
  const std::vector<double> y = testing_util::LinearTarget(x, std::vector<double>{1, 2}, 0, 0.1, 3);
  TrainData train{.x = x, .y = y};
  StatusOr<std::unique_ptr<Model>> model = Fit("linear", train);
  ASSERT_TRUE(model.ok()) << model.status();
  Matrix bad = x;
  bad.at(4, 1) = kNaN;
  Matrix out;
  Status status = (*model)->Predict(bad, &out);
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(Message(status), HasSubstr("row 4, column 1"));
  double row_out = 0;
  status = (*model)->PredictRow(bad.row(4), {&row_out, 1});
  EXPECT_THAT(Message(status), HasSubstr("column 1"));
  Matrix wide(3, 5);
  status = (*model)->Predict(wide, &out);
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(Message(status), HasSubstr("5 columns but the model was trained on 2 features"));
  x.at(0, 0) = std::numeric_limits<double>::infinity();
  TrainData infinite{.x = x, .y = y};
  EXPECT_THAT(Message(Fit("linear", infinite).status()), HasSubstr("an infinite value at row 0"));
}

TEST(InputErrorsTest, YLengthMismatch) {
  Matrix x = testing_util::Gaussian(10, 2, 4);
  std::vector<double> y(9, 0.0);
  for (const std::string name : {"linear", "lasso"}) {
    TrainData train{.x = x, .y = y};
    EXPECT_THAT(Message(Fit(name, train).status()), HasSubstr("y has 9 values but X has 10 rows"));
  }
  TrainData binary{.x = x, .y = y, .task = Task::kBinary, .num_classes = 2};
  EXPECT_THAT(Message(Fit("logistic", binary).status()), HasSubstr("y has 9 values"));
}

TEST(InputErrorsTest, LabelsOutsideTheClassesAndUnsupportedTasks) {
  Matrix x = testing_util::Gaussian(4, 2, 5);
  std::vector<double> y = {0, 1, 2, 1};
  TrainData binary{.x = x, .y = y, .task = Task::kBinary, .num_classes = 2};
  EXPECT_THAT(Message(Fit("logistic", binary).status()),
              HasSubstr("label 2 at row 2 is not a class index 0..1"));
  TrainData regression{.x = x, .y = y, .task = Task::kRegression};
  EXPECT_THAT(Message(Fit("logistic", regression).status()),
              HasSubstr("logistic does not do task 'regression'; it does: binary, multiclass"));
  TrainData clustering{.x = x, .task = Task::kClustering};
  EXPECT_THAT(Message(Fit("linear", clustering).status()),
              HasSubstr("linear does not do task 'clustering'"));
}

TEST(InputErrorsTest, KMoreThanRows) {
  Matrix x = testing_util::Gaussian(5, 2, 6);
  TrainData train{.x = x, .task = Task::kClustering};
  Status status = Fit("kmeans", train, {"k=6"}).status();
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(Message(status), HasSubstr("k=6 clusters but only 5 rows"));
  EXPECT_TRUE(Fit("kmeans", train, {"k=5"}).ok());
}

TEST(InputErrorsTest, TooManyComponents) {
  Matrix x = testing_util::Gaussian(5, 3, 7);
  TrainData train{.x = x, .task = Task::kReduction};
  Status status = Fit("pca", train, {"n_components=4"}).status();
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(Message(status), HasSubstr("n_components=4 is more than min(rows, features) = "
                                         "min(5, 3) = 3"));
  Matrix wide = testing_util::Gaussian(3, 5, 8);
  TrainData wide_train{.x = wide, .task = Task::kReduction};
  EXPECT_THAT(Message(Fit("pca", wide_train, {"n_components=4"}).status()),
              HasSubstr("min(3, 5) = 3"));
}

TEST(InputErrorsTest, EmptyDataAndBadWeights) {
  Matrix empty(0, 3);
  TrainData train{.x = empty};
  EXPECT_THAT(Message(Fit("linear", train).status()), HasSubstr("no training data (0 rows"));
  Matrix x = testing_util::Gaussian(3, 1, 9);
  std::vector<double> y = {1, 2, 3};
  std::vector<double> w = {1, -1, 1};
  TrainData weighted{.x = x, .y = y, .weights = w};
  EXPECT_THAT(Message(Fit("linear", weighted).status()),
              HasSubstr("sample weight -1 at row 1 must be finite and >= 0"));
}

TEST(InputErrorsTest, CorruptPayloadsAreDataLoss) {
  for (const std::string name : {"linear", "lasso", "logistic", "kmeans", "pca"}) {
    const Learner& learner = testing_util::LinearLearner(name);
    EXPECT_EQ(learner.Load("not json").status().code(), absl::StatusCode::kDataLoss) << name;
    EXPECT_EQ(learner.Load("{\"format\":\"other\"}").status().code(), absl::StatusCode::kDataLoss)
        << name;
  }
  // A linear payload handed to the lasso learner.
  Matrix x = testing_util::Gaussian(10, 2, 10);
  const std::vector<double> y =
      testing_util::LinearTarget(x, std::vector<double>{1, 2}, 0, 0.1, 11);
  TrainData train{.x = x, .y = y};
  std::unique_ptr<Model> model = testing_util::FitOrDie("linear", train, {});
  ASSERT_NE(model, nullptr);
  Status status = testing_util::LinearLearner("lasso").Load(*model->Save()).status();
  EXPECT_EQ(status.code(), absl::StatusCode::kDataLoss);
  EXPECT_THAT(Message(status), HasSubstr("saved by 'linear', not 'lasso'"));
  std::string truncated = *model->Save();
  truncated.resize(truncated.size() / 2);
  EXPECT_EQ(testing_util::LinearLearner("linear").Load(truncated).status().code(),
            absl::StatusCode::kDataLoss);
}

}  // namespace
}  // namespace keel::learn
