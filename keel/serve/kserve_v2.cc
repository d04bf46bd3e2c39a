#include "keel/serve/kserve_v2.h"

#include <algorithm>
#include <array>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "keel/base/json_string.h"
#include "keel/serve/codec.h"
#include "keel/serve/json_input.h"

namespace keel::serve {

namespace {

using internal::dom::array;
using internal::dom::element;
using internal::dom::object;

constexpr std::array<const char*, 13> kDatatypes = {
    "BOOL",  "UINT8", "UINT16", "UINT32", "UINT64", "INT8", "INT16",
    "INT32", "INT64", "FP16",   "FP32",   "FP64",   "BYTES"};


struct Tensor {
  std::string field;  // "inputs[2]"
  std::string_view name;
  std::string_view datatype;
  std::vector<int64_t> shape;
  std::vector<element> data;
};

StatusOr<Tensor> ReadTensor(element e, size_t index) {
  Tensor t;
  t.field = absl::StrCat("inputs[", index, "]");
  object o;
  if (e.get_object().get(o)) return FieldError(t.field, "expected an object");
  if (o["name"].get_string().get(t.name)) {
    return FieldError(t.field + ".name", "missing, or not a string");
  }
  t.field = absl::StrCat("inputs[", index, "] (", std::string(t.name), ")");
  if (o["datatype"].get_string().get(t.datatype)) {
    return FieldError(t.field + ".datatype", "missing, or not a string");
  }
  if (std::find(kDatatypes.begin(), kDatatypes.end(), t.datatype) == kDatatypes.end()) {
    return FieldError(t.field + ".datatype",
                      absl::StrCat("unknown datatype '", std::string(t.datatype),
                                   "'; one of: ", absl::StrJoin(kDatatypes, ", ")));
  }
  array shape;
  if (o["shape"].get_array().get(shape)) return FieldError(t.field + ".shape", "missing, or not an array");
  for (element dim : shape) {
    int64_t d;
    if (dim.get_int64().get(d) || d < 0) {
      return FieldError(t.field + ".shape", "dimensions must be integers >= 0");
    }
    t.shape.push_back(d);
  }
  if (t.shape.empty() || t.shape.size() > 2) {
    return FieldError(t.field + ".shape",
                      "expected [N] or [N, K] (N rows); tabular models take no higher ranks");
  }
  array data;
  if (o["data"].get_array().get(data)) return FieldError(t.field + ".data", "missing, or not an array");
  KEEL_RETURN_IF_ERROR(internal::FlattenArray(data, t.field + ".data", &t.data));
  int64_t expected = 1;
  for (int64_t d : t.shape) expected *= d;
  if (expected != static_cast<int64_t>(t.data.size())) {
    return FieldError(t.field + ".data",
                      absl::StrCat("shape [", absl::StrJoin(t.shape, ", "), "] needs ", expected,
                                   " values, got ", t.data.size()));
  }
  return t;
}

Status CheckDatatype(const Tensor& t, const Field& input) {
  if (V2DatatypeFeeds(t.datatype, input.type)) return absl::OkStatus();
  return FieldError(t.field + ".datatype",
                    absl::StrCat("input '", input.name, "' is ", std::string(DataTypeName(input.type)),
                                 "; send ", std::string(V2DatatypesFor(input.type)), ", not ",
                                 std::string(t.datatype)));
}

Status DecodeColumn(const Tensor& t, int input, const ServedModel& model, int64_t column,
                    int64_t stride, InputBatch* batch) {
  const DataType type = model.inputs().field(input).type;
  for (int64_t r = 0; r < batch->rows(); ++r) {
    const element value = t.data[static_cast<size_t>(r * stride + column)];
    KEEL_RETURN_IF_ERROR(internal::DecodeValue(
        value, type, [&] { return absl::StrCat(t.field, ".data[", r * stride + column, "]"); },
        &batch->value(input, r)));
  }
  batch->set_present(input);
  return absl::OkStatus();
}

// One [N, K] tensor whose columns are the model's inputs in order.
Status DecodeMatrix(const Tensor& t, const ServedModel& model, InputBatch* batch) {
  const int k = model.inputs().num_fields();
  for (int i = 0; i < k; ++i) {
    const Field& input = model.inputs().field(i);
    if (input.type == DataType::kString || input.type == DataType::kTimestamp) {
      return FieldError(t.field, absl::StrCat("one [N, K] tensor can feed only numeric inputs; input '",
                                              input.name, "' is ", std::string(DataTypeName(input.type)),
                                              ": send one tensor per input, named as the input"));
    }
    KEEL_RETURN_IF_ERROR(CheckDatatype(t, input));
    KEEL_RETURN_IF_ERROR(DecodeColumn(t, i, model, i, k, batch));
  }
  return absl::OkStatus();
}

}  // namespace

StatusOr<V2InferRequest> ParseV2InferRequest(std::string_view body, const ServedModel& model) {
  KEEL_ASSIGN_OR_RETURN(object root, internal::ParseBody(body));
  V2InferRequest request;
  element id;
  if (!root["id"].get(id)) {
    std::string_view text;
    if (id.get_string().get(text)) return FieldError("id", "expected a string");
    request.id = std::string(text);
  }
  array inputs;
  if (root["inputs"].get_array().get(inputs)) {
    return FieldError("inputs", "missing, or not an array of tensors");
  }
  std::vector<Tensor> tensors;
  size_t index = 0;
  for (element e : inputs) {
    KEEL_ASSIGN_OR_RETURN(Tensor t, ReadTensor(e, index++));
    tensors.push_back(std::move(t));
  }
  if (tensors.empty()) return FieldError("inputs", "empty: send one tensor per model input");
  const int64_t rows = tensors[0].shape[0];
  if (rows == 0) return FieldError(tensors[0].field + ".shape", "empty batch: send at least one row");

  const int k = model.inputs().num_fields();
  const bool matrix_form = tensors.size() == 1 && tensors[0].shape.size() == 2 &&
                           tensors[0].shape[1] != 1 && model.InputIndex(tensors[0].name) < 0;
  request.batch = model.NewBatch(rows);
  if (matrix_form) {
    if (tensors[0].shape[1] != k) {
      return FieldError(tensors[0].field + ".shape",
                        absl::StrCat("[N, K] needs K = ", k, " (the model's inputs), got ",
                                     tensors[0].shape[1]));
    }
    KEEL_RETURN_IF_ERROR(DecodeMatrix(tensors[0], model, &request.batch));
  } else {
    for (const Tensor& t : tensors) {
      const int input = model.InputIndex(t.name);
      if (input < 0) return FieldError(t.field + ".name", internal::UnknownInputMessage(model, t.name));
      if (request.batch.present(input)) return FieldError(t.field + ".name", "given twice");
      if (t.shape[0] != rows || (t.shape.size() == 2 && t.shape[1] != 1)) {
        return FieldError(t.field + ".shape",
                          absl::StrCat("expected [", rows, "] or [", rows, ", 1] like ",
                                       tensors[0].field, ", got [", absl::StrJoin(t.shape, ", "), "]"));
      }
      KEEL_RETURN_IF_ERROR(CheckDatatype(t, model.inputs().field(input)));
      KEEL_RETURN_IF_ERROR(DecodeColumn(t, input, model, 0, 1, &request.batch));
    }
    for (int i = 0; i < k; ++i) {
      if (!request.batch.present(i)) {
        return FieldError("inputs", absl::StrCat("input '", model.inputs().field(i).name,
                                                 "' is missing (", std::string(DataTypeName(model.inputs().field(i).type)),
                                                 "); every model input needs a tensor"));
      }
    }
  }

  array outputs;
  if (!root["outputs"].get_array().get(outputs)) {
    size_t i = 0;
    for (element e : outputs) {
      std::string_view name;
      const std::string field = absl::StrCat("outputs[", i++, "].name");
      if (e["name"].get_string().get(name)) return FieldError(field, "missing, or not a string");
      if (model.outputs().IndexOf(name) < 0) {
        std::vector<std::string> names;
        for (int j = 0; j < model.outputs().num_fields(); ++j) names.push_back(model.outputs().field(j).name);
        return FieldError(field, absl::StrCat("unknown output '", std::string(name),
                                              "'; the model gives: ", absl::StrJoin(names, ", ")));
      }
      request.outputs.emplace_back(name);
    }
  }
  return request;
}

void WriteV2InferResponse(const ServedModel& model, const V2InferRequest& request,
                          const Table& predictions, std::string* out) {
  out->append("{\"model_name\":");
  AppendJsonString(model.name(), out);
  absl::StrAppend(out, ",\"model_version\":\"", model.version(), "\"");
  if (!request.id.empty()) {
    out->append(",\"id\":");
    AppendJsonString(request.id, out);
  }
  out->append(",\"outputs\":[");
  bool first = true;
  const int64_t rows = predictions.num_rows();
  for (int c = 0; c < predictions.num_columns(); ++c) {
    const Field& field = predictions.schema().field(c);
    if (!request.outputs.empty() &&
        std::find(request.outputs.begin(), request.outputs.end(), field.name) == request.outputs.end()) {
      continue;
    }
    if (!first) out->push_back(',');
    first = false;
    out->append("{\"name\":");
    AppendJsonString(field.name, out);
    absl::StrAppend(out, ",\"datatype\":\"", std::string(V2Datatype(field.type)), "\",\"shape\":[", rows,
                    "],\"data\":[");
    const Column& column = predictions.column(c);
    for (int64_t r = 0; r < rows; ++r) {
      if (r > 0) out->push_back(',');
      AppendJsonValue(column, r, out);
    }
    out->append("]}");
  }
  out->append("]}");
}

namespace {

void AppendTensorSpecs(const Schema& schema, std::string* out) {
  out->push_back('[');
  for (int i = 0; i < schema.num_fields(); ++i) {
    if (i > 0) out->push_back(',');
    out->append("{\"name\":");
    AppendJsonString(schema.field(i).name, out);
    absl::StrAppend(out, ",\"datatype\":\"", std::string(V2Datatype(schema.field(i).type)),
                    "\",\"shape\":[-1]}");
  }
  out->push_back(']');
}

}  // namespace

void WriteV2ModelMetadata(const ServedModel& model, const std::vector<int64_t>& versions,
                          std::string* out) {
  out->append("{\"name\":");
  AppendJsonString(model.name(), out);
  out->append(",\"versions\":[");
  for (size_t i = 0; i < versions.size(); ++i) {
    absl::StrAppend(out, i > 0 ? "," : "", "\"", versions[i], "\"");
  }
  absl::StrAppend(out, "],\"platform\":\"keel_", model.record().learner, "\",\"inputs\":");
  AppendTensorSpecs(model.inputs(), out);
  out->append(",\"outputs\":");
  AppendTensorSpecs(model.outputs(), out);
  out->push_back('}');
}

}  // namespace keel::serve
