// The data lake: datasets as immutable versions named by content hash. Each
// version keeps the raw bytes exactly as they came and the parsed table (a
// native columnar file) in the object store; the registry records it, and is
// the single source of which versions exist.
//
//   KEEL_ASSIGN_OR_RETURN(auto lake, Lake::Open(workspace));
//   KEEL_ASSIGN_OR_RETURN(IngestResult r, lake->Ingest("txns.csv", "txns", {}));
//   KEEL_ASSIGN_OR_RETURN(DatasetVersionRecord v, lake->Resolve("txns@3f2a"));
//   KEEL_ASSIGN_OR_RETURN(Table t, lake->ReadTable(v));
//
// Object layout (keys in the workspace's object store):
//   datasets/<name>/<version>/raw/<original file name>   the bytes as given
//   datasets/<name>/<version>/table.kcol                  the parsed table
//   datasets/<name>/<version>/table/<col>=<value>/part.kcol  (partitioned)
#ifndef KEEL_LAKE_LAKE_H_
#define KEEL_LAKE_LAKE_H_

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "keel/base/progress.h"
#include "keel/base/status.h"
#include "keel/base/workspace.h"
#include "keel/registry/metadata_store.h"
#include "keel/storage/object_store.h"
#include "keel/table/csv_reader.h"
#include "keel/table/native_file.h"
#include "keel/table/schema.h"
#include "keel/table/table.h"

namespace keel {

// Dataset names: 1 to 64 characters of [a-z0-9_-], starting with a letter or
// digit. Errors: InvalidArgument naming the offending character and the rule.
Status ValidateDatasetName(std::string_view name);

// "name" or "name@version" (a version id or a unique prefix of one).
struct DatasetRef {
  std::string name;
  std::string version;  // empty: the latest
};
// Errors: InvalidArgument for an empty name, an invalid name, or an empty
// or non-hex version after '@'.
StatusOr<DatasetRef> ParseDatasetRef(std::string_view text);

struct IngestOptions {
  // "auto" (from the file name: .csv/.tsv/.txt, .jsonl/.ndjson/.json,
  // optionally .gz/.zst; .parquet/.pq), "csv", "jsonl" or "parquet".
  std::string format = "auto";
  // CSV parsing; the fields that change the parsed table (delimiter, quote,
  // header, null tokens, quoted-null rule, overrides, time zone) are part of
  // the version id. A .tsv file gets '\t' unless `delimiter_set`. JSON Lines
  // uses the overrides and time zone from here too.
  CsvReadOptions csv;
  bool delimiter_set = false;
  // When set, the table is stored as one native file per distinct value of
  // this column, under table/<column>=<value>/part.kcol (values outside
  // [A-Za-z0-9._-] %-encoded); ReadTable() returns the partitions one after
  // the other (rows grouped by value). Part of the version id.
  std::string partition_by;
  // Progress over the raw bytes (hash, parse, upload); off by default.
  ProgressOptions progress{.mode = ProgressMode::kOff};
};

// Where a table ingested with Lake::IngestTable came from (a SQL query):
// what the version records instead of a file.
struct TableSource {
  // Recorded as the version's format, e.g. "sqlite", "postgresql".
  std::string format;
  // Recorded as the version's source. Must hold no secret (pass a URI with
  // its password redacted).
  std::string source;
  // The raw object, kept unchanged as raw/<raw_name> (for a query: its text
  // with a header naming the source, keel/sql QueryRecordText).
  std::string raw_name;
  std::string raw_bytes;
};

struct IngestResult {
  DatasetVersionRecord version;
  Schema schema;
  // True when this dataset already had this exact version: nothing was
  // written.
  bool unchanged = false;
};

// One workspace's lake. Not thread-safe (it holds one registry
// connection); open one per thread.
class Lake {
 public:
  // Opens the object store at storage.uri and the registry at registry.uri.
  static StatusOr<std::unique_ptr<Lake>> Open(const Workspace& workspace);
  // For tests: any store and registry. `temp_dir` holds downloads of
  // object-store sources while they are ingested; `source_options` open
  // those sources (credentials, endpoint).
  Lake(std::unique_ptr<ObjectStore> store, std::unique_ptr<MetadataStore> registry,
       std::string temp_dir, ObjectStoreOptions source_options = OptionsFromEnv());

