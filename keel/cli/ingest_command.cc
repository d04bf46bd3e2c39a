// keel ingest: add a file, or the result of a SQL query, to the lake as a
// new (or unchanged) dataset version.
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "keel/base/files.h"
#include "keel/base/hash.h"
#include "keel/base/time.h"
#include "keel/cli/commands.h"
#include "keel/cli/lake_json.h"
#include "keel/lake/lake.h"
#include "keel/lake/objects.h"
#include "keel/sql/sql_source.h"

namespace keel::cli {
namespace {

// "," ";" "|" "\t" "tab" -> the byte.
StatusOr<char> ParseDelimiter(const std::string& text) {
  if (text == "\\t" || text == "tab" || text == "\t") return '\t';
  if (text.size() == 1 && text[0] != '\n' && text[0] != '\r' && text[0] != '"') return text[0];
  return AsUsageError(absl::InvalidArgumentError(absl::StrCat(
      "--delimiter: '", text, "' is not one character; write e.g. ',', ';', '|' or 'tab'")));
}

struct IngestArgs {
  std::string source;
  std::string name;
  std::string format = "auto";
  std::string delimiter;
  bool no_header = false;
  std::string timezone;
  std::string partition_by;
  std::string query;
  std::string query_file;
  bool objects = false;
};

// The query for a SQL source, from --query or --query-file. Errors: usage
// errors for a missing query and for file-only flags.
StatusOr<std::string> SqlQueryText(const IngestArgs& args) {
  const std::string shown = RedactUri(args.source);
  for (const auto& [set, flag] :
       {std::pair{args.format != "auto", "--format"},
        std::pair{!args.delimiter.empty(), "--delimiter"}, std::pair{args.no_header, "--no-header"},
        std::pair{!args.timezone.empty(), "--timezone"}}) {
    if (set) {
      return AsUsageError(absl::InvalidArgumentError(absl::StrCat(
          flag, " applies to files; ", shown, " is a SQL source, whose result has its types")));
    }
  }
  if (!args.query_file.empty()) {
    StatusOr<std::string> text = ReadFile(args.query_file);
    if (!text.ok()) return AsUsageError(Annotate(text.status(), "--query-file"));
    return text;
  }
  if (args.query.empty()) {
    return AsUsageError(absl::InvalidArgumentError(
        absl::StrCat(shown, " is a SQL source: give the query to run with --query \"SELECT ...\" ",
                     "or --query-file FILE")));
  }
  return args.query;
}

// Runs the query and ingests its result; the raw object is the query text
// with the (redacted) source.
StatusOr<IngestResult> IngestQuery(Lake& lake, const IngestArgs& args, const std::string& query,
                                   const IngestOptions& options) {
  KEEL_ASSIGN_OR_RETURN(std::unique_ptr<SqlSource> db,
                        SqlSourceRegistry::Builtins().Open(args.source, SqlOptions()));
  KEEL_ASSIGN_OR_RETURN(Table table, db->Query(query));
  const TableSource source{.format = std::string(db->engine()),
                           .source = db->redacted_uri(),
                           .raw_name = "query.sql",
                           .raw_bytes = QueryRecordText(db->engine(), db->redacted_uri(), query)};
  return lake.IngestTable(table, source, args.name, options);
}

}  // namespace

void AddIngestCommand(CLI::App& app, CommandContext& context) {
  auto args = std::make_shared<IngestArgs>();
  CLI::App* cmd = app.add_subcommand(
      "ingest",
      "Add a file, or the result of a SQL query, to the lake as a dataset version: the raw bytes "
      "(for a query: its text and source) are kept as they came, the parsed table is stored "
      "beside them, and the version is named by content hash (the same input again is reported "
      "unchanged)");
  cmd->add_option("source", args->source,
                  "Local file, file://, s3://BUCKET/KEY, or a database to query: "
                  "sqlite://REL.db, sqlite:///ABS.db, postgresql://USER[:PASS]@HOST:PORT/DB "
                  "(password also from PGPASSWORD; never recorded)")
      ->required()
      ->type_name("FILE|URI|sqlite://...|postgresql://...");
  cmd->add_option("--name,-n", args->name, "Dataset name: a-z, 0-9, '_' and '-'")
      ->required()
      ->type_name("NAME");
  cmd->add_option("--format", args->format, "auto (from the file name), csv, jsonl or parquet")
      ->capture_default_str()
      ->check(CLI::IsMember({"auto", "csv"}));
  cmd->add_option("--delimiter", args->delimiter,
                  "CSV field delimiter (default ',', or tab for .tsv)")
      ->type_name("C");
  cmd->add_flag("--no-header", args->no_header,
                "The first row is data; columns are named column_1, column_2, ...");
  cmd->add_option("--timezone", args->timezone,
                  "Zone of timestamps written without an offset (default UTC)")
      ->type_name("ZONE");

  cmd->add_option("--partition-by", args->partition_by,
                  "Store the table as one file per distinct value of this column")
      ->type_name("COL");
  CLI::Option* query =
      cmd->add_option("--query,-q", args->query,
                      "SQL source: the query to run (one read-only statement); its result "
                      "columns keep the database's types")
          ->type_name("SQL");
  cmd->add_option("--query-file", args->query_file, "SQL source: read the query from this file")
      ->type_name("FILE")
      ->excludes(query);

  cmd->add_flag("--objects", args->objects,
                "Keep the file, or every file under the folder, as objects (images, text, any "
                "bytes) with their size, content type and hash, listed as a dataset of objects");

  context.Bind(cmd, [&context, args]() -> Status {
    if (Status s = ValidateDatasetName(args->name); !s.ok()) {
      return AsUsageError(Annotate(s, "--name"));
    }
    const bool sql = IsSqlUri(args->source);
    if (args->objects && sql) {
      return AsUsageError(
          absl::InvalidArgumentError("--objects takes a file or folder, not a SQL source"));
    }
    std::string query_text;
    if (sql) {
      KEEL_ASSIGN_OR_RETURN(query_text, SqlQueryText(*args));
    } else if (!args->query.empty() || !args->query_file.empty()) {
      return AsUsageError(absl::InvalidArgumentError(
          absl::StrCat("--query needs a SQL source (sqlite://PATH.db or postgresql://...), not '",
                       args->source, "'")));
    }
    IngestOptions options;
    options.format = args->format;
    if (!args->delimiter.empty()) {
      KEEL_ASSIGN_OR_RETURN(options.csv.delimiter, ParseDelimiter(args->delimiter));
      options.delimiter_set = true;
    }
    options.csv.has_header = !args->no_header;
    if (!args->timezone.empty()) {
      StatusOr<TimeZone> zone = TimeZone::Load(args->timezone);
      if (!zone.ok()) return AsUsageError(Annotate(zone.status(), "--timezone"));
      options.csv.timezone = *zone;
    }
    options.partition_by = args->partition_by;
    options.progress = context.progress_options();

    KEEL_ASSIGN_OR_RETURN(Workspace * workspace, context.workspace());
    KEEL_ASSIGN_OR_RETURN(std::unique_ptr<Lake> lake, Lake::Open(*workspace));
    StatusOr<IngestResult> ingested = args->objects
                                          ? IngestObjects(*lake, args->source, args->name,
                                                          {.progress = context.progress_options()})
                                      : sql ? IngestQuery(*lake, *args, query_text, options)
                                            : lake->Ingest(args->source, args->name, options);
    if (!ingested.ok() && !args->objects && !sql && IsDirectory(args->source)) {
      return absl::InvalidArgumentError(
          absl::StrCat(args->source,
                       " is a folder: ingest a table one file at a time, or keep the folder's "
                       "files as objects with --objects"));
    }
    KEEL_ASSIGN_OR_RETURN(IngestResult result, std::move(ingested));

    const DatasetVersionRecord& v = result.version;
    if (context.options().json) {
      nlohmann::json j = VersionJson(v);
      j["unchanged"] = result.unchanged;
      context.PrintJson(j);
      return absl::OkStatus();
    }
    const std::string ref = absl::StrCat(v.dataset, "@", ShortVersion(v.version));
    const std::string shape =
        absl::StrFormat("%d row%s, %d column%s, %s raw", v.row_count, v.row_count == 1 ? "" : "s",
                        result.schema.num_fields(), result.schema.num_fields() == 1 ? "" : "s",
                        Progress::FormatCount(static_cast<double>(v.raw_size_bytes), "bytes"));
    if (result.unchanged) {
      context.Print(absl::StrCat(ref, " unchanged: this exact data is already recorded (", shape,
                                 ", ingested ", FormatRfc3339(v.created_at_us), ")"));
    } else {
      context.Print(absl::StrCat("Ingested ", ref, ": ", shape));
      if (sql) {
        context.Print(absl::StrCat("  source: ", v.source, " (query in ", v.raw_keys[0], ")"));
      }
      if (args->objects) {
        context.Print(absl::StrCat("  objects: keel datasets head ", v.dataset,
                                   "; one of them: keel datasets get ", v.dataset,
                                   " PATH -o FILE"));
      } else {
        context.Print(absl::StrCat("  schema: ", result.schema.ToString()));
      }
      context.Print(absl::StrCat("  next:   keel datasets show ", v.dataset,
                                 "; keel datasets profile ", v.dataset));
    }
    return absl::OkStatus();
  });
}

}  // namespace keel::cli
