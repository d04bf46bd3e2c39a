// Numeric steps: impute, scale (standard, minmax, robust, maxabs), log1p,
// clip. Statistics follow scikit-learn 1.2 (SimpleImputer, StandardScaler,
// MinMaxScaler, RobustScaler, MaxAbsScaler) and numpy's arithmetic.
#include <algorithm>
#include <cmath>
#include <limits>

#include "absl/strings/str_cat.h"
#include "keel/transform/column_util.h"
#include "keel/transform/steps.h"

namespace keel::transform {
namespace {

constexpr double kEps = std::numeric_limits<double>::epsilon();

Status NoValuesError(std::string_view label, std::string_view column, int64_t rows) {
  return absl::InvalidArgumentError(
      absl::StrCat(std::string(label), ": column '", std::string(column),
                   "' has no value in the training data (", rows,
                   " rows, all missing); drop it (step: drop_missing) or impute it with "
                   "strategy: constant first"));
}

// scikit-learn's _handle_zeros_in_scale: a scale too close to 0 becomes 1.
double HandleZeroScale(double scale) { return scale < 10 * kEps ? 1.0 : scale; }

// ---------------------------------------------------------------- map step

// y = f(x) per value with per-column constants (a, b); missing stays null,
// a NaN result becomes null.
enum class MapOp { kSubDiv, kMulAdd, kLog1p, kClip };

struct MapParams {
  double a = 0;
  double b = 1;
};

inline double ApplyMap(MapOp op, const MapParams& p, double x) {
  switch (op) {
    case MapOp::kSubDiv:
      return (x - p.a) / p.b;
    case MapOp::kMulAdd:
      return x * p.a + p.b;
    case MapOp::kLog1p:
      return std::log1p(x);
    case MapOp::kClip:
      return std::min(std::max(x, p.a), p.b);
  }
  return x;
}

const char* MapOpName(MapOp op) {
  switch (op) {
    case MapOp::kSubDiv:
      return "sub_div";
    case MapOp::kMulAdd:
      return "mul_add";
    case MapOp::kLog1p:
      return "log1p";
    case MapOp::kClip:
      return "clip";
  }
  return "";
}

class MapStep : public FittedStep {
 public:
  MapStep(std::string kind, std::string name, std::vector<std::string> inputs, MapOp op,
          std::vector<MapParams> params)
      : FittedStep(std::move(kind), std::move(name), kNumericTypes, std::move(inputs)),
        op_(op),
        params_(std::move(params)) {}

  std::vector<Field> OutputFields(int k) const override {
    return {Field{inputs()[k], DataType::kFloat64, true}};
  }

  Status TransformValue(int k, const Value& in, Value* out) const override {
    out[0] = in.IsMissingNumber() ? Value::Null(DataType::kFloat64)
                                  : Float64OrNull(ApplyMap(op_, params_[k], in.AsDouble()));
    return absl::OkStatus();
  }

  static StatusOr<std::unique_ptr<FittedStep>> Load(const std::string& kind,
                                                    const std::string& name,
                                                    std::vector<std::string> inputs,
                                                    const nlohmann::json& state) {
    const std::string op_name = state.at("op").get<std::string>();
    MapOp op = MapOp::kSubDiv;
    bool found = false;
    for (MapOp o : {MapOp::kSubDiv, MapOp::kMulAdd, MapOp::kLog1p, MapOp::kClip}) {
      if (op_name == MapOpName(o)) op = o, found = true;
    }
    if (!found) return absl::InvalidArgumentError(absl::StrCat("unknown op '", op_name, "'"));
    std::vector<MapParams> params;
    for (const auto& p : state.at("params")) {
      MapParams mp;
      KEEL_ASSIGN_OR_RETURN(mp.a, DoubleFromJson(p.at(0)));
      KEEL_ASSIGN_OR_RETURN(mp.b, DoubleFromJson(p.at(1)));
      params.push_back(mp);
    }
    if (params.size() != inputs.size()) {
      return absl::InvalidArgumentError("one (a, b) pair per input expected");
    }
    return std::make_unique<MapStep>(kind, name, std::move(inputs), op, std::move(params));
  }

