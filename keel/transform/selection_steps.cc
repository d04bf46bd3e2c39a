// Feature selection steps: variance_threshold, correlation_filter,
// select_k_best (f_classif, f_regression, chi2, mutual_info) and
// select_from_model (L1 linear models). Each keeps or drops whole columns
// and records why in its fitted state (FittedStep::SelectionReport).
// Supervised ones learn from the pipeline's fit-time target.
#include <algorithm>
#include <cmath>
#include <map>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "keel/transform/column_util.h"
#include "keel/transform/selection_stats.h"
#include "keel/transform/steps.h"
#include "keel/transform/transform.h"

namespace keel::transform {
namespace {

using nlohmann::json;

std::string Num(double v) { return absl::StrFormat("%.6g", v); }

// Keeps each input column as it is, or drops it; the state holds, per
// column, "kept", "type", "reason" and the statistics behind the choice.
class SelectStep : public FittedStep {
 public:
  SelectStep(std::string kind, std::string name, std::vector<std::string> inputs,
             std::vector<DataType> types, std::vector<bool> kept, std::vector<json> info,
             json criterion)
      : FittedStep(std::move(kind), std::move(name), kNumericTypes, std::move(inputs)),
        types_(std::move(types)),
        kept_(std::move(kept)),
        info_(std::move(info)),
        criterion_(std::move(criterion)) {}

  std::vector<Field> OutputFields(int k) const override {
    if (!kept_[k]) return {};
    return {Field{inputs()[k], types_[k], true}};
  }

  Status TransformValue(int k, const Value& in, Value* out) const override {
    if (kept_[k]) out[0] = in;
    return absl::OkStatus();
  }

  json SelectionReport() const override {
    json cols = json::array();
    for (size_t k = 0; k < kept_.size(); ++k) {
      json c = info_[k];
      c["column"] = inputs()[k];
      c["kept"] = static_cast<bool>(kept_[k]);
      cols.push_back(std::move(c));
    }
    return {{"criterion", criterion_}, {"columns", cols}};
  }

  static StepInfo::Loader Loader(std::string kind) {
    return [kind](const std::string& name, std::vector<std::string> inputs,
                  const json& state) -> StatusOr<std::unique_ptr<FittedStep>> {
      std::vector<DataType> types;
      std::vector<bool> kept;
      std::vector<json> info;
      for (json c : state.at("columns")) {
        KEEL_ASSIGN_OR_RETURN(DataType t, ParseDataType(c.at("type").get<std::string>()));
        types.push_back(t);
        kept.push_back(c.at("kept").get<bool>());
        c.erase("type");
        c.erase("kept");
        info.push_back(std::move(c));
      }
      if (kept.size() != inputs.size()) return absl::InvalidArgumentError("one state per input");
      return std::make_unique<SelectStep>(kind, name, std::move(inputs), std::move(types),
                                          std::move(kept), std::move(info),
                                          state.at("criterion"));
    };
  }

 protected:
  StatusOr<std::vector<Column>> TransformColumn(int k, const Column& column) const override {
    if (!kept_[k]) return std::vector<Column>{};
    return std::vector<Column>{column};
  }

  json StateToJson() const override {
    json cols = json::array();
    for (size_t k = 0; k < kept_.size(); ++k) {
      json c = info_[k];
      c["type"] = std::string(DataTypeName(types_[k]));
      c["kept"] = static_cast<bool>(kept_[k]);
      cols.push_back(std::move(c));
    }
    return {{"criterion", criterion_}, {"columns", cols}};
  }

