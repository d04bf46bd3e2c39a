// The model that `linear`, `lasso` and `logistic` train: one weight row and
// one intercept per output, and a link from the linear score to the output
// (identity, logistic sigmoid, or softmax over the classes).
#ifndef KEEL_LEARN_LINEAR_LINEAR_MODEL_H_
#define KEEL_LEARN_LINEAR_LINEAR_MODEL_H_

#include <cstdint>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "keel/base/status.h"
#include "keel/learn/learner.h"
#include "keel/learn/matrix.h"
#include "keel/transform/sparse_matrix.h"

namespace keel::learn {

enum class Link {
  kIdentity,  // output = score (regression)
  kLogistic,  // output = 1 / (1 + exp(-score)) (binary: P(class 1))
  kSoftmax,   // outputs = softmax(scores) over the classes (multiclass)
};

// Immutable after construction; Predict and PredictRow are thread-safe.
class LinearModel : public Model {
 public:
  struct Fitted {
    std::string learner;  // "linear", "lasso", "logistic"
    Task task = Task::kRegression;
    Link link = Link::kIdentity;
    int64_t num_features = 0;
    // Row-major (rows x num_features): one row for kIdentity and kLogistic,
    // one per class for kSoftmax (scikit-learn's coef_ layout).
    std::vector<double> coef;
    std::vector<double> intercept;           // one per coef row
    std::vector<std::string> feature_names;  // may be empty
    int64_t n_iter = 0;                      // solver iterations (0 for direct solvers)
    std::string params_json;                 // Params::ToJson() of the fit, kept in Save()
  };

  explicit LinearModel(Fitted fitted);

  std::string_view learner() const override { return f_.learner; }
  Task task() const override { return f_.task; }
  int64_t num_features() const override { return f_.num_features; }
  int64_t num_outputs() const override;

  // Errors: InvalidArgument for a column count other than num_features(),
  // or a NaN / infinite value (naming its row and column).
  Status Predict(const Matrix& x, Matrix* out) const override;
  Status PredictRow(std::span<const double> x, std::span<double> out) const override;
  // The same errors and the same bits as Predict on the densified matrix
  // (SparseDot adds the stored products in Dot's order); O(nnz * outputs).
  Status PredictSparse(const transform::SparseMatrix& x, Matrix* out) const override;
  // {"format":"keel-linear-1", "learner", "task", "link", "num_features",
  //  "coef": [[...]], "intercept": [...], "feature_names", "n_iter",
  //  "params"}; doubles in shortest round-trip form.
  StatusOr<std::string> Save() const override;
  // "coef": |coef| per feature (for softmax, the sum over classes).
  std::map<std::string, std::vector<double>> Importance() const override;

  Link link() const { return f_.link; }
  int64_t num_coef_rows() const { return static_cast<int64_t>(f_.intercept.size()); }
  std::span<const double> coef() const { return f_.coef; }
  std::span<const double> intercept() const { return f_.intercept; }
  int64_t n_iter() const { return f_.n_iter; }

  // Rebuilds a model from Save()'s payload; `learner` must match the
  // payload's. Errors: DataLoss.
  static StatusOr<std::unique_ptr<Model>> Load(std::string_view learner, std::string_view payload);

 private:
  // Scores one finite row into out (num_outputs() values).
  void Score(const double* x, double* out) const;
  // Score for the row holding `values` at `indices` (ascending) and 0 elsewhere.
  void ScoreSparse(std::span<const int32_t> indices, std::span<const double> values,
                   double* out) const;
  // Turns the linear scores in out (num_coef_rows() values) into outputs.
  void ApplyLink(double* out) const;

  Fitted f_;
};

}  // namespace keel::learn

#endif  // KEEL_LEARN_LINEAR_LINEAR_MODEL_H_
