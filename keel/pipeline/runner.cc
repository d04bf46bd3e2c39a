#include "keel/pipeline/runner.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <map>
#include <random>
#include <set>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "keel/base/files.h"
#include "keel/base/hash.h"
#include "keel/base/time.h"
#include "keel/pipeline/process.h"

namespace keel::pipeline {
namespace {

using json = nlohmann::json;

std::string NewRunId() {
  std::random_device random;
  return absl::StrCat(absl::FormatTime("%Y%m%dT%H%M%SZ", absl::Now(), absl::UTCTimeZone()), "-",
                      absl::StrFormat("%04x", random() & 0xffff));
}

// The command line for people: words with spaces or quotes are quoted.
std::string ShellWords(const std::vector<std::string>& words) {
  std::vector<std::string> out;
  for (const std::string& w : words) {
    const bool plain = !w.empty() && w.find_first_of(" \t\"'\\$*?;&|<>()") == std::string::npos;
    out.push_back(plain ? w : absl::StrCat("'", absl::StrReplaceAll(w, {{"'", "'\\''"}}), "'"));
  }
  return absl::StrJoin(out, " ");
}

PipelineStepStatus ToRegistryStatus(StepState state) {
  switch (state) {
    case StepState::kSucceeded:
      return PipelineStepStatus::kSucceeded;
    case StepState::kFailed:
      return PipelineStepStatus::kFailed;
    case StepState::kCached:
      return PipelineStepStatus::kCached;
    case StepState::kSkipped:
    case StepState::kWouldRun:
      break;
  }
  return PipelineStepStatus::kSkipped;
}

json VersionsJson(const std::vector<ResourceVersion>& versions) {
  json out = json::array();
  for (const ResourceVersion& v : versions) {
    out.push_back({{"kind", std::string(ResourceKindName(v.resource.kind))},
                   {"name", v.resource.name},
                   {"version", v.version}});
  }
  return out;
}

// "dataset 'txns'" for messages.
std::string Describe(const Resource& r) {
  return absl::StrCat(std::string(ResourceKindName(r.kind)), " '", r.name, "'");
}

// The last non-empty line of the file (its error, for a failed keel).
std::string LastLine(const std::string& path) {
  StatusOr<std::string> text = ReadFile(path);
  if (!text.ok()) return "";
  std::vector<std::string> lines = absl::StrSplit(*text, '\n', absl::SkipWhitespace());
  if (lines.empty()) return "";
  std::string last = lines.back();
  if (last.size() > 400) last = last.substr(0, 400) + "...";
  return last;
}

// An exclusive flock(2) on a file, released when destroyed (or when the
// process dies, so a crash never leaves a pipeline locked).
class RunLock {
 public:
  RunLock() = default;
  ~RunLock() {
    if (fd_ >= 0) ::close(fd_);
  }
  RunLock(const RunLock&) = delete;
  RunLock& operator=(const RunLock&) = delete;

  // Errors: FailedPrecondition when another process holds it.
  Status Acquire(const std::string& path, const std::string& pipeline) {
    fd_ = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd_ < 0) return ErrnoToStatus(errno, path);
    if (::flock(fd_, LOCK_EX | LOCK_NB) != 0) {
      const int error = errno;
      if (error == EWOULDBLOCK) {
        return absl::FailedPreconditionError(
            absl::StrCat("pipeline '", pipeline, "' is running in another process (it holds ", path,
                         "); wait for it to finish"));
      }
      return ErrnoToStatus(error, path);
    }
    return absl::OkStatus();
  }

 private:
  int fd_ = -1;
};

class Runner {
 public:
  Runner(const Plan& plan, const RunOptions& options, ResourceResolver& resolver,
         StepExecutor& executor, MetadataStore& registry)
      : plan_(plan),
        options_(options),
        resolver_(resolver),
        executor_(executor),
        registry_(registry) {}

  StatusOr<RunReport> Run() {
    report_.pipeline = plan_.pipeline;
    report_.run_id = options_.run_id.empty() ? NewRunId() : options_.run_id;
    report_.dry_run = options_.dry_run;
    report_.started_at_us = NowMicros();
    if (!options_.dry_run) {
      const std::string pipeline_dir = absl::StrCat(options_.log_root, "/", plan_.pipeline);
      KEEL_RETURN_IF_ERROR(MakeDirs(pipeline_dir));
      KEEL_RETURN_IF_ERROR(lock_.Acquire(pipeline_dir + "/.lock", plan_.pipeline));
      report_.log_dir = absl::StrCat(pipeline_dir, "/", report_.run_id);  // made by Execute
    }
    for (size_t i = 0; i < plan_.steps.size(); ++i) {
      const PlannedStep& step = plan_.steps[i];
      prefix_ = absl::StrCat("[", i + 1, "/", plan_.steps.size(), "] ", step.name, ": ");
      KEEL_ASSIGN_OR_RETURN(StepOutcome outcome, RunStep(step));
      if (!options_.dry_run) KEEL_RETURN_IF_ERROR(Record(outcome));
      state_[step.name] = outcome.state;
      report_.steps.push_back(std::move(outcome));
    }
    report_.finished_at_us = NowMicros();
    return std::move(report_);
  }

