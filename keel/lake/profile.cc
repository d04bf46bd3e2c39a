#include "keel/lake/profile.h"

#include <algorithm>
#include <cmath>
#include <cstring>

#include "absl/container/flat_hash_map.h"
#include "keel/lake/hyperloglog.h"

namespace keel {
namespace {

// Welford's running mean and variance.
struct Moments {
  int64_t n = 0;
  double mean = 0;
  double m2 = 0;
  void Add(double x) {
    ++n;
    const double delta = x - mean;
    mean += delta / static_cast<double>(n);
    m2 += delta * (x - mean);
  }
};

// Exact counts of up to `limit` distinct values.
class ValueCounter {
 public:
  explicit ValueCounter(int64_t limit) : limit_(limit) {}
  void Add(std::string_view value) {
    auto it = counts_.find(absl::string_view(value.data(), value.size()));
    if (it != counts_.end()) {
      ++it->second;
    } else if (static_cast<int64_t>(counts_.size()) < limit_) {
      counts_.emplace(std::string(value), 1);
    } else {
      exact_ = false;
    }
  }
  std::vector<ValueCount> Top(int k) const {
    std::vector<ValueCount> all;
    all.reserve(counts_.size());
    for (const auto& [value, count] : counts_) all.push_back({value, count});
    auto order = [](const ValueCount& a, const ValueCount& b) {
      return a.count != b.count ? a.count > b.count : a.value < b.value;
    };
    const size_t keep = std::min(all.size(), static_cast<size_t>(std::max(k, 0)));
    std::partial_sort(all.begin(), all.begin() + keep, all.end(), order);
    all.resize(keep);
    return all;
  }
  bool exact() const { return exact_; }

 private:
  int64_t limit_;
  bool exact_ = true;
  absl::flat_hash_map<std::string, int64_t> counts_;
};

// numpy.histogram(values, bins): edges linspace(lo, hi, bins + 1), a value
// goes to floor((x - lo) * bins / (hi - lo)), corrected against the edges;
// hi itself lands in the last bin. lo == hi widens the range by 0.5 each way.
std::vector<HistogramBin> Histogram(const std::vector<double>& values, double lo, double hi,
                                    int bins) {
  if (values.empty() || bins <= 0) return {};
  if (lo == hi) {
    lo -= 0.5;
    hi += 0.5;
  }
  std::vector<double> edges(bins + 1);
  const double step = (hi - lo) / bins;
  for (int i = 0; i <= bins; ++i) edges[i] = lo + i * step;  // numpy.linspace
  edges[bins] = hi;
  std::vector<HistogramBin> out(bins);
  for (int i = 0; i < bins; ++i) out[i] = {edges[i], edges[i + 1], 0};
  const double norm = bins / (hi - lo);
  for (double x : values) {
    int64_t i = static_cast<int64_t>((x - lo) * norm);
    if (i >= bins) i = bins - 1;
    if (i < 0) i = 0;
    if (x < edges[i] && i > 0) --i;
    if (x >= edges[i + 1] && i != bins - 1) ++i;
    ++out[i].count;
  }
  return out;
}

}  // namespace

ColumnProfile ProfileColumn(const std::string& name, const Column& column,
                            const ProfileOptions& options) {
  ColumnProfile p;
  p.name = name;
  p.type = column.type();
  p.nulls = column.null_count();
  p.count = column.length() - column.null_count();
  HyperLogLog hll;
  Moments moments;
  const bool count_values =
      p.type == DataType::kString || p.type == DataType::kBool || p.type == DataType::kInt64;
  ValueCounter counter(options.max_tracked_values);
  std::vector<double> numbers;
  int64_t min_row = -1, max_row = -1;

  const int64_t n = column.length();
  switch (p.type) {
    case DataType::kBool: {
      auto v = column.BoolValues();
      for (int64_t i = 0; i < n; ++i) {
        if (column.IsNull(i)) continue;
        hll.AddHash(HyperLogLog::HashInt(v[i]));
        moments.Add(v[i]);
        counter.Add(v[i] ? "true" : "false");
        if (min_row < 0 || v[i] < v[min_row]) min_row = i;
        if (max_row < 0 || v[i] > v[max_row]) max_row = i;
      }
      break;
    }
    case DataType::kInt64:
    case DataType::kTimestamp: {
      auto v = p.type == DataType::kInt64 ? column.Int64Values() : column.TimestampValues();
      for (int64_t i = 0; i < n; ++i) {
        if (column.IsNull(i)) continue;
        hll.AddHash(HyperLogLog::HashInt(static_cast<uint64_t>(v[i])));
        if (min_row < 0 || v[i] < v[min_row]) min_row = i;
        if (max_row < 0 || v[i] > v[max_row]) max_row = i;
        if (p.type == DataType::kInt64) {
          moments.Add(static_cast<double>(v[i]));
          numbers.push_back(static_cast<double>(v[i]));
          counter.Add(std::to_string(v[i]));
        }
      }
      break;
    }
    case DataType::kFloat64: {
      auto v = column.Float64Values();
      for (int64_t i = 0; i < n; ++i) {
        if (column.IsNull(i)) continue;
        const double x = v[i] == 0 ? 0.0 : v[i];  // -0.0 and 0.0 are one value
        uint64_t bits;
        std::memcpy(&bits, &x, sizeof bits);
        hll.AddHash(HyperLogLog::HashInt(bits));
        if (!std::isfinite(x)) continue;
        if (min_row < 0 || x < v[min_row]) min_row = i;
        if (max_row < 0 || x > v[max_row]) max_row = i;
        moments.Add(x);
        numbers.push_back(x);
      }
      break;
    }
    case DataType::kString: {
      for (int64_t i = 0; i < n; ++i) {
        if (column.IsNull(i)) continue;
        const std::string_view s = column.StringAt(i);
        hll.AddHash(HyperLogLog::HashBytes(s));
        counter.Add(s);
        if (min_row < 0 || s < column.StringAt(min_row)) min_row = i;
        if (max_row < 0 || s > column.StringAt(max_row)) max_row = i;
      }
      break;
    }
  }
  p.distinct_estimate = p.count == 0 ? 0 : hll.Estimate();
  if (min_row >= 0) {
    p.min = column.ValueToString(min_row);
    p.max = column.ValueToString(max_row);
  }
  if (moments.n > 0 && p.type != DataType::kTimestamp && p.type != DataType::kString) {
    p.mean = moments.mean;
    if (moments.n > 1) p.std = std::sqrt(moments.m2 / static_cast<double>(moments.n - 1));
  }
  if (!numbers.empty()) {
    const auto [lo, hi] = std::minmax_element(numbers.begin(), numbers.end());
    p.min_number = *lo;
    p.max_number = *hi;
    p.histogram = Histogram(numbers, *lo, *hi, options.histogram_bins);
  }
  if (count_values) {
    p.top_values = counter.Top(options.top_values);
    p.top_values_exact = counter.exact();
  }
  return p;
}

TableProfile ProfileTable(const Table& table, const ProfileOptions& options) {
  TableProfile profile;
  profile.rows = table.num_rows();
  for (int i = 0; i < table.num_columns(); ++i) {
    profile.columns.push_back(
        ProfileColumn(table.schema().field(i).name, table.column(i), options));
  }
  return profile;
}

}  // namespace keel
