// The Model that the gbdt and rf learners train and that imported XGBoost
// models become: an XGBoost booster (for importance, SHAP contributions and
// saving) plus Keel's compiled TreePredictor, which does every Predict.
#ifndef KEEL_LEARN_TREES_XGBOOST_MODEL_H_
#define KEEL_LEARN_TREES_XGBOOST_MODEL_H_

#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "keel/base/status.h"
#include "keel/learn/learner.h"
#include "keel/learn/matrix.h"
#include "keel/learn/trees/tree_predictor.h"

namespace keel::learn::trees {

// Thread-safe: Predict/PredictRow run on the immutable compiled predictor;
// the calls that reach the booster take a lock.
class XGBoostModel : public Model {
 public:
  // Takes an XGBoost booster (BoosterHandle, owned from now on: freed by the
  // destructor) and compiles it. `learner` is "gbdt", "rf" or "xgboost"
  // (imported). Errors: those of TreePredictor::FromXGBoostJson.
  static StatusOr<std::unique_ptr<XGBoostModel>> FromBooster(void* booster,
                                                             std::string_view learner);
  // A booster from XGBoost JSON or UBJSON bytes, compiled. Errors: DataLoss
  // for bytes XGBoost cannot load; InvalidArgument for an unsupported
  // objective or booster.
  static StatusOr<std::unique_ptr<XGBoostModel>> FromBytes(std::string_view bytes,
                                                           std::string_view learner);
  ~XGBoostModel() override;

  std::string_view learner() const override { return learner_; }
  Task task() const override { return predictor_.task(); }
  int64_t num_features() const override { return predictor_.num_features(); }
  int64_t num_outputs() const override { return predictor_.num_outputs(); }

  // Compiled predictor. Errors: InvalidArgument naming both feature counts.
  Status Predict(const Matrix& x, Matrix* out) const override;
  Status PredictRow(std::span<const double> x, std::span<double> out) const override;
  // Compiled predictor on CSR (TreePredictor::PredictSparse).
  Status PredictSparse(const transform::SparseMatrix& x, Matrix* out) const override;

  // XGBoost's JSON model; Python's xgboost.Booster(model_file=...) loads it.
  StatusOr<std::string> Save() const override;

  // {"gain": ..., "weight": ..., "cover": ...}, each num_features() values
  // indexed like the columns (0 for a feature no split uses). gain and cover
  // are averages per split, as XGBoost's get_score().
  std::map<std::string, std::vector<double>> Importance() const override;

  // SHAP values from XGBoost (pred_contribs): rows x (num_outputs() *
  // (num_features() + 1)). For output group g, columns g*(F+1) .. g*(F+1)+F-1
  // are the features' contributions and column g*(F+1)+F the bias; each
  // group's columns sum to that group's margin. Errors: InvalidArgument for
  // a wrong feature count.
  StatusOr<Matrix> Contributions(const Matrix& x) const;

  // XGBoost's own predictor (XGBoosterPredictFromDMatrix), for tests and
  // benchmarks: the same shape as Predict. `margin`: raw scores.
  StatusOr<Matrix> PredictWithXGBoost(const Matrix& x, bool margin = false) const;
  // The same on a CSR DMatrix (absent entries missing).
  StatusOr<Matrix> PredictSparseWithXGBoost(const transform::SparseMatrix& x,
                                            bool margin = false) const;

  const TreePredictor& predictor() const { return predictor_; }
  // Feature names stored in the model (empty when none).
  const std::vector<std::string>& feature_names() const { return predictor_.feature_names(); }
  // Boosting rounds in the model (after early stopping: up to the best).
  int rounds() const { return rounds_; }

 private:
  XGBoostModel(void* booster, TreePredictor predictor, std::string learner, int rounds);
  Status CheckFeatures(int64_t cols) const;
  // XGBoost's predictor on a DMatrix (DMatrixHandle) of `rows` rows.
  StatusOr<Matrix> PredictWithXGBoost(void* dmatrix, int64_t rows, bool margin) const;

  mutable absl::Mutex mu_;
  void* booster_;  // BoosterHandle, owned; calls on it hold mu_
  const TreePredictor predictor_;
  const std::string learner_;
  const int rounds_;
};

// Loads an XGBoost model file (JSON or UBJSON, as Python's save_model
// writes) as a Keel model: the objective gives the task
// (reg:* -> regression, binary:logistic -> binary, multi:softprob ->
// multiclass; FindObjective lists them), num_feature the inputs, and the
// feature names come along when the file has them. Errors: NotFound for a
// missing file; DataLoss for a damaged or truncated one; InvalidArgument for
// an objective or booster Keel cannot score.
StatusOr<std::unique_ptr<XGBoostModel>> ImportXGBoostModelFile(const std::string& path);

}  // namespace keel::learn::trees

#endif  // KEEL_LEARN_TREES_XGBOOST_MODEL_H_
