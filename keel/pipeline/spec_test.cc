#include "keel/pipeline/spec.h"

#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace keel::pipeline {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;

constexpr char kPipeline[] = R"(name: daily
schedule: "0 2 * * *"
timezone: Europe/Paris
steps:
  - name: ingest
    run: ingest
    args: {source: data/txns.csv, name: txns, no-header: false}
  - name: train
    run: train
    args:
      data: txns
      p: [n_estimators=5, max_depth=3]
      --target: is_fraud
    after: [ingest]
    cache: false
  - name: score
    run: predict
    args: [--model, fraud, --data, "${PIPELINE_DIR}/new.csv", --keep-inputs]
    after: train
)";

std::string ErrorOf(const std::string& yaml) {
  StatusOr<PipelineSpec> spec = ParsePipelineSpec(yaml, "p.yaml");
  EXPECT_FALSE(spec.ok()) << yaml;
  return spec.ok() ? "" : std::string(spec.status().message());
}

TEST(SpecTest, ParsesNameScheduleAndSteps) {
  StatusOr<PipelineSpec> spec = ParsePipelineSpec(kPipeline, "p.yaml");
  ASSERT_TRUE(spec.ok()) << spec.status();
  EXPECT_EQ(spec->name, "daily");
  EXPECT_EQ(spec->schedule, "0 2 * * *");
  EXPECT_EQ(spec->timezone, "Europe/Paris");
  ASSERT_EQ(spec->steps.size(), 3u);

  const StepSpec& ingest = spec->steps[0];
  EXPECT_EQ(ingest.run, "ingest");
  ASSERT_EQ(ingest.args.size(), 2u);  // `no-header: false` is left out
  EXPECT_EQ(ingest.args[0].key, "source");
  EXPECT_EQ(ingest.args[0].values, std::vector<std::string>{"data/txns.csv"});
  EXPECT_TRUE(ingest.cache);

  const StepSpec& train = spec->steps[1];
  ASSERT_EQ(train.args.size(), 3u);
  EXPECT_EQ(train.args[1].key, "p");
  EXPECT_EQ(train.args[1].values, (std::vector<std::string>{"n_estimators=5", "max_depth=3"}));
  EXPECT_EQ(train.args[2].key, "target");  // leading dashes dropped
  EXPECT_EQ(train.args[2].mark.line, 13);
  EXPECT_EQ(train.args[2].mark.column, 7);
  EXPECT_EQ(train.after, std::vector<std::string>{"ingest"});
  EXPECT_FALSE(train.cache);

  const StepSpec& score = spec->steps[2];
  EXPECT_TRUE(score.args_are_tokens);
  ASSERT_EQ(score.args.size(), 5u);
  EXPECT_EQ(score.args[3].values[0], "${PIPELINE_DIR}/new.csv");
  EXPECT_EQ(score.after, std::vector<std::string>{"train"});
  EXPECT_EQ(spec->FindStep("score"), &score);
  EXPECT_EQ(spec->FindStep("nope"), nullptr);
}

TEST(SpecTest, SwitchesAreTrueUnlessQuoted) {
  StatusOr<PipelineSpec> spec = ParsePipelineSpec(R"(name: p
steps:
  - {name: a, run: predict, args: {keep-inputs: true, model: "true"}}
)",
                                                  "p.yaml");
  ASSERT_TRUE(spec.ok()) << spec.status();
  EXPECT_TRUE(spec->steps[0].args[0].is_switch);
  EXPECT_FALSE(spec->steps[0].args[1].is_switch);
  EXPECT_EQ(spec->steps[0].args[1].values, std::vector<std::string>{"true"});
}

TEST(SpecTest, ErrorsSayFileLineAndColumn) {
  EXPECT_THAT(ErrorOf("name: p\nstpes: []\n"), AllOf(StartsWith("p.yaml:2:1: unknown key 'stpes'."),
                                                     HasSubstr("Did you mean 'steps'?")));
  EXPECT_THAT(ErrorOf("name: p\nsteps:\n  - name: a\n    run: trian\n"),
              AllOf(StartsWith("p.yaml:4:10: step 'a': unknown step kind 'trian'."),
                    HasSubstr("Did you mean 'train'?"), HasSubstr("Kinds: ingest, ")));
  EXPECT_THAT(ErrorOf("name: p\nsteps:\n  - {name: a, run: train}\n  - {name: a, run: predict}\n"),
              AllOf(StartsWith("p.yaml:4:12: step 'a' is defined twice"),
                    HasSubstr("first at p.yaml:3:5")));
  EXPECT_THAT(ErrorOf("name: p\nsteps:\n  - {name: a, run: train, after: [b]}\n"
                      "  - {name: bb, run: train}\n"),
              AllOf(StartsWith("p.yaml:3:35: step 'a': after: unknown step 'b'."),
                    HasSubstr("'bb'?"), HasSubstr("Steps: a, bb")));
  EXPECT_THAT(ErrorOf("name: p\nsteps:\n  - {name: a, run: train, after: a}\n"),
              HasSubstr("cannot wait for itself"));
  EXPECT_THAT(ErrorOf("name: p\nschedule: '61 * * * *'\nsteps:\n  - {name: a, run: train}\n"),
              StartsWith("p.yaml:2:11: cron '61 * * * *': minute: '61' is out of range 0-59"));
  EXPECT_THAT(ErrorOf("name: p\ntimezone: Mars/Olympus\nsteps:\n  - {name: a, run: train}\n"),
              StartsWith("p.yaml:2:11: "));
  EXPECT_THAT(
      ErrorOf("name: p\nsteps:\n  - {name: a, run: train, args: {data: '${PIPELIN_DIR}/x'}}\n"),
      AllOf(StartsWith("p.yaml:3:40: step 'a': unknown variable '${PIPELIN_DIR}'."),
            HasSubstr("Did you mean 'PIPELINE_DIR'?")));
  EXPECT_THAT(ErrorOf("name: p\nsteps:\n  - {name: a, run: train, args: {data: {x: 1}}}\n"),
              HasSubstr("args: data: expected a value or a list of values, not a mapping"));
  EXPECT_THAT(ErrorOf("name: p\nsteps:\n  - {name: a, run: train, args: {data: }}\n"),
              HasSubstr("expected a value (true for a flag without one)"));
  EXPECT_THAT(ErrorOf("name: p\nsteps:\n  - {name: a, run: train, cache: maybe}\n"),
              HasSubstr("cache: expected true or false"));
  EXPECT_THAT(ErrorOf("name: p\nsteps:\n  - {name: 'a b', run: train}\n"),
              HasSubstr("invalid step name 'a b'"));
  EXPECT_THAT(ErrorOf("name: Daily\nsteps:\n  - {name: a, run: train}\n"),
              StartsWith("p.yaml:1:7: pipeline name 'Daily'"));
  EXPECT_THAT(ErrorOf("steps:\n  - {name: a, run: train}\n"),
              StartsWith("p.yaml:1:1: missing 'name'"));
  EXPECT_THAT(ErrorOf("name: p\n"), HasSubstr("missing 'steps'"));
  EXPECT_THAT(ErrorOf("name: p\nsteps: []\n"), HasSubstr("non-empty list"));
  EXPECT_THAT(ErrorOf("name: p\nsteps:\n  - {name: a, run: train}\n  - {name: b\n"),
              AllOf(StartsWith("p.yaml:"), HasSubstr("invalid YAML")));
}

}  // namespace
}  // namespace keel::pipeline