  const std::vector<MapParams>& params() const { return params_; }

 protected:
  StatusOr<std::vector<Column>> TransformColumn(int k, const Column& column) const override {
    Float64Writer w(column.length());
    const MapParams p = params_[k];
    const MapOp op = op_;
    ForEachNumber(column, [&](int64_t i, double x, bool missing) {
      if (missing) {
        w.SetNull(i);
      } else {
        w.SetOrNull(i, ApplyMap(op, p, x));
      }
    });
    return std::vector<Column>{w.Finish()};
  }

  nlohmann::json StateToJson() const override {
    nlohmann::json params = nlohmann::json::array();
    for (const MapParams& p : params_) params.push_back({DoubleToJson(p.a), DoubleToJson(p.b)});
    return {{"op", MapOpName(op_)}, {"params", params}};
  }

 private:
  MapOp op_;
  std::vector<MapParams> params_;
};

// ---------------------------------------------------------------- scale

class ScaleTransform : public Transform {
 public:
  using Transform::Transform;

 protected:
  StatusOr<std::unique_ptr<FittedStep>> FitImpl(const Table& table,
                                                const std::vector<std::string>& columns,
                                                FitNotes* notes) const override {
    const Params& params = spec().params;
    KEEL_ASSIGN_OR_RETURN(
        std::string method,
        params.GetChoice("method", "standard", {"standard", "minmax", "robust", "maxabs"}));
    KEEL_ASSIGN_OR_RETURN(bool with_mean, params.GetBool("with_mean", true));
    KEEL_ASSIGN_OR_RETURN(bool with_std, params.GetBool("with_std", true));
    KEEL_ASSIGN_OR_RETURN(std::vector<std::string> range,
                          params.GetList("feature_range", {"0", "1"}));
    KEEL_ASSIGN_OR_RETURN(std::vector<std::string> qrange,
                          params.GetList("quantile_range", {"25", "75"}));
    auto pair = [&](std::string_view key, const std::vector<std::string>& v, double* lo,
                    double* hi) -> Status {
      char* e1 = nullptr;
      char* e2 = nullptr;
      if (v.size() == 2) {
        *lo = std::strtod(v[0].c_str(), &e1);
        *hi = std::strtod(v[1].c_str(), &e2);
      }
      if (v.size() != 2 || *e1 != '\0' || *e2 != '\0' || !(*lo < *hi)) {
        return params.Error(key, "expected two increasing numbers, e.g. [0, 1]");
      }
      return absl::OkStatus();
    };
    double fmin = 0, fmax = 1, qmin = 25, qmax = 75;
    KEEL_RETURN_IF_ERROR(pair("feature_range", range, &fmin, &fmax));
    KEEL_RETURN_IF_ERROR(pair("quantile_range", qrange, &qmin, &qmax));
    if (qmin < 0 || qmax > 100) return params.Error("quantile_range", "expected values in 0..100");

    const MapOp op = method == "minmax" ? MapOp::kMulAdd : MapOp::kSubDiv;
    std::vector<MapParams> out;
    for (const std::string& name : columns) {
      const Column column = *table.ColumnByName(name);
      std::vector<double> v = PresentValues(column);
      if (v.empty()) return NoValuesError(spec().Label(), name, column.length());
      const double n = static_cast<double>(v.size());
      MapParams p;
      if (method == "standard") {
        double sum = 0;
        for (double x : v) sum += x;
        const double mean = sum / n;
        double correction = 0, sq = 0;
        for (double x : v) {
          const double d = x - mean;
          correction += d;
          sq += d * d;
        }
        const double var = (sq - correction * correction / n) / n;
        const bool constant = var <= n * kEps * var + (n * mean * kEps) * (n * mean * kEps);
        double scale = constant ? 1.0 : HandleZeroScale(std::sqrt(var));
        if (constant && with_std) {
          notes->warnings.push_back(absl::StrCat(spec().Label(), ": column '", name,
                                                 "' is constant in the training data (",
                                                 column.ValueToString(0),
                                                 "); it is centred and not scaled (scale 1), as "
                                                 "scikit-learn does"));
        }
        p.a = with_mean ? mean : 0.0;
        p.b = with_std ? scale : 1.0;
      } else if (method == "minmax") {
        const auto [lo, hi] = std::minmax_element(v.begin(), v.end());
        const double scale = (fmax - fmin) / HandleZeroScale(*hi - *lo);
        p.a = scale;
        p.b = fmin - *lo * scale;
      } else if (method == "robust") {
        std::sort(v.begin(), v.end());
        p.a = SortedMedian(v);
        p.b = HandleZeroScale(SortedQuantile(v, qmax / 100) - SortedQuantile(v, qmin / 100));
      } else {  // maxabs
        double m = 0;
        for (double x : v) m = std::max(m, std::abs(x));
        p.a = 0;
        p.b = HandleZeroScale(m);
      }
      out.push_back(p);
    }
    return std::make_unique<MapStep>(spec().kind, spec().name, columns, op, std::move(out));
  }
};

// ---------------------------------------------------------------- log1p, clip

class Log1pTransform : public Transform {
 public:
  using Transform::Transform;

