// End-to-end tests of `keel pipeline run | schedule | runs`: a pipeline that
// ingests a CSV, trains a model and scores the dataset runs everything once,
// then nothing while its inputs are unchanged, then what a changed input
// reaches; a failing step names itself and its log; the schedule loop runs
// and stops on SIGTERM.
#include <signal.h>

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "keel/base/files.h"
#include "keel/base/testing/subprocess.h"
#include "keel/base/testing/temp_dir.h"
#include "keel/cli/run_keel_for_test.h"
#include "nlohmann/json.hpp"

namespace keel {
namespace {

using testing::CommandResult;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using json = nlohmann::json;

constexpr char kPipeline[] = R"(name: demo
steps:
  - name: score
    run: predict
    args: {model: demo_model, data: txns, out: out/scores.csv}
  - name: train
    run: train
    args: {data: txns, target: label, model: gbdt, name: demo_model,
           param: [n_estimators=5, max_depth=2], valid-fraction: 0.2}
  - name: ingest
    run: ingest
    args: [data.csv, --name, txns]
)";

// A learnable label: 1 when x1 + x2 is large.
std::string Rows(int first, int count) {
  std::string csv;
  for (int i = first; i < first + count; ++i) {
    const int x1 = (i * 37) % 101, x2 = (i * 53) % 89;
    absl::StrAppend(&csv, x1, ",", x2, ",", (x1 + x2 > 95) ? 1 : 0, "\n");
  }
  return csv;
}

class PipelineCliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_EQ(Keel({"init", "--project", "t"}).exit_code, 0);
    Write("data.csv", "x1,x2,label\n" + Rows(0, 200));
    Write("pipeline.yaml", kPipeline);
    ASSERT_TRUE(MakeDirs(dir_.path() + "/out").ok());
  }

  void Write(const std::string& name, const std::string& text) {
    ASSERT_TRUE(WriteFileAtomic(dir_.path() + "/" + name, text).ok());
  }
  CommandResult Keel(std::vector<std::string> args) {
    return testing::RunKeel(std::move(args), dir_.path());
  }
  // `keel pipeline run --json FILE`: the step statuses, in run order.
  std::vector<std::string> RunStatuses(const std::string& file = "pipeline.yaml",
                                       json* report = nullptr) {
    CommandResult r = Keel({"pipeline", "run", file, "--json"});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    json j = json::parse(r.out, nullptr, false);
    std::vector<std::string> out;
    if (!j.is_object()) return out;
    for (const json& s : j["steps"]) {
      out.push_back(
          absl::StrCat(s["name"].get<std::string>(), ":", s["status"].get<std::string>()));
    }
    if (report != nullptr) *report = j;
    return out;
  }

  testing::TempDir dir_;
};

