// The records the registry keeps about training: experiments and their runs
// (params, per-step metrics, tags, status, times, artifacts) and registered
// model versions with their aliases and lineage; plus the name rules and the
// "name@version|alias" reference syntax shared by every back-end.
#ifndef KEEL_REGISTRY_RECORDS_H_
#define KEEL_REGISTRY_RECORDS_H_

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "keel/base/status.h"

namespace keel {

// One registered version of a model: an immutable bundle plus where it came
// from. Strings holding JSON are kept as text; the registry does not parse
// them.
struct ModelVersionRecord {
  std::string model;          // [a-z0-9_-]+ (see ValidateModelName)
  int64_t version = 0;        // 1, 2, 3... assigned by AddModelVersion
  int64_t created_at_us = 0;  // microseconds since the Unix epoch
  std::string bundle_key;     // object key of the bundle in the lake's store
  std::string bundle_sha256;  // hex SHA-256 of the bundle bytes
  int64_t bundle_size_bytes = 0;
  std::string learner;          // "gbdt"
  std::string task;             // "binary"
  std::string run_id;           // the run that produced it ("" if imported)
  std::string dataset;          // lineage: training dataset ("" if imported)
  std::string dataset_version;  // its full version id
  std::string metrics_json;     // {"valid-auc": 0.93, ...}
  std::string params_json;
  std::string description;
  std::vector<std::string> aliases;  // filled on read, sorted
};

struct ModelRecord {
  std::string name;
  int64_t created_at_us = 0;
  int64_t version_count = 0;
  ModelVersionRecord latest;               // the highest version
  std::map<std::string, int64_t> aliases;  // alias -> version
};

enum class RunStatus { kRunning, kFinished, kFailed, kKilled };

// "running", "finished", "failed", "killed".
std::string_view RunStatusName(RunStatus status);
// The inverse of RunStatusName. Errors: InvalidArgument listing the names.
StatusOr<RunStatus> ParseRunStatus(std::string_view name);

struct RunRecord {
  std::string id;          // 32 lowercase hex chars, random, assigned by CreateRun
  std::string experiment;  // created on first use; "" means "default"
  std::string name;        // optional human name, free text
  RunStatus status = RunStatus::kRunning;
  int64_t start_us = 0;  // microseconds since the Unix epoch
  int64_t end_us = 0;    // 0 while running
  std::map<std::string, std::string> params;
  std::map<std::string, std::string> tags;
  std::map<std::string, double> latest_metrics;  // key -> value at the highest step
  std::vector<std::string> artifacts;            // object keys, in the order added
  std::string error;                             // why it failed ("" otherwise)
};

struct MetricPoint {
  std::string key;
  int64_t step = 0;
  double value = 0;
  int64_t timestamp_us = 0;  // 0: the time it is logged
};

// The experiment runs go to when they name none.
inline constexpr std::string_view kDefaultExperiment = "default";
// Model references name this pseudo-alias for the highest version.
inline constexpr std::string_view kLatestAlias = "latest";

// Model and experiment names follow the dataset rule: 1 to 64 characters of
// [a-z0-9_-], starting with a letter or digit. `what` names the kind in the
// message ("model name 'X': character 'X' at position 1 is not allowed ...").
// Errors: InvalidArgument.
Status ValidateRegistryName(std::string_view what, std::string_view name);
inline Status ValidateModelName(std::string_view name) {
  return ValidateRegistryName("model name", name);
}
inline Status ValidateExperimentName(std::string_view name) {
  return ValidateRegistryName("experiment name", name);
}
// Alias names: 1 to 64 characters of [a-z0-9_-] starting with a letter (so
// never all digits, which would read as a version), and not "latest".
// Errors: InvalidArgument.
Status ValidateAliasName(std::string_view alias);

// One applied version of the feature definitions (features.yaml): the text
// as applied, kept whole so any version can be parsed again. The registry
// does not parse it (keel/features does).
struct FeatureDefinitionsRecord {
  int64_t version = 0;        // 1, 2, 3... assigned by AddFeatureDefinitions
  std::string yaml_text;      // the file's bytes
  std::string sha256;         // hex SHA-256 of yaml_text (set by the store)
  std::string source;         // the path the user applied, for messages
  int64_t applied_at_us = 0;  // microseconds since the Unix epoch
};

// One finished materialisation of a feature view into an online store; the
// latest end_us per (store, view) is the watermark that
// `keel features materialize-incremental` starts from.
struct MaterializationRecord {
  int64_t id = 0;                   // assigned by AddMaterialization
  std::string view;
  std::string store;                // "embedded:<path>" or "redis:<url without password>"
  int64_t start_us = 0;             // the window, both ends inclusive
  int64_t end_us = 0;
  std::string source_dataset;       // NAME@VERSION read
  int64_t rows = 0;                 // source rows in the window
  int64_t entities = 0;             // rows written (one per entity)
  int64_t definitions_version = 0;  // of the feature definitions used
  int64_t finished_at_us = 0;       // set by the store when 0
};

// What became of one step in one pipeline run (`keel pipeline run`).
enum class PipelineStepStatus {
  kSucceeded,  // ran and exited 0
  kFailed,     // ran and failed (or could not be started)
  kCached,     // not run: a succeeded run with the same cache key still holds
  kSkipped,    // not run: a step it depends on failed, or the run was stopped
};
// "succeeded", "failed", "cached", "skipped".
std::string_view PipelineStepStatusName(PipelineStepStatus status);
// The inverse of PipelineStepStatusName. Errors: InvalidArgument listing the
// names.
StatusOr<PipelineStepStatus> ParsePipelineStepStatus(std::string_view name);

// One step of one pipeline run. The rows of a run share `run_id`; the
// registry does not interpret `outputs_json` (keel/pipeline does).
struct PipelineStepRunRecord {
  int64_t id = 0;         // assigned by AddPipelineStepRun, increasing
  std::string pipeline;   // the pipeline's name (from pipeline.yaml)
  std::string run_id;     // the pipeline run ("20240310T143000Z-3f2a")
  std::string step;       // the step's name
  std::string cache_key;  // 64 hex characters; "" for a step never cached
  PipelineStepStatus status = PipelineStepStatus::kSucceeded;
  int64_t started_at_us = 0;   // microseconds since the Unix epoch
  int64_t finished_at_us = 0;  // set by the store when 0
  std::string outputs_json;    // what the step produced (JSON text)
  std::string log_path;        // its stderr, for people
  std::string message;         // why it failed or was skipped; what a cached step reused
};

// A parsed "name", "name@3" or "name@production".
struct ModelRef {
  std::string model;
  int64_t version = 0;  // > 0 when the reference names a version number
  std::string alias;    // set when it names an alias; both unset: the latest
};
// Errors: InvalidArgument for an invalid model name, an empty part after '@',
// version 0 or a number too large, or an invalid alias name.
StatusOr<ModelRef> ParseModelRef(std::string_view ref);

}  // namespace keel

#endif  // KEEL_REGISTRY_RECORDS_H_
