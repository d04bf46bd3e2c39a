#include "keel/pipeline/plan.h"

#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "keel/pipeline/testing/fake_catalog.h"

namespace keel::pipeline {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::StartsWith;

StatusOr<Plan> PlanOf(const std::string& yaml) {
  StatusOr<PipelineSpec> spec = ParsePipelineSpec(yaml, "p.yaml");
  if (!spec.ok()) return spec.status();
  return BuildPlan(*spec, testing::FakeCatalog(), "/ws", "/repo/pipelines");
}

std::vector<std::string> Order(const Plan& plan) {
  std::vector<std::string> names;
  for (const PlannedStep& s : plan.steps) names.push_back(s.name);
  return names;
}

std::string ErrorOf(const std::string& yaml) {
  StatusOr<Plan> plan = PlanOf(yaml);
  EXPECT_FALSE(plan.ok()) << yaml;
  return plan.ok() ? "" : std::string(plan.status().message());
}

// Written backwards: the reads and writes put them in order.
constexpr char kBackwards[] = R"(name: p
steps:
  - {name: score, run: predict, args: {model: fraud@production, data: txns, out: scores.csv}}
  - {name: train, run: train, args: {data: txns, target: y, model: gbdt, name: fraud}}
  - {name: ingest, run: ingest, args: {source: data/txns.csv, name: txns}}
)";

TEST(PlanTest, ImplicitDependenciesFromReadsAndWrites) {
  StatusOr<Plan> plan = PlanOf(kBackwards);
  ASSERT_TRUE(plan.ok()) << plan.status();
  EXPECT_THAT(Order(*plan), ElementsAre("ingest", "train", "score"));
  EXPECT_TRUE(plan->steps[0].after.empty());
  EXPECT_THAT(plan->steps[1].after, ElementsAre("ingest"));
  EXPECT_THAT(plan->steps[2].after, ElementsAre("ingest", "train"));

  const PlannedStep& ingest = plan->steps[0];
  EXPECT_THAT(ingest.argv, ElementsAre("ingest", "data/txns.csv", "--name", "txns"));
  ASSERT_EQ(ingest.reads.size(), 1u);
  EXPECT_EQ(ingest.reads[0].kind, ResourceKind::kFile);
  EXPECT_EQ(ingest.reads[0].name, "data/txns.csv");
  EXPECT_EQ(ingest.reads[0].ref, "/ws/data/txns.csv");
  ASSERT_EQ(ingest.writes.size(), 1u);
  EXPECT_EQ(ingest.writes[0].kind, ResourceKind::kDataset);

  const PlannedStep& score = plan->steps[2];
  ASSERT_EQ(score.reads.size(), 2u);
  EXPECT_EQ(score.reads[0].kind, ResourceKind::kDataset);
  EXPECT_EQ(score.reads[1].kind, ResourceKind::kModel);
  EXPECT_EQ(score.reads[1].name, "fraud");
  EXPECT_EQ(score.reads[1].ref, "fraud@production");
  EXPECT_EQ(score.writes[0].name, "scores.csv");
}

TEST(PlanTest, IndependentStepsKeepFileOrderAndExplicitAfterWins) {
  StatusOr<Plan> plan = PlanOf(R"(name: p
steps:
  - {name: b, run: ingest, args: {source: b.csv, name: b}, after: [c]}
  - {name: a, run: ingest, args: {source: a.csv, name: a}}
  - {name: c, run: ingest, args: {source: c.csv, name: c}}
  - {name: d, run: ingest, args: {source: d.csv, name: d}}
)");
  ASSERT_TRUE(plan.ok()) << plan.status();
  EXPECT_THAT(Order(*plan), ElementsAre("a", "c", "b", "d"));
}

TEST(PlanTest, FilesAndFeaturesLinkSteps) {
  StatusOr<Plan> plan = PlanOf(R"(name: p
steps:
  - {name: train, run: train, args: {data: training, target: y, model: gbdt, name: m,
                                     feature-service: s}}
  - {name: ingest_set, run: ingest, args: {source: ./out/../set.parquet, name: training}}
  - {name: historical, run: get-historical, args: {entities: txns, service: s, out: set.parquet}}
  - {name: features, run: features-apply, args: {file: "${PIPELINE_DIR}/features.yaml"}}
  - {name: online, run: materialize-incremental}
)");
  ASSERT_TRUE(plan.ok()) << plan.status();
  EXPECT_THAT(Order(*plan), ElementsAre("features", "historical", "ingest_set", "train", "online"));
  const PlannedStep* features = plan->FindStep("features");
  EXPECT_THAT(features->argv, ElementsAre("features", "apply", "/repo/pipelines/features.yaml"));
  EXPECT_THAT(features->argv_as_written,
              ElementsAre("features", "apply", "${PIPELINE_DIR}/features.yaml"));
  EXPECT_EQ(features->reads[0].name, "/repo/pipelines/features.yaml");  // outside the workspace
}

