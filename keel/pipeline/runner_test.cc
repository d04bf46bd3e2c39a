#include "keel/pipeline/runner.h"

#include <map>
#include <set>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "keel/base/files.h"
#include "keel/base/testing/temp_dir.h"
#include "keel/pipeline/testing/fake_catalog.h"
#include "keel/registry/sqlite_metadata_store.h"

namespace keel::pipeline {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

// Versions by "kind name".
class FakeResolver final : public ResourceResolver {
 public:
  static std::string Key(const Resource& r) {
    return absl::StrCat(std::string(ResourceKindName(r.kind)), " ", r.name);
  }
  StatusOr<std::string> CurrentVersion(const Resource& r) override {
    const auto it = versions.find(Key(r));
    return it == versions.end() ? "" : it->second;
  }
  StatusOr<bool> StillHolds(const Resource& r, const std::string& version) override {
    if (r.kind == ResourceKind::kOnlineStore) return true;
    return gone.count(Key(r) + "@" + version) == 0 && !version.empty();
  }
  StatusOr<std::vector<Resource>> Underlying(const Resource& r) override {
    if (r.kind != ResourceKind::kFeatures) return std::vector<Resource>{};
    return std::vector<Resource>{{ResourceKind::kDataset, "snapshots", "snapshots"}};
  }

  std::map<std::string, std::string> versions;
  std::set<std::string> gone;  // "kind name@version" no longer there
};

// "Runs" a step by bumping the version of what it writes, unless told to fail.
class FakeExecutor final : public StepExecutor {
 public:
  explicit FakeExecutor(FakeResolver* resolver) : resolver_(*resolver) {}
  StatusOr<int> Execute(const PlannedStep& step, const std::string& stdout_path,
                        const std::string& log_path) override {
    ran.push_back(step.name);
    if (failing.count(step.name) > 0) {
      KEEL_RETURN_IF_ERROR(WriteFileAtomic(log_path, "working\nkeel: error: bad things\n"));
      return 1;
    }
    KEEL_RETURN_IF_ERROR(WriteFileAtomic(log_path, "ok\n"));
    std::string json = "{}";
    for (const Resource& w : step.writes) {
      if (unchanged.count(step.name) > 0) continue;
      std::string& v = resolver_.versions[FakeResolver::Key(w)];
      v = absl::StrCat(step.name, "-", ++counter_);
      if (w.kind == ResourceKind::kModel) json = absl::StrCat(R"({"version": )", counter_, "}");
      if (w.kind == ResourceKind::kModel) v = absl::StrCat(counter_);
    }
    KEEL_RETURN_IF_ERROR(WriteFileAtomic(stdout_path, json));
    return 0;
  }

  std::vector<std::string> ran;
  std::set<std::string> failing;
  std::set<std::string> unchanged;  // steps that leave their outputs' versions as they are

 private:
  FakeResolver& resolver_;
  int counter_ = 0;
};

constexpr char kPipeline[] = R"(name: daily
steps:
  - {name: ingest, run: ingest, args: {source: txns.csv, name: txns}}
  - {name: users, run: ingest, args: {source: users.csv, name: users}}
  - {name: train, run: train, args: {data: txns, target: y, model: gbdt, name: fraud}}
  - {name: score, run: predict, args: {model: fraud, data: txns, out: scores.csv}}
)";

class RunnerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto store = SqliteMetadataStore::Open(dir_.path() + "/keel.db");
    ASSERT_TRUE(store.ok()) << store.status();
    registry_ = std::move(*store);
    resolver_.versions["file txns.csv"] = "sha-1";
    resolver_.versions["file users.csv"] = "sha-u";
    SetPipeline(kPipeline);
  }

  void SetPipeline(const std::string& yaml) {
    StatusOr<PipelineSpec> spec = ParsePipelineSpec(yaml, "p.yaml");
    ASSERT_TRUE(spec.ok()) << spec.status();
    StatusOr<Plan> plan = BuildPlan(*spec, testing::FakeCatalog(), "/ws", "/ws");
    ASSERT_TRUE(plan.ok()) << plan.status();
    plan_ = *plan;
  }

  RunReport Run(RunOptions options = {}) {
    executor_.ran.clear();
    options.log_root = dir_.path() + "/logs";
    options.tool_version = "0.1.0";
    StatusOr<RunReport> report = RunPipeline(plan_, options, resolver_, executor_, *registry_);
    EXPECT_TRUE(report.ok()) << report.status();
    return report.ok() ? *report : RunReport{};
  }

  static std::vector<std::string> States(const RunReport& report) {
    std::vector<std::string> out;
    for (const StepOutcome& s : report.steps) {
      out.push_back(absl::StrCat(s.name, ":", std::string(StepStateName(s.state))));
    }
    return out;
  }

  ::keel::testing::TempDir dir_;
  std::unique_ptr<MetadataStore> registry_;
  FakeResolver resolver_;
  FakeExecutor executor_{&resolver_};
  Plan plan_;
};

TEST_F(RunnerTest, RunsEverythingThenNothingThenWhatChanged) {
  RunReport first = Run();
  EXPECT_TRUE(first.ok());
  EXPECT_THAT(executor_.ran, ElementsAre("ingest", "users", "train", "score"));
  EXPECT_EQ(first.Count(StepState::kSucceeded), 4);
  EXPECT_EQ(first.steps[2].outputs[0].version, "3");  // from the step's --json
  EXPECT_EQ(first.steps[0].cache_key.size(), 64u);
  EXPECT_TRUE(PathExists(first.log_dir + "/train.log"));

  RunReport second = Run();
  EXPECT_TRUE(second.ok());
  EXPECT_TRUE(executor_.ran.empty());
  EXPECT_EQ(second.Count(StepState::kCached), 4);
  EXPECT_EQ(second.steps[2].reused_run_id, first.run_id);
  EXPECT_EQ(second.steps[2].outputs[0].version, "3");
  EXPECT_NE(second.run_id, first.run_id);

  // New transactions: ingest, and what reads them, run again; users does not.
  resolver_.versions["file txns.csv"] = "sha-2";
  RunReport third = Run();
  EXPECT_THAT(executor_.ran, ElementsAre("ingest", "train", "score"));
  EXPECT_THAT(States(third), ElementsAre("ingest:succeeded", "users:cached", "train:succeeded",
                                         "score:succeeded"));

  // The registry has every step of every run, newest run first.
  StatusOr<std::vector<PipelineStepRunRecord>> rows = registry_->ListPipelineStepRuns("daily", 0);
  ASSERT_TRUE(rows.ok());
  ASSERT_EQ(rows->size(), 12u);
  EXPECT_EQ((*rows)[0].run_id, third.run_id);
  EXPECT_EQ((*rows)[1].status, PipelineStepStatus::kCached);
}

// An uncached step (a SQL source, `cache: false`) runs every time; when it
// yields the version already there (as `keel ingest` does for the same
// content), what reads it stays cached.
TEST_F(RunnerTest, AStepThatRerunsWithTheSameOutputLeavesTheRestCached) {
  SetPipeline(R"(name: daily
steps:
  - {name: ingest, run: ingest, args: {source: "postgresql://db/q", name: txns}}
  - {name: train, run: train, args: {data: txns, target: y, model: gbdt, name: fraud}}
)");
  Run();
  EXPECT_THAT(executor_.ran, ElementsAre("ingest", "train"));
  executor_.unchanged = {"ingest"};
  RunReport again = Run();
  EXPECT_THAT(executor_.ran, ElementsAre("ingest"));
  EXPECT_THAT(States(again), ElementsAre("ingest:succeeded", "train:cached"));
  EXPECT_EQ(again.steps[0].cache_key, "");
  executor_.unchanged.clear();
  Run();
  EXPECT_THAT(executor_.ran, ElementsAre("ingest", "train"));
}

