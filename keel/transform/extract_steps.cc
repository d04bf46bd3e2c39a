// Extraction and selection: datetime parts, numeric binning (as
// scikit-learn's KBinsDiscretizer with encode="ordinal"), and dropping
// columns by their missing rate (rows too, at fit time only).
#include <algorithm>
#include <cmath>
#include <numbers>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "keel/base/suggest.h"
#include "keel/base/time.h"
#include "keel/transform/column_util.h"
#include "keel/transform/steps.h"

namespace keel::transform {
namespace {

constexpr TypeMask kTimestampOnly = TypeBit(DataType::kTimestamp);

// ---------------------------------------------------------------- datetime

enum class Part {
  kHour,
  kDow,
  kDay,
  kMonth,
  kYear,
  kWeekend,
  kHourSin,
  kHourCos,
  kDowSin,
  kDowCos,
  kMonthSin,
  kMonthCos,
  kSeconds
};
const std::vector<std::string>& PartNames() {
  static const auto* const kNames = new std::vector<std::string>{
      "hour",     "dow",     "day",     "month",     "year",      "weekend", "hour_sin",
      "hour_cos", "dow_sin", "dow_cos", "month_sin", "month_cos", "seconds"};
  return *kNames;
}

struct Civil {
  int64_t year;
  int month;  // 1..12
  int day;    // 1..31
  int hour;   // 0..23
  int dow;    // Monday 0 .. Sunday 6, as pandas
};

// Howard Hinnant's days_from_civil inverse; no allocation, no time zone.
inline Civil CivilFromMicros(int64_t micros) {
  int64_t days = micros / kMicrosPerDay;
  int64_t rem = micros % kMicrosPerDay;
  if (rem < 0) rem += kMicrosPerDay, --days;
  Civil c;
  c.hour = static_cast<int>(rem / (3600 * kMicrosPerSecond));
  c.dow = static_cast<int>(((days + 3) % 7 + 7) % 7);  // 1970-01-01 was a Thursday
  const int64_t z = days + 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const int64_t doe = z - era * 146097;
  const int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const int64_t mp = (5 * doy + 2) / 153;
  c.day = static_cast<int>(doy - (153 * mp + 2) / 5 + 1);
  c.month = static_cast<int>(mp < 10 ? mp + 3 : mp - 9);
  c.year = yoe + era * 400 + (c.month <= 2 ? 1 : 0);
  return c;
}

inline double Cyclic(bool sine, double value, double period) {
  const double angle = 2 * std::numbers::pi * value / period;
  return sine ? std::sin(angle) : std::cos(angle);
}

inline double PartValue(Part p, const Civil& c, int64_t micros, int64_t reference) {
  switch (p) {
    case Part::kHour:
      return c.hour;
    case Part::kDow:
      return c.dow;
    case Part::kDay:
      return c.day;
    case Part::kMonth:
      return c.month;
    case Part::kYear:
      return static_cast<double>(c.year);
    case Part::kWeekend:
      return c.dow >= 5 ? 1.0 : 0.0;
    case Part::kHourSin:
      return Cyclic(true, c.hour, 24);
    case Part::kHourCos:
      return Cyclic(false, c.hour, 24);
    case Part::kDowSin:
      return Cyclic(true, c.dow, 7);
    case Part::kDowCos:
      return Cyclic(false, c.dow, 7);
    case Part::kMonthSin:
      return Cyclic(true, c.month - 1, 12);
    case Part::kMonthCos:
      return Cyclic(false, c.month - 1, 12);
    case Part::kSeconds:
      return static_cast<double>(micros - reference) / static_cast<double>(kMicrosPerSecond);
  }
  return 0;
}

class DatetimeStep : public FittedStep {
 public:
  DatetimeStep(std::string name, std::vector<std::string> inputs, std::vector<Part> parts,
               int64_t reference, TimeZone zone)
      : FittedStep("datetime", std::move(name), kTimestampOnly, std::move(inputs)),
        parts_(std::move(parts)),
        reference_(reference),
        zone_(std::move(zone)) {}

  std::vector<Field> OutputFields(int k) const override {
    std::vector<Field> out;
    for (Part p : parts_) {
      out.push_back(Field{absl::StrCat(inputs()[k], "__", PartNames()[static_cast<int>(p)]),
                          DataType::kFloat64, true});
    }
    return out;
  }

