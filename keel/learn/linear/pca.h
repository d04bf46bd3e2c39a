// "pca": principal component analysis by SVD of the centred data, and the
// model it trains (output = the projection on the kept components).
#ifndef KEEL_LEARN_LINEAR_PCA_H_
#define KEEL_LEARN_LINEAR_PCA_H_

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "keel/base/status.h"
#include "keel/learn/learner.h"
#include "keel/learn/matrix.h"

namespace keel::learn {

// Immutable after construction; Predict and PredictRow are thread-safe.
class PcaModel : public Model {
 public:
  struct Fitted {
    int64_t num_features = 0;
    std::vector<double> mean;                      // num_features
    std::vector<double> components;                // n_components x num_features, row-major
    std::vector<double> explained_variance;        // s^2 / (n - 1), per component
    std::vector<double> explained_variance_ratio;  // of the total variance
    std::vector<double> singular_values;
    bool whiten = false;
    std::vector<std::string> feature_names;
    std::string params_json;
  };
  explicit PcaModel(Fitted fitted);

  std::string_view learner() const override { return "pca"; }
  Task task() const override { return Task::kReduction; }
  int64_t num_features() const override { return f_.num_features; }
  int64_t num_outputs() const override { return n_components(); }
  // (x - mean) . component for every component, divided by
  // sqrt(explained_variance) when whitening. Errors as LinearModel::Predict.
  Status Predict(const Matrix& x, Matrix* out) const override;
  Status PredictRow(std::span<const double> x, std::span<double> out) const override;
  // {"format":"keel-pca-1", "num_features", "mean", "components": [[...]],
  //  "explained_variance", "explained_variance_ratio", "singular_values",
  //  "whiten", "feature_names", "params"}.
  StatusOr<std::string> Save() const override;

  int64_t n_components() const { return static_cast<int64_t>(f_.explained_variance.size()); }
  std::span<const double> mean() const { return f_.mean; }
  std::span<const double> components() const { return f_.components; }
  std::span<const double> explained_variance() const { return f_.explained_variance; }
  std::span<const double> explained_variance_ratio() const { return f_.explained_variance_ratio; }
  std::span<const double> singular_values() const { return f_.singular_values; }

  static StatusOr<std::unique_ptr<Model>> Load(std::string_view payload);

 private:
  void Project(const double* x, double* out) const;
  Fitted f_;
};

}  // namespace keel::learn

#endif  // KEEL_LEARN_LINEAR_PCA_H_
