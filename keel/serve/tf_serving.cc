#include "keel/serve/tf_serving.h"

#include <algorithm>
#include <cstdint>
#include <vector>

#include "absl/strings/str_cat.h"
#include "keel/base/json_string.h"
#include "keel/serve/codec.h"
#include "keel/serve/json_input.h"

namespace keel::serve {

namespace {

using internal::dom::array;
using internal::dom::element;
using internal::dom::element_type;
using internal::dom::object;

Status MissingInputs(const InputBatch& batch, const ServedModel& model, const std::string& field) {
  for (int i = 0; i < model.inputs().num_fields(); ++i) {
    if (!batch.present(i)) {
      return FieldError(field, absl::StrCat("input '", model.inputs().field(i).name,
                                            "' is missing; every row needs every model input"));
    }
  }
  return absl::OkStatus();
}

// Row r given as an object {input: value}, a positional array, or (for a
// one-input model) a bare value. `seen` is scratch space of one flag per
// input.
Status DecodeRow(element row, int64_t r, const std::string& list, const ServedModel& model,
                 std::vector<uint8_t>* seen, InputBatch* batch) {
  const int k = model.inputs().num_fields();
  const std::string field = absl::StrCat(list, "[", r, "]");
  if (row.type() == element_type::OBJECT) {
    std::fill(seen->begin(), seen->end(), 0);
    object fields = row.get_object().value_unsafe();
    for (auto [key, value] : fields) {
      const int input = model.InputIndex(key);
      const std::string key_field = absl::StrCat(field, ".", std::string(key));
      if (input < 0) return FieldError(key_field, internal::UnknownInputMessage(model, key));
      if ((*seen)[input] != 0) return FieldError(key_field, "given twice");
      (*seen)[input] = 1;
      KEEL_RETURN_IF_ERROR(internal::DecodeValue(value, model.inputs().field(input).type,
                                                 [&] { return key_field; }, &batch->value(input, r)));
    }
    for (int i = 0; i < k; ++i) {
      if ((*seen)[i] == 0) {
        return FieldError(field, absl::StrCat("input '", model.inputs().field(i).name,
                                              "' is missing; every row needs every model input"));
      }
      batch->set_present(i);
    }
    return absl::OkStatus();
  }
  if (row.type() == element_type::ARRAY) {
    array values = row.get_array().value_unsafe();  // a copy: safe
    if (static_cast<int>(values.size()) != k) {
      return FieldError(field, absl::StrCat("a positional row needs ", k,
                                            " values (the model's inputs in order), got ",
                                            values.size()));
    }
    int i = 0;
    for (element value : values) {
      KEEL_RETURN_IF_ERROR(internal::DecodeValue(
          value, model.inputs().field(i).type,
          [&] { return absl::StrCat(field, "[", i, "] (", model.inputs().field(i).name, ")"); },
          &batch->value(i, r)));
      batch->set_present(i);
      ++i;
    }
    return absl::OkStatus();
  }
  if (k != 1) {
    return FieldError(field, absl::StrCat("expected an object of named inputs or a list of ", k,
                                          " values"));
  }
  KEEL_RETURN_IF_ERROR(internal::DecodeValue(row, model.inputs().field(0).type,
                                             [&] { return field; }, &batch->value(0, r)));
  batch->set_present(0);
  return absl::OkStatus();
}

Status DecodeRows(array rows, const std::string& list, const ServedModel& model, InputBatch* batch) {
  std::vector<uint8_t> seen(static_cast<size_t>(model.inputs().num_fields()));
  int64_t r = 0;
  for (element row : rows) KEEL_RETURN_IF_ERROR(DecodeRow(row, r++, list, model, &seen, batch));
  return absl::OkStatus();
}

Status DecodeColumns(object columns, const ServedModel& model, TfPredictRequest* request) {
  int64_t rows = -1;
  for (auto [key, value] : columns) {
    const std::string field = absl::StrCat("inputs.", std::string(key));
    array values;
    if (value.get_array().get(values)) return FieldError(field, "expected a list with one value per row");
    if (rows < 0) {
      rows = static_cast<int64_t>(values.size());
      if (rows == 0) return FieldError(field, "empty batch: send at least one row");
      request->batch = model.NewBatch(rows);
    } else if (static_cast<int64_t>(values.size()) != rows) {
      return FieldError(field, absl::StrCat("has ", values.size(), " values; the other inputs have ", rows));
    }
    const int input = model.InputIndex(key);
    if (input < 0) return FieldError(field, internal::UnknownInputMessage(model, key));
    int64_t r = 0;
    for (element v : values) {
      KEEL_RETURN_IF_ERROR(internal::DecodeValue(
          v, model.inputs().field(input).type, [&] { return absl::StrCat(field, "[", r, "]"); },
          &request->batch.value(input, r)));
      ++r;
    }
    request->batch.set_present(input);
  }
  if (rows < 0) return FieldError("inputs", "empty: name every model input");
  return MissingInputs(request->batch, model, "inputs");
}

}  // namespace

StatusOr<TfPredictRequest> ParseTfPredictRequest(std::string_view body, const ServedModel& model) {
  KEEL_ASSIGN_OR_RETURN(object root, internal::ParseBody(body));
  element instances, inputs;
  const bool has_instances = !root["instances"].get(instances);
  const bool has_inputs = !root["inputs"].get(inputs);
  if (has_instances == has_inputs) {
    return FieldError("body", "send exactly one of \"instances\" (rows) or \"inputs\" (columns)");
  }
  TfPredictRequest request;
  request.columnar = has_inputs;
  element list = has_instances ? instances : inputs;
  const std::string name = has_instances ? "instances" : "inputs";
  if (list.type() == element_type::OBJECT) {
    if (has_instances) return FieldError(name, "expected a list of rows");
    KEEL_RETURN_IF_ERROR(DecodeColumns(list.get_object().value_unsafe(), model, &request));
    return request;
  }
  array rows;
  if (list.get_array().get(rows)) return FieldError(name, "expected a list of rows");
  if (rows.size() == 0) return FieldError(name, "empty batch: send at least one row");
  request.batch = model.NewBatch(static_cast<int64_t>(rows.size()));
  KEEL_RETURN_IF_ERROR(DecodeRows(rows, name, model, &request.batch));
  return request;
}

void WriteTfPredictResponse(const TfPredictRequest& request, const Table& predictions,
                            std::string* out) {
  const int64_t rows = predictions.num_rows();
  const int cols = predictions.num_columns();
  if (request.columnar) {
    out->append("{\"outputs\":");
    if (cols != 1) out->push_back('{');
    for (int c = 0; c < cols; ++c) {
      if (c > 0) out->push_back(',');
      if (cols != 1) {
        AppendJsonString(predictions.schema().field(c).name, out);
        out->push_back(':');
      }
      out->push_back('[');
      for (int64_t r = 0; r < rows; ++r) {
        if (r > 0) out->push_back(',');
        AppendJsonValue(predictions.column(c), r, out);
      }
      out->push_back(']');
    }
    if (cols != 1) out->push_back('}');
    out->push_back('}');
    return;
  }
  out->append("{\"predictions\":[");
  for (int64_t r = 0; r < rows; ++r) {
    if (r > 0) out->push_back(',');
    if (cols == 1) {
      AppendJsonValue(predictions.column(0), r, out);
      continue;
    }
    out->push_back('{');
    for (int c = 0; c < cols; ++c) {
      if (c > 0) out->push_back(',');
      AppendJsonString(predictions.schema().field(c).name, out);
      out->push_back(':');
      AppendJsonValue(predictions.column(c), r, out);
    }
    out->push_back('}');
  }
  out->append("]}");
}

}  // namespace keel::serve
