#include "keel/learn/train.h"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <set>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "keel/base/time.h"
#include "keel/learn/metrics.h"
#include "keel/learn/split.h"
#include "keel/transform/pipeline.h"

namespace keel::learn {
namespace {

using Metrics = std::map<std::string, double>;

bool IsClassification(Task task) { return task == Task::kBinary || task == Task::kMulticlass; }

bool Supports(const Learner& learner, Task task) {
  const std::span<const Task> tasks = learner.tasks();
  return std::find(tasks.begin(), tasks.end(), task) != tasks.end();
}

std::string TaskList(const Learner& learner) {
  std::vector<std::string> names;
  for (Task t : learner.tasks()) names.emplace_back(TaskName(t));
  return absl::StrJoin(names, ", ");
}

int64_t DistinctValues(const Column& column, int64_t stop_at) {
  std::set<std::string> seen;
  for (int64_t i = 0; i < column.length() && static_cast<int64_t>(seen.size()) < stop_at; ++i) {
    if (!column.IsNull(i)) seen.insert(column.ValueToString(i));
  }
  return static_cast<int64_t>(seen.size());
}

StatusOr<Task> ChooseTask(const Learner& learner, const TrainSpec& spec, const Table& table) {
  Task task;
  if (spec.task.has_value()) {
    task = *spec.task;
  } else if (Supports(learner, Task::kClustering)) {
    task = Task::kClustering;
  } else if (Supports(learner, Task::kReduction)) {
    task = Task::kReduction;
  } else {
    KEEL_ASSIGN_OR_RETURN(Column target, table.ColumnByName(spec.target));
    const bool classifies =
        Supports(learner, Task::kBinary) || Supports(learner, Task::kMulticlass);
    const bool regresses = Supports(learner, Task::kRegression);
    const DataType type = target.type();
    bool classify = false;
    if (type == DataType::kBool || type == DataType::kString) {
      classify = true;
    } else if (!regresses) {
      classify = classifies;
    } else if (type == DataType::kInt64 && classifies) {
      classify = DistinctValues(target, 3) <= 2;
    }
    if (classify) {
      task = DistinctValues(target, 3) <= 2 ? Task::kBinary : Task::kMulticlass;
    } else {
      task = Task::kRegression;
    }
  }
  if (!Supports(learner, task)) {
    return absl::InvalidArgumentError(absl::StrCat("model ", std::string(learner.name()),
                                                   " does not do ", std::string(TaskName(task)),
                                                   "; it does: ", TaskList(learner)));
  }
  if (IsSupervised(task) && spec.target.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat(std::string(TaskName(task)), " needs a target column: pass --target COLUMN"));
  }
  return task;
}

// Labels (classification) or values (regression) of the target, as doubles.
struct Targets {
  std::vector<double> y;
  ClassLabels classes;
  int num_classes = 0;
};

StatusOr<Targets> ReadTargets(const Table& table, const std::string& target, Task task) {
  Targets out;
  if (!IsSupervised(task)) return out;
  KEEL_ASSIGN_OR_RETURN(Column column, table.ColumnByName(target));
  if (IsClassification(task)) {
    KEEL_ASSIGN_OR_RETURN(out.classes, FindClassLabels(column, target));
    out.num_classes = static_cast<int>(out.classes.values.size());
    if (out.num_classes < 2) {
      return absl::InvalidArgumentError(
          absl::StrCat("target column '", target, "' holds a single class (",
                       out.classes.values.empty() ? "" : out.classes.values[0],
                       "): a classifier needs at least two"));
    }
    if (task == Task::kBinary && out.num_classes > 2) {
      return absl::InvalidArgumentError(absl::StrCat("target column '", target, "' holds ",
                                                     out.num_classes,
                                                     " classes: use --task multiclass"));
    }
    KEEL_ASSIGN_OR_RETURN(out.y, EncodeLabels(column, target, out.classes));
    return out;
  }
  KEEL_ASSIGN_OR_RETURN(out.y, VectorFromTable(table, target));
  for (size_t i = 0; i < out.y.size(); ++i) {
    if (std::isnan(out.y[i])) {
      return absl::InvalidArgumentError(
          absl::StrCat("target column '", target, "' is null at row ", i + 1,
                       ": drop or fill rows without a target before training"));
    }
  }
  return out;
}

StatusOr<std::vector<int64_t>> Int64Key(const Table& table, const std::string& column_name) {
  KEEL_ASSIGN_OR_RETURN(Column column, table.ColumnByName(column_name));
  std::vector<int64_t> key(static_cast<size_t>(column.length()));
  if (column.type() == DataType::kTimestamp || column.type() == DataType::kInt64) {
    std::span<const int64_t> v =
        column.type() == DataType::kInt64 ? column.Int64Values() : column.TimestampValues();
    std::copy(v.begin(), v.end(), key.begin());
  } else {
    // Any other type: group by the value's text.
    std::map<std::string, int64_t> ids;
    for (int64_t i = 0; i < column.length(); ++i) {
      key[i] = ids.emplace(column.ValueToString(i), static_cast<int64_t>(ids.size())).first->second;
    }
  }
  return key;
}

// A stratified split puts rows of every class on both sides, so each class
// needs at least 2 rows (as scikit-learn's train_test_split(stratify=y)).
Status CheckClassSizes(const std::vector<double>& y, const ClassLabels& classes,
                       const std::string& target) {
  std::vector<int64_t> counts(classes.values.size(), 0);
  for (double label : y) ++counts[static_cast<size_t>(label)];
  for (size_t c = 0; c < counts.size(); ++c) {
    if (counts[c] < 2) {
      return absl::InvalidArgumentError(
          absl::StrCat("class '", classes.values[c], "' of target column '", target, "' has only ",
                       counts[c], " row", counts[c] == 1 ? "" : "s",
                       "; a stratified split needs at least 2 rows of "
                       "every class: add rows of that class, drop them, or pass --split random"));
    }
  }
  return absl::OkStatus();
}

StatusOr<Split> MakeSplit(const Table& table, const TrainSpec& spec, Task task,
                          const std::vector<double>& y, const ClassLabels& classes) {
  const double f = spec.valid_fraction;
  std::string kind = spec.split;
  if (kind == "auto") kind = IsClassification(task) ? "stratified" : "random";
  if (kind == "random") return RandomSplit(table.num_rows(), f, spec.seed);
  if (kind == "stratified") {
    if (!IsClassification(task)) {
      return absl::InvalidArgumentError("--split stratified needs a classification task");
    }
    KEEL_RETURN_IF_ERROR(CheckClassSizes(y, classes, spec.target));
    return StratifiedSplit(y, f, spec.seed);
  }
  if (absl::StartsWith(kind, "time:")) {
    const std::string column = kind.substr(5);
    KEEL_ASSIGN_OR_RETURN(std::vector<int64_t> times, Int64Key(table, column));
    return TimeSplit(times, f);
  }
  if (absl::StartsWith(kind, "group:")) {
    KEEL_ASSIGN_OR_RETURN(std::vector<int64_t> groups, Int64Key(table, kind.substr(6)));
    return GroupSplit(groups, f, spec.seed);
  }
  return absl::InvalidArgumentError(absl::StrCat(
      "unknown --split '", kind, "'; use auto, random, stratified, time:COLUMN or group:COLUMN"));
}

std::vector<double> Gather(const std::vector<double>& v, std::span<const int64_t> rows) {
  std::vector<double> out;
  out.reserve(rows.size());
  for (int64_t r : rows) out.push_back(v[r]);
  return out;
}

// The model's input for some rows: dense, or sparse when the pipeline has
// sparse outputs (then `dense` is empty).
struct Features {
  Matrix dense;
  std::optional<transform::SparseMatrix> sparse;
  int64_t rows() const { return sparse.has_value() ? sparse->rows() : dense.rows(); }
};

StatusOr<Features> FeaturesOf(const std::optional<transform::FittedPipeline>& pipeline,
                              const Table& inputs, const std::vector<std::string>& names) {
  Features f;
  if (pipeline.has_value() && pipeline->has_sparse_outputs()) {
    KEEL_ASSIGN_OR_RETURN(f.sparse, pipeline->TransformSparse(inputs));
    return f;
  }
  Table transformed = inputs;
  if (pipeline.has_value()) {
    KEEL_ASSIGN_OR_RETURN(transformed, pipeline->Transform(inputs));
  }
  KEEL_ASSIGN_OR_RETURN(f.dense, MatrixFromTable(transformed, names));
  return f;
}

// A pipeline with sparse outputs needs a learner that takes them, and all
// its outputs as features.
Status CheckSparseFit(const transform::FittedPipeline& pipeline, const Learner& learner,
                      const TrainSpec& spec) {
  std::vector<std::string> steps;
  for (int s = 0; s < pipeline.num_steps(); ++s) {
    if (pipeline.step(s).sparse()) steps.push_back(pipeline.step(s).Label());
  }
  if (!learner.takes_sparse()) {
    return absl::InvalidArgumentError(absl::StrCat(SparseNotSupported(learner.name()).message(),
                                                   " (sparse: ", absl::StrJoin(steps, ", "), ")"));
  }
  if (!spec.features.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "--features cannot pick columns from a pipeline with sparse outputs (",
        absl::StrJoin(steps, ", "), "); drop the columns in the pipeline (remainder: drop)"));
  }
  return absl::OkStatus();
}

