// "linear": ordinary least squares and ridge regression.
//   minimise  sum_i w_i (y_i - x_i . coef - intercept)^2 + alpha ||coef||^2
// on centred data (the intercept is not penalised), as scikit-learn's
// LinearRegression (alpha = 0) and Ridge do. Dense X: direct QR solves.
// Sparse X (TrainData::sparse): conjugate gradients on the normal equations
// through a centred operator, never densifying or forming X'X.
#include <algorithm>
#include <cmath>

#include "Eigen/Dense"
#include "Eigen/SparseCore"
#include "keel/learn/linear/common.h"
#include "keel/learn/linear/eigen_util.h"
#include "keel/learn/linear/learners.h"
#include "keel/learn/linear/linear_model.h"

namespace keel::learn {
namespace {

using linear_internal::CenterAndScale;
using linear_internal::CenteredData;

// Stopping rules of the sparse solver: the normal-equation residual
// ||A'(b - A c) - alpha c|| at most kSparseTol times its value at c = 0, or
// no new lowest residual in kSparseStall steps (rounding error has taken
// over), or max(1000, 10 * p) steps.
constexpr double kSparseTol = 1e-13;
constexpr int64_t kSparseStall = 200;

Status NotFinite() {
  return absl::InternalError(
      "linear: the least-squares solution is not finite; check X for huge values or scale it");
}

struct SparseSolution {
  Eigen::VectorXd coef;
  double intercept = 0;
  int64_t n_iter = 0;
};

// Ridge (alpha > 0) or least squares (alpha = 0) on sparse X as
// scikit-learn does with sparse input (Ridge's sparse_cg, LinearRegression's
// lsqr): X is not centred densely; the solver runs on the operator
//   A = diag(sqrt(w)) (X - 1 x_offset'),  b = sqrt(w) (y - y_offset)
// (x_offset, y_offset the weighted means with fit_intercept, else 0) and the
// intercept is y_offset - x_offset . coef. CGLS (conjugate gradients on
// (A'A + alpha I) c = A'b with one A product and one A' product per step,
// from c = 0) converges to the minimum-norm solution when alpha = 0 and A
// is rank deficient, as LSQR does. Stops as kSparseTol says (not converging
// is not an error: n_iter records the steps).
template <typename XView>
SparseSolution SolveSparse(const XView& x, std::span<const double> y,
                           std::span<const double> weights, double alpha, bool fit_intercept) {
  const int64_t n = x.rows(), p = x.cols();
  const Eigen::Map<const Eigen::VectorXd> y_map(y.data(), n);
  const Eigen::VectorXd w =
      weights.empty() ? Eigen::VectorXd::Ones(n)
                      : Eigen::VectorXd(Eigen::Map<const Eigen::VectorXd>(weights.data(), n));
  const Eigen::VectorXd root = w.array().sqrt();
  Eigen::VectorXd x_offset = Eigen::VectorXd::Zero(p);
  double y_offset = 0;
  if (fit_intercept) {
    x_offset = x.transpose() * w / w.sum();
    y_offset = w.dot(y_map) / w.sum();
  }
  const auto apply = [&](const Eigen::VectorXd& v) -> Eigen::VectorXd {  // A v
    Eigen::VectorXd out = x * v;
    out.array() -= x_offset.dot(v);
    return out.cwiseProduct(root);
  };
  const auto apply_t = [&](const Eigen::VectorXd& u) -> Eigen::VectorXd {  // A' u
    const Eigen::VectorXd scaled = u.cwiseProduct(root);
    Eigen::VectorXd out = x.transpose() * scaled;
    out -= x_offset * scaled.sum();
    return out;
  };
  SparseSolution result;
  Eigen::VectorXd& c = result.coef;
  c = Eigen::VectorXd::Zero(p);
  Eigen::VectorXd r = (y_map.array() - y_offset).matrix().cwiseProduct(root);  // b - A c
  Eigen::VectorXd s = apply_t(r);                                              // A'r - alpha c
  Eigen::VectorXd dir = s;
  double gamma = s.squaredNorm();
  const double stop = kSparseTol * kSparseTol * gamma;
  const int64_t max_iter = std::max<int64_t>(1000, 10 * p);
  double best = gamma;
  int64_t best_iter = 0;
  for (int64_t iter = 0; iter < max_iter && gamma > stop && iter - best_iter < kSparseStall;
       ++iter) {
    const Eigen::VectorXd q = apply(dir);
    const double delta = q.squaredNorm() + alpha * dir.squaredNorm();
    if (!(delta > 0)) break;
    const double step = gamma / delta;
    c += step * dir;
    r -= step * q;
    s = apply_t(r) - alpha * c;
    const double gamma_next = s.squaredNorm();
    dir = s + (gamma_next / gamma) * dir;
    gamma = gamma_next;
    result.n_iter = iter + 1;
    if (gamma < best) {
      best = gamma;
      best_iter = iter;
    }
  }
  result.intercept = fit_intercept ? y_offset - x_offset.dot(c) : 0.0;
  return result;
}

class LinearRegressionLearner : public Learner {
 public:
  std::string_view name() const override { return "linear"; }
  std::string_view description() const override {
    return "least squares regression: OLS (alpha=0) or ridge (alpha>0), solved by QR (by "
           "conjugate gradients on sparse features)";
  }
  std::span<const Task> tasks() const override { return kTasks; }
  std::span<const ParamSpec> params() const override { return Specs(); }
  bool takes_sparse() const override { return true; }

