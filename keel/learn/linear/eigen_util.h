// Eigen views and data preparation shared by the solvers in learn/linear.
// Included only by this folder's .cc files, so Eigen stays out of every
// public header.
#ifndef KEEL_LEARN_LINEAR_EIGEN_UTIL_H_
#define KEEL_LEARN_LINEAR_EIGEN_UTIL_H_

#include <span>

#include "Eigen/Core"
#include "keel/learn/matrix.h"

namespace keel::learn::linear_internal {

using RowMatrix = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

// A read-only Eigen view of `x` (no copy).
inline Eigen::Map<const RowMatrix> AsEigen(const Matrix& x) {
  return Eigen::Map<const RowMatrix>(x.data(), x.rows(), x.cols());
}

// scikit-learn's _preprocess_data + _rescale_data for least squares: with
// `fit_intercept`, x_offset and y_offset are the weighted column means and
// are subtracted; then every row of x and y is multiplied by sqrt(weight).
// The fitted intercept is y_offset - x_offset . coef.
struct CenteredData {
  Eigen::MatrixXd x;  // column-major, so coordinate descent reads columns
  Eigen::VectorXd y;
  Eigen::RowVectorXd x_offset;
  double y_offset = 0;
};
CenteredData CenterAndScale(const Matrix& x, std::span<const double> y,
                            std::span<const double> weights, bool fit_intercept);

}  // namespace keel::learn::linear_internal

#endif  // KEEL_LEARN_LINEAR_EIGEN_UTIL_H_
