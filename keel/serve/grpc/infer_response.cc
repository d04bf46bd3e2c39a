// The response side of infer_codec.h: scored tables and model metadata as
// Open Inference Protocol messages.
#include <algorithm>
#include <cstring>
#include <limits>
#include <string_view>

#include "absl/strings/str_cat.h"
#include "keel/base/time.h"
#include "keel/serve/codec.h"
#include "keel/serve/grpc/infer_codec.h"

namespace keel::serve::grpc_internal {

namespace {

template <typename T>
void AppendRaw(T value, std::string* out) {
  char bytes[sizeof(T)];
  std::memcpy(bytes, &value, sizeof(T));
  out->append(bytes, sizeof(T));
}

void AppendRawBytes(std::string_view value, std::string* out) {
  AppendRaw(static_cast<uint32_t>(value.size()), out);
  out->append(value);
}

// Value `row` of a string or timestamp column as BYTES ("" for a null).
std::string_view BytesAt(const Column& column, int64_t row, std::string* scratch) {
  if (column.IsNull(row)) return "";
  if (column.type() == DataType::kString) return column.StringAt(row);
  *scratch = FormatRfc3339(column.TimestampValues()[static_cast<size_t>(row)]);
  return *scratch;
}

void EncodeColumn(const Column& column, bool raw, inference::InferTensorContents* contents,
                  std::string* out) {
  const int64_t rows = column.length();
  std::string scratch;
  for (int64_t r = 0; r < rows; ++r) {
    const bool null = column.IsNull(r);
    const size_t i = static_cast<size_t>(r);
    switch (column.type()) {
      case DataType::kBool: {
        const bool v = !null && column.BoolValues()[i] != 0;
        raw ? AppendRaw<uint8_t>(v ? 1 : 0, out) : contents->add_bool_contents(v);
        break;
      }
      case DataType::kInt64: {
        const int64_t v = null ? 0 : column.Int64Values()[i];
        raw ? AppendRaw(v, out) : contents->add_int64_contents(v);
        break;
      }
      case DataType::kFloat64: {
        const double v =
            null ? std::numeric_limits<double>::quiet_NaN() : column.Float64Values()[i];
        raw ? AppendRaw(v, out) : contents->add_fp64_contents(v);
        break;
      }
      case DataType::kString:
      case DataType::kTimestamp: {
        const std::string_view v = BytesAt(column, r, &scratch);
        if (raw) {
          AppendRawBytes(v, out);
        } else {
          contents->add_bytes_contents(std::string(v));
        }
        break;
      }
    }
  }
}

}  // namespace

void EncodeInferResponse(const ServedModel& model, const inference::ModelInferRequest& request,
                         const DecodedInferRequest& decoded, const Table& predictions,
                         inference::ModelInferResponse* response) {
  response->set_model_name(model.name());
  response->set_model_version(absl::StrCat(model.version()));
  response->set_id(request.id());
  for (int c = 0; c < predictions.num_columns(); ++c) {
    const Field& field = predictions.schema().field(c);
    if (!decoded.outputs.empty() && std::find(decoded.outputs.begin(), decoded.outputs.end(),
                                              field.name) == decoded.outputs.end()) {
      continue;
    }
    inference::ModelInferResponse::InferOutputTensor* out = response->add_outputs();
    out->set_name(field.name);
    out->set_datatype(std::string(V2Datatype(field.type)));
    out->add_shape(predictions.num_rows());
    if (decoded.raw) {
      EncodeColumn(predictions.column(c), true, nullptr, response->add_raw_output_contents());
    } else {
      EncodeColumn(predictions.column(c), false, out->mutable_contents(), nullptr);
    }
  }
}

namespace {

void AddTensorMetadata(
    const Schema& schema,
    google::protobuf::RepeatedPtrField<inference::ModelMetadataResponse::TensorMetadata>* out) {
  for (const Field& field : schema.fields()) {
    inference::ModelMetadataResponse::TensorMetadata* t = out->Add();
    t->set_name(field.name);
    t->set_datatype(std::string(V2Datatype(field.type)));
    t->add_shape(-1);
  }
}

}  // namespace

void FillModelMetadata(const ServedModel& model, const std::vector<int64_t>& versions,
                       inference::ModelMetadataResponse* response) {
  response->set_name(model.name());
  for (int64_t v : versions) response->add_versions(absl::StrCat(v));
  response->set_platform(absl::StrCat("keel_", model.record().learner));
  AddTensorMetadata(model.inputs(), response->mutable_inputs());
  AddTensorMetadata(model.outputs(), response->mutable_outputs());
}

}  // namespace keel::serve::grpc_internal
