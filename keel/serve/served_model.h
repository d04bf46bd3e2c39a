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
#include <vector>

#include "keel/base/status.h"
#include "keel/learn/bundle.h"
#include "keel/serve/batcher.h"
#include "keel/learn/model_store.h"
#include "keel/registry/records.h"
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

class ServedModel {
 public:
  explicit ServedModel(learn::LoadedModel loaded, BatchingOptions batching = {});
  ~ServedModel();

  const std::string& name() const { return record_.model; }
  int64_t version() const { return record_.version; }
  const ModelVersionRecord& record() const { return record_; }
  const learn::Bundle& bundle() const { return bundle_; }
  // The raw inputs a request sends (name, type, nullable): the bundle's
  // inputs that its pipeline reads (bundles from before manifests listed
  // only those may list more).
  const Schema& inputs() const { return inputs_; }
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
  // Bundle::Predict on the same rows. Errors: InvalidArgument naming the
  // input (and row) for a missing input, a value the pipeline refuses, or
  // a string where the model needs a number.
  StatusOr<Table> Score(const InputBatch& batch) const;
  // What a request is answered with: Score, through the dynamic batcher
  // when batching is on (the same numbers; see batcher.h). Thread-safe.
  StatusOr<Table> Infer(const InputBatch& batch) const;
  // The batcher, or null when batching is off.
  const Batcher* batcher() const { return batcher_.get(); }

 private:
  struct Scratch;
  Scratch& ThreadScratch() const;

  ModelVersionRecord record_;
  learn::Bundle bundle_;
  Schema inputs_;
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
