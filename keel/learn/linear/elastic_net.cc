// "lasso": lasso and elastic net by cyclic coordinate descent, the
// algorithm and stopping rule of scikit-learn's ElasticNet (cd_fast.pyx):
//   minimise  1/(2n) ||y - X coef - intercept||^2
//             + alpha * l1_ratio * ||coef||_1
//             + alpha * (1 - l1_ratio) / 2 * ||coef||^2
#include <algorithm>
#include <cmath>

#include "Eigen/Dense"
#include "keel/learn/linear/common.h"
#include "keel/learn/linear/eigen_util.h"
#include "keel/learn/linear/learners.h"
#include "keel/learn/linear/linear_model.h"

namespace keel::learn {
namespace {

using linear_internal::CenterAndScale;
using linear_internal::CenteredData;

struct CdResult {
  int64_t n_iter = 0;
  bool converged = false;
};

// cd_fast.enet_coordinate_descent on column-major x: l1 and l2 are the
// penalties already multiplied by n; `tol` is relative to y.y; coordinates
// are updated in order; every sweep whose largest relative coordinate change
// is below tol (and the last sweep) computes the duality gap, and the
// descent stops when the gap is below tol * y.y.
CdResult CoordinateDescent(const Eigen::MatrixXd& x, const Eigen::VectorXd& y, double l1, double l2,
                           int64_t max_iter, double tol, Eigen::VectorXd* w_out) {
  const int64_t p = x.cols();
  Eigen::VectorXd& w = *w_out;
  w = Eigen::VectorXd::Zero(p);
  const Eigen::VectorXd norm_cols = x.colwise().squaredNorm().transpose();
  Eigen::VectorXd r = y;  // residual y - X w, w = 0
  const double d_w_tol = tol;
  const double gap_tol = tol * y.squaredNorm();
  CdResult result;
  for (int64_t iter = 0; iter < max_iter; ++iter) {
    double w_max = 0, d_w_max = 0;
    for (int64_t j = 0; j < p; ++j) {
      if (norm_cols[j] == 0) continue;
      const double w_j = w[j];
      if (w_j != 0) r += w_j * x.col(j);
      const double tmp = x.col(j).dot(r);
      w[j] = std::copysign(std::max(std::abs(tmp) - l1, 0.0), tmp) / (norm_cols[j] + l2);
      if (w[j] != 0) r -= w[j] * x.col(j);
      d_w_max = std::max(d_w_max, std::abs(w[j] - w_j));
      w_max = std::max(w_max, std::abs(w[j]));
    }
    result.n_iter = iter + 1;
    if (w_max == 0 || d_w_max / w_max < d_w_tol || iter == max_iter - 1) {
      const Eigen::VectorXd xta = x.transpose() * r - l2 * w;
      const double dual_norm = xta.cwiseAbs().maxCoeff();
      const double r_norm2 = r.squaredNorm();
      const double w_norm2 = w.squaredNorm();
      double gap, konst;
      if (dual_norm > l1) {
        konst = l1 / dual_norm;
        gap = 0.5 * (r_norm2 + r_norm2 * konst * konst);
      } else {
        konst = 1.0;
        gap = r_norm2;
      }
      gap += l1 * w.cwiseAbs().sum() - konst * r.dot(y) + 0.5 * l2 * (1 + konst * konst) * w_norm2;
      if (gap < gap_tol || gap == 0) {
        result.converged = true;
        break;
      }
    }
  }
  return result;
}

class ElasticNetLearner : public Learner {
 public:
  std::string_view name() const override { return "lasso"; }
  std::string_view description() const override {
    return "lasso / elastic net regression by cyclic coordinate descent (scikit-learn's "
           "ElasticNet objective)";
  }
  std::span<const Task> tasks() const override { return kTasks; }
  std::span<const ParamSpec> params() const override { return Specs(); }

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
         .default_value = "1",
         .help = "overall penalty strength (scikit-learn's alpha)"},
        {.name = "l1_ratio",
         .type = ParamType::kFloat,
         .min = 0,
         .max = 1,
         .default_value = "1",
         .help = "share of the L1 penalty: 1 is the lasso, 0 ridge, between: elastic net"},
        {.name = "fit_intercept",
         .type = ParamType::kBool,
         .default_value = "true",
         .help = "fit an unpenalised intercept (centre X and y first)"},
        {.name = "max_iter",
         .type = ParamType::kInt,
         .min = 1,
         .max = 1e8,
         .default_value = "1000",
         .help = "most coordinate-descent sweeps over the features"},
        {.name = "tol",
         .type = ParamType::kFloat,
         .min = 0,
         .max = 1,
         .default_value = "0.0001",
         .log_scale = false,
         .help = "stop when the duality gap is below tol * ||y - mean(y)||^2"},
    };
    return specs;
  }
};

StatusOr<std::unique_ptr<Model>> ElasticNetLearner::Fit(const TrainData& train,
                                                        const Params& params,
                                                        const FitOptions&) const {
  KEEL_RETURN_IF_ERROR(linear_internal::CheckTrainData(*this, train));
  const double alpha = params.Float("alpha");
  const double l1_ratio = params.Float("l1_ratio");
  const bool fit_intercept = params.Bool("fit_intercept");
  const int64_t n = train.x.rows();
  const int64_t p = train.x.cols();
  // scikit-learn rescales sample weights to sum to n.
  std::vector<double> weights;
  if (!train.weights.empty()) {
    double sum = 0;
    for (double w : train.weights) sum += w;
    for (double w : train.weights) weights.push_back(w * static_cast<double>(n) / sum);
  }
  CenteredData d = CenterAndScale(train.x, train.y, weights, fit_intercept);
  Eigen::VectorXd coef;
  const CdResult cd = CoordinateDescent(d.x, d.y, alpha * l1_ratio * static_cast<double>(n),
                                        alpha * (1 - l1_ratio) * static_cast<double>(n),
                                        params.Int("max_iter"), params.Float("tol"), &coef);
  if (!coef.allFinite()) {
    return absl::InternalError(
        "lasso: coordinate descent diverged (non-finite coefficients); scale X or raise alpha");
  }
  LinearModel::Fitted f;
  f.learner = "lasso";
  f.task = Task::kRegression;
  f.link = Link::kIdentity;
  f.num_features = p;
  f.coef.assign(coef.data(), coef.data() + p);
  f.intercept = {fit_intercept ? d.y_offset - d.x_offset.dot(coef) : 0.0};
  f.feature_names = train.feature_names;
  f.n_iter = cd.n_iter;
  f.params_json = params.ToJson();
  return std::make_unique<LinearModel>(std::move(f));
}

}  // namespace

std::unique_ptr<Learner> NewElasticNetLearner() { return std::make_unique<ElasticNetLearner>(); }

}  // namespace keel::learn
