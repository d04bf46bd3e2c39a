// Training end to end on one table: split, fit the transform pipeline on the
// training rows only, fit the learner (with early stopping on the
// validation rows where it supports it), evaluate, optionally
// cross-validate, and wrap the result as a Bundle. The CLI (`keel train`)
// and the Python module call this; neither re-implements any step.
#ifndef KEEL_LEARN_TRAIN_H_
#define KEEL_LEARN_TRAIN_H_

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "keel/base/status.h"
#include "keel/learn/bundle.h"
#include "keel/table/table.h"
#include "keel/transform/spec.h"

namespace keel::learn {

struct TrainSpec {
  std::string learner;              // a BuiltinLearners() name
  std::vector<std::string> params;  // "name=value"
  std::string target;               // empty for clustering and reduction
  // Unset: clustering/reduction from the learner; otherwise classification
  // for bool and string targets (binary with two classes), for int64
  // targets with two values, and for learners that only classify;
  // regression otherwise.
  std::optional<Task> task;
  // The model's input columns after the pipeline. Empty: every column but
  // the target.
  std::vector<std::string> features;
  std::optional<transform::PipelineSpec> transform;
  std::string transform_text;  // the spec's YAML, kept in the bundle
  std::string feature_service;  // recorded in the bundle (BundleManifest)
  // Share of rows held out for validation (early stopping and the reported
  // metrics); 0 trains on every row and reports training metrics.
  double valid_fraction = 0.2;
  // "auto" (stratified for classification, random otherwise), "random",
  // "stratified", "time:COLUMN" (the latest rows validate), "group:COLUMN"
  // (whole groups on one side).
  std::string split = "auto";
  int cv_folds = 0;  // > 1: k-fold cross-validation as well
  uint64_t seed = 42;
  int threads = 0;
  std::function<void(int iteration, const std::map<std::string, double>& metrics)> on_iteration;
  // Recorded in the bundle's lineage.
  std::string dataset;
  std::string dataset_version;
  std::string run_id;
  std::string keel_version;
  std::string git_revision;
};

struct TrainOutcome {
  Bundle bundle;
  // On the validation rows (or the training rows when valid_fraction is 0,
  // prefixed "train_").
  std::map<std::string, double> metrics;
  // Cross-validation: metric -> (mean, standard deviation) over the folds.
  std::map<std::string, std::pair<double, double>> cv;
  int64_t train_rows = 0;
  int64_t valid_rows = 0;
  std::vector<std::string> warnings;
};

// Errors: InvalidArgument/NotFound naming the column, parameter or option
// at fault (a missing target, a target with nulls, a string feature without
// a transform, a task the learner does not do); the learner's errors.
StatusOr<TrainOutcome> Train(const Table& table, const TrainSpec& spec);

// The task's metrics for `bundle` on `table`, which must hold the target
// column. Errors: InvalidArgument for an unsupervised bundle without
// metrics of its own, a missing target, or a label the model never saw.
StatusOr<std::map<std::string, double>> Evaluate(const Bundle& bundle, const Table& table);

}  // namespace keel::learn

#endif  // KEEL_LEARN_TRAIN_H_
