#include "keel/learn/metrics.h"

#include <algorithm>
#include <cmath>
#include <numeric>

#include "absl/strings/str_cat.h"

namespace keel::learn {
namespace {

bool IsPositive(double label) { return label == 1.0; }

// Row indices sorted by descending score (stable, so equal scores keep their
// order; ties are grouped by value below).
std::vector<int64_t> ByDescendingScore(std::span<const double> score) {
  std::vector<int64_t> order(score.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(),
                   [&](int64_t a, int64_t b) { return score[a] > score[b]; });
  return order;
}

struct Counts {
  double positives = 0;
  double negatives = 0;
};

Counts CountClasses(std::span<const double> y_true) {
  Counts counts;
  for (double y : y_true) (IsPositive(y) ? counts.positives : counts.negatives) += 1;
  return counts;
}

double Mean(std::span<const double> v) {
  double sum = 0;
  for (double x : v) sum += x;
  return v.empty() ? 0 : sum / static_cast<double>(v.size());
}

}  // namespace

std::vector<std::vector<int64_t>> ConfusionMatrix(std::span<const double> y_true,
                                                  std::span<const double> y_pred, int num_classes) {
  std::vector<std::vector<int64_t>> counts(num_classes, std::vector<int64_t>(num_classes, 0));
  for (size_t i = 0; i < y_true.size(); ++i) {
    const int t = static_cast<int>(y_true[i]);
    const int p = static_cast<int>(y_pred[i]);
    if (t >= 0 && t < num_classes && p >= 0 && p < num_classes) ++counts[t][p];
  }
  return counts;
}

double Accuracy(std::span<const double> y_true, std::span<const double> y_pred) {
  int64_t right = 0;
  for (size_t i = 0; i < y_true.size(); ++i) right += y_true[i] == y_pred[i] ? 1 : 0;
  return y_true.empty() ? 0 : static_cast<double>(right) / static_cast<double>(y_true.size());
}

PrecisionRecallF1 PrecisionRecall(const std::vector<std::vector<int64_t>>& confusion,
                                  Average average) {
  const int k = static_cast<int>(confusion.size());
  std::vector<double> precision(k), recall(k), f1(k), support(k);
  for (int c = 0; c < k; ++c) {
    double predicted = 0, actual = 0;
    for (int o = 0; o < k; ++o) {
      predicted += static_cast<double>(confusion[o][c]);
      actual += static_cast<double>(confusion[c][o]);
    }
    const double tp = static_cast<double>(confusion[c][c]);
    precision[c] = predicted > 0 ? tp / predicted : 0;
    recall[c] = actual > 0 ? tp / actual : 0;
    const double sum = precision[c] + recall[c];
    f1[c] = sum > 0 ? 2 * precision[c] * recall[c] / sum : 0;
    support[c] = actual;
  }
  PrecisionRecallF1 out;
  if (average == Average::kBinary) {
    if (k < 2) return out;
    return {precision[1], recall[1], f1[1]};
  }
  double total_weight = 0;
  for (int c = 0; c < k; ++c) {
    const double w = average == Average::kWeighted ? support[c] : 1.0;
    out.precision += w * precision[c];
    out.recall += w * recall[c];
    out.f1 += w * f1[c];
    total_weight += w;
  }
  if (total_weight > 0) {
    out.precision /= total_weight;
    out.recall /= total_weight;
    out.f1 /= total_weight;
  }
  return out;
}

StatusOr<double> RocAuc(std::span<const double> y_true, std::span<const double> score) {
  const Counts counts = CountClasses(y_true);
  if (counts.positives == 0 || counts.negatives == 0) {
    return absl::InvalidArgumentError(
        "ROC AUC is undefined when the labels hold only one class: evaluate on data with both "
        "classes");
  }
  const std::vector<int64_t> order = ByDescendingScore(score);
  double tp = 0, fp = 0, area = 0;
  for (size_t i = 0; i < order.size();) {
    const double threshold = score[order[i]];
    const double tp_before = tp, fp_before = fp;
    for (; i < order.size() && score[order[i]] == threshold; ++i) {
      (IsPositive(y_true[order[i]]) ? tp : fp) += 1;
    }
    area += (fp - fp_before) * (tp + tp_before) / 2;
  }
  return area / (counts.positives * counts.negatives);
}

StatusOr<double> AveragePrecision(std::span<const double> y_true, std::span<const double> score) {
  const Counts counts = CountClasses(y_true);
  if (counts.positives == 0) {
    return absl::InvalidArgumentError(
        "average precision is undefined when no label is positive: evaluate on data with "
        "positives");
  }
  const std::vector<int64_t> order = ByDescendingScore(score);
  double tp = 0, fp = 0, previous_recall = 0, ap = 0;
  for (size_t i = 0; i < order.size();) {
    const double threshold = score[order[i]];
    for (; i < order.size() && score[order[i]] == threshold; ++i) {
      (IsPositive(y_true[order[i]]) ? tp : fp) += 1;
    }
    const double recall = tp / counts.positives;
    ap += (recall - previous_recall) * (tp / (tp + fp));
    previous_recall = recall;
  }
  return ap;
}

double LogLoss(std::span<const double> y_true, const Matrix& proba) {
  constexpr double kEps = 1e-15;
  double total = 0;
  for (int64_t r = 0; r < proba.rows(); ++r) {
    const int label = static_cast<int>(y_true[r]);
    double p;
    if (proba.cols() == 1) {
      const double p1 = std::clamp(proba.at(r, 0), kEps, 1 - kEps);
      p = label == 1 ? p1 : 1 - p1;
    } else {
      double sum = 0;
      for (int64_t c = 0; c < proba.cols(); ++c) sum += std::clamp(proba.at(r, c), kEps, 1 - kEps);
      p = std::clamp(proba.at(r, label), kEps, 1 - kEps) / sum;
    }
    total -= std::log(p);
  }
  return proba.rows() == 0 ? 0 : total / static_cast<double>(proba.rows());
}

StatusOr<double> RocAucOvr(std::span<const double> y_true, const Matrix& proba) {
  double sum = 0;
  std::vector<double> is_class(y_true.size()), score(y_true.size());
  for (int64_t c = 0; c < proba.cols(); ++c) {
    for (size_t i = 0; i < y_true.size(); ++i) {
      is_class[i] = y_true[i] == static_cast<double>(c) ? 1 : 0;
      score[i] = proba.at(static_cast<int64_t>(i), c);
    }
    StatusOr<double> auc = RocAuc(is_class, score);
    if (!auc.ok()) {
      return absl::InvalidArgumentError(absl::StrCat(
          "one-vs-rest ROC AUC is undefined: class ", c,
          " is absent from the labels (or the only class); evaluate on data with every class"));
    }
    sum += *auc;
  }
  return sum / static_cast<double>(proba.cols());
}

double MeanSquaredError(std::span<const double> y_true, std::span<const double> y_pred) {
  double sum = 0;
  for (size_t i = 0; i < y_true.size(); ++i)
    sum += (y_true[i] - y_pred[i]) * (y_true[i] - y_pred[i]);
  return y_true.empty() ? 0 : sum / static_cast<double>(y_true.size());
}

double RootMeanSquaredError(std::span<const double> y_true, std::span<const double> y_pred) {
  return std::sqrt(MeanSquaredError(y_true, y_pred));
}

double MeanAbsoluteError(std::span<const double> y_true, std::span<const double> y_pred) {
  double sum = 0;
  for (size_t i = 0; i < y_true.size(); ++i) sum += std::abs(y_true[i] - y_pred[i]);
  return y_true.empty() ? 0 : sum / static_cast<double>(y_true.size());
}

namespace {

// 1 - numerator/denominator with sklearn's rules for a zero denominator.
double OneMinusRatio(double numerator, double denominator) {
  if (denominator == 0) return numerator == 0 ? 1.0 : 0.0;
  return 1 - numerator / denominator;
}

}  // namespace

double R2(std::span<const double> y_true, std::span<const double> y_pred) {
  const double mean = Mean(y_true);
  double residual = 0, total = 0;
  for (size_t i = 0; i < y_true.size(); ++i) {
    residual += (y_true[i] - y_pred[i]) * (y_true[i] - y_pred[i]);
    total += (y_true[i] - mean) * (y_true[i] - mean);
  }
  return OneMinusRatio(residual, total);
}

double ExplainedVariance(std::span<const double> y_true, std::span<const double> y_pred) {
  std::vector<double> diff(y_true.size());
  for (size_t i = 0; i < y_true.size(); ++i) diff[i] = y_true[i] - y_pred[i];
  const double diff_mean = Mean(diff), true_mean = Mean(y_true);
  double diff_var = 0, true_var = 0;
  for (size_t i = 0; i < y_true.size(); ++i) {
    diff_var += (diff[i] - diff_mean) * (diff[i] - diff_mean);
    true_var += (y_true[i] - true_mean) * (y_true[i] - true_mean);
  }
  return OneMinusRatio(diff_var, true_var);
}

namespace {

double SquaredDistance(std::span<const double> a, std::span<const double> b) {
  double sum = 0;
  for (size_t j = 0; j < a.size(); ++j) sum += (a[j] - b[j]) * (a[j] - b[j]);
  return sum;
}

}  // namespace

double Inertia(const Matrix& x, std::span<const double> labels, const Matrix& centres) {
  double sum = 0;
  for (int64_t r = 0; r < x.rows(); ++r) {
    sum += SquaredDistance(x.row(r), centres.row(static_cast<int64_t>(labels[r])));
  }
  return sum;
}

StatusOr<double> Silhouette(const Matrix& x, std::span<const double> labels) {
  const int64_t n = x.rows();
  int k = 0;
  for (double label : labels) k = std::max(k, static_cast<int>(label) + 1);
  std::vector<int64_t> sizes(k, 0);
  for (double label : labels) ++sizes[static_cast<int>(label)];
  const int64_t clusters =
      std::count_if(sizes.begin(), sizes.end(), [](int64_t s) { return s > 0; });
  if (clusters < 2 || clusters > n - 1) {
    return absl::InvalidArgumentError(
        absl::StrCat("the silhouette needs between 2 and rows - 1 clusters; got ", clusters,
                     " clusters for ", n, " rows"));
  }
  double total = 0;
  std::vector<double> sums(k);
  for (int64_t i = 0; i < n; ++i) {
    std::fill(sums.begin(), sums.end(), 0.0);
    for (int64_t j = 0; j < n; ++j) {
      if (j != i)
        sums[static_cast<int>(labels[j])] += std::sqrt(SquaredDistance(x.row(i), x.row(j)));
    }
    const int own = static_cast<int>(labels[i]);
    if (sizes[own] <= 1) continue;  // a singleton scores 0
    const double a = sums[own] / static_cast<double>(sizes[own] - 1);
    double b = INFINITY;
    for (int c = 0; c < k; ++c) {
      if (c != own && sizes[c] > 0) b = std::min(b, sums[c] / static_cast<double>(sizes[c]));
    }
    const double denominator = std::max(a, b);
    total += denominator > 0 ? (b - a) / denominator : 0;
  }
  return total / static_cast<double>(n);
}

StatusOr<std::map<std::string, double>> EvaluateClassifier(std::span<const double> y_true,
                                                           const Matrix& scores, int num_classes) {
  if (scores.rows() != static_cast<int64_t>(y_true.size())) {
    return absl::InvalidArgumentError(
        absl::StrCat("got ", scores.rows(), " predictions for ", y_true.size(), " labels"));
  }
  std::vector<double> predicted(y_true.size());
  for (int64_t r = 0; r < scores.rows(); ++r) {
    if (scores.cols() == 1) {
      predicted[r] = scores.at(r, 0) >= 0.5 ? 1 : 0;
    } else {
      std::span<const double> row = scores.row(r);
      predicted[r] = static_cast<double>(std::max_element(row.begin(), row.end()) - row.begin());
    }
  }
  const auto confusion = ConfusionMatrix(y_true, predicted, num_classes);
  std::map<std::string, double> metrics;
  metrics["accuracy"] = Accuracy(y_true, predicted);
  metrics["log_loss"] = LogLoss(y_true, scores);
  if (scores.cols() == 1) {
    const PrecisionRecallF1 prf = PrecisionRecall(confusion, Average::kBinary);
    metrics["precision"] = prf.precision;
    metrics["recall"] = prf.recall;
    metrics["f1"] = prf.f1;
    std::vector<double> score(y_true.size());
    for (int64_t r = 0; r < scores.rows(); ++r) score[r] = scores.at(r, 0);
    if (StatusOr<double> auc = RocAuc(y_true, score); auc.ok()) metrics["roc_auc"] = *auc;
    if (StatusOr<double> ap = AveragePrecision(y_true, score); ap.ok()) metrics["pr_auc"] = *ap;
  } else {
    const PrecisionRecallF1 prf = PrecisionRecall(confusion, Average::kMacro);
    metrics["precision_macro"] = prf.precision;
    metrics["recall_macro"] = prf.recall;
    metrics["f1_macro"] = prf.f1;
    if (StatusOr<double> auc = RocAucOvr(y_true, scores); auc.ok()) metrics["roc_auc_ovr"] = *auc;
  }
  return metrics;
}

std::map<std::string, double> EvaluateRegressor(std::span<const double> y_true,
                                                const Matrix& scores) {
  std::vector<double> predicted(y_true.size());
  for (int64_t r = 0; r < scores.rows(); ++r) predicted[r] = scores.at(r, 0);
  return {{"rmse", RootMeanSquaredError(y_true, predicted)},
          {"mae", MeanAbsoluteError(y_true, predicted)},
          {"r2", R2(y_true, predicted)},
          {"explained_variance", ExplainedVariance(y_true, predicted)}};
}

}  // namespace keel::learn
