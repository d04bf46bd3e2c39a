// Internal to keel/transform: what the category steps share (counting,
// allocation-free lookup, and the one-float-per-category step used by
// ordinal, frequency and target encoding).
#ifndef KEEL_TRANSFORM_CATEGORIES_H_
#define KEEL_TRANSFORM_CATEGORIES_H_

#include <cmath>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/string_view.h"
#include "keel/transform/column_util.h"
#include "keel/transform/transform.h"

namespace keel::transform {

inline constexpr TypeMask kStringOnly = TypeBit(DataType::kString);
inline constexpr char kMissingName[] = "__missing__";
inline constexpr char kInfrequentName[] = "__infrequent__";
inline constexpr char kUnknownName[] = "__unknown__";

inline absl::string_view AsAbsl(std::string_view s) {
  return absl::string_view(s.data(), s.size());
}

// Category -> int, looked up without allocating.
class CategoryMap {
 public:
  void Add(std::string key, int value) { map_.emplace(std::move(key), value); }
  int Find(std::string_view key) const {
    auto it = map_.find(AsAbsl(key));
    return it == map_.end() ? -1 : it->second;
  }
  size_t size() const { return map_.size(); }

 private:
  absl::flat_hash_map<std::string, int> map_;
};

// Counts of each distinct present value and of nulls.
struct Counts {
  std::vector<std::string> categories;  // sorted
  std::vector<int64_t> counts;
  int64_t missing = 0;
};

// Sorted distinct values of a string column with their counts.
Counts CountCategories(const Column& column);

// "<label> has the value '<value>', not seen during fit; <fix>".
Status UnknownError(const std::string& label, std::string_view value, std::string_view fix);

// One float64 per category; NaN stands for null.
struct LookupColumn {
  std::vector<std::string> categories;
  std::vector<double> values;
  double missing = std::nan("");
  bool unknown_error = true;
  double unknown = std::nan("");
  CategoryMap map;  // category -> index into values
};

class LookupStep : public FittedStep {
 public:
  LookupStep(std::string kind, std::string name, std::vector<std::string> inputs,
             std::vector<LookupColumn> cols, std::string fix)
      : FittedStep(std::move(kind), std::move(name), kStringOnly, std::move(inputs)),
        cols_(std::move(cols)),
        fix_(std::move(fix)) {
    for (LookupColumn& c : cols_) {
      for (size_t i = 0; i < c.categories.size(); ++i)
        c.map.Add(c.categories[i], static_cast<int>(i));
    }
  }

  std::vector<Field> OutputFields(int k) const override {
    return {Field{inputs()[k], DataType::kFloat64, true}};
  }

  Status TransformValue(int k, const Value& in, Value* out) const override {
    const LookupColumn& c = cols_[k];
    if (!in.valid) {
      out[0] = Float64OrNull(c.missing);
      return absl::OkStatus();
    }
    const int idx = c.map.Find(in.str);
    if (idx < 0 && c.unknown_error) return UnknownError(ColumnLabel(k), in.str, fix_);
    out[0] = Float64OrNull(idx < 0 ? c.unknown : c.values[idx]);
    return absl::OkStatus();
  }

  static StepInfo::Loader Loader(std::string kind, std::string fix) {
    return [kind, fix](const std::string& name, std::vector<std::string> inputs,
                       const nlohmann::json& state) -> StatusOr<std::unique_ptr<FittedStep>> {
      std::vector<LookupColumn> cols;
      for (const auto& j : state.at("columns")) {
        LookupColumn c;
        c.categories = j.at("categories").get<std::vector<std::string>>();
        for (const auto& v : j.at("values")) {
          KEEL_ASSIGN_OR_RETURN(double d, DoubleFromJson(v));
          c.values.push_back(d);
        }
        if (c.values.size() != c.categories.size()) {
          return absl::InvalidArgumentError("one value per category expected");
        }
        KEEL_ASSIGN_OR_RETURN(c.missing, DoubleFromJson(j.at("missing")));
        c.unknown_error = j.at("unknown") == "error";
        if (!c.unknown_error) {
          KEEL_ASSIGN_OR_RETURN(c.unknown, DoubleFromJson(j.at("unknown")));
        }
        cols.push_back(std::move(c));
      }
      if (cols.size() != inputs.size()) return absl::InvalidArgumentError("one state per input");
      return std::make_unique<LookupStep>(kind, name, std::move(inputs), std::move(cols), fix);
    };
  }

 protected:
  StatusOr<std::vector<Column>> TransformColumn(int k, const Column& column) const override {
    const LookupColumn& c = cols_[k];
    Float64Writer w(column.length());
    for (int64_t i = 0; i < column.length(); ++i) {
      if (column.IsNull(i)) {
        w.SetOrNull(i, c.missing);
        continue;
      }
      const std::string_view s = column.StringAt(i);
      const int idx = c.map.Find(s);
      if (idx < 0 && c.unknown_error) return UnknownError(ColumnLabel(k), s, fix_);
      w.SetOrNull(i, idx < 0 ? c.unknown : c.values[idx]);
    }
    return std::vector<Column>{w.Finish()};
  }

  nlohmann::json StateToJson() const override {
    nlohmann::json cols = nlohmann::json::array();
    for (const LookupColumn& c : cols_) {
      nlohmann::json values = nlohmann::json::array();
      for (double v : c.values) values.push_back(DoubleToJson(v));
      cols.push_back(
          {{"categories", c.categories},
           {"values", values},
           {"missing", DoubleToJson(c.missing)},
           {"unknown", c.unknown_error ? nlohmann::json("error") : DoubleToJson(c.unknown)}});
    }
    return {{"columns", cols}};
  }

 private:
  std::vector<LookupColumn> cols_;
  std::string fix_;
};

}  // namespace keel::transform

#endif  // KEEL_TRANSFORM_CATEGORIES_H_
