// End-to-end tests of `keel transform fit | apply | show`: a pipeline fitted
// on a dataset, kept as numbered versions, applied to files with the same
// values as the fitted pipeline's own Transform, and described.
#include <cmath>
#include <filesystem>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "keel/base/files.h"
#include "keel/base/testing/subprocess.h"
#include "keel/base/testing/temp_dir.h"
#include "keel/cli/run_keel_for_test.h"
#include "keel/table/csv_reader.h"
#include "keel/transform/pipeline.h"
#include "nlohmann/json.hpp"

namespace keel {
namespace {

using testing::CommandResult;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using json = nlohmann::json;
namespace fs = std::filesystem;

constexpr char kSpec[] = R"(remainder: drop
steps:
  - step: impute
    columns: [amount]
    strategy: mean
  - step: scale
    name: scale_numbers
    method: standard
    columns: [amount, age]
  - step: one_hot
    columns: [city]
    handle_unknown: bucket
)";

class TransformCliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_EQ(Keel({"init", "--project", "t"}).exit_code, 0);
    std::string csv = "amount,age,city,label\n";
    const char* cities[] = {"Paris", "Lyon", "Nice", "Lyon"};
    for (int i = 0; i < 400; ++i) {
      csv += absl::StrCat(i % 9 == 0 ? "" : absl::StrCat(i * 1.25), ",", 20 + i % 37, ",",
                          cities[i % 4], ",", i % 2, "\n");
    }
    ASSERT_TRUE(WriteFileAtomic(Path("data.csv"), csv).ok());
    ASSERT_TRUE(WriteFileAtomic(Path("prep.yaml"), kSpec).ok());
    ASSERT_EQ(Keel({"ingest", "data.csv", "--name", "d"}).exit_code, 0);
  }

  std::string Path(const std::string& name) const { return dir_.path() + "/" + name; }
  CommandResult Keel(std::vector<std::string> args) {
    return testing::RunKeel(std::move(args), dir_.path());
  }
  json KeelJson(std::vector<std::string> args) {
    args.push_back("--json");
    CommandResult r = Keel(args);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return json::parse(r.out, nullptr, false);
  }
  std::string Read(const std::string& name) {
    StatusOr<std::string> text = ReadFile(Path(name));
    EXPECT_TRUE(text.ok()) << text.status();
    return text.ok() ? *text : "";
  }

  testing::TempDir dir_;
};

TEST_F(TransformCliTest, FitKeepsVersionsAndApplyMatchesThePipeline) {
  json fit = KeelJson({"transform", "fit", "--data", "d", "--spec", "prep.yaml", "--name", "prep",
                       "--target", "label"});
  EXPECT_EQ(fit["name"], "prep");
  EXPECT_EQ(fit["version"], 1);
  EXPECT_EQ(fit["rows"], 400);
  EXPECT_EQ(fit["steps"], 3);
  // The label is fit-only: not an input.
  std::vector<std::string> inputs;
  for (const json& f : fit["inputs"]) inputs.push_back(f["name"]);
  EXPECT_THAT(inputs, ElementsAre("amount", "age", "city"));
  EXPECT_EQ(KeelJson({"transform", "fit", "--data", "d", "--spec", "prep.yaml", "--name", "prep"})
                ["version"],
            2);
  // The fit is a run of the registry, with the stored object as artifact.
  json run = KeelJson({"runs", "show", fit["run_id"].get<std::string>()});
  EXPECT_THAT(run.dump(), HasSubstr(fit["key"].get<std::string>()));

  json apply = KeelJson({"transform", "apply", "--pipeline", "prep@1", "--data", "data.csv",
                         "--out", "out.csv", "--chunk-rows", "64"});
  EXPECT_EQ(apply["rows"], 400);
  EXPECT_EQ(apply["version"], 1);
  EXPECT_GE(apply["chunks"].get<int>(), 7);

  // The reference: the stored pipeline's own Transform on the whole file.
  json show = KeelJson({"transform", "show", "prep@1"});
  json stored;
  for (const auto& entry : fs::recursive_directory_iterator(dir_.path())) {
    if (entry.path().filename() == fs::path(show["key"].get<std::string>()).filename()) {
      stored = json::parse(*ReadFile(entry.path().string()));
    }
  }
  ASSERT_TRUE(stored.contains("pipeline"));
  StatusOr<transform::FittedPipeline> pipeline =
      transform::FittedPipeline::FromJson(stored["pipeline"].dump());
  ASSERT_TRUE(pipeline.ok()) << pipeline.status();
  StatusOr<Table> whole = ReadCsv(Path("data.csv"));
  ASSERT_TRUE(whole.ok());
  StatusOr<Table> expected = pipeline->Transform(*whole);
  ASSERT_TRUE(expected.ok()) << expected.status();
  StatusOr<Table> got = ReadCsv(Path("out.csv"));
  ASSERT_TRUE(got.ok()) << got.status();
  ASSERT_EQ(got->schema().names(), expected->schema().names());
  ASSERT_EQ(got->num_rows(), 400);
  for (int c = 0; c < got->num_columns(); ++c) {
    const Column& g = got->column(c);
    const Column& e = expected->column(c);
    for (int64_t i = 0; i < 400; ++i) {
      const double gv = g.type() == DataType::kInt64 ? g.Int64Values()[i] : g.Float64Values()[i];
      const double ev = e.type() == DataType::kInt64 ? e.Int64Values()[i] : e.Float64Values()[i];
      ASSERT_EQ(gv, ev) << got->schema().field(c).name << " row " << i;
    }
  }
  // Applying the dataset itself gives the same file.
  ASSERT_EQ(Keel({"transform", "apply", "--pipeline", "prep@1", "--data", "d", "--out",
                  "lake.csv"})
                .exit_code,
            0);
  EXPECT_EQ(Read("lake.csv"), Read("out.csv"));
}