TEST_F(PipelineCliTest, RunsThenCachesThenRerunsWhatAChangedInputReaches) {
  json first;
  EXPECT_THAT(RunStatuses("pipeline.yaml", &first),
              ElementsAre("ingest:succeeded", "train:succeeded", "score:succeeded"));
  EXPECT_EQ(first["status"], "succeeded");
  EXPECT_EQ(first["steps"][1]["outputs"][0]["kind"], "model");
  EXPECT_EQ(first["steps"][1]["outputs"][0]["version"], "1");
  EXPECT_EQ(first["steps"][1]["result"]["model"], "demo_model");  // the child's --json
  const std::string log_dir = first["log_dir"];
  EXPECT_TRUE(PathExists(log_dir + "/train.log"));
  EXPECT_THAT(log_dir, HasSubstr("/.keel/pipelines/demo/"));
  StatusOr<std::string> scores = ReadFile(dir_.path() + "/out/scores.csv");
  ASSERT_TRUE(scores.ok()) << scores.status();

  // Nothing changed: nothing runs.
  json second;
  EXPECT_THAT(RunStatuses("pipeline.yaml", &second),
              ElementsAre("ingest:cached", "train:cached", "score:cached"));
  EXPECT_EQ(second["steps"][2]["reused_run_id"], first["run_id"]);
  EXPECT_EQ(*ReadFile(dir_.path() + "/out/scores.csv"), *scores);
  CommandResult human = Keel({"pipeline", "run", "pipeline.yaml"});
  EXPECT_EQ(human.exit_code, 0) << human.err;
  EXPECT_THAT(human.out, HasSubstr("3 cached"));
  EXPECT_THAT(human.err, HasSubstr("[2/3] train: cached (same inputs as run "));

  // New rows: a new dataset version, so the model and the scores are redone.
  Write("data.csv", "x1,x2,label\n" + Rows(0, 260));
  CommandResult dry = Keel({"pipeline", "run", "pipeline.yaml", "--dry-run", "--json"});
  ASSERT_EQ(dry.exit_code, 0) << dry.err;
  EXPECT_EQ(json::parse(dry.out)["steps"][0]["status"], "would run");
  EXPECT_EQ(json::parse(dry.out)["steps"][2]["status"], "would run");
  json third;
  EXPECT_THAT(RunStatuses("pipeline.yaml", &third),
              ElementsAre("ingest:succeeded", "train:succeeded", "score:succeeded"));
  EXPECT_EQ(third["steps"][1]["outputs"][0]["version"], "2");
  EXPECT_NE(*ReadFile(dir_.path() + "/out/scores.csv"), *scores);

  // Scores deleted: only the step that wrote them runs.
  ASSERT_EQ(std::remove((dir_.path() + "/out/scores.csv").c_str()), 0);
  EXPECT_THAT(RunStatuses(), ElementsAre("ingest:cached", "train:cached", "score:succeeded"));

  CommandResult runs = Keel({"pipeline", "runs", "demo", "--json"});
  ASSERT_EQ(runs.exit_code, 0) << runs.err;
  const json listed = json::parse(runs.out);
  ASSERT_EQ(listed["runs"].size(), 5u);
  EXPECT_EQ(listed["runs"][4]["run_id"], first["run_id"]);
  EXPECT_EQ(listed["runs"][4]["steps"][0]["step"], "ingest");
  CommandResult one = Keel({"pipeline", "runs", "demo", "--run", first["run_id"]});
  EXPECT_EQ(one.exit_code, 0) << one.err;
  EXPECT_THAT(one.out, HasSubstr("model demo_model@1"));
  CommandResult unknown = Keel({"pipeline", "runs", "dmeo"});
  EXPECT_EQ(unknown.exit_code, 1);
  EXPECT_THAT(unknown.err, HasSubstr("Did you mean 'demo'?"));
}