TEST_F(RunnerTest, AFailedStepSkipsItsDependentsAndOthersGoOn) {
  executor_.failing = {"ingest"};
  RunReport report = Run();
  EXPECT_FALSE(report.ok());
  EXPECT_THAT(executor_.ran, ElementsAre("ingest", "users"));
  EXPECT_THAT(States(report),
              ElementsAre("ingest:failed", "users:succeeded", "train:skipped", "score:skipped"));
  EXPECT_EQ(report.steps[0].exit_code, 1);
  EXPECT_EQ(report.steps[0].message, "exit 1: keel: error: bad things");
  const std::string summary = report.FailureSummary();
  EXPECT_THAT(summary, HasSubstr("step 'ingest' failed (exit 1: keel: error: bad things)"));
  EXPECT_THAT(summary, HasSubstr("log: " + report.log_dir + "/ingest.log"));
  EXPECT_THAT(summary, HasSubstr("Not run: train, score."));

  // Fixed: the failed step and its dependents run; the others stay cached.
  executor_.failing.clear();
  RunReport fixed = Run();
  EXPECT_TRUE(fixed.ok());
  EXPECT_THAT(executor_.ran, ElementsAre("ingest", "train", "score"));
}

TEST_F(RunnerTest, GoneOutputsAndForceMakeStepsRun) {
  RunReport first = Run();
  resolver_.gone.insert("file scores.csv@" + first.steps[3].outputs[0].version);
  RunReport second = Run();
  EXPECT_THAT(executor_.ran, ElementsAre("score"));

  Run({.force = true});
  EXPECT_THAT(executor_.ran, ElementsAre("ingest", "users", "train", "score"));
}

TEST_F(RunnerTest, DryRunSaysWhatWouldRunAndRecordsNothing) {
  RunReport dry = Run({.dry_run = true});
  EXPECT_TRUE(executor_.ran.empty());
  EXPECT_TRUE(dry.ok());
  EXPECT_TRUE(dry.log_dir.empty());
  EXPECT_THAT(States(dry), ElementsAre("ingest:would run", "users:would run", "train:would run",
                                       "score:would run"));
  EXPECT_EQ(dry.steps[0].message, "no earlier run with these inputs");
  EXPECT_THAT(dry.steps[2].message, HasSubstr("ingest would run first"));
  EXPECT_TRUE(registry_->ListPipelineStepRuns("daily", 0)->empty());

  Run();
  resolver_.versions["file users.csv"] = "sha-u2";
  dry = Run({.dry_run = true});
  EXPECT_THAT(States(dry),
              ElementsAre("ingest:cached", "users:would run", "train:cached", "score:cached"));
}

TEST_F(RunnerTest, AStopRequestSkipsTheStepsLeft) {
  std::atomic<bool> stop(true);
  RunReport report = Run({.stop = &stop});
  EXPECT_TRUE(executor_.ran.empty());
  EXPECT_EQ(report.Count(StepState::kSkipped), 4);
  EXPECT_THAT(report.FailureSummary(), HasSubstr("stopped. Not run: ingest, users, train"));
}