TEST_F(TransformCliTest, ShowDescribesInputsOutputsAndSteps) {
  ASSERT_EQ(
      Keel({"transform", "fit", "--data", "d", "--spec", "prep.yaml", "--name", "prep"}).exit_code,
      0);
  json show = KeelJson({"transform", "show", "prep"});
  EXPECT_EQ(show["version"], 1);
  EXPECT_EQ(show["dataset"], "d");
  EXPECT_EQ(show["remainder"], "drop");
  EXPECT_EQ(show["spec"], kSpec);
  ASSERT_EQ(show["steps"].size(), 3u);
  EXPECT_EQ(show["steps"][1]["name"], "scale_numbers");
  EXPECT_EQ(show["steps"][1]["step"], "scale");
  EXPECT_TRUE(show["steps"][1].contains("state"));
  std::vector<std::string> outputs;
  for (const json& f : show["outputs"]) outputs.push_back(f["name"]);
  EXPECT_THAT(outputs, ::testing::Contains("amount"));
  EXPECT_THAT(outputs, ::testing::Contains("age"));

  CommandResult r = Keel({"transform", "show", "prep"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("prep version 1 (fitted on d@"));
  EXPECT_THAT(r.out, HasSubstr("inputs   amount float64, age int64, city string"));
  EXPECT_THAT(r.out, HasSubstr("scale_numbers"));
  EXPECT_THAT(r.out, HasSubstr("one_hot"));
}

TEST_F(TransformCliTest, ShardsConcatenateToTheWholeOutput) {
  ASSERT_EQ(
      Keel({"transform", "fit", "--data", "d", "--spec", "prep.yaml", "--name", "prep"}).exit_code,
      0);
  ASSERT_EQ(Keel({"transform", "apply", "--pipeline", "prep", "--data", "data.csv", "--out",
                  "all.jsonl"})
                .exit_code,
            0);
  std::string joined;
  for (int i = 1; i <= 3; ++i) {
    const std::string out = absl::StrCat("p", i, ".jsonl");
    CommandResult r = Keel({"transform", "apply", "--pipeline", "prep", "--data", "data.csv",
                            "--out", out, "--shard", absl::StrCat(i, "/3"), "--chunk-rows", "50"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    joined += Read(out);
  }
  EXPECT_EQ(joined, Read("all.jsonl"));
}

TEST_F(TransformCliTest, Errors) {
  // An unknown pipeline, version and step kind; a missing column at apply time.
  CommandResult r = Keel({"transform", "show", "nope"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.err, HasSubstr("no pipeline named 'nope'"));
  ASSERT_EQ(
      Keel({"transform", "fit", "--data", "d", "--spec", "prep.yaml", "--name", "prep"}).exit_code,
      0);
  r = Keel({"transform", "show", "prep@7"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.err, HasSubstr("pipeline 'prep' has no version 7 (versions: 1)"));

  ASSERT_TRUE(WriteFileAtomic(Path("bad.yaml"), "steps:\n  - step: scael\n    columns: [age]\n")
                  .ok());
  r = Keel({"transform", "fit", "--data", "d", "--spec", "bad.yaml", "--name", "bad"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.err, HasSubstr("bad.yaml:2:"));
  EXPECT_THAT(r.err, HasSubstr("scale"));

  r = Keel({"transform", "fit", "--data", "d", "--spec", "prep.yaml", "--name", "p2", "--target",
            "nolabel"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.err, HasSubstr("--target nolabel: d has no such column"));

  ASSERT_TRUE(WriteFileAtomic(Path("few.csv"), "age,city\n30,Paris\n").ok());
  r = Keel({"transform", "apply", "--pipeline", "prep", "--data", "few.csv", "--out", "o.csv"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.err, HasSubstr("amount"));
  EXPECT_FALSE(fs::exists(Path("o.csv")));
}

}  // namespace
}  // namespace keel
