// Keel's compiled tree predictor: an XGBoost tree ensemble flattened into
// one immutable array of 16-byte nodes, scored without XGBoost. Batch
// scoring and serving use it; its outputs equal XGBoost's own predictor
// (the same float32 comparisons, the same float32 sums in the same order,
// the same output transforms).
//
//   KEEL_ASSIGN_OR_RETURN(TreePredictor predictor, TreePredictor::FromXGBoostJson(json));
//   Matrix scores;
//   KEEL_RETURN_IF_ERROR(predictor.Predict(x, &scores));
#ifndef KEEL_LEARN_TREES_TREE_PREDICTOR_H_
#define KEEL_LEARN_TREES_TREE_PREDICTOR_H_

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "keel/base/status.h"
#include "keel/base/thread_pool.h"
#include "keel/learn/learner.h"
#include "keel/learn/matrix.h"
#include "keel/transform/sparse_matrix.h"

namespace keel::learn::trees {

// What is applied to the summed margin of each row.
enum class OutputTransform {
  kIdentity,  // reg:squarederror, reg:absoluteerror, binary:logitraw, ...
  kSigmoid,   // binary:logistic, reg:logistic
  kSoftmax,   // multi:softprob, multi:softmax (both give probabilities here)
  kExp,       // count:poisson, reg:gamma, reg:tweedie
};

// An XGBoost objective Keel can score: its task and output transform.
struct ObjectiveInfo {
  std::string_view name;
  Task task;
  OutputTransform transform;
};
// Errors: InvalidArgument naming the objective and listing the supported ones.
StatusOr<ObjectiveInfo> FindObjective(std::string_view name);

// Immutable once built; every method is const and thread-safe.
class TreePredictor {
 public:
  // Compiles XGBoost's JSON model (what XGBoosterSaveModelToBuffer with
  // {"format":"json"} and Python's save_model("m.json") write), format 1.x.
  // Errors: DataLoss for text that is not a complete XGBoost JSON model
  // (naming the missing or malformed field); InvalidArgument for what Keel
  // cannot score (an objective outside FindObjective's list, a booster other
  // than gbtree, categorical splits, vector leaves).
  static StatusOr<TreePredictor> FromXGBoostJson(std::string_view json);

  int64_t num_features() const { return num_features_; }
  // Values per row: 1, or num_class for multiclass objectives.
  int num_outputs() const { return num_groups_; }
  int64_t num_trees() const { return static_cast<int64_t>(tree_root_.size()); }
  const std::string& objective() const { return objective_; }
  Task task() const { return task_; }
  OutputTransform transform() const { return transform_; }
  // The base score in margin space (logit(base_score) for logistic).
  float base_margin() const { return base_margin_; }
  // Feature names saved in the model; empty when it has none.
  const std::vector<std::string>& feature_names() const { return feature_names_; }

  // Scores every row of `x` into `out` (resized to x.rows() x
  // num_outputs()): probabilities / values, or raw margins when `margin`.
  // Rows are split over `pool` (nullptr: ThreadPool::Default()). Errors:
  // InvalidArgument when x.cols() != num_features().
  Status Predict(const Matrix& x, Matrix* out, bool margin = false,
                 ThreadPool* pool = nullptr) const;

  // One row of num_features() values into num_outputs() values. Allocates
  // only on a thread's first call (a per-thread buffer for the row as
  // floats). Errors: InvalidArgument for wrong sizes.
  Status PredictRow(std::span<const double> x, std::span<double> out, bool margin = false) const;

  // Scores a CSR matrix as Predict scores its dense form; an absent entry
  // is missing (XGBoost's sparse semantics), and so is a 0 when the model was
  // trained on sparse input (zero_is_missing()). Errors: as Predict.
  Status PredictSparse(const transform::SparseMatrix& x, Matrix* out, bool margin = false,
                       ThreadPool* pool = nullptr) const;

  // True for a model Keel trained on sparse input (XGBoost attribute
  // keel_zero_is_missing = "1"): every path then scores a 0 as missing, so a
  // dense row gives what its CSR form gives.
  bool zero_is_missing() const { return zero_is_missing_; }

  // The unchecked kernel: `rows` rows of num_features() doubles starting at
  // `x` (row-major) into rows x num_outputs() doubles at `out`.
  void PredictRows(const double* x, int64_t rows, double* out, bool margin) const;

 private:
  // 16 bytes. Rows are scored as floats widened to 2 * num_features()
  // values: x, then -x. Every step is `next = base + (value >= threshold)`
  // with `value` = that widened row[feature]; a NaN compares false, so a
  // missing value goes to `base`. A node whose missing values go left tests
  // x >= t with its left child at `base`, its right at base + 1. One whose
  // missing values go right tests -x >= nextafter(-t, +inf), which is
  // x < t for every non-NaN x, with its right child at `base`, its left at
  // base + 1. A leaf has threshold NaN and base = itself, so a walk of
  // exactly the tree's depth lands on the right leaf without a branch;
  // `leaf` holds its value.
  struct Node {
    float threshold;
    uint32_t feature;  // index into the widened row
    int32_t base;      // absolute index of the child taken when the test fails
    float leaf;
  };

  TreePredictor() = default;
  // Adds one XGBoost tree laid out breadth-first with siblings adjacent.
  // Errors: DataLoss for inconsistent arrays (naming the tree).
  Status AddTree(int tree_id, const std::vector<int>& left, const std::vector<int>& right,
                 const std::vector<int>& split_index, const std::vector<float>& split_condition,
                 const std::vector<bool>& default_left, int group);
  void Transform(float* margins, double* out, bool margin) const;
  // Checks the feature count, sizes `out` to rows x num_outputs() and
  // defaults *pool. Errors: InvalidArgument naming both feature counts.
  Status StartBatch(int64_t rows, int64_t cols, Matrix* out, ThreadPool** pool) const;
  // Adds every tree's leaf for one widened row to racc[group].
  void AccumulateRow(const float* row, float* racc) const;

  std::vector<Node> nodes_;
  std::vector<int32_t> tree_root_;   // index of each tree's root in nodes_
  std::vector<int32_t> tree_depth_;  // edges from root to the deepest leaf
  std::vector<int32_t> tree_group_;  // output group of each tree
  int64_t num_features_ = 0;
  int num_groups_ = 1;
  float base_margin_ = 0;
  std::string objective_;
  Task task_ = Task::kRegression;
  OutputTransform transform_ = OutputTransform::kIdentity;
  std::vector<std::string> feature_names_;
  bool zero_is_missing_ = false;
};

}  // namespace keel::learn::trees

#endif  // KEEL_LEARN_TREES_TREE_PREDICTOR_H_