  // Local wall-clock microseconds of an instant in the step's zone.
  int64_t Local(int64_t micros) const {
    if (zone_.is_utc()) return micros;
    const auto info = zone_.absl_zone().At(absl::FromUnixMicros(micros));
    return micros + static_cast<int64_t>(info.offset) * kMicrosPerSecond;
  }

  Status TransformValue(int, const Value& in, Value* out) const override {
    if (!in.valid) {
      for (size_t j = 0; j < parts_.size(); ++j) out[j] = Value::Null(DataType::kFloat64);
      return absl::OkStatus();
    }
    const Civil c = CivilFromMicros(Local(in.i64));
    for (size_t j = 0; j < parts_.size(); ++j) {
      out[j] = Value::Float64(PartValue(parts_[j], c, in.i64, reference_));
    }
    return absl::OkStatus();
  }

  static StatusOr<std::unique_ptr<FittedStep>> Load(const std::string& name,
                                                    std::vector<std::string> inputs,
                                                    const nlohmann::json& state) {
    std::vector<Part> parts;
    for (const auto& p : state.at("features")) {
      const auto& names = PartNames();
      auto it = std::find(names.begin(), names.end(), p.get<std::string>());
      if (it == names.end()) return absl::InvalidArgumentError("unknown datetime feature");
      parts.push_back(static_cast<Part>(it - names.begin()));
    }
    KEEL_ASSIGN_OR_RETURN(TimeZone zone, TimeZone::Load(state.at("timezone").get<std::string>()));
    return std::make_unique<DatetimeStep>(name, std::move(inputs), std::move(parts),
                                          state.at("reference_us").get<int64_t>(), zone);
  }

 protected:
  StatusOr<std::vector<Column>> TransformColumn(int, const Column& column) const override {
    const int64_t n = column.length();
    const int64_t* v = column.TimestampValues().data();
    std::vector<Float64Writer> w;
    for (size_t j = 0; j < parts_.size(); ++j) w.emplace_back(n);
    for (int64_t i = 0; i < n; ++i) {
      if (column.IsNull(i)) {
        for (Float64Writer& x : w) x.SetNull(i);
        continue;
      }
      const Civil c = CivilFromMicros(Local(v[i]));
      for (size_t j = 0; j < parts_.size(); ++j)
        w[j].Set(i, PartValue(parts_[j], c, v[i], reference_));
    }
    std::vector<Column> cols;
    for (Float64Writer& x : w) cols.push_back(x.Finish());
    return cols;
  }

  nlohmann::json StateToJson() const override {
    std::vector<std::string> names;
    for (Part p : parts_) names.push_back(PartNames()[static_cast<int>(p)]);
    return {{"features", names}, {"reference_us", reference_}, {"timezone", zone_.name()}};
  }

 private:
  std::vector<Part> parts_;
  int64_t reference_;
  TimeZone zone_;
};

class DatetimeTransform : public Transform {
 public:
  using Transform::Transform;

 protected:
  StatusOr<std::unique_ptr<FittedStep>> FitImpl(const Table&,
                                                const std::vector<std::string>& columns,
                                                FitNotes*) const override {
    const Params& params = spec().params;
    KEEL_ASSIGN_OR_RETURN(
        std::vector<std::string> names,
        params.GetList("features", {"hour", "dow", "day", "month", "year", "weekend"}));
    std::vector<Part> parts;
    for (const std::string& name : names) {
      const auto& known = PartNames();
      auto it = std::find(known.begin(), known.end(), name);
      if (it == known.end()) {
        return params.Error("features",
                            absl::StrCat("unknown feature '", name, "'.", DidYouMean(name, known),
                                         " Features: ", absl::StrJoin(known, ", ")));
      }
      parts.push_back(static_cast<Part>(it - known.begin()));
    }
    KEEL_ASSIGN_OR_RETURN(std::string zone_name, params.GetString("timezone", "UTC"));
    auto zone = TimeZone::Load(zone_name);
    if (!zone.ok()) return params.Error("timezone", std::string(zone.status().message()));
    KEEL_ASSIGN_OR_RETURN(std::string ref_text,
                          params.GetString("reference", "1970-01-01T00:00:00Z"));
    auto reference = ParseTimestamp(ref_text);
    if (!reference.ok())
      return params.Error("reference", std::string(reference.status().message()));
    return std::make_unique<DatetimeStep>(spec().name, columns, std::move(parts), *reference,
                                          *zone);
  }
};

// ---------------------------------------------------------------- bin

// numpy.searchsorted(edges[1:-1], x, side="right"): the number of inner
// edges <= x.
inline double BinOf(const std::vector<double>& edges, double x) {
  const auto first = edges.begin() + 1;
  const auto last = edges.end() - 1;
  return static_cast<double>(std::upper_bound(first, last, x) - first);
}

class BinStep : public FittedStep {
 public:
  BinStep(std::string name, std::vector<std::string> inputs, std::vector<std::vector<double>> edges)
      : FittedStep("bin", std::move(name), kNumericTypes, std::move(inputs)),
        edges_(std::move(edges)) {}

