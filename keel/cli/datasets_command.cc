// keel datasets list | show | versions | head | export | profile: look at the
// lake's datasets and their versions.
#include <algorithm>
#include <cstdio>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "keel/base/files.h"
#include "keel/base/hash.h"
#include "keel/base/time.h"
#include "keel/cli/commands.h"
#include "keel/cli/common.h"
#include "keel/cli/lake_json.h"
#include "keel/lake/lake.h"
#include "keel/lake/objects.h"
#include "keel/lake/profile.h"
#include "keel/table/csv_writer.h"
#include "keel/table/json_writer.h"
#include "keel/table/parquet_writer.h"

namespace keel::cli {
namespace {

using json = nlohmann::json;

std::string Count(int64_t n) { return absl::StrFormat("%d", n); }

std::string Number(const std::optional<double>& x) {
  return x ? absl::StrFormat("%.6g", *x) : std::string("-");
}

// Cuts long cells for terminal output.
std::string Clip(std::string s, size_t max = 32) {
  if (s.size() > max) s = s.substr(0, max - 3) + "...";
  return s;
}

Status List(CommandContext& context) {
  KEEL_ASSIGN_OR_RETURN(auto lake, OpenLake(context));
  KEEL_ASSIGN_OR_RETURN(std::vector<DatasetRecord> datasets, lake->List());
  if (context.options().json) {
    json list = json::array();
    for (const DatasetRecord& d : datasets) {
      json latest = VersionJson(d.latest);
      list.push_back({{"name", d.name},
                      {"versions", d.version_count},
                      {"latest_version", d.latest.version},
                      {"rows", d.latest.row_count},
                      {"columns", latest["columns"]},
                      {"created_at", FormatRfc3339(d.created_at_us)},
                      {"updated_at", FormatRfc3339(d.latest.created_at_us)}});
    }
    context.PrintJson({{"datasets", list}});
    return absl::OkStatus();
  }
  if (datasets.empty()) {
    context.Print("No datasets yet. Add one with: keel ingest FILE --name NAME");
    return absl::OkStatus();
  }
  std::vector<std::vector<std::string>> rows = {
      {"NAME", "LATEST", "ROWS", "COLUMNS", "VERSIONS", "UPDATED"}};
  for (const DatasetRecord& d : datasets) {
    rows.push_back({d.name, ShortVersion(d.latest.version), Count(d.latest.row_count),
                    VersionJson(d.latest)["columns"].dump(), Count(d.version_count),
                    FormatRfc3339(d.latest.created_at_us)});
  }
  context.Print(FormatRows(rows));
  return absl::OkStatus();
}

Status Show(CommandContext& context, const std::string& ref) {
  KEEL_ASSIGN_OR_RETURN(auto lake, OpenLake(context));
  KEEL_ASSIGN_OR_RETURN(DatasetVersionRecord v, ResolveDatasetArg(*lake, ref));
  KEEL_ASSIGN_OR_RETURN(Schema schema, SchemaFromJson(v.schema_json));
  if (context.options().json) {
    context.PrintJson(VersionJson(v));
    return absl::OkStatus();
  }
  context.Print(absl::StrCat("dataset   ", v.dataset));
  context.Print(absl::StrCat("version   ", v.version));
  context.Print(absl::StrCat("created   ", FormatRfc3339(v.created_at_us)));
  context.Print(absl::StrCat("source    ", v.source));
  context.Print(absl::StrCat("rows      ", v.row_count));
  // An objects dataset can list thousands of raw objects: show a few.
  std::vector<std::string> raw(v.raw_keys.begin(),
                               v.raw_keys.begin() + std::min<size_t>(v.raw_keys.size(), 3));
  if (v.raw_keys.size() > raw.size()) {
    raw.push_back(absl::StrCat("and ", v.raw_keys.size() - raw.size(), " more"));
  }
  context.Print(absl::StrCat("raw       ", absl::StrJoin(raw, ", "), " (",
                             Progress::FormatCount(static_cast<double>(v.raw_size_bytes), "bytes"),
                             ", sha256 ", ShortVersion(v.raw_sha256, 16), "...)"));
  context.Print(absl::StrCat("table     ", v.table_key,
                             v.partition_column.empty()
                                 ? ""
                                 : absl::StrCat("/ (partitioned by ", v.partition_column, ")")));
  context.Print(absl::StrCat("format    ", v.format, " ", v.parse_options_json));
  context.Print(absl::StrCat("columns   ", schema.num_fields()));
  std::vector<std::vector<std::string>> rows = {{"  NAME", "TYPE", "NULLABLE"}};
  for (const Field& f : schema.fields()) {
    rows.push_back({"  " + f.name, std::string(DataTypeName(f.type)), f.nullable ? "yes" : "no"});
  }
  context.Print(FormatRows(rows));
  return absl::OkStatus();
}

Status Versions(CommandContext& context, const std::string& name) {
  if (Status s = ValidateDatasetName(name); !s.ok()) return AsUsageError(s);
  KEEL_ASSIGN_OR_RETURN(auto lake, OpenLake(context));
  KEEL_ASSIGN_OR_RETURN(std::vector<DatasetVersionRecord> versions, lake->Versions(name));
  if (context.options().json) {
    json list = json::array();
    for (size_t i = 0; i < versions.size(); ++i) {
      json j = VersionJson(versions[i]);
      j["latest"] = i == 0;
      list.push_back(j);
    }
    context.PrintJson({{"dataset", name}, {"versions", list}});
    return absl::OkStatus();
  }
  std::vector<std::vector<std::string>> rows = {{"VERSION", "CREATED", "ROWS", "SOURCE", ""}};
  for (size_t i = 0; i < versions.size(); ++i) {
    const DatasetVersionRecord& v = versions[i];
    rows.push_back({ShortVersion(v.version), FormatRfc3339(v.created_at_us), Count(v.row_count),
                    v.source, i == 0 ? "(latest)" : ""});
  }
  context.Print(FormatRows(rows));
  return absl::OkStatus();
}

Status Head(CommandContext& context, const std::string& ref, int64_t n) {
  KEEL_ASSIGN_OR_RETURN(auto lake, OpenLake(context));
  KEEL_ASSIGN_OR_RETURN(DatasetVersionRecord v, ResolveDatasetArg(*lake, ref));
  KEEL_ASSIGN_OR_RETURN(Table all, lake->ReadTable(v));
  const Table table = all.Slice(0, n);
  if (context.options().json) {
    json rows = json::array();
    for (int64_t r = 0; r < table.num_rows(); ++r) {
      json row = json::array();
      for (int c = 0; c < table.num_columns(); ++c) row.push_back(CellJson(table.column(c), r));
      rows.push_back(row);
    }
    context.PrintJson({{"dataset", v.dataset},
                       {"version", v.version},
                       {"columns", table.schema().names()},
                       {"rows", rows}});
    return absl::OkStatus();
  }
  std::vector<std::vector<std::string>> rows = {table.schema().names()};
  for (int64_t r = 0; r < table.num_rows(); ++r) {
    std::vector<std::string> row;
    for (int c = 0; c < table.num_columns(); ++c) {
      row.push_back(Clip(table.column(c).ValueToString(r)));
    }
    rows.push_back(std::move(row));
  }
  context.Print(FormatRows(rows));
  context.Print(absl::StrFormat("(%d of %d rows of %s@%s)", table.num_rows(), all.num_rows(),
                                v.dataset, ShortVersion(v.version)));
  return absl::OkStatus();
}

Status Export(CommandContext& context, const std::string& ref, const std::string& out) {
  const bool csv = absl::EndsWith(out, ".csv"), jsonl = absl::EndsWith(out, ".jsonl"),
             parquet = absl::EndsWith(out, ".parquet");
  if (!csv && !jsonl && !parquet) {
    return AsUsageError(absl::InvalidArgumentError(
        absl::StrCat("--out ", out, ": known export formats: .csv, .jsonl, .parquet")));
  }
  KEEL_ASSIGN_OR_RETURN(auto lake, OpenLake(context));
  KEEL_ASSIGN_OR_RETURN(DatasetVersionRecord v, ResolveDatasetArg(*lake, ref));
  KEEL_ASSIGN_OR_RETURN(Table table, lake->ReadTable(v));
  KEEL_RETURN_IF_ERROR(csv     ? WriteCsv(table, out)
                       : jsonl ? WriteJsonLines(table, out)
                               : WriteParquet(table, out));
  if (context.options().json) {
    context.PrintJson(
        {{"dataset", v.dataset}, {"version", v.version}, {"out", out}, {"rows", table.num_rows()}});
    return absl::OkStatus();
  }
  context.Print(absl::StrFormat("Wrote %s: %d rows of %s@%s", out, table.num_rows(), v.dataset,
                                ShortVersion(v.version)));
  return absl::OkStatus();
}

// One object of an objects dataset, to a file or stdout.
Status GetObject(CommandContext& context, const std::string& ref, const std::string& path,
                 const std::string& out) {
  KEEL_ASSIGN_OR_RETURN(auto lake, OpenLake(context));
  KEEL_ASSIGN_OR_RETURN(DatasetVersionRecord v, ResolveDatasetArg(*lake, ref));
  KEEL_ASSIGN_OR_RETURN(std::string bytes, ReadObject(*lake, v, path));
  if (out.empty() || out == "-") {
    std::fwrite(bytes.data(), 1, bytes.size(), stdout);
    return absl::OkStatus();
  }
  KEEL_RETURN_IF_ERROR(WriteFileAtomic(out, bytes));
  if (context.options().json) {
    context.PrintJson({{"dataset", v.dataset},
                       {"version", v.version},
                       {"path", path},
                       {"out", out},
                       {"size_bytes", bytes.size()}});
    return absl::OkStatus();
  }
  context.Print(absl::StrFormat("Wrote %s: %s of %s@%s", out,
                                Progress::FormatCount(static_cast<double>(bytes.size()), "bytes"),
                                v.dataset, ShortVersion(v.version)));
  return absl::OkStatus();
}

Status ShowProfile(CommandContext& context, const std::string& ref) {
  KEEL_ASSIGN_OR_RETURN(auto lake, OpenLake(context));
  KEEL_ASSIGN_OR_RETURN(DatasetVersionRecord v, ResolveDatasetArg(*lake, ref));
  KEEL_ASSIGN_OR_RETURN(Table table, lake->ReadTable(v));
  const TableProfile profile = ProfileTable(table);
  if (context.options().json) {
    json columns = json::array();
    for (const ColumnProfile& c : profile.columns) columns.push_back(ProfileJson(c));
    context.PrintJson({{"dataset", v.dataset},
                       {"version", v.version},
                       {"rows", profile.rows},
                       {"columns", columns}});
    return absl::OkStatus();
  }
  context.Print(absl::StrFormat("%s@%s: %d rows, %d columns", v.dataset, ShortVersion(v.version),
                                profile.rows, profile.columns.size()));
  std::vector<std::vector<std::string>> rows = {
      {"COLUMN", "TYPE", "COUNT", "NULLS", "DISTINCT", "MIN", "MAX", "MEAN", "STD", "TOP"}};
  for (const ColumnProfile& c : profile.columns) {
    std::vector<std::string> top;
    for (size_t i = 0; i < c.top_values.size() && i < 3; ++i) {
      top.push_back(
          absl::StrCat(Clip(c.top_values[i].value, 16), " (", c.top_values[i].count, ")"));
    }
    rows.push_back({c.name, std::string(DataTypeName(c.type)), Count(c.count), Count(c.nulls),
                    absl::StrCat("~", c.distinct_estimate), Clip(c.min.value_or("-"), 24),
                    Clip(c.max.value_or("-"), 24), Number(c.mean), Number(c.std),
                    absl::StrJoin(top, ", ")});
  }
  context.Print(FormatRows(rows));
  return absl::OkStatus();
}

}  // namespace

void AddDatasetsCommand(CLI::App& app, CommandContext& context) {
  CLI::App* cmd = app.add_subcommand("datasets", "List and inspect the lake's datasets");
  cmd->require_subcommand(1);

  CLI::App* list = cmd->add_subcommand("list", "Every dataset with its latest version");
  context.Bind(list, [&context]() { return List(context); });

  auto ref = std::make_shared<std::string>();
  auto add_ref = [ref](CLI::App* sub) {
    sub->add_option("dataset", *ref, "NAME, or NAME@VERSION (a version id or a unique prefix)")
        ->required()
        ->type_name("NAME[@VERSION]");
  };

  CLI::App* show = cmd->add_subcommand("show", "A version's source, size, row count and schema");
  add_ref(show);
  context.Bind(show, [&context, ref]() { return Show(context, *ref); });

  CLI::App* versions = cmd->add_subcommand("versions", "A dataset's versions, newest first");
  versions->add_option("name", *ref, "Dataset name")->required()->type_name("NAME");
  context.Bind(versions, [&context, ref]() { return Versions(context, *ref); });

  auto rows = std::make_shared<int64_t>(10);
  CLI::App* head = cmd->add_subcommand("head", "The first rows of a version");
  add_ref(head);
  head->add_option("-n,--rows", *rows, "Rows to show")
      ->capture_default_str()
      ->check(CLI::NonNegativeNumber);
  context.Bind(head, [&context, ref, rows]() { return Head(context, *ref, *rows); });

  auto out = std::make_shared<std::string>();
  CLI::App* exp = cmd->add_subcommand("export", "Write a version's table to a file");
  add_ref(exp);
  exp->add_option("--out,-o", *out, "Output file: .csv, .jsonl or .parquet")
      ->required()
      ->type_name("FILE");
  context.Bind(exp, [&context, ref, out]() { return Export(context, *ref, *out); });

  auto object_path = std::make_shared<std::string>();
  auto object_out = std::make_shared<std::string>();
  CLI::App* get = cmd->add_subcommand(
      "get", "Write one object of a dataset of objects (keel ingest --objects) to a file");
  add_ref(get);
  get->add_option("path", *object_path, "The object's path, as `datasets head` lists it")
      ->required()
      ->type_name("PATH");
  get->add_option("--out,-o", *object_out, "Output file (default: standard output)")
      ->type_name("FILE");
  context.Bind(get, [&context, ref, object_path, object_out]() {
    return GetObject(context, *ref, *object_path, *object_out);
  });

  CLI::App* profile = cmd->add_subcommand(
      "profile",
      "Per column: type, count, nulls, distinct estimate, min, max, mean, std, top values "
      "(histograms in --json)");
  add_ref(profile);
  context.Bind(profile, [&context, ref]() { return ShowProfile(context, *ref); });
}

}  // namespace keel::cli
