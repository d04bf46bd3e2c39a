#include "keel/learn/linear/linear_model.h"

#include <cmath>

#include "absl/strings/str_cat.h"
#include "keel/learn/linear/common.h"
#include "nlohmann/json.hpp"

namespace keel::learn {
namespace {

using linear_internal::CheckFiniteRow;
using linear_internal::CheckFiniteSparse;
using linear_internal::CheckNumFeatures;
using linear_internal::Dot;
using linear_internal::SparseDot;

constexpr char kFormat[] = "keel-linear-1";

std::string_view LinkName(Link link) {
  switch (link) {
    case Link::kIdentity:
      return "identity";
    case Link::kLogistic:
      return "logistic";
    case Link::kSoftmax:
      return "softmax";
  }
  return "";
}

}  // namespace

LinearModel::LinearModel(Fitted fitted) : f_(std::move(fitted)) {}

int64_t LinearModel::num_outputs() const { return f_.link == Link::kSoftmax ? num_coef_rows() : 1; }

void LinearModel::Score(const double* x, double* out) const {
  const int64_t p = f_.num_features;
  for (int64_t j = 0; j < num_coef_rows(); ++j) {
    out[j] = Dot(f_.coef.data() + j * p, x, p) + f_.intercept[j];
  }
  ApplyLink(out);
}

void LinearModel::ScoreSparse(std::span<const int32_t> indices, std::span<const double> values,
                              double* out) const {
  const int64_t p = f_.num_features;
  for (int64_t j = 0; j < num_coef_rows(); ++j) {
    out[j] = SparseDot(f_.coef.data() + j * p, indices, values, p) + f_.intercept[j];
  }
  ApplyLink(out);
}

void LinearModel::ApplyLink(double* out) const {
  const int64_t k = num_coef_rows();
  switch (f_.link) {
    case Link::kIdentity:
      break;
    case Link::kLogistic: {
      // Written so that neither branch overflows.
      const double z = out[0];
      out[0] = z >= 0 ? 1.0 / (1.0 + std::exp(-z)) : std::exp(z) / (1.0 + std::exp(z));
      break;
    }
    case Link::kSoftmax: {
      double max = out[0];
      for (int64_t j = 1; j < k; ++j) max = std::max(max, out[j]);
      double sum = 0;
      for (int64_t j = 0; j < k; ++j) {
        out[j] = std::exp(out[j] - max);
        sum += out[j];
      }
      for (int64_t j = 0; j < k; ++j) out[j] /= sum;
      break;
    }
  }
}

Status LinearModel::Predict(const Matrix& x, Matrix* out) const {
  KEEL_RETURN_IF_ERROR(CheckNumFeatures(f_.learner, x.cols(), f_.num_features));
  for (int64_t r = 0; r < x.rows(); ++r) {
    KEEL_RETURN_IF_ERROR(CheckFiniteRow(f_.learner, x.row(r), r, f_.feature_names));
  }
  const int64_t m = num_outputs();
  if (out->rows() != x.rows() || out->cols() != m) *out = Matrix(x.rows(), m);
  for (int64_t r = 0; r < x.rows(); ++r) Score(x.row(r).data(), out->row(r).data());
  return absl::OkStatus();
}

Status LinearModel::PredictSparse(const transform::SparseMatrix& x, Matrix* out) const {
  KEEL_RETURN_IF_ERROR(CheckNumFeatures(f_.learner, x.cols(), f_.num_features));
  KEEL_RETURN_IF_ERROR(CheckFiniteSparse(f_.learner, x, f_.feature_names));
  const int64_t m = num_outputs();
  if (out->rows() != x.rows() || out->cols() != m) *out = Matrix(x.rows(), m);
  for (int64_t r = 0; r < x.rows(); ++r) {
    ScoreSparse(x.RowIndices(r), x.RowValues(r), out->row(r).data());
  }
  return absl::OkStatus();
}

Status LinearModel::PredictRow(std::span<const double> x, std::span<double> out) const {
  KEEL_RETURN_IF_ERROR(
      CheckNumFeatures(f_.learner, static_cast<int64_t>(x.size()), f_.num_features));
  if (static_cast<int64_t>(out.size()) != num_outputs()) {
    return absl::InvalidArgumentError(absl::StrCat(f_.learner, ": PredictRow needs room for ",
                                                   num_outputs(), " outputs, got ", out.size()));
  }
  KEEL_RETURN_IF_ERROR(CheckFiniteRow(f_.learner, x, -1, f_.feature_names));
  Score(x.data(), out.data());
  return absl::OkStatus();
}

StatusOr<std::string> LinearModel::Save() const {
  linear_internal::JsonWriter w;
  w.String("format", kFormat);
  w.String("learner", f_.learner);
  w.String("task", TaskName(f_.task));
  w.String("link", LinkName(f_.link));
  w.Int("num_features", f_.num_features);
  w.DoubleRows("coef", f_.coef, f_.num_features);
  w.Doubles("intercept", f_.intercept);
  w.Strings("feature_names", f_.feature_names);
  w.Int("n_iter", f_.n_iter);
  w.Raw("params", f_.params_json.empty() ? "{}" : f_.params_json);
  return std::move(w).Finish();
}

std::map<std::string, std::vector<double>> LinearModel::Importance() const {
  const int64_t p = f_.num_features;
  std::vector<double> importance(static_cast<size_t>(p), 0.0);
  for (int64_t j = 0; j < num_coef_rows(); ++j) {
    for (int64_t c = 0; c < p; ++c) importance[c] += std::abs(f_.coef[j * p + c]);
  }
  return {{"coef", std::move(importance)}};
}

StatusOr<std::unique_ptr<Model>> LinearModel::Load(std::string_view learner,
                                                   std::string_view payload) {
  nlohmann::json doc;
  KEEL_RETURN_IF_ERROR(linear_internal::ParsePayload(payload, learner, kFormat, &doc));
  using namespace linear_internal;  // NOLINT: the Get* readers
  Fitted f;
  KEEL_ASSIGN_OR_RETURN(f.learner, GetString(doc, "learner"));
  if (f.learner != learner) {
    return absl::DataLossError(absl::StrCat("model payload was saved by '", f.learner, "', not '",
                                            std::string(learner), "'"));
  }
  KEEL_ASSIGN_OR_RETURN(std::string task, GetString(doc, "task"));
  StatusOr<Task> parsed_task = ParseTask(task);
  if (!parsed_task.ok()) return absl::DataLossError(parsed_task.status().message());
  f.task = *parsed_task;
  KEEL_ASSIGN_OR_RETURN(std::string link, GetString(doc, "link"));
  bool known = false;
  for (Link l : {Link::kIdentity, Link::kLogistic, Link::kSoftmax}) {
    if (LinkName(l) == link) {
      f.link = l;
      known = true;
    }
  }
  if (!known) return absl::DataLossError(absl::StrCat("model payload: unknown link '", link, "'"));
  KEEL_ASSIGN_OR_RETURN(f.num_features, GetInt(doc, "num_features"));
  KEEL_ASSIGN_OR_RETURN(f.intercept, GetDoubles(doc, "intercept", -1));
  const int64_t rows = static_cast<int64_t>(f.intercept.size());
  if (f.num_features < 1 || rows < 1 || (f.link != Link::kSoftmax && rows != 1)) {
    return absl::DataLossError("model payload: inconsistent num_features / intercept sizes");
  }
  KEEL_ASSIGN_OR_RETURN(f.coef, GetDoubleRows(doc, "coef", rows, f.num_features));
  KEEL_ASSIGN_OR_RETURN(f.feature_names, GetStrings(doc, "feature_names"));
  KEEL_ASSIGN_OR_RETURN(f.n_iter, GetInt(doc, "n_iter"));
  auto params = doc.find("params");
  if (params != doc.end()) f.params_json = FlatJson(*params);
  return std::make_unique<LinearModel>(std::move(f));
}

}  // namespace keel::learn