  std::vector<Field> OutputFields(int k) const override {
    return {Field{inputs()[k], DataType::kFloat64, true}};
  }
  const std::vector<double>& edges(int k) const { return edges_[k]; }

  Status TransformValue(int k, const Value& in, Value* out) const override {
    out[0] = in.IsMissingNumber() ? Value::Null(DataType::kFloat64)
                                  : Value::Float64(BinOf(edges_[k], in.AsDouble()));
    return absl::OkStatus();
  }

  static StatusOr<std::unique_ptr<FittedStep>> Load(const std::string& name,
                                                    std::vector<std::string> inputs,
                                                    const nlohmann::json& state) {
    std::vector<std::vector<double>> edges;
    for (const auto& col : state.at("edges")) {
      std::vector<double> e;
      for (const auto& v : col) {
        KEEL_ASSIGN_OR_RETURN(double d, DoubleFromJson(v));
        e.push_back(d);
      }
      if (e.size() < 2) return absl::InvalidArgumentError("at least two edges per column");
      edges.push_back(std::move(e));
    }
    if (edges.size() != inputs.size()) return absl::InvalidArgumentError("edges per input");
    return std::make_unique<BinStep>(name, std::move(inputs), std::move(edges));
  }

 protected:
  StatusOr<std::vector<Column>> TransformColumn(int k, const Column& column) const override {
    Float64Writer w(column.length());
    const std::vector<double>& e = edges_[k];
    ForEachNumber(column, [&](int64_t i, double x, bool missing) {
      if (missing) {
        w.SetNull(i);
      } else {
        w.Set(i, BinOf(e, x));
      }
    });
    return std::vector<Column>{w.Finish()};
  }

  nlohmann::json StateToJson() const override {
    nlohmann::json edges = nlohmann::json::array();
    for (const auto& e : edges_) {
      nlohmann::json col = nlohmann::json::array();
      for (double v : e) col.push_back(DoubleToJson(v));
      edges.push_back(col);
    }
    return {{"edges", edges}};
  }

 private:
  std::vector<std::vector<double>> edges_;
};

class BinTransform : public Transform {
 public:
  using Transform::Transform;