 private:
  void Progress(const std::string& line) const {
    if (options_.progress) options_.progress(prefix_ + line);
  }

  StatusOr<StepOutcome> RunStep(const PlannedStep& step) {
    StepOutcome out;
    out.name = step.name;
    out.run = std::string(step.kind->name);
    std::vector<std::string> failed, pending;
    for (const std::string& dep : step.after) {
      const StepState s = state_.at(dep);
      if (s == StepState::kFailed || s == StepState::kSkipped) failed.push_back(dep);
      if (s == StepState::kWouldRun) pending.push_back(dep);
    }
    if (options_.stop != nullptr && options_.stop->load()) {
      out.message = "the run was stopped before it";
      Progress("skipped: the run was stopped");
      return out;
    }
    if (!failed.empty()) {
      out.message = absl::StrCat("not run: it waits for ", absl::StrJoin(failed, ", "),
                                 ", which did not succeed");
      Progress(absl::StrCat("skipped (waits for ", absl::StrJoin(failed, ", "), ")"));
      return out;
    }
    if (options_.dry_run && !pending.empty()) {
      out.state = StepState::kWouldRun;
      out.message =
          absl::StrCat("its inputs may change: ", absl::StrJoin(pending, ", "), " would run first");
      Progress(absl::StrCat("would run (after ", absl::StrJoin(pending, ", "), ")"));
      return out;
    }

    KEEL_ASSIGN_OR_RETURN(out.inputs, ResolveInputs(step));
    std::string why_run;
    for (const ResourceVersion& in : out.inputs) {
      if (in.version.empty() && in.resource.kind != ResourceKind::kExternal && why_run.empty()) {
        why_run = absl::StrCat("it reads ", Describe(in.resource), ", which does not exist yet");
      }
    }
    if (step.cache) out.cache_key = CacheKey(step, out.inputs, options_.tool_version);
    if (!step.cache) {
      why_run = step.no_cache_reason;
    } else if (options_.force) {
      why_run = "--force";
    } else if (why_run.empty()) {
      KEEL_ASSIGN_OR_RETURN(
          std::optional<PipelineStepRunRecord> found,
          registry_.FindSucceededPipelineStep(plan_.pipeline, step.name, out.cache_key));
      if (!found.has_value()) {
        why_run = "no earlier run with these inputs";
      } else {
        KEEL_ASSIGN_OR_RETURN(std::string gone, CheckOutputs(step, *found, &out.outputs));
        if (gone.empty()) {
          out.state = StepState::kCached;
          out.reused_run_id = found->run_id;
          out.log_path = found->log_path;
          out.message = absl::StrCat("same inputs as run ", found->run_id);
          Progress(absl::StrCat("cached (same inputs as run ", found->run_id, ")"));
          return out;
        }
        out.outputs.clear();
        why_run = absl::StrCat("the output of run ", found->run_id, " is gone: ", gone);
      }
    }
    if (options_.dry_run) {
      out.state = StepState::kWouldRun;
      out.message = why_run;
      Progress(absl::StrCat("would run: ", why_run));
      return out;
    }
    return Execute(step, std::move(out));
  }

  StatusOr<std::vector<ResourceVersion>> ResolveInputs(const PlannedStep& step) {
    std::map<Resource, std::string> versions;
    for (const Resource& r : step.reads) {
      if (r.kind == ResourceKind::kExternal) {
        versions[r] = "";
        continue;
      }
      KEEL_ASSIGN_OR_RETURN(versions[r], resolver_.CurrentVersion(r));
      // `train --feature-service` reads the definitions only (the service
      // its model is built from); get-historical and materialize read the
      // data under them too.
      if (r.kind == ResourceKind::kFeatures && !step.kind->reads_features) continue;
      KEEL_ASSIGN_OR_RETURN(std::vector<Resource> under, resolver_.Underlying(r));
      for (const Resource& u : under) {
        if (versions.count(u) > 0) continue;
        KEEL_ASSIGN_OR_RETURN(versions[u], resolver_.CurrentVersion(u));
      }
    }
    std::vector<ResourceVersion> out;
    for (auto& [r, v] : versions) out.push_back({r, v});
    return out;
  }