 private:
  std::vector<DataType> types_;
  std::vector<bool> kept_;
  std::vector<json> info_;
  json criterion_;
};

// The selected columns as doubles, with which values are present.
struct NumericData {
  std::vector<std::vector<double>> values;
  std::vector<std::vector<uint8_t>> present;
  std::vector<int64_t> missing;
  std::vector<DataType> types;
};

NumericData ReadNumeric(const Table& table, const std::vector<std::string>& columns) {
  NumericData d;
  for (const std::string& name : columns) {
    const Column column = *table.ColumnByName(name);
    std::vector<double> v(column.length());
    std::vector<uint8_t> p(column.length());
    int64_t missing = 0;
    ForEachNumber(column, [&](int64_t i, double x, bool m) {
      v[i] = x;
      p[i] = !m;
      missing += m;
    });
    d.values.push_back(std::move(v));
    d.present.push_back(std::move(p));
    d.missing.push_back(missing);
    d.types.push_back(column.type());
  }
  return d;
}

// Supervised selection needs complete data (as scikit-learn).
Status RequireComplete(const NumericData& d, const std::vector<std::string>& columns,
                       const std::string& label) {
  for (size_t k = 0; k < columns.size(); ++k) {
    if (d.missing[k] > 0) {
      return absl::InvalidArgumentError(
          absl::StrCat(label, ": column '", columns[k], "' has ", d.missing[k],
                       " missing values in the training data; this step needs complete "
                       "columns: impute them first (step: impute)"));
    }
  }
  return absl::OkStatus();
}

// The fit-time target as class indices (distinct values, sorted).
StatusOr<std::vector<int>> ReadClasses(const FitContext& context, const std::string& label,
                                       int* num_classes) {
  KEEL_ASSIGN_OR_RETURN(const Column* y, RequireTarget(context, label));
  std::vector<int> out(y->length());
  auto missing = [&]() {
    return absl::InvalidArgumentError(
        absl::StrCat(label, ": the target '", context.target_name, "' has missing values"));
  };
  if (y->type() == DataType::kString) {
    std::map<std::string, int> ids;
    for (int64_t i = 0; i < y->length(); ++i) {
      if (y->IsNull(i)) return missing();
      ids.emplace(std::string(y->StringAt(i)), 0);
    }
    int next = 0;
    for (auto& [value, id] : ids) id = next++;
    for (int64_t i = 0; i < y->length(); ++i) out[i] = ids[std::string(y->StringAt(i))];
    *num_classes = next;
  } else if (kNumericTypes & TypeBit(y->type())) {
    std::vector<double> v(y->length());
    bool any_missing = false;
    ForEachNumber(*y, [&](int64_t i, double x, bool m) {
      v[i] = x;
      any_missing |= m;
    });
    if (any_missing) return missing();
    std::vector<double> distinct(v);
    std::sort(distinct.begin(), distinct.end());
    distinct.erase(std::unique(distinct.begin(), distinct.end()), distinct.end());
    for (size_t i = 0; i < v.size(); ++i) {
      out[i] = static_cast<int>(std::lower_bound(distinct.begin(), distinct.end(), v[i]) -
                                distinct.begin());
    }
    *num_classes = static_cast<int>(distinct.size());
  } else {
    return absl::InvalidArgumentError(
        absl::StrCat(label, ": the target '", context.target_name, "' is ",
                     std::string(DataTypeName(y->type())), "; classes must be string or numeric"));
  }
  if (*num_classes < 2) {
    return absl::InvalidArgumentError(absl::StrCat(label, ": the target '", context.target_name,
                                                   "' has one class; at least 2 are needed"));
  }
  return out;
}

StatusOr<std::vector<double>> ReadNumericTarget(const FitContext& context,
                                                const std::string& label) {
  KEEL_ASSIGN_OR_RETURN(const Column* y, RequireTarget(context, label));
  if (!(kNumericTypes & TypeBit(y->type()))) {
    return absl::InvalidArgumentError(absl::StrCat(
        label, ": the target '", context.target_name, "' is ",
        std::string(DataTypeName(y->type())), "; this score needs a numeric target"));
  }
  std::vector<double> out(y->length());
  bool any_missing = false;
  ForEachNumber(*y, [&](int64_t i, double x, bool m) {
    out[i] = x;
    any_missing |= m;
  });
  if (any_missing) {
    return absl::InvalidArgumentError(
        absl::StrCat(label, ": the target '", context.target_name, "' has missing values"));
  }
  return out;
}

std::unique_ptr<FittedStep> MakeSelect(const Transform& t, const std::vector<std::string>& columns,
                                       const NumericData& d, std::vector<bool> kept,
                                       std::vector<json> info, json criterion) {
  return std::make_unique<SelectStep>(t.spec().kind, t.spec().name, columns, d.types,
                                      std::move(kept), std::move(info), std::move(criterion));
}

// ---------------------------------------------------------------- variance

class VarianceThresholdTransform : public Transform {
 public:
  using Transform::Transform;

