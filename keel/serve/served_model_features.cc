// ServedModel for bundles that name a feature service: the inputs that are
// the service's features come from the online store, keyed by the join keys
// a request sends (one hop: the caller never fetches features itself); its
// on-demand features are computed from the request fields and those.
#include <algorithm>
#include <charconv>
#include <map>
#include <span>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "keel/base/time.h"
#include "keel/features/aggregation_online.h"
#include "keel/features/historical.h"
#include "keel/features/on_demand.h"
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

// A request value as an on-demand view's input of type `type` (the request
// input has that type, or int64 for float64: features::ToInputType).
features::FeatureValue FromValue(const Value& v, DataType type) {
  features::FeatureValue out{.type = type};
  if (!v.valid) return out;
  out.is_null = false;
  if (type == DataType::kFloat64) {
    out.float_value = v.AsDouble();
  } else if (type == DataType::kString) {
    out.string_value = std::string(v.str);
  } else {
    out.int_value = v.i64;
  }
  return out;
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
  // Adds feature `feature` of `view_name` to fetched_ (once), filling
  // `input` (-1: none); returns {fetched view, index}.
  auto fetch = [&](const std::string& view_name, const std::string& feature, int input) {
    auto [it, added] = view_index.try_emplace(view_name, model->fetched_.size());
    if (added) {
      model->fetched_.push_back(
          {.view = features::OnlineView::From(defs, *defs.FindView(view_name))});
    }
    FetchedView& f = model->fetched_[it->second];
    for (size_t j = 0; j < f.features.size(); ++j) {
      if (f.features[j] != feature) continue;
      if (input >= 0) f.model_inputs[j] = input;
      return std::make_pair(static_cast<int>(it->second), static_cast<int>(j));
    }
    f.features.push_back(feature);
    f.model_inputs.push_back(input);
    return std::make_pair(static_cast<int>(it->second), static_cast<int>(f.features.size()) - 1);
  };
  for (const features::FeatureRef& ref : service->features) {
    const int input =
        model->model_inputs_.IndexOf(features::FeatureColumnName(ref.view, ref.feature));
    if (input < 0) continue;  // the model does not use it
    const features::OnDemandView* on_demand = defs.FindOnDemandView(ref.view);
    const features::FeatureView* view = defs.FindView(ref.view);
    features::TypedName declared;
    if (on_demand != nullptr) {
      const int index = on_demand->FeatureIndex(ref.feature);
      declared = {.name = ref.feature, .type = on_demand->features[index].type};
    } else {
      for (const features::TypedName& f : view->features) {
        if (f.name == ref.feature) declared = f;
      }
    }
    if (declared.type != model->model_inputs_.field(input).type) {
      return absl::InvalidArgumentError(absl::StrCat(
          label, ": input '", model->model_inputs_.field(input).name, "' is ",
          std::string(DataTypeName(model->model_inputs_.field(input).type)),
          " but feature ", ref.view, ":", ref.feature, " is declared ",
          std::string(DataTypeName(declared.type))));
    }
    fetched_input[input] = true;
    if (on_demand == nullptr) {
      fetch(ref.view, ref.feature, input);
      continue;
    }
    auto c = std::find_if(model->computed_.begin(), model->computed_.end(),
                          [&](const ComputedView& x) { return x.view == on_demand; });
    if (c == model->computed_.end()) {
      c = model->computed_.insert(model->computed_.end(), ComputedView{.view = on_demand});
    }
    c->features.push_back(on_demand->FeatureIndex(ref.feature));
    c->model_inputs.push_back(input);
  }
  // What on-demand views read: their request fields (slots set below) and
  // features, fetched whether or not the model uses them.
  for (ComputedView& c : model->computed_) {
    c.slots.assign(c.view->request_fields.size(), {-1, -1});
    for (const features::FeatureRef& in : c.view->feature_inputs) {
      c.slots.push_back(fetch(in.view, in.feature, -1));
    }
  }
  if (model->fetched_.empty() && model->computed_.empty()) return model;
  // Request inputs: the model inputs not fetched or computed, then the join
  // keys, then the request fields of the on-demand views.
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
  for (ComputedView& c : model->computed_) {
    for (size_t s = 0; s < c.view->request_fields.size(); ++s) {
      const features::TypedName& field = c.view->request_fields[s];
      int index = -1;
      for (size_t i = 0; i < fields.size(); ++i) {
        if (fields[i].name == field.name) index = static_cast<int>(i);
      }
      if (index >= 0 && fields[index].type != field.type &&
          !(fields[index].type == DataType::kInt64 && field.type == DataType::kFloat64)) {
        return absl::InvalidArgumentError(absl::StrCat(
            label, ": input '", field.name, "' is ", std::string(DataTypeName(fields[index].type)),
            " but it is a request field of on-demand view ", c.view->name, " declared ",
            std::string(DataTypeName(field.type))));
      }
      if (index < 0) {
        index = static_cast<int>(fields.size());
        fields.push_back(Field{field.name, field.type, true});
        model->request_to_model_.push_back(-1);
      }
      c.slots[s] = {-1, index};
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
    KEEL_RETURN_IF_ERROR(features::ReadOnlineFeatures(features_->store(), features_->definitions(),
                                                      f.view, keys, f.features, now, &read[v]));
    for (size_t j = 0; j < f.features.size(); ++j) {
      if (f.model_inputs[j] < 0) continue;  // read for an on-demand view
      for (int64_t r = 0; r < rows; ++r) {
        full.value(f.model_inputs[j], r) = ToValue(read[v][r].values[j]);
      }
      full.set_present(f.model_inputs[j]);
    }
  }
  // On-demand features, row by row as offline; kept alive until scoring
  // ends (strings are viewed).
  std::vector<std::vector<features::FeatureValue>> computed(computed_.size());
  std::vector<features::FeatureValue> in;
  for (size_t v = 0; v < computed_.size(); ++v) {
    const ComputedView& c = computed_[v];
    const size_t n = c.features.size();
    computed[v].resize(rows * n);
    in.resize(c.slots.size());
    for (int64_t r = 0; r < rows; ++r) {
      for (size_t s = 0; s < c.slots.size(); ++s) {
        const auto [from, index] = c.slots[s];
        in[s] = from < 0 ? FromValue(batch.value(index, r), c.view->inputs[s].type)
                         : read[from][r].values[index];
      }
      KEEL_RETURN_IF_ERROR(features::EvaluateOnDemandRow(*c.view, c.features, in, r,
                                                         std::span(computed[v]).subspan(r * n, n)));
    }
    for (size_t j = 0; j < n; ++j) {
      for (int64_t r = 0; r < rows; ++r) {
        full.value(c.model_inputs[j], r) = ToValue(computed[v][r * n + j]);
      }
      full.set_present(c.model_inputs[j]);
    }
  }
  return ScoreModelInputs(full);
}

}  // namespace keel::serve