 protected:
  StatusOr<std::unique_ptr<FittedStep>> FitImpl(const Table&,
                                                const std::vector<std::string>& columns,
                                                FitNotes*) const override {
    return std::make_unique<MapStep>(spec().kind, spec().name, columns, MapOp::kLog1p,
                                     std::vector<MapParams>(columns.size()));
  }
};

class ClipTransform : public Transform {
 public:
  using Transform::Transform;

 protected:
  StatusOr<std::unique_ptr<FittedStep>> FitImpl(const Table& table,
                                                const std::vector<std::string>& columns,
                                                FitNotes*) const override {
    KEEL_ASSIGN_OR_RETURN(double lower, spec().params.GetDouble("lower", 0.01));
    KEEL_ASSIGN_OR_RETURN(double upper, spec().params.GetDouble("upper", 0.99));
    if (!(0 <= lower && lower < upper && upper <= 1)) {
      return spec().params.Error("lower", "expected quantiles with 0 <= lower < upper <= 1");
    }
    std::vector<MapParams> out;
    for (const std::string& name : columns) {
      const Column column = *table.ColumnByName(name);
      std::vector<double> v = PresentValues(column);
      if (v.empty()) return NoValuesError(spec().Label(), name, column.length());
      std::sort(v.begin(), v.end());
      out.push_back({SortedQuantile(v, lower), SortedQuantile(v, upper)});
    }
    return std::make_unique<MapStep>(spec().kind, spec().name, columns, MapOp::kClip,
                                     std::move(out));
  }
};

// ---------------------------------------------------------------- impute

struct ImputeColumn {
  bool is_string = false;
  double fill = 0;
  std::string fill_text;
  bool indicator = false;
};

class ImputeStep : public FittedStep {
 public:
  ImputeStep(std::string name, std::vector<std::string> inputs, std::vector<ImputeColumn> cols)
      : FittedStep("impute", std::move(name), kNumericTypes | TypeBit(DataType::kString),
                   std::move(inputs)),
        cols_(std::move(cols)) {}

  std::vector<Field> OutputFields(int k) const override {
    const ImputeColumn& c = cols_[k];
    std::vector<Field> out = {
        Field{inputs()[k], c.is_string ? DataType::kString : DataType::kFloat64, true}};
    if (c.indicator) out.push_back(Field{inputs()[k] + "__missing", DataType::kFloat64, true});
    return out;
  }

