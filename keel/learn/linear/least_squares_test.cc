// "linear" (OLS and ridge) against scikit-learn's LinearRegression and Ridge.
#include <ostream>
#include <vector>

#include "gtest/gtest.h"
#include "keel/learn/linear/linear_model.h"
#include "keel/learn/linear/sklearn_reference.h"

namespace keel::learn {
namespace {

using testing_util::Flatten;
using testing_util::MaxRelDiff;

constexpr double kTolerance = 1e-9;

struct Case {
  std::string name;
  std::string model;  // sklearn_reference.py's
  double alpha;
  bool fit_intercept;
  bool weighted;
};
void PrintTo(const Case& c, std::ostream* os) { *os << c.name; }

class LeastSquaresVsSklearn : public ::testing::TestWithParam<Case> {};

TEST_P(LeastSquaresVsSklearn, CoefficientsAndIntercept) {
  if (!testing_util::HaveSklearn()) GTEST_SKIP() << "python3-sklearn is not installed";
  const Case& c = GetParam();
  // Shifted, unevenly scaled features so that centring matters.
  Matrix x = testing_util::Gaussian(200, 6, 11, 3.0, 10.0);
  for (int64_t r = 0; r < x.rows(); ++r) x.at(r, 2) *= 0.01;
  const std::vector<double> coef = {1.5, -2.0, 30.0, 0.0, 0.25, -0.75};
  const std::vector<double> y = testing_util::LinearTarget(x, coef, 3.0, 0.5, 12);
  std::vector<double> w;
  if (c.weighted) {
    for (int64_t r = 0; r < x.rows(); ++r) w.push_back(0.5 + static_cast<double>(r % 7) / 3);
  }
  TrainData train{.x = x, .y = y, .weights = w};
  std::unique_ptr<Model> model = testing_util::FitOrDie(
      "linear", train,
      {"alpha=" + std::to_string(c.alpha),
       std::string("fit_intercept=") + (c.fit_intercept ? "true" : "false")});
  ASSERT_NE(model, nullptr);
  const auto& linear = dynamic_cast<const LinearModel&>(*model);

  StatusOr<nlohmann::json> ref = testing_util::SklearnReference(
      {{"model", c.model}, {"alpha", c.alpha}, {"fit_intercept", c.fit_intercept}}, x, y, w);
  ASSERT_TRUE(ref.ok()) << ref.status();
  const std::vector<double> ref_coef = Flatten((*ref)["coef"]);
  const std::vector<double> ref_intercept = Flatten((*ref)["intercept"]);
  const double coef_diff = MaxRelDiff(linear.coef(), ref_coef);
  const double intercept_diff = MaxRelDiff(linear.intercept(), ref_intercept);
  RecordProperty("coef_rel_diff", std::to_string(coef_diff));
  RecordProperty("intercept_rel_diff", std::to_string(intercept_diff));
  std::printf("[ sklearn  ] %s: coef max rel diff %.3g, intercept %.3g\n", c.name.c_str(),
              coef_diff, intercept_diff);
  EXPECT_LE(coef_diff, kTolerance);
  EXPECT_LE(intercept_diff, kTolerance);
}

INSTANTIATE_TEST_SUITE_P(Cases, LeastSquaresVsSklearn,
                         ::testing::Values(Case{"Ols", "linear", 0, true, false},
                                           Case{"OlsNoIntercept", "linear", 0, false, false},
                                           Case{"OlsWeighted", "linear", 0, true, true},
                                           Case{"Ridge", "ridge", 2.5, true, false},
                                           Case{"RidgeStrong", "ridge", 500, true, false},
                                           Case{"RidgeWeighted", "ridge", 2.5, true, true},
                                           Case{"RidgeNoIntercept", "ridge", 2.5, false, false}),
                         [](const ::testing::TestParamInfo<Case>& info) {
                           return info.param.name;
                         });

TEST(LeastSquaresTest, RankDeficientOlsGivesTheMinimumNormSolution) {
  if (!testing_util::HaveSklearn()) GTEST_SKIP() << "python3-sklearn is not installed";
  // Column 2 is a copy of column 0: scipy's lstsq (gelsd) splits the weight
  // equally, and so does the complete orthogonal decomposition.
  Matrix x = testing_util::Gaussian(50, 3, 5);
  for (int64_t r = 0; r < x.rows(); ++r) x.at(r, 2) = x.at(r, 0);
  const std::vector<double> coef = {2.0, -1.0, 0.0};
  const std::vector<double> y = testing_util::LinearTarget(x, coef, 1.0, 0.1, 6);
  TrainData train{.x = x, .y = y};
  std::unique_ptr<Model> model = testing_util::FitOrDie("linear", train, {});
  ASSERT_NE(model, nullptr);
  const auto& linear = dynamic_cast<const LinearModel&>(*model);
  StatusOr<nlohmann::json> ref =
      testing_util::SklearnReference({{"model", "linear"}, {"fit_intercept", true}}, x, y);
  ASSERT_TRUE(ref.ok()) << ref.status();
  EXPECT_LE(MaxRelDiff(linear.coef(), Flatten((*ref)["coef"])), 1e-8);
  EXPECT_NEAR(linear.coef()[0], linear.coef()[2], 1e-9);
}

}  // namespace
}  // namespace keel::learn
