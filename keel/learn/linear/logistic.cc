// "logistic": L2-regularised logistic regression, binary (sigmoid) and
// multinomial (softmax), with scikit-learn's convention
//   minimise  C * sum_i w_i * loss_i + 1/2 ||coef||^2   (intercept free)
// solved by a line-search Newton-CG method (Hessian-vector products, no
// Hessian matrix) to a tight gradient tolerance, so the unique optimum is
// reached to far better than scikit-learn's lbfgs tolerance. The solver only
// needs the products X * W' and G' * X, so it runs on a dense matrix or,
// without densifying, on a CSR matrix (TrainData::sparse).
#include <algorithm>
#include <cmath>

#include "Eigen/Dense"
#include "Eigen/SparseCore"
#include "absl/strings/str_cat.h"
#include "keel/learn/linear/common.h"
#include "keel/learn/linear/eigen_util.h"
#include "keel/learn/linear/learners.h"
#include "keel/learn/linear/linear_model.h"

namespace keel::learn {
namespace {

using linear_internal::AsEigen;

// Parameters as a k x (p + 1) matrix: one row per score, the last column
// the intercept. k is 1 for binary and the number of classes for softmax.
using Theta = Eigen::MatrixXd;

double Log1pExp(double z) { return z > 0 ? z + std::log1p(std::exp(-z)) : std::log1p(std::exp(z)); }
double Sigmoid(double z) {
  return z >= 0 ? 1.0 / (1.0 + std::exp(-z)) : std::exp(z) / (1.0 + std::exp(z));
}

// The objective over X, an Eigen view of the features: a dense
// Map<const RowMatrix> or a sparse SparseRowMap (the same arithmetic; only
// X * W' and G' * X touch X).
template <typename XView>
class Objective {
 public:
  Objective(const XView& x, std::span<const double> y, std::vector<double> cw, int k,
            bool fit_intercept)
      : x_(x), y_(y), cw_(std::move(cw)), k_(k), fit_intercept_(fit_intercept) {}

  int64_t p() const { return x_.cols(); }
  int k() const { return k_; }

  // The objective at theta; fills `grad` and keeps what Hv needs (the
  // probabilities at theta).
  double Eval(const Theta& theta, Theta* grad) {
    const Eigen::MatrixXd w = theta.leftCols(p());
    Eigen::MatrixXd z = x_ * w.transpose();  // n x k
    z.rowwise() += theta.col(p()).transpose();
    const int64_t n = x_.rows();
    probs_.resize(n, k_);
    Eigen::MatrixXd g(n, k_);  // C w_i dloss/dz
    double loss = 0;
    for (int64_t i = 0; i < n; ++i) {
      const int label = static_cast<int>(y_[i]);
      if (k_ == 1) {
        loss += cw_[i] * (Log1pExp(z(i, 0)) - (label == 1 ? z(i, 0) : 0.0));
        probs_(i, 0) = Sigmoid(z(i, 0));
        g(i, 0) = cw_[i] * (probs_(i, 0) - label);
      } else {
        const double max = z.row(i).maxCoeff();
        double sum = 0;
        for (int j = 0; j < k_; ++j) sum += std::exp(z(i, j) - max);
        loss += cw_[i] * (max + std::log(sum) - z(i, label));
        for (int j = 0; j < k_; ++j) {
          probs_(i, j) = std::exp(z(i, j) - max) / sum;
          g(i, j) = cw_[i] * (probs_(i, j) - (j == label ? 1.0 : 0.0));
        }
      }
    }
    grad->resize(k_, p() + 1);
    grad->leftCols(p()) = g.transpose() * x_ + w;
    grad->col(p()) =
        fit_intercept_ ? Eigen::VectorXd(g.colwise().sum().transpose()) : Eigen::VectorXd::Zero(k_);
    return loss + 0.5 * w.squaredNorm();
  }