// One fit on `train` rows (and `valid` rows, may be empty) of `inputs` (the
// table without its target).
struct Fitted {
  std::optional<transform::FittedPipeline> pipeline;
  std::vector<std::string> features;
  std::unique_ptr<Model> model;
  Features valid;
};

StatusOr<Fitted> FitOnce(const Table& inputs, const Targets& targets, Task task,
                         const Learner& learner, const Params& params, const TrainSpec& spec,
                         std::span<const int64_t> train_rows, std::span<const int64_t> valid_rows,
                         bool report_iterations) {
  Fitted fitted;
  Table train = inputs.Take(train_rows);
  Table valid = inputs.Take(valid_rows);
  Features x_train;
  // The rows of `inputs` the model trains on: train_rows, less those the
  // pipeline drops at fit time (drop_missing's max_row_missing_rate).
  std::vector<int64_t> kept_train_rows;
  std::span<const int64_t> fit_rows = train_rows;
  if (spec.transform.has_value()) {
    KEEL_ASSIGN_OR_RETURN(transform::Pipeline pipeline, transform::Pipeline::Make(*spec.transform));
    // The label is fit-only: supervised steps (target encoding, feature
    // selection) learn from it; the fitted pipeline does not take it as an
    // input. Classes come as their indices 0..k-1.
    transform::FitOptions fit_options;
    if (IsSupervised(task)) {
      ColumnBuilder y(DataType::kFloat64);
      for (int64_t r : train_rows) y.AppendFloat64(targets.y[r]);
      fit_options = {.target = spec.target, .y = y.Finish()};
    }
    KEEL_ASSIGN_OR_RETURN(transform::Pipeline::FitResult fit,
                          pipeline.FitTransform(train, fit_options));
    if (fit.sparse.has_value()) {
      KEEL_RETURN_IF_ERROR(CheckSparseFit(fit.pipeline, learner, spec));
      x_train.sparse = std::move(fit.sparse);
    }
    train = std::move(fit.transformed);
    if (fit.kept_rows.has_value()) {
      for (int64_t i : *fit.kept_rows) kept_train_rows.push_back(train_rows[i]);
      fit_rows = kept_train_rows;
    }
    fitted.pipeline = std::move(fit.pipeline);
  }
  fitted.features = spec.features.empty() ? train.schema().names() : spec.features;
  if (x_train.sparse.has_value()) {
    fitted.features = fitted.pipeline->output_schema().names();
  } else {
    KEEL_ASSIGN_OR_RETURN(x_train.dense, MatrixFromTable(train, fitted.features));
  }
  if (!valid_rows.empty()) {
    KEEL_ASSIGN_OR_RETURN(fitted.valid, FeaturesOf(fitted.pipeline, valid, fitted.features));
  }
  const std::vector<double> y_train = Gather(targets.y, fit_rows);
  const std::vector<double> y_valid = Gather(targets.y, valid_rows);
  TrainData data{
      .x = x_train.dense,
      .y = IsSupervised(task) ? std::span<const double>(y_train) : std::span<const double>(),
      .task = task,
      .num_classes = targets.num_classes,
      .feature_names = fitted.features,
      .sparse = x_train.sparse.has_value() ? &*x_train.sparse : nullptr};
  ValidData valid_data{.x = fitted.valid.dense,
                       .y = y_valid,
                       .sparse = fitted.valid.sparse.has_value() ? &*fitted.valid.sparse : nullptr};
  FitOptions options{.seed = spec.seed, .threads = spec.threads};
  if (!valid_rows.empty() && IsSupervised(task)) options.valid = &valid_data;
  if (report_iterations) options.on_iteration = spec.on_iteration;
  KEEL_ASSIGN_OR_RETURN(fitted.model, learner.Fit(data, params, options));
  return fitted;
}

