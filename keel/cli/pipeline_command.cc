// keel pipeline run | schedule | runs: batch pipelines (pipeline.yaml), a
// DAG of `keel` subcommands whose outputs are cached by their inputs'
// versions, run once or on a cron schedule in the foreground.
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <iostream>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/time/time.h"
#include "keel/base/hash.h"
#include "keel/base/suggest.h"
#include "keel/base/time.h"
#include "keel/cli/commands.h"
#include "keel/cli/common.h"
#include "keel/cli/pipeline_resolver.h"
#include "keel/cli/version.h"
#include "keel/pipeline/cron.h"
#include "keel/pipeline/plan.h"
#include "keel/pipeline/runner.h"
#include "keel/pipeline/scheduler.h"
#include "keel/pipeline/spec.h"
#include "keel/pipeline/step_kinds.h"

namespace keel::cli {
namespace {

using json = nlohmann::json;
using pipeline::RunReport;
using pipeline::StepOutcome;
using pipeline::StepState;

// Set by SIGINT/SIGTERM while a pipeline command runs; a signal handler can
// only reach a global.
std::atomic<bool> g_stop_requested(false);

extern "C" void RequestStop(int) { g_stop_requested.store(true); }

// Installs RequestStop for SIGINT and SIGTERM and puts the previous
// handlers back when destroyed. SA_RESTART: calls in progress (writing to
// the registry, waiting for a step) carry on; the scheduler's sleep polls
// the flag.
class StopSignals {
 public:
  StopSignals() {
    g_stop_requested.store(false);
    struct sigaction action = {};
    action.sa_handler = RequestStop;
    action.sa_flags = SA_RESTART;
    sigemptyset(&action.sa_mask);
    sigaction(SIGINT, &action, &previous_int_);
    sigaction(SIGTERM, &action, &previous_term_);
  }
  ~StopSignals() {
    sigaction(SIGINT, &previous_int_, nullptr);
    sigaction(SIGTERM, &previous_term_, nullptr);
  }
  StopSignals(const StopSignals&) = delete;
  StopSignals& operator=(const StopSignals&) = delete;

 private:
  struct sigaction previous_int_ = {};
  struct sigaction previous_term_ = {};
};

// "0.1.0" from "keel 0.1.0 (git abc)": cache keys change with releases, not
// with every rebuild.
std::string KeelVersionNumber() {
  const std::string full = VersionString();
  const size_t space = full.find(' ');
  const std::string rest = space == std::string::npos ? full : full.substr(space + 1);
  return rest.substr(0, rest.find(' '));
}

std::string SelfExecutable() {
  std::error_code ec;
  const std::filesystem::path self = std::filesystem::read_symlink("/proc/self/exe", ec);
  return ec ? "keel" : self.string();
}

struct RunArgs {
  std::string file;
  bool force = false;
  bool dry_run = false;
};

struct ScheduleArgs {
  std::string file;
  std::string cron;
  std::string timezone;
  int64_t max_runs = 0;
  bool run_now = false;
  bool force = false;
};

struct RunsArgs {
  std::string name;
  int64_t limit = 10;
  std::string run;
};

// Everything one run needs, opened once per command.
class PipelineRunner {
 public:
  PipelineRunner(CommandContext& context, const CLI::App& root) : context_(context), root_(root) {}

  Status Open() {
    KEEL_ASSIGN_OR_RETURN(workspace_, context_.workspace());
    KEEL_ASSIGN_OR_RETURN(lake_, Lake::Open(*workspace_));
    return absl::OkStatus();
  }

  // Loads `file` afresh (so edits apply from the next run) and plans it.
  // Errors: the file's (usage errors: exit 2).
  StatusOr<pipeline::Plan> LoadPlan(const std::string& file, pipeline::PipelineSpec* spec) const {
    StatusOr<pipeline::PipelineSpec> loaded = pipeline::LoadPipelineSpec(file);
    if (!loaded.ok()) return AsUsageError(loaded.status());
    *spec = *std::move(loaded);
    const std::string dir =
        std::filesystem::absolute(std::filesystem::path(file)).parent_path().lexically_normal();
    StatusOr<pipeline::Plan> plan =
        pipeline::BuildPlan(*spec, CliCommandCatalog(root_), workspace_->root(), dir);
    if (!plan.ok() && absl::IsInvalidArgument(plan.status())) return AsUsageError(plan.status());
    return plan;
  }

