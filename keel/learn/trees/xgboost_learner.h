// The learners backed by libxgboost: "gbdt" (gradient-boosted trees) and
// "rf" (random forests: many parallel trees in one round). Both train
// through XGBoost's C API and return an XGBoostModel, scored by Keel's
// compiled TreePredictor.
#ifndef KEEL_LEARN_TREES_XGBOOST_LEARNER_H_
#define KEEL_LEARN_TREES_XGBOOST_LEARNER_H_

#include <memory>
#include <span>
#include <string_view>
#include <vector>

#include "keel/learn/learner.h"

namespace keel::learn::trees {

// Tasks: regression (reg:squarederror), binary (binary:logistic),
// multiclass (multi:softprob). Fit validates the data first
// (InvalidArgument naming the row for a NaN or infinite label, a binary
// label other than 0/1, a multiclass label outside 0..num_classes-1, and
// naming both counts for a validation set with other columns), then trains
// with FitOptions' seed and threads, reporting "train-<metric>" and
// "valid-<metric>" after each round to on_iteration. With a validation set
// and early_stopping_rounds > 0, training stops after that many rounds
// without improvement of the last validation metric and the model keeps
// only the rounds up to the best one (its JSON also records best_iteration
// and best_score, as Python's xgboost does).
class GbdtLearner : public Learner {
 public:
  GbdtLearner();
  std::string_view name() const override { return "gbdt"; }
  std::string_view description() const override {
    return "gradient-boosted decision trees (XGBoost)";
  }
  std::span<const Task> tasks() const override;
  std::span<const ParamSpec> params() const override { return specs_; }
  // Sparse input trains from XGBoost's CSR DMatrix: an absent entry (a 0)
  // is missing, as XGBoost treats sparse input; the model records it
  // (attribute keel_zero_is_missing) so dense rows score the same.
  bool takes_sparse() const override { return true; }
  StatusOr<std::unique_ptr<Model>> Fit(const TrainData& train, const Params& params,
                                       const FitOptions& options) const override;
  // Reads XGBoost JSON or UBJSON. Errors: DataLoss, InvalidArgument (as
  // XGBoostModel::FromBytes).
  StatusOr<std::unique_ptr<Model>> Load(std::string_view payload) const override;

 private:
  std::vector<ParamSpec> specs_;
};

// A random forest in XGBoost: one round of n_estimators parallel trees,
// eta = 1, rows subsampled (subsample < 1) and features per node
// (colsample_bynode), as xgboost.XGBRFClassifier. Same tasks, checks and
// payload as GbdtLearner; on_iteration is called once.
class RandomForestLearner : public Learner {
 public:
  RandomForestLearner();
  std::string_view name() const override { return "rf"; }
  std::string_view description() const override { return "random forest (XGBoost)"; }
  std::span<const Task> tasks() const override;
  std::span<const ParamSpec> params() const override { return specs_; }
  // Sparse input trains from XGBoost's CSR DMatrix: an absent entry (a 0)
  // is missing, as XGBoost treats sparse input; the model records it
  // (attribute keel_zero_is_missing) so dense rows score the same.
  bool takes_sparse() const override { return true; }
  StatusOr<std::unique_ptr<Model>> Fit(const TrainData& train, const Params& params,
                                       const FitOptions& options) const override;
  StatusOr<std::unique_ptr<Model>> Load(std::string_view payload) const override;

 private:
  std::vector<ParamSpec> specs_;
};

}  // namespace keel::learn::trees

#endif  // KEEL_LEARN_TREES_XGBOOST_LEARNER_H_
