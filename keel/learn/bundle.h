// A trained model as one immutable object: a manifest (what it predicts,
// from which inputs, how it was made), the fitted transform pipeline, and
// the learner's payload. Training, batch scoring and serving all score raw
// rows through the same bundle, so they give the same numbers.
//
//   KEEL_ASSIGN_OR_RETURN(Bundle bundle, Bundle::Load(bytes));
//   KEEL_ASSIGN_OR_RETURN(Table predictions, bundle.Predict(raw_rows));
//
// On disk (bundle_file.h): sections manifest.json, pipeline.json (when the
// model was trained with a transform spec) and model.json (the learner's
// own format: XGBoost's JSON for trees, which Python's xgboost loads).
#ifndef KEEL_LEARN_BUNDLE_H_
#define KEEL_LEARN_BUNDLE_H_

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "keel/base/status.h"
#include "keel/learn/labels.h"
#include "keel/learn/learner.h"
#include "keel/table/schema.h"
#include "keel/table/table.h"
#include "keel/transform/pipeline.h"

namespace keel::learn {

// The bundle format this keel writes (manifest "format_version"); it reads
// this one and older ones.
inline constexpr int kBundleFormatVersion = 1;

// This library's version, "0.1.0" (CMake's PROJECT_VERSION).
const char* KeelLibraryVersion();

// major.minor.patch, compared in that order.
struct SemanticVersion {
  int major = 0;
  int minor = 0;
  int patch = 0;
  auto operator<=>(const SemanticVersion&) const = default;
  std::string ToString() const;  // "1.2.3"
};
// The first "N.N.N" in `text` ("keel 0.1.0 (git 1c737b8)" -> 0.1.0), or
// nullopt when there is none.
std::optional<SemanticVersion> ParseSemanticVersion(std::string_view text);

// Every learner Keel ships (linear, lasso, logistic, kmeans, pca, gbdt,
// rf), registered once.
const LearnerRegistry& BuiltinLearners();

struct BundleManifest {
  std::string keel_version;
  std::string git_revision;
  int64_t created_at_us = 0;
  Task task = Task::kRegression;
  std::string learner;
  std::string params_json;            // Params::ToJson()
  std::string target;                 // empty for unsupervised tasks
  ClassLabels classes;                // classification only
  Schema inputs;                      // the raw columns a caller sends
  std::vector<std::string> features;  // the model's columns, after the pipeline
  std::map<std::string, double> metrics;
  // Lineage.
  std::string dataset;
  std::string dataset_version;
  std::string transform_spec;  // the prep.yaml text
  std::string run_id;
  uint64_t seed = 0;
  // The feature service the training set came from (`keel features
  // get-historical --service`); empty: none. A server fetches the inputs
  // named "view__feature" of that service from the online store itself.
  std::string feature_service;

  std::string ToJson() const;
  // Errors: DataLoss for a manifest that does not parse or lacks a field;
  // FailedPrecondition, naming both versions and "upgrade keel", for a
  // bundle of a newer format_version or written by a newer keel.
  static StatusOr<BundleManifest> FromJson(std::string_view text);
};

class Bundle {
 public:
  Bundle(BundleManifest manifest, std::optional<transform::FittedPipeline> pipeline,
         std::unique_ptr<Model> model);
  Bundle(Bundle&&) = default;
  Bundle& operator=(Bundle&&) = default;

  // Errors: DataLoss for a damaged bundle (bundle_file.h) or payload;
  // NotFound for a learner this keel does not know; FailedPrecondition for
  // a bundle from a newer keel (BundleManifest::FromJson).
  static StatusOr<Bundle> Load(std::string_view bytes);
  StatusOr<std::string> Save() const;

  const BundleManifest& manifest() const { return manifest_; }
  const Model& model() const { return *model_; }
  const transform::FittedPipeline* pipeline() const {
    return pipeline_.has_value() ? &*pipeline_ : nullptr;
  }

  // Raw rows to the model's feature matrix: the pipeline (if any), then the
  // feature columns. Errors: InvalidArgument/NotFound naming a missing or
  // mistyped column, or a value the pipeline refuses; FailedPrecondition
  // when the pipeline has sparse outputs (use Scores or SparseFeatures).
  StatusOr<Matrix> Features(const Table& raw) const;
  // The pipeline's CSR output (FittedPipeline::TransformSparse) for a
  // bundle whose pipeline has sparse outputs. Errors: as Features, and
  // FailedPrecondition for a bundle without sparse outputs.
  StatusOr<transform::SparseMatrix> SparseFeatures(const Table& raw) const;
  // The model's scores for raw rows, through the dense or the sparse path
  // as the pipeline was trained. Errors: as Features and Model::Predict.
  StatusOr<Matrix> Scores(const Table& raw) const;

  // The columns Predict returns, by task:
  //   binary       prediction (the label, typed like the target), probability
  //   multiclass   prediction, probability_<label> for each class
  //   regression   prediction
  //   clustering   cluster (int64)
  //   reduction    component_1 .. component_k
  Schema OutputSchema() const;
  StatusOr<Table> Predict(const Table& raw) const;
  // The same, from scores the model already produced for these rows.
  StatusOr<Table> ScoresToTable(const Matrix& scores) const;

 private:
  BundleManifest manifest_;
  std::optional<transform::FittedPipeline> pipeline_;
  std::unique_ptr<Model> model_;
};

// A bundle around an XGBoost model file (JSON or UBJSON) trained elsewhere,
// e.g. by Python's xgboost: task from its objective, features from its
// feature names (f0, f1, ... when it has none), every input float64, class
// labels 0..k-1. Errors: as trees::ImportXGBoostModelFile.
StatusOr<Bundle> ImportXGBoostBundle(const std::string& path, std::string keel_version);

}  // namespace keel::learn

#endif  // KEEL_LEARN_BUNDLE_H_