 protected:
  StatusOr<std::unique_ptr<FittedStep>> FitImpl(const Table& table,
                                                const std::vector<std::string>& columns,
                                                FitContext*) const override {
    KEEL_ASSIGN_OR_RETURN(double threshold, spec().params.GetDouble("threshold", 0));
    if (threshold < 0) return spec().params.Error("threshold", "expected a number >= 0");
    const NumericData d = ReadNumeric(table, columns);
    std::vector<bool> kept;
    std::vector<json> info;
    for (size_t k = 0; k < columns.size(); ++k) {
      // numpy.nanvar; with threshold 0 also the peak-to-peak (as sklearn),
      // so that a constant column never passes through rounding.
      double n = 0, sum = 0, lo = HUGE_VAL, hi = -HUGE_VAL;
      for (size_t i = 0; i < d.values[k].size(); ++i) {
        if (!d.present[k][i]) continue;
        n += 1;
        sum += d.values[k][i];
        lo = std::min(lo, d.values[k][i]);
        hi = std::max(hi, d.values[k][i]);
      }
      double var = std::nan("");
      if (n > 0) {
        const double mean = sum / n;
        double sq = 0;
        for (size_t i = 0; i < d.values[k].size(); ++i) {
          if (d.present[k][i]) sq += (d.values[k][i] - mean) * (d.values[k][i] - mean);
        }
        var = sq / n;
        if (threshold == 0) var = std::min(var, hi - lo);
      }
      const bool keep = var > threshold;
      kept.push_back(keep);
      info.push_back({{"variance", DoubleToJson(var)},
                      {"reason", n == 0 ? "no value in the training data"
                                        : absl::StrCat("variance ", Num(var), keep ? " > " : " <= ",
                                                       "threshold ", Num(threshold))}});
    }
    if (std::none_of(kept.begin(), kept.end(), [](bool b) { return b; })) {
      return absl::InvalidArgumentError(
          absl::StrCat(spec().Label(), ": no column has a variance above the threshold ",
                       Num(threshold), "; lower the threshold or select other columns"));
    }
    return MakeSelect(*this, columns, d, std::move(kept), std::move(info),
                      {{"threshold", DoubleToJson(threshold)}});
  }
};

// ---------------------------------------------------------------- correlation

bool IsConstant(const std::vector<double>& v, const std::vector<uint8_t>& present) {
  bool seen = false;
  double first = 0;
  for (size_t i = 0; i < v.size(); ++i) {
    if (!present[i]) continue;
    if (!seen) {
      first = v[i];
      seen = true;
    } else if (v[i] != first) {
      return false;
    }
  }
  return true;
}

class CorrelationFilterTransform : public Transform {
 public:
  using Transform::Transform;