TEST_F(RunnerTest, TwoRunsOfOnePipelineNeverOverlap) {
  // A step that starts the same pipeline again, as a second process would.
  class Reentrant final : public StepExecutor {
   public:
    Reentrant(std::string log_root, const Plan* plan, FakeResolver* resolver,
              MetadataStore* registry)
        : log_root_(std::move(log_root)),
          plan_(*plan),
          resolver_(*resolver),
          registry_(*registry) {}
    StatusOr<int> Execute(const PlannedStep& step, const std::string& stdout_path,
                          const std::string& log_path) override {
      FakeExecutor inner(&resolver_);
      inner_status =
          RunPipeline(plan_, {.log_root = log_root_}, resolver_, inner, registry_).status();
      return 0;
    }
    Status inner_status;

   private:
    std::string log_root_;
    const Plan& plan_;
    FakeResolver& resolver_;
    MetadataStore& registry_;
  };
  Reentrant executor(dir_.path() + "/logs", &plan_, &resolver_, registry_.get());
  RunOptions options{.log_root = dir_.path() + "/logs"};
  ASSERT_TRUE(RunPipeline(plan_, options, resolver_, executor, *registry_).ok());
  // flock locks belong to open files: a second open in this process
  // conflicts just as another process would.
  EXPECT_EQ(executor.inner_status.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(std::string(executor.inner_status.message()),
              HasSubstr("pipeline 'daily' is running in another process"));
  // Released at the end.
  EXPECT_TRUE(RunPipeline(plan_, options, resolver_, executor_, *registry_).ok());
}

TEST_F(RunnerTest, FeatureReadsIncludeTheDatasetsUnderTheDefinitions) {
  SetPipeline(R"(name: f
steps:
  - {name: defs, run: features-apply, args: {file: features.yaml}}
  - {name: online, run: materialize-incremental}
  - {name: model, run: train, args: {data: d, target: y, name: m, feature-service: s}}
)");
  resolver_.versions["file features.yaml"] = "f1";
  resolver_.versions["dataset snapshots"] = "s1";
  resolver_.versions["dataset d"] = "d1";
  Run();
  EXPECT_THAT(executor_.ran, ElementsAre("defs", "online", "model"));
  Run();
  EXPECT_TRUE(executor_.ran.empty());
  // New snapshots ingested elsewhere: the online store is redone; the model
  // only names the service, so it stays.
  resolver_.versions["dataset snapshots"] = "s2";
  RunReport report = Run();
  EXPECT_THAT(executor_.ran, ElementsAre("online"));
  EXPECT_EQ(report.steps[1].inputs.size(), 2u);
  EXPECT_EQ(report.steps[2].inputs.size(), 2u);  // dataset d, the definitions
  // New definitions: everything that reads them.
  resolver_.versions["file features.yaml"] = "f2";
  Run();
  EXPECT_THAT(executor_.ran, ElementsAre("defs", "online", "model"));
}

TEST(CacheKeyTest, StableForTheSameInputsAndChangedByAnyOfThem) {
  StatusOr<PipelineSpec> spec = ParsePipelineSpec(
      "name: p\nsteps:\n  - {name: t, run: train, args: {data: a, name: m, target: y}}\n"
      "  - {name: u, run: train, args: {target: y, name: m, data: a}}\n"
      "  - {name: v, run: train, args: {target: z, name: m, data: a}}\n",
      "p.yaml");
  ASSERT_TRUE(spec.ok()) << spec.status();
  StatusOr<Plan> plan = BuildPlan(*spec, testing::FakeCatalog(), "/ws", "/ws");
  ASSERT_TRUE(plan.ok()) << plan.status();
  const PlannedStep& t = plan->steps[0];
  const ResourceVersion a{{ResourceKind::kDataset, "a", "a"}, "v1"};
  const ResourceVersion f{{ResourceKind::kFile, "x.yaml", "/ws/x.yaml"}, "h"};
  const std::string key = CacheKey(t, {a, f}, "0.1.0");
  EXPECT_EQ(key, CacheKey(t, {f, a}, "0.1.0"));
  EXPECT_EQ(key, CacheKey(plan->steps[1], {a, f}, "0.1.0"));  // flags in another order
  EXPECT_NE(key, CacheKey(plan->steps[2], {a, f}, "0.1.0"));  // another value
  EXPECT_NE(key, CacheKey(t, {{a.resource, "v2"}, f}, "0.1.0"));
  EXPECT_NE(key, CacheKey(t, {a}, "0.1.0"));
  EXPECT_NE(key, CacheKey(t, {a, f}, "0.2.0"));
  // A pinned golden value: the key's recipe must not drift silently (a
  // change invalidates every cache; bump "keel.pipeline.step/N" then).
  EXPECT_EQ(key, "4b1aa21969514c461235a37b61d358b456411e0176c04f8e4eb5bd9236f6a795");
}

}  // namespace
}  // namespace keel::pipeline
