#include "keel/serve/served_model.h"

#include <atomic>
#include <cmath>
#include <limits>
#include <span>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "keel/learn/matrix.h"

namespace keel::serve {

InputBatch::InputBatch(int num_inputs, int64_t rows)
    : rows_(rows),
      columns_(static_cast<size_t>(num_inputs), std::vector<Value>(static_cast<size_t>(rows))),
      present_(static_cast<size_t>(num_inputs), false) {}

namespace {

std::atomic<uint64_t> next_model_id{1};

// A pipeline output or a raw input as the model's double: numbers as they
// are, bools and timestamps as integers, nulls as NaN (as MatrixFromTable).
bool ToFeature(const Value& v, double* out) {
  if (!v.valid) {
    *out = std::numeric_limits<double>::quiet_NaN();
    return true;
  }
  if (v.type == DataType::kString) return false;
  *out = v.AsDouble();
  return true;
}

}  // namespace

struct ServedModel::Scratch {
  transform::Row row;
  std::vector<double> x;
  learn::Matrix scores;
  std::vector<std::pair<int32_t, double>> entries;  // the sparse path's row
};

ServedModel::~ServedModel() = default;

StatusOr<Table> ServedModel::Infer(const InputBatch& batch) const {
  return batcher_ != nullptr ? batcher_->Score(batch) : Score(batch);
}

ServedModel::ServedModel(learn::LoadedModel loaded, BatchingOptions batching)
    : record_(std::move(loaded.record)),
      bundle_(std::move(loaded.bundle)),
      output_schema_(bundle_.OutputSchema()),
      num_outputs_(bundle_.model().num_outputs()),
      id_(next_model_id.fetch_add(1)) {
  const learn::BundleManifest& m = bundle_.manifest();
  model_inputs_ = m.inputs;
  if (const transform::FittedPipeline* pipeline = bundle_.pipeline()) {
    const Schema needed = pipeline->NeededInputs();
    std::vector<Field> fields;
    for (const Field& field : m.inputs.fields()) {
      if (needed.IndexOf(field.name) >= 0) fields.push_back(field);
    }
    StatusOr<Schema> inputs = Schema::Make(std::move(fields));
    if (inputs.ok()) model_inputs_ = *std::move(inputs);
    for (int i = 0; i < model_inputs_.num_fields(); ++i) {
      input_slot_.push_back(pipeline->InputIndex(model_inputs_.field(i).name));
    }
    for (const std::string& feature : m.features) {
      feature_source_.push_back(pipeline->output_schema().IndexOf(feature));
    }
  } else {
    for (const std::string& feature : m.features) {
      feature_source_.push_back(m.inputs.IndexOf(feature));
    }
  }
  inputs_ = model_inputs_;
  for (int i = 0; i < inputs_.num_fields(); ++i) request_to_model_.push_back(i);
  if (batching.enabled()) {
    batcher_ = std::make_unique<Batcher>(batching,
                                         [this](const InputBatch& batch) { return Score(batch); });
  }
}

InputBatch ServedModel::NewBatch(int64_t rows) const {
  InputBatch batch(inputs().num_fields(), rows);
  for (int i = 0; i < inputs().num_fields(); ++i) {
    const Value null = Value::Null(inputs().field(i).type);
    for (int64_t r = 0; r < rows; ++r) batch.value(i, r) = null;
  }
  return batch;
}

StatusOr<InputBatch> ServedModel::BatchFromTable(const Table& table) const {
  InputBatch batch = NewBatch(table.num_rows());
  for (int i = 0; i < inputs().num_fields(); ++i) {
    const Field& field = inputs().field(i);
    KEEL_ASSIGN_OR_RETURN(Column column, table.ColumnByName(field.name));
    if (column.type() != field.type) {
      return absl::InvalidArgumentError(
          absl::StrCat("column '", field.name, "' is ", std::string(DataTypeName(column.type())),
                       "; the model takes ", std::string(DataTypeName(field.type))));
    }
    for (int64_t r = 0; r < table.num_rows(); ++r) {
      Value& v = batch.value(i, r);
      if (column.IsNull(r)) continue;  // NewBatch left a typed null
      switch (field.type) {
        case DataType::kBool:
          v = Value::Bool(column.BoolValues()[r] != 0);
          break;
        case DataType::kInt64:
          v = Value::Int64(column.Int64Values()[r]);
          break;
        case DataType::kFloat64:
          v = Value::Float64(column.Float64Values()[r]);
          break;
        case DataType::kTimestamp:
          v = Value::Timestamp(column.TimestampValues()[r]);
          break;
        case DataType::kString:
          v = Value::String(column.StringAt(r));
          break;
      }
    }
    batch.set_present(i);
  }
  return batch;
}

ServedModel::Scratch& ServedModel::ThreadScratch() const {
  // Versions come and go; ids are never reused, so a stale entry is only
  // memory, dropped when the cache grows.
  thread_local absl::flat_hash_map<uint64_t, std::unique_ptr<Scratch>> cache;
  auto it = cache.find(id_);
  if (it != cache.end()) return *it->second;
  if (cache.size() >= 32) cache.clear();
  auto scratch = std::make_unique<Scratch>();
  if (const transform::FittedPipeline* pipeline = bundle_.pipeline())
    scratch->row = pipeline->NewRow();
  scratch->x.resize(feature_source_.size());
  return *cache.emplace(id_, std::move(scratch)).first->second;
}

StatusOr<Table> ServedModel::Score(const InputBatch& batch) const {
  return fetched_.empty() && computed_.empty() ? ScoreModelInputs(batch)
                                               : ScoreWithOnlineFeatures(batch);
}

StatusOr<Table> ServedModel::ScoreModelInputs(const InputBatch& batch) const {
  for (int i = 0; i < batch.num_inputs(); ++i) {
    if (!batch.present(i)) {
      return absl::InvalidArgumentError(
          absl::StrCat("input '", model_inputs_.field(i).name, "' is missing"));
    }
  }
  Scratch& s = ThreadScratch();
  const transform::FittedPipeline* pipeline = bundle_.pipeline();
  // (Before the per-feature check below: a sparse pipeline's features are
  // its outputs, possibly 2^18 of them.)
  if (pipeline != nullptr && pipeline->has_sparse_outputs()) return ScoreSparse(batch, s);
  const learn::BundleManifest& m = bundle_.manifest();
  for (size_t j = 0; j < feature_source_.size(); ++j) {
    if (feature_source_[j] < 0) {
      return absl::FailedPreconditionError(
          absl::StrCat("model ", name(), " version ", version(), ": feature '", m.features[j],
                       "' is neither a pipeline output nor an input (a damaged bundle?)"));
    }
  }
  const int64_t rows = batch.rows();
  if (s.scores.rows() != rows || s.scores.cols() != num_outputs_) {
    s.scores = learn::Matrix(rows, num_outputs_);
  }
  for (int64_t r = 0; r < rows; ++r) {
    if (pipeline != nullptr) {
      SetRowInputs(batch, r, &s.row);
      Status transformed = pipeline->TransformRow(&s.row);
      if (!transformed.ok()) {
        return absl::InvalidArgumentError(
            absl::StrCat("row ", r, ": ", std::string(transformed.message())));
      }
    }
    for (size_t j = 0; j < feature_source_.size(); ++j) {
      const Value& v = pipeline != nullptr ? s.row.output(feature_source_[j])
                                           : batch.value(feature_source_[j], r);
      if (!ToFeature(v, &s.x[j])) {
        return absl::InvalidArgumentError(absl::StrCat(
            "feature '", m.features[j], "' is a string at row ", r, "; the model needs a number"));
      }
    }
    KEEL_RETURN_IF_ERROR(bundle_.model().PredictRow(s.x, s.scores.row(r)));
  }
  return bundle_.ScoresToTable(s.scores);
}

void ServedModel::SetRowInputs(const InputBatch& batch, int64_t r, transform::Row* row) const {
  for (int i = 0; i < batch.num_inputs(); ++i) {
    if (input_slot_[i] >= 0) row->Set(input_slot_[i], batch.value(i, r));
  }
}

StatusOr<Table> ServedModel::ScoreSparse(const InputBatch& batch, Scratch& s) const {
  // The model's features are every pipeline output, in order (keel train
  // refuses --features with sparse outputs), so an entry's output index is
  // its feature index.
  const transform::FittedPipeline& pipeline = *bundle_.pipeline();
  const int64_t cols = pipeline.output_schema().num_fields();
  if (static_cast<int64_t>(bundle_.manifest().features.size()) != cols) {
    return absl::FailedPreconditionError(absl::StrCat(
        "model ", name(), " version ", version(), " has ", bundle_.manifest().features.size(),
        " features but its pipeline's sparse output has ", cols, " columns (a damaged bundle?)"));
  }
  transform::SparseMatrix::Builder x(cols);
  for (int64_t r = 0; r < batch.rows(); ++r) {
    SetRowInputs(batch, r, &s.row);
    Status transformed = pipeline.TransformRowSparse(&s.row, &s.entries);
    if (!transformed.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat("row ", r, ": ", std::string(transformed.message())));
    }
    for (const auto& [j, v] : s.entries) x.Add(j, v);
    x.EndRow();
  }
  KEEL_RETURN_IF_ERROR(bundle_.model().PredictSparse(std::move(x).Finish(), &s.scores));
  return bundle_.ScoresToTable(s.scores);
}

}  // namespace keel::serve
