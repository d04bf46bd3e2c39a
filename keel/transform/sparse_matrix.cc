#include "keel/transform/sparse_matrix.h"

#include <algorithm>
#include <cmath>

#include "absl/strings/str_cat.h"

namespace keel::transform {

StatusOr<SparseMatrix> SparseMatrix::Make(int64_t rows, int64_t cols,
                                          std::vector<int64_t> row_offsets,
                                          std::vector<int32_t> indices,
                                          std::vector<double> values) {
  auto bad = [](std::string_view what) {
    return absl::InvalidArgumentError(absl::StrCat("not a valid CSR matrix: ", std::string(what)));
  };
  if (rows < 0 || cols < 0 || cols > (int64_t{1} << 31)) return bad("rows or cols out of range");
  if (static_cast<int64_t>(row_offsets.size()) != rows + 1) {
    return bad(
        absl::StrCat(row_offsets.size(), " row offsets for ", rows, " rows (want rows + 1)"));
  }
  if (indices.size() != values.size()) {
    return bad(absl::StrCat(indices.size(), " indices but ", values.size(), " values"));
  }
  if (row_offsets[0] != 0 || row_offsets.back() != static_cast<int64_t>(values.size())) {
    return bad("row offsets must start at 0 and end at the number of values");
  }
  for (int64_t r = 0; r < rows; ++r) {
    const int64_t begin = row_offsets[r], end = row_offsets[r + 1];
    if (end < begin) return bad(absl::StrCat("row offsets decrease at row ", r));
    for (int64_t i = begin; i < end; ++i) {
      if (indices[i] < 0 || indices[i] >= cols) {
        return bad(absl::StrCat("row ", r, ": column ", indices[i], " outside [0, ", cols, ")"));
      }
      if (i > begin && indices[i] <= indices[i - 1]) {
        return bad(absl::StrCat("row ", r, ": column indices not strictly ascending"));
      }
      if (values[i] == 0) return bad(absl::StrCat("row ", r, ": an explicit zero is stored"));
    }
  }
  SparseMatrix m;
  m.cols_ = cols;
  m.row_offsets_ = std::move(row_offsets);
  m.indices_ = std::move(indices);
  m.values_ = std::move(values);
  return m;
}

double SparseMatrix::At(int64_t r, int64_t c) const {
  std::span<const int32_t> idx = RowIndices(r);
  auto it = std::lower_bound(idx.begin(), idx.end(), c);
  if (it == idx.end() || *it != c) return 0;
  return values_[row_offsets_[r] + (it - idx.begin())];
}

SparseMatrix SparseMatrix::Gather(std::span<const int64_t> rows) const {
  SparseMatrix m;
  m.cols_ = cols_;
  m.row_offsets_.reserve(rows.size() + 1);
  for (int64_t r : rows) {
    m.indices_.insert(m.indices_.end(), indices_.begin() + row_offsets_[r],
                      indices_.begin() + row_offsets_[r + 1]);
    m.values_.insert(m.values_.end(), values_.begin() + row_offsets_[r],
                     values_.begin() + row_offsets_[r + 1]);
    m.row_offsets_.push_back(static_cast<int64_t>(m.values_.size()));
  }
  return m;
}

void SparseMatrix::Builder::Reserve(int64_t rows, int64_t nnz) {
  m_.row_offsets_.reserve(m_.row_offsets_.size() + rows);
  m_.indices_.reserve(m_.indices_.size() + nnz);
  m_.values_.reserve(m_.values_.size() + nnz);
}

SparseMatrix SparseMatrix::Builder::Finish() && { return std::move(m_); }

}  // namespace keel::transform