  StatusOr<RunReport> Run(const pipeline::Plan& plan, bool force, bool dry_run) {
    pipeline::RunOptions options;
    options.log_root = workspace_->state_dir() + "/pipelines";
    options.tool_version = KeelVersionNumber();
    options.force = force;
    options.dry_run = dry_run;
    options.stop = &g_stop_requested;
    const bool quiet = context_.options().quiet || context_.options().progress == "off";
    options.progress = [quiet](const std::string& line) {
      if (!quiet) std::cerr << line << std::endl;
    };
    WorkspaceResolver resolver(*lake_);
    pipeline::KeelExecutor executor(SelfExecutable(), workspace_->root());
    return pipeline::RunPipeline(plan, options, resolver, executor, lake_->registry());
  }

 private:
  CommandContext& context_;
  const CLI::App& root_;
  Workspace* workspace_ = nullptr;
  std::unique_ptr<Lake> lake_;
};

std::string OutputsText(const std::vector<pipeline::ResourceVersion>& outputs) {
  std::vector<std::string> parts;
  for (const pipeline::ResourceVersion& o : outputs) {
    parts.push_back(pipeline::DescribeVersion(o.resource, o.version));
  }
  return parts.empty() ? "-" : absl::StrJoin(parts, ", ");
}

std::string CountsText(const RunReport& report) {
  std::vector<std::string> parts;
  for (StepState s : {StepState::kSucceeded, StepState::kCached, StepState::kWouldRun,
                      StepState::kFailed, StepState::kSkipped}) {
    if (const int n = report.Count(s); n > 0) {
      parts.push_back(absl::StrCat(n, " ",
                                   s == StepState::kSucceeded ? "ran"
                                   : s == StepState::kWouldRun
                                       ? "would run"
                                       : std::string(pipeline::StepStateName(s))));
    }
  }
  return absl::StrJoin(parts, ", ");
}

void PrintReport(const CommandContext& context, const RunReport& report) {
  if (context.options().json) {
    context.PrintJson(report.ToJson());
    return;
  }
  context.Print(absl::StrFormat(
      "Pipeline %s, %s %s: %s (%.1f s)", report.pipeline, report.dry_run ? "plan for" : "run",
      report.dry_run ? "a run now" : report.run_id, CountsText(report),
      static_cast<double>(report.finished_at_us - report.started_at_us) / 1e6));
  std::vector<std::vector<std::string>> rows = {
      {"STEP", "RUN", "STATUS", "SECONDS", report.dry_run ? "WHY" : "OUTPUTS"}};
  for (const StepOutcome& s : report.steps) {
    const bool ran = s.state == StepState::kSucceeded || s.state == StepState::kFailed;
    rows.push_back({s.name, s.run, std::string(pipeline::StepStateName(s.state)),
                    ran ? absl::StrFormat("%.1f", s.seconds) : "-",
                    report.dry_run ? s.message : OutputsText(s.outputs)});
  }
  context.Print(FormatRows(rows));
  if (report.Count(StepState::kSucceeded) + report.Count(StepState::kFailed) > 0) {
    context.Print(absl::StrCat("Logs: ", report.log_dir));
  }
}

Status RunPipelineCommand(CommandContext& context, const CLI::App& root, const RunArgs& args) {
  PipelineRunner runner(context, root);
  KEEL_RETURN_IF_ERROR(runner.Open());
  pipeline::PipelineSpec spec;
  KEEL_ASSIGN_OR_RETURN(pipeline::Plan plan, runner.LoadPlan(args.file, &spec));
  StopSignals signals;
  KEEL_ASSIGN_OR_RETURN(RunReport report, runner.Run(plan, args.force, args.dry_run));
  if (report.ok() || !context.options().json) PrintReport(context, report);
  if (!report.ok()) return absl::AbortedError(report.FailureSummary());
  return absl::OkStatus();
}

Status SchedulePipelineCommand(CommandContext& context, const CLI::App& root,
                               const ScheduleArgs& args) {
  PipelineRunner runner(context, root);
  KEEL_RETURN_IF_ERROR(runner.Open());
  pipeline::PipelineSpec spec;
  KEEL_RETURN_IF_ERROR(runner.LoadPlan(args.file, &spec).status());
  const std::string cron_text = args.cron.empty() ? spec.schedule : args.cron;
  if (cron_text.empty()) {
    return AsUsageError(absl::InvalidArgumentError(
        absl::StrCat(args.file,
                     " has no 'schedule:' and no --cron was given: add one, e.g. "
                     "--cron '0 2 * * *' (02:00 every day)")));
  }
  const std::string zone_name = args.timezone.empty() ? spec.timezone : args.timezone;
  TimeZone zone;
  if (!zone_name.empty()) {
    StatusOr<TimeZone> loaded = TimeZone::Load(zone_name);
    if (!loaded.ok()) return AsUsageError(Annotate(loaded.status(), "--timezone"));
    zone = *loaded;
  }
  StatusOr<pipeline::CronSchedule> cron = pipeline::CronSchedule::Parse(cron_text, zone);
  if (!cron.ok()) return AsUsageError(cron.status());

  StopSignals signals;
  const bool quiet = context.options().quiet || context.options().progress == "off";
  pipeline::ScheduleOptions options;
  options.max_runs = args.max_runs;
  options.run_now = args.run_now;
  options.stop = &g_stop_requested;
  options.on_wait = [&](absl::Time next) {
    if (quiet) return;
    std::cerr << "keel pipeline schedule: " << spec.name << ": next run at "
              << FormatRfc3339(FromAbslTime(next), zone) << " (cron '" << cron->text() << "' "
              << zone.name() << ")" << std::endl;
  };
  int64_t failures = 0;
  StatusOr<int64_t> runs =
      pipeline::RunOnSchedule(*cron, pipeline::SystemClock(), options, [&](absl::Time scheduled) {
        const std::string at = FormatRfc3339(FromAbslTime(scheduled));
        pipeline::PipelineSpec current;
        StatusOr<pipeline::Plan> plan = runner.LoadPlan(args.file, &current);
        StatusOr<RunReport> report =
            plan.ok() ? runner.Run(*plan, args.force, /*dry_run=*/false) : plan.status();
        json line = {{"scheduled_at", at}};
        std::string text;
        if (!report.ok()) {
          ++failures;
          line["status"] = "failed";
          line["error"] = std::string(report.status().message());
          text = absl::StrCat(at, " failed: ", report.status().message());
        } else {
          if (!report->ok()) ++failures;
          line.update(report->ToJson());
          text = absl::StrFormat(
              "%s run %s: %s (%s) in %.1f s%s", at, report->run_id,
              report->ok() ? "succeeded" : "failed", CountsText(*report),
              static_cast<double>(report->finished_at_us - report->started_at_us) / 1e6,
              report->ok() ? "" : ": " + report->FailureSummary());
        }
        // One line per run, JSON Lines under --json.
        std::cout << (context.options().json ? line.dump() : text) << std::endl;
      });
  if (!runs.ok()) return runs.status();
  if (!quiet) {
    std::cerr << "keel pipeline schedule: " << spec.name << ": stopped after " << *runs
              << (*runs == 1 ? " run" : " runs")
              << (failures > 0 ? absl::StrCat(" (", failures, " failed)") : "") << std::endl;
  }
  return absl::OkStatus();
}

Status PipelineRunsCommand(CommandContext& context, const RunsArgs& args) {
  KEEL_ASSIGN_OR_RETURN(std::unique_ptr<Lake> lake, OpenLake(context));
  MetadataStore& registry = lake->registry();
  KEEL_ASSIGN_OR_RETURN(
      std::vector<PipelineStepRunRecord> rows,
      registry.ListPipelineStepRuns(args.name, args.run.empty() ? args.limit : 0));
  if (rows.empty()) {
    KEEL_ASSIGN_OR_RETURN(std::vector<std::string> names, registry.ListPipelines());
    return absl::NotFoundError(absl::StrCat(
        "pipeline '", args.name, "' has no recorded runs.", DidYouMean(args.name, names),
        names.empty() ? " No pipeline has run yet: keel pipeline run pipeline.yaml"
                      : absl::StrCat(" Pipelines with runs: ", absl::StrJoin(names, ", "))));
  }
  // Group the rows by run, newest run first (the order they come in).
  std::vector<std::string> order;
  std::map<std::string, std::vector<PipelineStepRunRecord>> by_run;
  for (PipelineStepRunRecord& r : rows) {
    if (by_run.count(r.run_id) == 0) order.push_back(r.run_id);
    by_run[r.run_id].push_back(std::move(r));
  }
  if (!args.run.empty()) {
    if (by_run.count(args.run) == 0) {
      return absl::NotFoundError(absl::StrCat("pipeline '", args.name, "' has no run '", args.run,
                                              "'.", DidYouMean(args.run, order)));
    }
    order = {args.run};
  }
  json runs = json::array();
  std::vector<std::vector<std::string>> table = {{"RUN", "STARTED", "SECONDS", "STATUS", "STEPS"}};
  std::vector<std::vector<std::string>> steps_table = {
      {"STEP", "STATUS", "SECONDS", "OUTPUTS", "LOG / MESSAGE"}};
  for (const std::string& run_id : order) {
    const std::vector<PipelineStepRunRecord>& steps = by_run[run_id];
    int64_t started = steps.front().started_at_us, finished = steps.front().finished_at_us;
    std::map<std::string, int> counts;
    json steps_json = json::array();
    for (const PipelineStepRunRecord& s : steps) {
      started = std::min(started, s.started_at_us);
      finished = std::max(finished, s.finished_at_us);
      ++counts[std::string(PipelineStepStatusName(s.status))];
      const json outputs = json::parse(s.outputs_json, nullptr, false);
      steps_json.push_back({{"step", s.step},
                            {"status", std::string(PipelineStepStatusName(s.status))},
                            {"cache_key", s.cache_key},
                            {"started_at", FormatRfc3339(s.started_at_us)},
                            {"finished_at", FormatRfc3339(s.finished_at_us)},
                            {"outputs", outputs.is_discarded() ? json::array() : outputs},
                            {"log", s.log_path},
                            {"message", s.message}});
      std::vector<std::string> outs;
      if (outputs.is_array()) {
        for (const json& o : outputs) {
          StatusOr<pipeline::ResourceKind> kind = pipeline::ParseResourceKind(o.value("kind", ""));
          if (!kind.ok()) continue;
          outs.push_back(
              pipeline::DescribeVersion({*kind, o.value("name", ""), ""}, o.value("version", "")));
        }
      }
      const bool ran =
          s.status == PipelineStepStatus::kSucceeded || s.status == PipelineStepStatus::kFailed;
      steps_table.push_back(
          {s.step, std::string(PipelineStepStatusName(s.status)),
           ran ? absl::StrFormat("%.1f", (s.finished_at_us - s.started_at_us) / 1e6) : "-",
           outs.empty() ? "-" : absl::StrJoin(outs, ", "),
           s.status == PipelineStepStatus::kFailed ? absl::StrCat(s.log_path, ": ", s.message)
                                                   : s.message});
    }
    const bool ok = counts["failed"] == 0 && counts["skipped"] == 0;
    std::vector<std::string> parts;
    for (const auto& [status, n] : counts) {
      if (n > 0) parts.push_back(absl::StrCat(n, " ", status));
    }
    runs.push_back({{"run_id", run_id},
                    {"status", ok ? "succeeded" : "failed"},
                    {"started_at", FormatRfc3339(started)},
                    {"finished_at", FormatRfc3339(finished)},
                    {"counts", counts},
                    {"steps", steps_json}});
    table.push_back({run_id, FormatRfc3339(started / kMicrosPerSecond * kMicrosPerSecond),
                     absl::StrFormat("%.1f", (finished - started) / 1e6),
                     ok ? "succeeded" : "failed", absl::StrJoin(parts, ", ")});
  }
  if (context.options().json) {
    context.PrintJson({{"pipeline", args.name}, {"runs", runs}});
  } else {
    context.Print(FormatRows(args.run.empty() ? table : steps_table));
  }
  return absl::OkStatus();
}

std::string KindsHelp() {
  std::string text = "Step kinds (run:):\n";
  for (const pipeline::StepKind& kind : pipeline::StepKinds()) {
    absl::StrAppend(
        &text, absl::StrFormat("  %-24s %s\n", std::string(kind.name), std::string(kind.summary)));
  }
  return text + "Format, caching and scheduling: keel/pipeline/README.md";
}

}  // namespace

void AddPipelineCommand(CLI::App& app, CommandContext& context) {
  CLI::App* cmd = app.add_subcommand(
      "pipeline",
      "Batch pipelines (pipeline.yaml): a DAG of keel steps, cached by their inputs' "
      "versions, run once or on a cron schedule");
  cmd->require_subcommand(1);
  cmd->footer(KindsHelp());
  const CLI::App* root = &app;

  auto run_args = std::make_shared<RunArgs>();
  CLI::App* run = cmd->add_subcommand(
      "run",
      "Run a pipeline once: each step whose inputs changed since its last successful run; "
      "the others are reported cached");
  run->add_option("file", run_args->file, "The pipeline (pipeline.yaml)")
      ->required()
      ->type_name("FILE");
  run->add_flag("--force", run_args->force, "Run every step, cached or not");
  run->add_flag("--dry-run", run_args->dry_run,
                "Show the plan: which steps are cached and which would run (and why); run "
                "nothing, record nothing");
  run->footer(
      "Exit 0 when every step succeeded or was cached; 1 naming the failed step and its log "
      "(.keel/pipelines/NAME/RUN/STEP.log); 2 for an invalid pipeline file. A failed step skips "
      "the steps that wait for it; the others still run. SIGINT/SIGTERM stop before the next "
      "step.");
  context.Bind(
      run, [&context, root, run_args]() { return RunPipelineCommand(context, *root, *run_args); });

  auto schedule_args = std::make_shared<ScheduleArgs>();
  CLI::App* schedule = cmd->add_subcommand(
      "schedule",
      "Run a pipeline at the times of a cron expression, in the foreground, one line per run");
  schedule->add_option("file", schedule_args->file, "The pipeline (pipeline.yaml)")
      ->required()
      ->type_name("FILE");
  schedule
      ->add_option("--cron", schedule_args->cron,
                   "Cron expression (minute hour day-of-month month day-of-week, or @daily "
                   "...); overrides the file's schedule:")
      ->type_name("EXPR");
  schedule
      ->add_option("--timezone", schedule_args->timezone,
                   "Time zone the expression is read in (IANA name; default: the file's "
                   "timezone:, else UTC)")
      ->type_name("ZONE");
  schedule
      ->add_option("--max-runs", schedule_args->max_runs,
                   "Stop after this many runs (default: run until stopped)")
      ->check(CLI::NonNegativeNumber)
      ->type_name("N");
  schedule->add_flag("--run-now", schedule_args->run_now,
                     "Also run once at start, before the first scheduled time");
  schedule->add_flag("--force", schedule_args->force, "Run every step on every run");
  schedule->footer(
      "The file is read again before each run. A failed run is reported and the schedule goes "
      "on; runs never overlap, and times missed while a run was going are skipped. SIGINT or "
      "SIGTERM stops it (after the step in progress, or at once while waiting) with exit 0.");
  context.Bind(schedule, [&context, root, schedule_args]() {
    return SchedulePipelineCommand(context, *root, *schedule_args);
  });

  auto runs_args = std::make_shared<RunsArgs>();
  CLI::App* runs = cmd->add_subcommand("runs", "A pipeline's recent runs and their steps");
  runs->add_option("name", runs_args->name, "Pipeline name (name: in its file)")
      ->required()
      ->type_name("NAME");
  runs->add_option("--limit", runs_args->limit, "At most this many runs, newest first")
      ->capture_default_str()
      ->type_name("N");
  runs->add_option("--run", runs_args->run, "Show the steps of this run")->type_name("RUN_ID");
  context.Bind(runs, [&context, runs_args]() { return PipelineRunsCommand(context, *runs_args); });
}

}  // namespace keel::cli
