// Runs a plan: each step in order, skipped when a succeeded run with the
// same cache key is recorded and its outputs still hold; outcomes recorded
// in the registry; a failed step stops the steps that wait for it, and the
// others go on.
//
// Cache key of a step = SHA-256 of: the Keel version, the step kind, its
// command line as written (flags in a canonical order, ${...} unexpanded),
// and the version of everything it reads as the workspace holds it just
// before the step would run (dataset version ids, model version numbers,
// transform versions, SHA-256 of files, the feature definitions version and
// the versions of the datasets under them).
#ifndef KEEL_PIPELINE_RUNNER_H_
#define KEEL_PIPELINE_RUNNER_H_

#include <atomic>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "keel/base/status.h"
#include "keel/pipeline/plan.h"
#include "keel/registry/metadata_store.h"
#include "nlohmann/json.hpp"

namespace keel::pipeline {

// What the workspace holds now. Implemented by the CLI over the lake and
// the registry; tests use a fake.
class ResourceResolver {
 public:
  virtual ~ResourceResolver() = default;
  // The version a step reading `r` would see now (r.ref says which: a
  // pinned "txns@ab12", a model alias...); "" when it does not exist or
  // cannot be versioned (a folder).
  virtual StatusOr<std::string> CurrentVersion(const Resource& r) = 0;
  // Whether `version`, recorded when a step wrote `r`, still holds: the
  // dataset or model version exists, the file has that content, those
  // feature definitions are the latest applied.
  virtual StatusOr<bool> StillHolds(const Resource& r, const std::string& version) = 0;
  // What else reading `r` reads: for the feature definitions, the datasets
  // their sources name. Empty by default.
  virtual StatusOr<std::vector<Resource>> Underlying(const Resource& r) {
    return std::vector<Resource>{};
  }
};

// Runs one step's command. Implemented over RunProcess by KeelExecutor.
class StepExecutor {
 public:
  virtual ~StepExecutor() = default;
  // Runs `keel <step.argv>`; stdout (the --json result) to `stdout_path`,
  // stderr to `log_path`. Returns the exit code. Errors: the step could not
  // be started.
  virtual StatusOr<int> Execute(const PlannedStep& step, const std::string& stdout_path,
                                const std::string& log_path) = 0;
};

// The real executor: `binary -C workspace_root --json --progress lines
// <argv...>`, run in workspace_root.
class KeelExecutor final : public StepExecutor {
 public:
  KeelExecutor(std::string binary, std::string workspace_root)
      : binary_(std::move(binary)), workspace_root_(std::move(workspace_root)) {}
  StatusOr<int> Execute(const PlannedStep& step, const std::string& stdout_path,
                        const std::string& log_path) override;

 private:
  std::string binary_;
  std::string workspace_root_;
};

enum class StepState { kSucceeded, kFailed, kCached, kSkipped, kWouldRun };
// "succeeded", "failed", "cached", "skipped", "would run".
std::string_view StepStateName(StepState state);

struct ResourceVersion {
  Resource resource;
  std::string version;  // "" when absent
};

// For people: "dataset txns@9a16cea93dcd", "model fraud@3", "file
// scores.csv@4ce9f1162a40", "feature definitions v2", "online store".
std::string DescribeVersion(const Resource& r, const std::string& version);

struct StepOutcome {
  std::string name;
  std::string run;  // the step kind
  StepState state = StepState::kSkipped;
  std::string cache_key;  // "" when not computed (not cacheable, or dry run after a change)
  std::vector<ResourceVersion> inputs;   // what it read, with versions
  std::vector<ResourceVersion> outputs;  // what it wrote (or the cached run wrote)
  int exit_code = 0;
  double seconds = 0;
  std::string log_path;       // "" when it did not run
  std::string message;        // why it failed / was skipped / would run; the reused run
  std::string reused_run_id;  // kCached: the run that did the work
  nlohmann::json result;      // the child's --json output (null when none)
};

struct RunReport {
  std::string pipeline;
  std::string run_id;
  std::string log_dir;  // "" for a dry run; created only when a step runs
  bool dry_run = false;
  int64_t started_at_us = 0;
  int64_t finished_at_us = 0;
  std::vector<StepOutcome> steps;  // in run order

  bool ok() const;
  int Count(StepState state) const;
  // "step 'train' failed (exit 1): <last line of its log>; log: PATH. Not
  // run: predict." for the CLI's error; "" when ok().
  std::string FailureSummary() const;
  nlohmann::json ToJson() const;
};

struct RunOptions {
  // "" = a new id: UTC time and 4 random hex digits, "20240310T143000Z-3f2a".
  std::string run_id;
  // Logs go to <log_root>/<pipeline>/<run id>/<step>.log (stderr) and
  // <step>.json (stdout).
  std::string log_root;
  std::string tool_version;  // the Keel version: part of every cache key
  bool force = false;        // run every step, cache or not
  bool dry_run = false;      // run nothing, record nothing: say what would run
  // Set (by a signal handler) to stop before the next step; the steps left
  // are recorded as skipped.
  const std::atomic<bool>* stop = nullptr;
  // Progress lines for people (the CLI writes them to stderr).
  std::function<void(const std::string&)> progress;
};

// The cache key (64 hex characters) of `step` reading `inputs` (any order).
std::string CacheKey(const PlannedStep& step, const std::vector<ResourceVersion>& inputs,
                     std::string_view tool_version);

// Runs `plan`, holding an exclusive lock on <log_root>/<pipeline>/.lock so
// two runs of one pipeline never overlap (a dry run takes no lock). Step
// failures are in the report, not the status. Errors: FailedPrecondition
// when another process is running the pipeline; the registry's (recording
// outcomes, looking up the cache), the resolver's, or a log folder that
// cannot be created.
StatusOr<RunReport> RunPipeline(const Plan& plan, const RunOptions& options,
                                ResourceResolver& resolver, StepExecutor& executor,
                                MetadataStore& registry);

}  // namespace keel::pipeline

#endif  // KEEL_PIPELINE_RUNNER_H_
