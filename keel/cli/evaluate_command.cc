// keel evaluate: a model version's metrics on a dataset or file, and with
// --importance which columns the model relies on (permutation importance
// on that data, or the model's own gain/weight/cover/coef).
#include <algorithm>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "keel/base/hash.h"
#include "keel/cli/commands.h"
#include "keel/cli/common.h"
#include "keel/learn/bundle.h"
#include "keel/learn/explain.h"
#include "keel/learn/train.h"
#include "keel/table/csv_reader.h"
#include "keel/table/json_reader.h"
#include "keel/table/parquet_reader.h"

namespace keel::cli {
namespace {

using json = nlohmann::json;

struct EvaluateArgs {
  std::string model;
  std::string data;
  std::string importance;  // empty, "permutation", or a Model::Importance() kind
  int repeats = 5;
  uint64_t seed = 42;
  std::string permute = "inputs";
  std::string metric;
};

// --data as a dataset reference (NAME[@VERSION]) or a file (.csv, .jsonl,
// .parquet).
StatusOr<Table> ReadData(Lake& lake, const std::string& data, std::string* described) {
  const bool file = absl::EndsWith(data, ".csv") || absl::EndsWith(data, ".jsonl") ||
                    absl::EndsWith(data, ".parquet") || absl::EndsWith(data, ".csv.gz") ||
                    absl::StrContains(data, "/");
  if (!file) {
    KEEL_ASSIGN_OR_RETURN(DatasetVersionRecord v, ResolveDatasetArg(lake, data));
    *described = absl::StrCat(v.dataset, "@", ShortVersion(v.version));
    return lake.ReadTable(v);
  }
  *described = data;
  if (absl::EndsWith(data, ".parquet")) return ReadParquet(data);
  if (absl::EndsWith(data, ".jsonl")) return ReadJsonLines(data, {});
  return ReadCsv(data, {});
}

// Permutation importance as JSON and as rows for people, most important
// first.
Status PermutationReport(const learn::Bundle& bundle, const Table& table, const EvaluateArgs& args,
                         json* out, std::vector<std::string>* lines) {
  learn::PermutationOptions options{.repeats = args.repeats,
                                    .seed = args.seed,
                                    .features = args.permute == "features",
                                    .metric = args.metric};
  StatusOr<learn::PermutationImportanceResult> result =
      learn::PermutationImportance(bundle, table, options);
  if (!result.ok()) {
    // A --metric the task does not report is the invocation's fault.
    if (absl::StartsWith(result.status().message(), "metric '")) {
      return AsUsageError(result.status());
    }
    return result.status();
  }
  std::vector<learn::ColumnImportance> columns = result->columns;
  std::stable_sort(columns.begin(), columns.end(),
                   [](const auto& a, const auto& b) { return a.mean > b.mean; });
  json list = json::array();
  std::vector<std::vector<std::string>> rows = {
      {args.permute == "features" ? "FEATURE" : "COLUMN", "MEAN", "STD"}};
  for (const learn::ColumnImportance& c : columns) {
    list.push_back({{"name", c.name}, {"mean", c.mean}, {"std", c.std}, {"values", c.values}});
    rows.push_back({c.name, FormatNumber(c.mean), FormatNumber(c.std)});
  }
  *out = {{"kind", "permutation"},
          {"metric", result->metric},
          {"greater_is_better", result->greater_is_better},
          {"baseline", result->baseline},
          {"repeats", args.repeats},
          {"seed", args.seed},
          {"over", args.permute},
          {"columns", list}};
  lines->push_back(absl::StrFormat(
      "Permutation importance: %s %s when each %s is shuffled (%d repeats, seed %d; baseline %s)",
      result->metric, result->greater_is_better ? "drop" : "rise",
      args.permute == "features" ? "feature" : "input column", args.repeats, args.seed,
      FormatNumber(result->baseline)));
  lines->push_back(FormatRows(rows));
  return absl::OkStatus();
}

// The model's own importance of kind `kind` ("gain"...), most important
// first.
Status NativeReport(const learn::Bundle& bundle, const std::string& kind, json* out,
                    std::vector<std::string>* lines) {
  const std::map<std::string, std::vector<double>> all = bundle.model().Importance();
  auto it = all.find(kind);
  if (it == all.end()) {
    std::vector<std::string> kinds = {"permutation"};
    for (const auto& [name, values] : all) kinds.push_back(name);
    return AsUsageError(absl::InvalidArgumentError(
        absl::StrCat("--importance ", kind, ": a ", std::string(bundle.model().learner()),
                     " model has no such importance; use one of: ", absl::StrJoin(kinds, ", "))));
  }
  const std::vector<std::string>& features = bundle.manifest().features;
  std::vector<size_t> order(features.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::stable_sort(order.begin(), order.end(),
                   [&](size_t a, size_t b) { return it->second[a] > it->second[b]; });
  json list = json::array();
  std::vector<std::vector<std::string>> rows = {{"FEATURE", absl::AsciiStrToUpper(kind)}};
  for (size_t i : order) {
    list.push_back({{"name", features[i]}, {"value", it->second[i]}});
    rows.push_back({features[i], FormatNumber(it->second[i])});
  }
  *out = {{"kind", kind}, {"features", list}};
  lines->push_back(absl::StrCat("Importance (", kind, ", from the model itself):"));
  lines->push_back(FormatRows(rows));
  return absl::OkStatus();
}

Status Evaluate(CommandContext& context, const EvaluateArgs& args) {
  if (args.permute != "inputs" && args.permute != "features") {
    return AsUsageError(absl::InvalidArgumentError(
        absl::StrCat("--permute ", args.permute, ": use inputs or features")));
  }
  KEEL_ASSIGN_OR_RETURN(auto lake, OpenLake(context));
  KEEL_ASSIGN_OR_RETURN(LoadedModel model, LoadModelVersion(*lake, args.model));
  std::string described;
  KEEL_ASSIGN_OR_RETURN(Table table, ReadData(*lake, args.data, &described));
  KEEL_ASSIGN_OR_RETURN(auto metrics, learn::Evaluate(model.bundle, table));
  json importance;
  std::vector<std::string> importance_lines;
  if (args.importance == "permutation") {
    KEEL_RETURN_IF_ERROR(
        PermutationReport(model.bundle, table, args, &importance, &importance_lines));
  } else if (!args.importance.empty()) {
    KEEL_RETURN_IF_ERROR(
        NativeReport(model.bundle, args.importance, &importance, &importance_lines));
  }
  if (context.options().json) {
    json out = {{"model", model.record.model},
                {"version", model.record.version},
                {"data", described},
                {"rows", table.num_rows()},
                {"metrics", MetricsJson(metrics)}};
    if (!importance.is_null()) out["importance"] = importance;
    context.PrintJson(out);
    return absl::OkStatus();
  }
  context.Print(absl::StrFormat("%s version %d on %s (%d rows)", model.record.model,
                                model.record.version, described, table.num_rows()));
  std::vector<std::vector<std::string>> rows = {{"METRIC", "VALUE"}};
  for (const auto& [name, value] : metrics) rows.push_back({name, FormatNumber(value)});
  context.Print(FormatRows(rows));
  for (const std::string& line : importance_lines) context.Print(line);
  return absl::OkStatus();
}

}  // namespace

void AddEvaluateCommand(CLI::App& app, CommandContext& context) {
  auto args = std::make_shared<EvaluateArgs>();
  CLI::App* evaluate = app.add_subcommand(
      "evaluate", "A model version's metrics on a dataset or file, and which columns it relies on");
  evaluate->add_option("--model", args->model, "MODEL, MODEL@VERSION or MODEL@ALIAS")
      ->required()
      ->type_name("MODEL[@REF]");
  evaluate->add_option("--data", args->data, "NAME[@VERSION], or a .csv/.jsonl/.parquet file")
      ->required()
      ->type_name("DATA");
  evaluate
      ->add_option("--importance", args->importance,
                   "Also rank the columns: permutation (the metric's change when a column is "
                   "shuffled, on this data; any supervised model, as scikit-learn's "
                   "permutation_importance), or the model's own: gain, weight, cover (trees), "
                   "coef (linear)")
      ->type_name("KIND");
  evaluate
      ->add_option("--repeats", args->repeats,
                   "Permutation importance: shuffles per column, averaged (mean and std)")
      ->capture_default_str()
      ->check(CLI::Range(1, 1000));
  evaluate
      ->add_option("--seed", args->seed,
                   "Permutation importance: random seed (the same as sklearn's random_state "
                   "shuffles the same rows)")
      ->capture_default_str()
      ->check(CLI::Range(uint64_t{0}, uint64_t{0xffffffff}));
  evaluate
      ->add_option("--permute", args->permute,
                   "Permutation importance: shuffle the raw input columns (through the model's "
                   "pipeline) or the model's features after it")
      ->capture_default_str()
      ->type_name("inputs|features");
  evaluate
      ->add_option("--metric", args->metric,
                   "Permutation importance: the metric to watch (default: roc_auc for binary, "
                   "accuracy for multiclass, r2 for regression)")
      ->type_name("NAME");
  context.Bind(evaluate, [&context, args]() { return Evaluate(context, *args); });
}

}  // namespace keel::cli