 protected:
  StatusOr<std::unique_ptr<FittedStep>> FitImpl(const Table& table,
                                                const std::vector<std::string>& columns,
                                                FitContext*) const override {
    KEEL_ASSIGN_OR_RETURN(double threshold, spec().params.GetDouble("threshold", 0.95));
    if (!(threshold >= 0 && threshold <= 1)) {
      return spec().params.Error("threshold", "expected an absolute correlation from 0 to 1");
    }
    const NumericData d = ReadNumeric(table, columns);
    const size_t p = columns.size();
    std::vector<bool> kept(p, true);
    std::vector<json> info(p);
    // In column order: a column is dropped when its |r| with an earlier
    // column that is still kept exceeds the threshold (the earlier one
    // stays). Rows where either value is missing are left out of each r.
    for (size_t j = 0; j < p; ++j) {
      double max_abs = 0, max_r = 0;
      std::string max_with;
      for (size_t i = 0; i < j && kept[j]; ++i) {
        if (!kept[i]) continue;
        const double r = stats::PairwisePearson(d.values[i], d.present[i], d.values[j],
                                                d.present[j]);
        if (std::isnan(r)) continue;
        if (std::abs(r) > threshold) {
          kept[j] = false;
          info[j] = {{"correlated_with", columns[i]},
                     {"correlation", DoubleToJson(r)},
                     {"reason", absl::StrCat("|r| = ", Num(std::abs(r)), " with '", columns[i],
                                             "' (kept) > threshold ", Num(threshold))}};
        } else if (max_with.empty() || std::abs(r) > max_abs) {
          max_abs = std::abs(r);
          max_r = r;
          max_with = columns[i];
        }
      }
      if (!kept[j]) continue;
      if (!max_with.empty()) {
        info[j] = {{"correlated_with", max_with},
                   {"correlation", DoubleToJson(max_r)},
                   {"reason", absl::StrCat("largest |r| with an earlier kept column: ",
                                           Num(max_abs), " ('", max_with, "') <= threshold ",
                                           Num(threshold))}};
      } else if (IsConstant(d.values[j], d.present[j])) {
        info[j] = {{"reason",
                    "constant in the training data: no correlation defined (variance_threshold "
                    "drops it)"}};
      } else {
        info[j] = {{"reason", "no earlier kept column with a defined correlation"}};
      }
    }
    return MakeSelect(*this, columns, d, std::move(kept), std::move(info),
                      {{"threshold", DoubleToJson(threshold)}, {"method", "pearson"}});
  }
};

// ---------------------------------------------------------------- k best

class SelectKBestTransform : public Transform {
 public:
  using Transform::Transform;

