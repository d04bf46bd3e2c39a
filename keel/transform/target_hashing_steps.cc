// Target encoding (smoothed, out-of-fold during fit) and feature hashing
// of string columns.
#include <algorithm>
#include <cstring>
#include <random>

#include "absl/strings/str_cat.h"
#include "keel/transform/categories.h"
#include "keel/transform/column_util.h"
#include "keel/transform/steps.h"
#include "keel/transform/text_util.h"

namespace keel::transform {
namespace {

// m-estimate smoothing: (sum + m * prior) / (count + m); the prior when
// there is nothing to average.
inline double Smooth(double sum, double count, double m, double prior) {
  return count + m == 0 ? prior : (sum + m * prior) / (count + m);
}

class TargetTransform : public Transform {
 public:
  using Transform::Transform;

 protected:
  struct Fitted {
    std::unique_ptr<FittedStep> step;
    std::vector<std::vector<double>> oof;  // per column, per row
  };

  StatusOr<std::unique_ptr<FittedStep>> FitImpl(const Table& table,
                                                const std::vector<std::string>& columns,
                                                FitNotes* context) const override {
    KEEL_ASSIGN_OR_RETURN(Fitted f, FitAll(table, columns, *context, false));
    return std::move(f.step);
  }

  StatusOr<FitResult> FitTransformImpl(const Table& table, const std::vector<std::string>& columns,
                                       FitNotes* context) const override {
    KEEL_ASSIGN_OR_RETURN(Fitted f, FitAll(table, columns, *context, true));
    // Transform normally for the layout, then swap in the out-of-fold values.
    KEEL_ASSIGN_OR_RETURN(Table t, f.step->TransformTable(table));
    std::vector<Column> cols = t.columns();
    for (size_t k = 0; k < columns.size(); ++k) {
      Float64Writer w(table.num_rows());
      for (int64_t i = 0; i < table.num_rows(); ++i) w.SetOrNull(i, f.oof[k][i]);
      cols[t.schema().IndexOf(columns[k])] = w.Finish();
    }
    KEEL_ASSIGN_OR_RETURN(Table out, Table::Make(t.schema(), std::move(cols)));
    return FitResult{std::move(f.step), std::move(out)};
  }

 private:
  // The label: the pipeline's fit-time target (FitContext), or the older
  // form `target: COLUMN`, a column of the table (then also a pipeline input
  // needed at apply time), unless it names the fit-time target.
  StatusOr<Column> LabelColumn(const Table& table, const FitContext& context,
                         std::string* target_name) const {
    const Params& params = spec().params;
    KEEL_ASSIGN_OR_RETURN(*target_name, params.GetString("target", ""));
    if (target_name->empty()) {
      KEEL_ASSIGN_OR_RETURN(const Column* y, RequireTarget(context, spec().Label()));
      *target_name = context.target_name;
      return *y;
    }
    if (context.target != nullptr && context.target_name == *target_name) return *context.target;
    auto column = table.ColumnByName(*target_name);
    if (!column.ok()) {
      std::string message(column.status().message());
      if (!message.empty() && message.back() == '.') message.pop_back();
      return params.Error(
          "target", absl::StrCat(message,
                                 "; leave out `target:` and fit the pipeline with the label as "
                                 "its target (keel train --target) instead"));
    }
    return *column;
  }

