// Internal: owning handles and error checking around libxgboost's C API.
// Every call into XGBoost in this folder goes through XgbCall, so a failure
// becomes a Status carrying XGBGetLastError(). Not part of the module's
// public surface (only this folder includes it).
#ifndef KEEL_LEARN_TREES_XGBOOST_API_H_
#define KEEL_LEARN_TREES_XGBOOST_API_H_

#include <xgboost/c_api.h>

#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "keel/base/status.h"
#include "keel/learn/matrix.h"
#include "keel/transform/sparse_matrix.h"

namespace keel::learn::trees {

// Ok when `rc` is 0; otherwise `code` with "<what>: <XGBGetLastError()>".
Status XgbCall(int rc, std::string_view what, absl::StatusCode code = absl::StatusCode::kInternal);

struct DMatrixDeleter {
  void operator()(void* handle) const { XGDMatrixFree(handle); }
};
struct BoosterDeleter {
  void operator()(void* handle) const { XGBoosterFree(handle); }
};
using DMatrixPtr = std::unique_ptr<void, DMatrixDeleter>;
using BoosterPtr = std::unique_ptr<void, BoosterDeleter>;

// `x` as an XGBoost DMatrix: doubles rounded to float (as XGBoost stores
// them), NaN missing. `labels`/`weights` may be empty. Errors:
// InvalidArgument for values XGBoost refuses (infinity), naming the call.
StatusOr<DMatrixPtr> MakeDMatrix(const Matrix& x, std::span<const double> labels,
                                 std::span<const double> weights, int threads);

// A CSR matrix as an XGBoost DMatrix (XGDMatrixCreateFromCSREx): values
// rounded to float; an absent entry and a stored NaN are both missing, as
// XGBoost treats sparse input. Errors: as MakeDMatrix.
StatusOr<DMatrixPtr> MakeSparseDMatrix(const transform::SparseMatrix& x,
                                       std::span<const double> labels,
                                       std::span<const double> weights);

// Sets the feature names on a DMatrix or a booster (both must match for
// XGBoost to train and for Python to load them).
Status SetFeatureNames(DMatrixHandle dmatrix, const std::vector<std::string>& names);
Status SetBoosterFeatureNames(BoosterHandle booster, const std::vector<std::string>& names);
// The booster's feature names, empty when it has none.
StatusOr<std::vector<std::string>> BoosterFeatureNames(BoosterHandle booster);

// A booster loaded from JSON or UBJSON bytes. Errors: DataLoss when XGBoost
// cannot parse them.
StatusOr<BoosterPtr> LoadBooster(std::string_view bytes);

// The booster as XGBoost's JSON model ({"format": "json"}).
StatusOr<std::string> SaveBoosterJson(BoosterHandle booster);

// XGBoost's own predictor on a DMatrix. `type` is the C API's prediction
// type (0 value, 1 margin, 2 SHAP contributions). Writes the flat output
// and its shape.
Status PredictDMatrix(BoosterHandle booster, DMatrixHandle dmatrix, int type,
                      std::vector<float>* out, std::vector<uint64_t>* shape);

// True when `name` can be a feature name in XGBoost (and so in Python):
// non-empty, without '[', ']' or '<'.
bool IsValidXgbFeatureName(std::string_view name);

}  // namespace keel::learn::trees

#endif  // KEEL_LEARN_TREES_XGBOOST_API_H_
