#include "keel/learn/trees/xgboost_api.h"

#include <cmath>

#include "absl/strings/str_cat.h"

namespace keel::learn::trees {

Status XgbCall(int rc, std::string_view what, absl::StatusCode code) {
  if (rc == 0) return absl::OkStatus();
  const char* error = XGBGetLastError();
  return Status(code, absl::StrCat("xgboost ", std::string(what),
                                   " failed: ", error != nullptr ? error : "(no message)"));
}

namespace {

// Sets the labels and weights (either may be empty) of a new DMatrix.
Status SetLabelsAndWeights(DMatrixHandle handle, std::span<const double> labels,
                           std::span<const double> weights) {
  if (!labels.empty()) {
    std::vector<float> y(labels.begin(), labels.end());
    KEEL_RETURN_IF_ERROR(
        XgbCall(XGDMatrixSetFloatInfo(handle, "label", y.data(), static_cast<bst_ulong>(y.size())),
                "setting labels", absl::StatusCode::kInvalidArgument));
  }
  if (!weights.empty()) {
    std::vector<float> w(weights.begin(), weights.end());
    KEEL_RETURN_IF_ERROR(
        XgbCall(XGDMatrixSetFloatInfo(handle, "weight", w.data(), static_cast<bst_ulong>(w.size())),
                "setting weights", absl::StatusCode::kInvalidArgument));
  }
  return absl::OkStatus();
}

}  // namespace

StatusOr<DMatrixPtr> MakeDMatrix(const Matrix& x, std::span<const double> labels,
                                 std::span<const double> weights, int threads) {
  std::vector<float> values(static_cast<size_t>(x.rows() * x.cols()));
  const double* data = x.data();
  for (size_t i = 0; i < values.size(); ++i) values[i] = static_cast<float>(data[i]);
  DMatrixHandle handle = nullptr;
  KEEL_RETURN_IF_ERROR(XgbCall(
      XGDMatrixCreateFromMat_omp(values.data(), static_cast<bst_ulong>(x.rows()),
                                 static_cast<bst_ulong>(x.cols()), std::nanf(""), &handle, threads),
      "DMatrix creation", absl::StatusCode::kInvalidArgument));
  DMatrixPtr dmatrix(handle);
  KEEL_RETURN_IF_ERROR(SetLabelsAndWeights(handle, labels, weights));
  return dmatrix;
}

StatusOr<DMatrixPtr> MakeSparseDMatrix(const transform::SparseMatrix& x,
                                       std::span<const double> labels,
                                       std::span<const double> weights) {
  const std::vector<size_t> indptr(x.row_offsets().begin(), x.row_offsets().end());
  const std::vector<unsigned> indices(x.indices().begin(), x.indices().end());
  std::vector<float> values(x.values().size());
  for (size_t i = 0; i < values.size(); ++i) values[i] = static_cast<float>(x.values()[i]);
  DMatrixHandle handle = nullptr;
  KEEL_RETURN_IF_ERROR(
      XgbCall(XGDMatrixCreateFromCSREx(indptr.data(), indices.data(), values.data(), indptr.size(),
                                       values.size(), static_cast<size_t>(x.cols()), &handle),
              "DMatrix creation from CSR", absl::StatusCode::kInvalidArgument));
  DMatrixPtr dmatrix(handle);
  KEEL_RETURN_IF_ERROR(SetLabelsAndWeights(handle, labels, weights));
  return dmatrix;
}

namespace {

std::vector<const char*> CStrings(const std::vector<std::string>& names) {
  std::vector<const char*> out;
  out.reserve(names.size());
  for (const std::string& name : names) out.push_back(name.c_str());
  return out;
}

}  // namespace

Status SetFeatureNames(DMatrixHandle dmatrix, const std::vector<std::string>& names) {
  std::vector<const char*> c_names = CStrings(names);
  return XgbCall(XGDMatrixSetStrFeatureInfo(dmatrix, "feature_name", c_names.data(),
                                            static_cast<bst_ulong>(c_names.size())),
                 "setting DMatrix feature names", absl::StatusCode::kInvalidArgument);
}

Status SetBoosterFeatureNames(BoosterHandle booster, const std::vector<std::string>& names) {
  std::vector<const char*> c_names = CStrings(names);
  return XgbCall(XGBoosterSetStrFeatureInfo(booster, "feature_name", c_names.data(),
                                            static_cast<bst_ulong>(c_names.size())),
                 "setting booster feature names", absl::StatusCode::kInvalidArgument);
}

StatusOr<std::vector<std::string>> BoosterFeatureNames(BoosterHandle booster) {
  bst_ulong len = 0;
  const char** names = nullptr;
  KEEL_RETURN_IF_ERROR(XgbCall(XGBoosterGetStrFeatureInfo(booster, "feature_name", &len, &names),
                               "reading feature names"));
  return std::vector<std::string>(names, names + len);
}

StatusOr<BoosterPtr> LoadBooster(std::string_view bytes) {
  BoosterHandle handle = nullptr;
  KEEL_RETURN_IF_ERROR(XgbCall(XGBoosterCreate(nullptr, 0, &handle), "booster creation"));
  BoosterPtr booster(handle);
  KEEL_RETURN_IF_ERROR(XgbCall(
      XGBoosterLoadModelFromBuffer(handle, bytes.data(), static_cast<bst_ulong>(bytes.size())),
      "model load (is this an XGBoost JSON or UBJSON model, complete?)",
      absl::StatusCode::kDataLoss));
  return booster;
}

StatusOr<std::string> SaveBoosterJson(BoosterHandle booster) {
  bst_ulong len = 0;
  const char* data = nullptr;
  KEEL_RETURN_IF_ERROR(XgbCall(
      XGBoosterSaveModelToBuffer(booster, R"({"format": "json"})", &len, &data), "model save"));
  return std::string(data, len);
}

Status PredictDMatrix(BoosterHandle booster, DMatrixHandle dmatrix, int type,
                      std::vector<float>* out, std::vector<uint64_t>* shape) {
  const std::string config =
      absl::StrCat(R"({"type": )", type, R"(, "training": false, "iteration_begin": 0, )",
                   R"("iteration_end": 0, "strict_shape": false})");
  const bst_ulong* out_shape = nullptr;
  bst_ulong out_dim = 0;
  const float* result = nullptr;
  KEEL_RETURN_IF_ERROR(XgbCall(
      XGBoosterPredictFromDMatrix(booster, dmatrix, config.c_str(), &out_shape, &out_dim, &result),
      "prediction", absl::StatusCode::kInvalidArgument));
  size_t size = 1;
  shape->assign(out_shape, out_shape + out_dim);
  for (uint64_t d : *shape) size *= d;
  out->assign(result, result + size);
  return absl::OkStatus();
}

bool IsValidXgbFeatureName(std::string_view name) {
  return !name.empty() && name.find_first_of("[]<") == std::string_view::npos;
}

}  // namespace keel::learn::trees
