// Internals shared by the steps: typed loops over columns, a fast float64
// column writer, and statistics computed as numpy computes them.
#ifndef KEEL_TRANSFORM_COLUMN_UTIL_H_
#define KEEL_TRANSFORM_COLUMN_UTIL_H_

#include <cmath>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "keel/table/buffer.h"
#include "keel/table/column.h"
#include "keel/transform/row.h"

namespace keel::transform {

// Calls f(i, x, missing) for every value of a bool, int64 or float64 column,
// with one type switch outside the loop. `missing` is null or NaN; x is 0
// then.
template <typename F>
void ForEachNumber(const Column& c, F&& f) {
  const int64_t n = c.length();
  const uint8_t* bitmap = c.validity_bitmap();
  const int64_t off = c.offset();
  auto valid = [&](int64_t i) { return bitmap == nullptr || bits::Get(bitmap, off + i); };
  switch (c.type()) {
    case DataType::kFloat64: {
      const double* v = c.Float64Values().data();
      for (int64_t i = 0; i < n; ++i) {
        const bool missing = !valid(i) || std::isnan(v[i]);
        f(i, missing ? 0.0 : v[i], missing);
      }
      break;
    }
    case DataType::kInt64: {
      const int64_t* v = c.Int64Values().data();
      for (int64_t i = 0; i < n; ++i) {
        const bool missing = !valid(i);
        f(i, missing ? 0.0 : static_cast<double>(v[i]), missing);
      }
      break;
    }
    case DataType::kBool: {
      const uint8_t* v = c.BoolValues().data();
      for (int64_t i = 0; i < n; ++i) {
        const bool missing = !valid(i);
        f(i, missing ? 0.0 : static_cast<double>(v[i]), missing);
      }
      break;
    }
    default:
      break;
  }
}

// The present (not null, not NaN) values of a numeric column.
std::vector<double> PresentValues(const Column& c);

// Writes a float64 column of known length; nulls tracked only when set.
class Float64Writer {
 public:
  // `zeroed`: values start at 0 (fresh pages from the kernel for large
  // columns, cheaper than writing zeros).
  explicit Float64Writer(int64_t length, bool zeroed = false);
  void Set(int64_t i, double v) { values_[i] = v; }
  void SetNull(int64_t i);
  // NaN becomes null (numeric outputs never hold NaN).
  void SetOrNull(int64_t i, double v) {
    if (std::isnan(v)) {
      SetNull(i);
    } else {
      values_[i] = v;
    }
  }
  double* values() { return values_; }
  Column Finish();

 private:
  int64_t length_;
  int64_t nulls_ = 0;
  std::unique_ptr<Buffer> values_buffer_;
  std::unique_ptr<Buffer> validity_;
  double* values_;
};

// Row-path twin of Float64Writer::SetOrNull.
inline Value Float64OrNull(double v) {
  return std::isnan(v) ? Value::Null(DataType::kFloat64) : Value::Float64(v);
}

// numpy.percentile(values, q * 100, method="linear") of sorted values
// (n >= 1), reproducing numpy's index and interpolation arithmetic.
double SortedQuantile(const std::vector<double>& sorted, double q);
// numpy.median of sorted values (n >= 1).
double SortedMedian(const std::vector<double>& sorted);

// numpy.linspace(start, stop, num) (num >= 2).
std::vector<double> Linspace(double start, double stop, int num);

// Quotes `text` for messages: 'text', cut to 80 characters.
std::string QuoteValue(std::string_view text);

}  // namespace keel::transform

#endif  // KEEL_TRANSFORM_COLUMN_UTIL_H_