TEST_F(PipelineCliTest, AFailedStepNamesItselfAndItsLogAndSkipsWhatWaitsForIt) {
  std::string bad = kPipeline;
  bad.replace(bad.find("model: gbdt"), 11, "model: gdbt");
  Write("bad.yaml", bad);
  CommandResult r = Keel({"pipeline", "run", "bad.yaml"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.err, HasSubstr("step 'train' failed (exit 2: keel: error: "));
  EXPECT_THAT(r.err, HasSubstr("Not run: score."));
  const size_t end = r.err.rfind("/train.log. Not run");
  const size_t begin = r.err.rfind("log: ", end);
  ASSERT_TRUE(end != std::string::npos && begin != std::string::npos) << r.err;
  const std::string log = r.err.substr(begin + 5, end + 10 - begin - 5);
  StatusOr<std::string> text = ReadFile(log);
  ASSERT_TRUE(text.ok()) << text.status() << " in " << r.err;
  EXPECT_THAT(*text, HasSubstr("gdbt"));
  EXPECT_THAT(r.out, HasSubstr("skipped"));  // the table still prints

  // The step that succeeded is cached on the next run.
  CommandResult again = Keel({"pipeline", "run", "bad.yaml", "--json"});
  EXPECT_EQ(again.exit_code, 1);
  EXPECT_THAT(again.out, HasSubstr("\"error\""));
  CommandResult runs = Keel({"pipeline", "runs", "demo", "--json"});
  const json listed = json::parse(runs.out);
  EXPECT_EQ(listed["runs"][0]["status"], "failed");
  EXPECT_EQ(listed["runs"][0]["steps"][0]["status"], "cached");
  EXPECT_EQ(listed["runs"][0]["steps"][1]["status"], "failed");
  EXPECT_EQ(listed["runs"][0]["steps"][2]["status"], "skipped");
}

TEST_F(PipelineCliTest, AnInvalidFileIsAUsageErrorWithItsPlace) {
  std::string bad = kPipeline;
  bad.replace(bad.find("target: label"), 13, "traget: label");
  Write("bad.yaml", bad);
  CommandResult r = Keel({"pipeline", "run", "bad.yaml"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.err, HasSubstr("bad.yaml:8:24: step 'train': unknown argument 'traget' for "
                               "'keel train'. Did you mean 'target'?"));
  Write("cycle.yaml", R"(name: c
steps:
  - {name: a, run: ingest, args: {source: data.csv, name: x}, after: [b]}
  - {name: b, run: train, args: {data: x, model: gbdt, name: m}}
)");
  r = Keel({"pipeline", "run", "cycle.yaml"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.err, HasSubstr("steps form a cycle: "));
}

TEST_F(PipelineCliTest, ScheduleRunsNowAndStopsOnSigterm) {
  CommandResult once = Keel({"pipeline", "schedule", "pipeline.yaml", "--cron", "0 0 1 1 *",
                             "--run-now", "--max-runs", "1", "--json"});
  ASSERT_EQ(once.exit_code, 0) << once.err;
  const std::vector<std::string> lines = absl::StrSplit(once.out, '\n', absl::SkipEmpty());
  ASSERT_EQ(lines.size(), 1u) << once.out;
  const json run = json::parse(lines[0]);
  EXPECT_EQ(run["status"], "succeeded");
  EXPECT_EQ(run["counts"]["succeeded"], 3);
  EXPECT_THAT(once.err, HasSubstr("stopped after 1 run"));

  CommandResult no_cron = Keel({"pipeline", "schedule", "pipeline.yaml"});
  EXPECT_EQ(no_cron.exit_code, 2);
  EXPECT_THAT(no_cron.err, HasSubstr("no 'schedule:' and no --cron"));
  CommandResult bad_cron = Keel({"pipeline", "schedule", "pipeline.yaml", "--cron", "0 0 * *"});
  EXPECT_EQ(bad_cron.exit_code, 2);
  EXPECT_THAT(bad_cron.err, HasSubstr("expected 5 fields"));

  testing::BackgroundProcess waiting({KEEL_BINARY, "pipeline", "schedule", "pipeline.yaml",
                                      "--cron", "0 0 1 1 *", "--timezone", "Europe/Paris"},
                                     {.cwd = dir_.path(), .unset_env = {"KEEL_WORKSPACE"}});
  ASSERT_TRUE(waiting.WaitFor("next run at", 20000, /*on_stderr=*/true)) << waiting.err();
  EXPECT_THAT(waiting.err(), HasSubstr("T00:00:00+01:00 (cron '0 0 1 1 *' Europe/Paris)"));
  EXPECT_EQ(waiting.Stop(SIGTERM), 0) << waiting.err();
  EXPECT_THAT(waiting.err(), HasSubstr("stopped after 0 runs"));
}

TEST_F(PipelineCliTest, HelpListsTheStepKinds) {
  CommandResult r = Keel({"pipeline", "--help"});
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_THAT(r.out, HasSubstr("get-historical"));
  EXPECT_THAT(r.out, HasSubstr("materialize-incremental"));
  r = Keel({"pipeline", "run", "--help"});
  EXPECT_THAT(r.out, HasSubstr("--dry-run"));
}

}  // namespace
}  // namespace keel
