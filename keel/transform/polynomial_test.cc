// The polynomial step: names and placement, nulls, both paths and JSON, its
// parameter errors, and its values against scikit-learn 1.2's
// PolynomialFeatures(degree=2, include_bias=False[, interaction_only=True])
// to 1e-12 (skipped without python3-sklearn).
#include <cmath>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "keel/base/testing/python.h"
#include "keel/transform/pipeline.h"
#include "keel/transform/test_util.h"
#include "nlohmann/json.hpp"

namespace keel::transform {
namespace {

using nlohmann::json;
using ::testing::ElementsAre;
using testutil::Doubles;
using testutil::Ints;
using testutil::Strings;

StatusOr<FittedPipeline> FitYaml(const std::string& yaml, const Table& table) {
  KEEL_ASSIGN_OR_RETURN(PipelineSpec spec, PipelineSpec::Parse(yaml, "prep.yaml"));
  KEEL_ASSIGN_OR_RETURN(Pipeline pipeline, Pipeline::Make(std::move(spec)));
  return pipeline.Fit(table);
}

Table Small() {
  return *Table::Make(
      {"a", "id", "b", "c"},
      {Doubles({1.5, std::nullopt, -2, std::nan(""), 4}), Strings({"p", "q", "r", "s", "t"}),
       Ints({3, 4, std::nullopt, 1, -2}), Doubles({0.5, 2, 1, 3, 1e300})});
}

TEST(PolynomialTest, TermsSitAtTheirFirstFactorAndNullsPropagate) {
  const Table table = Small();
  auto fitted = FitYaml("steps:\n  - {step: polynomial, columns: [a, b, c]}\n", table);
  ASSERT_TRUE(fitted.ok()) << fitted.status();
  EXPECT_THAT(fitted->output_schema().names(),
              ElementsAre("a", "a^2", "a*b", "a*c", "id", "b", "b^2", "b*c", "c", "c^2"));
  auto out = fitted->Transform(table);
  ASSERT_TRUE(out.ok()) << out.status();
  const Column ab = *out->ColumnByName("a*b");
  EXPECT_DOUBLE_EQ(ab.Float64Values()[0], 4.5);
  EXPECT_TRUE(ab.IsNull(1));  // a null
  EXPECT_TRUE(ab.IsNull(2));  // b null
  EXPECT_TRUE(ab.IsNull(3));  // a NaN
  EXPECT_DOUBLE_EQ(ab.Float64Values()[4], -8);
  EXPECT_TRUE((*out->ColumnByName("a")).IsNull(3));  // NaN in, null out
  EXPECT_EQ((*out->ColumnByName("b^2")).Float64Values()[4], 4);
  EXPECT_TRUE(std::isinf((*out->ColumnByName("c^2")).Float64Values()[4]));  // overflow stays inf
  testutil::ExpectRowPathMatchesTable(*fitted, table);
  testutil::ExpectJsonRoundTrip(*fitted, table);
}

TEST(PolynomialTest, InteractionOnlyAndAfterOtherSteps) {
  const Table table = Small();
  auto fitted = FitYaml(
      "remainder: drop\nsteps:\n  - {step: impute, columns: [a, b]}\n"
      "  - {step: polynomial, columns: [b, a], interaction_only: true}\n"
      "  - {step: scale, columns: ['a*b']}\n",
      table);
  ASSERT_TRUE(fitted.ok()) << fitted.status();
  // The selection keeps the table's order (a, b): a*b sits with a.
  EXPECT_THAT(fitted->output_schema().names(), ElementsAre("a", "a*b", "b"));
  testutil::ExpectRowPathMatchesTable(*fitted, table);
  testutil::ExpectJsonRoundTrip(*fitted, table);

  auto products =
      FitYaml("steps:\n  - {step: polynomial, columns: [a, c], include_squares: false}\n", table);
  ASSERT_TRUE(products.ok()) << products.status();
  EXPECT_THAT(products->output_schema().names(), ElementsAre("a", "a*c", "id", "b", "c"));
}

TEST(PolynomialTest, ParameterErrorsSayWhere) {
  const Table table = Small();
  auto error = [&](const std::string& yaml) {
    auto fitted = FitYaml(yaml, table);
    return fitted.ok() ? "OK" : std::string(fitted.status().message());
  };
  EXPECT_EQ(
      error("steps:\n  - step: polynomial\n    columns: [a, b]\n    interaction_onyl: true\n"),
      "prep.yaml:4:5: step 'polynomial': unknown parameter 'interaction_onyl'. Did you mean "
      "'interaction_only'? Parameters: interaction_only, include_squares");
  EXPECT_EQ(error("steps:\n  - step: polynomial\n    columns: [a, b]\n    interaction_only: true\n"
                  "    include_squares: true\n"),
            "prep.yaml:5:5: step 'polynomial': include_squares: contradicts interaction_only: "
            "true (which leaves out squares); set only one of them");
  EXPECT_EQ(error("steps:\n  - {step: polynomial, columns: [a, id]}\n"),
            "prep.yaml:2:37: step 'polynomial': cannot take column 'id' of type string; it takes "
            "bool, int64, float64 columns. Change the step's columns (e.g. exclude: [id]) or "
            "convert the column first");
}

constexpr char kScript[] = R"PY(
import json, sys
import numpy as np
from sklearn.preprocessing import PolynomialFeatures
d = json.load(sys.stdin)
X = np.array([[np.nan if v is None else v for v in col] for col in d["x"]], dtype=float).T
# PolynomialFeatures refuses NaN: it gets the complete rows only.
X = X[~np.isnan(X).any(axis=1)]
out = {}
for key, only in [("full", False), ("interaction_only", True)]:
    p = PolynomialFeatures(degree=2, include_bias=False, interaction_only=only)
    Y = p.fit_transform(X)
    out[key] = {"names": [str(n) for n in p.get_feature_names_out(d["names"])],
                "columns": [[None if np.isnan(v) else float(v) for v in col] for col in Y.T]}
print(json.dumps(out))
)PY";

TEST(PolynomialSklearnTest, MatchesPolynomialFeatures) {
  if (!testing::HavePythonModule("sklearn")) GTEST_SKIP() << "python3-sklearn is not installed";
  std::mt19937 rng(7);
  std::normal_distribution<double> normal(0, 30);
  const int rows = 500;
  std::vector<std::optional<double>> a, c;
  std::vector<std::optional<int64_t>> b;
  json x = json::array({json::array(), json::array(), json::array()});
  std::vector<bool> gap[2];
  for (int i = 0; i < rows; ++i) {
    const bool gap_a = rng() % 10 == 0, gap_b = rng() % 15 == 0;
    const double va = normal(rng), vc = std::exp(normal(rng) / 10);
    const int64_t vb = static_cast<int64_t>(rng() % 41) - 20;
    gap[0].push_back(gap_a);
    gap[1].push_back(gap_b);
    a.push_back(gap_a ? std::nullopt : std::optional<double>(va));
    b.push_back(gap_b ? std::nullopt : std::optional<int64_t>(vb));
    c.push_back(vc);
    x[0].push_back(gap_a ? json(nullptr) : json(va));
    x[1].push_back(gap_b ? json(nullptr) : json(vb));
    x[2].push_back(vc);
  }
  const Table table = *Table::Make({"a", "b", "c"}, {Doubles(a), Ints(b), Doubles(c)});
  auto ref = testing::RunPythonJson(kScript, {{"x", x}, {"names", {"a", "b", "c"}}});
  ASSERT_TRUE(ref.ok()) << ref.status();
  for (const std::string key : {"full", "interaction_only"}) {
    SCOPED_TRACE(key);
    auto fitted = FitYaml(std::string("steps:\n  - {step: polynomial, columns: [a, b, c]") +
                              (key == "full" ? "" : ", interaction_only: true") + "}\n",
                          table);
    ASSERT_TRUE(fitted.ok()) << fitted.status();
    auto out = fitted->Transform(table);
    ASSERT_TRUE(out.ok()) << out.status();
    const json& want = (*ref)[key];
    ASSERT_EQ(want["names"].size(), static_cast<size_t>(out->num_columns()));
    for (size_t j = 0; j < want["names"].size(); ++j) {
      std::string name = want["names"][j];  // "a b" -> "a*b"; "a^2" as is
      if (name.find(' ') != std::string::npos) name.replace(name.find(' '), 1, "*");
      auto column = out->ColumnByName(name);
      ASSERT_TRUE(column.ok()) << name;
      const Column* got = &*column;
      // Rows with a gap: null exactly when a factor of the term is missing.
      auto factor_missing = [&](int i) {
        return (gap[0][i] && name.find('a') != std::string::npos) ||
               (gap[1][i] && name.find('b') != std::string::npos);
      };
      int complete = 0;  // index into sklearn's rows
      for (int i = 0; i < rows; ++i) {
        if (gap[0][i] || gap[1][i]) {
          EXPECT_EQ(got->IsNull(i), factor_missing(i)) << name << " row " << i;
          continue;
        }
        const double v = want["columns"][j][complete++].get<double>();
        ASSERT_FALSE(got->IsNull(i)) << name << " row " << i;
        const double g = got->Float64Values()[i];
        EXPECT_LE(std::abs(g - v), 1e-12 * std::max(1.0, std::abs(v))) << name << " row " << i;
      }
      EXPECT_EQ(complete, static_cast<int>(want["columns"][j].size()));
    }
    testutil::ExpectRowPathMatchesTable(*fitted, table);
    testutil::ExpectJsonRoundTrip(*fitted, table);
  }
}

}  // namespace
}  // namespace keel::transform