  // Fills `outputs` from the record; returns what no longer holds ("" when
  // everything does).
  StatusOr<std::string> CheckOutputs(const PlannedStep& step, const PipelineStepRunRecord& found,
                                     std::vector<ResourceVersion>* outputs) {
    const json recorded = json::parse(found.outputs_json, nullptr, false);
    std::map<std::pair<std::string, std::string>, std::string> by_name;
    if (recorded.is_array()) {
      for (const json& o : recorded) {
        if (!o.is_object()) continue;
        by_name[{o.value("kind", ""), o.value("name", "")}] = o.value("version", "");
      }
    }
    for (const Resource& w : step.writes) {
      const auto it = by_name.find({std::string(ResourceKindName(w.kind)), w.name});
      if (it == by_name.end()) return Describe(w) + " was not recorded";
      KEEL_ASSIGN_OR_RETURN(bool holds, resolver_.StillHolds(w, it->second));
      if (!holds) return absl::StrCat(Describe(w), " no longer holds version ", it->second);
      outputs->push_back({w, it->second});
    }
    return std::string();
  }

  StatusOr<StepOutcome> Execute(const PlannedStep& step, StepOutcome out) {
    const std::string stdout_path = absl::StrCat(report_.log_dir, "/", step.name, ".json");
    out.log_path = absl::StrCat(report_.log_dir, "/", step.name, ".log");
    Progress(absl::StrCat("running: keel ", ShellWords(step.argv)));
    KEEL_RETURN_IF_ERROR(MakeDirs(report_.log_dir));
    const absl::Time start = absl::Now();
    StatusOr<int> exit_code = executor_.Execute(step, stdout_path, out.log_path);
    out.seconds = absl::ToDoubleSeconds(absl::Now() - start);
    if (!exit_code.ok()) {
      out.state = StepState::kFailed;
      out.exit_code = -1;
      out.message = std::string(exit_code.status().message());
      Progress(absl::StrCat("FAILED: ", out.message));
      return out;
    }
    out.exit_code = *exit_code;
    if (StatusOr<std::string> text = ReadFile(stdout_path); text.ok() && !text->empty()) {
      out.result = json::parse(*text, nullptr, false);
      if (out.result.is_discarded()) out.result = nullptr;
    }
    if (out.exit_code != 0) {
      out.state = StepState::kFailed;
      const std::string last = LastLine(out.log_path);
      out.message = absl::StrCat("exit ", out.exit_code, last.empty() ? "" : ": ", last);
      Progress(absl::StrFormat("FAILED (exit %d) after %.1f s; log: %s", out.exit_code, out.seconds,
                               out.log_path));
      return out;
    }
    out.state = StepState::kSucceeded;
    for (const Resource& w : step.writes) {
      std::string version;
      const std::string field(step.kind->json_version_field);
      if (!field.empty() && w.kind != ResourceKind::kFile && out.result.is_object() &&
          out.result.contains(field)) {
        const json& v = out.result[field];
        version = v.is_string() ? v.get<std::string>() : v.dump();
      } else {
        KEEL_ASSIGN_OR_RETURN(version, resolver_.CurrentVersion(w));
      }
      out.outputs.push_back({w, version});
    }
    std::vector<std::string> wrote;
    for (const ResourceVersion& o : out.outputs) {
      wrote.push_back(DescribeVersion(o.resource, o.version));
    }
    Progress(
        absl::StrFormat("succeeded in %.1f s%s", out.seconds,
                        wrote.empty() ? "" : absl::StrCat(" (", absl::StrJoin(wrote, ", "), ")")));
    return out;
  }

  Status Record(const StepOutcome& out) {
    PipelineStepRunRecord r;
    r.pipeline = plan_.pipeline;
    r.run_id = report_.run_id;
    r.step = out.name;
    r.cache_key = out.cache_key;
    r.status = ToRegistryStatus(out.state);
    r.finished_at_us = NowMicros();
    r.started_at_us = r.finished_at_us - static_cast<int64_t>(out.seconds * 1e6);
    r.outputs_json = VersionsJson(out.outputs).dump();
    r.log_path = out.log_path;
    r.message = out.message;
    return registry_.AddPipelineStepRun(r).status();
  }

  const Plan& plan_;
  const RunOptions& options_;
  ResourceResolver& resolver_;
  StepExecutor& executor_;
  MetadataStore& registry_;
  RunLock lock_;
  RunReport report_;
  std::map<std::string, StepState> state_;
  std::string prefix_;
};

}  // namespace

std::string DescribeVersion(const Resource& r, const std::string& version) {
  switch (r.kind) {
    case ResourceKind::kOnlineStore:
      return "online store";
    case ResourceKind::kFeatures:
      return absl::StrCat("feature definitions", version.empty() ? "" : " v", version);
    default:
      return absl::StrCat(std::string(ResourceKindName(r.kind)), " ", r.name,
                          version.empty() ? "" : "@", ShortVersion(version));
  }
}

