#include "keel/lake/lake.h"

#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <random>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "keel/base/files.h"
#include "keel/base/hash.h"
#include "keel/base/suggest.h"
#include "keel/base/time.h"
#include "keel/lake/partition.h"
#include "keel/lake/table_object.h"
#include "keel/table/json_reader.h"
#include "keel/table/parquet_reader.h"
#include "nlohmann/json.hpp"

namespace keel {
namespace {

namespace fs = std::filesystem;
using json = nlohmann::json;

// Bumped if the recipe below ever changes, so old and new ids never collide.
constexpr char kVersionRecipe[] = "keel-dataset-version-1";

// Removes a file when it goes out of scope (downloads of remote sources).
class TempFile {
 public:
  explicit TempFile(std::string path) : path_(std::move(path)) {}
  ~TempFile() {
    if (!path_.empty()) ::unlink(path_.c_str());
  }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// The parse options that change the parsed table, as canonical JSON
// (nlohmann sorts object keys).
// Column type overrides as {"name": "type"}, keys sorted.
json OverridesJson(const std::map<std::string, DataType>& overrides) {
  json j = json::object();
  for (const auto& [name, type] : overrides) j[name] = std::string(DataTypeName(type));
  return j;
}

std::string CanonicalCsvOptions(const CsvReadOptions& o) {
  const json overrides = OverridesJson(o.schema_override);
  json j = {{"delimiter", std::string(1, o.delimiter)},
            {"quote", o.quote == '\0' ? "" : std::string(1, o.quote)},
            {"has_header", o.has_header},
            {"na_values", o.na_values},
            {"quoted_strings_can_be_null", o.quoted_strings_can_be_null},
            {"schema_override", overrides},
            {"timezone", o.timezone.name()}};
  return j.dump();
}

// The JSON Lines options that change the parsed table, as canonical JSON.
std::string CanonicalJsonOptions(const IngestOptions& o) {
  const JsonReadOptions defaults;
  json j = {{"max_depth", defaults.max_depth},
            {"mongodb_extended_json", defaults.mongodb_extended_json},
            {"schema_override", OverridesJson(o.csv.schema_override)},
            {"timezone", o.csv.timezone.name()}};
  return j.dump();
}

// "csv" for .csv/.tsv/.txt, "jsonl" for .jsonl/.ndjson/.json (optionally
// compressed), "parquet" for .parquet/.pq; sets `tab` for .tsv.
StatusOr<std::string> DetectFormat(const std::string& file_name, bool* tab) {
  std::string lower = absl::AsciiStrToLower(file_name);
  for (const char* suffix : {".gz", ".zst", ".zstd"}) {
    if (absl::EndsWith(lower, suffix)) lower.resize(lower.size() - std::strlen(suffix));
  }
  if (absl::EndsWith(lower, ".csv") || absl::EndsWith(lower, ".txt")) return std::string("csv");
  if (absl::EndsWith(lower, ".tsv") || absl::EndsWith(lower, ".tab")) {
    *tab = true;
    return std::string("csv");
  }
  for (const char* ext : {".jsonl", ".ndjson", ".json"}) {
    if (absl::EndsWith(lower, ext)) return std::string("jsonl");
  }
  if (absl::EndsWith(lower, ".parquet") || absl::EndsWith(lower, ".pq")) {
    return std::string("parquet");
  }
  return absl::InvalidArgumentError(
      absl::StrCat("cannot tell the format of '", file_name,
                   "' from its name; known formats: csv, jsonl, parquet. Pass --format csv "
                   "(or jsonl, parquet)"));
}

// The version id of `v` from its raw_sha256, format and parse options
// (README.md, "Version id").
std::string VersionId(const DatasetVersionRecord& v, const std::string& partition_by) {
  return Sha256Hex(
      absl::StrCat(kVersionRecipe, "\n", v.raw_sha256, "\n", v.format, "\n", v.parse_options_json,
                   partition_by.empty() ? "" : absl::StrCat("\npartition_by=", partition_by)));
}

std::string ShortList(const std::vector<DatasetVersionRecord>& versions) {
  std::vector<std::string> ids;
  for (size_t i = 0; i < versions.size() && i < 5; ++i) {
    ids.push_back(ShortVersion(versions[i].version));
  }
  if (versions.size() > 5) ids.push_back("...");
  return absl::StrJoin(ids, ", ");
}

}  // namespace

Status ValidateDatasetName(std::string_view name) {
  if (name.empty() || name.size() > 64) {
    return absl::InvalidArgumentError(absl::StrCat(
        "dataset name '", std::string(name), "' must be 1 to 64 characters of a-z, 0-9, _ and -"));
  }
  for (size_t i = 0; i < name.size(); ++i) {
    const char c = name[i];
    const bool ok =
        (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || (i > 0 && (c == '_' || c == '-'));
    if (!ok) {
      return absl::InvalidArgumentError(absl::StrCat(
          "dataset name '", std::string(name), "': character '", std::string(1, c),
          "' at position ", i + 1,
          " is not allowed; use lowercase letters, digits, '_' and '-' (not first), e.g. '",
          absl::AsciiStrToLower(std::string(name)), "'"));
    }
  }
  return absl::OkStatus();
}

StatusOr<DatasetRef> ParseDatasetRef(std::string_view text) {
  DatasetRef ref;
  const size_t at = text.find('@');
  ref.name = std::string(text.substr(0, at));
  KEEL_RETURN_IF_ERROR(ValidateDatasetName(ref.name));
  if (at != std::string_view::npos) {
    ref.version = absl::AsciiStrToLower(std::string(text.substr(at + 1)));
    const bool hex = !ref.version.empty() &&
                     ref.version.find_first_not_of("0123456789abcdef") == std::string::npos;
    if (!hex) {
      return absl::InvalidArgumentError(
          absl::StrCat("'", std::string(text),
                       "': a version after '@' is a hex id or a prefix of one, e.g. txns@3f2a9c"));
    }
  }
  return ref;
}

std::string SchemaToJson(const Schema& schema) {
  json fields = json::array();
  for (const Field& f : schema.fields()) {
    fields.push_back(
        {{"name", f.name}, {"type", std::string(DataTypeName(f.type))}, {"nullable", f.nullable}});
  }
  return fields.dump();
}

StatusOr<Schema> SchemaFromJson(std::string_view text) {
  json j = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (!j.is_array()) return absl::InvalidArgumentError("schema JSON is not an array of fields");
  std::vector<Field> fields;
  for (const json& f : j) {
    if (!f.is_object() || !f.contains("name") || !f.contains("type")) {
      return absl::InvalidArgumentError("schema JSON: a field lacks \"name\" or \"type\"");
    }
    KEEL_ASSIGN_OR_RETURN(DataType type, ParseDataType(f["type"].get<std::string>()));
    fields.push_back({f["name"].get<std::string>(), type, f.value("nullable", true)});
  }
  return Schema::Make(std::move(fields));
}

StatusOr<std::unique_ptr<Lake>> Lake::Open(const Workspace& workspace) {
  KEEL_ASSIGN_OR_RETURN(std::unique_ptr<ObjectStore> store,
                        ObjectStoreRegistry::Builtins().Open(
                            workspace.StorageUri(), OptionsFromConfig(workspace.config())));
  KEEL_ASSIGN_OR_RETURN(std::unique_ptr<MetadataStore> registry, OpenMetadataStore(workspace));
  auto lake =
      std::make_unique<Lake>(std::move(store), std::move(registry), workspace.state_dir() + "/tmp",
                             OptionsFromConfig(workspace.config()));
  const std::string& compression = workspace.config().GetString("storage.table_compression");
  if (compression != "auto") {
    KEEL_ASSIGN_OR_RETURN(NativeCompression chosen, ParseNativeCompression(compression));
    lake->set_table_compression(chosen);
  }
  return lake;
}

Lake::Lake(std::unique_ptr<ObjectStore> store, std::unique_ptr<MetadataStore> registry,
           std::string temp_dir, ObjectStoreOptions source_options)
    : store_(std::move(store)),
      registry_(std::move(registry)),
      temp_dir_(std::move(temp_dir)),
      source_options_(std::move(source_options)) {
  // Plain tables pay off where they can be memory-mapped.
  StatusOr<std::optional<std::string>> local = store_->LocalFilePath("table.kcol");
  table_compression_ =
      local.ok() && local->has_value() ? NativeCompression::kNone : NativeCompression::kZstd;
}

StatusOr<IngestResult> Lake::Ingest(std::string_view source, std::string_view name,
                                    const IngestOptions& options) {
  KEEL_RETURN_IF_ERROR(ValidateDatasetName(name));
  // A local file to read: the source itself, or a download of a remote one.
  std::string local_path(source);
  std::unique_ptr<TempFile> download;
  if (source.find("://") != std::string_view::npos) {
    KEEL_ASSIGN_OR_RETURN(StorageUri uri, ParseStorageUri(source));
    if (uri.scheme == "file") {
      local_path = uri.path;
    } else {
      KEEL_ASSIGN_OR_RETURN(std::unique_ptr<ObjectStore> remote,
                            ObjectStoreRegistry::Builtins().Open(
                                absl::StrCat(uri.scheme, "://", uri.authority), source_options_));
      KEEL_RETURN_IF_ERROR(MakeDirs(temp_dir_));
      download = std::make_unique<TempFile>(absl::StrCat(temp_dir_, "/ingest-", ::getpid(), "-",
                                                         std::random_device{}(), ".download"));
      KEEL_RETURN_IF_ERROR(remote->GetToFile(uri.path, download->path()));
      local_path = download->path();
    }
  }
  const std::string file_name = fs::path(std::string(source)).filename().string();
  if (file_name.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("'", std::string(source), "' does not name a file"));
  }
  if (IsDirectory(local_path)) {
    return absl::InvalidArgumentError(
        absl::StrCat(local_path, " is a folder; ingest one file at a time"));
  }

  CsvReadOptions csv = options.csv;
  std::string format = options.format;
  if (format == "auto") {
    bool tab = false;
    KEEL_ASSIGN_OR_RETURN(format, DetectFormat(file_name, &tab));
    if (tab && !options.delimiter_set) csv.delimiter = '\t';
  } else if (format != "csv" && format != "jsonl" && format != "parquet") {
    return absl::InvalidArgumentError(
        absl::StrCat("unknown format '", format, "'; known: auto, csv, jsonl, parquet"));
  }

  std::error_code ec;
  const int64_t size = static_cast<int64_t>(fs::file_size(local_path, ec));
  KEEL_ASSIGN_OR_RETURN(std::string raw_sha256, Sha256HexOfFile(local_path));
  // One pass over the bytes each to hash, parse and upload: a third each.
  // (Created once the file is known to be readable.)
  Progress progress(absl::StrCat("ingest ", std::string(name)), ec ? 0 : size, "bytes",
                    options.progress);
  progress.Set(size / 3);

  DatasetVersionRecord v;
  v.dataset = std::string(name);
  v.format = format;
  v.parse_options_json = format == "csv"     ? CanonicalCsvOptions(csv)
                         : format == "jsonl" ? CanonicalJsonOptions(options)
                                             : std::string("{}");
  v.raw_sha256 = raw_sha256;
  v.raw_size_bytes = size;
  v.version = VersionId(v, options.partition_by);

  KEEL_ASSIGN_OR_RETURN(std::optional<IngestResult> recorded, FindRecorded(v));
  if (recorded) {
    progress.Set(size);
    progress.Finish();
    return *std::move(recorded);
  }

  // Parse before writing anything, so bad input leaves no trace.
  StatusOr<Table> parsed;
  if (format == "csv") {
    parsed = ReadCsv(local_path, csv);
  } else if (format == "jsonl") {
    JsonReadOptions json_options;
    json_options.schema_override = options.csv.schema_override;
    json_options.timezone = options.csv.timezone;
    parsed = ReadJsonLines(local_path, json_options);
  } else {
    parsed = ReadParquet(local_path);
  }
  KEEL_ASSIGN_OR_RETURN(Table table, std::move(parsed));
  progress.Set(2 * size / 3);

  v.source = std::string(source);
  const auto put_raw = [&](const std::string& key) { return store_->PutFile(key, local_path); };
  KEEL_ASSIGN_OR_RETURN(IngestResult result, WriteVersion(std::move(v), table, file_name, put_raw,
                                                          options.partition_by));
  progress.Set(size);
  progress.Finish();
  return result;
}

StatusOr<IngestResult> Lake::IngestTable(const Table& table, const TableSource& source,
                                         std::string_view name, const IngestOptions& options) {
  KEEL_RETURN_IF_ERROR(ValidateDatasetName(name));
  if (source.raw_name.empty() || source.raw_name.find('/') != std::string::npos) {
    return absl::InvalidArgumentError(absl::StrCat(
        "the raw object of a table source needs a plain file name, not '", source.raw_name, "'"));
  }
  Progress progress(absl::StrCat("ingest ", std::string(name)), table.num_rows(), "rows",
                    options.progress);
  KEEL_ASSIGN_OR_RETURN(std::string table_sha256, TableObjectSha256(table, table_compression_));
  DatasetVersionRecord v;
  v.dataset = std::string(name);
  v.format = source.format;
  v.parse_options_json = json{{"table_sha256", table_sha256}}.dump();
  v.raw_sha256 = Sha256Hex(source.raw_bytes);
  v.raw_size_bytes = static_cast<int64_t>(source.raw_bytes.size());
  v.version = VersionId(v, options.partition_by);
  KEEL_ASSIGN_OR_RETURN(std::optional<IngestResult> recorded, FindRecorded(v));
  if (recorded) {
    progress.Set(table.num_rows());
    progress.Finish();
    return *std::move(recorded);
  }
  v.source = source.source;
  const auto put_raw = [&](const std::string& key) { return store_->Put(key, source.raw_bytes); };
  KEEL_ASSIGN_OR_RETURN(IngestResult result, WriteVersion(std::move(v), table, source.raw_name,
                                                          put_raw, options.partition_by));
  progress.Set(table.num_rows());
  progress.Finish();
  return result;
}

StatusOr<std::optional<IngestResult>> Lake::FindRecorded(const DatasetVersionRecord& v) {
  KEEL_ASSIGN_OR_RETURN(std::vector<DatasetVersionRecord> existing,
                        registry_->FindDatasetVersions(v.dataset, v.version));
  if (existing.empty()) return std::nullopt;
  IngestResult result;
  result.version = existing.front();
  KEEL_ASSIGN_OR_RETURN(result.schema, SchemaFromJson(result.version.schema_json));
  result.unchanged = true;
  return result;
}

StatusOr<IngestResult> Lake::WriteVersion(DatasetVersionRecord v, const Table& table,
                                          std::string_view raw_name,
                                          const std::function<Status(const std::string&)>& put_raw,
                                          const std::string& partition_by) {
  const std::string prefix = absl::StrCat("datasets/", v.dataset, "/", v.version, "/");
  v.raw_keys = {absl::StrCat(prefix, "raw/", std::string(raw_name))};
  std::vector<Partition> partitions;
  if (partition_by.empty()) {
    v.table_key = prefix + "table.kcol";
  } else {
    KEEL_ASSIGN_OR_RETURN(partitions, PartitionTable(table, partition_by));
    v.table_key = prefix + "table";
    v.partition_column = partition_by;
  }
  KEEL_RETURN_IF_ERROR(put_raw(v.raw_keys[0]));
  if (v.partition_column.empty()) {
    KEEL_RETURN_IF_ERROR(PutTableObject(*store_, v.table_key, table, table_compression_));
  }
  for (const Partition& part : partitions) {
    KEEL_RETURN_IF_ERROR(
        PutTableObject(*store_, absl::StrCat(v.table_key, "/", part.path_segment, "/part.kcol"),
                       part.table, table_compression_));
  }

  IngestResult result;
  v.created_at_us = NowMicros();
  v.row_count = table.num_rows();
  v.schema_json = SchemaToJson(table.schema());
  result.schema = table.schema();
  KEEL_ASSIGN_OR_RETURN(bool added, registry_->AddDatasetVersion(v));
  result.version = std::move(v);
  result.unchanged = !added;  // a concurrent ingest of the same bytes won
  return result;
}

Status Lake::DatasetNotFound(std::string_view name) {
  KEEL_ASSIGN_OR_RETURN(std::vector<DatasetRecord> all, registry_->ListDatasets());
  std::vector<std::string> names;
  for (const DatasetRecord& d : all) names.push_back(d.name);
  return absl::NotFoundError(absl::StrCat(
      "no dataset named '", std::string(name), "'.", DidYouMean(name, names),
      names.empty() ? " The lake is empty; add one with 'keel ingest FILE --name NAME'."
                    : absl::StrCat(" Datasets: ", absl::StrJoin(names, ", "), ".")));
}

StatusOr<DatasetVersionRecord> Lake::Resolve(std::string_view text) {
  KEEL_ASSIGN_OR_RETURN(DatasetRef ref, ParseDatasetRef(text));
  return Resolve(ref);
}

StatusOr<DatasetVersionRecord> Lake::Resolve(const DatasetRef& ref) {
  KEEL_ASSIGN_OR_RETURN(std::vector<DatasetVersionRecord> all,
                        registry_->ListDatasetVersions(ref.name));
  if (all.empty()) return DatasetNotFound(ref.name);
  if (ref.version.empty()) return all.front();
  KEEL_ASSIGN_OR_RETURN(std::vector<DatasetVersionRecord> found,
                        registry_->FindDatasetVersions(ref.name, ref.version));
  if (found.size() == 1) return found.front();
  if (found.empty()) {
    return absl::NotFoundError(absl::StrCat("dataset '", ref.name, "' has no version '",
                                            ref.version,
                                            "'; versions (newest first): ", ShortList(all)));
  }
  return absl::InvalidArgumentError(
      absl::StrCat("version prefix '", ref.version, "' of dataset '", ref.name, "' matches ",
                   found.size(), " versions (", ShortList(found), "); give more characters"));
}

StatusOr<Table> Lake::ReadTable(const DatasetVersionRecord& version) {
  if (version.partition_column.empty()) return GetTableObject(*store_, version.table_key);
  KEEL_ASSIGN_OR_RETURN(std::vector<ObjectInfo> objects, store_->List(version.table_key + "/"));
  std::vector<Table> parts;
  for (const ObjectInfo& object : objects) {
    if (!absl::EndsWith(object.key, "/part.kcol")) continue;
    KEEL_ASSIGN_OR_RETURN(Table part, GetTableObject(*store_, object.key));
    parts.push_back(std::move(part));
  }
  if (parts.empty()) {  // a zero-row table has no partition
    KEEL_ASSIGN_OR_RETURN(Schema schema, SchemaFromJson(version.schema_json));
    std::vector<Column> columns;
    for (const Field& f : schema.fields()) columns.push_back(ColumnBuilder(f.type).Finish());
    return Table::Make(schema, std::move(columns));
  }
  return ConcatTables(parts);
}

StatusOr<std::vector<DatasetRecord>> Lake::List() { return registry_->ListDatasets(); }

StatusOr<std::vector<DatasetVersionRecord>> Lake::Versions(std::string_view name) {
  KEEL_RETURN_IF_ERROR(ValidateDatasetName(name));
  KEEL_ASSIGN_OR_RETURN(std::vector<DatasetVersionRecord> all,
                        registry_->ListDatasetVersions(name));
  if (all.empty()) return DatasetNotFound(name);
  return all;
}

}  // namespace keel
