#include "keel/transform/column_util.h"

#include <algorithm>
#include <cstring>

#include "absl/strings/str_cat.h"

namespace keel::transform {

std::vector<double> PresentValues(const Column& c) {
  std::vector<double> out;
  out.reserve(static_cast<size_t>(c.length() - c.null_count()));
  ForEachNumber(c, [&](int64_t, double x, bool missing) {
    if (!missing) out.push_back(x);
  });
  return out;
}

Float64Writer::Float64Writer(int64_t length, bool zeroed)
    : length_(length),
      values_buffer_(zeroed ? Buffer::AllocateZeroed(std::max<int64_t>(length, 1) * 8)
                            : Buffer::Allocate(std::max<int64_t>(length, 1) * 8)) {
  values_ = values_buffer_->mutable_data_as<double>();
}

void Float64Writer::SetNull(int64_t i) {
  if (validity_ == nullptr) {
    validity_ = Buffer::Allocate(std::max<int64_t>(bits::BytesForBits(length_), 1));
    bits::Fill(validity_->mutable_data(), 0, length_, true);
  }
  bits::Clear(validity_->mutable_data(), i);
  values_[i] = 0;
  ++nulls_;
}

Column Float64Writer::Finish() {
  std::shared_ptr<const Buffer> validity;
  if (nulls_ > 0) validity = std::move(validity_);
  auto column = Column::FromBuffers(DataType::kFloat64, length_, std::move(validity),
                                    std::shared_ptr<const Buffer>(std::move(values_buffer_)));
  // The buffers are sized for length_; FromBuffers cannot fail here.
  return *std::move(column);
}

namespace {

// numpy's _lerp: a + (b - a) * t, or b - (b - a) * (1 - t) when t >= 0.5.
double Lerp(double a, double b, double t) {
  const double diff = b - a;
  return t >= 0.5 ? b - diff * (1 - t) : a + diff * t;
}

}  // namespace

double SortedQuantile(const std::vector<double>& sorted, double q) {
  const int64_t n = static_cast<int64_t>(sorted.size());
  const double virtual_index = static_cast<double>(n - 1) * q;
  if (virtual_index >= static_cast<double>(n - 1)) return sorted[n - 1];
  if (virtual_index < 0) return sorted[0];
  const double previous = std::floor(virtual_index);
  const int64_t lo = static_cast<int64_t>(previous);
  const double gamma = virtual_index - previous;
  return Lerp(sorted[lo], sorted[lo + 1], gamma);
}

double SortedMedian(const std::vector<double>& sorted) {
  const size_t n = sorted.size();
  if (n % 2 == 1) return sorted[n / 2];
  return (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
}

std::vector<double> Linspace(double start, double stop, int num) {
  std::vector<double> out(static_cast<size_t>(num));
  const double div = num - 1;
  const double delta = stop - start;
  const double step = delta / div;
  for (int i = 0; i < num; ++i) {
    out[i] = step == 0 ? static_cast<double>(i) / div * delta + start
                       : static_cast<double>(i) * step + start;
  }
  out[num - 1] = stop;
  return out;
}

std::string QuoteValue(std::string_view text) {
  if (text.size() > 80) return absl::StrCat("'", std::string(text.substr(0, 77)), "...'");
  return absl::StrCat("'", std::string(text), "'");
}

}  // namespace keel::transform
