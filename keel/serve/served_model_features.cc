// ServedModel for bundles that name a feature service: the inputs that are
// the service's features come from the online store, keyed by the join keys
// a request sends (one hop: the caller never fetches features itself).
#include <charconv>
#include <map>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "keel/base/time.h"
#include "keel/features/historical.h"
#include "keel/serve/feature_endpoints.h"
#include "keel/serve/served_model.h"

namespace keel::serve {
namespace {

// A stored value as the row path's Value; strings view into `v`.
Value ToValue(const features::FeatureValue& v) {
  if (v.is_null) return Value::Null(v.type);
  switch (v.type) {
    case DataType::kBool:
      return Value::Bool(v.int_value != 0);
    case DataType::kInt64:
      return Value::Int64(v.int_value);
    case DataType::kFloat64:
      return Value::Float64(v.float_value);
    case DataType::kTimestamp:
      return Value::Timestamp(v.int_value);
    case DataType::kString:
      return Value::String(v.string_value);
  }
  return Value::Null(v.type);
}

}  // namespace

StatusOr<std::shared_ptr<const ServedModel>> ServedModel::Make(
    learn::LoadedModel loaded, BatchingOptions batching, const FeatureEndpoints* features) {
  const std::string service_name = loaded.bundle.manifest().feature_service;
  const std::string label =
      absl::StrCat("model ", loaded.record.model, " version ", loaded.record.version);
  auto model = std::make_shared<ServedModel>(std::move(loaded), batching);
  if (service_name.empty()) return model;
  if (features == nullptr) {
    return absl::FailedPreconditionError(absl::StrCat(
        label, " reads feature service '", service_name,
        "' from the online store: start keel serve with --online-features"));
  }
  const features::FeatureDefinitions& defs = features->definitions();
  const features::FeatureService* service = defs.FindService(service_name);
  if (service == nullptr) {
    return absl::FailedPreconditionError(absl::StrCat(
        label, " reads feature service '", service_name,
        "', which feature definitions version ", features->definitions_version(),
        " no longer defines; apply definitions that do, or retrain"));
  }
  // Model inputs named view__feature of the service, grouped by view.
  std::map<std::string, size_t> view_index;
  std::vector<bool> fetched_input(model->model_inputs_.num_fields(), false);
  for (const features::FeatureRef& ref : service->features) {
    const int input =
        model->model_inputs_.IndexOf(features::FeatureColumnName(ref.view, ref.feature));
    if (input < 0) continue;  // the model does not use it
    const features::FeatureView& view = *defs.FindView(ref.view);
    features::OnlineView online = features::OnlineView::From(defs, view);
    const features::TypedName& declared = online.features[online.FeatureIndex(ref.feature)];
    if (declared.type != model->model_inputs_.field(input).type) {
      return absl::InvalidArgumentError(absl::StrCat(
          label, ": input '", model->model_inputs_.field(input).name, "' is ",
          std::string(DataTypeName(model->model_inputs_.field(input).type)),
          " but feature ", ref.view, ":", ref.feature, " is declared ",
          std::string(DataTypeName(declared.type))));
    }
    auto [it, added] = view_index.try_emplace(ref.view, model->fetched_.size());
    if (added) model->fetched_.push_back({.view = std::move(online)});
    model->fetched_[it->second].features.push_back(ref.feature);
    model->fetched_[it->second].model_inputs.push_back(input);
    fetched_input[input] = true;
  }
  if (model->fetched_.empty()) return model;
  // Request inputs: the model inputs not fetched, then the join keys.
  std::vector<Field> fields;
  model->request_to_model_.clear();
  for (int i = 0; i < model->model_inputs_.num_fields(); ++i) {
    if (fetched_input[i]) continue;
    fields.push_back(model->model_inputs_.field(i));
    model->request_to_model_.push_back(i);
  }
  for (FetchedView& f : model->fetched_) {
    for (const features::TypedName& key : f.view.join_keys) {
      int index = -1;
      for (size_t i = 0; i < fields.size(); ++i) {
        if (fields[i].name == key.name) index = static_cast<int>(i);
      }
      if (index >= 0 && fields[index].type != key.type) {
        return absl::InvalidArgumentError(absl::StrCat(
            label, ": input '", key.name, "' is ",
            std::string(DataTypeName(fields[index].type)), " but it is a join key of view ",
            f.view.name, " declared ", std::string(DataTypeName(key.type))));
      }
      if (index < 0) {
        index = static_cast<int>(fields.size());
        fields.push_back(Field{key.name, key.type, false});
        model->request_to_model_.push_back(-1);
      }
      f.key_inputs.push_back(index);
    }
  }
  KEEL_ASSIGN_OR_RETURN(model->inputs_, Schema::Make(std::move(fields)));
  model->features_ = features;
  return model;
}

StatusOr<Table> ServedModel::ScoreWithOnlineFeatures(const InputBatch& batch) const {
  const int64_t rows = batch.rows();
  InputBatch full(model_inputs_.num_fields(), rows);
  for (int i = 0; i < model_inputs_.num_fields(); ++i) {
    const Value null = Value::Null(model_inputs_.field(i).type);
    for (int64_t r = 0; r < rows; ++r) full.value(i, r) = null;
  }
  for (int i = 0; i < batch.num_inputs(); ++i) {
    if (!batch.present(i)) {
      return absl::InvalidArgumentError(absl::StrCat("input '", inputs_.field(i).name,
                                                     "' is missing"));
    }
    const int to = request_to_model_[i];
    if (to < 0) continue;
    for (int64_t r = 0; r < rows; ++r) full.value(to, r) = batch.value(i, r);
    full.set_present(to);
  }
  const int64_t now = NowMicros();
  // Kept alive until scoring ends: fetched strings are viewed, not copied.
  std::vector<std::vector<features::OnlineRow>> read(fetched_.size());
  std::vector<std::string> keys(rows);
  std::vector<std::string> key_values;
  char digits[24];
  for (size_t v = 0; v < fetched_.size(); ++v) {
    const FetchedView& f = fetched_[v];
    key_values.resize(f.key_inputs.size());
    for (int64_t r = 0; r < rows; ++r) {
      for (size_t j = 0; j < f.key_inputs.size(); ++j) {
        const Value& k = batch.value(f.key_inputs[j], r);
        if (!k.valid) {
          return absl::InvalidArgumentError(absl::StrCat(
              "input '", inputs_.field(f.key_inputs[j]).name, "' is null at row ", r,
              "; it is the join key that fetches feature view ", f.view.name));
        }
        if (k.type == DataType::kString) {
          key_values[j].assign(k.str);
        } else {
          const auto end = std::to_chars(digits, digits + sizeof(digits), k.i64).ptr;
          key_values[j].assign(digits, end);
        }
      }
      keys[r] = features::EncodeEntityKey(f.view.join_keys, key_values);
    }
    KEEL_RETURN_IF_ERROR(features_->store().Read(f.view, keys, f.features, now, &read[v]));
    for (size_t j = 0; j < f.features.size(); ++j) {
      for (int64_t r = 0; r < rows; ++r) {
        full.value(f.model_inputs[j], r) = ToValue(read[v][r].values[j]);
      }
      full.set_present(f.model_inputs[j]);
    }
  }
  return ScoreModelInputs(full);
}

}  // namespace keel::serve
