#include "keel/learn/trees/xgboost_model.h"

#include <charconv>
#include <filesystem>

#include "absl/strings/str_cat.h"
#include "keel/base/files.h"
#include "keel/learn/trees/xgboost_api.h"

namespace keel::learn::trees {

XGBoostModel::XGBoostModel(void* booster, TreePredictor predictor, std::string learner, int rounds)
    : booster_(booster),
      predictor_(std::move(predictor)),
      learner_(std::move(learner)),
      rounds_(rounds) {}

XGBoostModel::~XGBoostModel() { XGBoosterFree(booster_); }

StatusOr<std::unique_ptr<XGBoostModel>> XGBoostModel::FromBooster(void* booster,
                                                                  std::string_view learner) {
  BoosterPtr owned(booster);
  KEEL_ASSIGN_OR_RETURN(std::string json, SaveBoosterJson(booster));
  KEEL_ASSIGN_OR_RETURN(TreePredictor predictor, TreePredictor::FromXGBoostJson(json));
  int rounds = 0;
  KEEL_RETURN_IF_ERROR(XgbCall(XGBoosterBoostedRounds(booster, &rounds), "counting rounds"));
  return std::unique_ptr<XGBoostModel>(
      new XGBoostModel(owned.release(), std::move(predictor), std::string(learner), rounds));
}

StatusOr<std::unique_ptr<XGBoostModel>> XGBoostModel::FromBytes(std::string_view bytes,
                                                                std::string_view learner) {
  KEEL_ASSIGN_OR_RETURN(BoosterPtr booster, LoadBooster(bytes));
  // JSON text opens with '{' then a key ('"'); UBJSON opens with '{' too,
  // then a length marker.
  const size_t open = bytes.find_first_not_of(" \t\r\n");
  const size_t key =
      open == std::string_view::npos ? open : bytes.find_first_not_of(" \t\r\n", open + 1);
  if (key == std::string_view::npos || bytes[open] != '{' || bytes[key] != '"') {
    return FromBooster(booster.release(), learner);  // UBJSON: compile from XGBoost's JSON
  }
  // JSON as XGBoost wrote it: compile the predictor from these bytes rather
  // than from a second copy saved by the Booster (10 models for a server:
  // about 135 ms instead of 180-300 ms, docs/BENCHMARKS.md).
  KEEL_ASSIGN_OR_RETURN(TreePredictor predictor, TreePredictor::FromXGBoostJson(bytes));
  int rounds = 0;
  KEEL_RETURN_IF_ERROR(XgbCall(XGBoosterBoostedRounds(booster.get(), &rounds), "counting rounds"));
  return std::unique_ptr<XGBoostModel>(
      new XGBoostModel(booster.release(), std::move(predictor), std::string(learner), rounds));
}

Status XGBoostModel::CheckFeatures(int64_t cols) const {
  if (cols == num_features()) return absl::OkStatus();
  return absl::InvalidArgumentError(absl::StrCat(
      "the input has ", cols, " features but the ", learner_, " model was trained on ",
      num_features(), "; pass the same feature columns, in the same order, as at training"));
}

Status XGBoostModel::Predict(const Matrix& x, Matrix* out) const {
  return predictor_.Predict(x, out);
}

Status XGBoostModel::PredictRow(std::span<const double> x, std::span<double> out) const {
  return predictor_.PredictRow(x, out);
}

Status XGBoostModel::PredictSparse(const transform::SparseMatrix& x, Matrix* out) const {
  return predictor_.PredictSparse(x, out);
}

StatusOr<std::string> XGBoostModel::Save() const {
  absl::MutexLock lock(&mu_);
  return SaveBoosterJson(booster_);
}

std::map<std::string, std::vector<double>> XGBoostModel::Importance() const {
  std::map<std::string, std::vector<double>> result;
  const int64_t n = num_features();
  const std::vector<std::string>& names = predictor_.feature_names();
  absl::MutexLock lock(&mu_);
  for (const char* type : {"gain", "weight", "cover"}) {
    const std::string config = absl::StrCat(R"({"importance_type": ")", type, R"("})");
    bst_ulong num = 0;
    const char** features = nullptr;
    bst_ulong dim = 0;
    const bst_ulong* shape = nullptr;
    const float* scores = nullptr;
    if (XGBoosterFeatureScore(booster_, config.c_str(), &num, &features, &dim, &shape, &scores) !=
        0) {
      continue;  // a model without splits has no scores
    }
    std::vector<double>& values = result[type];
    values.assign(static_cast<size_t>(n), 0.0);
    for (bst_ulong i = 0; i < num; ++i) {
      const std::string_view name = features[i];
      int64_t index = -1;
      for (size_t k = 0; k < names.size(); ++k) {
        if (names[k] == name) index = static_cast<int64_t>(k);
      }
      if (index < 0 && name.size() > 1 && name[0] == 'f') {
        auto [end, ec] = std::from_chars(name.data() + 1, name.data() + name.size(), index);
        if (ec != std::errc() || end != name.data() + name.size()) index = -1;
      }
      if (index >= 0 && index < n) values[static_cast<size_t>(index)] = scores[i];
    }
  }
  return result;
}

StatusOr<Matrix> XGBoostModel::Contributions(const Matrix& x) const {
  KEEL_RETURN_IF_ERROR(CheckFeatures(x.cols()));
  KEEL_ASSIGN_OR_RETURN(DMatrixPtr dmatrix, MakeDMatrix(x, {}, {}, 0));
  std::vector<float> values;
  std::vector<uint64_t> shape;
  {
    absl::MutexLock lock(&mu_);
    KEEL_RETURN_IF_ERROR(PredictDMatrix(booster_, dmatrix.get(), 2, &values, &shape));
  }
  const int64_t width = num_outputs() * (num_features() + 1);
  if (static_cast<int64_t>(values.size()) != x.rows() * width) {
    return absl::InternalError(absl::StrCat("xgboost returned ", values.size(),
                                            " contributions; expected ", x.rows() * width));
  }
  Matrix out(x.rows(), width);
  std::copy(values.begin(), values.end(), out.data());
  return out;
}

StatusOr<Matrix> XGBoostModel::PredictWithXGBoost(const Matrix& x, bool margin) const {
  KEEL_RETURN_IF_ERROR(CheckFeatures(x.cols()));
  KEEL_ASSIGN_OR_RETURN(DMatrixPtr dmatrix, MakeDMatrix(x, {}, {}, 0));
  return PredictWithXGBoost(dmatrix.get(), x.rows(), margin);
}

StatusOr<Matrix> XGBoostModel::PredictSparseWithXGBoost(const transform::SparseMatrix& x,
                                                        bool margin) const {
  KEEL_RETURN_IF_ERROR(CheckFeatures(x.cols()));
  KEEL_ASSIGN_OR_RETURN(DMatrixPtr dmatrix, MakeSparseDMatrix(x, {}, {}));
  return PredictWithXGBoost(dmatrix.get(), x.rows(), margin);
}

StatusOr<Matrix> XGBoostModel::PredictWithXGBoost(void* dmatrix, int64_t rows, bool margin) const {
  std::vector<float> values;
  std::vector<uint64_t> shape;
  {
    absl::MutexLock lock(&mu_);
    KEEL_RETURN_IF_ERROR(PredictDMatrix(booster_, dmatrix, margin ? 1 : 0, &values, &shape));
  }
  if (static_cast<int64_t>(values.size()) != rows * num_outputs()) {
    return absl::InternalError(absl::StrCat("xgboost returned ", values.size(),
                                            " predictions; expected ", rows * num_outputs()));
  }
  Matrix out(rows, num_outputs());
  std::copy(values.begin(), values.end(), out.data());
  return out;
}

StatusOr<std::unique_ptr<XGBoostModel>> ImportXGBoostModelFile(const std::string& path) {
  std::error_code error;
  if (!std::filesystem::is_regular_file(path, error)) {
    return absl::NotFoundError(
        absl::StrCat("XGBoost model file '", path, "' does not exist (or is not a file)"));
  }
  KEEL_ASSIGN_OR_RETURN(std::string bytes, ReadFile(path));
  StatusOr<std::unique_ptr<XGBoostModel>> model = XGBoostModel::FromBytes(bytes, "xgboost");
  if (!model.ok()) return Annotate(model.status(), path);
  return model;
}

}  // namespace keel::learn::trees
