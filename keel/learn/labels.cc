#include "keel/learn/labels.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <map>

#include "absl/strings/str_cat.h"

namespace keel::learn {
namespace {

Status NullTarget(std::string_view column, int64_t row) {
  return absl::InvalidArgumentError(
      absl::StrCat("target column '", std::string(column), "' is null at row ", row + 1,
                   ": drop or fill rows without a label before training"));
}

}  // namespace

StatusOr<ClassLabels> FindClassLabels(const Column& target, std::string_view column_name) {
  ClassLabels labels;
  labels.type = target.type();
  const int64_t n = target.length();
  for (int64_t i = 0; i < n; ++i) {
    if (target.IsNull(i)) return NullTarget(column_name, i);
  }
  if (target.type() == DataType::kTimestamp) {
    return absl::InvalidArgumentError(
        absl::StrCat("target column '", std::string(column_name),
                     "' holds timestamps, which cannot be classes: derive a label column first"));
  }
  switch (target.type()) {
    case DataType::kString: {
      std::vector<std::string> values;
      for (int64_t i = 0; i < n; ++i) values.emplace_back(target.StringAt(i));
      std::sort(values.begin(), values.end());
      values.erase(std::unique(values.begin(), values.end()), values.end());
      labels.values = std::move(values);
      return labels;
    }
    case DataType::kFloat64: {
      std::span<const double> v = target.Float64Values();
      for (int64_t i = 0; i < n; ++i) {
        if (v[i] != std::floor(v[i]) || !std::isfinite(v[i])) {
          return absl::InvalidArgumentError(absl::StrCat(
              "target column '", std::string(column_name), "' has the value ",
              target.ValueToString(i), " at row ", i + 1,
              ": a classification target must hold classes (integers, strings or booleans); "
              "for a numeric target use a regression task (--task regression)"));
        }
      }
      [[fallthrough]];
    }
    default: {
      std::map<double, int64_t> first_row;
      for (int64_t i = 0; i < n; ++i) {
        double value = 0;
        switch (target.type()) {
          case DataType::kBool:
            value = target.BoolValues()[i];
            break;
          case DataType::kFloat64:
            value = target.Float64Values()[i];
            break;
          case DataType::kInt64:
            value = static_cast<double>(target.Int64Values()[i]);
            break;
          default:
            break;
        }
        first_row.emplace(value, i);
      }
      for (const auto& [value, row] : first_row) labels.values.push_back(target.ValueToString(row));
      return labels;
    }
  }
}

StatusOr<std::vector<double>> EncodeLabels(const Column& target, std::string_view column_name,
                                           const ClassLabels& labels) {
  std::map<std::string, int, std::less<>> index;
  for (size_t i = 0; i < labels.values.size(); ++i)
    index.emplace(labels.values[i], static_cast<int>(i));
  std::vector<double> out(static_cast<size_t>(target.length()));
  for (int64_t i = 0; i < target.length(); ++i) {
    if (target.IsNull(i)) return NullTarget(column_name, i);
    const std::string value = target.type() == DataType::kString ? std::string(target.StringAt(i))
                                                                 : target.ValueToString(i);
    auto it = index.find(value);
    if (it == index.end()) {
      return absl::InvalidArgumentError(absl::StrCat("target column '", std::string(column_name),
                                                     "' has the value '", value, "' at row ", i + 1,
                                                     ", which is not one of the model's classes"));
    }
    out[i] = it->second;
  }
  return out;
}

StatusOr<Column> DecodeLabels(std::span<const int> classes, const ClassLabels& labels) {
  ColumnBuilder builder(labels.type);
  builder.Reserve(static_cast<int64_t>(classes.size()));
  // Parse each label once.
  std::vector<int64_t> ints(labels.values.size());
  std::vector<double> doubles(labels.values.size());
  for (size_t i = 0; i < labels.values.size(); ++i) {
    const std::string& text = labels.values[i];
    if (labels.type == DataType::kInt64) {
      std::from_chars(text.data(), text.data() + text.size(), ints[i]);
    } else if (labels.type == DataType::kFloat64) {
      std::from_chars(text.data(), text.data() + text.size(), doubles[i]);
    }
  }
  for (int c : classes) {
    if (c < 0 || c >= static_cast<int>(labels.values.size())) {
      return absl::InternalError(absl::StrCat("class index ", c, " out of range"));
    }
    switch (labels.type) {
      case DataType::kString:
        builder.AppendString(labels.values[c]);
        break;
      case DataType::kBool:
        builder.AppendBool(labels.values[c] == "true");
        break;
      case DataType::kFloat64:
        builder.AppendFloat64(doubles[c]);
        break;
      default:
        builder.AppendInt64(ints[c]);
    }
  }
  return builder.Finish();
}

}  // namespace keel::learn
