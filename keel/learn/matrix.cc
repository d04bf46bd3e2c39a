#include "keel/learn/matrix.h"

#include <cmath>
#include <limits>

#include "absl/strings/str_cat.h"

namespace keel::learn {

Matrix::Matrix(int64_t rows, int64_t cols)
    : rows_(rows), cols_(cols), data_(static_cast<size_t>(rows * cols), 0.0) {}

Matrix Matrix::RowRange(int64_t begin, int64_t end) const {
  Matrix out(end - begin, cols_);
  std::copy(data_.begin() + begin * cols_, data_.begin() + end * cols_, out.data_.begin());
  return out;
}

Matrix Matrix::Gather(std::span<const int64_t> rows) const {
  Matrix out(static_cast<int64_t>(rows.size()), cols_);
  for (size_t i = 0; i < rows.size(); ++i) {
    std::span<const double> source = row(rows[i]);
    std::copy(source.begin(), source.end(), out.row(static_cast<int64_t>(i)).begin());
  }
  return out;
}

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// Writes column `column` as doubles to out[i * stride] for every row.
Status CopyColumn(const Column& column, std::string_view name, double* out, int64_t stride) {
  const int64_t n = column.length();
  switch (column.type()) {
    case DataType::kBool: {
      std::span<const uint8_t> v = column.BoolValues();
      for (int64_t i = 0; i < n; ++i) out[i * stride] = v[i] != 0 ? 1.0 : 0.0;
      break;
    }
    case DataType::kInt64: {
      std::span<const int64_t> v = column.Int64Values();
      for (int64_t i = 0; i < n; ++i) out[i * stride] = static_cast<double>(v[i]);
      break;
    }
    case DataType::kFloat64: {
      std::span<const double> v = column.Float64Values();
      for (int64_t i = 0; i < n; ++i) out[i * stride] = v[i];
      break;
    }
    case DataType::kTimestamp: {
      std::span<const int64_t> v = column.TimestampValues();
      for (int64_t i = 0; i < n; ++i) out[i * stride] = static_cast<double>(v[i]);
      break;
    }
    case DataType::kString:
      return absl::InvalidArgumentError(absl::StrCat(
          "column '", std::string(name),
          "' is a string column; a learner needs numbers: encode it first (for example with a "
          "one_hot or ordinal step in the transform spec) or leave it out of the features"));
  }
  if (column.null_count() > 0) {
    for (int64_t i = 0; i < n; ++i) {
      if (column.IsNull(i)) out[i * stride] = kNaN;
    }
  }
  return absl::OkStatus();
}

}  // namespace

StatusOr<Matrix> MatrixFromTable(const Table& table, const std::vector<std::string>& columns) {
  const int64_t cols = static_cast<int64_t>(columns.size());
  Matrix matrix(table.num_rows(), cols);
  for (int64_t c = 0; c < cols; ++c) {
    KEEL_ASSIGN_OR_RETURN(Column column, table.ColumnByName(columns[c]));
    KEEL_RETURN_IF_ERROR(CopyColumn(column, columns[c], matrix.data() + c, cols));
  }
  return matrix;
}

StatusOr<std::vector<double>> VectorFromTable(const Table& table, std::string_view name) {
  KEEL_ASSIGN_OR_RETURN(Column column, table.ColumnByName(name));
  std::vector<double> out(static_cast<size_t>(table.num_rows()));
  KEEL_RETURN_IF_ERROR(CopyColumn(column, name, out.data(), 1));
  return out;
}

}  // namespace keel::learn
