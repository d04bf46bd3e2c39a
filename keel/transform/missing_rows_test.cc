// drop_missing's fit-time row filter (max_row_missing_rate): the rows it
// drops leave the fitted output and the later steps' fitting (labels
// included), FitResult::kept_rows says which rows stayed, and the fitted
// pipeline still maps every row to one row.
#include <cmath>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "keel/transform/pipeline.h"
#include "keel/transform/test_util.h"

namespace keel::transform {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using testutil::Doubles;
using testutil::Ints;
using testutil::Strings;

StatusOr<Pipeline::FitResult> FitTransformYaml(const std::string& yaml, const Table& table,
                                               const FitOptions& options = {}) {
  KEEL_ASSIGN_OR_RETURN(PipelineSpec spec, PipelineSpec::Parse(yaml, "prep.yaml"));
  KEEL_ASSIGN_OR_RETURN(Pipeline pipeline, Pipeline::Make(std::move(spec)));
  return pipeline.FitTransform(table, options);
}

// Row i misses: 0: none; 1: a; 2: a, b; 3: a, b, c (NaN); 4: none; 5: c.
// Column d is mostly missing (dropped by the column rule at 0.5).
Table Gappy() {
  const double nan = std::nan("");
  return *Table::Make(
      {"a", "b", "c", "d", "city", "y"},
      {Doubles({1, std::nullopt, std::nullopt, std::nullopt, 5, 6}),
       Ints({10, 20, std::nullopt, std::nullopt, 50, 60}), Doubles({0.5, 1.5, 2.5, nan, 4.5, nan}),
       Doubles({std::nullopt, std::nullopt, std::nullopt, std::nullopt, 1, 2}),
       Strings({"x", "y", "x", "y", "x", "y"}), Doubles({1, 0, 1, 0, 1, 1})});
}

constexpr char kSpec[] = R"(steps:
  - step: drop_missing
    columns: [a, b, c, d]
    max_row_missing_rate: 0.5
  - {step: impute, columns: [a, b, c], strategy: mean}
)";

TEST(MissingRowsTest, RowsAboveTheRateLeaveFittingOnly) {
  const Table table = Gappy();
  auto fit = FitTransformYaml(kSpec, table);
  ASSERT_TRUE(fit.ok()) << fit.status();
  // d is dropped (4 of 6 missing); rows 2 (2 of 3 missing) and 3 (3 of 3)
  // are above 0.5; row 1 and 5 (1 of 3) stay.
  ASSERT_TRUE(fit->kept_rows.has_value());
  EXPECT_THAT(*fit->kept_rows, ElementsAre(0, 1, 4, 5));
  EXPECT_EQ(fit->transformed.num_rows(), 4);
  EXPECT_THAT(fit->pipeline.output_schema().names(), ElementsAre("a", "b", "c", "city", "y"));
  // The impute step was fitted on the kept rows: mean of a over 1, 5, 6.
  const auto state = fit->pipeline.step(1).ToJson().at("state").at("columns");
  EXPECT_EQ(state[0].at("fill").get<double>(), 4);
  EXPECT_EQ(state[1].at("fill").get<double>(), (10 + 20 + 50 + 60) / 4.0);
  EXPECT_EQ(state[2].at("fill").get<double>(), (0.5 + 1.5 + 4.5) / 3);
  ASSERT_EQ(fit->pipeline.warnings().size(), 1u);
  EXPECT_THAT(fit->pipeline.warnings()[0],
              HasSubstr("step 'drop_missing': 2 of 6 training rows have more than 50% of the 3 "
                        "kept columns missing"));
  // The fitted pipeline keeps every row.
  auto all = fit->pipeline.Transform(table);
  ASSERT_TRUE(all.ok()) << all.status();
  EXPECT_EQ(all->num_rows(), 6);
  testutil::ExpectRowPathMatchesTable(fit->pipeline, table);
  testutil::ExpectJsonRoundTrip(fit->pipeline, table);
}

TEST(MissingRowsTest, WithoutTheOptionEveryRowStays) {
  auto fit = FitTransformYaml("steps:\n  - {step: drop_missing, columns: [a, b, c, d]}\n", Gappy());
  ASSERT_TRUE(fit.ok()) << fit.status();
  EXPECT_FALSE(fit->kept_rows.has_value());
  EXPECT_EQ(fit->transformed.num_rows(), 6);
  EXPECT_TRUE(fit->pipeline.warnings().empty());
}

TEST(MissingRowsTest, LaterFiltersComposeAndLabelsFollow) {
  // A second filter on the kept rows: its kept rows are mapped back to the
  // input table's rows; the target step sees the labels of the kept rows.
  const std::string yaml = std::string(kSpec) +
                           "  - {step: drop_missing, name: strict, columns: [c], "
                           "max_missing_rate: 1, max_row_missing_rate: 0}\n"
                           "  - {step: target, columns: [city], smoothing: 0, folds: 2}\n";
  auto fit = FitTransformYaml(yaml, Gappy(), {.target = "y"});
  ASSERT_TRUE(fit.ok()) << fit.status();
  // After impute, c has no gaps: the strict filter keeps all four.
  EXPECT_THAT(*fit->kept_rows, ElementsAre(0, 1, 4, 5));
  EXPECT_EQ(fit->transformed.num_rows(), 4);
  // The target step's prior is the mean label of the kept rows (1, 0, 1, 1).
  const auto state = fit->pipeline.step(3).ToJson().at("state").at("columns")[0];
  EXPECT_EQ(state.at("unknown").get<double>(), 0.75) << state.dump();

  auto direct = FitTransformYaml(
      "steps:\n  - {step: drop_missing, columns: [a, b], max_missing_rate: 1, "
      "max_row_missing_rate: 0}\n"
      "  - {step: drop_missing, name: second, columns: [c], max_missing_rate: 1, "
      "max_row_missing_rate: 0}\n",
      Gappy());
  ASSERT_TRUE(direct.ok()) << direct.status();
  // First: rows 0, 4, 5 have a and b; second: of those, c is NaN in row 5.
  EXPECT_THAT(*direct->kept_rows, ElementsAre(0, 4));
}

TEST(MissingRowsTest, Errors) {
  const Table table = Gappy();
  auto error = [&](const std::string& yaml) {
    auto fit = FitTransformYaml(yaml, table);
    return fit.ok() ? "OK" : std::string(fit.status().message());
  };
  EXPECT_EQ(error("steps:\n  - step: drop_missing\n    columns: [a, b]\n"
                  "    max_row_missing_rate: 1.5\n"),
            "prep.yaml:4:5: step 'drop_missing': max_row_missing_rate: expected a rate from 0 to "
            "1");
  EXPECT_EQ(error("steps:\n  - step: drop_missing\n    columns: [a, b]\n"
                  "    max_rows_missing_rate: 0.5\n"),
            "prep.yaml:4:5: step 'drop_missing': unknown parameter 'max_rows_missing_rate'. Did "
            "you mean 'max_row_missing_rate' or 'max_missing_rate'? Parameters: "
            "max_missing_rate, max_row_missing_rate");
  auto first_rows = FitTransformYaml(
      "steps:\n  - {step: drop_missing, columns: [d], max_missing_rate: 1, "
      "max_row_missing_rate: 0}\n  - {step: impute, columns: [a]}\n",
      table.Slice(0, 4));
  ASSERT_FALSE(first_rows.ok());
  EXPECT_EQ(first_rows.status().message(),
            "step 'drop_missing': drops every one of the 4 training rows (too many missing "
            "values); raise max_row_missing_rate");
}

}  // namespace
}  // namespace keel::transform
