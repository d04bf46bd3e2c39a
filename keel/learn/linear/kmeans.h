// "kmeans": Lloyd's k-means with k-means++ or random starts, and the model
// it trains (the cluster centres; output = the index of the nearest centre).
#ifndef KEEL_LEARN_LINEAR_KMEANS_H_
#define KEEL_LEARN_LINEAR_KMEANS_H_

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
class KMeansModel : public Model {
 public:
  struct Fitted {
    int64_t num_features = 0;
    std::vector<double> centres;  // k x num_features, row-major
    double inertia = 0;           // sum of weight * squared distance to the assigned centre
    int64_t n_iter = 0;           // Lloyd iterations of the kept run
    std::vector<std::string> feature_names;
    std::string params_json;
  };
  explicit KMeansModel(Fitted fitted);

  std::string_view learner() const override { return "kmeans"; }
  Task task() const override { return Task::kClustering; }
  int64_t num_features() const override { return f_.num_features; }
  int64_t num_outputs() const override { return 1; }
  // The index of the nearest centre (squared Euclidean distance; the lowest
  // index on a tie), as a double. Errors as LinearModel::Predict.
  Status Predict(const Matrix& x, Matrix* out) const override;
  Status PredictRow(std::span<const double> x, std::span<double> out) const override;
  // {"format":"keel-kmeans-1", "num_features", "centres": [[...]],
  //  "inertia", "n_iter", "feature_names", "params"}.
  StatusOr<std::string> Save() const override;

  int64_t k() const { return static_cast<int64_t>(f_.centres.size()) / f_.num_features; }
  std::span<const double> centres() const { return f_.centres; }
  double inertia() const { return f_.inertia; }
  int64_t n_iter() const { return f_.n_iter; }

  static StatusOr<std::unique_ptr<Model>> Load(std::string_view payload);

 private:
  int64_t Nearest(const double* x) const;
  Fitted f_;
};

// One Lloyd run from the given centres (k x x.cols()), as scikit-learn's
// KMeans(init=centres, n_init=1): for tests and for users who bring their
// own starting centres. `params` are the kmeans learner's; its k must equal
// initial_centres.rows(). Errors as the learner's Fit.
StatusOr<std::unique_ptr<KMeansModel>> FitKMeansFrom(const TrainData& train, const Params& params,
                                                     const Matrix& initial_centres);

}  // namespace keel::learn

#endif  // KEEL_LEARN_LINEAR_KMEANS_H_