// The task's metrics for `model` on x against y.
StatusOr<std::map<std::string, double>> Score(const Model& model, const Features& features,
                                              std::span<const double> y, Task task,
                                              int num_classes) {
  Matrix scores;
  if (features.sparse.has_value()) {
    KEEL_RETURN_IF_ERROR(model.PredictSparse(*features.sparse, &scores));
  } else {
    KEEL_RETURN_IF_ERROR(model.Predict(features.dense, &scores));
  }
  const Matrix& x = features.dense;
  if (IsClassification(task)) return EvaluateClassifier(y, scores, num_classes);
  if (task == Task::kRegression) return EvaluateRegressor(y, scores);
  std::map<std::string, double> metrics;
  if (task == Task::kClustering && !features.sparse.has_value() && x.rows() >= 3) {
    // The silhouette is quadratic: score at most 2,000 rows.
    const int64_t n = std::min<int64_t>(x.rows(), 2000);
    std::vector<double> labels(static_cast<size_t>(n));
    for (int64_t r = 0; r < n; ++r) labels[r] = scores.at(r, 0);
    if (StatusOr<double> s = Silhouette(x.RowRange(0, n), labels); s.ok()) {
      metrics["silhouette"] = *s;
    }
  }
  return metrics;
}

}  // namespace