  StatusOr<Fitted> FitAll(const Table& table, const std::vector<std::string>& columns,
                          const FitContext& context, bool out_of_fold) const {
    const Params& params = spec().params;
    KEEL_ASSIGN_OR_RETURN(double m, params.GetDouble("smoothing", 10));
    KEEL_ASSIGN_OR_RETURN(int64_t folds, params.GetInt("folds", 5, 2, 1000));
    KEEL_ASSIGN_OR_RETURN(int64_t seed, params.GetInt("seed", 0, 0, INT64_MAX));
    if (m < 0) return params.Error("smoothing", "expected a number >= 0");
    std::string target_name;
    StatusOr<Column> target_column = LabelColumn(table, context, &target_name);
    if (!target_column.ok()) return target_column.status();
    if (!(kNumericTypes & TypeBit(target_column->type()))) {
      return params.Error("target", absl::StrCat("column '", target_name, "' is ",
                                                 std::string(DataTypeName(target_column->type())),
                                                 "; expected bool, int64 or float64"));
    }
    const int64_t n = table.num_rows();
    std::vector<double> y(n);
    std::vector<bool> has_y(n);
    ForEachNumber(*target_column, [&](int64_t i, double x, bool missing) {
      y[i] = x;
      has_y[i] = !missing;
    });
    // Fold of each row: a seeded Fisher-Yates shuffle dealt round-robin.
    std::vector<int> fold(n);
    {
      std::vector<int64_t> perm(n);
      for (int64_t i = 0; i < n; ++i) perm[i] = i;
      std::mt19937_64 rng(static_cast<uint64_t>(seed));
      for (int64_t i = n - 1; i > 0; --i) {
        std::swap(perm[i], perm[static_cast<int64_t>(rng() % static_cast<uint64_t>(i + 1))]);
      }
      for (int64_t j = 0; j < n; ++j) fold[perm[j]] = static_cast<int>(j % folds);
    }
    double total_sum = 0, total_count = 0;
    std::vector<double> fold_sum(folds, 0), fold_count(folds, 0);
    for (int64_t i = 0; i < n; ++i) {
      if (!has_y[i]) continue;
      total_sum += y[i];
      total_count += 1;
      fold_sum[fold[i]] += y[i];
      fold_count[fold[i]] += 1;
    }
    if (total_count == 0) {
      return params.Error("target", absl::StrCat("column '", target_name, "' has no value"));
    }
    const double prior = total_sum / total_count;
    Fitted f;
    std::vector<LookupColumn> cols;
    for (const std::string& name : columns) {
      const Column column = *table.ColumnByName(name);
      Counts counts = CountCategories(column);
      CategoryMap ids;
      for (size_t i = 0; i < counts.categories.size(); ++i)
        ids.Add(counts.categories[i], static_cast<int>(i));
      const int missing_id = static_cast<int>(counts.categories.size());
      const size_t num_ids = counts.categories.size() + 1;
      std::vector<int> id(n);
      std::vector<double> sum(num_ids * folds, 0), count(num_ids * folds, 0);
      for (int64_t i = 0; i < n; ++i) {
        id[i] = column.IsNull(i) ? missing_id : ids.Find(column.StringAt(i));
        if (!has_y[i]) continue;
        sum[id[i] * folds + fold[i]] += y[i];
        count[id[i] * folds + fold[i]] += 1;
      }
      std::vector<double> total_s(num_ids, 0), total_c(num_ids, 0);
      for (size_t c = 0; c < num_ids; ++c) {
        for (int64_t k = 0; k < folds; ++k) {
          total_s[c] += sum[c * folds + k];
          total_c[c] += count[c * folds + k];
        }
      }
      LookupColumn lc;
      lc.categories = counts.categories;
      for (size_t c = 0; c + 1 < num_ids; ++c) {
        lc.values.push_back(Smooth(total_s[c], total_c[c], m, prior));
      }
      lc.missing = Smooth(total_s[missing_id], total_c[missing_id], m, prior);
      lc.unknown_error = false;
      lc.unknown = prior;
      cols.push_back(std::move(lc));
      if (out_of_fold) {
        std::vector<double> oof(n);
        for (int64_t i = 0; i < n; ++i) {
          const size_t c = id[i];
          const int k = fold[i];
          const double p = (total_sum - fold_sum[k]) / std::max(1.0, total_count - fold_count[k]);
          oof[i] = Smooth(total_s[c] - sum[c * folds + k], total_c[c] - count[c * folds + k], m, p);
        }
        f.oof.push_back(std::move(oof));
      }
    }
    f.step = std::make_unique<LookupStep>("target", spec().name, columns, std::move(cols), "");
    return f;
  }
};

// ---------------------------------------------------------------- hashing

class HashingStep : public FittedStep {
 public:
  HashingStep(std::string name, std::vector<std::string> inputs, int n_features,
              bool alternate_sign)
      : FittedStep("hashing", std::move(name), kStringOnly, std::move(inputs)),
        n_(n_features),
        alternate_sign_(alternate_sign) {}

