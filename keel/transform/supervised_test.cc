// The fit-time target (FitOptions) and the feature selection steps: the
// label is not a pipeline input, supervised steps learn from it, the
// selection report says why each column was kept, and bad input gets a
// message saying what to do. (Numbers against scikit-learn are in
// selection_sklearn_test.cc.)
#include <cmath>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "keel/transform/pipeline.h"
#include "keel/transform/test_util.h"

namespace keel::transform {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using testutil::Doubles;
using testutil::ExpectJsonRoundTrip;
using testutil::ExpectRowPathMatchesTable;
using testutil::Ints;
using testutil::Strings;

Table Labelled() {
  return *Table::Make(
      {"city", "amount", "label"},
      {Strings({"paris", "lyon", "paris", "nice", "lyon", "paris", std::nullopt, "nice"}),
       Doubles({1, 2, 3, 4, 5, 6, 7, 8}), Ints({1, 0, 1, 0, 0, 1, 1, 0})});
}

StatusOr<Pipeline> Make(const std::string& yaml) {
  KEEL_ASSIGN_OR_RETURN(PipelineSpec spec, PipelineSpec::Parse(yaml, "prep.yaml"));
  return Pipeline::Make(std::move(spec));
}

std::string FitError(const std::string& yaml, const Table& table, const FitOptions& options) {
  auto p = Make(yaml);
  if (!p.ok()) return std::string(p.status().message());
  auto fitted = p->Fit(table, options);
  return fitted.ok() ? "OK" : std::string(fitted.status().message());
}

TEST(FitTargetTest, TargetEncodingLearnsFromTheFitTimeTargetWhichIsNotAnInput) {
  auto pipeline = Make("steps:\n  - {step: target, columns: [city], smoothing: 0}\n");
  ASSERT_TRUE(pipeline.ok()) << pipeline.status();
  auto result = pipeline->FitTransform(Labelled(), {.target = "label"});
  ASSERT_TRUE(result.ok()) << result.status();
  const FittedPipeline& fitted = result->pipeline;
  EXPECT_THAT(fitted.input_schema().names(), ElementsAre("city", "amount"));
  EXPECT_THAT(fitted.output_schema().names(), ElementsAre("city", "amount"));
  EXPECT_THAT(result->transformed.schema().names(), ElementsAre("city", "amount"));
  EXPECT_EQ(fitted.target_name(), "label");
  // Applied to data without the label: every paris row had label 1.
  const Table serving = *Table::Make({"city", "amount"}, {Strings({"paris", "lyon", "rome"}),
                                                          Doubles({1, 2, 3})});
  auto out = fitted.Transform(serving);
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_EQ(out->column(0).Float64Values()[0], 1.0);
  EXPECT_EQ(out->column(0).Float64Values()[1], 0.0);
  EXPECT_EQ(out->column(0).Float64Values()[2], 0.5);  // unseen: the prior
  ExpectRowPathMatchesTable(fitted, serving);
  ExpectJsonRoundTrip(fitted, serving);
  // One row with only the inputs set.
  Row row = fitted.NewRow();
  EXPECT_EQ(fitted.InputIndex("label"), -1);
  row.SetString(fitted.InputIndex("city"), "nice");
  row.SetFloat64(fitted.InputIndex("amount"), 1);
  ASSERT_TRUE(fitted.TransformRow(&row).ok());
  EXPECT_EQ(row.output(0).f64, 0.0);
}

TEST(FitTargetTest, TargetGivenApartFromTheTable) {
  const Table labelled = Labelled();
  const Table inputs = *labelled.SelectColumns({"city", "amount"});
  auto pipeline = Make("steps:\n  - {step: target, columns: [city], smoothing: 0}\n");
  ASSERT_TRUE(pipeline.ok());
  auto a = pipeline->Fit(labelled, {.target = "label"});
  auto b = pipeline->Fit(inputs, {.target = "is_fraud", .y = labelled.column(2)});
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(b->target_name(), "is_fraud");
  EXPECT_TRUE(a->Transform(inputs)->Equals(*b->Transform(inputs)));
  EXPECT_EQ(FitError("steps:\n  - {step: target, columns: [city]}\n", inputs,
                     {.y = Ints({1, 0})}),
            "the target 'target' has 2 values but the table has 8 rows");
}

TEST(FitTargetTest, OlderFormTargetParameterStillWorks) {
  // `target: label` without a fit-time target: the label is a table column,
  // hence a pipeline input.
  auto pipeline = Make("steps:\n  - {step: target, columns: [city], target: label}\n");
  ASSERT_TRUE(pipeline.ok());
  auto old_form = pipeline->Fit(Labelled());
  ASSERT_TRUE(old_form.ok()) << old_form.status();
  EXPECT_THAT(old_form->input_schema().names(), ElementsAre("city", "amount", "label"));
  // Naming the fit-time target: learnt from it, not an input.
  auto named = pipeline->Fit(Labelled(), {.target = "label"});
  ASSERT_TRUE(named.ok()) << named.status();
  EXPECT_THAT(named->input_schema().names(), ElementsAre("city", "amount"));
}

TEST(FitTargetTest, Errors) {
  const Table table = Labelled();
  EXPECT_EQ(FitError("steps:\n  - {step: target, columns: [city]}\n", table, {}),
            "step 'target' needs the label: fit the pipeline with a target (keel train --target "
            "COLUMN; in C++ Pipeline::Fit(table, {.target = \"COLUMN\"}))");
  EXPECT_EQ(FitError("steps:\n  - {step: target, columns: [city]}\n", table, {.target = "labl"}),
            "the target column 'labl' is not in the table. Did you mean 'label'? Columns: city, "
            "amount, label");
  EXPECT_THAT(
      FitError("steps:\n  - {step: target, columns: [city], target: y}\n", table, {}),
      AllOf(HasSubstr("prep.yaml:2:37: step 'target': target: no column 'y' (have: city: "
                      "string, amount: float64, label: int64); "),
            HasSubstr("leave out `target:` and fit the pipeline with the label as its target")));
}

// ---------------------------------------------------------------- selection

Table Features() {
  return *Table::Make(
      {"a", "b", "twice_a", "constant", "gappy", "neg_a", "count", "y"},
      {Doubles({1, 2, 3, 4, 5, 6, 7, 8}), Doubles({3, 1, 4, 1, 5, 9, 2, 6}),
       Doubles({2, 4, 6, 8, 10, 12, 14, 16.5}), Doubles({7, 7, 7, 7, 7, 7, 7, 7}),
       Doubles({1, std::nullopt, 2, std::nan(""), 1, 5, 2, 3}),
       Doubles({-1, -2, -3, -4, -5, -6, -7, -8}), Ints({0, 1, 0, 2, 3, 4, 3, 5}),
       Ints({0, 0, 0, 0, 1, 1, 1, 1})});
}

StatusOr<FittedPipeline> FitFeatures(const std::string& step, const FitOptions& options) {
  KEEL_ASSIGN_OR_RETURN(Pipeline p, Make("remainder: drop\nsteps:\n  - " + step + "\n"));
  return p.Fit(Features(), options);
}

TEST(SelectionTest, EveryStepBothPathsAndJson) {
  const std::vector<std::string> steps = {
      "{step: variance_threshold, columns: {types: [numeric]}}",
      "{step: variance_threshold, columns: {types: [numeric]}, threshold: 2}",
      "{step: correlation_filter, columns: {types: [numeric]}, threshold: 0.9}",
      "{step: select_k_best, columns: [a, b, count], k: 2}",
      "{step: select_k_best, columns: [a, b, count], k: all}",
      "{step: select_k_best, columns: [a, b, count], score_func: chi2, percentile: 50}",
      "{step: select_k_best, columns: [a, b, count], score_func: f_regression, k: 1}",
      "{step: select_k_best, columns: [a, b, count], score_func: mutual_info, k: 1}",
      "{step: select_from_model, columns: [a, b, count], alpha: 0.05}",
      "{step: select_from_model, columns: [a, b, count], model: logistic_l1, C: 10}",
  };
  const Table table = *Features().SelectColumns(
      {"a", "b", "twice_a", "constant", "gappy", "neg_a", "count"});
  for (const std::string& step : steps) {
    SCOPED_TRACE(step);
    auto fitted = FitFeatures(step, {.target = "y"});
    ASSERT_TRUE(fitted.ok()) << fitted.status();
    EXPECT_EQ(fitted->SelectionReport()["kept"].get<std::vector<std::string>>(),
              fitted->output_schema().names());
    ExpectRowPathMatchesTable(*fitted, table);
    ExpectJsonRoundTrip(*fitted, table);
  }
}

TEST(SelectionTest, ReportSaysWhyForEachColumn) {
  auto fitted = FitFeatures(
      "{step: correlation_filter, columns: {types: [numeric]}, threshold: 0.95}", {.target = "y"});
  ASSERT_TRUE(fitted.ok()) << fitted.status();
  // twice_a and neg_a follow a (|r| > 0.95): the later column of each pair
  // goes; constant has no defined r and stays (variance_threshold drops it).
  EXPECT_THAT(fitted->output_schema().names(), ElementsAre("a", "b", "constant", "gappy", "count"));
  const nlohmann::json report = fitted->SelectionReport();
  EXPECT_EQ(report["target"], "y");
  EXPECT_EQ(report["dropped"], nlohmann::json({"twice_a", "neg_a"}));
  const nlohmann::json& neg = report["steps"][0]["columns"][5];
  EXPECT_EQ(neg["column"], "neg_a");
  EXPECT_EQ(neg["kept"], false);
  EXPECT_EQ(neg["correlated_with"], "a");
  EXPECT_EQ(neg["correlation"], -1.0);
  EXPECT_EQ(neg["reason"], "|r| = 1 with 'a' (kept) > threshold 0.95");
  EXPECT_EQ(report["steps"][0]["criterion"]["threshold"], 0.95);
  const nlohmann::json& b = report["steps"][0]["columns"][1];
  EXPECT_EQ(b["reason"], "largest |r| with an earlier kept column: 0.477455 ('a') <= threshold 0.95");
  EXPECT_EQ(report["steps"][0]["columns"][3]["reason"],
            "constant in the training data: no correlation defined (variance_threshold drops it)");

  auto k_best = FitFeatures("{step: select_k_best, columns: [a, b, count], k: 2}",
                            {.target = "y"});
  ASSERT_TRUE(k_best.ok()) << k_best.status();
  const nlohmann::json k_report = k_best->SelectionReport();
  const nlohmann::json& cols = k_report["steps"][0]["columns"];
  EXPECT_EQ(cols[0]["rank"], 2);
  EXPECT_EQ(cols[1]["rank"], 3);
  EXPECT_EQ(cols[2]["rank"], 1);
  EXPECT_TRUE(cols[0].contains("p_value"));
  EXPECT_THAT(cols[1]["reason"].get<std::string>(), HasSubstr("dropped: f_classif score"));
  EXPECT_THAT(k_best->output_schema().names(), ElementsAre("a", "count"));

  auto variance =
      FitFeatures("{step: variance_threshold, columns: [constant, gappy]}", {.target = "y"});
  ASSERT_TRUE(variance.ok()) << variance.status();
  const nlohmann::json v_report = variance->SelectionReport();
  const nlohmann::json& v = v_report["steps"][0]["columns"];
  EXPECT_EQ(v[0]["reason"], "variance 0 <= threshold 0");
  // nanvar of 1, 2, 1, 5, 2, 3 (the gaps left out).
  EXPECT_DOUBLE_EQ(v[1]["variance"].get<double>(), 17.0 / 9);
  EXPECT_THAT(variance->output_schema().names(), ElementsAre("gappy"));
}

TEST(SelectionTest, BadInput) {
  EXPECT_EQ(FitFeatures("{step: select_k_best, columns: [a, b], k: 1}", {}).status().message(),
            "step 'select_k_best' needs the label: fit the pipeline with a target (keel train "
            "--target COLUMN; in C++ Pipeline::Fit(table, {.target = \"COLUMN\"}))");
  EXPECT_EQ(
      FitFeatures("{step: select_k_best, columns: [a, gappy], k: 1}", {.target = "y"})
          .status()
          .message(),
      "step 'select_k_best': column 'gappy' has 2 missing values in the training data; this step "
      "needs complete columns: impute them first (step: impute)");
  EXPECT_EQ(FitFeatures("{step: select_k_best, columns: [a, neg_a], score_func: chi2, k: 1}",
                        {.target = "y"})
                .status()
                .message(),
            "step 'select_k_best': chi2 needs values >= 0 (counts, frequencies); column 'neg_a' "
            "has -1. Use f_classif, or scale it with method: minmax first");
  EXPECT_EQ(FitFeatures("{step: variance_threshold, columns: [constant]}", {.target = "y"})
                .status()
                .message(),
            "step 'variance_threshold': no column has a variance above the threshold 0; lower "
            "the threshold or select other columns");
  EXPECT_EQ(std::string(FitFeatures("{step: select_k_best, columns: [a, b], score_func: anova}",
                        {.target = "y"})
                .status()
                .message()),
            "prep.yaml:3:44: step 'select_k_best': score_func: expected one of f_classif, "
            "f_regression, chi2, mutual_info; got 'anova'.");
  EXPECT_EQ(FitFeatures("{step: select_k_best, columns: [a, b], k: some}", {.target = "y"})
                .status()
                .message(),
            "prep.yaml:3:44: step 'select_k_best': k: expected a number of columns (an integer >= "
            "0) or all; got 'some'");
  EXPECT_EQ(
      FitFeatures("{step: select_k_best, columns: [a, b], k: 1, percentile: 5}", {.target = "y"})
          .status()
          .message(),
      "prep.yaml:3:50: step 'select_k_best': percentile: give k or percentile, not both");
  EXPECT_EQ(FitFeatures("{step: correlation_filter, columns: [a, b], threshold: 2}", {})
                .status()
                .message(),
            "prep.yaml:3:49: step 'correlation_filter': threshold: expected an absolute "
            "correlation from 0 to 1");
  EXPECT_EQ(FitFeatures("{step: select_k_best, columns: [a, b], k: 1}",
                        {.target = "y", .y = Strings({"x", "x", "x", "x", "x", "x", "x", "x"})})
                .status()
                .message(),
            "step 'select_k_best': the target 'y' has one class; at least 2 are needed");
}

}  // namespace
}  // namespace keel::transform
