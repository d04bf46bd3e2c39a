// Profiles of a dataset's table: per column its type, counts, range, moments,
// a distinct-count estimate, the most frequent values and a histogram.
#ifndef KEEL_LAKE_PROFILE_H_
#define KEEL_LAKE_PROFILE_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "keel/table/table.h"
#include "keel/table/types.h"

namespace keel {

struct ProfileOptions {
  int top_values = 10;      // most frequent values kept (strings, bools, ints)
  int histogram_bins = 20;  // numeric columns
  // Distinct values counted exactly for top values; past this, only the
  // values already seen are counted (top_values_exact becomes false).
  int64_t max_tracked_values = 100'000;
};

struct ValueCount {
  std::string value;
  int64_t count = 0;
};

// numpy.histogram's bins: equal width over [min, max], the last one closed.
struct HistogramBin {
  double lower = 0;
  double upper = 0;
  int64_t count = 0;
};

struct ColumnProfile {
  std::string name;
  DataType type = DataType::kString;
  int64_t count = 0;  // non-null values
  int64_t nulls = 0;
  // Smallest and largest value as text (Column::ValueToString); strings by
  // byte order. Absent when every value is null.
  std::optional<std::string> min, max;
  // int64, float64 and bool (the fraction true): pandas' mean and std
  // (ddof = 1; absent below 2 values). NaN and infinities are skipped.
  std::optional<double> mean, std;
  std::optional<double> min_number, max_number;  // numeric columns
  int64_t distinct_estimate = 0;                 // HyperLogLog
  std::vector<ValueCount> top_values;            // count descending, then value
  bool top_values_exact = true;
  std::vector<HistogramBin> histogram;  // int64 and float64
};

struct TableProfile {
  int64_t rows = 0;
  std::vector<ColumnProfile> columns;
};

TableProfile ProfileTable(const Table& table, const ProfileOptions& options = {});
ColumnProfile ProfileColumn(const std::string& name, const Column& column,
                            const ProfileOptions& options = {});

}  // namespace keel

#endif  // KEEL_LAKE_PROFILE_H_
