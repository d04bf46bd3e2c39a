#include <optional>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "keel/base/testing/temp_dir.h"
#include "keel/registry/sqlite_metadata_store.h"

namespace keel {
namespace {

PipelineStepRunRecord Step(const std::string& run, const std::string& step, const std::string& key,
                           PipelineStepStatus status) {
  PipelineStepRunRecord r;
  r.pipeline = "daily";
  r.run_id = run;
  r.step = step;
  r.cache_key = key;
  r.status = status;
  r.started_at_us = 1000;
  r.outputs_json = R"([{"kind":"dataset","name":"txns","version":"abc"}])";
  r.log_path = "/tmp/" + step + ".log";
  return r;
}

TEST(SqlitePipelinesTest, FindsTheNewestSucceededRunOfAStepUnderAKey) {
  testing::TempDir dir;
  auto store = SqliteMetadataStore::Open(dir.path() + "/keel.db");
  ASSERT_TRUE(store.ok()) << store.status();
  auto none = (*store)->FindSucceededPipelineStep("daily", "ingest", "k1");
  ASSERT_TRUE(none.ok()) << none.status();
  EXPECT_FALSE(none->has_value());

  ASSERT_TRUE((*store)
                  ->AddPipelineStepRun(Step("r1", "ingest", "k1", PipelineStepStatus::kSucceeded))
                  .ok());
  ASSERT_TRUE(
      (*store)->AddPipelineStepRun(Step("r2", "ingest", "k1", PipelineStepStatus::kFailed)).ok());
  ASSERT_TRUE(
      (*store)->AddPipelineStepRun(Step("r3", "ingest", "k1", PipelineStepStatus::kCached)).ok());
  ASSERT_TRUE((*store)
                  ->AddPipelineStepRun(Step("r4", "ingest", "k2", PipelineStepStatus::kSucceeded))
                  .ok());

  auto found = (*store)->FindSucceededPipelineStep("daily", "ingest", "k1");
  ASSERT_TRUE(found.ok()) << found.status();
  ASSERT_TRUE(found->has_value());
  EXPECT_EQ((*found)->run_id, "r1");  // failed and cached rows are not sources
  EXPECT_EQ((*found)->status, PipelineStepStatus::kSucceeded);
  EXPECT_GT((*found)->finished_at_us, 0);
  EXPECT_EQ((*found)->log_path, "/tmp/ingest.log");
  EXPECT_FALSE((*(*store)->FindSucceededPipelineStep("daily", "train", "k1")).has_value());
  EXPECT_FALSE((*(*store)->FindSucceededPipelineStep("weekly", "ingest", "k1")).has_value());
}

TEST(SqlitePipelinesTest, ListsTheNewestRunsWithTheirStepsInOrder) {
  testing::TempDir dir;
  auto store = SqliteMetadataStore::Open(dir.path() + "/keel.db");
  ASSERT_TRUE(store.ok()) << store.status();
  for (const std::string run : {"r1", "r2", "r3"}) {
    ASSERT_TRUE((*store)
                    ->AddPipelineStepRun(Step(run, "ingest", "k", PipelineStepStatus::kSucceeded))
                    .ok());
    ASSERT_TRUE(
        (*store)->AddPipelineStepRun(Step(run, "train", "k", PipelineStepStatus::kCached)).ok());
  }
  PipelineStepRunRecord other = Step("x1", "ingest", "k", PipelineStepStatus::kSucceeded);
  other.pipeline = "weekly";
  ASSERT_TRUE((*store)->AddPipelineStepRun(other).ok());

  auto two = (*store)->ListPipelineStepRuns("daily", 2);
  ASSERT_TRUE(two.ok()) << two.status();
  ASSERT_EQ(two->size(), 4u);
  EXPECT_EQ((*two)[0].run_id, "r3");
  EXPECT_EQ((*two)[0].step, "ingest");
  EXPECT_EQ((*two)[1].step, "train");
  EXPECT_EQ((*two)[1].status, PipelineStepStatus::kCached);
  EXPECT_EQ((*two)[2].run_id, "r2");
  EXPECT_EQ((*store)->ListPipelineStepRuns("daily", 0)->size(), 6u);
  EXPECT_TRUE((*store)->ListPipelineStepRuns("monthly", 5)->empty());
  EXPECT_EQ(*(*store)->ListPipelines(), (std::vector<std::string>{"daily", "weekly"}));
}

TEST(SqlitePipelinesTest, RefusesARowWithoutItsNames) {
  testing::TempDir dir;
  auto store = SqliteMetadataStore::Open(dir.path() + "/keel.db");
  ASSERT_TRUE(store.ok()) << store.status();
  PipelineStepRunRecord r = Step("r1", "", "k", PipelineStepStatus::kSucceeded);
  EXPECT_EQ((*store)->AddPipelineStepRun(r).status().code(), absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace keel
