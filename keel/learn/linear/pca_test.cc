// "pca" against scikit-learn's PCA(svd_solver="full").
#include "keel/learn/linear/pca.h"

#include <ostream>
#include <vector>

#include "gtest/gtest.h"
#include "keel/learn/linear/sklearn_reference.h"

namespace keel::learn {
namespace {

using testing_util::Flatten;
using testing_util::MaxRelDiff;

// rows x cols of correlated, shifted columns (a random mixing of Gaussians).
Matrix Correlated(int64_t rows, int64_t cols, uint32_t seed) {
  const Matrix z = testing_util::Gaussian(rows, cols, seed);
  const Matrix mix = testing_util::Gaussian(cols, cols, seed + 1);
  Matrix x(rows, cols);
  for (int64_t r = 0; r < rows; ++r) {
    for (int64_t c = 0; c < cols; ++c) {
      double v = 3.0 + c;
      for (int64_t j = 0; j < cols; ++j) v += z.at(r, j) * mix.at(j, c) * (1.0 + j);
      x.at(r, c) = v;
    }
  }
  return x;
}

struct Case {
  std::string name;
  int64_t rows, cols, n_components;
  bool whiten;
};
void PrintTo(const Case& c, std::ostream* os) { *os << c.name; }

class PcaVsSklearn : public ::testing::TestWithParam<Case> {};

TEST_P(PcaVsSklearn, ComponentsVarianceAndTransform) {
  if (!testing_util::HaveSklearn()) GTEST_SKIP() << "python3-sklearn is not installed";
  const Case& c = GetParam();
  const Matrix x = Correlated(c.rows, c.cols, 81);
  TrainData train{.x = x, .task = Task::kReduction};
  std::unique_ptr<Model> model =
      testing_util::FitOrDie("pca", train,
                             {"n_components=" + std::to_string(c.n_components),
                              std::string("whiten=") + (c.whiten ? "true" : "false")});
  ASSERT_NE(model, nullptr);
  const auto& pca = dynamic_cast<const PcaModel&>(*model);
  nlohmann::json spec = {{"model", "pca"}, {"whiten", c.whiten}};
  spec["n_components"] =
      c.n_components == 0 ? nlohmann::json(nullptr) : nlohmann::json(c.n_components);
  StatusOr<nlohmann::json> ref = testing_util::SklearnReference(spec, x);
  ASSERT_TRUE(ref.ok()) << ref.status();

  Matrix projected;
  ASSERT_TRUE(model->Predict(x, &projected).ok());
  const double components_diff = MaxRelDiff(pca.components(), Flatten((*ref)["components"]));
  const double ratio_diff =
      MaxRelDiff(pca.explained_variance_ratio(), Flatten((*ref)["explained_variance_ratio"]));
  const double variance_diff =
      MaxRelDiff(pca.explained_variance(), Flatten((*ref)["explained_variance"]));
  const double transform_diff =
      MaxRelDiff({projected.data(), static_cast<size_t>(projected.rows() * projected.cols())},
                 Flatten((*ref)["transform"]));
  std::printf(
      "[ sklearn  ] %s: components max rel diff %.3g, explained_variance_ratio %.3g, "
      "explained_variance %.3g, transform %.3g\n",
      c.name.c_str(), components_diff, ratio_diff, variance_diff, transform_diff);
  EXPECT_LE(components_diff, 1e-9);
  EXPECT_LE(ratio_diff, 1e-9);
  EXPECT_LE(variance_diff, 1e-9);
  EXPECT_LE(transform_diff, 1e-9);
}

INSTANTIATE_TEST_SUITE_P(Cases, PcaVsSklearn,
                         ::testing::Values(Case{"AllComponents", 120, 6, 0, false},
                                           Case{"ThreeComponents", 120, 6, 3, false},
                                           Case{"Whitened", 120, 6, 3, true},
                                           Case{"WideData", 6, 10, 5, false}),
                         [](const ::testing::TestParamInfo<Case>& info) {
                           return info.param.name;
                         });

TEST(PcaTest, ProjectionsAreUncorrelatedWithTheExplainedVariances) {
  const Matrix x = Correlated(500, 4, 91);
  TrainData train{.x = x, .task = Task::kReduction};
  std::unique_ptr<Model> model = testing_util::FitOrDie("pca", train, {"whiten=true"});
  ASSERT_NE(model, nullptr);
  Matrix z;
  ASSERT_TRUE(model->Predict(x, &z).ok());
  for (int64_t a = 0; a < 4; ++a) {
    for (int64_t b = 0; b < 4; ++b) {
      double cov = 0;
      for (int64_t r = 0; r < z.rows(); ++r) cov += z.at(r, a) * z.at(r, b);
      EXPECT_NEAR(cov / static_cast<double>(z.rows() - 1), a == b ? 1.0 : 0.0, 1e-9);
    }
  }
}

}  // namespace
}  // namespace keel::learn
