// The linear learners on CSR input (TrainData::sparse): `logistic` against
// scikit-learn's LogisticRegression and `linear` against Ridge /
// LinearRegression fitted on the same scipy CSR matrix, widths that a dense
// matrix could not hold, PredictSparse against Predict on the densified
// matrix, and the errors.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <ostream>
#include <span>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "keel/learn/linear/linear_model.h"
#include "keel/learn/linear/sklearn_reference.h"

namespace keel::learn {
namespace {

using ::testing::HasSubstr;
using testing_util::Flatten;
using testing_util::MaxRelDiff;

std::span<const double> All(const Matrix& m) {
  return {m.data(), static_cast<size_t>(m.rows() * m.cols())};
}

std::vector<double> Weights(int64_t rows) {
  std::vector<double> w;
  for (int64_t r = 0; r < rows; ++r) w.push_back(0.25 + static_cast<double>(r % 4));
  return w;
}

struct LogisticCase {
  std::string name;
  int k;  // 2: binary
  double c;
  int64_t rows, cols;
  int per_row;
  bool weighted;
};
void PrintTo(const LogisticCase& c, std::ostream* os) { *os << c.name; }

class SparseLogisticVsSklearn : public ::testing::TestWithParam<LogisticCase> {};

// The tolerances of logistic_test.cc against newton-cg (coefficients
// relative to the largest one, see below).
TEST_P(SparseLogisticVsSklearn, CoefficientsAndProbabilities) {
  if (!testing_util::HaveSklearn()) GTEST_SKIP() << "python3-sklearn is not installed";
  const LogisticCase& c = GetParam();
  const transform::SparseMatrix x = testing_util::SparseRandom(c.rows, c.cols, c.per_row, 51);
  const std::vector<double> y = testing_util::SparseSoftmaxLabels(x, c.k, 52);
  const std::vector<double> w = c.weighted ? Weights(c.rows) : std::vector<double>();
  const bool binary = c.k == 2;
  const Matrix unused;
  TrainData train{.x = unused,
                  .y = y,
                  .weights = w,
                  .task = binary ? Task::kBinary : Task::kMulticlass,
                  .num_classes = c.k,
                  .sparse = &x};
  std::unique_ptr<Model> model =
      testing_util::FitOrDie("logistic", train, {"C=" + std::to_string(c.c)});
  ASSERT_NE(model, nullptr);
  const auto& linear = dynamic_cast<const LinearModel&>(*model);
  Matrix proba;
  ASSERT_TRUE(model->PredictSparse(x, &proba).ok());

  StatusOr<nlohmann::json> ref = testing_util::SklearnReferenceSparse({{"model", "logistic"},
                                                                       {"solver", "newton-cg"},
                                                                       {"C", c.c},
                                                                       {"tol", 1e-10},
                                                                       {"max_iter", 300},
                                                                       {"fit_intercept", true}},
                                                                      x, y, w);
  ASSERT_TRUE(ref.ok()) << ref.status();
  EXPECT_TRUE((*ref)["sparse"].get<bool>());
  std::vector<double> ref_proba = Flatten((*ref)["proba"]);
  if (binary) {  // sklearn gives [P(0), P(1)]; Keel gives P(1)
    std::vector<double> p1;
    for (size_t i = 1; i < ref_proba.size(); i += 2) p1.push_back(ref_proba[i]);
    ref_proba = p1;
  }
  // Relative to the largest coefficient: on these data scikit-learn's
  // newton-cg stalls at max |gradient| ~6e-9 (it runs to max_iter), so the
  // tiny coefficients of rare columns are only known to ~1e-9 absolute.
  const std::vector<double> ref_coef = Flatten((*ref)["coef"]);
  double scale = 1e-3;
  for (double v : ref_coef) scale = std::max(scale, std::abs(v));
  const double coef_diff = MaxRelDiff(linear.coef(), ref_coef, scale);
  const double intercept_diff = MaxRelDiff(linear.intercept(), Flatten((*ref)["intercept"]));
  const double proba_diff = MaxRelDiff(All(proba), ref_proba, 1.0);
  std::printf(
      "[ sklearn  ] sparse %s (%lld x %lld, nnz %lld): coef max rel diff %.3g, intercept %.3g, "
      "proba max abs diff %.3g; Newton steps %lld\n",
      c.name.c_str(), static_cast<long long>(x.rows()), static_cast<long long>(x.cols()),
      static_cast<long long>(x.nnz()), coef_diff, intercept_diff, proba_diff,
      static_cast<long long>(linear.n_iter()));
  EXPECT_LE(coef_diff, 1e-7);
  EXPECT_LE(intercept_diff, 1e-7);
  EXPECT_LE(proba_diff, 1e-8);
}

INSTANTIATE_TEST_SUITE_P(
    Cases, SparseLogisticVsSklearn,
    ::testing::Values(LogisticCase{"Binary", 2, 1, 400, 300, 8, false},
                      LogisticCase{"BinaryWeighted", 2, 0.5, 400, 300, 8, true},
                      LogisticCase{"Multinomial", 3, 2, 400, 300, 8, false},
                      // 60k columns: 480 MB as a dense 1000-row matrix.
                      LogisticCase{"BinaryWide", 2, 10, 1000, 60000, 12, false},
                      LogisticCase{"MultinomialWide", 4, 10, 1000, 50000, 12, false}),
    [](const ::testing::TestParamInfo<LogisticCase>& info) { return info.param.name; });

struct RidgeCase {
  std::string name;
  double alpha;
  bool fit_intercept;
  int64_t rows, cols;
  int per_row;
  bool weighted;
};
void PrintTo(const RidgeCase& c, std::ostream* os) { *os << c.name; }

class SparseRidgeVsSklearn : public ::testing::TestWithParam<RidgeCase> {};

// Against Ridge(solver="sparse_cg") on the same CSR matrix (the solver
// scikit-learn picks for sparse X with fit_intercept), run to tol 1e-12.
TEST_P(SparseRidgeVsSklearn, CoefficientsAndIntercept) {
  if (!testing_util::HaveSklearn()) GTEST_SKIP() << "python3-sklearn is not installed";
  const RidgeCase& c = GetParam();
  const transform::SparseMatrix x = testing_util::SparseRandom(c.rows, c.cols, c.per_row, 61);
  std::vector<double> coef(static_cast<size_t>(c.cols));
  for (int64_t j = 0; j < c.cols; ++j) coef[j] = std::sin(0.7 * static_cast<double>(j)) * 3;
  const std::vector<double> y = testing_util::SparseLinearTarget(x, coef, 5.0, 0.3, 62);
  const std::vector<double> w = c.weighted ? Weights(c.rows) : std::vector<double>();
  const Matrix unused;
  TrainData train{.x = unused, .y = y, .weights = w, .sparse = &x};
  std::unique_ptr<Model> model = testing_util::FitOrDie(
      "linear", train,
      {"alpha=" + std::to_string(c.alpha),
       std::string("fit_intercept=") + (c.fit_intercept ? "true" : "false")});
  ASSERT_NE(model, nullptr);
  const auto& linear = dynamic_cast<const LinearModel&>(*model);
  StatusOr<nlohmann::json> ref =
      testing_util::SklearnReferenceSparse({{"model", "ridge"},
                                            {"alpha", c.alpha},
                                            {"solver", "sparse_cg"},
                                            {"tol", 1e-12},
                                            {"max_iter", 100000},
                                            {"fit_intercept", c.fit_intercept}},
                                           x, y, w);
  ASSERT_TRUE(ref.ok()) << ref.status();
  EXPECT_TRUE((*ref)["sparse"].get<bool>());
  const double coef_diff = MaxRelDiff(linear.coef(), Flatten((*ref)["coef"]));
  const double intercept_diff = MaxRelDiff(linear.intercept(), Flatten((*ref)["intercept"]));
  std::printf(
      "[ sklearn  ] sparse %s (%lld x %lld): coef max rel diff %.3g, intercept %.3g; CG steps "
      "%lld\n",
      c.name.c_str(), static_cast<long long>(x.rows()), static_cast<long long>(x.cols()), coef_diff,
      intercept_diff, static_cast<long long>(linear.n_iter()));
  EXPECT_LE(coef_diff, 1e-8);
  EXPECT_LE(intercept_diff, 1e-8);
}

INSTANTIATE_TEST_SUITE_P(
    Cases, SparseRidgeVsSklearn,
    ::testing::Values(RidgeCase{"Ridge", 1, true, 400, 200, 8, false},
                      RidgeCase{"RidgeWeighted", 2.5, true, 400, 200, 8, true},
                      RidgeCase{"RidgeNoIntercept", 1, false, 400, 200, 8, false},
                      RidgeCase{"RidgeWide", 1, true, 1000, 60000, 12, false}),
    [](const ::testing::TestParamInfo<RidgeCase>& info) { return info.param.name; });

// OLS from CSR against LinearRegression on the dense copy (a direct solve,
// where scikit-learn's sparse lsqr stops at 1e-6).
TEST(SparseLeastSquaresTest, OlsMatchesDenseLinearRegression) {
  if (!testing_util::HaveSklearn()) GTEST_SKIP() << "python3-sklearn is not installed";
  const transform::SparseMatrix x = testing_util::SparseRandom(300, 30, 8, 71);
  std::vector<double> coef(30);
  for (int j = 0; j < 30; ++j) coef[j] = j % 3 - 1.0;
  const std::vector<double> y = testing_util::SparseLinearTarget(x, coef, 2.0, 0.1, 72);
  const Matrix unused;
  TrainData train{.x = unused, .y = y, .sparse = &x};
  std::unique_ptr<Model> model = testing_util::FitOrDie("linear", train, {});
  ASSERT_NE(model, nullptr);
  const auto& linear = dynamic_cast<const LinearModel&>(*model);
  StatusOr<nlohmann::json> ref = testing_util::SklearnReference(
      {{"model", "linear"}, {"fit_intercept", true}}, testing_util::Densify(x), y);
  ASSERT_TRUE(ref.ok()) << ref.status();
  EXPECT_LE(MaxRelDiff(linear.coef(), Flatten((*ref)["coef"])), 1e-8);
  EXPECT_LE(MaxRelDiff(linear.intercept(), Flatten((*ref)["intercept"])), 1e-8);
}

// The same bits as Predict on the densified matrix, for every link, with a
// column count that leaves a tail after Dot's groups of four.
TEST(SparsePredictTest, EqualsPredictOnTheDensifiedMatrix) {
  const transform::SparseMatrix x = testing_util::SparseRandom(200, 37, 6, 81);
  const Matrix dense = testing_util::Densify(x);
  const std::vector<double> y2 = testing_util::SparseSoftmaxLabels(x, 2, 82);
  const std::vector<double> y3 = testing_util::SparseSoftmaxLabels(x, 3, 83);
  std::vector<double> coef(37, 1.0);
  const std::vector<double> yr = testing_util::SparseLinearTarget(x, coef, 1.0, 0.5, 84);
  const Matrix unused;
  struct Fit {
    std::string learner;
    TrainData data;
  };
  const Fit fits[] = {
      {"logistic", {.x = unused, .y = y2, .task = Task::kBinary, .num_classes = 2, .sparse = &x}},
      {"logistic",
       {.x = unused, .y = y3, .task = Task::kMulticlass, .num_classes = 3, .sparse = &x}},
      {"linear", {.x = unused, .y = yr, .sparse = &x}},
  };
  for (const Fit& fit : fits) {
    std::unique_ptr<Model> model = testing_util::FitOrDie(fit.learner, fit.data, {});
    ASSERT_NE(model, nullptr);
    Matrix from_sparse, from_dense;
    ASSERT_TRUE(model->PredictSparse(x, &from_sparse).ok());
    ASSERT_TRUE(model->Predict(dense, &from_dense).ok());
    ASSERT_EQ(from_sparse.rows(), from_dense.rows());
    ASSERT_EQ(from_sparse.cols(), from_dense.cols());
    for (int64_t i = 0; i < from_dense.rows() * from_dense.cols(); ++i) {
      ASSERT_EQ(from_sparse.data()[i], from_dense.data()[i]) << fit.learner << " value " << i;
    }
  }
}

// Sparse and dense fits of the same data reach the same optimum.
TEST(SparseLogisticTest, SparseFitEqualsDenseFit) {
  const transform::SparseMatrix x = testing_util::SparseRandom(300, 25, 6, 91);
  const Matrix dense = testing_util::Densify(x);
  const std::vector<double> y = testing_util::SparseSoftmaxLabels(x, 3, 92);
  TrainData sparse_train{
      .x = dense, .y = y, .task = Task::kMulticlass, .num_classes = 3, .sparse = &x};
  TrainData dense_train{.x = dense, .y = y, .task = Task::kMulticlass, .num_classes = 3};
  std::unique_ptr<Model> a = testing_util::FitOrDie("logistic", sparse_train, {"C=5"});
  std::unique_ptr<Model> b = testing_util::FitOrDie("logistic", dense_train, {"C=5"});
  ASSERT_NE(a, nullptr);
  ASSERT_NE(b, nullptr);
  const auto& la = dynamic_cast<const LinearModel&>(*a);
  const auto& lb = dynamic_cast<const LinearModel&>(*b);
  EXPECT_LE(MaxRelDiff(la.coef(), lb.coef()), 1e-9);
  EXPECT_LE(MaxRelDiff(la.intercept(), lb.intercept()), 1e-9);
}

transform::SparseMatrix WithValueAt(int64_t row, int32_t col, double value) {
  transform::SparseMatrix::Builder b(10);
  for (int64_t r = 0; r < 6; ++r) {
    b.Add(static_cast<int32_t>(r % 3), 1.0 + static_cast<double>(r));
    if (r == row) b.Add(col, value);
    b.EndRow();
  }
  return std::move(b).Finish();
}

TEST(SparseErrorsTest, StoredNanIsRefusedNamingRowAndColumn) {
  const transform::SparseMatrix x = WithValueAt(2, 5, std::nan(""));
  const std::vector<double> y = {0, 1, 0, 1, 0, 1};
  const Matrix unused;
  TrainData train{.x = unused, .y = y, .task = Task::kBinary, .num_classes = 2, .sparse = &x};
  train.feature_names = {"a", "b", "c", "d", "e", "word_x", "g", "h", "i", "j"};
  for (const std::string name : {"logistic", "linear"}) {
    if (name == "linear") train.task = Task::kRegression;
    const Learner& learner = testing_util::LinearLearner(name);
    auto model = learner.Fit(train, *ParseParams(name, learner.params(), {}), {});
    ASSERT_FALSE(model.ok()) << name;
    EXPECT_THAT(std::string(model.status().message()),
                HasSubstr("missing value (NaN) at row 2, column 5 ('word_x')"));
    EXPECT_THAT(std::string(model.status().message()), HasSubstr("impute"));
  }
}

TEST(SparseErrorsTest, PredictSparseChecksWidthAndValues) {
  const transform::SparseMatrix x = WithValueAt(0, 9, 1.0);
  const std::vector<double> y = {0, 1, 0, 1, 0, 1};
  const Matrix unused;
  TrainData train{.x = unused, .y = y, .task = Task::kBinary, .num_classes = 2, .sparse = &x};
  std::unique_ptr<Model> model = testing_util::FitOrDie("logistic", train, {});
  ASSERT_NE(model, nullptr);
  Matrix out;
  const transform::SparseMatrix inf = WithValueAt(4, 7, INFINITY);
  EXPECT_THAT(std::string(model->PredictSparse(inf, &out).message()),
              HasSubstr("infinite value at row 4, column 7"));
  transform::SparseMatrix::Builder narrow(9);
  narrow.EndRow();
  EXPECT_THAT(std::string(model->PredictSparse(std::move(narrow).Finish(), &out).message()),
              HasSubstr("X has 9 columns but the model was trained on 10 features"));
}

TEST(SparseErrorsTest, LearnersWithoutSparseInputSaySo) {
  const transform::SparseMatrix x = WithValueAt(0, 9, 1.0);
  const std::vector<double> y = {0, 1, 0, 1, 0, 1};
  const Matrix unused;
  TrainData train{.x = unused, .y = y, .sparse = &x};
  const Learner& lasso = testing_util::LinearLearner("lasso");
  EXPECT_FALSE(lasso.takes_sparse());
  auto model = lasso.Fit(train, *ParseParams("lasso", lasso.params(), {}), {});
  ASSERT_FALSE(model.ok());
  EXPECT_THAT(std::string(model.status().message()),
              HasSubstr("learner 'lasso' cannot take sparse features"));
  EXPECT_THAT(std::string(model.status().message()), HasSubstr("linear, logistic"));
}

}  // namespace
}  // namespace keel::learn
