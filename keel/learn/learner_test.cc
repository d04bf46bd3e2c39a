#include "keel/learn/learner.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace keel::learn {
namespace {

using ::testing::ElementsAre;

// The smallest learner: predicts the mean of y.
class MeanModel : public Model {
 public:
  explicit MeanModel(double mean) : mean_(mean) {}
  std::string_view learner() const override { return "mean"; }
  Task task() const override { return Task::kRegression; }
  int64_t num_features() const override { return 1; }
  int64_t num_outputs() const override { return 1; }
  Status Predict(const Matrix& x, Matrix* out) const override {
    *out = Matrix(x.rows(), 1);
    for (int64_t r = 0; r < x.rows(); ++r) out->at(r, 0) = mean_;
    return absl::OkStatus();
  }
  Status PredictRow(std::span<const double>, std::span<double> out) const override {
    out[0] = mean_;
    return absl::OkStatus();
  }
  StatusOr<std::string> Save() const override { return std::to_string(mean_); }

 private:
  double mean_;
};

class MeanLearner : public Learner {
 public:
  std::string_view name() const override { return "mean"; }
  std::string_view description() const override { return "predicts the mean"; }
  std::span<const Task> tasks() const override { return kTasks; }
  std::span<const ParamSpec> params() const override { return {}; }
  StatusOr<std::unique_ptr<Model>> Fit(const TrainData& train, const Params&,
                                       const FitOptions&) const override {
    double sum = 0;
    for (double y : train.y) sum += y;
    return std::make_unique<MeanModel>(sum / static_cast<double>(train.y.size()));
  }
  StatusOr<std::unique_ptr<Model>> Load(std::string_view payload) const override {
    return std::make_unique<MeanModel>(std::stod(std::string(payload)));
  }

 private:
  static constexpr Task kTasks[] = {Task::kRegression};
};

TEST(LearnerTest, RegistryFindsByNameAndListsTheOthers) {
  LearnerRegistry registry;
  registry.Register(std::make_unique<MeanLearner>());
  EXPECT_THAT(registry.Names(), ElementsAre("mean"));
  StatusOr<const Learner*> found = registry.Find("mean");
  ASSERT_TRUE(found.ok());
  Matrix x(2, 1);
  const double y[] = {1, 3};
  TrainData train{.x = x, .y = y};
  StatusOr<Params> params = ParseParams("mean", (*found)->params(), {});
  ASSERT_TRUE(params.ok());
  StatusOr<std::unique_ptr<Model>> model = (*found)->Fit(train, *params, {});
  ASSERT_TRUE(model.ok());
  double out = 0;
  ASSERT_TRUE((*model)->PredictRow(x.row(0), {&out, 1}).ok());
  EXPECT_EQ(out, 2.0);

  StatusOr<const Learner*> missing = registry.Find("meen");
  EXPECT_EQ(missing.status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(missing.status().message(),
            "unknown model 'meen'. Did you mean 'mean'? Available: mean.");
}

TEST(LearnerTest, TaskNamesRoundTrip) {
  for (Task task :
       {Task::kRegression, Task::kBinary, Task::kMulticlass, Task::kClustering, Task::kReduction}) {
    StatusOr<Task> parsed = ParseTask(TaskName(task));
    ASSERT_TRUE(parsed.ok());
    EXPECT_EQ(*parsed, task);
  }
  EXPECT_FALSE(ParseTask("regresion").ok());
  EXPECT_TRUE(IsSupervised(Task::kBinary));
  EXPECT_FALSE(IsSupervised(Task::kClustering));
}

}  // namespace
}  // namespace keel::learn