  Status TransformValue(int k, const Value& in, Value* out) const override {
    const ImputeColumn& c = cols_[k];
    if (c.is_string) {
      const bool missing = !in.valid;
      out[0] = missing ? Value::String(c.fill_text) : in;
      if (c.indicator) out[1] = Value::Float64(missing ? 1.0 : 0.0);
    } else {
      const bool missing = in.IsMissingNumber();
      out[0] = Value::Float64(missing ? c.fill : in.AsDouble());
      if (c.indicator) out[1] = Value::Float64(missing ? 1.0 : 0.0);
    }
    return absl::OkStatus();
  }

  static StatusOr<std::unique_ptr<FittedStep>> Load(const std::string& name,
                                                    std::vector<std::string> inputs,
                                                    const nlohmann::json& state) {
    std::vector<ImputeColumn> cols;
    for (const auto& j : state.at("columns")) {
      ImputeColumn c;
      c.is_string = j.at("string").get<bool>();
      if (c.is_string) {
        c.fill_text = j.at("fill").get<std::string>();
      } else {
        KEEL_ASSIGN_OR_RETURN(c.fill, DoubleFromJson(j.at("fill")));
      }
      c.indicator = j.at("indicator").get<bool>();
      cols.push_back(std::move(c));
    }
    if (cols.size() != inputs.size())
      return absl::InvalidArgumentError("one column state per input");
    return std::make_unique<ImputeStep>(name, std::move(inputs), std::move(cols));
  }

 protected:
  StatusOr<std::vector<Column>> TransformColumn(int k, const Column& column) const override {
    const ImputeColumn& c = cols_[k];
    const int64_t n = column.length();
    std::vector<Column> out;
    Float64Writer indicator(c.indicator ? n : 0);
    if (c.is_string) {
      ColumnBuilder b(DataType::kString);
      b.Reserve(n, static_cast<int64_t>(column.StringData().size()) +
                       column.null_count() * static_cast<int64_t>(c.fill_text.size()));
      for (int64_t i = 0; i < n; ++i) {
        const bool missing = column.IsNull(i);
        b.AppendString(missing ? std::string_view(c.fill_text) : column.StringAt(i));
        if (c.indicator) indicator.Set(i, missing ? 1.0 : 0.0);
      }
      out.push_back(b.Finish());
    } else {
      Float64Writer w(n);
      const double fill = c.fill;
      ForEachNumber(column, [&](int64_t i, double x, bool missing) {
        w.Set(i, missing ? fill : x);
        if (c.indicator) indicator.Set(i, missing ? 1.0 : 0.0);
      });
      out.push_back(w.Finish());
    }
    if (c.indicator) out.push_back(indicator.Finish());
    return out;
  }

  nlohmann::json StateToJson() const override {
    nlohmann::json cols = nlohmann::json::array();
    for (const ImputeColumn& c : cols_) {
      cols.push_back({{"string", c.is_string},
                      {"fill", c.is_string ? nlohmann::json(c.fill_text) : DoubleToJson(c.fill)},
                      {"indicator", c.indicator}});
    }
    return {{"columns", cols}};
  }

 private:
  std::vector<ImputeColumn> cols_;
};

// The smallest of the most frequent values (scikit-learn's tie rule).
template <typename T>
T MostFrequentSorted(const std::vector<T>& sorted) {
  T best = sorted[0];
  size_t best_count = 0;
  for (size_t i = 0; i < sorted.size();) {
    size_t j = i;
    while (j < sorted.size() && sorted[j] == sorted[i]) ++j;
    if (j - i > best_count) best = sorted[i], best_count = j - i;
    i = j;
  }
  return best;
}

class ImputeTransform : public Transform {
 public:
  using Transform::Transform;