TEST(PlanTest, ListAndMappingFormsGiveOneCommandLine) {
  StatusOr<Plan> plan = PlanOf(R"(name: p
steps:
  - name: a
    run: train
    args: {target: y, p: [eta=0.1, max_depth=3], data: txns, name: m}
  - name: b
    run: train
    args: [--name=m, --data, txns, -p, eta=0.1, --target, y, --param, max_depth=3]
  - name: c
    run: predict
    args: [--keep-inputs, --model, m, --data, x.csv, -o, s.csv]
)");
  ASSERT_TRUE(plan.ok()) << plan.status();
  const std::vector<std::string> expected = {"train",       "--data",   "txns",    "--name",
                                             "m",           "--param",  "eta=0.1", "--param",
                                             "max_depth=3", "--target", "y"};
  EXPECT_EQ(plan->FindStep("a")->argv, expected);
  EXPECT_EQ(plan->FindStep("b")->argv, expected);
  EXPECT_THAT(plan->FindStep("c")->argv, ElementsAre("predict", "--data", "x.csv", "--keep-inputs",
                                                     "--model", "m", "--out", "s.csv"));
}

TEST(PlanTest, UriSourcesAndCacheFalseAreNeverCached) {
  StatusOr<Plan> plan = PlanOf(R"(name: p
steps:
  - {name: a, run: ingest, args: {source: "postgresql://db/x", name: a}}
  - {name: b, run: ingest, args: {source: "file:///tmp/b.csv", name: b}}
  - {name: c, run: ingest, args: {source: c.csv, name: c}, cache: false}
)");
  ASSERT_TRUE(plan.ok()) << plan.status();
  EXPECT_FALSE(plan->FindStep("a")->cache);
  EXPECT_THAT(plan->FindStep("a")->no_cache_reason, HasSubstr("cannot version"));
  EXPECT_TRUE(plan->FindStep("b")->cache);
  EXPECT_EQ(plan->FindStep("b")->reads[0].ref, "/tmp/b.csv");
  EXPECT_FALSE(plan->FindStep("c")->cache);
  EXPECT_EQ(plan->FindStep("c")->no_cache_reason, "cache: false");
}

TEST(PlanTest, CyclesNameTheStepsAndWhy) {
  EXPECT_THAT(ErrorOf(R"(name: p
steps:
  - {name: a, run: train, args: {data: d, target: y, name: m}, after: [b]}
  - {name: b, run: predict, args: {model: m, data: x.csv, out: d.csv}}
  - {name: c, run: ingest, args: {source: d.csv, name: d}}
)"),
              AllOf(StartsWith("p.yaml:"), HasSubstr("pipeline 'p': steps form a cycle: "),
                    HasSubstr("a waits for b: after"),
                    HasSubstr("b waits for a: reads model 'm' that a writes")));
  EXPECT_THAT(ErrorOf(R"(name: p
steps:
  - {name: x, run: train, args: {data: d, name: m}, after: [y]}
  - {name: y, run: train, args: {data: d, name: n}, after: [x]}
)"),
              AnyOf(HasSubstr("cycle: x -> y -> x"), HasSubstr("cycle: y -> x -> y")));
}

TEST(PlanTest, ArgumentErrorsPointAtTheArgument) {
  EXPECT_THAT(
      ErrorOf("name: p\nsteps:\n  - {name: a, run: train, args: {traget: y}}\n"),
      AllOf(StartsWith("p.yaml:3:34: step 'a': unknown argument 'traget' for 'keel train'."),
            HasSubstr("Did you mean 'target'?"), HasSubstr("Arguments: data, target")));
  EXPECT_THAT(
      ErrorOf("name: p\nsteps:\n  - {name: a, run: predict, args: {model: m, keep-inputs: x}}\n"),
      HasSubstr("'keep-inputs' is a switch: write 'keep-inputs: true'"));
  EXPECT_THAT(ErrorOf("name: p\nsteps:\n  - {name: a, run: train, args: {data: true}}\n"),
              HasSubstr("'data' needs a value"));
  EXPECT_THAT(
      ErrorOf("name: p\nsteps:\n  - {name: a, run: ingest, args: [x.csv, y.csv, --name, x]}\n"),
      HasSubstr("unexpected argument 'y.csv' for 'keel ingest'"));
  EXPECT_THAT(ErrorOf("name: p\nsteps:\n  - {name: a, run: train, args: [--data]}\n"),
              HasSubstr("--data needs a value"));
  EXPECT_THAT(ErrorOf("name: p\nsteps:\n  - {name: a, run: ingest, args: {source: x.csv}}\n"),
              AllOf(StartsWith("p.yaml:3:5: step 'a': "), HasSubstr("'keel ingest' needs 'name'")));
  EXPECT_THAT(ErrorOf("name: p\nsteps:\n  - {name: a, run: train, args: {p: x, param: y}}\n"),
              HasSubstr("are both given"));
}

}  // namespace
}  // namespace keel::pipeline
