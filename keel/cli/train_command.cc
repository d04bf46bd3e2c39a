// keel train: fit a model on a dataset and keep it as a new model version
// (with its run). (evaluate: evaluate_command.cc; predict:
// predict_command.cc.)
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "keel/base/files.h"
#include "keel/base/hash.h"
#include "keel/base/progress.h"
#include "keel/cli/commands.h"
#include "keel/cli/common.h"
#include "keel/cli/features_common.h"
#include "keel/cli/version.h"
#include "keel/base/suggest.h"
#include "keel/features/historical.h"
#include "keel/learn/bundle.h"
#include "keel/learn/model_store.h"
#include "keel/learn/train.h"
#include "keel/transform/spec.h"

namespace keel::cli {
namespace {

using json = nlohmann::json;

struct TrainArgs {
  std::string data;
  std::string target;
  std::string model;
  std::string task;
  std::string transform;
  std::string feature_service;
  std::vector<std::string> params;
  std::vector<std::string> features;
  std::string name;
  std::string experiment = "default";
  std::string split = "auto";
  double valid_fraction = 0.2;
  int cv = 0;
  uint64_t seed = 42;
};

std::string MetricsLine(const std::map<std::string, double>& metrics) {
  std::vector<std::string> parts;
  for (const auto& [name, value] : metrics)
    parts.push_back(absl::StrCat(name, " ", FormatNumber(value)));
  return absl::StrJoin(parts, "  ");
}

// `service` when it is a service of the latest feature definitions and
// `table` holds at least one of its columns (view__feature, as
// get-historical writes them). Usage errors otherwise.
StatusOr<std::string> CheckFeatureService(Lake& lake, const std::string& service,
                                          const Table& table) {
  KEEL_ASSIGN_OR_RETURN(auto latest, LoadLatestFeatureDefinitions(lake));
  const features::FeatureService* s = latest.second.FindService(service);
  if (s == nullptr) {
    std::vector<std::string> names;
    for (const auto& x : latest.second.services) names.push_back(x.name);
    return AsUsageError(absl::NotFoundError(absl::StrCat(
        "--feature-service ", service, ": no such service in feature definitions version ",
        latest.first.version, ".", DidYouMean(service, names),
        " Services: ", names.empty() ? "(none)" : absl::StrJoin(names, ", "))));
  }
  std::vector<std::string> columns;
  for (const auto& ref : s->features) {
    const std::string column = features::FeatureColumnName(ref.view, ref.feature);
    if (table.schema().IndexOf(column) >= 0) return service;
    columns.push_back(column);
  }
  return AsUsageError(absl::InvalidArgumentError(absl::StrCat(
      "--feature-service ", service, ": the training data has none of its columns (",
      absl::StrJoin(columns, ", "),
      "); build it with `keel features get-historical --service ", service, "`")));
}

// Records a failed run and passes the error on.
Status FailRun(MetadataStore& registry, const std::string& run_id, Status status) {
  (void)registry.EndRun(run_id, RunStatus::kFailed, std::string(status.message()));
  return status;
}

Status Train(CommandContext& context, const TrainArgs& args) {
  if (Status s = ValidateModelName(args.name); !s.ok()) return AsUsageError(s);
  learn::TrainSpec spec;
  spec.learner = args.model;
  spec.params = args.params;
  spec.target = args.target;
  spec.features = args.features;
  spec.valid_fraction = args.valid_fraction;
  spec.split = args.split;
  spec.cv_folds = args.cv;
  spec.seed = args.seed;
  if (!args.task.empty()) {
    StatusOr<learn::Task> task = learn::ParseTask(args.task);
    if (!task.ok()) return AsUsageError(task.status());
    spec.task = *task;
  }
  // Validate what the flags name before touching the lake.
  StatusOr<const learn::Learner*> learner = learn::BuiltinLearners().Find(args.model);
  if (!learner.ok()) return AsUsageError(learner.status());
  if (StatusOr<learn::Params> p = learn::ParseParams(args.model, (*learner)->params(), args.params);
      !p.ok()) {
    return AsUsageError(p.status());
  }
  if (!args.transform.empty()) {
    KEEL_ASSIGN_OR_RETURN(spec.transform_text, ReadFile(args.transform));
    StatusOr<transform::PipelineSpec> parsed =
        transform::PipelineSpec::Parse(spec.transform_text, args.transform);
    if (!parsed.ok()) return AsUsageError(parsed.status());
    spec.transform = *std::move(parsed);
  }

  KEEL_ASSIGN_OR_RETURN(auto lake, OpenLake(context));
  KEEL_ASSIGN_OR_RETURN(DatasetVersionRecord data, ResolveDatasetArg(*lake, args.data));
  KEEL_ASSIGN_OR_RETURN(Table table, lake->ReadTable(data));
  spec.dataset = data.dataset;
  spec.dataset_version = data.version;
  if (!args.feature_service.empty()) {
    KEEL_ASSIGN_OR_RETURN(spec.feature_service,
                          CheckFeatureService(*lake, args.feature_service, table));
  }
  spec.keel_version = VersionString();

  MetadataStore& registry = lake->registry();
  RunRecord run_request;
  run_request.experiment = args.experiment;
  run_request.name = args.name;
  run_request.params = {{"model", args.model},
                        {"dataset", absl::StrCat(data.dataset, "@", data.version)},
                        {"target", args.target},
                        {"seed", absl::StrCat(args.seed)}};
  for (const std::string& p : args.params) {
    const size_t eq = p.find('=');
    run_request.params[p.substr(0, eq)] = p.substr(eq + 1);
  }
  run_request.tags = RunProcessTags();
  MarkDeadRuns(registry);
  KEEL_ASSIGN_OR_RETURN(RunRecord run, registry.CreateRun(run_request));
  spec.run_id = run.id;

  std::vector<MetricPoint> history;
  Progress progress(absl::StrCat("train ", args.name), 0, "rounds", context.progress_options());
  spec.on_iteration = [&](int iteration, const std::map<std::string, double>& metrics) {
    for (const auto& [key, value] : metrics) history.push_back({key, iteration, value, 0});
    progress.Set(iteration + 1);
  };
  StatusOr<learn::TrainOutcome> outcome = learn::Train(table, spec);
  if (!outcome.ok()) return FailRun(registry, run.id, outcome.status());
  progress.Finish();
  if (Status s = registry.LogMetrics(run.id, history); !s.ok()) return FailRun(registry, run.id, s);
  std::vector<MetricPoint> final_metrics;
  for (const auto& [key, value] : outcome->metrics) final_metrics.push_back({key, 0, value, 0});
  for (const auto& [key, mean_std] : outcome->cv) {
    final_metrics.push_back({"cv_" + key + "_mean", 0, mean_std.first, 0});
    final_metrics.push_back({"cv_" + key + "_std", 0, mean_std.second, 0});
  }
  if (Status s = registry.LogMetrics(run.id, final_metrics); !s.ok()) {
    return FailRun(registry, run.id, s);
  }

  const learn::BundleManifest& m = outcome->bundle.manifest();
  ModelVersionRecord lineage;
  lineage.model = args.name;
  lineage.run_id = run.id;
  lineage.dataset = data.dataset;
  lineage.dataset_version = data.version;
  StatusOr<ModelVersionRecord> added = StoreModelVersion(*lake, outcome->bundle, lineage);
  if (!added.ok()) return FailRun(registry, run.id, added.status());
  KEEL_RETURN_IF_ERROR(registry.EndRun(run.id, RunStatus::kFinished));

  if (context.options().json) {
    json cv = json::object();
    for (const auto& [name, ms] : outcome->cv) cv[name] = {{"mean", ms.first}, {"std", ms.second}};
    context.PrintJson({{"model", args.name},
                       {"version", added->version},
                       {"run_id", run.id},
                       {"task", added->task},
                       {"learner", m.learner},
                       {"train_rows", outcome->train_rows},
                       {"valid_rows", outcome->valid_rows},
                       {"features", m.features.size()},
                       {"metrics", MetricsJson(outcome->metrics)},
                       {"cv", cv},
                       {"warnings", outcome->warnings},
                       {"bundle_key", added->bundle_key}});
    return absl::OkStatus();
  }
  for (const std::string& w : outcome->warnings) context.Print(absl::StrCat("warning: ", w));
  context.Print(absl::StrFormat(
      "Trained %s version %d (%s %s on %s@%s: %d training rows, %d "
      "validation rows, %d features)",
      args.name, added->version, m.learner, added->task, data.dataset, ShortVersion(data.version),
      outcome->train_rows, outcome->valid_rows, m.features.size()));
  context.Print(absl::StrCat("  metrics  ", MetricsLine(outcome->metrics)));
  for (const auto& [name, ms] : outcome->cv) {
    context.Print(absl::StrFormat("  cv       %s %s ± %s", name, FormatNumber(ms.first),
                                  FormatNumber(ms.second)));
  }
  context.Print(absl::StrCat("  run      ", run.id));
  return absl::OkStatus();
}

}  // namespace

void AddTrainCommand(CLI::App& app, CommandContext& context) {
  auto args = std::make_shared<TrainArgs>();
  CLI::App* cmd =
      app.add_subcommand("train", "Train a model on a dataset and keep it as a new model version");
  cmd->add_option("--data", args->data, "Training dataset: NAME or NAME@VERSION")
      ->required()
      ->type_name("NAME[@VERSION]");
  cmd->add_option("--target", args->target, "The column to predict (not for kmeans and pca)")
      ->type_name("COLUMN");
  cmd->add_option("--model", args->model,
                  absl::StrCat("Learner: ", absl::StrJoin(learn::BuiltinLearners().Names(), ", ")))
      ->required()
      ->type_name("LEARNER");
  cmd->add_option("--name", args->name, "Model name; each training adds a version")
      ->required()
      ->type_name("MODEL");
  cmd->add_option("--task", args->task,
                  "binary, multiclass, regression, clustering or reduction (default: from the "
                  "learner and the target's type)")
      ->type_name("TASK");
  cmd->add_option("--transform", args->transform, "Preprocessing spec (prep.yaml)")
      ->type_name("FILE");
  cmd->add_option("--feature-service", args->feature_service,
                  "The feature service the data came from (get-historical --service); "
                  "`keel serve` then fetches its features online and requests carry only the "
                  "entity keys and the other inputs")
      ->type_name("NAME");
  cmd->add_option("--param,-p", args->params, "A hyper-parameter, repeatable (eta=0.1)")
      ->type_name("NAME=VALUE");
  cmd->add_option("--features", args->features,
                  "Model input columns after the transform (default: all but the target)")
      ->delimiter(',')
      ->type_name("COL,...");
  cmd->add_option("--valid-fraction", args->valid_fraction,
                  "Share of rows held out for validation and early stopping (0: none)")
      ->capture_default_str()
      ->check(CLI::Range(0.0, 0.9));
  cmd->add_option("--split", args->split,
                  "How to hold out rows: auto, random, stratified, time:COLUMN, group:COLUMN")
      ->capture_default_str();
  cmd->add_option("--cv", args->cv, "Also run K-fold cross-validation")
      ->type_name("K")
      ->check(CLI::Range(0, 100));
  cmd->add_option("--seed", args->seed, "Random seed (splits, sampling)")->capture_default_str();
  cmd->add_option("--experiment", args->experiment, "Experiment the run belongs to")
      ->capture_default_str();
  context.Bind(cmd, [&context, args]() { return Train(context, *args); });
}

}  // namespace keel::cli