StatusOr<TrainOutcome> Train(const Table& table, const TrainSpec& spec) {
  KEEL_ASSIGN_OR_RETURN(const Learner* learner, BuiltinLearners().Find(spec.learner));
  KEEL_ASSIGN_OR_RETURN(Params params, ParseParams(spec.learner, learner->params(), spec.params));
  if (!spec.target.empty()) KEEL_RETURN_IF_ERROR(table.ColumnByName(spec.target).status());
  KEEL_ASSIGN_OR_RETURN(Task task, ChooseTask(*learner, spec, table));
  if (table.num_rows() < 2) {
    return absl::InvalidArgumentError(
        absl::StrCat("the training data has ", table.num_rows(), " rows; at least 2 are needed"));
  }
  KEEL_ASSIGN_OR_RETURN(Targets targets, ReadTargets(table, spec.target, task));

  // The pipeline and the model never see the target column.
  std::vector<std::string> input_names;
  for (const std::string& name : table.schema().names()) {
    if (name != spec.target) input_names.push_back(name);
  }
  KEEL_ASSIGN_OR_RETURN(Table inputs, table.SelectColumns(input_names));

  std::vector<int64_t> all_rows(static_cast<size_t>(table.num_rows()));
  std::iota(all_rows.begin(), all_rows.end(), 0);
  Split split{.train = all_rows};
  if (spec.valid_fraction > 0) {
    KEEL_ASSIGN_OR_RETURN(split, MakeSplit(table, spec, task, targets.y, targets.classes));
  }

  KEEL_ASSIGN_OR_RETURN(Fitted fitted, FitOnce(inputs, targets, task, *learner, params, spec,
                                               split.train, split.test, /*report=*/true));
  TrainOutcome outcome{.bundle = Bundle({}, std::nullopt, nullptr)};
  outcome.train_rows = static_cast<int64_t>(split.train.size());
  outcome.valid_rows = static_cast<int64_t>(split.test.size());
  if (spec.valid_fraction > 0) {
    KEEL_ASSIGN_OR_RETURN(outcome.metrics,
                          Score(*fitted.model, fitted.valid, Gather(targets.y, split.test), task,
                                targets.num_classes));
  } else {
    KEEL_ASSIGN_OR_RETURN(Features x, FeaturesOf(fitted.pipeline, inputs, fitted.features));
    KEEL_ASSIGN_OR_RETURN(Metrics train_metrics,
                          Score(*fitted.model, x, targets.y, task, targets.num_classes));
    for (const auto& [name, value] : train_metrics) outcome.metrics["train_" + name] = value;
  }

  if (spec.cv_folds > 1) {
    StatusOr<std::vector<Split>> folds =
        IsClassification(task) ? StratifiedKFold(targets.y, spec.cv_folds, true, spec.seed)
                               : KFold(table.num_rows(), spec.cv_folds, true, spec.seed);
    KEEL_RETURN_IF_ERROR(folds.status());
    std::map<std::string, std::vector<double>> values;
    for (const Split& fold : *folds) {
      KEEL_ASSIGN_OR_RETURN(Fitted f, FitOnce(inputs, targets, task, *learner, params, spec,
                                              fold.train, fold.test, /*report=*/false));
      KEEL_ASSIGN_OR_RETURN(Metrics m, Score(*f.model, f.valid, Gather(targets.y, fold.test), task,
                                             targets.num_classes));
      for (const auto& [name, value] : m) values[name].push_back(value);
    }
    for (const auto& [name, v] : values) {
      const double mean = std::accumulate(v.begin(), v.end(), 0.0) / static_cast<double>(v.size());
      double var = 0;
      for (double x : v) var += (x - mean) * (x - mean);
      outcome.cv[name] = {mean, std::sqrt(var / static_cast<double>(v.size()))};
    }
  }

  BundleManifest manifest;
  manifest.keel_version = spec.keel_version;
  manifest.git_revision = spec.git_revision;
  manifest.created_at_us = NowMicros();
  manifest.task = task;
  manifest.learner = spec.learner;
  manifest.params_json = params.ToJson();
  manifest.target = spec.target;
  manifest.classes = targets.classes;
  if (fitted.pipeline.has_value()) {
    manifest.inputs = fitted.pipeline->NeededInputs();
  } else {
    KEEL_ASSIGN_OR_RETURN(Table feature_table, inputs.SelectColumns(fitted.features));
    manifest.inputs = feature_table.schema();
  }
  manifest.features = fitted.features;
  manifest.metrics = outcome.metrics;
  manifest.dataset = spec.dataset;
  manifest.dataset_version = spec.dataset_version;
  manifest.transform_spec = spec.transform_text;
  manifest.feature_service = spec.feature_service;
  manifest.run_id = spec.run_id;
  manifest.seed = spec.seed;
  if (fitted.pipeline.has_value()) outcome.warnings = fitted.pipeline->warnings();
  outcome.bundle = Bundle(std::move(manifest), std::move(fitted.pipeline), std::move(fitted.model));
  return outcome;
}

StatusOr<std::map<std::string, double>> Evaluate(const Bundle& bundle, const Table& table) {
  const BundleManifest& m = bundle.manifest();
  Features x;
  if (bundle.pipeline() != nullptr && bundle.pipeline()->has_sparse_outputs()) {
    KEEL_ASSIGN_OR_RETURN(x.sparse, bundle.SparseFeatures(table));
  } else {
    KEEL_ASSIGN_OR_RETURN(x.dense, bundle.Features(table));
  }
  if (!IsSupervised(m.task)) {
    return Score(bundle.model(), x, {}, m.task, 0);
  }
  KEEL_ASSIGN_OR_RETURN(Column target, table.ColumnByName(m.target));
  std::vector<double> y;
  if (IsClassification(m.task)) {
    KEEL_ASSIGN_OR_RETURN(y, EncodeLabels(target, m.target, m.classes));
  } else {
    KEEL_ASSIGN_OR_RETURN(y, VectorFromTable(table, m.target));
  }
  return Score(bundle.model(), x, y, m.task, static_cast<int>(m.classes.values.size()));
}

}  // namespace keel::learn
