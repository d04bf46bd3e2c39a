// Fitted transform pipelines kept in a workspace (`keel transform fit`):
// numbered versions per name, each one immutable JSON object in the lake's
// object store, content-addressed:
//
//   pipelines/<name>/<sha256>.json   {"format": "keel.pipeline_version",
//                                     "name", "version", lineage...,
//                                     "spec": the prep.yaml text,
//                                     "pipeline": FittedPipeline::ToJson()}
//   pipelines/<name>/index.json      {"versions": [entry, ...]} (oldest first)
//
// The registry has no pipeline table yet; each fit is also recorded as a run
// (experiment "transform") whose artifact is the object's key, so it shows
// in `keel runs list`. The index is rewritten whole by each fit: two fits
// of the same name at the same moment may lose one index entry (its object
// and run remain).
#ifndef KEEL_CLI_PIPELINE_STORE_H_
#define KEEL_CLI_PIPELINE_STORE_H_

#include <cstdint>
#include <string>
#include <vector>

#include "keel/base/status.h"
#include "keel/lake/lake.h"
#include "keel/transform/pipeline.h"
#include "nlohmann/json.hpp"

namespace keel::cli {

struct PipelineVersionRecord {
  std::string name;
  int64_t version = 0;  // 1, 2, ...
  std::string key;      // of the object
  std::string sha256;   // of the object's bytes
  int64_t size_bytes = 0;
  int64_t created_at_us = 0;
  std::string dataset;
  std::string dataset_version;
  std::string target;  // "" when fitted without one
  std::string spec_path;
  std::string run_id;

  nlohmann::json ToJson() const;
  static StatusOr<PipelineVersionRecord> FromJson(const nlohmann::json& j);
};

struct LoadedPipeline {
  PipelineVersionRecord record;
  std::string spec_text;
  transform::FittedPipeline pipeline;
};

// Stores `pipeline` as the next version of record.name (the version, key,
// checksum, size and time are filled in here). The object first, then the
// index: a crash in between leaves an unlisted object, never a listed
// version without its object. Errors: the store's.
StatusOr<PipelineVersionRecord> StorePipelineVersion(Lake& lake,
                                                     const transform::FittedPipeline& pipeline,
                                                     const std::string& spec_text,
                                                     PipelineVersionRecord record);

// The versions of `name`, oldest first. Errors: NotFound naming the
// pipelines that exist; DataLoss for an unreadable index.
StatusOr<std::vector<PipelineVersionRecord>> ListPipelineVersions(Lake& lake,
                                                                  const std::string& name);

// NAME (the latest version) or NAME@N. Errors: NotFound (with the versions
// that exist), InvalidArgument for a malformed reference, DataLoss when the
// object does not match its checksum or does not parse.
StatusOr<LoadedPipeline> LoadPipelineVersion(Lake& lake, const std::string& ref);

}  // namespace keel::cli

#endif  // KEEL_CLI_PIPELINE_STORE_H_
