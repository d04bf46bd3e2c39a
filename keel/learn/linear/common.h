// Shared by the learners in learn/linear: input checks with messages that
// name the row and column, the exact-double JSON writer and the reader
// helpers behind Save/Load, and the fixed-order kernels that make Predict
// and PredictRow agree bit for bit. Internal to this folder; no Eigen here.
#ifndef KEEL_LEARN_LINEAR_COMMON_H_
#define KEEL_LEARN_LINEAR_COMMON_H_

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "keel/base/status.h"
#include "keel/learn/learner.h"
#include "keel/learn/matrix.h"
#include "keel/transform/sparse_matrix.h"
#include "nlohmann/json_fwd.hpp"

namespace keel::learn::linear_internal {

// InvalidArgument unless `task` is one of `learner`'s tasks.
Status CheckTask(const Learner& learner, Task task);

// Checks what every learner here needs: a non-empty x (train.sparse when
// set, which only a learner whose takes_sparse() is true accepts:
// SparseNotSupported otherwise); finite values in x (a NaN names its row and
// column, the feature name when given, and says to add an impute step); y of
// one finite value per row for supervised tasks (labels 0/1 for binary,
// integers 0..num_classes-1 for multiclass); weights empty or one finite
// value >= 0 per row with a positive sum.
Status CheckTrainData(const Learner& learner, const TrainData& train);

// The rows and columns of the features the learner trains on: train.sparse
// when set, otherwise train.x.
int64_t TrainRows(const TrainData& train);
int64_t TrainCols(const TrainData& train);

// InvalidArgument naming `row` (-1: not shown) and `column` when a value of
// `values` is NaN or infinite. `names` may be empty.
Status CheckFiniteRow(std::string_view learner, std::span<const double> values, int64_t row,
                      const std::vector<std::string>& names);

// As CheckFiniteRow for every stored value of a CSR matrix (a NaN stored
// there is a missing value, which linear models cannot take either).
Status CheckFiniteSparse(std::string_view learner, const transform::SparseMatrix& x,
                         const std::vector<std::string>& names);

// InvalidArgument unless `cols` == `expected` features.
Status CheckNumFeatures(std::string_view learner, int64_t cols, int64_t expected);

// The weights to use: train.weights, or all ones when empty.
std::vector<double> WeightsOrOnes(const TrainData& train);

// sum_i a[i] * b[i] in a fixed order (four interleaved partial sums), the one
// dot product Predict and PredictRow both use, so they agree bit for bit.
inline double Dot(const double* a, const double* b, int64_t n) {
  double s0 = 0, s1 = 0, s2 = 0, s3 = 0;
  int64_t i = 0;
  for (; i + 4 <= n; i += 4) {
    s0 += a[i] * b[i];
    s1 += a[i + 1] * b[i + 1];
    s2 += a[i + 2] * b[i + 2];
    s3 += a[i + 3] * b[i + 3];
  }
  for (; i < n; ++i) s0 += a[i] * b[i];
  return (s0 + s1) + (s2 + s3);
}

// Dot(a, x, n) for the dense row x that holds `values` at the ascending
// columns `indices` and 0 elsewhere, bit for bit: each product goes to the
// partial sum Dot gives its column, in the same order, and Dot's products
// with 0 add nothing (a is finite).
inline double SparseDot(const double* a, std::span<const int32_t> indices,
                        std::span<const double> values, int64_t n) {
  const int64_t n4 = n - n % 4;  // columns from n4 on are Dot's tail, summed into s0
  double s[4] = {0, 0, 0, 0};
  for (size_t i = 0; i < indices.size(); ++i) {
    const int64_t c = indices[i];
    s[c < n4 ? c % 4 : 0] += a[c] * values[i];
  }
  return (s[0] + s[1]) + (s[2] + s[3]);
}

// sum_i (a[i] - b[i])^2, in the same fixed order as Dot.
inline double SquaredDistance(const double* a, const double* b, int64_t n) {
  double s0 = 0, s1 = 0, s2 = 0, s3 = 0;
  int64_t i = 0;
  for (; i + 4 <= n; i += 4) {
    const double d0 = a[i] - b[i], d1 = a[i + 1] - b[i + 1];
    const double d2 = a[i + 2] - b[i + 2], d3 = a[i + 3] - b[i + 3];
    s0 += d0 * d0;
    s1 += d1 * d1;
    s2 += d2 * d2;
    s3 += d3 * d3;
  }
  for (; i < n; ++i) s0 += (a[i] - b[i]) * (a[i] - b[i]);
  return (s0 + s1) + (s2 + s3);
}

// A small JSON object writer. Doubles are written in shortest round-trip
// form (std::to_chars), so a Save/Load cycle reproduces every bit; NaN and
// infinities, which JSON cannot hold, are written as null.
class JsonWriter {
 public:
  JsonWriter() { out_ = "{"; }
  void String(std::string_view key, std::string_view value);
  void Int(std::string_view key, int64_t value);
  void Bool(std::string_view key, bool value);
  void Double(std::string_view key, double value);
  void Doubles(std::string_view key, std::span<const double> values);
  // A row-major rows x cols array as a list of rows.
  void DoubleRows(std::string_view key, std::span<const double> values, int64_t cols);
  void Strings(std::string_view key, const std::vector<std::string>& values);
  // `json` must be a complete JSON value.
  void Raw(std::string_view key, std::string_view json);
  std::string Finish() &&;

 private:
  void Key(std::string_view key);
  std::string out_;
};

void AppendDouble(double value, std::string* out);

// A flat JSON object (such as Params::ToJson()'s) written back in the same
// form: keys sorted, doubles in shortest round-trip form. So a reloaded
// model saves the same bytes.
std::string FlatJson(const nlohmann::json& object);

// Parses a payload written by JsonWriter and checks its "format" field.
// Errors: DataLoss naming `learner`.
Status ParsePayload(std::string_view payload, std::string_view learner, std::string_view format,
                    nlohmann::json* doc);

// Field readers for Load. Errors: DataLoss naming the field.
StatusOr<std::string> GetString(const nlohmann::json& doc, std::string_view key);
StatusOr<int64_t> GetInt(const nlohmann::json& doc, std::string_view key);
StatusOr<bool> GetBool(const nlohmann::json& doc, std::string_view key);
StatusOr<double> GetDouble(const nlohmann::json& doc, std::string_view key);
// A list of `size` numbers (size < 0: any length).
StatusOr<std::vector<double>> GetDoubles(const nlohmann::json& doc, std::string_view key,
                                         int64_t size);
// A list of `rows` lists of `cols` numbers, flattened row-major.
StatusOr<std::vector<double>> GetDoubleRows(const nlohmann::json& doc, std::string_view key,
                                            int64_t rows, int64_t cols);
StatusOr<std::vector<std::string>> GetStrings(const nlohmann::json& doc, std::string_view key);

}  // namespace keel::learn::linear_internal

#endif  // KEEL_LEARN_LINEAR_COMMON_H_
