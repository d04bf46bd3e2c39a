#include "keel/learn/linear/kmeans.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <random>

#include "Eigen/Dense"
#include "absl/strings/str_cat.h"
#include "keel/learn/linear/common.h"
#include "keel/learn/linear/eigen_util.h"
#include "keel/learn/linear/learners.h"
#include "nlohmann/json.hpp"

namespace keel::learn {
namespace {

using linear_internal::AsEigen;
using linear_internal::RowMatrix;
using linear_internal::SquaredDistance;

constexpr char kFormat[] = "keel-kmeans-1";
constexpr int64_t kChunkRows = 256;

// Uniform in [0, 1) from 53 random bits: the same on every platform.
double Uniform(std::mt19937_64& rng) { return static_cast<double>(rng() >> 11) * 0x1.0p-53; }

struct Run {
  RowMatrix centres;
  std::vector<int> labels;
  double inertia = 0;
  int64_t n_iter = 0;
};

// Nearest centre of every row by ||c||^2 - 2 x.c (scikit-learn's E-step),
// in chunks so the distance block stays small.
void Assign(const RowMatrix& x, const RowMatrix& centres, std::vector<int>* labels) {
  const Eigen::VectorXd c2 = centres.rowwise().squaredNorm();
  const int64_t n = x.rows();
  for (int64_t begin = 0; begin < n; begin += kChunkRows) {
    const int64_t rows = std::min(kChunkRows, n - begin);
    const Eigen::MatrixXd dots = x.middleRows(begin, rows) * centres.transpose();
    for (int64_t i = 0; i < rows; ++i) {
      int best = 0;
      double best_d = c2[0] - 2 * dots(i, 0);
      for (int j = 1; j < centres.rows(); ++j) {
        const double d = c2[j] - 2 * dots(i, j);
        if (d < best_d) {
          best_d = d;
          best = j;
        }
      }
      (*labels)[begin + i] = best;
    }
  }
}

// M-step: weighted means of the assigned rows. An empty cluster takes the
// row farthest from its centre (scikit-learn's _relocate_empty_clusters).
RowMatrix Update(const RowMatrix& x, const Eigen::VectorXd& w, const RowMatrix& old,
                 const std::vector<int>& labels) {
  const int64_t k = old.rows();
  RowMatrix sums = RowMatrix::Zero(k, x.cols());
  Eigen::VectorXd weight = Eigen::VectorXd::Zero(k);
  for (int64_t i = 0; i < x.rows(); ++i) {
    sums.row(labels[i]) += w[i] * x.row(i);
    weight[labels[i]] += w[i];
  }
  std::vector<int64_t> empty;
  for (int64_t j = 0; j < k; ++j) {
    if (weight[j] == 0) empty.push_back(j);
  }
  if (!empty.empty()) {
    std::vector<double> dist(static_cast<size_t>(x.rows()));
    for (int64_t i = 0; i < x.rows(); ++i) dist[i] = (x.row(i) - old.row(labels[i])).squaredNorm();
    std::vector<int64_t> order(dist.size());
    std::iota(order.begin(), order.end(), 0);
    std::stable_sort(order.begin(), order.end(),
                     [&](int64_t a, int64_t b) { return dist[a] > dist[b]; });
    for (size_t e = 0; e < empty.size() && e < order.size(); ++e) {
      const int64_t far = order[e];
      sums.row(labels[far]) -= w[far] * x.row(far);
      weight[labels[far]] -= w[far];
      sums.row(empty[e]) = w[far] * x.row(far);
      weight[empty[e]] = w[far];
    }
  }
  for (int64_t j = 0; j < k; ++j) {
    if (weight[j] > 0) sums.row(j) /= weight[j];
  }
  return sums;
}

double Inertia(const RowMatrix& x, const Eigen::VectorXd& w, const RowMatrix& centres,
               const std::vector<int>& labels) {
  double total = 0;
  for (int64_t i = 0; i < x.rows(); ++i)
    total += w[i] * (x.row(i) - centres.row(labels[i])).squaredNorm();
  return total;
}

// scikit-learn's _kmeans_single_lloyd: stop when the labels do not change
// (strict convergence) or the summed squared centre shift is <= tol.
Run Lloyd(const RowMatrix& x, const Eigen::VectorXd& w, RowMatrix centres, int64_t max_iter,
          double tol) {
  Run run;
  run.labels.assign(static_cast<size_t>(x.rows()), -1);
  std::vector<int> old_labels = run.labels;
  bool strict = false;
  for (int64_t iter = 0; iter < max_iter; ++iter) {
    Assign(x, centres, &run.labels);
    RowMatrix next = Update(x, w, centres, run.labels);
    const double shift = (next - centres).rowwise().squaredNorm().sum();
    centres = std::move(next);
    run.n_iter = iter + 1;
    if (run.labels == old_labels) {
      strict = true;
      break;
    }
    if (shift <= tol) break;
    old_labels = run.labels;
  }
  if (!strict) Assign(x, centres, &run.labels);
  run.inertia = Inertia(x, w, centres, run.labels);
  run.centres = std::move(centres);
  return run;
}

// Greedy k-means++ (scikit-learn's _kmeans_plusplus): each new centre is
// the best of 2 + floor(ln k) candidates drawn with probability
// proportional to weight * squared distance to the nearest chosen centre.
RowMatrix KMeansPlusPlus(const RowMatrix& x, const Eigen::VectorXd& w, int64_t k,
                         std::mt19937_64& rng) {
  const int64_t n = x.rows();
  const int trials = 2 + static_cast<int>(std::log(static_cast<double>(k)));
  RowMatrix centres(k, x.cols());
  auto draw = [&](const Eigen::VectorXd& mass) {
    std::vector<double> cumulative(static_cast<size_t>(n));
    std::partial_sum(mass.data(), mass.data() + n, cumulative.begin());
    const double u = Uniform(rng) * cumulative.back();
    auto it = std::upper_bound(cumulative.begin(), cumulative.end(), u);
    return std::min<int64_t>(it - cumulative.begin(), n - 1);
  };
  auto distances_to = [&](int64_t row) {
    Eigen::VectorXd d(n);
    for (int64_t i = 0; i < n; ++i) d[i] = (x.row(i) - x.row(row)).squaredNorm();
    return d;
  };
  int64_t first = draw(w);
  centres.row(0) = x.row(first);
  Eigen::VectorXd closest = distances_to(first);
  for (int64_t c = 1; c < k; ++c) {
    const Eigen::VectorXd mass = closest.cwiseProduct(w);
    double best_pot = std::numeric_limits<double>::infinity();
    int64_t best = 0;
    Eigen::VectorXd best_closest;
    for (int t = 0; t < trials; ++t) {
      const int64_t candidate = mass.sum() > 0 ? draw(mass) : draw(w);
      Eigen::VectorXd next = closest.cwiseMin(distances_to(candidate));
      const double pot = next.dot(w);
      if (pot < best_pot) {
        best_pot = pot;
        best = candidate;
        best_closest = std::move(next);
      }
    }
    centres.row(c) = x.row(best);
    closest = std::move(best_closest);
  }
  return centres;
}

RowMatrix RandomRows(const RowMatrix& x, int64_t k, std::mt19937_64& rng) {
  std::vector<int64_t> rows(static_cast<size_t>(x.rows()));
  std::iota(rows.begin(), rows.end(), 0);
  for (int64_t i = 0; i < k; ++i) {  // partial Fisher-Yates
    const int64_t j = i + static_cast<int64_t>(Uniform(rng) * static_cast<double>(x.rows() - i));
    std::swap(rows[i], rows[std::min<int64_t>(j, x.rows() - 1)]);
  }
  RowMatrix centres(k, x.cols());
  for (int64_t i = 0; i < k; ++i) centres.row(i) = x.row(rows[i]);
  return centres;
}

class KMeansLearner : public Learner {
 public:
  std::string_view name() const override { return "kmeans"; }
  std::string_view description() const override {
    return "k-means clustering (Lloyd) with k-means++ or random starts, best of n_init runs";
  }
  std::span<const Task> tasks() const override { return kTasks; }
  std::span<const ParamSpec> params() const override { return Specs(); }
  StatusOr<std::unique_ptr<Model>> Fit(const TrainData& train, const Params& params,
                                       const FitOptions& options) const override;
  StatusOr<std::unique_ptr<Model>> Load(std::string_view payload) const override {
    return KMeansModel::Load(payload);
  }

