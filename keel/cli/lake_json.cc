#include "keel/cli/lake_json.h"

#include <cmath>

#include "keel/base/hash.h"
#include "keel/base/time.h"

namespace keel::cli {

using json = nlohmann::json;

json VersionJson(const DatasetVersionRecord& v) {
  json schema = json::parse(v.schema_json, nullptr, false);
  json options = json::parse(v.parse_options_json, nullptr, false);
  return {{"dataset", v.dataset},
          {"version", v.version},
          {"short_version", ShortVersion(v.version)},
          {"created_at", FormatRfc3339(v.created_at_us)},
          {"source", v.source},
          {"rows", v.row_count},
          {"columns", schema.is_array() ? schema.size() : 0},
          {"schema", schema},
          {"format", v.format},
          {"parse_options", options},
          {"raw_keys", v.raw_keys},
          {"raw_size_bytes", v.raw_size_bytes},
          {"raw_sha256", v.raw_sha256},
          {"table_key", v.table_key},
          {"partition_column", v.partition_column}};
}

json CellJson(const Column& column, int64_t i) {
  if (column.IsNull(i)) return nullptr;
  switch (column.type()) {
    case DataType::kBool:
      return column.BoolValues()[i] != 0;
    case DataType::kInt64:
      return column.Int64Values()[i];
    case DataType::kFloat64: {
      const double x = column.Float64Values()[i];
      if (std::isfinite(x)) return x;
      return column.ValueToString(i);  // JSON has no inf/NaN
    }
    case DataType::kTimestamp:
    case DataType::kString:
      return column.ValueToString(i);
  }
  return nullptr;
}

json ProfileJson(const ColumnProfile& p) {
  json j = {{"name", p.name},
            {"type", std::string(DataTypeName(p.type))},
            {"count", p.count},
            {"nulls", p.nulls},
            {"distinct_estimate", p.distinct_estimate}};
  auto number_or_text = [&](const std::optional<double>& number,
                            const std::optional<std::string>& text) -> json {
    if (number) return *number;
    if (text) return *text;
    return nullptr;
  };
  j["min"] = number_or_text(p.type == DataType::kBool ? std::nullopt : p.min_number, p.min);
  j["max"] = number_or_text(p.type == DataType::kBool ? std::nullopt : p.max_number, p.max);
  j["mean"] = p.mean ? json(*p.mean) : json(nullptr);
  j["std"] = p.std ? json(*p.std) : json(nullptr);
  if (!p.top_values.empty()) {
    json top = json::array();
    for (const ValueCount& v : p.top_values)
      top.push_back({{"value", v.value}, {"count", v.count}});
    j["top_values"] = top;
    j["top_values_exact"] = p.top_values_exact;
  }
  if (!p.histogram.empty()) {
    json bins = json::array();
    for (const HistogramBin& b : p.histogram) {
      bins.push_back({{"lower", b.lower}, {"upper", b.upper}, {"count", b.count}});
    }
    j["histogram"] = bins;
  }
  return j;
}

}  // namespace keel::cli
