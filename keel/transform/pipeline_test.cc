// Pipelines end to end: spec parsing, every step through both paths, JSON
// round trips, and the exact messages for bad input.
#include "keel/transform/pipeline.h"

#include <cmath>
#include <cstring>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "keel/base/time.h"
#include "keel/transform/test_util.h"

namespace keel::transform {
namespace {

using ::testing::ElementsAre;
using testutil::Doubles;
using testutil::ExpectJsonRoundTrip;
using testutil::ExpectRowPathMatchesTable;
using testutil::Ints;
using testutil::Strings;
using testutil::Timestamps;

const double kNaN = std::nan("");

int64_t Ts(const char* text) { return *ParseTimestamp(text); }

Table Mixed() {
  return *Table::Make(
      {"amount", "age", "city", "device", "ts", "label", "note"},
      {Doubles({10.5, std::nullopt, 3, kNaN, 7.25, 100, 0.5, 2, 8, 4}),
       Ints({30, 41, std::nullopt, 25, 30, 52, 30, 19, std::nullopt, 44}),
       Strings({"paris", "lyon", std::nullopt, "paris", "nice", "paris", "lyon", "brest", "paris",
                "lyon"}),
       Strings({"ios", "android", "ios", "web", "ios", "android", "ios", "web", "ios", "ios"}),
       Timestamps({Ts("2024-03-09T23:30:00Z"), Ts("2024-03-10T08:00:00Z"), std::nullopt,
                   Ts("2023-12-31T12:00:00Z"), Ts("2024-01-01T00:00:00Z"),
                   Ts("2024-06-15T18:45:00Z"), Ts("1969-12-31T23:00:00Z"),
                   Ts("2024-02-29T06:00:00Z"), Ts("2024-03-11T13:00:00Z"),
                   Ts("2024-03-16T09:00:00Z")}),
       Ints({1, 0, 0, 1, 0, 1, 0, 0, 1, 0}),
       Strings({"a", "b", "c", "d", "e", "f", "g", "h", "i", "j"})});
}

StatusOr<FittedPipeline> FitYaml(const std::string& yaml, const Table& table) {
  KEEL_ASSIGN_OR_RETURN(PipelineSpec spec, PipelineSpec::Parse(yaml, "prep.yaml"));
  KEEL_ASSIGN_OR_RETURN(Pipeline pipeline, Pipeline::Make(std::move(spec)));
  return pipeline.Fit(table);
}

std::string FitError(const std::string& yaml, const Table& table) {
  auto fitted = FitYaml(yaml, table);
  return fitted.ok() ? "OK" : std::string(fitted.status().message());
}

constexpr char kFullSpec[] = R"(remainder: drop
steps:
  - step: impute
    name: fill
    columns: {types: [numeric], exclude: [label]}
    strategy: median
    add_indicator: true
  - step: scale
    columns: [amount, age]
    method: robust
  - step: impute
    columns: city
    strategy: most_frequent
  - step: one_hot
    columns: [city, device]
    min_frequency: 2
    handle_unknown: bucket
  - step: datetime
    columns: {types: [timestamp]}
    features: [hour, dow, weekend, hour_sin, seconds]
)";

TEST(TransformPipelineTest, FullSpecBothPathsAndJson) {
  const Table table = Mixed();
  auto fitted = FitYaml(kFullSpec, table);
  ASSERT_TRUE(fitted.ok()) << fitted.status();
  EXPECT_THAT(fitted->output_schema().names(),
              ElementsAre("amount", "amount__missing", "age", "age__missing", "city=lyon",
                          "city=paris", "city=__infrequent__", "city=__unknown__", "device=android",
                          "device=ios", "device=web", "device=__unknown__", "ts__hour", "ts__dow",
                          "ts__weekend", "ts__hour_sin", "ts__seconds"));
  ExpectRowPathMatchesTable(*fitted, table);
  ExpectJsonRoundTrip(*fitted, table);
  auto out = fitted->Transform(table);
  ASSERT_TRUE(out.ok());
  // 2024-03-09T23:30Z was a Saturday (pandas dayofweek 5).
  EXPECT_EQ(out->column(12).Float64Values()[0], 23);
  EXPECT_EQ(out->column(13).Float64Values()[0], 5);
  EXPECT_EQ(out->column(14).Float64Values()[0], 1);
  EXPECT_TRUE(out->column(12).IsNull(2));
  // 1969-12-31T23:00Z: before the epoch.
  EXPECT_EQ(out->column(12).Float64Values()[6], 23);
  EXPECT_EQ(out->column(13).Float64Values()[6], 2);
  EXPECT_EQ(out->column(16).Float64Values()[6], -3600);
}

TEST(TransformPipelineTest, EveryStepRowPathEqualsTablePath) {
  const Table table = Mixed();
  const std::vector<std::string> steps = {
      "{step: impute, columns: [amount, age], strategy: mean, add_indicator: true}",
      "{step: impute, columns: [amount, age], strategy: most_frequent}",
      "{step: impute, columns: [city], strategy: constant, fill_value: none, add_indicator: true}",
      "{step: impute, columns: [amount], strategy: constant, fill_value: -1}",
      "{step: scale, columns: [amount, age], method: standard}",
      "{step: scale, columns: [amount, age], method: minmax, feature_range: [-1, 1]}",
      "{step: scale, columns: [amount, age], method: robust, quantile_range: [10, 90]}",
      "{step: scale, columns: [amount, age], method: maxabs}",
      "{step: log1p, columns: [amount]}",
      "{step: clip, columns: [amount, age], lower: 0.1, upper: 0.9}",
      "{step: one_hot, columns: [city, device], handle_unknown: ignore}",
      "{step: one_hot, columns: [city], max_categories: 3}",
      "{step: ordinal, columns: [city, device]}",
      "{step: frequency, columns: [city, device]}",
      "{step: target, columns: [city, device], target: label, smoothing: 2, folds: 3}",
      "{step: hashing, columns: [city], n_features: 4}",
      "{step: datetime, columns: [ts], features: [hour, dow, day, month, year, weekend, hour_sin, "
      "hour_cos, dow_sin, dow_cos, month_sin, month_cos, seconds]}",
      "{step: datetime, columns: [ts], features: [hour, day], timezone: America/New_York}",
      "{step: bin, columns: [amount, age], strategy: uniform, n_bins: 3}",
      "{step: bin, columns: [amount, age], strategy: quantile, n_bins: 4}",
      "{step: drop_missing, columns: {types: [all]}, max_missing_rate: 0.1}",
  };
  for (const std::string& step : steps) {
    SCOPED_TRACE(step);
    auto fitted = FitYaml("steps:\n  - " + step + "\n", table);
    ASSERT_TRUE(fitted.ok()) << fitted.status();
    ExpectRowPathMatchesTable(*fitted, table);
    ExpectJsonRoundTrip(*fitted, table);
  }
}

TEST(TransformPipelineTest, RemainderPassthroughKeepsOtherColumnsInPlace) {
  auto fitted = FitYaml("steps:\n  - {step: one_hot, columns: [device]}\n", Mixed());
  ASSERT_TRUE(fitted.ok()) << fitted.status();
  EXPECT_THAT(fitted->output_schema().names(),
              ElementsAre("amount", "age", "city", "device=android", "device=ios", "device=web",
                          "ts", "label", "note"));
}

TEST(TransformPipelineTest, SelectorsByPatternRegexAndExclude) {
  const Table table = *Table::Make(
      {"amount_a", "amount_b", "x1", "x22", "id"},
      {Doubles({1, 2}), Doubles({3, 4}), Doubles({5, 6}), Doubles({7, 8}), Ints({1, 2})});
  auto fitted = FitYaml(
      "remainder: drop\nsteps:\n  - step: scale\n    columns: {pattern: 'amount_*', regex: "
      "'x[0-9]', exclude: [amount_b]}\n",
      table);
  ASSERT_TRUE(fitted.ok()) << fitted.status();
  EXPECT_THAT(fitted->output_schema().names(), ElementsAre("amount_a", "x1"));
}

TEST(TransformPipelineTest, TargetEncodingIsOutOfFoldOnTrainingData) {
  PipelineSpec spec = *PipelineSpec::Parse(
      "steps:\n  - {step: target, columns: [city], target: label, smoothing: 0, folds: 2}\n",
      "prep.yaml");
  Pipeline pipeline = *Pipeline::Make(spec);
  const Table table = Mixed();
  auto result = pipeline.FitTransform(table);
  ASSERT_TRUE(result.ok()) << result.status();
  auto applied = result->pipeline.Transform(table);
  ASSERT_TRUE(applied.ok());
  const int c = applied->schema().IndexOf("city");
  // Applied: the full-data mean per category (every paris row has label 1).
  EXPECT_EQ(applied->column(c).Float64Values()[0], 1.0);
  EXPECT_EQ(applied->column(c).Float64Values()[1], 0.0);
  // Training output: out-of-fold, so it differs somewhere.
  bool differs = false;
  for (int64_t i = 0; i < table.num_rows(); ++i) {
    differs |=
        result->transformed.column(c).Float64Values()[i] != applied->column(c).Float64Values()[i];
  }
  EXPECT_TRUE(differs);
}

TEST(TransformPipelineTest, DoublesRoundTripExactlyThroughJson) {
  for (double v : {0.1, 1.0 / 3, -0.0, 5e-324, 2.2250738585072014e-308, 1.7976931348623157e308,
                   123456789.123456789, -HUGE_VAL, HUGE_VAL}) {
    const std::string text = DoubleToJson(v).dump();
    auto back = DoubleFromJson(nlohmann::json::parse(text));
    ASSERT_TRUE(back.ok()) << text;
    EXPECT_EQ(std::memcmp(&v, &*back, sizeof v), 0) << text;
  }
  EXPECT_EQ(DoubleToJson(kNaN).dump(), "\"NaN\"");
  EXPECT_TRUE(std::isnan(*DoubleFromJson(nlohmann::json("NaN"))));
  EXPECT_EQ(DoubleFromJson(nlohmann::json("x")).status().message(), "expected a number, got \"x\"");
}

// ---------------------------------------------------------------- bad input

TEST(TransformErrorsTest, ColumnNamedInSpecIsMissing) {
  EXPECT_EQ(FitError("steps:\n  - step: scale\n    columns: [amount, agee]\n", Mixed()),
            "prep.yaml:3:23: step 'scale': column 'agee' is not in the table. Did you mean "
            "'age'? Columns: amount, age, city, device, ts, label, note");
}

TEST(TransformErrorsTest, TypeTheStepCannotTake) {
  EXPECT_EQ(FitError("steps:\n  - step: scale\n    columns: [amount, city]\n", Mixed()),
            "prep.yaml:3:23: step 'scale': cannot take column 'city' of type string; it takes "
            "bool, int64, float64 columns. Change the step's columns (e.g. exclude: [city]) or "
            "convert the column first");
  EXPECT_EQ(FitError("steps:\n  - {step: one_hot, name: enc, columns: [amount]}\n", Mixed()),
            "prep.yaml:2:42: step 'enc' (one_hot): cannot take column 'amount' of type float64; "
            "it takes string columns. Change the step's columns (e.g. exclude: [amount]) or "
            "convert the column first");
}

TEST(TransformErrorsTest, UnseenCategoryIsAnErrorNamingColumnAndValue) {
  auto fitted = FitYaml("steps:\n  - {step: one_hot, columns: [device]}\n", Mixed());
  ASSERT_TRUE(fitted.ok());
  const Table fresh = *Table::Make({"amount", "age", "city", "device", "ts", "label", "note"},
                                   {Doubles({1}), Ints({1}), Strings({"x"}), Strings({"tv"}),
                                    Timestamps({0}), Ints({0}), Strings({"z"})});
  const std::string want =
      "step 'one_hot': column 'device' has the value 'tv', not seen during fit; set "
      "handle_unknown: ignore (all zeros) or bucket (a column 'device=__unknown__') to accept "
      "new values";
  auto out = fitted->Transform(fresh);
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(out.status().message(), want);
  Row row = fitted->NewRow();
  row.SetString(fitted->InputIndex("device"), "tv");
  Status s = fitted->TransformRow(&row);
  EXPECT_EQ(s.message(), want);

  auto ordinal = FitYaml("steps:\n  - {step: ordinal, columns: [device]}\n", Mixed());
  ASSERT_TRUE(ordinal.ok());
  EXPECT_EQ(ordinal->Transform(fresh).status().message(),
            "step 'ordinal': column 'device' has the value 'tv', not seen during fit; set "
            "handle_unknown: use_encoded_value (with unknown_value, default -1) to accept new "
            "values");
}

TEST(TransformErrorsTest, UnseenCategoryGoesToTheUnknownBucket) {
  auto fitted =
      FitYaml("steps:\n  - {step: one_hot, columns: [device], handle_unknown: bucket}\n", Mixed());
  ASSERT_TRUE(fitted.ok());
  Row row = fitted->NewRow();
  row.SetString(fitted->InputIndex("device"), "tv");
  ASSERT_TRUE(fitted->TransformRow(&row).ok());
  const int unknown = fitted->output_schema().IndexOf("device=__unknown__");
  const int ios = fitted->output_schema().IndexOf("device=ios");
  EXPECT_EQ(row.output(unknown).f64, 1.0);
  EXPECT_EQ(row.output(ios).f64, 0.0);
}

TEST(TransformErrorsTest, ConstantColumnUnderStandardScalingWarns) {
  const Table table =
      *Table::Make({"c", "x"}, {Doubles({3, 3, 3, std::nullopt}), Doubles({1, 2, 3, 4})});
  auto fitted = FitYaml("steps:\n  - {step: scale, columns: [c, x]}\n", table);
  ASSERT_TRUE(fitted.ok()) << fitted.status();
  EXPECT_THAT(fitted->warnings(),
              ElementsAre("step 'scale': column 'c' is constant in the training data (3); it is "
                          "centred and not scaled (scale 1), as scikit-learn does"));
  auto out = fitted->Transform(table);
  EXPECT_EQ(out->column(0).Float64Values()[0], 0.0);
  EXPECT_TRUE(out->column(0).IsNull(3));
  ExpectJsonRoundTrip(*fitted, table);
}

TEST(TransformErrorsTest, AllMissingColumn) {
  const Table table = *Table::Make({"gone", "x"}, {Doubles({std::nullopt, kNaN}), Doubles({1, 2})});
  EXPECT_EQ(FitError("steps:\n  - {step: impute, columns: [gone, x], strategy: median}\n", table),
            "step 'impute': column 'gone' has no value in the training data (2 rows, all "
            "missing); drop it (step: drop_missing) or impute it with strategy: constant first");
  EXPECT_EQ(FitError("steps:\n  - {step: scale, columns: [gone]}\n", table),
            "step 'scale': column 'gone' has no value in the training data (2 rows, all "
            "missing); drop it (step: drop_missing) or impute it with strategy: constant first");
  auto dropped = FitYaml("steps:\n  - {step: drop_missing, columns: {types: [all]}}\n", table);
  ASSERT_TRUE(dropped.ok());
  EXPECT_THAT(dropped->output_schema().names(), ElementsAre("x"));
}

TEST(TransformErrorsTest, InvalidSpecsSayFileLineColumn) {
  const Table table = Mixed();
  EXPECT_EQ(FitError("steps:\n  - step: one_hott\n    columns: [city]\n", table),
            "prep.yaml:2:11: unknown step 'one_hott'. Did you mean 'one_hot'? Known steps: bin, "
            "clip, correlation_filter, count_vectorizer, datetime, drop_missing, frequency, "
            "hashing, hashing_vectorizer, image, impute, log1p, one_hot, ordinal, polynomial, "
            "scale, select_from_model, select_k_best, target, tfidf, variance_threshold");
  EXPECT_EQ(FitError("steps:\n  - step: one_hot\n    columns: [city]\n    min_freq: 3\n", table),
            "prep.yaml:4:5: step 'one_hot': unknown parameter 'min_freq'. Did you mean "
            "'min_frequency'? Parameters: handle_unknown, min_frequency, max_categories");
  EXPECT_EQ(FitError("steps:\n  - step: impute\n    columns: [age]\n    strategy: meen\n", table),
            "prep.yaml:4:5: step 'impute': strategy: expected one of mean, median, "
            "most_frequent, constant; got 'meen'. Did you mean 'mean'?");
  EXPECT_EQ(FitError("steps:\n  - step: scale\n    columns: {types: [numerc]}\n", table),
            "prep.yaml:3:14: step 'scale': unknown column type 'numerc'. Did you mean "
            "'numeric'? Types: numeric, bool, int64, float64, string, timestamp, all");
  EXPECT_EQ(FitError("steps:\n  - step: scale\n    columns: [age\n", table),
            "prep.yaml:4:1: invalid YAML: end of sequence flow not found");
  EXPECT_EQ(FitError("step:\n  - step: scale\n", table),
            "prep.yaml:1:1: unknown key 'step'. Did you mean 'steps'? Keys: steps, remainder");
  EXPECT_EQ(FitError("steps:\n  - step: scale\n", table),
            "prep.yaml:2:5: step 'scale': missing 'columns'");
}

TEST(TransformErrorsTest, ApplyTimeInputProblems) {
  auto fitted = FitYaml("remainder: drop\nsteps:\n  - {step: scale, columns: [age]}\n", Mixed());
  ASSERT_TRUE(fitted.ok());
  EXPECT_EQ(fitted->Transform(*Table::Make({"agee"}, {Ints({1})})).status().message(),
            "column 'age' is missing from the input; the pipeline needs it (int64). Did you mean "
            "'agee'? Input columns: agee");
  EXPECT_EQ(fitted->Transform(*Table::Make({"age"}, {Doubles({1})})).status().message(),
            "column 'age' is float64 but the pipeline was fitted on int64; convert it to int64 or "
            "fit the pipeline again");
  Row row = fitted->NewRow();
  row.SetFloat64(fitted->InputIndex("age"), 1.5);
  EXPECT_EQ(fitted->TransformRow(&row).message(),
            "input 'age' is int64 in the pipeline; got a float64 value");
}

TEST(TransformErrorsTest, RegistryListsKnownSteps) {
  auto found = TransformRegistry::Default().Find("scaler");
  EXPECT_EQ(found.status().message(),
            "unknown step 'scaler'. Did you mean 'scale'? Known steps: bin, clip, "
            "correlation_filter, count_vectorizer, datetime, drop_missing, frequency, hashing, "
            "hashing_vectorizer, image, impute, log1p, one_hot, ordinal, polynomial, scale, "
            "select_from_model, select_k_best, target, tfidf, variance_threshold");
}

}  // namespace
}  // namespace keel::transform
