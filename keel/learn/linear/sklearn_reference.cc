#include "keel/learn/linear/sklearn_reference.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <random>

#include "gtest/gtest.h"
#include "keel/base/files.h"
#include "keel/base/testing/python.h"
#include "keel/base/testing/temp_dir.h"
#include "keel/learn/linear/register.h"

namespace keel::learn::testing_util {
namespace {

std::string ToCsv(std::span<const double> values, int64_t cols) {
  std::string out;
  char buffer[32];
  for (size_t i = 0; i < values.size(); ++i) {
    auto [end, ec] = std::to_chars(buffer, buffer + sizeof(buffer), values[i]);
    out.append(buffer, end);
    out += (static_cast<int64_t>(i + 1) % cols == 0) ? '\n' : ',';
  }
  return out;
}

Status WriteCsv(const std::string& path, std::span<const double> values, int64_t cols) {
  return WriteFileAtomic(path, ToCsv(values, cols));
}

std::span<const double> All(const Matrix& m) {
  return {m.data(), static_cast<size_t>(m.rows() * m.cols())};
}

}  // namespace

bool HaveSklearn() {
  static const bool have = keel::testing::HavePythonModule("sklearn");
  return have;
}

namespace {

// Writes y and weights (when given) beside the X already in `spec` and runs
// the script.
StatusOr<nlohmann::json> RunReference(nlohmann::json spec, const keel::testing::TempDir& dir,
                                      std::span<const double> y, std::span<const double> weights) {
  if (!y.empty()) {
    spec["y"] = dir.path() + "/y.csv";
    KEEL_RETURN_IF_ERROR(WriteCsv(spec["y"], y, 1));
  }
  if (!weights.empty()) {
    spec["w"] = dir.path() + "/w.csv";
    KEEL_RETURN_IF_ERROR(WriteCsv(spec["w"], weights, 1));
  }
  const std::string path =
      std::string(KEEL_SOURCE_DIR) + "/keel/learn/linear/testdata/sklearn_reference.py";
  KEEL_ASSIGN_OR_RETURN(std::string script, ReadFile(path));
  return keel::testing::RunPythonJson(script, spec, /*timeout_seconds=*/240);
}

}  // namespace

StatusOr<nlohmann::json> SklearnReference(nlohmann::json spec, const Matrix& x,
                                          std::span<const double> y,
                                          std::span<const double> weights, const Matrix* init) {
  keel::testing::TempDir dir;
  spec["x"] = dir.path() + "/x.csv";
  KEEL_RETURN_IF_ERROR(WriteCsv(spec["x"], All(x), x.cols()));
  if (init != nullptr) {
    spec["init"] = dir.path() + "/init.csv";
    KEEL_RETURN_IF_ERROR(WriteCsv(spec["init"], All(*init), init->cols()));
  }
  return RunReference(std::move(spec), dir, y, weights);
}

StatusOr<nlohmann::json> SklearnReferenceSparse(nlohmann::json spec,
                                                const transform::SparseMatrix& x,
                                                std::span<const double> y,
                                                std::span<const double> weights) {
  keel::testing::TempDir dir;
  std::vector<double> triplets;
  triplets.reserve(static_cast<size_t>(3 * x.nnz()));
  for (int64_t r = 0; r < x.rows(); ++r) {
    for (size_t i = 0; i < x.RowIndices(r).size(); ++i) {
      triplets.insert(triplets.end(), {static_cast<double>(r),
                                       static_cast<double>(x.RowIndices(r)[i]), x.RowValues(r)[i]});
    }
  }
  spec["x_coo"] = dir.path() + "/x_coo.csv";
  spec["shape"] = {x.rows(), x.cols()};
  KEEL_RETURN_IF_ERROR(WriteCsv(spec["x_coo"], triplets, 3));
  return RunReference(std::move(spec), dir, y, weights);
}

Matrix Gaussian(int64_t rows, int64_t cols, uint32_t seed, double scale, double shift) {
  std::mt19937 rng(seed);
  std::normal_distribution<double> normal;
  Matrix m(rows, cols);
  for (int64_t r = 0; r < rows; ++r) {
    for (int64_t c = 0; c < cols; ++c) m.at(r, c) = normal(rng) * scale + shift;
  }
  return m;
}

namespace {

// start + x_r . v for row r of a dense or CSR matrix.
double RowDot(const Matrix& x, int64_t r, const double* v, double start = 0) {
  double z = start;
  for (int64_t c = 0; c < x.cols(); ++c) z += x.at(r, c) * v[c];
  return z;
}
double RowDot(const transform::SparseMatrix& x, int64_t r, const double* v, double start = 0) {
  double z = start;
  for (size_t i = 0; i < x.RowIndices(r).size(); ++i)
    z += x.RowValues(r)[i] * v[x.RowIndices(r)[i]];
  return z;
}

template <typename X>
std::vector<double> LinearTargetOf(const X& x, std::span<const double> coef, double intercept,
                                   double noise, uint32_t seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<double> normal;
  std::vector<double> y(static_cast<size_t>(x.rows()));
  for (int64_t r = 0; r < x.rows(); ++r) {
    y[r] = RowDot(x, r, coef.data(), intercept) + noise * normal(rng);
  }
  return y;
}

template <typename X>
std::vector<double> SoftmaxLabelsOf(const X& x, int k, uint32_t seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<double> normal;
  std::uniform_real_distribution<double> uniform;
  std::vector<double> w(static_cast<size_t>(k * x.cols()));
  for (double& v : w) v = normal(rng);
  std::vector<double> y(static_cast<size_t>(x.rows()));
  std::vector<double> p(static_cast<size_t>(k));
  for (int64_t r = 0; r < x.rows(); ++r) {
    double sum = 0;
    for (int j = 0; j < k; ++j) {
      p[j] = std::exp(RowDot(x, r, w.data() + j * x.cols()));
      sum += p[j];
    }
    double u = uniform(rng) * sum;
    int label = 0;
    while (label < k - 1 && u > p[label]) u -= p[label++];
    y[r] = label;
  }
  return y;
}

}  // namespace

std::vector<double> LinearTarget(const Matrix& x, std::span<const double> coef, double intercept,
                                 double noise, uint32_t seed) {
  return LinearTargetOf(x, coef, intercept, noise, seed);
}

std::vector<double> SparseLinearTarget(const transform::SparseMatrix& x,
                                       std::span<const double> coef, double intercept, double noise,
                                       uint32_t seed) {
  return LinearTargetOf(x, coef, intercept, noise, seed);
}

std::vector<double> SoftmaxLabels(const Matrix& x, int k, uint32_t seed) {
  return SoftmaxLabelsOf(x, k, seed);
}

std::vector<double> SparseSoftmaxLabels(const transform::SparseMatrix& x, int k, uint32_t seed) {
  return SoftmaxLabelsOf(x, k, seed);
}

transform::SparseMatrix SparseRandom(int64_t rows, int64_t cols, int per_row, uint32_t seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<double> uniform(0, 1);
  transform::SparseMatrix::Builder builder(cols);
  std::vector<int32_t> picked;
  for (int64_t r = 0; r < rows; ++r) {
    picked.clear();
    while (static_cast<int>(picked.size()) < std::min<int64_t>(per_row, cols)) {
      // u^2 favours low indices: some columns are common, most are rare.
      const double u = uniform(rng);
      const auto c = static_cast<int32_t>(std::min<double>(u * u * cols, cols - 1));
      if (std::find(picked.begin(), picked.end(), c) == picked.end()) picked.push_back(c);
    }
    std::sort(picked.begin(), picked.end());
    for (int32_t c : picked) builder.Add(c, 0.1 + 0.9 * uniform(rng));
    builder.EndRow();
  }
  return std::move(builder).Finish();
}

Matrix Densify(const transform::SparseMatrix& x) {
  Matrix m(x.rows(), x.cols());
  for (int64_t r = 0; r < x.rows(); ++r) {
    for (size_t i = 0; i < x.RowIndices(r).size(); ++i) {
      m.at(r, x.RowIndices(r)[i]) = x.RowValues(r)[i];
    }
  }
  return m;
}

Matrix Blobs(int k, int64_t per_blob, int64_t cols, uint32_t seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<double> normal;
  std::uniform_real_distribution<double> uniform(-20, 20);
  Matrix m(k * per_blob, cols);
  for (int b = 0; b < k; ++b) {
    std::vector<double> centre(static_cast<size_t>(cols));
    for (double& c : centre) c = uniform(rng);
    for (int64_t i = 0; i < per_blob; ++i) {
      for (int64_t c = 0; c < cols; ++c) m.at(b * per_blob + i, c) = centre[c] + normal(rng);
    }
  }
  return m;
}

const Learner& LinearLearner(const std::string& name) {
  static const LearnerRegistry* registry = [] {
    auto* r = new LearnerRegistry();
    RegisterLinearLearners(*r);
    return r;
  }();
  StatusOr<const Learner*> learner = registry->Find(name);
  if (!learner.ok()) std::abort();
  return **learner;
}

std::unique_ptr<Model> FitOrDie(const std::string& name, const TrainData& train,
                                const std::vector<std::string>& assignments,
                                const FitOptions& options) {
  const Learner& learner = LinearLearner(name);
  StatusOr<Params> params = ParseParams(name, learner.params(), assignments);
  if (!params.ok()) {
    ADD_FAILURE() << params.status();
    return nullptr;
  }
  StatusOr<std::unique_ptr<Model>> model = learner.Fit(train, *params, options);
  if (!model.ok()) {
    ADD_FAILURE() << model.status();
    return nullptr;
  }
  return *std::move(model);
}

double MaxRelDiff(std::span<const double> a, std::span<const double> b, double floor) {
  if (a.size() != b.size()) return INFINITY;
  double worst = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    worst = std::max(worst, std::abs(a[i] - b[i]) / std::max(std::abs(b[i]), floor));
  }
  return worst;
}

std::vector<double> Flatten(const nlohmann::json& value) {
  std::vector<double> out;
  if (value.is_number()) {
    out.push_back(value.get<double>());
  } else {
    for (const nlohmann::json& v : value) {
      std::vector<double> inner = Flatten(v);
      out.insert(out.end(), inner.begin(), inner.end());
    }
  }
  return out;
}

}  // namespace keel::learn::testing_util