  StatusOr<std::unique_ptr<Model>> Fit(const TrainData& train, const Params& params,
                                       const FitOptions& options) const override;
  StatusOr<std::unique_ptr<Model>> Load(std::string_view payload) const override {
    return LinearModel::Load(name(), payload);
  }

 private:
  static constexpr Task kTasks[] = {Task::kRegression};
  static const std::vector<ParamSpec>& Specs() {
    static const std::vector<ParamSpec> specs = {
        {.name = "alpha",
         .type = ParamType::kFloat,
         .min = 0,
         .max = 1e6,
         .default_value = "0",
         .help = "L2 penalty alpha*||coef||^2 (0: ordinary least squares; Ridge's alpha)"},
        {.name = "fit_intercept",
         .type = ParamType::kBool,
         .default_value = "true",
         .help = "fit an unpenalised intercept (centre X and y first)"},
    };
    return specs;
  }
};

StatusOr<std::unique_ptr<Model>> LinearRegressionLearner::Fit(const TrainData& train,
                                                              const Params& params,
                                                              const FitOptions&) const {
  KEEL_RETURN_IF_ERROR(linear_internal::CheckTrainData(*this, train));
  const double alpha = params.Float("alpha");
  const bool fit_intercept = params.Bool("fit_intercept");
  LinearModel::Fitted f;
  f.learner = "linear";
  f.task = Task::kRegression;
  f.link = Link::kIdentity;
  f.feature_names = train.feature_names;
  f.params_json = params.ToJson();
  if (train.sparse != nullptr) {
    const SparseSolution fit =
        linear_internal::WithEigenSparse(*train.sparse, [&](const auto& x) -> SparseSolution {
          return SolveSparse(x, train.y, train.weights, alpha, fit_intercept);
        });
    if (!fit.coef.allFinite() || !std::isfinite(fit.intercept)) {
      return NotFinite();
    }
    f.num_features = train.sparse->cols();
    f.coef.assign(fit.coef.data(), fit.coef.data() + fit.coef.size());
    f.intercept = {fit.intercept};
    f.n_iter = fit.n_iter;
    return std::make_unique<LinearModel>(std::move(f));
  }
  CenteredData d = CenterAndScale(train.x, train.y, train.weights, fit_intercept);
  const int64_t p = train.x.cols();
  Eigen::VectorXd coef;
  if (alpha == 0) {
    // Minimum-norm least squares (LAPACK gelsd's answer when X is rank
    // deficient): complete orthogonal decomposition.
    Eigen::CompleteOrthogonalDecomposition<Eigen::MatrixXd> cod(d.x);
    coef = cod.solve(d.y);
  } else {
    // Ridge as least squares on [X; sqrt(alpha) I], [y; 0]: the same
    // solution as (X'X + alpha I) coef = X'y without squaring X's condition
    // number.
    Eigen::MatrixXd a(d.x.rows() + p, p);
    a << d.x, std::sqrt(alpha) * Eigen::MatrixXd::Identity(p, p);
    Eigen::VectorXd b(d.x.rows() + p);
    b << d.y, Eigen::VectorXd::Zero(p);
    coef = a.colPivHouseholderQr().solve(b);
  }
  if (!coef.allFinite()) {
    return NotFinite();
  }
  f.num_features = p;
  f.coef.assign(coef.data(), coef.data() + p);
  f.intercept = {fit_intercept ? d.y_offset - d.x_offset.dot(coef) : 0.0};
  return std::make_unique<LinearModel>(std::move(f));
}

}  // namespace

std::unique_ptr<Learner> NewLinearRegressionLearner() {
  return std::make_unique<LinearRegressionLearner>();
}

}  // namespace keel::learn