std::string_view StepStateName(StepState state) {
  switch (state) {
    case StepState::kSucceeded:
      return "succeeded";
    case StepState::kFailed:
      return "failed";
    case StepState::kCached:
      return "cached";
    case StepState::kSkipped:
      return "skipped";
    case StepState::kWouldRun:
      return "would run";
  }
  return "unknown";
}

StatusOr<int> KeelExecutor::Execute(const PlannedStep& step, const std::string& stdout_path,
                                    const std::string& log_path) {
  std::vector<std::string> argv = {binary_, "-C", workspace_root_, "--json", "--progress", "lines"};
  argv.insert(argv.end(), step.argv.begin(), step.argv.end());
  return RunProcess(argv,
                    {.cwd = workspace_root_, .stdout_path = stdout_path, .stderr_path = log_path});
}

bool RunReport::ok() const {
  return Count(StepState::kFailed) == 0 && Count(StepState::kSkipped) == 0;
}

int RunReport::Count(StepState state) const {
  return static_cast<int>(std::count_if(steps.begin(), steps.end(),
                                        [&](const StepOutcome& s) { return s.state == state; }));
}

std::string RunReport::FailureSummary() const {
  if (ok()) return "";
  std::vector<std::string> failures, not_run;
  for (const StepOutcome& s : steps) {
    if (s.state == StepState::kFailed) {
      failures.push_back(absl::StrCat("step '", s.name, "' failed (", s.message, ")",
                                      s.log_path.empty() ? "" : "; log: ", s.log_path));
    }
    if (s.state == StepState::kSkipped) not_run.push_back(s.name);
  }
  std::string summary = absl::StrCat("pipeline '", pipeline, "' run ", run_id, ": ");
  if (failures.empty()) {
    absl::StrAppend(&summary, "stopped");
  } else {
    absl::StrAppend(&summary, absl::StrJoin(failures, "; "));
  }
  if (!not_run.empty()) absl::StrAppend(&summary, ". Not run: ", absl::StrJoin(not_run, ", "));
  return summary + ".";
}

json RunReport::ToJson() const {
  json steps_json = json::array();
  for (const StepOutcome& s : steps) {
    steps_json.push_back({{"name", s.name},
                          {"run", s.run},
                          {"status", std::string(StepStateName(s.state))},
                          {"cache_key", s.cache_key},
                          {"seconds", s.seconds},
                          {"exit_code", s.exit_code},
                          {"inputs", VersionsJson(s.inputs)},
                          {"outputs", VersionsJson(s.outputs)},
                          {"log", s.log_path},
                          {"message", s.message},
                          {"reused_run_id", s.reused_run_id},
                          {"result", s.result}});
  }
  return {{"pipeline", pipeline},
          {"run_id", run_id},
          {"dry_run", dry_run},
          {"status", ok() ? "succeeded" : "failed"},
          {"log_dir", log_dir},
          {"started_at", FormatRfc3339(started_at_us)},
          {"seconds", static_cast<double>(finished_at_us - started_at_us) / 1e6},
          {"counts",
           {{"succeeded", Count(StepState::kSucceeded)},
            {"cached", Count(StepState::kCached)},
            {"failed", Count(StepState::kFailed)},
            {"skipped", Count(StepState::kSkipped)},
            {"would_run", Count(StepState::kWouldRun)}}},
          {"steps", steps_json}};
}

std::string CacheKey(const PlannedStep& step, const std::vector<ResourceVersion>& inputs,
                     std::string_view tool_version) {
  std::vector<ResourceVersion> sorted = inputs;
  std::sort(sorted.begin(), sorted.end(), [](const ResourceVersion& a, const ResourceVersion& b) {
    return a.resource < b.resource;
  });
  // Length-prefixed fields: no value can imitate a separator.
  std::string text = "keel.pipeline.step/1\n";
  auto field = [&](std::string_view tag, std::string_view value) {
    absl::StrAppend(&text, std::string(tag), " ", value.size(), ":", std::string(value), "\n");
  };
  field("keel", tool_version);
  field("run", step.kind->name);
  for (const std::string& word : step.argv_as_written) field("arg", word);
  for (const ResourceVersion& in : sorted) {
    field("read",
          absl::StrCat(std::string(ResourceKindName(in.resource.kind)), " ", in.resource.name));
    field("version", in.version);
  }
  return Sha256Hex(text);
}

StatusOr<RunReport> RunPipeline(const Plan& plan, const RunOptions& options,
                                ResourceResolver& resolver, StepExecutor& executor,
                                MetadataStore& registry) {
  return Runner(plan, options, resolver, executor, registry).Run();
}

}  // namespace keel::pipeline
