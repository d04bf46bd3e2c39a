// Categories to numbers: one_hot, ordinal, frequency. Only string columns;
// a null is a category of its own ("__missing__") for one_hot and frequency
// and stays null for ordinal. Category order is byte-wise sorted, as
// numpy.unique sorts Python strings.
#include <algorithm>
#include <cstring>
#include <random>

#include "absl/strings/str_cat.h"
#include "keel/transform/categories.h"
#include "keel/transform/column_util.h"
#include "keel/transform/steps.h"

namespace keel::transform {
namespace {

// ---------------------------------------------------------------- one_hot

struct OneHotColumn {
  std::vector<std::string> outputs;                 // output suffixes, in order
  std::vector<std::pair<std::string, int>> lookup;  // category -> output index
  int missing = -1;                                 // output of null, -1: unknown
  int unknown = -1;                                 // output of an unseen value; -1 ignore
  bool unknown_error = true;
  CategoryMap map;
};

class OneHotStep : public FittedStep {
 public:
  OneHotStep(std::string name, std::vector<std::string> inputs, std::vector<OneHotColumn> cols)
      : FittedStep("one_hot", std::move(name), kStringOnly, std::move(inputs)),
        cols_(std::move(cols)) {
    for (OneHotColumn& c : cols_) {
      for (const auto& [k, v] : c.lookup) c.map.Add(k, v);
    }
  }

  std::vector<Field> OutputFields(int k) const override {
    std::vector<Field> out;
    for (const std::string& s : cols_[k].outputs) {
      out.push_back(Field{absl::StrCat(inputs()[k], "=", s), DataType::kFloat64, true});
    }
    return out;
  }

  // The output index of a value; -1 for none; -2 for a refused unknown.
  int Index(const OneHotColumn& c, bool valid, std::string_view s) const {
    int idx = valid ? c.map.Find(s) : c.missing;
    if (idx < 0) idx = c.unknown_error ? -2 : c.unknown;
    return idx;
  }

  Status TransformValue(int k, const Value& in, Value* out) const override {
    const OneHotColumn& c = cols_[k];
    const int idx = Index(c, in.valid, in.str);
    if (idx == -2) return Refused(k, in.valid ? in.str : "null");
    for (size_t j = 0; j < c.outputs.size(); ++j) out[j] = Value::Float64(0.0);
    if (idx >= 0) out[idx].f64 = 1.0;
    return absl::OkStatus();
  }

  static StatusOr<std::unique_ptr<FittedStep>> Load(const std::string& name,
                                                    std::vector<std::string> inputs,
                                                    const nlohmann::json& state) {
    std::vector<OneHotColumn> cols;
    for (const auto& j : state.at("columns")) {
      OneHotColumn c;
      c.outputs = j.at("outputs").get<std::vector<std::string>>();
      c.lookup = j.at("lookup").get<std::vector<std::pair<std::string, int>>>();
      c.missing = j.at("missing").get<int>();
      c.unknown_error = j.at("unknown").is_string();
      c.unknown = c.unknown_error ? -1 : j.at("unknown").get<int>();
      const int n = static_cast<int>(c.outputs.size());
      for (const auto& [k, v] : c.lookup) {
        if (v < 0 || v >= n) return absl::InvalidArgumentError("lookup index out of range");
      }
      if (c.missing >= n || c.unknown >= n) return absl::InvalidArgumentError("index out of range");
      cols.push_back(std::move(c));
    }
    if (cols.size() != inputs.size()) return absl::InvalidArgumentError("one state per input");
    return std::make_unique<OneHotStep>(name, std::move(inputs), std::move(cols));
  }

 protected:
  Status Refused(int k, std::string_view value) const {
    return UnknownError(ColumnLabel(k), value,
                        absl::StrCat("set handle_unknown: ignore (all zeros) or bucket (a column "
                                     "'",
                                     inputs()[k], "=", kUnknownName, "') to accept new values"));
  }