  // The shared body of Fit and FitKMeansFrom; `init` may be null.
  StatusOr<std::unique_ptr<KMeansModel>> FitWith(const TrainData& train, const Params& params,
                                                 const FitOptions& options,
                                                 const Matrix* init) const;

 private:
  static constexpr Task kTasks[] = {Task::kClustering};
  static const std::vector<ParamSpec>& Specs() {
    static const std::vector<ParamSpec> specs = {
        {.name = "k",
         .type = ParamType::kInt,
         .min = 1,
         .max = 1000,
         .default_value = "8",
         .help = "number of clusters (scikit-learn's n_clusters)"},
        {.name = "init",
         .type = ParamType::kChoice,
         .default_value = "k-means++",
         .choices = {"k-means++", "random"},
         .help = "starting centres: greedy k-means++ or k distinct random rows"},
        {.name = "n_init",
         .type = ParamType::kInt,
         .min = 1,
         .max = 1000,
         .default_value = "10",
         .help = "runs from different starts; the lowest inertia is kept"},
        {.name = "max_iter",
         .type = ParamType::kInt,
         .min = 1,
         .max = 100000,
         .default_value = "300",
         .help = "most Lloyd iterations per run"},
        {.name = "tol",
         .type = ParamType::kFloat,
         .min = 0,
         .max = 1,
         .default_value = "0.0001",
         .help = "stop when the summed squared centre shift <= tol * mean column variance"},
    };
    return specs;
  }
};

StatusOr<std::unique_ptr<KMeansModel>> KMeansLearner::FitWith(const TrainData& train,
                                                              const Params& params,
                                                              const FitOptions& options,
                                                              const Matrix* init) const {
  KEEL_RETURN_IF_ERROR(linear_internal::CheckTrainData(*this, train));
  const int64_t n = train.x.rows();
  const int64_t p = train.x.cols();
  const int64_t k = params.Int("k");
  if (k > n) {
    return absl::InvalidArgumentError(
        absl::StrCat("kmeans: k=", k, " clusters but only ", n, " rows; lower k to at most ", n));
  }
  if (init != nullptr) {
    if (init->rows() != k || init->cols() != p) {
      return absl::InvalidArgumentError(absl::StrCat("kmeans: initial centres are ", init->rows(),
                                                     " x ", init->cols(),
                                                     "; expected k x features = ", k, " x ", p));
    }
    for (int64_t r = 0; r < k; ++r) {
      KEEL_RETURN_IF_ERROR(linear_internal::CheckFiniteRow("kmeans initial centres", init->row(r),
                                                           r, train.feature_names));
    }
  }
  // Work on centred data, as scikit-learn does, for precision.
  RowMatrix x = AsEigen(train.x);
  const Eigen::RowVectorXd mean = x.colwise().mean();
  x.rowwise() -= mean;
  const double tol =
      params.Float("tol") * (x.colwise().squaredNorm() / static_cast<double>(n)).mean();
  const std::vector<double> weights = linear_internal::WeightsOrOnes(train);
  const Eigen::Map<const Eigen::VectorXd> w(weights.data(), n);
  const int64_t max_iter = params.Int("max_iter");
  std::mt19937_64 rng(options.seed);
  Run best;
  const int64_t runs = init != nullptr ? 1 : params.Int("n_init");
  for (int64_t r = 0; r < runs; ++r) {
    RowMatrix start;
    if (init != nullptr) {
      start = AsEigen(*init);
      start.rowwise() -= mean;
    } else if (params.Choice("init") == "random") {
      start = RandomRows(x, k, rng);
    } else {
      start = KMeansPlusPlus(x, w, k, rng);
    }
    Run run = Lloyd(x, w, std::move(start), max_iter, tol);
    if (options.on_iteration) {
      options.on_iteration(static_cast<int>(r), {{"train-inertia", run.inertia}});
    }
    if (r == 0 || run.inertia < best.inertia) best = std::move(run);
  }
  best.centres.rowwise() += mean;
  KMeansModel::Fitted f;
  f.num_features = p;
  f.centres.assign(best.centres.data(), best.centres.data() + k * p);
  f.inertia = best.inertia;
  f.n_iter = best.n_iter;
  f.feature_names = train.feature_names;
  f.params_json = params.ToJson();
  return std::make_unique<KMeansModel>(std::move(f));
}

StatusOr<std::unique_ptr<Model>> KMeansLearner::Fit(const TrainData& train, const Params& params,
                                                    const FitOptions& options) const {
  KEEL_ASSIGN_OR_RETURN(std::unique_ptr<KMeansModel> model,
                        FitWith(train, params, options, nullptr));
  return std::unique_ptr<Model>(std::move(model));
}

}  // namespace

KMeansModel::KMeansModel(Fitted fitted) : f_(std::move(fitted)) {}

int64_t KMeansModel::Nearest(const double* x) const {
  const int64_t p = f_.num_features;
  int64_t best = 0;
  double best_d = SquaredDistance(x, f_.centres.data(), p);
  for (int64_t j = 1; j < k(); ++j) {
    const double d = SquaredDistance(x, f_.centres.data() + j * p, p);
    if (d < best_d) {
      best_d = d;
      best = j;
    }
  }
  return best;
}

Status KMeansModel::Predict(const Matrix& x, Matrix* out) const {
  KEEL_RETURN_IF_ERROR(linear_internal::CheckNumFeatures("kmeans", x.cols(), f_.num_features));
  for (int64_t r = 0; r < x.rows(); ++r) {
    KEEL_RETURN_IF_ERROR(linear_internal::CheckFiniteRow("kmeans", x.row(r), r, f_.feature_names));
  }
  if (out->rows() != x.rows() || out->cols() != 1) *out = Matrix(x.rows(), 1);
  for (int64_t r = 0; r < x.rows(); ++r) {
    out->at(r, 0) = static_cast<double>(Nearest(x.row(r).data()));
  }
  return absl::OkStatus();
}

Status KMeansModel::PredictRow(std::span<const double> x, std::span<double> out) const {
  KEEL_RETURN_IF_ERROR(
      linear_internal::CheckNumFeatures("kmeans", static_cast<int64_t>(x.size()), f_.num_features));
  if (out.size() != 1) {
    return absl::InvalidArgumentError(
        absl::StrCat("kmeans: PredictRow needs room for 1 output, got ", out.size()));
  }
  KEEL_RETURN_IF_ERROR(linear_internal::CheckFiniteRow("kmeans", x, -1, f_.feature_names));
  out[0] = static_cast<double>(Nearest(x.data()));
  return absl::OkStatus();
}

StatusOr<std::string> KMeansModel::Save() const {
  linear_internal::JsonWriter w;
  w.String("format", kFormat);
  w.Int("num_features", f_.num_features);
  w.DoubleRows("centres", f_.centres, f_.num_features);
  w.Double("inertia", f_.inertia);
  w.Int("n_iter", f_.n_iter);
  w.Strings("feature_names", f_.feature_names);
  w.Raw("params", f_.params_json.empty() ? "{}" : f_.params_json);
  return std::move(w).Finish();
}

StatusOr<std::unique_ptr<Model>> KMeansModel::Load(std::string_view payload) {
  nlohmann::json doc;
  KEEL_RETURN_IF_ERROR(linear_internal::ParsePayload(payload, "kmeans", kFormat, &doc));
  using namespace linear_internal;  // NOLINT: the Get* readers
  Fitted f;
  KEEL_ASSIGN_OR_RETURN(f.num_features, GetInt(doc, "num_features"));
  auto centres = doc.find("centres");
  if (f.num_features < 1 || centres == doc.end() || !centres->is_array() || centres->empty()) {
    return absl::DataLossError("kmeans model payload: no centres or num_features < 1");
  }
  KEEL_ASSIGN_OR_RETURN(
      f.centres,
      GetDoubleRows(doc, "centres", static_cast<int64_t>(centres->size()), f.num_features));
  KEEL_ASSIGN_OR_RETURN(f.inertia, GetDouble(doc, "inertia"));
  KEEL_ASSIGN_OR_RETURN(f.n_iter, GetInt(doc, "n_iter"));
  KEEL_ASSIGN_OR_RETURN(f.feature_names, GetStrings(doc, "feature_names"));
  auto params = doc.find("params");
  if (params != doc.end()) f.params_json = FlatJson(*params);
  return std::make_unique<KMeansModel>(std::move(f));
}

StatusOr<std::unique_ptr<KMeansModel>> FitKMeansFrom(const TrainData& train, const Params& params,
                                                     const Matrix& initial_centres) {
  KMeansLearner learner;
  return learner.FitWith(train, params, {}, &initial_centres);
}

std::unique_ptr<Learner> NewKMeansLearner() { return std::make_unique<KMeansLearner>(); }

}  // namespace keel::learn
