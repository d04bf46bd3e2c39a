// keel ingest: add a file to the lake as a new (or unchanged) dataset version.
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "keel/base/hash.h"
#include "keel/base/time.h"
#include "keel/cli/commands.h"
#include "keel/cli/lake_json.h"
#include "keel/lake/lake.h"

namespace keel::cli {
namespace {

// "," ";" "|" "\t" "tab" -> the byte.
StatusOr<char> ParseDelimiter(const std::string& text) {
  if (text == "\\t" || text == "tab" || text == "\t") return '\t';
  if (text.size() == 1 && text[0] != '\n' && text[0] != '\r' && text[0] != '"') return text[0];
  return AsUsageError(absl::InvalidArgumentError(absl::StrCat(
      "--delimiter: '", text, "' is not one character; write e.g. ',', ';', '|' or 'tab'")));
}

}  // namespace

void AddIngestCommand(CLI::App& app, CommandContext& context) {
  struct Args {
    std::string source;
    std::string name;
    std::string format = "auto";
    std::string delimiter;
    bool no_header = false;
    std::string timezone;
    std::string partition_by;
  };
  auto args = std::make_shared<Args>();
  CLI::App* cmd = app.add_subcommand(
      "ingest",
      "Add a file to the lake as a dataset version: the raw bytes are kept as they came, the "
      "parsed table is stored beside them, and the version is named by content hash (the same "
      "input again is reported unchanged)");
  cmd->add_option("source", args->source, "Local file, file:// or s3://BUCKET/KEY")
      ->required()
      ->type_name("FILE|URI");
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

  context.Bind(cmd, [&context, args]() -> Status {
    if (Status s = ValidateDatasetName(args->name); !s.ok()) {
      return AsUsageError(Annotate(s, "--name"));
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
    KEEL_ASSIGN_OR_RETURN(IngestResult result, lake->Ingest(args->source, args->name, options));

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
      context.Print(absl::StrCat("  schema: ", result.schema.ToString()));
      context.Print(absl::StrCat("  next:   keel datasets show ", v.dataset,
                                 "; keel datasets profile ", v.dataset));
    }
    return absl::OkStatus();
  });
}

}  // namespace keel::cli
