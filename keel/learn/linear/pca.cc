#include "keel/learn/linear/pca.h"

#include <algorithm>
#include <cmath>

#include "Eigen/Dense"
#include "Eigen/SVD"
#include "absl/strings/str_cat.h"
#include "keel/learn/linear/common.h"
#include "keel/learn/linear/eigen_util.h"
#include "keel/learn/linear/learners.h"
#include "nlohmann/json.hpp"

namespace keel::learn {
namespace {

using linear_internal::AsEigen;

constexpr char kFormat[] = "keel-pca-1";

class PcaLearner : public Learner {
 public:
  std::string_view name() const override { return "pca"; }
  std::string_view description() const override {
    return "principal component analysis (SVD of the centred data, scikit-learn's sign rule)";
  }
  std::span<const Task> tasks() const override { return kTasks; }
  std::span<const ParamSpec> params() const override { return Specs(); }
  StatusOr<std::unique_ptr<Model>> Fit(const TrainData& train, const Params& params,
                                       const FitOptions& options) const override;
  StatusOr<std::unique_ptr<Model>> Load(std::string_view payload) const override {
    return PcaModel::Load(payload);
  }

 private:
  static constexpr Task kTasks[] = {Task::kReduction};
  static const std::vector<ParamSpec>& Specs() {
    static const std::vector<ParamSpec> specs = {
        {.name = "n_components",
         .type = ParamType::kInt,
         .min = 0,
         .max = 100000,
         .default_value = "0",
         .help = "components to keep; 0 keeps min(rows, features)"},
        {.name = "whiten",
         .type = ParamType::kBool,
         .default_value = "false",
         .help = "divide each projection by sqrt(explained variance): unit variance outputs"},
    };
    return specs;
  }
};

StatusOr<std::unique_ptr<Model>> PcaLearner::Fit(const TrainData& train, const Params& params,
                                                 const FitOptions&) const {
  KEEL_RETURN_IF_ERROR(linear_internal::CheckTrainData(*this, train));
  if (!train.weights.empty()) {
    return absl::InvalidArgumentError(
        "pca does not take sample weights; drop the weight column for this model");
  }
  const int64_t n = train.x.rows();
  const int64_t p = train.x.cols();
  if (n < 2) {
    return absl::InvalidArgumentError("pca needs at least 2 rows to estimate variances");
  }
  const int64_t rank_max = std::min(n, p);
  int64_t m = params.Int("n_components");
  if (m == 0) m = rank_max;
  if (m > rank_max) {
    return absl::InvalidArgumentError(
        absl::StrCat("pca: n_components=", m, " is more than min(rows, features) = min(", n, ", ",
                     p, ") = ", rank_max, "; lower n_components (0 keeps all ", rank_max, ")"));
  }
  Eigen::MatrixXd x = AsEigen(train.x);
  const Eigen::RowVectorXd mean = x.colwise().mean();
  x.rowwise() -= mean;
  Eigen::BDCSVD<Eigen::MatrixXd> svd(x, Eigen::ComputeThinU | Eigen::ComputeThinV);
  if (svd.info() != Eigen::Success) {
    return absl::InternalError("pca: the SVD did not converge; check X for extreme values");
  }
  const Eigen::VectorXd& s = svd.singularValues();
  const Eigen::MatrixXd& u = svd.matrixU();
  const Eigen::MatrixXd& v = svd.matrixV();
  const double denom = static_cast<double>(n - 1);
  const double total_var = s.squaredNorm() / denom;
  const bool whiten = params.Bool("whiten");
  PcaModel::Fitted f;
  f.num_features = p;
  f.mean.assign(mean.data(), mean.data() + p);
  for (int64_t j = 0; j < m; ++j) {
    // svd_flip(u, v) as scikit-learn 1.2's PCA: the entry of U's column with
    // the largest magnitude (the first such) is made positive.
    Eigen::Index arg = 0;
    u.col(j).cwiseAbs().maxCoeff(&arg);
    const double sign = u(arg, j) < 0 ? -1.0 : 1.0;
    for (int64_t c = 0; c < p; ++c) f.components.push_back(sign * v(c, j));
    const double variance = s[j] * s[j] / denom;
    if (whiten && !(variance > 0)) {
      return absl::InvalidArgumentError(
          absl::StrCat("pca: component ", j,
                       " has zero variance, so it cannot be whitened; lower "
                       "n_components to the rank of X or set whiten=false"));
    }
    f.explained_variance.push_back(variance);
    f.explained_variance_ratio.push_back(total_var > 0 ? variance / total_var : 0.0);
    f.singular_values.push_back(s[j]);
  }
  f.whiten = whiten;
  f.feature_names = train.feature_names;
  f.params_json = params.ToJson();
  return std::make_unique<PcaModel>(std::move(f));
}

}  // namespace

PcaModel::PcaModel(Fitted fitted) : f_(std::move(fitted)) {}

void PcaModel::Project(const double* x, double* out) const {
  const int64_t p = f_.num_features;
  for (int64_t j = 0; j < n_components(); ++j) {
    const double* c = f_.components.data() + j * p;
    // sum_i (x_i - mean_i) * c_i with four interleaved partial sums.
    double s0 = 0, s1 = 0, s2 = 0, s3 = 0;
    int64_t i = 0;
    for (; i + 4 <= p; i += 4) {
      s0 += (x[i] - f_.mean[i]) * c[i];
      s1 += (x[i + 1] - f_.mean[i + 1]) * c[i + 1];
      s2 += (x[i + 2] - f_.mean[i + 2]) * c[i + 2];
      s3 += (x[i + 3] - f_.mean[i + 3]) * c[i + 3];
    }
    for (; i < p; ++i) s0 += (x[i] - f_.mean[i]) * c[i];
    double value = (s0 + s1) + (s2 + s3);
    if (f_.whiten) value /= std::sqrt(f_.explained_variance[j]);
    out[j] = value;
  }
}

Status PcaModel::Predict(const Matrix& x, Matrix* out) const {
  KEEL_RETURN_IF_ERROR(linear_internal::CheckNumFeatures("pca", x.cols(), f_.num_features));
  for (int64_t r = 0; r < x.rows(); ++r) {
    KEEL_RETURN_IF_ERROR(linear_internal::CheckFiniteRow("pca", x.row(r), r, f_.feature_names));
  }
  if (out->rows() != x.rows() || out->cols() != n_components()) {
    *out = Matrix(x.rows(), n_components());
  }
  for (int64_t r = 0; r < x.rows(); ++r) Project(x.row(r).data(), out->row(r).data());
  return absl::OkStatus();
}

Status PcaModel::PredictRow(std::span<const double> x, std::span<double> out) const {
  KEEL_RETURN_IF_ERROR(
      linear_internal::CheckNumFeatures("pca", static_cast<int64_t>(x.size()), f_.num_features));
  if (static_cast<int64_t>(out.size()) != n_components()) {
    return absl::InvalidArgumentError(absl::StrCat("pca: PredictRow needs room for ",
                                                   n_components(), " outputs, got ", out.size()));
  }
  KEEL_RETURN_IF_ERROR(linear_internal::CheckFiniteRow("pca", x, -1, f_.feature_names));
  Project(x.data(), out.data());
  return absl::OkStatus();
}

StatusOr<std::string> PcaModel::Save() const {
  linear_internal::JsonWriter w;
  w.String("format", kFormat);
  w.Int("num_features", f_.num_features);
  w.Doubles("mean", f_.mean);
  w.DoubleRows("components", f_.components, f_.num_features);
  w.Doubles("explained_variance", f_.explained_variance);
  w.Doubles("explained_variance_ratio", f_.explained_variance_ratio);
  w.Doubles("singular_values", f_.singular_values);
  w.Bool("whiten", f_.whiten);
  w.Strings("feature_names", f_.feature_names);
  w.Raw("params", f_.params_json.empty() ? "{}" : f_.params_json);
  return std::move(w).Finish();
}

StatusOr<std::unique_ptr<Model>> PcaModel::Load(std::string_view payload) {
  nlohmann::json doc;
  KEEL_RETURN_IF_ERROR(linear_internal::ParsePayload(payload, "pca", kFormat, &doc));
  using namespace linear_internal;  // NOLINT: the Get* readers
  Fitted f;
  KEEL_ASSIGN_OR_RETURN(f.num_features, GetInt(doc, "num_features"));
  if (f.num_features < 1) return absl::DataLossError("pca model payload: num_features < 1");
  KEEL_ASSIGN_OR_RETURN(f.explained_variance, GetDoubles(doc, "explained_variance", -1));
  const int64_t m = static_cast<int64_t>(f.explained_variance.size());
  KEEL_ASSIGN_OR_RETURN(f.mean, GetDoubles(doc, "mean", f.num_features));
  KEEL_ASSIGN_OR_RETURN(f.components, GetDoubleRows(doc, "components", m, f.num_features));
  KEEL_ASSIGN_OR_RETURN(f.explained_variance_ratio, GetDoubles(doc, "explained_variance_ratio", m));
  KEEL_ASSIGN_OR_RETURN(f.singular_values, GetDoubles(doc, "singular_values", m));
  KEEL_ASSIGN_OR_RETURN(f.whiten, GetBool(doc, "whiten"));
  KEEL_ASSIGN_OR_RETURN(f.feature_names, GetStrings(doc, "feature_names"));
  auto params = doc.find("params");
  if (params != doc.end()) f.params_json = FlatJson(*params);
  return std::make_unique<PcaModel>(std::move(f));
}

std::unique_ptr<Learner> NewPcaLearner() { return std::make_unique<PcaLearner>(); }

}  // namespace keel::learn