  StatusOr<std::vector<Column>> TransformColumn(int k, const Column& column) const override {
    const OneHotColumn& c = cols_[k];
    const int64_t n = column.length();
    std::vector<Float64Writer> w;
    std::vector<double*> out;
    for (size_t j = 0; j < c.outputs.size(); ++j) {
      w.emplace_back(n, /*zeroed=*/true);
      out.push_back(w.back().values());
    }
    for (int64_t i = 0; i < n; ++i) {
      const bool valid = !column.IsNull(i);
      const int idx = Index(c, valid, valid ? column.StringAt(i) : std::string_view());
      if (idx == -2) return Refused(k, valid ? column.StringAt(i) : "null");
      if (idx >= 0) out[idx][i] = 1.0;
    }
    std::vector<Column> cols;
    for (Float64Writer& x : w) cols.push_back(x.Finish());
    return cols;
  }

  nlohmann::json StateToJson() const override {
    nlohmann::json cols = nlohmann::json::array();
    for (const OneHotColumn& c : cols_) {
      cols.push_back(
          {{"outputs", c.outputs},
           {"lookup", c.lookup},
           {"missing", c.missing},
           {"unknown", c.unknown_error ? nlohmann::json("error") : nlohmann::json(c.unknown)}});
    }
    return {{"columns", cols}};
  }

 private:
  std::vector<OneHotColumn> cols_;
};

class OneHotTransform : public Transform {
 public:
  using Transform::Transform;

 protected:
  StatusOr<std::unique_ptr<FittedStep>> FitImpl(const Table& table,
                                                const std::vector<std::string>& columns,
                                                FitNotes*) const override {
    const Params& params = spec().params;
    KEEL_ASSIGN_OR_RETURN(std::string handle, params.GetChoice("handle_unknown", "error",
                                                               {"error", "ignore", "bucket"}));
    KEEL_ASSIGN_OR_RETURN(double min_frequency, params.GetDouble("min_frequency", 0));
    KEEL_ASSIGN_OR_RETURN(int64_t max_categories, params.GetInt("max_categories", 0, 0, 1 << 30));
    if (min_frequency < 0) return params.Error("min_frequency", "expected a number >= 0");
    if (max_categories == 1) {
      return params.Error("max_categories", "expected 0 (no limit) or at least 2");
    }
    std::vector<OneHotColumn> out;
    for (const std::string& name : columns) {
      const Column column = *table.ColumnByName(name);
      Counts counts = CountCategories(column);
      // numpy.unique order: sorted values, then the missing value last.
      std::vector<std::string> cats = counts.categories;
      std::vector<int64_t> count = counts.counts;
      const bool has_missing = counts.missing > 0;
      if (has_missing) {
        cats.push_back("");
        count.push_back(counts.missing);
      }
      const size_t n = cats.size();
      // scikit-learn 1.2's OneHotEncoder._identify_infrequent: an integer
      // min_frequency (>= 1) is a count, a fraction (< 1) a share of the rows.
      std::vector<bool> infrequent(n, false);
      const bool is_count = min_frequency >= 1 && min_frequency == std::floor(min_frequency);
      const double min_abs =
          is_count ? min_frequency : min_frequency * static_cast<double>(column.length());
      if (min_frequency > 0) {
        for (size_t i = 0; i < n; ++i) infrequent[i] = static_cast<double>(count[i]) < min_abs;
      }
      const int64_t n_infrequent = std::count(infrequent.begin(), infrequent.end(), true);
      const int64_t n_current = static_cast<int64_t>(n) - n_infrequent + 1;
      if (max_categories > 0 && max_categories < n_current) {
        std::vector<size_t> order(n);
        for (size_t i = 0; i < n; ++i) order[i] = i;
        std::stable_sort(order.begin(), order.end(),
                         [&](size_t a, size_t b) { return count[a] < count[b]; });
        for (size_t r = 0; r + max_categories - 1 < n; ++r) infrequent[order[r]] = true;
      }
      OneHotColumn c;
      for (size_t i = 0; i < n; ++i) {
        if (infrequent[i]) continue;
        const bool is_missing = has_missing && i + 1 == n;
        const int idx = static_cast<int>(c.outputs.size());
        c.outputs.push_back(is_missing ? kMissingName : cats[i]);
        if (is_missing) {
          c.missing = idx;
        } else {
          c.lookup.emplace_back(cats[i], idx);
        }
      }
      if (std::count(infrequent.begin(), infrequent.end(), true) > 0) {
        const int idx = static_cast<int>(c.outputs.size());
        c.outputs.push_back(kInfrequentName);
        for (size_t i = 0; i < n; ++i) {
          if (!infrequent[i]) continue;
          if (has_missing && i + 1 == n) {
            c.missing = idx;
          } else {
            c.lookup.emplace_back(cats[i], idx);
          }
        }
      }
      c.unknown_error = handle == "error";
      if (handle == "bucket") {
        c.unknown = static_cast<int>(c.outputs.size());
        c.outputs.push_back(kUnknownName);
      }
      out.push_back(std::move(c));
    }
    return std::make_unique<OneHotStep>(spec().name, columns, std::move(out));
  }
};

constexpr char kOrdinalFix[] =
    "set handle_unknown: use_encoded_value (with unknown_value, default -1) to accept new values";

class OrdinalTransform : public Transform {
 public:
  using Transform::Transform;

