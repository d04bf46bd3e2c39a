// Dense feature matrices: what every learner trains on and predicts from.
#ifndef KEEL_LEARN_MATRIX_H_
#define KEEL_LEARN_MATRIX_H_

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "keel/base/status.h"
#include "keel/table/table.h"

namespace keel::learn {

// A dense, row-major matrix of doubles. NaN marks a missing value (XGBoost
// treats it as missing; linear learners reject it). Rows are contiguous, so
// row(r) is a span of cols() values.
class Matrix {
 public:
  Matrix() = default;
  // rows x cols, zero-filled. Both must be >= 0.
  Matrix(int64_t rows, int64_t cols);

  int64_t rows() const { return rows_; }
  int64_t cols() const { return cols_; }
  bool empty() const { return rows_ == 0 || cols_ == 0; }

  double& at(int64_t r, int64_t c) { return data_[r * cols_ + c]; }
  double at(int64_t r, int64_t c) const { return data_[r * cols_ + c]; }
  std::span<double> row(int64_t r) {
    return {data_.data() + r * cols_, static_cast<size_t>(cols_)};
  }
  std::span<const double> row(int64_t r) const {
    return {data_.data() + r * cols_, static_cast<size_t>(cols_)};
  }
  double* data() { return data_.data(); }
  const double* data() const { return data_.data(); }

  // Rows [begin, end) copied into a new matrix.
  Matrix RowRange(int64_t begin, int64_t end) const;
  // The listed rows, in that order, copied into a new matrix.
  Matrix Gather(std::span<const int64_t> rows) const;

 private:
  int64_t rows_ = 0;
  int64_t cols_ = 0;
  std::vector<double> data_;
};

// The named columns of `table` as a matrix, in the order given. bool, int64,
// float64 and timestamp (µs since the epoch) columns are accepted; a null
// becomes NaN. Errors: NotFound naming a missing column (with the closest
// names), InvalidArgument naming a string column ("encode it first").
StatusOr<Matrix> MatrixFromTable(const Table& table, const std::vector<std::string>& columns);

// One numeric column as doubles (nulls as NaN). Errors as MatrixFromTable.
StatusOr<std::vector<double>> VectorFromTable(const Table& table, std::string_view column);

}  // namespace keel::learn

#endif  // KEEL_LEARN_MATRIX_H_