 protected:
  StatusOr<std::unique_ptr<FittedStep>> FitImpl(const Table& table,
                                                const std::vector<std::string>& columns,
                                                FitContext* context) const override {
    const Params& params = spec().params;
    const std::string label = spec().Label();
    KEEL_ASSIGN_OR_RETURN(
        std::string score_func,
        params.GetChoice("score_func", "f_classif",
                         {"f_classif", "f_regression", "chi2", "mutual_info"}));
    if (params.Has("k") && params.Has("percentile")) {
      return params.Error("percentile", "give k or percentile, not both");
    }
    const bool by_percentile = params.Has("percentile");
    KEEL_ASSIGN_OR_RETURN(double percentile, params.GetDouble("percentile", 10));
    if (percentile < 0 || percentile > 100) {
      return params.Error("percentile", "expected a number from 0 to 100");
    }
    KEEL_ASSIGN_OR_RETURN(std::string k_text, params.GetString("k", "10"));
    int64_t k = 0;
    if (!by_percentile) {
      if (k_text == "all") {
        k = static_cast<int64_t>(columns.size());
      } else if (!absl::SimpleAtoi(k_text, &k) || k < 0) {
        return params.Error("k", absl::StrCat("expected a number of columns (an integer >= 0) or "
                                              "all; got '",
                                              k_text, "'"));
      }
    }
    KEEL_ASSIGN_OR_RETURN(int64_t n_neighbors, params.GetInt("n_neighbors", 3, 1, 1000));
    KEEL_ASSIGN_OR_RETURN(int64_t seed, params.GetInt("seed", 0, 0, INT64_MAX));

    const NumericData d = ReadNumeric(table, columns);
    KEEL_RETURN_IF_ERROR(RequireComplete(d, columns, label));
    std::vector<stats::Score> scores;
    if (score_func == "f_regression") {
      KEEL_ASSIGN_OR_RETURN(std::vector<double> y, ReadNumericTarget(*context, label));
      scores = stats::FRegression(d.values, y);
    } else {
      int num_classes = 0;
      KEEL_ASSIGN_OR_RETURN(std::vector<int> y, ReadClasses(*context, label, &num_classes));
      if (score_func == "f_classif") {
        scores = stats::FClassif(d.values, y, num_classes);
      } else if (score_func == "chi2") {
        for (size_t j = 0; j < columns.size(); ++j) {
          for (double v : d.values[j]) {
            if (v < 0) {
              return absl::InvalidArgumentError(absl::StrCat(
                  label, ": chi2 needs values >= 0 (counts, frequencies); column '", columns[j],
                  "' has ", Num(v), ". Use f_classif, or scale it with method: minmax first"));
            }
          }
        }
        scores = stats::Chi2(d.values, y, num_classes);
      } else {
        for (size_t j = 0; j < columns.size(); ++j) {
          scores.push_back({stats::MutualInfoClassif(d.values[j], y, num_classes,
                                                     static_cast<int>(n_neighbors),
                                                     static_cast<uint64_t>(seed) + j),
                            std::nan("")});
        }
      }
    }
    std::vector<double> s;
    for (const stats::Score& x : scores) s.push_back(x.score);
    const std::vector<bool> kept =
        by_percentile ? stats::PercentileMask(s, percentile) : stats::KBestMask(s, k);
    // Rank 1 = best (NaN last; ties by column order).
    std::vector<size_t> order(s.size());
    for (size_t j = 0; j < order.size(); ++j) order[j] = j;
    auto key = [&](size_t j) { return std::isnan(s[j]) ? -HUGE_VAL : s[j]; };
    std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return key(a) > key(b); });
    std::vector<int> rank(s.size());
    for (size_t r = 0; r < order.size(); ++r) rank[order[r]] = static_cast<int>(r) + 1;
    std::vector<json> info;
    const std::string rule = by_percentile ? absl::StrCat("percentile ", Num(percentile))
                                           : absl::StrCat("k = ", k);
    for (size_t j = 0; j < s.size(); ++j) {
      json c = {{"score", DoubleToJson(s[j])},
                {"rank", rank[j]},
                {"reason", absl::StrCat(kept[j] ? "kept: " : "dropped: ", score_func, " score ",
                                        Num(s[j]), ", rank ", rank[j], " of ", s.size(), " (",
                                        rule, ")")}};
      if (score_func != "mutual_info") c["p_value"] = DoubleToJson(scores[j].p_value);
      info.push_back(std::move(c));
    }
    json criterion = {{"score_func", score_func}, {"target", context->target_name}};
    if (by_percentile) {
      criterion["percentile"] = DoubleToJson(percentile);
    } else {
      criterion["k"] = k;
    }
    if (score_func == "mutual_info") {
      criterion["n_neighbors"] = n_neighbors;
      criterion["seed"] = seed;
    }
    return MakeSelect(*this, columns, d, kept, std::move(info), std::move(criterion));
  }
};

// ---------------------------------------------------------------- from model

class SelectFromModelTransform : public Transform {
 public:
  using Transform::Transform;

