// The registry: the metadata store every module records into, and the single
// source of what exists. This header holds the back-end-neutral interface
// and its records; `OpenMetadataStore` picks the back-end from the URI
// scheme (sqlite:// today; postgresql:// later implements the same class).
//
//   KEEL_ASSIGN_OR_RETURN(auto store, OpenMetadataStore(workspace));
//   KEEL_ASSIGN_OR_RETURN(bool added, store->AddDatasetVersion(record));
#ifndef KEEL_REGISTRY_METADATA_STORE_H_
#define KEEL_REGISTRY_METADATA_STORE_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "keel/base/status.h"
#include "keel/base/workspace.h"

namespace keel {

// One immutable version of a dataset. Strings holding JSON are kept as text:
// the registry stores them, the lake gives them meaning.
struct DatasetVersionRecord {
  std::string dataset;                // [a-z0-9_-]+
  std::string version;                // 64 lowercase hex characters
  int64_t created_at_us = 0;          // microseconds since the Unix epoch
  std::string source;                 // what the user named: path or URI
  std::vector<std::string> raw_keys;  // object keys of the bytes as they came
  int64_t raw_size_bytes = 0;
  std::string raw_sha256;  // hex SHA-256 of the raw bytes
  std::string format;      // "csv"
  int64_t row_count = 0;
  std::string schema_json;         // [{"name","type","nullable"}, ...]
  std::string parse_options_json;  // canonical parse options
  std::string table_key;           // object key of the parsed table
  std::string partition_column;    // empty: not partitioned
};

struct DatasetRecord {
  std::string name;
  int64_t created_at_us = 0;
  int64_t version_count = 0;
  // The newest version (by the order versions were added).
  DatasetVersionRecord latest;
};

// Thread safety: an instance is not thread-safe; open one per thread.
// Several processes may use one store at once (writes are transactions).
// Errors common to every call: Unavailable when the store stays locked or
// unreachable past its timeout; Internal for anything unexpected.
class MetadataStore {
 public:
  virtual ~MetadataStore() = default;

  // The URI the store was opened at, for messages.
  virtual const std::string& uri() const = 0;
  // The schema version in force (the last migration applied).
  virtual int schema_version() const = 0;

  // Records `record` (and its dataset, when new) in one transaction. Returns
  // false and changes nothing when the dataset already has this version.
  virtual StatusOr<bool> AddDatasetVersion(const DatasetVersionRecord& record) = 0;
  // Every dataset, sorted by name.
  virtual StatusOr<std::vector<DatasetRecord>> ListDatasets() = 0;
  // The versions of `dataset`, newest first; empty when it does not exist.
  virtual StatusOr<std::vector<DatasetVersionRecord>> ListDatasetVersions(
      std::string_view dataset) = 0;
  // The versions of `dataset` whose id starts with `prefix`, newest first.
  virtual StatusOr<std::vector<DatasetVersionRecord>> FindDatasetVersions(
      std::string_view dataset, std::string_view prefix) = 0;
};

// Opens the store at `uri`: "sqlite://PATH" (PATH relative to `base_dir`
// unless absolute; its folder is created) and runs pending migrations.
// Errors: InvalidArgument for an unknown scheme ("known: sqlite"),
// FailedPrecondition for a registry written by a newer keel.
StatusOr<std::unique_ptr<MetadataStore>> OpenMetadataStore(std::string_view uri,
                                                           const std::string& base_dir);
// The workspace's registry.uri, relative paths resolved against its root.
StatusOr<std::unique_ptr<MetadataStore>> OpenMetadataStore(const Workspace& workspace);

}  // namespace keel

#endif  // KEEL_REGISTRY_METADATA_STORE_H_
