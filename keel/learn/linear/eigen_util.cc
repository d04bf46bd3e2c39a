#include "keel/learn/linear/eigen_util.h"

#include <cmath>

namespace keel::learn::linear_internal {

CenteredData CenterAndScale(const Matrix& x, std::span<const double> y,
                            std::span<const double> weights, bool fit_intercept) {
  const int64_t n = x.rows();
  CenteredData d;
  d.x = AsEigen(x);
  d.y = Eigen::Map<const Eigen::VectorXd>(y.data(), n);
  Eigen::VectorXd w = weights.empty()
                          ? Eigen::VectorXd::Ones(n)
                          : Eigen::VectorXd(Eigen::Map<const Eigen::VectorXd>(weights.data(), n));
  d.x_offset = Eigen::RowVectorXd::Zero(x.cols());
  if (fit_intercept) {
    const double total = w.sum();
    d.x_offset = (w.transpose() * d.x) / total;
    d.y_offset = w.dot(d.y) / total;
    d.x.rowwise() -= d.x_offset;
    d.y.array() -= d.y_offset;
  }
  if (!weights.empty()) {
    const Eigen::VectorXd root = w.array().sqrt();
    d.x = root.asDiagonal() * d.x;
    d.y = d.y.cwiseProduct(root);
  }
  return d;
}

}  // namespace keel::learn::linear_internal
