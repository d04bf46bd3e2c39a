// Test helpers for learn/linear: seeded data sets, fitting a registered
// learner by name, and scikit-learn's answer on the same data (CSV files in
// a temp folder, testdata/sklearn_reference.py, JSON back).
#ifndef KEEL_LEARN_LINEAR_SKLEARN_REFERENCE_H_
#define KEEL_LEARN_LINEAR_SKLEARN_REFERENCE_H_

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "keel/base/status.h"
#include "keel/learn/learner.h"
#include "keel/learn/matrix.h"
#include "keel/transform/sparse_matrix.h"
#include "nlohmann/json.hpp"

namespace keel::learn::testing_util {

// True when /usr/bin/python3 can import sklearn (tests skip otherwise).
bool HaveSklearn();

// Runs testdata/sklearn_reference.py (through testing/python.h's
// RunPythonJson) with `spec` plus the paths of x (and y, weights, initial
// centres when not empty) written as CSV in a temp folder.
StatusOr<nlohmann::json> SklearnReference(nlohmann::json spec, const Matrix& x,
                                          std::span<const double> y = {},
                                          std::span<const double> weights = {},
                                          const Matrix* init = nullptr);

// As SklearnReference with a CSR X: scikit-learn fits a scipy CSR matrix
// (row,col,value lines in a temp file), never a dense copy.
StatusOr<nlohmann::json> SklearnReferenceSparse(nlohmann::json spec,
                                                const transform::SparseMatrix& x,
                                                std::span<const double> y = {},
                                                std::span<const double> weights = {});

// rows x cols of N(0, 1) * scale + shift, from `seed`.
Matrix Gaussian(int64_t rows, int64_t cols, uint32_t seed, double scale = 1, double shift = 0);
// y = x . coef + intercept + noise * N(0, 1).
std::vector<double> LinearTarget(const Matrix& x, std::span<const double> coef, double intercept,
                                 double noise, uint32_t seed);
// Labels 0..k-1 drawn from a softmax over x . W_k (k = 2: binary).
std::vector<double> SoftmaxLabels(const Matrix& x, int k, uint32_t seed);
// rows x cols CSR with `per_row` distinct columns per row (low column
// indices drawn more often, as words in text) and values in [0.1, 1) (as
// TF-IDF), from `seed`.
transform::SparseMatrix SparseRandom(int64_t rows, int64_t cols, int per_row, uint32_t seed);
// The dense copy of `x`.
Matrix Densify(const transform::SparseMatrix& x);
// LinearTarget and SoftmaxLabels for CSR x (weights drawn as for dense x).
std::vector<double> SparseLinearTarget(const transform::SparseMatrix& x,
                                       std::span<const double> coef, double intercept, double noise,
                                       uint32_t seed);
std::vector<double> SparseSoftmaxLabels(const transform::SparseMatrix& x, int k, uint32_t seed);
// `k` well-separated Gaussian blobs of `per_blob` rows each.
Matrix Blobs(int k, int64_t per_blob, int64_t cols, uint32_t seed);

// The registry learner `name` fitted with `assignments`; fails the test on
// an error (returns null).
std::unique_ptr<Model> FitOrDie(const std::string& name, const TrainData& train,
                                const std::vector<std::string>& assignments,
                                const FitOptions& options = {});
// The learner `name` from a registry holding the linear learners.
const Learner& LinearLearner(const std::string& name);

// max_i |a_i - b_i| / max(|b_i|, floor): a relative difference that does not
// blow up at values near zero.
double MaxRelDiff(std::span<const double> a, std::span<const double> b, double floor = 1e-3);
// A JSON list of numbers, or of lists of numbers, flattened.
std::vector<double> Flatten(const nlohmann::json& value);

}  // namespace keel::learn::testing_util

#endif  // KEEL_LEARN_LINEAR_SKLEARN_REFERENCE_H_
