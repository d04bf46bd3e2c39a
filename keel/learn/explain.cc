#include "keel/learn/explain.h"

#include <cmath>
#include <numeric>
#include <random>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "keel/learn/metrics.h"
#include "keel/learn/trees/xgboost_model.h"

namespace keel::learn {
namespace {

bool IsClassification(Task task) { return task == Task::kBinary || task == Task::kMulticlass; }

bool GreaterIsBetter(std::string_view metric) {
  return metric != "log_loss" && metric != "rmse" && metric != "mae";
}

// numpy's legacy RandomState on top of MT19937: the draws that
// RandomState.randint and RandomState.shuffle make (random_interval:
// mask-and-reject, 32-bit draws while the bound fits in 32 bits).
class NumpyRandomState {
 public:
  explicit NumpyRandomState(uint32_t seed) : mt_(seed) {}

  // Uniform in [0, max].
  uint64_t Interval(uint64_t max) {
    if (max == 0) return 0;
    uint64_t mask = max;
    for (int shift = 1; shift <= 32; shift *= 2) mask |= mask >> shift;
    uint64_t value;
    if (max <= 0xffffffffULL) {
      while ((value = (mt_() & mask)) > max) {
      }
    } else {
      while ((value = (Next64() & mask)) > max) {
      }
    }
    return value;
  }

  // RandomState.shuffle of a 1-d array (Fisher-Yates from the end).
  void Shuffle(std::vector<int64_t>& v) {
    for (size_t i = v.size() - 1; i >= 1 && i < v.size(); --i) {
      std::swap(v[i], v[Interval(i)]);
    }
  }