  std::vector<Field> OutputFields(int k) const override {
    std::vector<Field> out;
    for (int j = 0; j < n_; ++j) {
      out.push_back(Field{absl::StrCat(inputs()[k], "__hash", j), DataType::kFloat64, true});
    }
    return out;
  }

  // scikit-learn's FeatureHasher(input_type="string") on one feature.
  void Hash(std::string_view s, int* index, double* sign) const {
    const int32_t h = static_cast<int32_t>(Murmur3(s, 0));
    if (h == INT32_MIN) {
      *index = static_cast<int>((INT32_MAX - (n_ - 1)) % n_);
    } else {
      *index = static_cast<int>((h < 0 ? -h : h) % n_);
    }
    *sign = alternate_sign_ && h < 0 ? -1.0 : 1.0;
  }

  Status TransformValue(int, const Value& in, Value* out) const override {
    for (int j = 0; j < n_; ++j) out[j] = Value::Float64(0.0);
    if (in.valid) {
      int idx;
      double sign;
      Hash(in.str, &idx, &sign);
      out[idx].f64 = sign;
    }
    return absl::OkStatus();
  }

  static StatusOr<std::unique_ptr<FittedStep>> Load(const std::string& name,
                                                    std::vector<std::string> inputs,
                                                    const nlohmann::json& state) {
    const int n = state.at("n_features").get<int>();
    if (n < 1) return absl::InvalidArgumentError("n_features must be >= 1");
    return std::make_unique<HashingStep>(name, std::move(inputs), n,
                                         state.at("alternate_sign").get<bool>());
  }

 protected:
  StatusOr<std::vector<Column>> TransformColumn(int, const Column& column) const override {
    const int64_t n = column.length();
    std::vector<Float64Writer> w;
    std::vector<double*> out;
    for (int j = 0; j < n_; ++j) {
      w.emplace_back(n, /*zeroed=*/true);
      out.push_back(w.back().values());
    }
    for (int64_t i = 0; i < n; ++i) {
      if (column.IsNull(i)) continue;
      int idx;
      double sign;
      Hash(column.StringAt(i), &idx, &sign);
      out[idx][i] = sign;
    }
    std::vector<Column> cols;
    for (Float64Writer& x : w) cols.push_back(x.Finish());
    return cols;
  }

  nlohmann::json StateToJson() const override {
    return {{"n_features", n_}, {"alternate_sign", alternate_sign_}};
  }

 private:
  int n_;
  bool alternate_sign_;
};

class HashingTransform : public Transform {
 public:
  using Transform::Transform;

 protected:
  StatusOr<std::unique_ptr<FittedStep>> FitImpl(const Table&,
                                                const std::vector<std::string>& columns,
                                                FitNotes*) const override {
    KEEL_ASSIGN_OR_RETURN(int64_t n, spec().params.GetInt("n_features", 16, 1, 1 << 20));
    KEEL_ASSIGN_OR_RETURN(bool alternate, spec().params.GetBool("alternate_sign", true));
    return std::make_unique<HashingStep>(spec().name, columns, static_cast<int>(n), alternate);
  }
};

}  // namespace

void RegisterTargetAndHashingSteps(TransformRegistry* registry) {
  (void)registry->Register(
      {.kind = "target",
       .help = "category -> smoothed mean of the target (out-of-fold on the training data)",
       .accepts = kStringOnly,
       .params = {"target", "smoothing", "folds", "seed"},
       .make = MakeFactory<TargetTransform>(kStringOnly),
       .load = LookupStep::Loader("target", "")});
  (void)registry->Register(
      {.kind = "hashing",
       .help = "feature hashing (MurmurHash3, as scikit-learn's FeatureHasher)",
       .accepts = kStringOnly,
       .params = {"n_features", "alternate_sign"},
       .make = MakeFactory<HashingTransform>(kStringOnly),
       .load = HashingStep::Load});
}

}  // namespace keel::transform