 protected:
  StatusOr<std::unique_ptr<FittedStep>> FitImpl(const Table& table,
                                                const std::vector<std::string>& columns,
                                                FitNotes*) const override {
    const Params& params = spec().params;
    KEEL_ASSIGN_OR_RETURN(
        std::string strategy,
        params.GetChoice("strategy", "mean", {"mean", "median", "most_frequent", "constant"}));
    KEEL_ASSIGN_OR_RETURN(bool add_indicator, params.GetBool("add_indicator", false));
    std::vector<ImputeColumn> cols;
    for (const std::string& name : columns) {
      const Column column = *table.ColumnByName(name);
      ImputeColumn c;
      c.is_string = column.type() == DataType::kString;
      int64_t missing = 0;
      if (c.is_string) {
        missing = column.null_count();
        if (strategy == "mean" || strategy == "median") {
          return absl::InvalidArgumentError(absl::StrCat(
              spec().Label(), ": strategy ", strategy, " cannot take column '", name,
              "' of type string; use strategy: most_frequent or constant for text columns"));
        }
        if (strategy == "constant") {
          KEEL_ASSIGN_OR_RETURN(c.fill_text, params.GetString("fill_value", "missing_value"));
        } else {
          std::vector<std::string_view> v;
          for (int64_t i = 0; i < column.length(); ++i) {
            if (!column.IsNull(i)) v.push_back(column.StringAt(i));
          }
          if (v.empty()) return NoValuesError(spec().Label(), name, column.length());
          std::sort(v.begin(), v.end());
          c.fill_text = std::string(MostFrequentSorted(v));
        }
      } else {
        std::vector<double> v = PresentValues(column);
        missing = column.length() - static_cast<int64_t>(v.size());
        if (strategy == "constant") {
          KEEL_ASSIGN_OR_RETURN(c.fill, params.GetDouble("fill_value", 0));
        } else {
          if (v.empty()) return NoValuesError(spec().Label(), name, column.length());
          if (strategy == "mean") {
            double sum = 0;
            for (double x : v) sum += x;
            c.fill = sum / static_cast<double>(v.size());
          } else {
            std::sort(v.begin(), v.end());
            c.fill = strategy == "median" ? SortedMedian(v) : MostFrequentSorted(v);
          }
        }
      }
      // As scikit-learn's features="missing-only": an indicator only for
      // columns that had missing values at fit time.
      c.indicator = add_indicator && missing > 0;
      cols.push_back(std::move(c));
    }
    return std::make_unique<ImputeStep>(spec().name, columns, std::move(cols));
  }
};

StepInfo::Loader MapLoader(std::string kind) {
  return [kind](const std::string& name, std::vector<std::string> inputs,
                const nlohmann::json& state) {
    return MapStep::Load(kind, name, std::move(inputs), state);
  };
}

}  // namespace

void RegisterNumericSteps(TransformRegistry* registry) {
  const TypeMask impute_types = kNumericTypes | TypeBit(DataType::kString);
  (void)registry->Register({.kind = "impute",
                            .help = "fill missing values: mean, median, most_frequent, constant",
                            .accepts = impute_types,
                            .params = {"strategy", "fill_value", "add_indicator"},
                            .make = MakeFactory<ImputeTransform>(impute_types),
                            .load = ImputeStep::Load});
  (void)registry->Register(
      {.kind = "scale",
       .help = "scale numbers: standard, minmax, robust, maxabs",
       .accepts = kNumericTypes,
       .params = {"method", "with_mean", "with_std", "feature_range", "quantile_range"},
       .make = MakeFactory<ScaleTransform>(kNumericTypes),
       .load = MapLoader("scale")});
  (void)registry->Register({.kind = "log1p",
                            .help = "log(1 + x)",
                            .accepts = kNumericTypes,
                            .params = {},
                            .make = MakeFactory<Log1pTransform>(kNumericTypes),
                            .load = MapLoader("log1p")});
  (void)registry->Register({.kind = "clip",
                            .help = "clip to the training data's lower and upper quantiles",
                            .accepts = kNumericTypes,
                            .params = {"lower", "upper"},
                            .make = MakeFactory<ClipTransform>(kNumericTypes),
                            .load = MapLoader("clip")});
}

}  // namespace keel::transform
