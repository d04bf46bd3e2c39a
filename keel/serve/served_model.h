// One loaded model version as the server scores it: the bundle, its
// registry record, and the row path (fitted pipeline row -> model row) with
// per-thread scratch space, so a request allocates little and a version
// stays alive (shared_ptr) until the last request that started on it ends.
//
//   auto model = std::make_shared<const ServedModel>(std::move(loaded));
//   InputBatch batch = model->NewBatch(rows);   // fill batch.value(i, r)
//   KEEL_ASSIGN_OR_RETURN(Table out, model->Score(batch));
#ifndef KEEL_SERVE_SERVED_MODEL_H_
#define KEEL_SERVE_SERVED_MODEL_H_

#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "keel/base/status.h"
#include "keel/features/online_store.h"
#include "keel/learn/bundle.h"
#include "keel/learn/model_store.h"
#include "keel/registry/records.h"
#include "keel/serve/batcher.h"
#include "keel/table/table.h"
#include "keel/transform/row.h"

namespace keel::serve {

using transform::Value;

// A request's rows, column by column, one column per model input (the
// bundle's manifest().inputs, in that order). Values are typed as the input
// is (DecodeValue below converts); strings are views the caller keeps alive.
class InputBatch {
 public:
  InputBatch() = default;
  InputBatch(int num_inputs, int64_t rows);

  int num_inputs() const { return static_cast<int>(columns_.size()); }
  int64_t rows() const { return rows_; }
  Value& value(int input, int64_t row) { return columns_[input][row]; }
  const Value& value(int input, int64_t row) const { return columns_[input][row]; }
  // Whether the request gave input `i` (a column no field set stays absent).
  bool present(int input) const { return present_[input]; }
  void set_present(int input) { present_[input] = true; }

 private:
  int64_t rows_ = 0;
  std::vector<std::vector<Value>> columns_;
  std::vector<bool> present_;
};

class FeatureEndpoints;

class ServedModel {
 public:
  // A model whose bundle names no feature service.
  explicit ServedModel(learn::LoadedModel loaded, BatchingOptions batching = {});
  // Any model. When the bundle names a feature service, the model's inputs
  // that are features of it ("view__feature") are read from `features`'
  // online store for each request row, by the views' join keys, which the
  // request sends instead (inputs() lists what a request sends). Inputs that
  // are on-demand features are computed per row from the request fields of
  // their views (request inputs too) and the features they read.
  // Errors: FailedPrecondition when the bundle names a service and
  // `features` is null (keel serve needs --online-features) or does not
  // define it; InvalidArgument when a fetched input's type differs from the
  // feature's declared type.
  static StatusOr<std::shared_ptr<const ServedModel>> Make(learn::LoadedModel loaded,
                                                           BatchingOptions batching,
                                                           const FeatureEndpoints* features);
  ~ServedModel();

  const std::string& name() const { return record_.model; }
  int64_t version() const { return record_.version; }
  const ModelVersionRecord& record() const { return record_; }
  const learn::Bundle& bundle() const { return bundle_; }
  // The raw inputs a request sends (name, type, nullable): the bundle's
  // inputs that its pipeline reads (bundles from before manifests listed
  // only those may list more), less those fetched from the online store or
  // computed on demand, plus the join keys that fetch needs and the request
  // fields of the on-demand views.
  const Schema& inputs() const { return inputs_; }
  // The feature service whose features are fetched online ("" if none).
  const std::string& feature_service() const { return bundle_.manifest().feature_service; }
  const Schema& outputs() const { return output_schema_; }
  // Index of an input by name, -1 when the model has no such input.
  int InputIndex(std::string_view name) const { return inputs().IndexOf(name); }

  // An empty batch shaped for this model, every value a typed null.
  InputBatch NewBatch(int64_t rows) const;

  // The model's inputs taken from `table`'s columns of the same names
  // (strings point into the table). Errors: NotFound naming a missing
  // column; InvalidArgument for a column of another type.
  StatusOr<InputBatch> BatchFromTable(const Table& table) const;

  // Scores every row of `batch` through the row path: the same numbers as
  // Bundle::Predict on the same rows (with the fetched features joined in).
  // Errors: InvalidArgument naming the input (and row) for a missing input,
  // a null join key, a value the pipeline refuses, or a string where the
  // model needs a number; the online store's errors (Unavailable).
  StatusOr<Table> Score(const InputBatch& batch) const;
  // What a request is answered with: Score, through the dynamic batcher
  // when batching is on (the same numbers; see batcher.h). Thread-safe.
  StatusOr<Table> Infer(const InputBatch& batch) const;
  // The batcher, or null when batching is off.
  const Batcher* batcher() const { return batcher_.get(); }

 private:
  struct Scratch;
  Scratch& ThreadScratch() const;

  // Scores a batch over model_inputs_ (every input the pipeline reads).
  StatusOr<Table> ScoreModelInputs(const InputBatch& batch) const;
  // Row `r` of `batch` into the pipeline's input slots of `row`.
  void SetRowInputs(const InputBatch& batch, int64_t r, transform::Row* row) const;
  // The same for a pipeline with sparse outputs: each row's non-zeros
  // (TransformRowSparse) into one CSR matrix, scored by PredictSparse, so a
  // request costs its terms, not the width of a hashing step.
  StatusOr<Table> ScoreSparse(const InputBatch& batch, Scratch& s) const;
  // The request batch with the fetched features joined in.
  StatusOr<Table> ScoreWithOnlineFeatures(const InputBatch& batch) const;

  // One feature view read from the online store for each request.
  struct FetchedView {
    features::OnlineView view;
    std::vector<int> key_inputs;        // request input of each join key
    std::vector<std::string> features;  // features read
    // Model input each one fills; -1 for one read only for an on-demand view.
    std::vector<int> model_inputs;
  };
  // One on-demand view computed for each request (features/on_demand.h).
  struct ComputedView {
    const features::OnDemandView* view = nullptr;  // owned by features_
    std::vector<int> features;                     // indices into view->features
    std::vector<int> model_inputs;                 // model input each one fills
    // Per slot of view->inputs: {-1, request input} for a request field,
    // {fetched view, index into its features} for a feature it reads.
    std::vector<std::pair<int, int>> slots;
  };

  ModelVersionRecord record_;
  learn::Bundle bundle_;
  Schema model_inputs_;
  Schema inputs_;  // what a request sends
  std::vector<FetchedView> fetched_;
  std::vector<ComputedView> computed_;
  std::vector<int> request_to_model_;  // request input -> model input, or -1
  const FeatureEndpoints* features_ = nullptr;
  Schema output_schema_;
  // With a pipeline: the pipeline's input slot of each model input, and the
  // pipeline output feeding each model feature. Without: the model input
  // feeding each feature.
  std::vector<int> input_slot_;
  std::vector<int> feature_source_;
  int64_t num_outputs_ = 0;
  uint64_t id_ = 0;  // distinguishes versions in the per-thread scratch cache
  std::unique_ptr<Batcher> batcher_;
};

}  // namespace keel::serve

#endif  // KEEL_SERVE_SERVED_MODEL_H_
