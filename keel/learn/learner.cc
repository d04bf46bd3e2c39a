#include "keel/learn/learner.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "keel/base/suggest.h"

namespace keel::learn {
namespace {

constexpr std::pair<Task, std::string_view> kTaskNames[] = {
    {Task::kRegression, "regression"}, {Task::kBinary, "binary"},
    {Task::kMulticlass, "multiclass"}, {Task::kClustering, "clustering"},
    {Task::kReduction, "reduction"},
};

}  // namespace

std::string_view TaskName(Task task) {
  for (const auto& [t, name] : kTaskNames) {
    if (t == task) return name;
  }
  return "unknown";
}

StatusOr<Task> ParseTask(std::string_view name) {
  std::vector<std::string> names;
  for (const auto& [task, task_name] : kTaskNames) {
    if (task_name == name) return task;
    names.emplace_back(task_name);
  }
  return absl::InvalidArgumentError(absl::StrCat("unknown task '", std::string(name), "'.",
                                                 DidYouMean(name, names),
                                                 " Tasks: ", absl::StrJoin(names, ", "), "."));
}

bool IsSupervised(Task task) {
  return task == Task::kRegression || task == Task::kBinary || task == Task::kMulticlass;
}

void LearnerRegistry::Register(std::unique_ptr<Learner> learner) {
  std::string name(learner->name());
  learners_[std::move(name)] = std::move(learner);
}

Status SparseNotSupported(std::string_view name) {
  return absl::InvalidArgumentError(absl::StrCat(
      "learner '", std::string(name),
      "' cannot take sparse features (the pipeline has steps with output: sparse); use a "
      "learner that can (gbdt, linear, logistic, rf) or set output: dense on those steps (small "
      "vocabularies only)"));
}

Status Model::PredictSparse(const transform::SparseMatrix&, Matrix*) const {
  return SparseNotSupported(learner());
}

StatusOr<const Learner*> LearnerRegistry::Find(std::string_view name) const {
  auto it = learners_.find(name);
  if (it != learners_.end()) return it->second.get();
  std::vector<std::string> names = Names();
  return absl::NotFoundError(absl::StrCat("unknown model '", std::string(name), "'.",
                                          DidYouMean(name, names),
                                          " Available: ", absl::StrJoin(names, ", "), "."));
}

std::vector<std::string> LearnerRegistry::Names() const {
  std::vector<std::string> names;
  for (const auto& [name, learner] : learners_) names.push_back(name);
  return names;
}

}  // namespace keel::learn