 protected:
  StatusOr<std::unique_ptr<FittedStep>> FitImpl(const Table& table,
                                                const std::vector<std::string>& columns,
                                                FitNotes* notes) const override {
    const Params& params = spec().params;
    KEEL_ASSIGN_OR_RETURN(std::string strategy,
                          params.GetChoice("strategy", "quantile", {"uniform", "quantile"}));
    KEEL_ASSIGN_OR_RETURN(int64_t n_bins, params.GetInt("n_bins", 5, 2, 1 << 20));
    std::vector<std::vector<double>> all;
    for (const std::string& name : columns) {
      const Column column = *table.ColumnByName(name);
      std::vector<double> v = PresentValues(column);
      if (v.empty()) {
        return absl::InvalidArgumentError(
            absl::StrCat(spec().Label(), ": column '", name,
                         "' has no value in the training data (", column.length(),
                         " rows, all missing); drop it (step: drop_missing) or impute it "
                         "with strategy: constant first"));
      }
      std::sort(v.begin(), v.end());
      const double lo = v.front(), hi = v.back();
      std::vector<double> edges;
      if (lo == hi) {
        // As KBinsDiscretizer: a constant column gets one bin.
        edges = {-HUGE_VAL, HUGE_VAL};
        notes->warnings.push_back(absl::StrCat(spec().Label(), ": column '", name,
                                               "' is constant; it gets a single bin (0)"));
      } else if (strategy == "uniform") {
        edges = Linspace(lo, hi, static_cast<int>(n_bins) + 1);
      } else {
        for (double p : Linspace(0, 100, static_cast<int>(n_bins) + 1)) {
          edges.push_back(SortedQuantile(v, p / 100));
        }
        // Bins narrower than 1e-8 are removed, as KBinsDiscretizer does.
        std::vector<double> kept = {edges[0]};
        for (size_t i = 1; i < edges.size(); ++i) {
          if (edges[i] - edges[i - 1] > 1e-8) kept.push_back(edges[i]);
        }
        if (kept.size() != edges.size()) {
          notes->warnings.push_back(absl::StrCat(spec().Label(), ": column '", name,
                                                 "': bins whose width is too small were "
                                                 "removed; ",
                                                 kept.size() - 1, " bins instead of ", n_bins));
        }
        edges = std::move(kept);
      }
      all.push_back(std::move(edges));
    }
    return std::make_unique<BinStep>(spec().name, columns, std::move(all));
  }
};

// ---------------------------------------------------------------- drop_missing

// Keeps each input column as it is, or drops it (no outputs).
class DropMissingStep : public FittedStep {
 public:
  DropMissingStep(std::string name, std::vector<std::string> inputs, std::vector<bool> keep,
                  std::vector<DataType> types)
      : FittedStep("drop_missing", std::move(name), kAnyType, std::move(inputs)),
        keep_(std::move(keep)),
        types_(std::move(types)) {}

  std::vector<Field> OutputFields(int k) const override {
    if (!keep_[k]) return {};
    return {Field{inputs()[k], types_[k], true}};
  }

  Status TransformValue(int k, const Value& in, Value* out) const override {
    if (keep_[k]) out[0] = in;
    return absl::OkStatus();
  }

  static StatusOr<std::unique_ptr<FittedStep>> Load(const std::string& name,
                                                    std::vector<std::string> inputs,
                                                    const nlohmann::json& state) {
    std::vector<bool> keep;
    std::vector<DataType> types;
    for (const auto& c : state.at("columns")) {
      keep.push_back(c.at("keep").get<bool>());
      KEEL_ASSIGN_OR_RETURN(DataType t, ParseDataType(c.at("type").get<std::string>()));
      types.push_back(t);
    }
    if (keep.size() != inputs.size()) return absl::InvalidArgumentError("one state per input");
    return std::make_unique<DropMissingStep>(name, std::move(inputs), std::move(keep),
                                             std::move(types));
  }

 protected:
  StatusOr<std::vector<Column>> TransformColumn(int k, const Column& column) const override {
    if (!keep_[k]) return std::vector<Column>{};
    return std::vector<Column>{column};
  }

  nlohmann::json StateToJson() const override {
    nlohmann::json cols = nlohmann::json::array();
    for (size_t k = 0; k < keep_.size(); ++k) {
      cols.push_back(
          {{"keep", static_cast<bool>(keep_[k])}, {"type", std::string(DataTypeName(types_[k]))}});
    }
    return {{"columns", cols}};
  }

 private:
  std::vector<bool> keep_;
  std::vector<DataType> types_;
};

// Calls f(i) for every missing value of `column` (null, or NaN in float64).
template <typename F>
void ForEachMissing(const Column& column, F&& f) {
  if (column.type() == DataType::kFloat64) {
    ForEachNumber(column, [&](int64_t i, double, bool m) {
      if (m) f(i);
    });
  } else if (column.null_count() > 0) {
    for (int64_t i = 0; i < column.length(); ++i) {
      if (column.IsNull(i)) f(i);
    }
  }
}

// Columns first: a column whose missing rate is above max_missing_rate is
// dropped. Then, when max_row_missing_rate is given, and only while fitting
// (FitTransform), a row whose share of missing values among the kept
// columns is above it is left out of the fitted output (and so of the later
// steps' fitting and of training).
class DropMissingTransform : public Transform {
 public:
  using Transform::Transform;