 protected:
  StatusOr<std::unique_ptr<FittedStep>> FitImpl(const Table& table,
                                                const std::vector<std::string>& columns,
                                                FitNotes*) const override {
    KEEL_ASSIGN_OR_RETURN(
        std::string handle,
        spec().params.GetChoice("handle_unknown", "error", {"error", "use_encoded_value"}));
    KEEL_ASSIGN_OR_RETURN(double unknown_value, spec().params.GetDouble("unknown_value", -1));
    std::vector<LookupColumn> out;
    for (const std::string& name : columns) {
      Counts counts = CountCategories(*table.ColumnByName(name));
      LookupColumn c;
      c.categories = std::move(counts.categories);
      for (size_t i = 0; i < c.categories.size(); ++i) c.values.push_back(static_cast<double>(i));
      c.unknown_error = handle == "error";
      c.unknown = unknown_value;
      out.push_back(std::move(c));
    }
    return std::make_unique<LookupStep>("ordinal", spec().name, columns, std::move(out),
                                        kOrdinalFix);
  }
};

class FrequencyTransform : public Transform {
 public:
  using Transform::Transform;

 protected:
  StatusOr<std::unique_ptr<FittedStep>> FitImpl(const Table& table,
                                                const std::vector<std::string>& columns,
                                                FitNotes*) const override {
    std::vector<LookupColumn> out;
    for (const std::string& name : columns) {
      const Column column = *table.ColumnByName(name);
      Counts counts = CountCategories(column);
      const double n = static_cast<double>(column.length());
      LookupColumn c;
      c.categories = std::move(counts.categories);
      for (int64_t k : counts.counts) c.values.push_back(static_cast<double>(k) / n);
      c.missing = static_cast<double>(counts.missing) / n;
      c.unknown_error = false;
      c.unknown = 0;
      out.push_back(std::move(c));
    }
    return std::make_unique<LookupStep>("frequency", spec().name, columns, std::move(out), "");
  }
};

}  // namespace

void RegisterCategoricalSteps(TransformRegistry* registry) {
  (void)registry->Register(
      {.kind = "one_hot",
       .help = "one 0/1 column per category (col=value), rare ones grouped, unknowns handled",
       .accepts = kStringOnly,
       .params = {"handle_unknown", "min_frequency", "max_categories"},
       .make = MakeFactory<OneHotTransform>(kStringOnly),
       .load = OneHotStep::Load});
  (void)registry->Register({.kind = "ordinal",
                            .help = "category -> its index in sorted order",
                            .accepts = kStringOnly,
                            .params = {"handle_unknown", "unknown_value"},
                            .make = MakeFactory<OrdinalTransform>(kStringOnly),
                            .load = LookupStep::Loader("ordinal", kOrdinalFix)});
  (void)registry->Register({.kind = "frequency",
                            .help = "category -> its share of the training rows",
                            .accepts = kStringOnly,
                            .params = {},
                            .make = MakeFactory<FrequencyTransform>(kStringOnly),
                            .load = LookupStep::Loader("frequency", "")});
}

}  // namespace keel::transform
