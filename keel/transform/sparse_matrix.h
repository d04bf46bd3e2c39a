// A compressed sparse row (CSR) matrix of doubles: what a fitted pipeline
// with sparse outputs produces (FittedPipeline::TransformSparse) and what the
// learners that take sparse input train on and score. It lives in transform
// because the pipeline builds it and keel/learn may depend on keel/transform,
// not the reverse.
#ifndef KEEL_TRANSFORM_SPARSE_MATRIX_H_
#define KEEL_TRANSFORM_SPARSE_MATRIX_H_

#include <cassert>
#include <cstdint>
#include <span>
#include <vector>

#include "keel/base/status.h"

namespace keel::transform {

// rows() x cols() in CSR form. Invariants (checked by Make, kept by Builder):
// row_offsets() has rows() + 1 entries, starts at 0, never decreases and ends
// at nnz(); within a row the column indices ascend strictly and lie in
// [0, cols()); no stored value is 0 (an absent entry is 0), and a stored NaN
// is a missing value (XGBoost skips it; linear learners refuse it). Immutable
// once built apart from moves; thread-safe for concurrent const use.
class SparseMatrix {
 public:
  SparseMatrix() : row_offsets_(1, 0) {}  // 0 x 0

  // Errors: InvalidArgument naming the first broken invariant.
  static StatusOr<SparseMatrix> Make(int64_t rows, int64_t cols, std::vector<int64_t> row_offsets,
                                     std::vector<int32_t> indices, std::vector<double> values);

  int64_t rows() const { return static_cast<int64_t>(row_offsets_.size()) - 1; }
  int64_t cols() const { return cols_; }
  int64_t nnz() const { return static_cast<int64_t>(values_.size()); }
  std::span<const int64_t> row_offsets() const { return row_offsets_; }
  std::span<const int32_t> indices() const { return indices_; }
  std::span<const double> values() const { return values_; }

  // Row r's stored column indices and values (the same length).
  std::span<const int32_t> RowIndices(int64_t r) const {
    return std::span<const int32_t>(indices_).subspan(row_offsets_[r], RowSize(r));
  }
  std::span<const double> RowValues(int64_t r) const {
    return std::span<const double>(values_).subspan(row_offsets_[r], RowSize(r));
  }
  // The entry at (r, c): 0 when not stored. O(log of the row's size).
  double At(int64_t r, int64_t c) const;

  // The listed rows, in that order, copied into a new matrix.
  SparseMatrix Gather(std::span<const int64_t> rows) const;

  // Builds a matrix row by row (see below).
  class Builder;

 private:
  friend class Builder;
  int64_t RowSize(int64_t r) const { return row_offsets_[r + 1] - row_offsets_[r]; }

  int64_t cols_ = 0;
  std::vector<int64_t> row_offsets_;
  std::vector<int32_t> indices_;
  std::vector<double> values_;
};

// Builds a matrix row by row:
//   SparseMatrix::Builder b(cols);
//   b.Add(2, 0.5); b.Add(7, 1.0); b.EndRow();   // row 0
//   b.EndRow();                                 // row 1, empty
//   SparseMatrix m = std::move(b).Finish();
class SparseMatrix::Builder {
 public:
  explicit Builder(int64_t cols) : cols_(cols) { m_.cols_ = cols; }
  // Appends (col, value) to the current row; a 0 is skipped. The caller
  // keeps col in [0, cols) and ascending within the row (checked in debug
  // builds only: this is the inner loop of the pipeline's sparse path).
  void Add(int32_t col, double value) {
    if (value == 0) return;
    assert(col >= 0 && col < cols_);
    assert(m_.values_.size() == static_cast<size_t>(m_.row_offsets_.back()) ||
           m_.indices_.back() < col);
    m_.indices_.push_back(col);
    m_.values_.push_back(value);
  }
  void EndRow() { m_.row_offsets_.push_back(static_cast<int64_t>(m_.values_.size())); }
  void Reserve(int64_t rows, int64_t nnz);
  SparseMatrix Finish() &&;

 private:
  [[maybe_unused]] int64_t cols_;  // for the debug checks
  SparseMatrix m_;
};

}  // namespace keel::transform

#endif  // KEEL_TRANSFORM_SPARSE_MATRIX_H_
