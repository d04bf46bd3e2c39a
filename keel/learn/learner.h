// The contract between Keel and every learning algorithm: a Learner declares
// its hyper-parameters and the tasks it can do, fits a Model on a Matrix,
// and reloads a Model from the payload it saved. Models predict on a whole
// matrix (batch scoring) and on one row without allocating (serving).
//
//   KEEL_ASSIGN_OR_RETURN(const Learner* learner, BuiltinLearners().Find("gbdt"));
//   KEEL_ASSIGN_OR_RETURN(Params params, ParseParams("gbdt", learner->params(), {"eta=0.1"}));
//   TrainData train{.x = x, .y = y, .task = Task::kBinary, .num_classes = 2};
//   KEEL_ASSIGN_OR_RETURN(std::unique_ptr<Model> model, learner->Fit(train, params, {}));
//   Matrix scores;
//   KEEL_RETURN_IF_ERROR(model->Predict(x, &scores));
#ifndef KEEL_LEARN_LEARNER_H_
#define KEEL_LEARN_LEARNER_H_

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "keel/base/status.h"
#include "keel/learn/matrix.h"
#include "keel/learn/params.h"
#include "keel/transform/sparse_matrix.h"

namespace keel::learn {

enum class Task {
  kRegression,  // one real output per row
  kBinary,      // y in {0, 1}; output: the probability of class 1
  kMulticlass,  // y in {0..num_classes-1}; output: one probability per class
  kClustering,  // no y; output: the cluster index
  kReduction,   // no y; output: the components
};
std::string_view TaskName(Task task);  // "regression", "binary", ...
StatusOr<Task> ParseTask(std::string_view name);
bool IsSupervised(Task task);

// What a learner trains on. Class labels are already encoded as 0..k-1
// (the bundle keeps the mapping to the original labels). `y` is empty for
// unsupervised tasks; `weights` empty means every row weighs 1.
struct TrainData {
  const Matrix& x;
  std::span<const double> y;
  std::span<const double> weights;
  Task task = Task::kRegression;
  int num_classes = 0;  // kMulticlass (and 2 for kBinary)
  std::vector<std::string> feature_names;
  // Sparse features (a pipeline with `output: sparse` steps): when set, the
  // learner trains on this CSR matrix and `x` is unused. Only learners whose
  // takes_sparse() is true accept it (the others: SparseNotSupported).
  const transform::SparseMatrix* sparse = nullptr;
};

// An optional validation set for early stopping and per-round metrics.
struct ValidData {
  const Matrix& x;
  std::span<const double> y;
  const transform::SparseMatrix* sparse = nullptr;  // as TrainData::sparse
};

struct FitOptions {
  const ValidData* valid = nullptr;
  uint64_t seed = 42;
  int threads = 0;  // 0: base/thread_pool.h DefaultThreadCount()
  // Called after each boosting round / epoch / iteration with metric values
  // by name ("train-logloss", "valid-auc"...). Optional.
  std::function<void(int iteration, const std::map<std::string, double>& metrics)> on_iteration;
};

class Model {
 public:
  virtual ~Model() = default;

  virtual std::string_view learner() const = 0;
  virtual Task task() const = 0;
  virtual int64_t num_features() const = 0;
  // Values per row that Predict writes: 1 for regression, binary and
  // clustering; num_classes for multiclass; the components for reduction.
  virtual int64_t num_outputs() const = 0;

  // Scores every row of `x` into `out` (resized to x.rows() x
  // num_outputs()). Errors: InvalidArgument when x.cols() != num_features(),
  // or when the model cannot take a NaN it finds (naming row and column).
  virtual Status Predict(const Matrix& x, Matrix* out) const = 0;

  // One row: `x` has num_features() values, `out` num_outputs(). Does not
  // allocate; safe to call from many threads at once.
  virtual Status PredictRow(std::span<const double> x, std::span<double> out) const = 0;

  // Scores a CSR matrix (x.cols() == num_features()) into `out` as Predict.
  // A model trained on sparse input equals, row for row, PredictRow on the
  // densified row. Default: SparseNotSupported(learner()).
  virtual Status PredictSparse(const transform::SparseMatrix& x, Matrix* out) const;

  // The payload Learner::Load reads back (XGBoost's own JSON for trees, so
  // Python's xgboost loads it; a small JSON document for the others).
  virtual StatusOr<std::string> Save() const = 0;

  // Per-feature importance by name ("gain", "weight", "coef"...); empty
  // when the learner has none.
  virtual std::map<std::string, std::vector<double>> Importance() const { return {}; }
};

class Learner {
 public:
  virtual ~Learner() = default;

  // The name used by `keel train --model NAME` ("gbdt", "logistic"...).
  virtual std::string_view name() const = 0;
  virtual std::string_view description() const = 0;
  virtual std::span<const Task> tasks() const = 0;
  virtual std::span<const ParamSpec> params() const = 0;
  // Whether Fit takes TrainData::sparse (and its models PredictSparse).
  virtual bool takes_sparse() const { return false; }

  // Errors: InvalidArgument for a task the learner does not do, empty data,
  // y of the wrong length or with labels outside 0..num_classes-1, NaN where
  // the learner cannot take it; Internal for a library failure (its message
  // included).
  virtual StatusOr<std::unique_ptr<Model>> Fit(const TrainData& train, const Params& params,
                                               const FitOptions& options) const = 0;

  // Rebuilds the model a Save() produced. Errors: DataLoss for a payload
  // that does not parse.
  virtual StatusOr<std::unique_ptr<Model>> Load(std::string_view payload) const = 0;
};

// InvalidArgument: learner `name` cannot take sparse features, saying which
// learners can and how to get dense ones (output: dense on the text steps).
Status SparseNotSupported(std::string_view name);

// Learners by name.
class LearnerRegistry {
 public:
  void Register(std::unique_ptr<Learner> learner);
  // Errors: NotFound listing every name, with a did-you-mean.
  StatusOr<const Learner*> Find(std::string_view name) const;
  std::vector<std::string> Names() const;  // sorted

 private:
  std::map<std::string, std::unique_ptr<Learner>, std::less<>> learners_;
};

}  // namespace keel::learn

#endif  // KEEL_LEARN_LEARNER_H_