  // Hessian times v at the theta of the last Eval.
  Theta Hv(const Theta& v) const {
    Eigen::MatrixXd r = x_ * v.leftCols(p()).transpose();  // n x k
    if (fit_intercept_) r.rowwise() += v.col(p()).transpose();
    Eigen::MatrixXd d(r.rows(), k_);
    for (int64_t i = 0; i < r.rows(); ++i) {
      if (k_ == 1) {
        d(i, 0) = cw_[i] * probs_(i, 0) * (1 - probs_(i, 0)) * r(i, 0);
      } else {
        const double mean = probs_.row(i).dot(r.row(i));
        for (int j = 0; j < k_; ++j) d(i, j) = cw_[i] * probs_(i, j) * (r(i, j) - mean);
      }
    }
    Theta out(k_, p() + 1);
    out.leftCols(p()) = d.transpose() * x_ + v.leftCols(p());
    out.col(p()) =
        fit_intercept_ ? Eigen::VectorXd(d.colwise().sum().transpose()) : Eigen::VectorXd::Zero(k_);
    return out;
  }

 private:
  XView x_;
  std::span<const double> y_;
  std::vector<double> cw_;  // C * sample weight
  int k_;
  bool fit_intercept_;
  Eigen::MatrixXd probs_;
};

double Dot(const Theta& a, const Theta& b) { return a.cwiseProduct(b).sum(); }

struct NewtonResult {
  Theta theta;
  int64_t n_iter = 0;
  bool converged = false;
};

// Line-search Newton-CG: each step solves H d = -g by conjugate gradients
// to a relative residual min(0.5, sqrt(|g|)) and backtracks until the
// Armijo condition holds. Stops when max |g| <= tol * max(1, max |g(0)|).
// Starting from zero keeps the softmax intercepts (free up to a common
// shift) summing to zero, as scikit-learn's lbfgs does.
template <typename Obj>
NewtonResult NewtonCg(Obj& obj, int64_t max_iter, double tol, const FitOptions& options) {
  NewtonResult result;
  Theta& theta = result.theta;
  theta = Theta::Zero(obj.k(), obj.p() + 1);
  Theta grad;
  double f = obj.Eval(theta, &grad);
  const double stop = tol * std::max(1.0, grad.cwiseAbs().maxCoeff());
  const int64_t max_cg = std::max<int64_t>(50, 2 * theta.size());
  for (int64_t iter = 0; iter < max_iter; ++iter) {
    if (grad.cwiseAbs().maxCoeff() <= stop) {
      result.converged = true;
      break;
    }
    // Conjugate gradients on H d = -g.
    const double gnorm = grad.norm();
    const double cg_tol = std::min(0.5, std::sqrt(gnorm)) * gnorm;
    Theta d = Theta::Zero(theta.rows(), theta.cols());
    Theta r = -grad;
    Theta dir = r;
    double rr = Dot(r, r);
    for (int64_t i = 0; i < max_cg && std::sqrt(rr) > cg_tol; ++i) {
      const Theta hd = obj.Hv(dir);
      const double curvature = Dot(dir, hd);
      if (curvature <= 0) break;
      const double a = rr / curvature;
      d += a * dir;
      r -= a * hd;
      const double rr_next = Dot(r, r);
      dir = r + (rr_next / rr) * dir;
      rr = rr_next;
    }
    if (Dot(d, d) == 0) d = -grad;
    // Backtracking line search. Near the optimum the objective changes by
    // less than its rounding error, so a full step that lowers the gradient
    // is taken as well.
    const double slope = Dot(grad, d);
    const double grad_max = grad.cwiseAbs().maxCoeff();
    double step = 1;
    bool moved = false;
    Theta next_grad;
    for (int ls = 0; ls < 40; ++ls, step *= 0.5) {
      const Theta next = theta + step * d;
      const double f_next = obj.Eval(next, &next_grad);
      if (f_next <= f + 1e-4 * step * slope || (ls == 0 && f_next <= f + 1e-12 * std::abs(f) &&
                                                next_grad.cwiseAbs().maxCoeff() < grad_max)) {
        theta = next;
        f = f_next;
        grad = next_grad;
        moved = true;
        break;
      }
    }
    result.n_iter = iter + 1;
    if (options.on_iteration) {
      options.on_iteration(static_cast<int>(iter), {{"train-objective", f}});
    }
    if (!moved) {
      obj.Eval(theta, &grad);  // restore the state at theta; as good as it gets
      result.converged = grad.cwiseAbs().maxCoeff() <= stop;
      break;
    }
  }
  return result;
}

class LogisticLearner : public Learner {
 public:
  std::string_view name() const override { return "logistic"; }
  std::string_view description() const override {
    return "L2-regularised logistic regression, binary or multinomial (softmax), by Newton-CG";
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
  static constexpr Task kTasks[] = {Task::kBinary, Task::kMulticlass};
  static const std::vector<ParamSpec>& Specs() {
    static const std::vector<ParamSpec> specs = {
        {.name = "C",
         .type = ParamType::kFloat,
         .min = 1e-6,
         .max = 1e6,
         .default_value = "1",
         .log_scale = true,
         .help = "inverse L2 strength: minimise C*sum(loss) + ||coef||^2/2 (scikit-learn's C)"},
        {.name = "fit_intercept",
         .type = ParamType::kBool,
         .default_value = "true",
         .help = "fit an unpenalised intercept per class"},
        {.name = "max_iter",
         .type = ParamType::kInt,
         .min = 1,
         .max = 100000,
         .default_value = "100",
         .help = "most Newton steps (each a few passes over the data)"},
        {.name = "tol",
         .type = ParamType::kFloat,
         .min = 0,
         .max = 1,
         .default_value = "1e-10",
         .help = "stop when max |gradient| <= tol * max(1, max |gradient at zero|)"},
    };
    return specs;
  }
};

StatusOr<std::unique_ptr<Model>> LogisticLearner::Fit(const TrainData& train, const Params& params,
                                                      const FitOptions& options) const {
  KEEL_RETURN_IF_ERROR(linear_internal::CheckTrainData(*this, train));
  const bool binary = train.task == Task::kBinary;
  const int k = binary ? 1 : train.num_classes;
  const double c = params.Float("C");
  std::vector<double> cw = linear_internal::WeightsOrOnes(train);
  for (double& w : cw) w *= c;
  const bool fit_intercept = params.Bool("fit_intercept");
  const auto solve = [&](const auto& x) -> NewtonResult {
    Objective<std::decay_t<decltype(x)>> objective(x, train.y, std::move(cw), k, fit_intercept);
    return NewtonCg(objective, params.Int("max_iter"), params.Float("tol"), options);
  };
  // Sparse features stay sparse: every product with X is a CSR product.
  const NewtonResult fit = train.sparse != nullptr
                               ? linear_internal::WithEigenSparse(*train.sparse, solve)
                               : solve(AsEigen(train.x));
  if (!fit.theta.allFinite()) {
    return absl::InternalError(
        "logistic: the solver diverged (non-finite coefficients); scale X or lower C");
  }
  const int64_t p = linear_internal::TrainCols(train);
  LinearModel::Fitted f;
  f.learner = "logistic";
  f.task = train.task;
  f.link = binary ? Link::kLogistic : Link::kSoftmax;
  f.num_features = p;
  for (int j = 0; j < k; ++j) {
    for (int64_t c2 = 0; c2 < p; ++c2) f.coef.push_back(fit.theta(j, c2));
    f.intercept.push_back(fit.theta(j, p));
  }
  f.feature_names = train.feature_names;
  f.n_iter = fit.n_iter;
  f.params_json = params.ToJson();
  return std::make_unique<LinearModel>(std::move(f));
}

}  // namespace

std::unique_ptr<Learner> NewLogisticLearner() { return std::make_unique<LogisticLearner>(); }

}  // namespace keel::learn
