#include "keel/learn/trees/xgboost_learner.h"

#include <cmath>
#include <optional>
#include <set>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "keel/base/thread_pool.h"
#include "keel/learn/trees/xgboost_api.h"
#include "keel/learn/trees/xgboost_model.h"

namespace keel::learn::trees {
namespace {

constexpr Task kTasks[] = {Task::kRegression, Task::kBinary, Task::kMulticlass};

ParamSpec Int(std::string name, double min, double max, std::string def, bool log,
              std::string help) {
  return {.name = std::move(name),
          .type = ParamType::kInt,
          .min = min,
          .max = max,
          .default_value = std::move(def),
          .log_scale = log,
          .help = std::move(help)};
}
ParamSpec Float(std::string name, double min, double max, std::string def, bool log,
                std::string help) {
  return {.name = std::move(name),
          .type = ParamType::kFloat,
          .min = min,
          .max = max,
          .default_value = std::move(def),
          .log_scale = log,
          .help = std::move(help)};
}
ParamSpec Choice(std::string name, std::vector<std::string> choices, std::string def,
                 std::string help) {
  return {.name = std::move(name),
          .type = ParamType::kChoice,
          .default_value = std::move(def),
          .choices = std::move(choices),
          .help = std::move(help)};
}

// The tree parameters both learners share, with `subsample`, `colsample`
// and `lambda` defaults that differ between boosting and forests.
std::vector<ParamSpec> TreeSpecs(const char* subsample, const char* colsample_bynode,
                                 const char* lambda) {
  return {
      Int("max_depth", 1, 16, "6", false, "maximum depth of a tree"),
      Float("min_child_weight", 0, 100, "1", false,
            "minimum sum of instance weight (hessian) in a child"),
      Float("subsample", 0.1, 1, subsample, false, "fraction of rows sampled per tree"),
      Float("colsample_bytree", 0.1, 1, "1", false, "fraction of features sampled per tree"),
      Float("colsample_bynode", 0.1, 1, colsample_bynode, false,
            "fraction of features sampled per split"),
      Float("lambda", 0, 1000, lambda, false, "L2 regularisation on leaf weights"),
      Float("alpha", 0, 1000, "0", false, "L1 regularisation on leaf weights"),
      Float("gamma", 0, 1000, "0", false, "minimum loss reduction to make a split"),
      Int("max_bin", 2, 1024, "256", true, "histogram bins per feature (hist)"),
      Choice("tree_method", {"hist", "approx", "exact"}, "hist", "tree construction algorithm"),
      Choice("eval_metric",
             {"default", "rmse", "mae", "logloss", "error", "auc", "aucpr", "mlogloss", "merror"},
             "default", "metric reported per round (and for early stopping)"),
  };
}

bool MetricIsMaximized(std::string_view metric) {
  for (std::string_view prefix : {"auc", "aucpr", "map", "ndcg", "pre"}) {
    if (metric.substr(0, prefix.size()) == prefix) return true;
  }
  return false;
}

// "[3]\ttrain-rmse:0.51\tvalid-rmse:0.62" -> {"train-rmse": 0.51, ...}, in order.
std::vector<std::pair<std::string, double>> ParseEval(std::string_view text) {
  std::vector<std::pair<std::string, double>> metrics;
  for (absl::string_view part : absl::StrSplit(absl::string_view(text.data(), text.size()), '\t')) {
    const size_t colon = part.rfind(':');
    if (part.empty() || part.front() == '[' || colon == absl::string_view::npos) continue;
    metrics.emplace_back(std::string(part.substr(0, colon)),
                         std::strtod(std::string(part.substr(colon + 1)).c_str(), nullptr));
  }
  return metrics;
}

// The labels `y` for `task`, or InvalidArgument naming the first bad row.
Status CheckLabels(std::span<const double> y, Task task, int num_classes, const char* which) {
  for (size_t i = 0; i < y.size(); ++i) {
    const double v = y[i];
    if (!std::isfinite(v)) {
      return absl::InvalidArgumentError(
          absl::StrCat(which, " label at row ", i, " is ", v,
                       "; every row needs a finite label (drop or impute those rows first)"));
    }
    if (task == Task::kBinary && v != 0 && v != 1) {
      return absl::InvalidArgumentError(absl::StrCat(which, " label at row ", i, " is ", v,
                                                     "; a binary task takes labels 0 and 1"));
    }
    if (task == Task::kMulticlass && (v != std::floor(v) || v < 0 || v >= num_classes)) {
      return absl::InvalidArgumentError(absl::StrCat(
          which, " label at row ", i, " is ", v, "; a multiclass task with ", num_classes,
          " classes takes labels 0..", num_classes - 1, " (encode the classes first)"));
    }
  }
  return absl::OkStatus();
}

struct TrainPlan {
  std::string learner;
  int rounds = 1;
  int early_stopping_rounds = 0;
  // XGBoost parameters, set in this order.
  std::vector<std::pair<std::string, std::string>> params;
};

StatusOr<std::unique_ptr<Model>> Train(const TrainData& train, const FitOptions& options,
                                       TrainPlan plan) {
  // Dense (train.x) or sparse (train.sparse) features.
  const int64_t rows = train.sparse != nullptr ? train.sparse->rows() : train.x.rows();
  const int64_t cols = train.sparse != nullptr ? train.sparse->cols() : train.x.cols();
  if (rows == 0 || cols == 0) {
    return absl::InvalidArgumentError(absl::StrCat(plan.learner, ": the training data has ", rows,
                                                   " rows and ", cols,
                                                   " features; it needs at least one of each"));
  }
  const char* objective = nullptr;
  switch (train.task) {
    case Task::kRegression:
      objective = "reg:squarederror";
      break;
    case Task::kBinary:
      objective = "binary:logistic";
      break;
    case Task::kMulticlass:
      objective = "multi:softprob";
      if (train.num_classes < 2) {
        return absl::InvalidArgumentError(absl::StrCat(
            plan.learner, ": a multiclass task needs num_classes >= 2, got ", train.num_classes));
      }
      plan.params.emplace_back("num_class", std::to_string(train.num_classes));
      break;
    default:
      return absl::InvalidArgumentError(
          absl::StrCat(plan.learner, " does not do task '", std::string(TaskName(train.task)),
                       "'; it does regression, binary and multiclass"));
  }
  plan.params.emplace_back("objective", objective);
  if (static_cast<int64_t>(train.y.size()) != rows) {
    return absl::InvalidArgumentError(
        absl::StrCat(plan.learner, ": ", train.y.size(), " labels for ", rows, " rows"));
  }
  if (!train.weights.empty() && static_cast<int64_t>(train.weights.size()) != rows) {
    return absl::InvalidArgumentError(
        absl::StrCat(plan.learner, ": ", train.weights.size(), " weights for ", rows, " rows"));
  }
  KEEL_RETURN_IF_ERROR(CheckLabels(train.y, train.task, train.num_classes, "training"));
  const ValidData* valid = options.valid;
  if (valid != nullptr) {
    if ((valid->sparse != nullptr) != (train.sparse != nullptr)) {
      return absl::InvalidArgumentError(absl::StrCat(
          plan.learner, ": the training and validation features must both be dense or sparse"));
    }
    const int64_t valid_rows = valid->sparse != nullptr ? valid->sparse->rows() : valid->x.rows();
    const int64_t valid_cols = valid->sparse != nullptr ? valid->sparse->cols() : valid->x.cols();
    if (valid_cols != cols || static_cast<int64_t>(valid->y.size()) != valid_rows) {
      return absl::InvalidArgumentError(absl::StrCat(
          plan.learner, ": the validation set has ", valid_cols, " features and ", valid->y.size(),
          " labels for ", valid_rows, " rows; training has ", cols, " features"));
    }
    KEEL_RETURN_IF_ERROR(CheckLabels(valid->y, train.task, train.num_classes, "validation"));
  }
  const int threads =
      options.threads > 0 ? options.threads : static_cast<int>(DefaultThreadCount());

  DMatrixPtr dtrain, dvalid;
  if (train.sparse != nullptr) {
    KEEL_ASSIGN_OR_RETURN(dtrain, MakeSparseDMatrix(*train.sparse, train.y, train.weights));
  } else {
    KEEL_ASSIGN_OR_RETURN(dtrain, MakeDMatrix(train.x, train.y, train.weights, threads));
  }
  if (valid != nullptr && valid->sparse != nullptr) {
    KEEL_ASSIGN_OR_RETURN(dvalid, MakeSparseDMatrix(*valid->sparse, valid->y, {}));
  } else if (valid != nullptr) {
    KEEL_ASSIGN_OR_RETURN(dvalid, MakeDMatrix(valid->x, valid->y, {}, threads));
  }
  // Feature names travel with the model when XGBoost (and Python) accept them.
  std::vector<std::string> names = train.feature_names;
  bool use_names = static_cast<int64_t>(names.size()) == cols &&
                   std::set<std::string>(names.begin(), names.end()).size() == names.size();
  for (const std::string& name : names) use_names = use_names && IsValidXgbFeatureName(name);
  if (use_names) {
    KEEL_RETURN_IF_ERROR(SetFeatureNames(dtrain.get(), names));
    if (dvalid) KEEL_RETURN_IF_ERROR(SetFeatureNames(dvalid.get(), names));
  }

  DMatrixHandle cache[] = {dtrain.get(), dvalid.get()};
  BoosterHandle handle = nullptr;
  KEEL_RETURN_IF_ERROR(
      XgbCall(XGBoosterCreate(cache, dvalid ? 2 : 1, &handle), "booster creation"));
  BoosterPtr booster(handle);
  plan.params.emplace_back("seed", std::to_string(options.seed & 0x7fffffffffffffffull));
  plan.params.emplace_back("nthread", std::to_string(threads));
  plan.params.emplace_back("validate_parameters", "1");
  for (const auto& [key, value] : plan.params) {
    KEEL_RETURN_IF_ERROR(XgbCall(XGBoosterSetParam(handle, key.c_str(), value.c_str()),
                                 absl::StrCat("parameter ", key, "=", value),
                                 absl::StatusCode::kInvalidArgument));
  }
  if (use_names) KEEL_RETURN_IF_ERROR(SetBoosterFeatureNames(handle, names));

  const bool evaluate = valid != nullptr || options.on_iteration != nullptr;
  const bool early_stopping = valid != nullptr && plan.early_stopping_rounds > 0;
  const char* eval_names[] = {"train", "valid"};
  std::optional<double> best_score;
  int best_iteration = -1;
  for (int i = 0; i < plan.rounds; ++i) {
    KEEL_RETURN_IF_ERROR(XgbCall(XGBoosterUpdateOneIter(handle, i, dtrain.get()),
                                 absl::StrCat("training round ", i),
                                 absl::StatusCode::kInvalidArgument));
    if (!evaluate) continue;
    const char* eval = nullptr;
    KEEL_RETURN_IF_ERROR(XgbCall(
        XGBoosterEvalOneIter(handle, i, cache, eval_names, dvalid ? 2 : 1, &eval), "evaluation"));
    const std::vector<std::pair<std::string, double>> metrics = ParseEval(eval);
    if (options.on_iteration) {
      options.on_iteration(i, std::map<std::string, double>(metrics.begin(), metrics.end()));
    }
    if (!early_stopping || metrics.empty() || metrics.back().first.rfind("valid-", 0) != 0) {
      continue;
    }
    const double score = metrics.back().second;
    const bool maximize = MetricIsMaximized(metrics.back().first.substr(6));
    if (!best_score || (maximize ? score > *best_score : score < *best_score)) {
      best_score = score;
      best_iteration = i;
    } else if (i - best_iteration >= plan.early_stopping_rounds) {
      break;
    }
  }
  if (best_score) {
    int rounds = 0;
    KEEL_RETURN_IF_ERROR(XgbCall(XGBoosterBoostedRounds(handle, &rounds), "counting rounds"));
    if (best_iteration + 1 < rounds) {
      BoosterHandle sliced = nullptr;
      KEEL_RETURN_IF_ERROR(
          XgbCall(XGBoosterSlice(handle, 0, best_iteration + 1, 1, &sliced), "slicing the model"));
      booster.reset(sliced);
      handle = sliced;
    }
    const std::string best = std::to_string(best_iteration);
    const std::string score = absl::StrCat(*best_score);
    KEEL_RETURN_IF_ERROR(
        XgbCall(XGBoosterSetAttr(handle, "best_iteration", best.c_str()), "setting attributes"));
    KEEL_RETURN_IF_ERROR(
        XgbCall(XGBoosterSetAttr(handle, "best_score", score.c_str()), "setting attributes"));
  }
  if (train.sparse != nullptr) {
    // Trained on CSR: an absent entry was missing, so a 0 is missing when
    // this model scores dense rows (TreePredictor reads the attribute).
    KEEL_RETURN_IF_ERROR(
        XgbCall(XGBoosterSetAttr(handle, "keel_zero_is_missing", "1"), "setting attributes"));
  }
  // The booster keeps references to the DMatrix caches; drop them before
  // the DMatrix objects go away by round-tripping through the model bytes.
  KEEL_ASSIGN_OR_RETURN(std::string json, SaveBoosterJson(handle));
  booster.reset();
  KEEL_ASSIGN_OR_RETURN(BoosterPtr fresh, LoadBooster(json));
  if (use_names) KEEL_RETURN_IF_ERROR(SetBoosterFeatureNames(fresh.get(), names));
  KEEL_RETURN_IF_ERROR(XgbCall(
      XGBoosterSetParam(fresh.get(), "nthread", std::to_string(threads).c_str()), "nthread"));
  KEEL_ASSIGN_OR_RETURN(std::unique_ptr<XGBoostModel> model,
                        XGBoostModel::FromBooster(fresh.release(), plan.learner));
  return std::unique_ptr<Model>(std::move(model));
}

std::string Num(double value) { return absl::StrCat(value); }

void AddTreeParams(const Params& params, TrainPlan* plan) {
  for (const char* name : {"min_child_weight", "subsample", "colsample_bytree", "colsample_bynode",
                           "lambda", "alpha", "gamma"}) {
    plan->params.emplace_back(name, Num(params.Float(name)));
  }
  plan->params.emplace_back("max_depth", std::to_string(params.Int("max_depth")));
  plan->params.emplace_back("max_bin", std::to_string(params.Int("max_bin")));
  plan->params.emplace_back("tree_method", params.Choice("tree_method"));
  if (params.Choice("eval_metric") != "default") {
    plan->params.emplace_back("eval_metric", params.Choice("eval_metric"));
  }
}

}  // namespace

GbdtLearner::GbdtLearner() : specs_(TreeSpecs("1", "1", "1")) {
  specs_.insert(specs_.begin(),
                {Int("n_estimators", 1, 10000, "100", true, "boosting rounds (num_boost_round)"),
                 Float("eta", 0.001, 1, "0.3", true, "learning rate")});
  specs_.push_back(Int("early_stopping_rounds", 0, 1000, "0", false,
                       "stop after this many rounds without improvement on the validation "
                       "set (0: off)"));
  specs_.push_back(Float("scale_pos_weight", 0.001, 1000, "1", true,
                         "weight of positive rows (binary), e.g. negatives/positives"));
  specs_.push_back(Float("max_delta_step", 0, 100, "0", false,
                         "cap on each leaf's weight change (0: none); helps imbalanced "
                         "logistic regression"));
}

std::span<const Task> GbdtLearner::tasks() const { return kTasks; }

StatusOr<std::unique_ptr<Model>> GbdtLearner::Fit(const TrainData& train, const Params& params,
                                                  const FitOptions& options) const {
  TrainPlan plan{.learner = "gbdt",
                 .rounds = static_cast<int>(params.Int("n_estimators")),
                 .early_stopping_rounds = static_cast<int>(params.Int("early_stopping_rounds"))};
  plan.params.emplace_back("eta", Num(params.Float("eta")));
  if (train.task == Task::kBinary) {
    plan.params.emplace_back("scale_pos_weight", Num(params.Float("scale_pos_weight")));
  }
  plan.params.emplace_back("max_delta_step", Num(params.Float("max_delta_step")));
  AddTreeParams(params, &plan);
  return Train(train, options, std::move(plan));
}

StatusOr<std::unique_ptr<Model>> GbdtLearner::Load(std::string_view payload) const {
  KEEL_ASSIGN_OR_RETURN(std::unique_ptr<XGBoostModel> model,
                        XGBoostModel::FromBytes(payload, name()));
  return std::unique_ptr<Model>(std::move(model));
}

RandomForestLearner::RandomForestLearner() : specs_(TreeSpecs("0.8", "0.8", "0.00001")) {
  specs_.insert(specs_.begin(), Int("n_estimators", 1, 10000, "100", true,
                                    "trees in the forest (num_parallel_tree)"));
}

std::span<const Task> RandomForestLearner::tasks() const { return kTasks; }

StatusOr<std::unique_ptr<Model>> RandomForestLearner::Fit(const TrainData& train,
                                                          const Params& params,
                                                          const FitOptions& options) const {
  TrainPlan plan{.learner = "rf", .rounds = 1};
  plan.params.emplace_back("eta", "1");
  plan.params.emplace_back("num_parallel_tree", std::to_string(params.Int("n_estimators")));
  AddTreeParams(params, &plan);
  return Train(train, options, std::move(plan));
}

StatusOr<std::unique_ptr<Model>> RandomForestLearner::Load(std::string_view payload) const {
  KEEL_ASSIGN_OR_RETURN(std::unique_ptr<XGBoostModel> model,
                        XGBoostModel::FromBytes(payload, name()));
  return std::unique_ptr<Model>(std::move(model));
}

}  // namespace keel::learn::trees