 protected:
  StatusOr<std::unique_ptr<FittedStep>> FitImpl(const Table& table,
                                                const std::vector<std::string>& columns,
                                                FitContext* context) const override {
    const Params& params = spec().params;
    const std::string label = spec().Label();
    KEEL_ASSIGN_OR_RETURN(std::string model,
                          params.GetChoice("model", "lasso", {"lasso", "logistic_l1"}));
    KEEL_ASSIGN_OR_RETURN(double alpha, params.GetDouble("alpha", 1.0));
    KEEL_ASSIGN_OR_RETURN(double c, params.GetDouble("C", 1.0));
    KEEL_ASSIGN_OR_RETURN(double threshold, params.GetDouble("threshold", 1e-5));
    KEEL_ASSIGN_OR_RETURN(int64_t max_features,
                          params.GetInt("max_features", static_cast<int64_t>(columns.size()), 0,
                                        INT32_MAX));
    if (!(alpha > 0)) return params.Error("alpha", "expected a number > 0");
    if (!(c > 0)) return params.Error("C", "expected a number > 0");
    const NumericData d = ReadNumeric(table, columns);
    KEEL_RETURN_IF_ERROR(RequireComplete(d, columns, label));
    std::vector<double> coef;
    if (model == "lasso") {
      KEEL_ASSIGN_OR_RETURN(std::vector<double> y, ReadNumericTarget(*context, label));
      coef = stats::LassoCoefficients(d.values, y, alpha);
    } else {
      int num_classes = 0;
      KEEL_ASSIGN_OR_RETURN(std::vector<int> y, ReadClasses(*context, label, &num_classes));
      if (num_classes != 2) {
        return absl::InvalidArgumentError(absl::StrCat(
            label, ": logistic_l1 takes a binary target; '", context->target_name, "' has ",
            num_classes, " classes. Use select_k_best (f_classif) for more classes"));
      }
      std::vector<double> y01(y.begin(), y.end());
      coef = stats::L1LogisticCoefficients(d.values, y01, c);
    }
    // sklearn's SelectFromModel: the max_features largest |coef| (stable),
    // then those >= threshold.
    const size_t p = coef.size();
    std::vector<double> importance(p);
    for (size_t j = 0; j < p; ++j) importance[j] = std::abs(coef[j]);
    std::vector<bool> kept = stats::KBestMask(importance, max_features);
    if (max_features < static_cast<int64_t>(p)) {
      // KBestMask breaks ties towards later columns; argsort(-scores) keeps
      // earlier ones: redo with the column order reversed.
      std::vector<double> reversed(importance.rbegin(), importance.rend());
      std::vector<bool> m = stats::KBestMask(reversed, max_features);
      for (size_t j = 0; j < p; ++j) kept[j] = m[p - 1 - j];
    }
    std::vector<json> info;
    for (size_t j = 0; j < p; ++j) {
      const bool above = importance[j] >= threshold;
      std::string reason = absl::StrCat("|coefficient| ", Num(importance[j]),
                                        above ? " >= " : " < ", "threshold ", Num(threshold));
      if (above && !kept[j]) absl::StrAppend(&reason, ", but not among the ", max_features, " largest");
      kept[j] = kept[j] && above;
      info.push_back({{"coefficient", DoubleToJson(coef[j])}, {"reason", reason}});
    }
    json criterion = {{"model", model},
                      {"threshold", DoubleToJson(threshold)},
                      {"max_features", max_features},
                      {"target", context->target_name}};
    criterion[model == "lasso" ? "alpha" : "C"] = DoubleToJson(model == "lasso" ? alpha : c);
    return MakeSelect(*this, columns, d, kept, std::move(info), std::move(criterion));
  }
};

}  // namespace

void RegisterSelectionSteps(TransformRegistry* registry) {
  (void)registry->Register(
      {.kind = "variance_threshold",
       .help = "drop columns whose variance is at most a threshold (VarianceThreshold)",
       .accepts = kNumericTypes,
       .params = {"threshold"},
       .make = MakeFactory<VarianceThresholdTransform>(kNumericTypes),
       .load = SelectStep::Loader("variance_threshold")});
  (void)registry->Register(
      {.kind = "correlation_filter",
       .help = "drop the later column of each pair with |pearson r| above a threshold",
       .accepts = kNumericTypes,
       .params = {"threshold"},
       .make = MakeFactory<CorrelationFilterTransform>(kNumericTypes),
       .load = SelectStep::Loader("correlation_filter")});
  (void)registry->Register(
      {.kind = "select_k_best",
       .help = "keep the k best (or a percentile) by f_classif, f_regression, chi2 or "
               "mutual_info against the target",
       .accepts = kNumericTypes,
       .params = {"score_func", "k", "percentile", "n_neighbors", "seed"},
       .make = MakeFactory<SelectKBestTransform>(kNumericTypes),
       .load = SelectStep::Loader("select_k_best")});
  (void)registry->Register(
      {.kind = "select_from_model",
       .help = "keep columns with large coefficients in an L1 model (lasso, logistic_l1)",
       .accepts = kNumericTypes,
       .params = {"model", "alpha", "C", "threshold", "max_features"},
       .make = MakeFactory<SelectFromModelTransform>(kNumericTypes),
       .load = SelectStep::Loader("select_from_model")});
}

}  // namespace keel::transform
