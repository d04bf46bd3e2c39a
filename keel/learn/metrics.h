// Evaluation metrics, with scikit-learn's definitions (each function names
// the sklearn function it matches; metrics_test.cc checks them against
// scikit-learn 1.2 on the same data).
//
// Labels are class indices 0..k-1 stored as doubles, as in TrainData.
// Scores for binary tasks are P(class 1); for multiclass, a rows x k matrix
// of probabilities.
#ifndef KEEL_LEARN_METRICS_H_
#define KEEL_LEARN_METRICS_H_

#include <cstdint>
#include <map>
#include <span>
#include <string>
#include <vector>

#include "keel/base/status.h"
#include "keel/learn/matrix.h"

namespace keel::learn {

// --- classification ---

// counts[true][predicted], k x k (sklearn confusion_matrix).
std::vector<std::vector<int64_t>> ConfusionMatrix(std::span<const double> y_true,
                                                  std::span<const double> y_pred, int num_classes);

double Accuracy(std::span<const double> y_true, std::span<const double> y_pred);

enum class Average {
  kBinary,    // the positive class (1) only
  kMacro,     // unweighted mean over classes
  kWeighted,  // mean weighted by each class's support
};

// Precision, recall and F1 from a confusion matrix; a class with no
// predicted (precision) or no true (recall) rows counts as 0, as sklearn's
// zero_division="warn" does.
struct PrecisionRecallF1 {
  double precision = 0;
  double recall = 0;
  double f1 = 0;
};
PrecisionRecallF1 PrecisionRecall(const std::vector<std::vector<int64_t>>& confusion,
                                  Average average);

// Area under the ROC curve, ties handled as sklearn roc_auc_score does
// (trapezoids). Errors: InvalidArgument when y_true has only one class.
StatusOr<double> RocAuc(std::span<const double> y_true, std::span<const double> score);

// sklearn average_precision_score: sum over thresholds of
// (R_n - R_{n-1}) P_n. Errors: InvalidArgument when there is no positive.
StatusOr<double> AveragePrecision(std::span<const double> y_true, std::span<const double> score);

// Mean negative log-likelihood, probabilities clipped to [1e-15, 1-1e-15]
// (sklearn log_loss, eps=1e-15). Binary: `proba` has one column, P(class 1);
// multiclass: one column per class, each row renormalised.
double LogLoss(std::span<const double> y_true, const Matrix& proba);

// One-vs-rest macro ROC AUC for multiclass probabilities (sklearn
// roc_auc_score(multi_class="ovr", average="macro")).
StatusOr<double> RocAucOvr(std::span<const double> y_true, const Matrix& proba);

// --- regression ---
double MeanSquaredError(std::span<const double> y_true, std::span<const double> y_pred);
double RootMeanSquaredError(std::span<const double> y_true, std::span<const double> y_pred);
double MeanAbsoluteError(std::span<const double> y_true, std::span<const double> y_pred);
// sklearn r2_score (1.0 for a perfect fit of constant y, 0.0 otherwise).
double R2(std::span<const double> y_true, std::span<const double> y_pred);
// sklearn explained_variance_score.
double ExplainedVariance(std::span<const double> y_true, std::span<const double> y_pred);

// --- clustering ---
// Sum of squared distances of each row to its cluster's centre.
double Inertia(const Matrix& x, std::span<const double> labels, const Matrix& centres);
// Mean silhouette coefficient (sklearn silhouette_score, Euclidean). O(n²):
// callers sample large data. Errors: InvalidArgument unless
// 2 <= clusters <= rows - 1.
StatusOr<double> Silhouette(const Matrix& x, std::span<const double> labels);

// --- by task ---
// The metrics Keel reports for a task, by name ("accuracy", "roc_auc",
// "log_loss", "rmse", ...). `scores` is the model's Predict output.
// Classification labels are argmax (multiclass) or score >= 0.5 (binary).
StatusOr<std::map<std::string, double>> EvaluateClassifier(std::span<const double> y_true,
                                                           const Matrix& scores, int num_classes);
std::map<std::string, double> EvaluateRegressor(std::span<const double> y_true,
                                                const Matrix& scores);

}  // namespace keel::learn

#endif  // KEEL_LEARN_METRICS_H_