 protected:
  StatusOr<std::unique_ptr<FittedStep>> FitImpl(const Table& table,
                                                const std::vector<std::string>& columns,
                                                FitNotes*) const override {
    KEEL_ASSIGN_OR_RETURN(double max_rate, Rate("max_missing_rate", 0.5));
    KEEL_RETURN_IF_ERROR(Rate("max_row_missing_rate", 1).status());
    std::vector<bool> keep;
    std::vector<DataType> types;
    for (const std::string& name : columns) {
      const Column column = *table.ColumnByName(name);
      int64_t missing = 0;
      ForEachMissing(column, [&](int64_t) { ++missing; });
      const double rate =
          column.length() == 0 ? 0.0 : static_cast<double>(missing) / column.length();
      keep.push_back(rate <= max_rate);
      types.push_back(column.type());
    }
    return std::make_unique<DropMissingStep>(spec().name, columns, std::move(keep),
                                             std::move(types));
  }

  StatusOr<FitResult> FitTransformImpl(const Table& table, const std::vector<std::string>& columns,
                                       FitNotes* notes) const override {
    FitResult result;
    KEEL_ASSIGN_OR_RETURN(result.step, FitImpl(table, columns, notes));
    KEEL_ASSIGN_OR_RETURN(result.transformed, result.step->TransformTable(table));
    if (!spec().params.Has("max_row_missing_rate")) return result;
    KEEL_ASSIGN_OR_RETURN(double max_row_rate, Rate("max_row_missing_rate", 1));
    std::vector<int32_t> missing(static_cast<size_t>(table.num_rows()), 0);
    int kept_columns = 0;
    for (size_t k = 0; k < columns.size(); ++k) {
      if (result.step->OutputFields(static_cast<int>(k)).empty()) continue;
      ++kept_columns;
      ForEachMissing(*table.ColumnByName(columns[k]), [&](int64_t i) { ++missing[i]; });
    }
    std::vector<int64_t> kept;
    kept.reserve(missing.size());
    for (size_t i = 0; i < missing.size(); ++i) {
      // missing / kept_columns <= rate, without dividing (0 columns: keep).
      if (missing[i] <= max_row_rate * kept_columns) kept.push_back(static_cast<int64_t>(i));
    }
    const int64_t dropped = table.num_rows() - static_cast<int64_t>(kept.size());
    if (dropped == 0) return result;
    notes->warnings.push_back(absl::StrCat(
        spec().Label(), ": ", dropped, " of ", table.num_rows(), " training rows have more than ",
        max_row_rate * 100, "% of the ", kept_columns,
        " kept columns missing; they were left out of fitting and training (scoring and "
        "serving still transform every row)"));
    result.transformed = result.transformed.Take(kept);
    result.kept_rows = std::move(kept);
    return result;
  }

 private:
  StatusOr<double> Rate(std::string_view key, double fallback) const {
    KEEL_ASSIGN_OR_RETURN(double rate, spec().params.GetDouble(key, fallback));
    if (!(rate >= 0 && rate <= 1)) return spec().params.Error(key, "expected a rate from 0 to 1");
    return rate;
  }
};

}  // namespace

void RegisterExtractSteps(TransformRegistry* registry) {
  (void)registry->Register(
      {.kind = "datetime",
       .help = "timestamp parts: hour, dow, day, month, year, weekend, sin/cos, seconds",
       .accepts = kTimestampOnly,
       .params = {"features", "timezone", "reference"},
       .make = MakeFactory<DatetimeTransform>(kTimestampOnly),
       .load = DatetimeStep::Load});
  (void)registry->Register({.kind = "bin",
                            .help = "bin numbers: uniform or quantile edges, ordinal bin index",
                            .accepts = kNumericTypes,
                            .params = {"strategy", "n_bins"},
                            .make = MakeFactory<BinTransform>(kNumericTypes),
                            .load = BinStep::Load});
  (void)registry->Register(
      {.kind = "drop_missing",
       .help = "drop columns whose missing rate in the training data is above a threshold "
               "(and, at fit time only, rows: max_row_missing_rate)",
       .accepts = kAnyType,
       .params = {"max_missing_rate", "max_row_missing_rate"},
       .make = MakeFactory<DropMissingTransform>(kAnyType),
       .load = DropMissingStep::Load});
}

}  // namespace keel::transform
