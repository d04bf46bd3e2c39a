// keel models list | show | promote | export, keel runs list | show: the
// registry's model versions, aliases and training runs.
#include <filesystem>
#include <memory>
#include <set>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "keel/base/files.h"
#include "keel/base/hash.h"
#include "keel/base/time.h"
#include "keel/cli/commands.h"
#include "keel/cli/common.h"
#include "keel/learn/model_store.h"
#include "keel/cli/version.h"
#include "keel/learn/bundle_file.h"

namespace keel::cli {
namespace {

using json = nlohmann::json;

json VersionJson(const ModelVersionRecord& v) {
  return {{"model", v.model},
          {"version", v.version},
          {"created_at", FormatRfc3339(v.created_at_us)},
          {"learner", v.learner},
          {"task", v.task},
          {"aliases", v.aliases},
          {"run_id", v.run_id},
          {"dataset", v.dataset},
          {"dataset_version", v.dataset_version},
          {"metrics", json::parse(v.metrics_json.empty() ? "{}" : v.metrics_json, nullptr, false)},
          {"params", json::parse(v.params_json.empty() ? "{}" : v.params_json, nullptr, false)},
          {"bundle_key", v.bundle_key},
          {"bundle_sha256", v.bundle_sha256},
          {"bundle_size_bytes", v.bundle_size_bytes}};
}

std::string MetricsSummary(const std::string& metrics_json, size_t max = 3) {
  const json m = json::parse(metrics_json.empty() ? "{}" : metrics_json, nullptr, false);
  std::vector<std::string> parts;
  if (m.is_object()) {
    for (const auto& [name, value] : m.items()) {
      if (parts.size() == max) break;
      if (value.is_number())
        parts.push_back(absl::StrCat(name, "=", FormatNumber(value.get<double>())));
    }
  }
  return absl::StrJoin(parts, " ");
}

Status List(CommandContext& context) {
  KEEL_ASSIGN_OR_RETURN(auto lake, OpenLake(context));
  KEEL_ASSIGN_OR_RETURN(std::vector<ModelRecord> models, lake->registry().ListModels());
  if (context.options().json) {
    json list = json::array();
    for (const ModelRecord& m : models) {
      list.push_back({{"name", m.name},
                      {"versions", m.version_count},
                      {"aliases", m.aliases},
                      {"latest", VersionJson(m.latest)}});
    }
    context.PrintJson(list);
    return absl::OkStatus();
  }
  if (models.empty()) {
    context.Print(
        "No models yet. Train one: keel train --data NAME --target COL --model gbdt --name MODEL");
    return absl::OkStatus();
  }
  std::vector<std::vector<std::string>> rows = {
      {"MODEL", "VERSIONS", "LATEST", "LEARNER", "TASK", "ALIASES", "METRICS"}};
  for (const ModelRecord& m : models) {
    std::vector<std::string> aliases;
    for (const auto& [alias, version] : m.aliases)
      aliases.push_back(absl::StrCat(alias, "->", version));
    rows.push_back({m.name, absl::StrCat(m.version_count), absl::StrCat(m.latest.version),
                    m.latest.learner, m.latest.task, absl::StrJoin(aliases, ","),
                    MetricsSummary(m.latest.metrics_json)});
  }
  context.Print(FormatRows(rows));
  return absl::OkStatus();
}

Status Show(CommandContext& context, const std::string& ref) {
  KEEL_ASSIGN_OR_RETURN(auto lake, OpenLake(context));
  KEEL_ASSIGN_OR_RETURN(ModelVersionRecord v, lake->registry().ResolveModel(ref));
  if (context.options().json) {
    context.PrintJson(VersionJson(v));
    return absl::OkStatus();
  }
  context.Print(absl::StrCat("model     ", v.model));
  context.Print(absl::StrCat(
      "version   ", v.version,
      v.aliases.empty() ? "" : absl::StrCat(" (", absl::StrJoin(v.aliases, ", "), ")")));
  context.Print(absl::StrCat("created   ", FormatRfc3339(v.created_at_us)));
  context.Print(absl::StrCat("learner   ", v.learner, " (", v.task, ")"));
  if (!v.dataset.empty()) {
    context.Print(absl::StrCat("data      ", v.dataset, "@", ShortVersion(v.dataset_version)));
  }
  if (!v.run_id.empty()) context.Print(absl::StrCat("run       ", v.run_id));
  context.Print(absl::StrCat("metrics   ", MetricsSummary(v.metrics_json, 100)));
  context.Print(absl::StrCat("params    ", v.params_json));
  context.Print(
      absl::StrCat("bundle    ", v.bundle_key, " (",
                   Progress::FormatCount(static_cast<double>(v.bundle_size_bytes), "bytes"), ")"));
  return absl::OkStatus();
}

Status Promote(CommandContext& context, const std::string& model, int64_t version,
               const std::string& alias) {
  KEEL_ASSIGN_OR_RETURN(auto lake, OpenLake(context));
  KEEL_RETURN_IF_ERROR(lake->registry().SetAlias(model, alias, version));
  if (context.options().json) {
    context.PrintJson({{"model", model}, {"alias", alias}, {"version", version}});
    return absl::OkStatus();
  }
  context.Print(absl::StrFormat("%s@%s -> version %d", model, alias, version));
  return absl::OkStatus();
}

// Writes each section of the bundle (manifest.json, pipeline.json,
// model.json) into a folder: model.json loads in Python's xgboost.
Status Export(CommandContext& context, const std::string& ref, const std::string& out_dir) {
  KEEL_ASSIGN_OR_RETURN(auto lake, OpenLake(context));
  KEEL_ASSIGN_OR_RETURN(ModelVersionRecord v, lake->registry().ResolveModel(ref));
  KEEL_ASSIGN_OR_RETURN(std::string bytes, lake->store().Get(v.bundle_key));
  KEEL_ASSIGN_OR_RETURN(std::vector<learn::BundleSection> sections, learn::ReadBundleFile(bytes));
  KEEL_RETURN_IF_ERROR(MakeDirs(out_dir));
  std::vector<std::string> files;
  for (const learn::BundleSection& s : sections) {
    const std::string path = absl::StrCat(out_dir, "/", s.name);
    KEEL_RETURN_IF_ERROR(WriteFileAtomic(path, s.bytes));
    files.push_back(path);
  }
  if (context.options().json) {
    context.PrintJson({{"model", v.model}, {"version", v.version}, {"files", files}});
    return absl::OkStatus();
  }
  context.Print(absl::StrFormat("Wrote %s version %d to %s: %s", v.model, v.version, out_dir,
                                absl::StrJoin(files, ", ")));
  return absl::OkStatus();
}

// An XGBoost model trained elsewhere (Python's xgboost: save_model to .json
// or .ubj) as a new version.
Status Import(CommandContext& context, const std::string& path, const std::string& name) {
  if (Status s = ValidateModelName(name); !s.ok()) return AsUsageError(s);
  KEEL_ASSIGN_OR_RETURN(learn::Bundle bundle, learn::ImportXGBoostBundle(path, VersionString()));
  KEEL_ASSIGN_OR_RETURN(auto lake, OpenLake(context));
  ModelVersionRecord lineage;
  lineage.model = name;
  lineage.description = absl::StrCat("imported from ", path);
  KEEL_ASSIGN_OR_RETURN(ModelVersionRecord v, StoreModelVersion(*lake, bundle, lineage));
  if (context.options().json) {
    context.PrintJson(VersionJson(v));
    return absl::OkStatus();
  }
  context.Print(absl::StrFormat("Imported %s as %s version %d (%s, %d features: %s)", path, name,
                                v.version, v.task, bundle.manifest().features.size(),
                                absl::StrJoin(bundle.manifest().features, ", ")));
  return absl::OkStatus();
}

json RunJson(const RunRecord& r) {
  return {{"id", r.id},
          {"experiment", r.experiment},
          {"name", r.name},
          {"status", std::string(RunStatusName(r.status))},
          {"start", FormatRfc3339(r.start_us)},
          {"end", r.end_us == 0 ? json(nullptr) : json(FormatRfc3339(r.end_us))},
          {"params", r.params},
          {"tags", r.tags},
          {"metrics", r.latest_metrics},
          {"artifacts", r.artifacts},
          {"error", r.error}};
}

Status ListRuns(CommandContext& context, const std::string& experiment, int64_t limit) {
  KEEL_ASSIGN_OR_RETURN(auto lake, OpenLake(context));
  MarkDeadRuns(lake->registry());
  KEEL_ASSIGN_OR_RETURN(std::vector<RunRecord> runs, lake->registry().ListRuns(experiment, limit));
  if (context.options().json) {
    json list = json::array();
    for (const RunRecord& r : runs) list.push_back(RunJson(r));
    context.PrintJson(list);
    return absl::OkStatus();
  }
  std::vector<std::vector<std::string>> rows = {
      {"RUN", "EXPERIMENT", "NAME", "STATUS", "STARTED", "SECONDS"}};
  for (const RunRecord& r : runs) {
    rows.push_back({r.id.substr(0, 12), r.experiment, r.name, std::string(RunStatusName(r.status)),
                    FormatRfc3339(r.start_us),
                    r.end_us == 0 ? "-" : absl::StrFormat("%.1f", (r.end_us - r.start_us) / 1e6)});
  }
  context.Print(FormatRows(rows));
  return absl::OkStatus();
}

Status ShowRun(CommandContext& context, const std::string& id) {
  KEEL_ASSIGN_OR_RETURN(auto lake, OpenLake(context));
  MarkDeadRuns(lake->registry());
  KEEL_ASSIGN_OR_RETURN(RunRecord r, lake->registry().GetRun(id));
  if (context.options().json) {
    context.PrintJson(RunJson(r));
    return absl::OkStatus();
  }
  context.Print(absl::StrCat("run         ", r.id));
  context.Print(
      absl::StrCat("experiment  ", r.experiment, r.name.empty() ? "" : "  name " + r.name));
  context.Print(absl::StrCat("status      ", std::string(RunStatusName(r.status)),
                             r.error.empty() ? "" : absl::StrCat(": ", r.error)));
  std::vector<std::vector<std::string>> rows = {{"  PARAM", "VALUE"}};
  for (const auto& [k, v] : r.params) rows.push_back({"  " + k, v});
  context.Print(FormatRows(rows));
  rows = {{"  METRIC", "VALUE"}};
  for (const auto& [k, v] : r.latest_metrics) rows.push_back({"  " + k, FormatNumber(v)});
  context.Print(FormatRows(rows));
  for (const std::string& a : r.artifacts) context.Print(absl::StrCat("artifact    ", a));
  return absl::OkStatus();
}

// Runs side by side: every parameter and metric any of them has, one row
// each, "-" where a run lacks it.
Status CompareRuns(CommandContext& context, const std::vector<std::string>& ids) {
  KEEL_ASSIGN_OR_RETURN(auto lake, OpenLake(context));
  std::vector<RunRecord> runs;
  for (const std::string& id : ids) {
    KEEL_ASSIGN_OR_RETURN(RunRecord r, lake->registry().GetRun(id));
    runs.push_back(std::move(r));
  }
  std::set<std::string> params, metrics;
  for (const RunRecord& r : runs) {
    for (const auto& [k, v] : r.params) params.insert(k);
    for (const auto& [k, v] : r.latest_metrics) metrics.insert(k);
  }
  if (context.options().json) {
    json list = json::array();
    for (const RunRecord& r : runs) list.push_back(RunJson(r));
    context.PrintJson({{"runs", list},
                       {"params", std::vector<std::string>(params.begin(), params.end())},
                       {"metrics", std::vector<std::string>(metrics.begin(), metrics.end())}});
    return absl::OkStatus();
  }
  std::vector<std::vector<std::string>> rows;
  std::vector<std::string> header = {""};
  for (const RunRecord& r : runs) header.push_back(r.id.substr(0, 12));
  rows.push_back(header);
  std::vector<std::string> names = {"name"};
  for (const RunRecord& r : runs) names.push_back(r.name.empty() ? "-" : r.name);
  rows.push_back(names);
  for (const std::string& k : params) {
    std::vector<std::string> row = {"param " + k};
    for (const RunRecord& r : runs) {
      auto it = r.params.find(k);
      row.push_back(it == r.params.end() ? "-" : it->second);
    }
    rows.push_back(std::move(row));
  }
  for (const std::string& k : metrics) {
    std::vector<std::string> row = {"metric " + k};
    for (const RunRecord& r : runs) {
      auto it = r.latest_metrics.find(k);
      row.push_back(it == r.latest_metrics.end() ? "-" : FormatNumber(it->second));
    }
    rows.push_back(std::move(row));
  }
  context.Print(FormatRows(rows));
  return absl::OkStatus();
}

}  // namespace

void AddModelsCommand(CLI::App& app, CommandContext& context) {
  CLI::App* cmd = app.add_subcommand("models", "The registry's models, versions and aliases");
  cmd->require_subcommand(1);
  CLI::App* list = cmd->add_subcommand("list", "Every model with its latest version and aliases");
  context.Bind(list, [&context]() { return List(context); });

  auto ref = std::make_shared<std::string>();
  CLI::App* show = cmd->add_subcommand("show", "A model version's lineage, metrics and bundle");
  show->add_option("model", *ref, "MODEL, MODEL@VERSION or MODEL@ALIAS")
      ->required()
      ->type_name("MODEL[@REF]");
  context.Bind(show, [&context, ref]() { return Show(context, *ref); });

  auto version = std::make_shared<int64_t>(0);
  auto alias = std::make_shared<std::string>();
  CLI::App* promote =
      cmd->add_subcommand("promote", "Point an alias (production, staging...) at a version");
  promote->add_option("model", *ref, "Model name")->required()->type_name("MODEL");
  promote->add_option("version", *version, "Version number")->required()->type_name("N");
  promote->add_option("--alias", *alias, "Alias to set or move")->required()->type_name("ALIAS");
  context.Bind(promote, [&context, ref, version, alias]() {
    return Promote(context, *ref, *version, *alias);
  });

  auto out = std::make_shared<std::string>();
  CLI::App* exp = cmd->add_subcommand(
      "export", "Write a version's bundle as files (manifest.json, pipeline.json, model.json)");
  exp->add_option("model", *ref, "MODEL, MODEL@VERSION or MODEL@ALIAS")
      ->required()
      ->type_name("MODEL[@REF]");
  exp->add_option("--out,-o", *out, "Output folder")->required()->type_name("DIR");
  context.Bind(exp, [&context, ref, out]() { return Export(context, *ref, *out); });

  auto file = std::make_shared<std::string>();
  CLI::App* import = cmd->add_subcommand(
      "import", "Add an XGBoost model file (.json or .ubj, e.g. from Python) as a new version");
  import->add_option("file", *file, "The model file")->required()->type_name("FILE");
  import->add_option("--name", *ref, "Model name")->required()->type_name("MODEL");
  context.Bind(import, [&context, file, ref]() { return Import(context, *file, *ref); });

  CLI::App* runs = app.add_subcommand("runs", "Training runs: parameters, metrics, status");
  runs->require_subcommand(1);
  auto experiment = std::make_shared<std::string>();
  auto limit = std::make_shared<int64_t>(50);
  CLI::App* runs_list = runs->add_subcommand("list", "Runs, newest first");
  runs_list->add_option("--experiment", *experiment, "Only this experiment")->type_name("NAME");
  runs_list->add_option("--limit", *limit, "At most this many")->capture_default_str();
  context.Bind(runs_list,
               [&context, experiment, limit]() { return ListRuns(context, *experiment, *limit); });
  CLI::App* runs_show = runs->add_subcommand("show", "One run: parameters, metrics, artifacts");
  runs_show->add_option("run", *ref, "Run id or a unique prefix")->required()->type_name("RUN");
  context.Bind(runs_show, [&context, ref]() { return ShowRun(context, *ref); });
  auto ids = std::make_shared<std::vector<std::string>>();
  CLI::App* runs_compare =
      runs->add_subcommand("compare", "Runs side by side: their parameters and metrics");
  runs_compare->add_option("runs", *ids, "Two or more run ids (or unique prefixes)")
      ->required()
      ->expected(2, 100)
      ->type_name("RUN");
  context.Bind(runs_compare, [&context, ids]() { return CompareRuns(context, *ids); });
}

}  // namespace keel::cli
