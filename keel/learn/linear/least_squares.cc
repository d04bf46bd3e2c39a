// "linear": ordinary least squares and ridge regression.
//   minimise  sum_i w_i (y_i - x_i . coef - intercept)^2 + alpha ||coef||^2
// on centred data (the intercept is not penalised), as scikit-learn's
// LinearRegression (alpha = 0) and Ridge do.
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

class LinearRegressionLearner : public Learner {
 public:
  std::string_view name() const override { return "linear"; }
  std::string_view description() const override {
    return "least squares regression: OLS (alpha=0) or ridge (alpha>0), solved by QR";
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
    return absl::InternalError(
        "linear: the least-squares solution is not finite; check X for huge values or scale it");
  }
  LinearModel::Fitted f;
  f.learner = "linear";
  f.task = Task::kRegression;
  f.link = Link::kIdentity;
  f.num_features = p;
  f.coef.assign(coef.data(), coef.data() + p);
  f.intercept = {fit_intercept ? d.y_offset - d.x_offset.dot(coef) : 0.0};
  f.feature_names = train.feature_names;
  f.params_json = params.ToJson();
  return std::make_unique<LinearModel>(std::move(f));
}

}  // namespace

std::unique_ptr<Learner> NewLinearRegressionLearner() {
  return std::make_unique<LinearRegressionLearner>();
}

}  // namespace keel::learn
