// The registry: the metadata store every module records into, and the single
// source of what exists. This header holds the back-end-neutral interface
// and the dataset records (run and model records are in records.h);
// `OpenMetadataStore` picks the back-end from the URI
// scheme (sqlite:// today; postgresql:// later implements the same class).
//
//   KEEL_ASSIGN_OR_RETURN(auto store, OpenMetadataStore(workspace));
//   KEEL_ASSIGN_OR_RETURN(bool added, store->AddDatasetVersion(record));
#ifndef KEEL_REGISTRY_METADATA_STORE_H_
#define KEEL_REGISTRY_METADATA_STORE_H_

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "keel/base/status.h"
#include "keel/base/workspace.h"
#include "keel/registry/records.h"

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

  // ---- Runs. Writes take a full run id; a run may be written to after it
  // ended (artifacts uploaded last). Errors common to them: NotFound for an
  // unknown run id.

  // Records a new run in `run.experiment` ("" = "default"; the experiment is
  // created on first use) with a fresh random id, status running, end_us 0,
  // start_us = now unless set, and `run.params`, `run.tags`, `run.artifacts`.
  // Returns the run as stored. Errors: InvalidArgument for an invalid
  // experiment name or an empty param/tag key.
  virtual StatusOr<RunRecord> CreateRun(const RunRecord& run) = 0;
  // Params are write-once: logging a key again with the same value is a
  // no-op, with another value InvalidArgument naming both (so a run's params
  // always describe what it trained with). One transaction.
  virtual Status LogParams(std::string_view run_id,
                           const std::map<std::string, std::string>& params) = 0;
  // Tags are mutable: sets (creates or replaces) each one. One transaction.
  virtual Status SetTags(std::string_view run_id,
                         const std::map<std::string, std::string>& tags) = 0;
  // Records every point in one transaction with one prepared statement (1000
  // rounds of several metrics is one call). A point logged again at the same
  // key and step replaces the earlier one; timestamp_us 0 means now. NaN is
  // kept. Errors: InvalidArgument for an empty key (nothing recorded).
  virtual Status LogMetrics(std::string_view run_id, const std::vector<MetricPoint>& points) = 0;
  // Appends an artifact's object key (adding one twice keeps one).
  virtual Status AddArtifact(std::string_view run_id, std::string_view key) = 0;
  // Marks the run finished, failed or killed at now (end_us) with `error`.
  // Errors: InvalidArgument for kRunning; FailedPrecondition when the run
  // already ended (naming its status).
  virtual Status EndRun(std::string_view run_id, RunStatus status, std::string_view error = "") = 0;
  // A run by full id or a unique prefix of one (hex). Errors: NotFound;
  // InvalidArgument for a prefix that is not hex or matches several runs
  // (listing some of them).
  virtual StatusOr<RunRecord> GetRun(std::string_view run_id_or_unique_prefix) = 0;
  // Runs of `experiment` ("" = every experiment), newest first (by start),
  // at most `limit` (<= 0: all). Errors: NotFound for an unknown experiment,
  // with a did-you-mean and the experiments that exist.
  virtual StatusOr<std::vector<RunRecord>> ListRuns(std::string_view experiment, int64_t limit) = 0;
  // The points of metric `key` of a run (full id or unique prefix), by step;
  // empty when the run never logged `key`. Errors: as GetRun.
  virtual StatusOr<std::vector<MetricPoint>> GetMetricHistory(std::string_view run_id,
                                                              std::string_view key) = 0;
  // Every experiment name, sorted.
  virtual StatusOr<std::vector<std::string>> ListExperiments() = 0;

  // ---- Models. Versions are never removed or renumbered.

  // Registers a new version of `record.model` (creating the model on first
  // use): version = highest + 1, assigned inside the write transaction so
  // concurrent writers (threads or processes) get distinct numbers with no
  // gaps; created_at_us = now unless set; `aliases` is ignored. Returns the
  // version as stored. Errors: InvalidArgument for an invalid model name or an
  // empty bundle_key; NotFound when run_id, or dataset@dataset_version, is set
  // but not in the registry (lineage must point at something real).
  virtual StatusOr<ModelVersionRecord> AddModelVersion(const ModelVersionRecord& record) = 0;
  // Every model, sorted by name.
  virtual StatusOr<std::vector<ModelRecord>> ListModels() = 0;
  // The versions of `model`, newest first. Errors: NotFound for an unknown
  // model (did-you-mean, the models that exist).
  virtual StatusOr<std::vector<ModelVersionRecord>> ListModelVersions(std::string_view model) = 0;
  // Errors: NotFound for an unknown model (as above) or version (naming the
  // versions that exist).
  virtual StatusOr<ModelVersionRecord> GetModelVersion(std::string_view model, int64_t version) = 0;
  // "name" or "name@latest" (the highest version), "name@3", "name@production".
  // Errors: InvalidArgument for a malformed reference (ParseModelRef);
  // NotFound for an unknown model, version or alias, with a did-you-mean and
  // the aliases and versions that exist.
  virtual StatusOr<ModelVersionRecord> ResolveModel(std::string_view ref) = 0;
  // Points `alias` at `version` of `model`, creating or moving it. Errors:
  // InvalidArgument for an invalid alias (ValidateAliasName); NotFound for an
  // unknown model or version.
  virtual Status SetAlias(std::string_view model, std::string_view alias, int64_t version) = 0;
  // Errors: NotFound for an unknown model or alias (listing the aliases).
  virtual Status DeleteAlias(std::string_view model, std::string_view alias) = 0;
  // A counter bumped in the same transaction as every AddModelVersion and
  // every SetAlias/DeleteAlias that changes something; one cheap read, for a
  // model server to poll and reload when it moves. Starts at 0.
  virtual StatusOr<int64_t> ModelsChangeVersion() = 0;

  // ---- Feature definitions (features.yaml). Versions are never removed.

  // Records `record.yaml_text` as version highest + 1 (assigned inside the
  // write transaction), sha256 computed here, applied_at_us = now unless
  // set. When the latest version has the same text, records nothing and
  // returns that version with added = false ("unchanged").
  struct AppliedFeatureDefinitions {
    FeatureDefinitionsRecord record;
    bool added = false;
  };
  virtual StatusOr<AppliedFeatureDefinitions> AddFeatureDefinitions(
      const FeatureDefinitionsRecord& record) = 0;
  // The highest version; nullopt when none was ever applied.
  virtual StatusOr<std::optional<FeatureDefinitionsRecord>> LatestFeatureDefinitions() = 0;
  // Every version, newest first.
  virtual StatusOr<std::vector<FeatureDefinitionsRecord>> ListFeatureDefinitions() = 0;

  // ---- Materialisations of feature views into online stores.

  // Records a finished materialisation (after the store holds its rows);
  // returns it with id and finished_at_us set.
  virtual StatusOr<MaterializationRecord> AddMaterialization(
      const MaterializationRecord& record) = 0;
  // The watermark: the latest end_us materialised for `view` into `store`;
  // nullopt when never.
  virtual StatusOr<std::optional<int64_t>> MaterializationWatermark(std::string_view store,
                                                                    std::string_view view) = 0;
  // Every materialisation, newest first (`view` empty: of every view).
  virtual StatusOr<std::vector<MaterializationRecord>> ListMaterializations(
      std::string_view view) = 0;

  // ---- Pipeline runs (keel/pipeline): one row per step per run.

  // Records one step's outcome; returns it with id set (and finished_at_us
  // = now when 0). Errors: InvalidArgument for an empty pipeline, run id or
  // step name.
  virtual StatusOr<PipelineStepRunRecord> AddPipelineStepRun(
      const PipelineStepRunRecord& record) = 0;
  // The newest succeeded run of `step` of `pipeline` under `cache_key`;
  // nullopt when there is none.
  virtual StatusOr<std::optional<PipelineStepRunRecord>> FindSucceededPipelineStep(
      std::string_view pipeline, std::string_view step, std::string_view cache_key) = 0;
  // The step rows of the newest `max_runs` runs of `pipeline` (<= 0: all),
  // newest run first, each run's steps in the order they were recorded.
  // Empty when the pipeline never ran.
  virtual StatusOr<std::vector<PipelineStepRunRecord>> ListPipelineStepRuns(
      std::string_view pipeline, int64_t max_runs) = 0;
  // Every pipeline with at least one recorded step, sorted.
  virtual StatusOr<std::vector<std::string>> ListPipelines() = 0;
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
