// "lasso" (lasso and elastic net) against scikit-learn's ElasticNet.
#include <ostream>
#include <vector>

#include "gtest/gtest.h"
#include "keel/learn/linear/linear_model.h"
#include "keel/learn/linear/sklearn_reference.h"

namespace keel::learn {
namespace {

using testing_util::Flatten;
using testing_util::MaxRelDiff;

constexpr double kTolerance = 1e-6;

struct Case {
  std::string name;
  double alpha;
  double l1_ratio;
  bool fit_intercept;
  bool weighted;
};
void PrintTo(const Case& c, std::ostream* os) { *os << c.name; }

class ElasticNetVsSklearn : public ::testing::TestWithParam<Case> {};

TEST_P(ElasticNetVsSklearn, CoefficientsAndIntercept) {
  if (!testing_util::HaveSklearn()) GTEST_SKIP() << "python3-sklearn is not installed";
  const Case& c = GetParam();
  Matrix x = testing_util::Gaussian(150, 10, 21, 2.0, 1.0);
  // Sparse truth: the lasso zeroes the small ones.
  const std::vector<double> coef = {3, 0, 0, -2, 0, 0.05, 0, 1, 0, 0};
  const std::vector<double> y = testing_util::LinearTarget(x, coef, -4.0, 1.0, 22);
  std::vector<double> w;
  if (c.weighted) {
    for (int64_t r = 0; r < x.rows(); ++r) w.push_back(1.0 + static_cast<double>(r % 5));
  }
  TrainData train{.x = x, .y = y, .weights = w};
  const std::vector<std::string> params = {
      "alpha=" + std::to_string(c.alpha), "l1_ratio=" + std::to_string(c.l1_ratio), "tol=1e-10",
      "max_iter=1000000", std::string("fit_intercept=") + (c.fit_intercept ? "true" : "false")};
  std::unique_ptr<Model> model = testing_util::FitOrDie("lasso", train, params);
  ASSERT_NE(model, nullptr);
  const auto& linear = dynamic_cast<const LinearModel&>(*model);

  StatusOr<nlohmann::json> ref =
      testing_util::SklearnReference({{"model", "enet"},
                                      {"alpha", c.alpha},
                                      {"l1_ratio", c.l1_ratio},
                                      {"tol", 1e-10},
                                      {"max_iter", 1000000},
                                      {"fit_intercept", c.fit_intercept}},
                                     x, y, w);
  ASSERT_TRUE(ref.ok()) << ref.status();
  const double coef_diff = MaxRelDiff(linear.coef(), Flatten((*ref)["coef"]));
  const double intercept_diff = MaxRelDiff(linear.intercept(), Flatten((*ref)["intercept"]));
  std::printf("[ sklearn  ] %s: coef max rel diff %.3g, intercept %.3g, n_iter %lld vs %d\n",
              c.name.c_str(), coef_diff, intercept_diff, static_cast<long long>(linear.n_iter()),
              (*ref)["n_iter"].get<int>());
  EXPECT_LE(coef_diff, kTolerance);
  EXPECT_LE(intercept_diff, kTolerance);
  // The same zeros: the L1 penalty's sparsity pattern.
  const std::vector<double> ref_coef = Flatten((*ref)["coef"]);
  for (size_t j = 0; j < ref_coef.size(); ++j) {
    EXPECT_EQ(linear.coef()[j] == 0, ref_coef[j] == 0) << "feature " << j;
  }
}

INSTANTIATE_TEST_SUITE_P(Cases, ElasticNetVsSklearn,
                         ::testing::Values(Case{"Lasso", 0.1, 1.0, true, false},
                                           Case{"LassoStrong", 0.8, 1.0, true, false},
                                           Case{"ElasticNet", 0.05, 0.5, true, false},
                                           Case{"ElasticNetMostlyL2", 0.3, 0.1, true, false},
                                           Case{"LassoNoIntercept", 0.1, 1.0, false, false},
                                           Case{"LassoWeighted", 0.1, 1.0, true, true}),
                         [](const ::testing::TestParamInfo<Case>& info) {
                           return info.param.name;
                         });

TEST(ElasticNetTest, HugeAlphaGivesAllZeroCoefficientsAndTheMean) {
  Matrix x = testing_util::Gaussian(40, 3, 3);
  const std::vector<double> y =
      testing_util::LinearTarget(x, std::vector<double>{1, 2, 3}, 5.0, 0.1, 4);
  TrainData train{.x = x, .y = y};
  std::unique_ptr<Model> model = testing_util::FitOrDie("lasso", train, {"alpha=1000"});
  ASSERT_NE(model, nullptr);
  const auto& linear = dynamic_cast<const LinearModel&>(*model);
  double mean = 0;
  for (double v : y) mean += v / static_cast<double>(y.size());
  for (double c : linear.coef()) EXPECT_EQ(c, 0.0);
  EXPECT_NEAR(linear.intercept()[0], mean, 1e-12);
}

}  // namespace
}  // namespace keel::learn
