#include <cmath>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "keel/base/testing/temp_dir.h"
#include "keel/registry/sqlite_metadata_store.h"

namespace keel {
namespace {

using ::testing::ElementsAre;
using ::testing::MatchesRegex;
using ::testing::Pair;

class SqliteRunsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto store = SqliteMetadataStore::Open(dir_.path() + "/keel.db");
    ASSERT_TRUE(store.ok()) << store.status();
    store_ = std::move(*store);
  }

  RunRecord NewRun(std::string experiment = "", std::string name = "") {
    RunRecord run;
    run.experiment = std::move(experiment);
    run.name = std::move(name);
    StatusOr<RunRecord> created = store_->CreateRun(run);
    EXPECT_TRUE(created.ok()) << created.status();
    return created.ok() ? *created : RunRecord{};
  }

  static std::string Message(const Status& s) { return std::string(s.message()); }

  testing::TempDir dir_;
  std::unique_ptr<SqliteMetadataStore> store_;
};

TEST_F(SqliteRunsTest, CreateRunAssignsIdStartAndStatus) {
  RunRecord in;
  in.name = "first try";
  in.params = {{"learning_rate", "0.1"}};
  in.tags = {{"user", "ana"}};
  in.artifacts = {"runs/a/model.bundle"};
  in.status = RunStatus::kFailed;  // ignored: a new run is running
  in.end_us = 5;                   // ignored
  StatusOr<RunRecord> run = store_->CreateRun(in);
  ASSERT_TRUE(run.ok()) << run.status();
  EXPECT_THAT(run->id, MatchesRegex("[0-9a-f]{32}"));
  EXPECT_EQ(run->experiment, "default");
  EXPECT_EQ(run->name, "first try");
  EXPECT_EQ(run->status, RunStatus::kRunning);
  EXPECT_GT(run->start_us, 1'600'000'000'000'000);
  EXPECT_EQ(run->end_us, 0);
  EXPECT_THAT(run->params, ElementsAre(Pair("learning_rate", "0.1")));
  EXPECT_THAT(run->tags, ElementsAre(Pair("user", "ana")));
  EXPECT_THAT(run->artifacts, ElementsAre("runs/a/model.bundle"));
  EXPECT_TRUE(run->latest_metrics.empty());

  in.start_us = 42;
  in.experiment = "tuning";
  RunRecord second = *store_->CreateRun(in);
  EXPECT_NE(second.id, run->id);
  EXPECT_EQ(second.start_us, 42);
  EXPECT_EQ(second.experiment, "tuning");
}

TEST_F(SqliteRunsTest, CreateRunRejectsBadInput) {
  RunRecord bad;
  bad.experiment = "My Exp";
  StatusOr<RunRecord> r = store_->CreateRun(bad);
  EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(Message(r.status()),
            "experiment name 'My Exp': character 'M' at position 1 is not allowed; use lowercase "
            "letters, digits, '_' and '-' (not first), e.g. 'my exp'");
  RunRecord empty_key;
  empty_key.params = {{"", "1"}};
  EXPECT_EQ(Message(store_->CreateRun(empty_key).status()),
            "a run param has an empty key; give every param a name");
  EXPECT_TRUE(store_->ListExperiments()->empty());  // nothing half-created
}

TEST_F(SqliteRunsTest, ParamsAreWriteOnce) {
  RunRecord run = NewRun();
  ASSERT_TRUE(store_->LogParams(run.id, {{"depth", "6"}, {"eta", "0.3"}}).ok());
  ASSERT_TRUE(store_->LogParams(run.id, {{"depth", "6"}, {"rounds", "100"}}).ok());  // same value
  Status changed = store_->LogParams(run.id, {{"aaa", "1"}, {"depth", "8"}});
  EXPECT_EQ(changed.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(Message(changed),
            "run " + run.id +
                ": param 'depth' is already '6'; params are write-once, so it cannot become '8'. "
                "Log the new value under another key or start a new run");
  // The failed call was one transaction: "aaa" was not kept either.
  EXPECT_THAT(store_->GetRun(run.id)->params,
              ElementsAre(Pair("depth", "6"), Pair("eta", "0.3"), Pair("rounds", "100")));
  EXPECT_EQ(Message(store_->LogParams(run.id, {{"", "x"}})),
            "a run param has an empty key; give every param a name");
}

TEST_F(SqliteRunsTest, TagsCanChange) {
  RunRecord run = NewRun();
  ASSERT_TRUE(store_->SetTags(run.id, {{"note", "a"}, {"user", "ana"}}).ok());
  ASSERT_TRUE(store_->SetTags(run.id, {{"note", "b"}}).ok());
  EXPECT_THAT(store_->GetRun(run.id)->tags, ElementsAre(Pair("note", "b"), Pair("user", "ana")));
  EXPECT_EQ(Message(store_->SetTags(run.id, {{"", "x"}})),
            "a run tag has an empty key; give every tag a name");
}

TEST_F(SqliteRunsTest, MetricsKeepHistoryAndLatestIsAtTheHighestStep) {
  RunRecord run = NewRun();
  std::vector<MetricPoint> points = {
      {"valid-auc", 2, 0.80, 0}, {"valid-auc", 0, 0.70, 0}, {"valid-auc", 1, 0.75, 123},
      {"train-loss", 0, 1.5, 0}, {"train-loss", 1, 1.2, 0},
  };
  ASSERT_TRUE(store_->LogMetrics(run.id, points).ok());
  ASSERT_TRUE(store_->LogMetrics(run.id, {{"valid-auc", 1, 0.76, 0}}).ok());  // replaces step 1
  StatusOr<std::vector<MetricPoint>> history = store_->GetMetricHistory(run.id, "valid-auc");
  ASSERT_TRUE(history.ok()) << history.status();
  ASSERT_EQ(history->size(), 3u);
  EXPECT_EQ((*history)[0].step, 0);
  EXPECT_DOUBLE_EQ((*history)[0].value, 0.70);
  EXPECT_GT((*history)[0].timestamp_us, 1'600'000'000'000'000);  // 0 became now
  EXPECT_EQ((*history)[1].step, 1);
  EXPECT_DOUBLE_EQ((*history)[1].value, 0.76);
  EXPECT_EQ((*history)[2].step, 2);
  EXPECT_EQ((*history)[2].key, "valid-auc");
  EXPECT_TRUE(store_->GetMetricHistory(run.id, "nope")->empty());
  EXPECT_EQ(store_->GetMetricHistory(run.id.substr(0, 8), "train-loss")->size(), 2u);

  RunRecord read = *store_->GetRun(run.id);
  EXPECT_THAT(read.latest_metrics, ElementsAre(Pair("train-loss", 1.2), Pair("valid-auc", 0.80)));

  EXPECT_EQ(Message(store_->LogMetrics(run.id, {{"ok", 0, 1, 0}, {"", 7, 1, 0}})),
            "run " + run.id +
                ": a metric point at step 7 has an empty key; nothing was recorded. Give every "
                "metric a name");
  EXPECT_TRUE(store_->GetMetricHistory(run.id, "ok")->empty());
}

TEST_F(SqliteRunsTest, NanMetricsSurvive) {
  RunRecord run = NewRun();
  ASSERT_TRUE(store_->LogMetrics(run.id, {{"loss", 0, std::nan(""), 0}}).ok());
  EXPECT_TRUE(std::isnan(store_->GetMetricHistory(run.id, "loss")->front().value));
  EXPECT_TRUE(std::isnan(store_->GetRun(run.id)->latest_metrics.at("loss")));
}

TEST_F(SqliteRunsTest, TenThousandPointsInOneCall) {
  RunRecord run = NewRun();
  std::vector<MetricPoint> points;
  for (int round = 0; round < 5000; ++round) {
    points.push_back({"train-logloss", round, 1.0 / (round + 1), 0});
    points.push_back({"valid-logloss", round, 2.0 / (round + 1), 0});
  }
  ASSERT_TRUE(store_->LogMetrics(run.id, points).ok());
  StatusOr<std::vector<MetricPoint>> history = store_->GetMetricHistory(run.id, "valid-logloss");
  ASSERT_EQ(history->size(), 5000u);
  EXPECT_EQ(history->back().step, 4999);
  EXPECT_DOUBLE_EQ(store_->GetRun(run.id)->latest_metrics.at("train-logloss"), 1.0 / 5000);
}

TEST_F(SqliteRunsTest, ArtifactsKeepOrderAndDeduplicate) {
  RunRecord run = NewRun();
  ASSERT_TRUE(store_->AddArtifact(run.id, "runs/x/b.bin").ok());
  ASSERT_TRUE(store_->AddArtifact(run.id, "runs/x/a.bin").ok());
  ASSERT_TRUE(store_->AddArtifact(run.id, "runs/x/b.bin").ok());
  EXPECT_THAT(store_->GetRun(run.id)->artifacts, ElementsAre("runs/x/b.bin", "runs/x/a.bin"));
  EXPECT_EQ(Message(store_->AddArtifact(run.id, "")),
            "run " + run.id + ": an artifact needs a non-empty object key");
}

TEST_F(SqliteRunsTest, EndRunSetsStatusEndAndError) {
  RunRecord ok = NewRun();
  RunRecord bad = NewRun();
  ASSERT_TRUE(store_->EndRun(ok.id, RunStatus::kFinished).ok());
  ASSERT_TRUE(store_->EndRun(bad.id, RunStatus::kFailed, "out of memory").ok());
  RunRecord done = *store_->GetRun(ok.id);
  EXPECT_EQ(done.status, RunStatus::kFinished);
  EXPECT_GE(done.end_us, done.start_us);
  EXPECT_EQ(done.error, "");
  RunRecord failed = *store_->GetRun(bad.id);
  EXPECT_EQ(failed.status, RunStatus::kFailed);
  EXPECT_EQ(failed.error, "out of memory");

  Status again = store_->EndRun(ok.id, RunStatus::kKilled);
  EXPECT_EQ(again.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(Message(again),
            "run " + ok.id + " already ended (finished); cannot mark it killed. Start a new run");
  Status running = store_->EndRun(NewRun().id, RunStatus::kRunning);
  EXPECT_EQ(running.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(Message(running),
              ::testing::EndsWith(": a run cannot end as 'running'; end it as finished, failed "
                                  "or killed"));
  // Writing to an ended run is allowed (artifacts are often uploaded last).
  EXPECT_TRUE(store_->AddArtifact(ok.id, "late.bin").ok());
}

TEST_F(SqliteRunsTest, WritesToUnknownRunsAreNotFound) {
  const std::string id(32, 'f');
  const std::string expected = "no run with id '" + id + "'";
  for (const Status& s : {store_->LogParams(id, {{"a", "1"}}), store_->SetTags(id, {{"a", "1"}}),
                          store_->LogMetrics(id, {{"m", 0, 1, 0}}), store_->AddArtifact(id, "k"),
                          store_->EndRun(id, RunStatus::kKilled)}) {
    EXPECT_EQ(s.code(), absl::StatusCode::kNotFound);
    EXPECT_EQ(Message(s), expected);
  }
}

TEST_F(SqliteRunsTest, GetRunTakesAUniquePrefix) {
  RunRecord run = NewRun("", "named");
  EXPECT_EQ(store_->GetRun(run.id.substr(0, 6))->name, "named");
  EXPECT_EQ(store_->GetRun(run.id)->id, run.id);

  const std::string other_prefix = run.id[0] == '0' ? "1" : "0";
  StatusOr<RunRecord> missing = store_->GetRun(other_prefix + "abc");
  EXPECT_EQ(missing.status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(Message(missing.status()), "no run whose id starts with '" + other_prefix + "abc'");
  std::string absent = run.id;
  absent[0] = other_prefix[0];
  EXPECT_EQ(Message(store_->GetRun(absent).status()), "no run with id '" + absent + "'");

  StatusOr<RunRecord> not_hex = store_->GetRun("XYZ");
  EXPECT_EQ(not_hex.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(Message(not_hex.status()),
            "'XYZ' is not a run id: ids are 32 lowercase hex characters; give one or a unique "
            "prefix");
  EXPECT_FALSE(store_->GetRun("").ok());
}

TEST_F(SqliteRunsTest, AmbiguousPrefixListsTheMatches) {
  // 17 runs: by pigeonhole two share a first hex digit.
  std::map<char, std::vector<std::string>> by_first;
  for (int i = 0; i < 17; ++i) {
    RunRecord run = NewRun();
    by_first[run.id[0]].push_back(run.id);
  }
  for (const auto& [first, ids] : by_first) {
    if (ids.size() < 2) continue;
    StatusOr<RunRecord> r = store_->GetRun(std::string(1, first));
    EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(Message(r.status()),
                ::testing::StartsWith(absl::StrCat("run id prefix '", std::string(1, first),
                                                   "' is ambiguous: it matches ", ids.size(),
                                                   " runs (newest first: ")));
    EXPECT_THAT(Message(r.status()), ::testing::HasSubstr(ids.back()));
    EXPECT_THAT(Message(r.status()), ::testing::EndsWith("); give more of the id"));
    return;
  }
  FAIL() << "no two runs share a first character";
}

TEST_F(SqliteRunsTest, ListRunsNewestFirstByExperiment) {
  auto make = [&](const std::string& experiment, int64_t start_us) {
    RunRecord run;
    run.experiment = experiment;
    run.start_us = start_us;
    run.name = absl::StrCat(experiment, start_us);
    return store_->CreateRun(run)->id;
  };
  make("fraud", 100);
  make("fraud", 300);
  make("churn", 200);
  make("fraud", 200);
  auto names = [](const std::vector<RunRecord>& runs) {
    std::vector<std::string> out;
    for (const RunRecord& r : runs) out.push_back(r.name);
    return out;
  };
  EXPECT_THAT(names(*store_->ListRuns("", 0)),
              ElementsAre("fraud300", "fraud200", "churn200", "fraud100"));
  EXPECT_THAT(names(*store_->ListRuns("fraud", -1)),
              ElementsAre("fraud300", "fraud200", "fraud100"));
  EXPECT_THAT(names(*store_->ListRuns("fraud", 2)), ElementsAre("fraud300", "fraud200"));
  EXPECT_THAT(*store_->ListExperiments(), ElementsAre("churn", "fraud"));

  StatusOr<std::vector<RunRecord>> unknown = store_->ListRuns("frau", 0);
  EXPECT_EQ(unknown.status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(Message(unknown.status()),
            "no experiment named 'frau'. Did you mean 'fraud'? Experiments: churn, fraud.");
}

TEST_F(SqliteRunsTest, ListRunsOnAnEmptyRegistry) {
  EXPECT_TRUE(store_->ListRuns("", 10)->empty());
  EXPECT_TRUE(store_->ListExperiments()->empty());
  EXPECT_EQ(Message(store_->ListRuns("default", 10).status()),
            "no experiment named 'default'. There are no runs yet.");
}

TEST_F(SqliteRunsTest, ListRunsFillsEveryField) {
  RunRecord run = NewRun("exp");
  ASSERT_TRUE(store_->LogParams(run.id, {{"p", "1"}}).ok());
  ASSERT_TRUE(store_->SetTags(run.id, {{"t", "2"}}).ok());
  ASSERT_TRUE(store_->LogMetrics(run.id, {{"m", 3, 0.5, 0}}).ok());
  ASSERT_TRUE(store_->AddArtifact(run.id, "k").ok());
  ASSERT_TRUE(store_->EndRun(run.id, RunStatus::kKilled, "stopped").ok());
  std::vector<RunRecord> runs = *store_->ListRuns("exp", 1);
  ASSERT_EQ(runs.size(), 1u);
  EXPECT_EQ(runs[0].id, run.id);
  EXPECT_EQ(runs[0].status, RunStatus::kKilled);
  EXPECT_EQ(runs[0].error, "stopped");
  EXPECT_THAT(runs[0].params, ElementsAre(Pair("p", "1")));
  EXPECT_THAT(runs[0].tags, ElementsAre(Pair("t", "2")));
  EXPECT_THAT(runs[0].latest_metrics, ElementsAre(Pair("m", 0.5)));
  EXPECT_THAT(runs[0].artifacts, ElementsAre("k"));
}

}  // namespace
}  // namespace keel
