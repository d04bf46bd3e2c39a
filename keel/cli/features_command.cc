// keel features apply | list | describe | get-historical: validate and keep
// versions of the feature definitions (features.yaml) in the registry, show
// them, and build point-in-time training sets for a feature service.
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "keel/base/files.h"
#include "keel/base/suggest.h"
#include "keel/cli/batch_io.h"
#include "keel/cli/commands.h"
#include "keel/cli/common.h"
#include "keel/cli/features_common.h"
#include "keel/features/definitions.h"
#include "keel/features/diff.h"
#include "keel/features/historical.h"
#include "keel/lake/partition.h"
#include "keel/sql/sql_source.h"

namespace keel::cli {
namespace {

using json = nlohmann::json;
using features::FeatureDefinitions;

struct HistoricalArgs {
  std::string entities;
  std::string service;
  std::string out;
  std::string timestamp_column = "event_timestamp";
};

std::string TypeName(DataType type) { return std::string(DataTypeName(type)); }

json TypedJson(const std::vector<features::TypedName>& items) {
  json out = json::array();
  for (const auto& t : items) out.push_back({{"name", t.name}, {"type", TypeName(t.type)}});
  return out;
}

json ViewJson(const FeatureDefinitions& defs, const features::FeatureView& v) {
  const features::Source& s = *defs.FindSource(v.source);
  json aggregations = json::array();
  for (const features::Aggregation& a : v.aggregations) {
    aggregations.push_back(
        {{"feature", a.name},
         {"column", a.column},
         {"column_type", TypeName(a.column_type)},
         {"function", std::string(features::AggregationFunctionName(a.function))},
         {"window", a.window_text},
         {"window_us", a.window_us}});
  }
  json derived = json::array();
  for (const features::DerivedFeature& d : v.derived) {
    derived.push_back({{"feature", d.name}, {"expression", d.expression}});
  }
  return {{"kind", "feature_view"},
          {"aggregations", aggregations},
          {"computed", derived},
          {"name", v.name},
          {"entities", v.entities},
          {"join_keys", TypedJson(defs.JoinKeys(v))},
          {"source",
           {{"name", s.name},
            {"push", s.push},
            {"dataset", s.dataset},
            {"sql", RedactUri(s.sql)},
            {"query", s.query},
            {"timestamp_field", s.timestamp_field},
            {"created_timestamp_field", s.created_timestamp_field}}},
          {"ttl", v.ttl_text},
          {"ttl_us", v.ttl_us ? json(*v.ttl_us) : json()},
          {"features", TypedJson(v.features)}};
}

json OnDemandJson(const features::OnDemandView& v) {
  json features = json::array();
  for (const auto& f : v.features) {
    features.push_back(
        {{"name", f.name}, {"type", TypeName(f.type)}, {"expression", f.expression}});
  }
  json reads = json::array();
  for (const auto& r : v.feature_inputs) reads.push_back(absl::StrCat(r.view, ":", r.feature));
  return {{"kind", "on_demand_view"},
          {"name", v.name},
          {"request_fields", TypedJson(v.request_fields)},
          {"reads", reads},
          {"features", features}};
}

json ServiceJson(const features::FeatureService& s) {
  json refs = json::array();
  for (const auto& f : s.features) {
    refs.push_back({{"view", f.view},
                    {"feature", f.feature},
                    {"column", features::FeatureColumnName(f.view, f.feature)}});
  }
  return {{"kind", "service"}, {"name", s.name}, {"features", refs}};
}

}  // namespace

StatusOr<std::pair<FeatureDefinitionsRecord, FeatureDefinitions>> LoadLatestFeatureDefinitions(
    Lake& lake) {
  KEEL_ASSIGN_OR_RETURN(std::optional<FeatureDefinitionsRecord> latest,
                        lake.registry().LatestFeatureDefinitions());
  if (!latest) {
    return absl::FailedPreconditionError(
        "no feature definitions applied yet; run `keel features apply features.yaml`");
  }
  KEEL_ASSIGN_OR_RETURN(FeatureDefinitions defs,
                        FeatureDefinitions::Parse(latest->yaml_text, latest->source));
  return std::make_pair(*std::move(latest), std::move(defs));
}

StatusOr<Table> ReadFeatureSource(CommandContext& context, Lake& lake,
                                  const features::Source& source, std::string* described) {
  if (source.online_only()) {
    return absl::FailedPreconditionError(absl::StrCat(
        "source '", source.name, "' (", source.where,
        ") is a push source without a dataset: its rows are only in the online store, so there "
        "are no rows to read here; add `dataset: NAME` to it to keep pushed rows offline (POST "
        "/v1/push with \"to\": \"online_and_offline\", or `keel features stream`)"));
  }
  if (source.sql.empty()) {
    KEEL_ASSIGN_OR_RETURN(DatasetVersionRecord version, lake.Resolve(source.dataset));
    *described = absl::StrCat(version.dataset, "@", version.version.substr(0, 12));
    return lake.ReadTable(version);
  }
  std::string uri = source.sql;
  const std::string kSqlite = "sqlite://";
  if (uri.starts_with(kSqlite) && !uri.starts_with("sqlite:///")) {
    KEEL_ASSIGN_OR_RETURN(Workspace * ws, context.workspace());
    uri = absl::StrCat(kSqlite, ws->Resolve(uri.substr(kSqlite.size())));
  }
  *described = absl::StrCat("sql:", RedactUri(source.sql));
  StatusOr<Table> rows = RunQuery(uri, source.query);
  if (!rows.ok()) {
    return absl::Status(rows.status().code(),
                        absl::StrCat("source '", source.name, "' (", RedactUri(source.sql),
                                     "): ", rows.status().message()));
  }
  return rows;
}

namespace {

StatusOr<std::pair<FeatureDefinitionsRecord, FeatureDefinitions>> LoadLatest(Lake& lake) {
  return LoadLatestFeatureDefinitions(lake);
}

Status Apply(CommandContext& context, const std::string& file) {
  KEEL_ASSIGN_OR_RETURN(std::string text, ReadFile(file));
  StatusOr<FeatureDefinitions> defs = FeatureDefinitions::Parse(text, file);
  if (!defs.ok()) return AsUsageError(defs.status());
  KEEL_ASSIGN_OR_RETURN(auto lake, OpenLake(context));
  FeatureDefinitionsRecord record;
  record.yaml_text = text;
  record.source = file;
  KEEL_ASSIGN_OR_RETURN(MetadataStore::AppliedFeatureDefinitions applied,
                        lake->registry().AddFeatureDefinitions(record));
  if (context.options().json) {
    context.PrintJson({{"version", applied.record.version},
                       {"status", applied.added ? "applied" : "unchanged"},
                       {"sha256", applied.record.sha256},
                       {"entities", defs->entities.size()},
                       {"sources", defs->sources.size()},
                       {"feature_views", defs->views.size()},
                       {"services", defs->services.size()}});
    return absl::OkStatus();
  }
  if (!applied.added) {
    context.Print(absl::StrFormat("Unchanged: %s is feature definitions version %d", file,
                                  applied.record.version));
    return absl::OkStatus();
  }
  context.Print(absl::StrFormat(
      "Applied %s as feature definitions version %d: %d entities, %d sources, %d feature "
      "views, %d services",
      file, applied.record.version, defs->entities.size(), defs->sources.size(), defs->views.size(),
      defs->services.size()));
  return absl::OkStatus();
}

Status List(CommandContext& context) {
  KEEL_ASSIGN_OR_RETURN(auto lake, OpenLake(context));
  KEEL_ASSIGN_OR_RETURN(auto latest, LoadLatest(*lake));
  const auto& [record, defs] = latest;
  if (context.options().json) {
    json views = json::array(), on_demand = json::array(), services = json::array();
    for (const auto& v : defs.views) views.push_back(ViewJson(defs, v));
    for (const auto& v : defs.on_demand_views) on_demand.push_back(OnDemandJson(v));
    for (const auto& s : defs.services) services.push_back(ServiceJson(s));
    context.PrintJson({{"version", record.version},
                       {"feature_views", views},
                       {"on_demand_views", on_demand},
                       {"services", services}});
    return absl::OkStatus();
  }
  context.Print(
      absl::StrFormat("Feature definitions version %d (%s)", record.version, record.source));
  std::vector<std::vector<std::string>> rows = {
      {"KIND", "NAME", "ENTITIES", "SOURCE", "TTL", "FEATURES"}};
  for (const auto& v : defs.views) {
    rows.push_back({"feature_view", v.name, absl::StrJoin(v.entities, ","), v.source, v.ttl_text,
                    absl::StrCat(v.features.size())});
  }
  for (const auto& v : defs.on_demand_views) {
    rows.push_back(
        {"on_demand_view", v.name, "", "(request)", "", absl::StrCat(v.features.size())});
  }
  for (const auto& s : defs.services) {
    rows.push_back({"service", s.name, "", "", "", absl::StrCat(s.features.size())});
  }
  context.Print(FormatRows(rows));
  return absl::OkStatus();
}

Status Describe(CommandContext& context, const std::string& name) {
  KEEL_ASSIGN_OR_RETURN(auto lake, OpenLake(context));
  KEEL_ASSIGN_OR_RETURN(auto latest, LoadLatest(*lake));
  const auto& [record, defs] = latest;
  json j;
  if (const auto* v = defs.FindView(name)) {
    j = ViewJson(defs, *v);
  } else if (const auto* od = defs.FindOnDemandView(name)) {
    j = OnDemandJson(*od);
  } else if (const auto* s = defs.FindService(name)) {
    j = ServiceJson(*s);
  } else {
    std::vector<std::string> names;
    for (const auto& v : defs.views) names.push_back(v.name);
    for (const auto& v : defs.on_demand_views) names.push_back(v.name);
    for (const auto& s : defs.services) names.push_back(s.name);
    return AsUsageError(absl::NotFoundError(absl::StrCat(
        "no feature view or service '", name, "' in feature definitions version ", record.version,
        ".", DidYouMean(name, names), " Names: ", absl::StrJoin(names, ", "))));
  }
  j["definitions_version"] = record.version;
  if (context.options().json) {
    context.PrintJson(j);
    return absl::OkStatus();
  }
  if (j["kind"] == "feature_view") {
    context.Print(
        absl::StrFormat("feature view %s (definitions version %d)", name, record.version));
    std::vector<std::string> keys;
    for (const auto& k : j["join_keys"]) {
      keys.push_back(absl::StrCat(k["name"].get<std::string>(), " ", k["type"].get<std::string>()));
    }
    context.Print(absl::StrCat(
        "  entities  ",
        absl::StrJoin(j["entities"], ", ",
                      [](std::string* out, const json& e) { out->append(e.get<std::string>()); }),
        " (join keys: ", absl::StrJoin(keys, ", "), ")"));
    const json& source = j["source"];
    std::string from;
    if (source["push"].get<bool>()) {
      from = source["dataset"].get<std::string>().empty()
                 ? "push, online only"
                 : absl::StrCat("push, kept in dataset ", source["dataset"].get<std::string>());
    } else if (!source["sql"].get<std::string>().empty()) {
      from = absl::StrCat("sql ", source["sql"].get<std::string>());
    } else {
      from = absl::StrCat("dataset ", source["dataset"].get<std::string>());
    }
    context.Print(absl::StrCat("  source    ", source["name"].get<std::string>(), " (", from,
                               ", time ", source["timestamp_field"].get<std::string>(), ")"));
    context.Print(absl::StrCat("  ttl       ", j["ttl"].get<std::string>()));
    std::vector<std::vector<std::string>> rows = {{"FEATURE", "TYPE", "COMPUTED"}};
    for (const auto& f : j["features"]) {
      std::string computed;
      for (const auto& a : j["aggregations"]) {
        if (a["feature"] == f["name"]) {
          computed =
              absl::StrCat(a["function"].get<std::string>(), "(", a["column"].get<std::string>(),
                           ") over ", a["window"].get<std::string>());
        }
      }
      for (const auto& d : j["computed"]) {
        if (d["feature"] == f["name"]) computed = d["expression"].get<std::string>();
      }
      rows.push_back({f["name"].get<std::string>(), f["type"].get<std::string>(), computed});
    }
    context.Print(FormatRows(rows));
  } else if (j["kind"] == "on_demand_view") {
    context.Print(
        absl::StrFormat("on-demand view %s (definitions version %d)", name, record.version));
    std::vector<std::string> fields;
    for (const auto& f : j["request_fields"]) {
      fields.push_back(
          absl::StrCat(f["name"].get<std::string>(), " ", f["type"].get<std::string>()));
    }
    context.Print(absl::StrCat("  request fields  ", absl::StrJoin(fields, ", ")));
    std::vector<std::vector<std::string>> rows = {{"FEATURE", "TYPE", "EXPRESSION"}};
    for (const auto& f : j["features"]) {
      rows.push_back({f["name"].get<std::string>(), f["type"].get<std::string>(),
                      f["expression"].get<std::string>()});
    }
    context.Print(FormatRows(rows));
  } else {
    context.Print(absl::StrFormat("service %s (definitions version %d)", name, record.version));
    std::vector<std::vector<std::string>> rows = {{"VIEW", "FEATURE", "COLUMN"}};
    for (const auto& f : j["features"]) {
      rows.push_back({f["view"].get<std::string>(), f["feature"].get<std::string>(),
                      f["column"].get<std::string>()});
    }
    context.Print(FormatRows(rows));
  }
  return absl::OkStatus();
}

struct DiffArgs {
  std::string file;
  int64_t from = 0;
  int64_t to = 0;
};

// An applied version (0: the latest), parsed.
StatusOr<std::pair<FeatureDefinitionsRecord, FeatureDefinitions>> LoadVersion(Lake& lake,
                                                                              int64_t version) {
  if (version == 0) return LoadLatest(lake);
  KEEL_ASSIGN_OR_RETURN(std::vector<FeatureDefinitionsRecord> all,
                        lake.registry().ListFeatureDefinitions());
  for (FeatureDefinitionsRecord& r : all) {
    if (r.version != version) continue;
    KEEL_ASSIGN_OR_RETURN(FeatureDefinitions defs,
                          FeatureDefinitions::Parse(r.yaml_text, r.source));
    return std::make_pair(std::move(r), std::move(defs));
  }
  return AsUsageError(
      absl::NotFoundError(absl::StrCat("no feature definitions version ", version, "; versions 1..",
                                       all.empty() ? 0 : all.front().version, " exist")));
}

// `keel features diff [FILE] [--from V] [--to V]`: FILE against the latest
// applied version (what `apply FILE` would change), or two applied versions
// (default: the one before the latest, and the latest).
Status Diff(CommandContext& context, const DiffArgs& args) {
  KEEL_ASSIGN_OR_RETURN(auto lake, OpenLake(context));
  std::string before_name, after_name;
  FeatureDefinitions before, after;
  if (!args.file.empty()) {
    KEEL_ASSIGN_OR_RETURN(std::string text, ReadFile(args.file));
    StatusOr<FeatureDefinitions> parsed = FeatureDefinitions::Parse(text, args.file);
    if (!parsed.ok()) return AsUsageError(parsed.status());
    after = *std::move(parsed);
    after_name = args.file;
    KEEL_ASSIGN_OR_RETURN(auto from, LoadVersion(*lake, args.from));
    before = std::move(from.second);
    before_name = absl::StrCat("version ", from.first.version);
  } else {
    KEEL_ASSIGN_OR_RETURN(auto to, LoadVersion(*lake, args.to));
    const int64_t from_version = args.from > 0 ? args.from : to.first.version - 1;
    after = std::move(to.second);
    after_name = absl::StrCat("version ", to.first.version);
    if (from_version >= 1) {
      KEEL_ASSIGN_OR_RETURN(auto from, LoadVersion(*lake, from_version));
      before = std::move(from.second);
    }
    before_name = from_version >= 1 ? absl::StrCat("version ", from_version) : "nothing";
  }
  const std::vector<features::DefinitionChange> changes = features::DiffDefinitions(before, after);
  if (context.options().json) {
    json out = json::array();
    for (const auto& c : changes) {
      out.push_back(
          {{"kind", c.kind}, {"name", c.name}, {"change", c.change}, {"details", c.details}});
    }
    context.PrintJson({{"from", before_name}, {"to", after_name}, {"changes", out}});
    return absl::OkStatus();
  }
  context.Print(
      absl::StrFormat("Feature definitions: %s -> %s: %s", before_name, after_name,
                      changes.empty() ? "no changes" : absl::StrCat(changes.size(), " changed")));
  for (const auto& c : changes) {
    const char sign = c.change == "added" ? '+' : c.change == "removed" ? '-' : '~';
    context.Print(absl::StrFormat("%c %s %s", sign, c.kind, c.name));
    for (const std::string& d : c.details) context.Print(absl::StrCat("    ", d));
  }
  return absl::OkStatus();
}

Status GetHistorical(CommandContext& context, const HistoricalArgs& args) {
  KEEL_ASSIGN_OR_RETURN(BatchOutput output, BatchOutput::Create(args.out));
  KEEL_ASSIGN_OR_RETURN(auto lake, OpenLake(context));
  KEEL_ASSIGN_OR_RETURN(auto latest, LoadLatest(*lake));
  const auto& [record, defs] = latest;
  const features::FeatureService* service = defs.FindService(args.service);
  if (service == nullptr) {
    std::vector<std::string> names;
    for (const auto& s : defs.services) names.push_back(s.name);
    return AsUsageError(absl::NotFoundError(absl::StrCat(
        "--service ", args.service, ": no such feature service in definitions version ",
        record.version, ".", DidYouMean(args.service, names),
        " Services: ", names.empty() ? "(none)" : absl::StrJoin(names, ", "))));
  }
  // Fix the types of the join keys, request fields and the time (CSV would
  // infer them).
  std::vector<Field> types = {{args.timestamp_column, DataType::kTimestamp, true}};
  for (const auto& k : defs.EntityColumns(*service)) {
    bool seen = false;
    for (const Field& f : types) seen = seen || f.name == k.name;
    if (!seen) types.push_back({k.name, k.type, true});
  }
  BatchInputOptions options;
  options.chunk_rows = int64_t{1} << 40;
  KEEL_ASSIGN_OR_RETURN(options.types, Schema::Make(types));
  KEEL_ASSIGN_OR_RETURN(std::unique_ptr<BatchInput> input,
                        BatchInput::Open(context, *lake, args.entities, options));
  std::vector<Table> chunks;
  KEEL_RETURN_IF_ERROR(input->Read(0, -1, [&](const Table& chunk) {
    chunks.push_back(chunk);
    return absl::OkStatus();
  }));
  KEEL_ASSIGN_OR_RETURN(Table entities, ConcatTables(chunks));
  auto read = [&](const features::Source& source) -> StatusOr<Table> {
    std::string described;
    return ReadFeatureSource(context, *lake, source, &described);
  };
  StatusOr<Table> result =
      features::GetHistoricalFeatures(defs, args.service, entities, args.timestamp_column, read);
  if (!result.ok()) {
    return absl::Status(result.status().code(),
                        absl::StrCat(input->described(), ": ", result.status().message()));
  }
  KEEL_RETURN_IF_ERROR(output.Write(*result));
  KEEL_RETURN_IF_ERROR(output.Commit());
  if (context.options().json) {
    context.PrintJson({{"out", args.out},
                       {"rows", result->num_rows()},
                       {"columns", result->schema().names()},
                       {"service", args.service},
                       {"definitions_version", record.version}});
    return absl::OkStatus();
  }
  context.Print(absl::StrFormat(
      "Wrote %s: %d rows, %d columns, service %s (definitions "
      "version %d)",
      args.out, result->num_rows(), result->num_columns(), args.service, record.version));
  return absl::OkStatus();
}

}  // namespace

void AddFeaturesCommand(CLI::App& app, CommandContext& context) {
  CLI::App* cmd = app.add_subcommand("features", "Feature definitions and training sets");
  cmd->require_subcommand(1);

  auto file = std::make_shared<std::string>();
  CLI::App* apply = cmd->add_subcommand(
      "apply", "Validate features.yaml and keep it as a new version (unchanged if identical)");
  apply->add_option("file", *file, "The definitions (features.yaml)")
      ->required()
      ->type_name("FILE");
  context.Bind(apply, [&context, file]() { return Apply(context, *file); });

  CLI::App* list =
      cmd->add_subcommand("list", "Feature views and services of the latest definitions");
  context.Bind(list, [&context]() { return List(context); });

  auto name = std::make_shared<std::string>();
  CLI::App* describe = cmd->add_subcommand("describe", "A feature view, on-demand view or service");
  describe->add_option("name", *name, "View or service name")->required()->type_name("NAME");
  context.Bind(describe, [&context, name]() { return Describe(context, *name); });

  auto diff_args = std::make_shared<DiffArgs>();
  CLI::App* diff = cmd->add_subcommand(
      "diff",
      "What changed between applied versions of the definitions (default: the latest against "
      "the one before), or what `apply FILE` would change");
  diff->add_option("file", diff_args->file, "Definitions to compare with the latest applied")
      ->type_name("FILE");
  diff->add_option("--from", diff_args->from,
                   "An applied version (with FILE: instead of the "
                   "latest)")
      ->type_name("VERSION");
  diff->add_option("--to", diff_args->to, "An applied version (default: the latest)")
      ->type_name("VERSION");
  context.Bind(diff, [&context, diff_args]() { return Diff(context, *diff_args); });

  auto args = std::make_shared<HistoricalArgs>();
  CLI::App* hist = cmd->add_subcommand(
      "get-historical",
      "Point-in-time features of a service for entity rows: for each row, the latest feature "
      "row at or before its time and within the view's TTL");
  hist->add_option("--entities", args->entities,
                   "Entity rows (join keys and an event time): NAME[@VERSION], or a .csv, "
                   ".jsonl or .parquet file")
      ->required()
      ->type_name("FILE|DATASET");
  hist->add_option("--service", args->service, "Feature service")->required()->type_name("NAME");
  hist->add_option("--out,-o", args->out,
                   "Output: .csv, .jsonl or .parquet; entity columns then VIEW__FEATURE columns")
      ->required()
      ->type_name("FILE");
  hist->add_option("--timestamp-column", args->timestamp_column,
                   "The entity rows' event-time column")
      ->capture_default_str()
      ->type_name("COLUMN");
  context.Bind(hist, [&context, args]() { return GetHistorical(context, *args); });

  AddFeaturesOnlineCommands(*cmd, context);
}

}  // namespace keel::cli
