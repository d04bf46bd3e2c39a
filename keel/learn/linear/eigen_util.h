// Eigen views and data preparation shared by the solvers in learn/linear.
// Included only by this folder's .cc files, so Eigen stays out of every
// public header.
#ifndef KEEL_LEARN_LINEAR_EIGEN_UTIL_H_
#define KEEL_LEARN_LINEAR_EIGEN_UTIL_H_

#include <cstdint>
#include <limits>
#include <span>
#include <vector>

#include "Eigen/Core"
#include "Eigen/SparseCore"
#include "keel/learn/matrix.h"
#include "keel/transform/sparse_matrix.h"

namespace keel::learn::linear_internal {

using RowMatrix = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

// A read-only Eigen view of `x` (no copy).
inline Eigen::Map<const RowMatrix> AsEigen(const Matrix& x) {
  return Eigen::Map<const RowMatrix>(x.data(), x.rows(), x.cols());
}

// A read-only Eigen view of a CSR matrix whose offsets and indices are both
// `Index` (Eigen has one StorageIndex type for both).
template <typename Index>
using SparseRowMap = Eigen::Map<const Eigen::SparseMatrix<double, Eigen::RowMajor, Index>>;

// Returns f(view), `view` a SparseRowMap of `x` sharing its values.
// transform::SparseMatrix has int64 offsets and int32 indices, so one of
// them is copied: the rows() + 1 offsets as int32 when nnz and rows fit in
// int32 (the usual case: 4 bytes per row), otherwise the nnz indices as
// int64 (8 bytes per stored value). `f` is called once, with either
// SparseRowMap<int32_t> or SparseRowMap<int64_t>, and must return the same
// type for both.
template <typename F>
decltype(auto) WithEigenSparse(const transform::SparseMatrix& x, F&& f) {
  constexpr int64_t kMax32 = std::numeric_limits<int32_t>::max();
  if (x.nnz() <= kMax32 && x.rows() < kMax32) {
    const std::vector<int32_t> offsets(x.row_offsets().begin(), x.row_offsets().end());
    const SparseRowMap<int32_t> view(x.rows(), x.cols(), x.nnz(), offsets.data(),
                                     x.indices().data(), x.values().data());
    return f(view);
  }
  const std::vector<int64_t> indices(x.indices().begin(), x.indices().end());
  const SparseRowMap<int64_t> view(x.rows(), x.cols(), x.nnz(), x.row_offsets().data(),
                                   indices.data(), x.values().data());
  return f(view);
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
