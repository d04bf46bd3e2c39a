// keel features materialize | materialize-incremental | get-online: load the
// latest feature rows of each view from its lake dataset into the online
// store (embedded RocksDB or Redis, per keel.yaml), remembering each window
// in the registry, and read them back as a model server would.
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "keel/base/progress.h"
#include "keel/base/suggest.h"
#include "keel/base/time.h"
#include "keel/cli/commands.h"
#include "keel/cli/common.h"
#include "keel/cli/features_common.h"
#include "keel/features/materialize.h"
#include "keel/features/online_features.h"
#include "keel/features/open_online_store.h"

namespace keel::cli {
namespace {

using json = nlohmann::json;
using features::FeatureDefinitions;
using features::FeatureView;

// The earliest instant Keel represents (0001-01-01): "since the beginning".
constexpr int64_t kBeginningOfTime = -62'135'596'800'000'000;

struct MaterializeArgs {
  std::string start;
  std::string end;
  std::vector<std::string> views;
  bool incremental = false;
};

struct GetOnlineArgs {
  std::string service;
  std::vector<std::string> features;
  std::vector<std::string> entities;  // key=value
  bool full_names = false;
  std::string at = "now";
};

// "now" or a timestamp; `flag` names it in errors.
StatusOr<int64_t> ParseTime(const std::string& text, const std::string& flag) {
  if (text == "now") return NowMicros();
  StatusOr<TimestampMicros> t = ParseTimestamp(text);
  if (!t.ok()) return AsUsageError(Annotate(t.status(), flag));
  return *t;
}

// The views named by --view (all when none), checked to exist.
StatusOr<std::vector<const FeatureView*>> SelectViews(const FeatureDefinitions& defs,
                                                      const std::vector<std::string>& names) {
  std::vector<const FeatureView*> out;
  if (names.empty()) {
    for (const FeatureView& v : defs.views) out.push_back(&v);
    return out;
  }
  std::vector<std::string> all;
  for (const FeatureView& v : defs.views) all.push_back(v.name);
  for (const std::string& name : names) {
    const FeatureView* v = defs.FindView(name);
    if (v == nullptr) {
      return AsUsageError(absl::NotFoundError(
          absl::StrCat("--view ", name, ": no such feature view.", DidYouMean(name, all),
                       " Views: ", absl::StrJoin(all, ", "))));
    }
    out.push_back(v);
  }
  return out;
}

Status Materialize(CommandContext& context, const MaterializeArgs& args) {
  KEEL_ASSIGN_OR_RETURN(auto lake, OpenLake(context));
  KEEL_ASSIGN_OR_RETURN(auto latest, LoadLatestFeatureDefinitions(*lake));
  const auto& [record, defs] = latest;
  KEEL_ASSIGN_OR_RETURN(std::vector<const FeatureView*> views, SelectViews(defs, args.views));
  KEEL_ASSIGN_OR_RETURN(int64_t end, ParseTime(args.end.empty() ? "now" : args.end, "--end"));
  std::optional<int64_t> start;
  if (!args.incremental) {
    KEEL_ASSIGN_OR_RETURN(start, ParseTime(args.start, "--start"));
    if (*start > end) {
      return AsUsageError(absl::InvalidArgumentError(absl::StrCat(
          "--start ", args.start, " is after --end ", args.end.empty() ? "now" : args.end)));
    }
  }
  KEEL_ASSIGN_OR_RETURN(Workspace * ws, context.workspace());
  const features::OnlineStoreConfig config = features::OnlineStoreConfigFor(*ws);
  const std::string store_id = features::OnlineStoreId(config);
  KEEL_ASSIGN_OR_RETURN(std::unique_ptr<features::OnlineStore> store,
                        features::OpenOnlineStore(config));

  json report = json::array();
  for (const FeatureView* view : views) {
    const features::Source& source = *defs.FindSource(view->source);
    if (source.online_only() && args.views.empty()) {
      report.push_back({{"view", view->name}, {"status", "push only"}});
      continue;  // its rows only ever arrive online; named with --view, it is an error below
    }
    int64_t from = 0;
    if (start) {
      from = *start;
    } else {
      KEEL_ASSIGN_OR_RETURN(std::optional<int64_t> watermark,
                            lake->registry().MaterializationWatermark(store_id, view->name));
      from = watermark       ? *watermark
             : view->ttl_us ? end - *view->ttl_us
                             : kBeginningOfTime;
    }
    if (from > end) {
      report.push_back({{"view", view->name}, {"status", "up to date"}});
      continue;
    }
    std::string described;
    KEEL_ASSIGN_OR_RETURN(Table rows, ReadFeatureSource(context, *lake, source, &described));
    Progress progress(absl::StrCat("materialize ", view->name), 0, "entities",
                      context.progress_options());
    KEEL_ASSIGN_OR_RETURN(
        features::MaterializeStats stats,
        features::MaterializeView(defs, *view, rows, from, end, *store,
                                  [&](int64_t done, int64_t) { progress.Set(done); }));
    progress.Finish();
    MaterializationRecord done{.view = view->name,
                               .store = store_id,
                               .start_us = from,
                               .end_us = end,
                               .source_dataset = described,
                               .rows = stats.rows_in_window,
                               .entities = stats.entities,
                               .definitions_version = record.version};
    KEEL_RETURN_IF_ERROR(lake->registry().AddMaterialization(done).status());
    report.push_back({{"view", view->name},
                      {"status", "materialized"},
                      {"start", FormatRfc3339(from)},
                      {"end", FormatRfc3339(end)},
                      {"source_dataset", done.source_dataset},
                      {"source_rows", stats.source_rows},
                      {"rows_in_window", stats.rows_in_window},
                      {"entities_written", stats.entities}});
  }
  if (context.options().json) {
    context.PrintJson({{"store", store_id},
                       {"definitions_version", record.version},
                       {"feature_views", report}});
    return absl::OkStatus();
  }
  for (const json& r : report) {
    if (r["status"] == "up to date") {
      context.Print(absl::StrCat(r["view"].get<std::string>(), ": up to date"));
      continue;
    }
    if (r["status"] == "push only") {
      context.Print(absl::StrCat(r["view"].get<std::string>(),
                                 ": skipped (a push source without a dataset: its rows arrive "
                                 "online only)"));
      continue;
    }
    context.Print(absl::StrFormat(
        "%s: %d rows from %s to %s -> %d entities into the %s online store",
        r["view"].get<std::string>(), r["rows_in_window"].get<int64_t>(),
        r["start"].get<std::string>(), r["end"].get<std::string>(),
        r["entities_written"].get<int64_t>(), std::string(store->kind())));
  }
  return absl::OkStatus();
}

Status GetOnline(CommandContext& context, const GetOnlineArgs& args) {
  features::OnlineFeaturesRequest request;
  request.feature_service = args.service;
  request.features = args.features;
  request.full_feature_names = args.full_names;
  if (args.service.empty() == args.features.empty()) {
    return AsUsageError(
        absl::InvalidArgumentError("give --service NAME or --feature VIEW:FEATURE (not both)"));
  }
  for (const std::string& e : args.entities) {
    const size_t eq = e.find('=');
    if (eq == std::string::npos || eq == 0) {
      return AsUsageError(absl::InvalidArgumentError(
          absl::StrCat("--entity ", e, ": expected JOIN_KEY=VALUE, e.g. customer_id=42")));
    }
    const std::string key = e.substr(0, eq);
    features::OnlineFeaturesRequest::EntityColumn* column = nullptr;
    for (auto& c : request.entities) {
      if (c.name == key) column = &c;
    }
    if (column == nullptr) {
      request.entities.push_back({.name = key});
      column = &request.entities.back();
    }
    column->values.push_back(e.substr(eq + 1));
  }
  if (request.entities.empty()) {
    return AsUsageError(absl::InvalidArgumentError("give at least one --entity KEY=VALUE"));
  }
  for (const auto& c : request.entities) {
    if (c.values.size() != request.entities[0].values.size()) {
      return AsUsageError(absl::InvalidArgumentError(
          "every join key needs the same number of --entity values (one per entity row)"));
    }
  }
  KEEL_ASSIGN_OR_RETURN(auto lake, OpenLake(context));
  KEEL_ASSIGN_OR_RETURN(auto latest, LoadLatestFeatureDefinitions(*lake));
  KEEL_ASSIGN_OR_RETURN(Workspace * ws, context.workspace());
  KEEL_ASSIGN_OR_RETURN(std::unique_ptr<features::OnlineStore> store,
                        features::OpenOnlineStore(features::OnlineStoreConfigFor(*ws)));
  KEEL_ASSIGN_OR_RETURN(int64_t at, ParseTime(args.at, "--at"));
  StatusOr<std::string> out = features::GetOnlineFeaturesJson(latest.second, *store, request, at);
  if (!out.ok()) {
    return out.status().code() == absl::StatusCode::kInvalidArgument ||
                   out.status().code() == absl::StatusCode::kNotFound
               ? AsUsageError(out.status())
               : out.status();
  }
  const json response = json::parse(*out);
  if (context.options().json) {
    context.PrintJson(response);
    return absl::OkStatus();
  }
  // A table: one row per entity, one column per name (status when not PRESENT).
  const json& names = response["metadata"]["feature_names"];
  std::vector<std::vector<std::string>> rows(1);
  for (const json& n : names) rows[0].push_back(n.get<std::string>());
  const size_t n_rows = response["results"][0]["values"].size();
  for (size_t r = 0; r < n_rows; ++r) {
    std::vector<std::string> row;
    for (const json& result : response["results"]) {
      const std::string status = result["statuses"][r].get<std::string>();
      const json& v = result["values"][r];
      row.push_back(status != "PRESENT" ? absl::StrCat("(", status, ")")
                    : v.is_string()     ? v.get<std::string>()
                                        : v.dump());
    }
    rows.push_back(std::move(row));
  }
  context.Print(FormatRows(rows));
  return absl::OkStatus();
}

}  // namespace

void AddFeaturesOnlineCommands(CLI::App& cmd, CommandContext& context) {
  auto full = std::make_shared<MaterializeArgs>();
  CLI::App* mat = cmd.add_subcommand(
      "materialize",
      "Write each feature view's latest row per entity with event time in [START, END] from its "
      "dataset to the online store (online_store in keel.yaml)");
  mat->add_option("--start", full->start, "Window start (RFC 3339 or YYYY-MM-DD[ HH:MM:SS])")
      ->required()
      ->type_name("TIME");
  mat->add_option("--end", full->end, "Window end, inclusive (default: now)")->type_name("TIME");
  mat->add_option("--view", full->views, "Only this feature view (repeatable; default: all)")
      ->type_name("VIEW");
  context.Bind(mat, [&context, full]() { return Materialize(context, *full); });

  auto inc = std::make_shared<MaterializeArgs>();
  inc->incremental = true;
  CLI::App* incremental = cmd.add_subcommand(
      "materialize-incremental",
      "Materialize from each view's watermark (the end of its last materialization into this "
      "store; first time: END minus the view's TTL) to END");
  incremental->add_option("--end", inc->end, "Window end, inclusive (default: now)")
      ->type_name("TIME");
  incremental->add_option("--view", inc->views, "Only this feature view (repeatable)")
      ->type_name("VIEW");
  context.Bind(incremental, [&context, inc]() { return Materialize(context, *inc); });

  auto get = std::make_shared<GetOnlineArgs>();
  CLI::App* online = cmd.add_subcommand(
      "get-online",
      "Read features from the online store for entities, as `POST /v1/features` answers "
      "(--json: Feast's get-online-features shape)");
  online->add_option("--service", get->service, "Feature service")->type_name("NAME");
  online->add_option("--feature", get->features, "A feature (repeatable)")
      ->type_name("VIEW:FEATURE");
  online->add_option("--entity", get->entities,
                     "A join key value (repeatable; repeat a key for several entity rows)")
      ->required()
      ->type_name("KEY=VALUE");
  online->add_flag("--full-names", get->full_names, "Name features VIEW__FEATURE");
  online->add_option("--at", get->at,
                     "Apply the views' TTLs as of this time (the store holds only the latest "
                     "rows; default: now)")
      ->capture_default_str()
      ->type_name("TIME");
  context.Bind(online, [&context, get]() { return GetOnline(context, *get); });

  AddFeaturesStreamCommand(cmd, context);
}

}  // namespace keel::cli