  // Ingests the file at `source`: a local path, file:// URI or an object
  // store URI (s3://bucket/key). Steps: hash the bytes, stop with
  // `unchanged` when the version exists, parse (nothing is written when
  // parsing fails), write the raw bytes and the table, then record the
  // version in one registry transaction. A crash before that commit leaves
  // unreferenced objects under the version's prefix but no visible version.
  // Errors: InvalidArgument for a bad name or options and for input the
  // reader rejects ("<file>:<line>:<column>: ..."); NotFound for a missing
  // source; store and registry errors.
  StatusOr<IngestResult> Ingest(std::string_view source, std::string_view name,
                                const IngestOptions& options);

  // Ingests a table that was made elsewhere (a SQL query's result), with
  // `source` standing for the file: raw/<source.raw_name> holds
  // source.raw_bytes and table.kcol (or the partitions) the table. Version
  // id = SHA-256 of "keel-dataset-version-1\n" + sha256(raw bytes) + "\n" +
  // format + "\n" + {"table_sha256": SHA-256 of the table's native file,
  // in table_compression()}
  // (that JSON is the version's parse_options_json) + the partition column:
  // the same rows from the same query and source are `unchanged`. Of
  // `options`, only partition_by and progress apply. Same order and
  // atomicity as Ingest. Errors: InvalidArgument for a bad name, an empty
  // raw_name or a bad partition column; store and registry errors.
  StatusOr<IngestResult> IngestTable(const Table& table, const TableSource& source,
                                     std::string_view name, const IngestOptions& options);

  // Finds a version. Errors: NotFound for an unknown dataset (with the
  // closest names) or version (with the versions that exist);
  // InvalidArgument for a prefix matching several versions.
  StatusOr<DatasetVersionRecord> Resolve(std::string_view ref);
  StatusOr<DatasetVersionRecord> Resolve(const DatasetRef& ref);

  // The parsed table of a version.
  StatusOr<Table> ReadTable(const DatasetVersionRecord& version);

  // Every dataset with its latest version, by name.
  StatusOr<std::vector<DatasetRecord>> List();
  // The versions of `name`, newest first. Errors: NotFound as Resolve.
  StatusOr<std::vector<DatasetVersionRecord>> Versions(std::string_view name);

  ObjectStore& store() { return *store_; }
  MetadataStore& registry() { return *registry_; }

  // How new versions store their parsed table (storage.table_compression):
  // by default plain on a local store (read back zero-copy through a memory
  // map) and zstd on a remote one (fewer bytes over the network).
  NativeCompression table_compression() const { return table_compression_; }
  void set_table_compression(NativeCompression compression) { table_compression_ = compression; }

 private:
  Status DatasetNotFound(std::string_view name);
  // `v` as already recorded (with its schema, `unchanged` set), or nullopt.
  StatusOr<std::optional<IngestResult>> FindRecorded(const DatasetVersionRecord& v);
  // The write path of every ingest: fills `v`'s keys, puts the raw object
  // with `put_raw(key)`, the table (whole, or one file per partition),
  // then records `v` in one registry transaction.
  StatusOr<IngestResult> WriteVersion(DatasetVersionRecord v, const Table& table,
                                      std::string_view raw_name,
                                      const std::function<Status(const std::string&)>& put_raw,
                                      const std::string& partition_by);

  std::unique_ptr<ObjectStore> store_;
  std::unique_ptr<MetadataStore> registry_;
  std::string temp_dir_;
  ObjectStoreOptions source_options_;
  NativeCompression table_compression_ = NativeCompression::kZstd;
};

// The schema as JSON text, [{"name":..,"type":..,"nullable":..}, ...], and
// back. Errors: InvalidArgument for malformed JSON or an unknown type.
std::string SchemaToJson(const Schema& schema);
StatusOr<Schema> SchemaFromJson(std::string_view json);

}  // namespace keel

#endif  // KEEL_LAKE_LAKE_H_