 private:
  uint64_t Next64() {
    const uint64_t high = mt_();
    return high << 32 | mt_();
  }
  std::mt19937 mt_;
};

// The target of `table` as the model's labels (class indices) or values.
StatusOr<std::vector<double>> TargetOf(const Bundle& bundle, const Table& table) {
  const BundleManifest& m = bundle.manifest();
  KEEL_ASSIGN_OR_RETURN(Column target, table.ColumnByName(m.target));
  if (IsClassification(m.task)) return EncodeLabels(target, m.target, m.classes);
  return VectorFromTable(table, m.target);
}

StatusOr<std::map<std::string, double>> AllMetrics(const Bundle& bundle, const Matrix& x,
                                                   std::span<const double> y) {
  Matrix scores;
  KEEL_RETURN_IF_ERROR(bundle.model().Predict(x, &scores));
  if (bundle.manifest().task == Task::kRegression) return EvaluateRegressor(y, scores);
  return EvaluateClassifier(y, scores, static_cast<int>(bundle.manifest().classes.values.size()));
}

StatusOr<double> MetricOn(const Bundle& bundle, const Matrix& x, std::span<const double> y,
                          const std::string& metric) {
  KEEL_ASSIGN_OR_RETURN(auto metrics, AllMetrics(bundle, x, y));
  auto it = metrics.find(metric);
  if (it == metrics.end()) {
    return absl::InvalidArgumentError(absl::StrCat("could not compute metric '", metric,
                                                   "' on these rows (AUC needs both classes)"));
  }
  return it->second;
}

Column TakeColumn(const Column& column, std::span<const int64_t> rows) {
  StatusOr<Table> one = Table::Make(std::vector<std::string>{"c"}, {column});
  return one->Take(rows).column(0);
}

// Replaces column `index` of `table`.
StatusOr<Table> WithColumn(const Table& table, int index, Column column) {
  std::vector<Column> columns = table.columns();
  columns[index] = std::move(column);
  return Table::Make(table.schema(), std::move(columns));
}

}  // namespace

std::string DefaultImportanceMetric(Task task) {
  switch (task) {
    case Task::kBinary:
      return "roc_auc";
    case Task::kMulticlass:
      return "accuracy";
    default:
      return "r2";
  }
}

StatusOr<PermutationImportanceResult> PermutationImportance(const Bundle& bundle,
                                                            const Table& table,
                                                            const PermutationOptions& options) {
  const BundleManifest& m = bundle.manifest();
  if (!IsSupervised(m.task)) {
    return absl::InvalidArgumentError(
        absl::StrCat("permutation importance needs a supervised model; this one does ",
                     std::string(TaskName(m.task)), " (it has no target to score against)"));
  }
  if (options.repeats < 1) {
    return absl::InvalidArgumentError(
        absl::StrCat("--repeats is ", options.repeats, "; give at least 1"));
  }
  if (options.seed > 0xffffffffULL) {
    return absl::InvalidArgumentError(
        absl::StrCat("seed ", options.seed, " is too large: use 0 to 4294967295"));
  }
  if (table.num_rows() < 2) {
    return absl::InvalidArgumentError(
        absl::StrCat("permutation importance needs at least 2 rows to shuffle; the data has ",
                     table.num_rows()));
  }
  KEEL_ASSIGN_OR_RETURN(std::vector<double> y, TargetOf(bundle, table));
  KEEL_ASSIGN_OR_RETURN(Matrix x, bundle.Features(table));

  PermutationImportanceResult result;
  result.metric = options.metric.empty() ? DefaultImportanceMetric(m.task) : options.metric;
  result.greater_is_better = GreaterIsBetter(result.metric);
  KEEL_ASSIGN_OR_RETURN(auto baseline_metrics, AllMetrics(bundle, x, y));
  if (!baseline_metrics.contains(result.metric)) {
    std::vector<std::string> names;
    for (const auto& [name, value] : baseline_metrics) names.push_back(name);
    return absl::InvalidArgumentError(
        absl::StrCat("metric '", result.metric, "' is not one a ", std::string(TaskName(m.task)),
                     " model reports on these rows; use one of: ", absl::StrJoin(names, ", ")));
  }
  result.baseline = baseline_metrics.at(result.metric);

  // As sklearn: one seed drawn from the seed, then every column shuffled by
  // a fresh generator from that seed; each repeat shuffles the index again
  // and takes the (already shuffled) column through it.
  const uint32_t column_seed = static_cast<uint32_t>(
      NumpyRandomState(static_cast<uint32_t>(options.seed)).Interval(0x7fffffffULL));
  const int64_t n = table.num_rows();
  const int columns = static_cast<int>(options.features ? x.cols() : m.inputs.fields().size());
  for (int c = 0; c < columns; ++c) {
    ColumnImportance importance;
    NumpyRandomState rng(column_seed);
    std::vector<int64_t> index(static_cast<size_t>(n));
    std::iota(index.begin(), index.end(), 0);
    Matrix shuffled_x;
    Table shuffled_table;
    Column current;
    int table_index = -1;
    if (options.features) {
      importance.name = m.features[c];
      shuffled_x = x;
    } else {
      importance.name = m.inputs.fields()[c].name;
      table_index = table.schema().IndexOf(importance.name);
      if (table_index < 0) {
        return absl::NotFoundError(
            absl::StrCat("the data lacks column '", importance.name, "', an input of the model"));
      }
      current = table.column(table_index);
    }
    for (int r = 0; r < options.repeats; ++r) {
      rng.Shuffle(index);
      if (options.features) {
        std::vector<double> taken(static_cast<size_t>(n));
        for (int64_t i = 0; i < n; ++i) taken[i] = shuffled_x.at(index[i], c);
        for (int64_t i = 0; i < n; ++i) shuffled_x.at(i, c) = taken[i];
      } else {
        current = TakeColumn(current, index);
        KEEL_ASSIGN_OR_RETURN(shuffled_table, WithColumn(table, table_index, current));
        KEEL_ASSIGN_OR_RETURN(shuffled_x, bundle.Features(shuffled_table));
      }
      KEEL_ASSIGN_OR_RETURN(double score, MetricOn(bundle, shuffled_x, y, result.metric));
      importance.values.push_back(result.greater_is_better ? result.baseline - score
                                                           : score - result.baseline);
    }
    const double k = static_cast<double>(importance.values.size());
    importance.mean = std::accumulate(importance.values.begin(), importance.values.end(), 0.0) / k;
    double var = 0;
    for (double v : importance.values) var += (v - importance.mean) * (v - importance.mean);
    importance.std = std::sqrt(var / k);
    result.columns.push_back(std::move(importance));
  }
  return result;
}

std::vector<std::string> ContributionColumnNames(const Bundle& bundle) {
  const BundleManifest& m = bundle.manifest();
  std::vector<std::string> names;
  auto add_group = [&](const std::string& prefix) {
    for (const std::string& f : m.features) names.push_back(absl::StrCat(prefix, f));
    names.push_back(absl::StrCat(prefix, "bias"));
  };
  if (m.task == Task::kMulticlass) {
    for (const std::string& label : m.classes.values) add_group(absl::StrCat("shap_", label, "_"));
  } else {
    add_group("shap_");
  }
  return names;
}

Status CheckContributions(const Bundle& bundle) {
  if (dynamic_cast<const trees::XGBoostModel*>(&bundle.model()) == nullptr) {
    return absl::UnimplementedError(
        absl::StrCat("SHAP contributions are computed for tree models (gbdt, rf); this model is ",
                     std::string(bundle.model().learner()),
                     ": use `keel evaluate --importance permutation` instead"));
  }
  return absl::OkStatus();
}

StatusOr<Table> ContributionsTable(const Bundle& bundle, const Matrix& features) {
  KEEL_RETURN_IF_ERROR(CheckContributions(bundle));
  const auto* trees = dynamic_cast<const trees::XGBoostModel*>(&bundle.model());
  KEEL_ASSIGN_OR_RETURN(Matrix contributions, trees->Contributions(features));
  const std::vector<std::string> names = ContributionColumnNames(bundle);
  if (static_cast<int64_t>(names.size()) != contributions.cols()) {
    return absl::InternalError(absl::StrCat("the model gave ", contributions.cols(),
                                            " contribution columns; expected ", names.size()));
  }
  std::vector<Column> columns;
  for (int64_t c = 0; c < contributions.cols(); ++c) {
    ColumnBuilder b(DataType::kFloat64);
    b.Reserve(contributions.rows());
    for (int64_t r = 0; r < contributions.rows(); ++r) b.AppendFloat64(contributions.at(r, c));
    columns.push_back(b.Finish());
  }
  return Table::Make(names, std::move(columns));
}

}  // namespace keel::learn
