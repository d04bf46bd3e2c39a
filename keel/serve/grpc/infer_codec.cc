#include "keel/serve/grpc/infer_codec.h"

#include <algorithm>
#include <array>
#include <bit>
#include <cmath>
#include <cstring>
#include <functional>
#include <limits>
#include <string_view>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "keel/base/time.h"
#include "keel/serve/codec.h"
#include "keel/serve/json_input.h"

namespace keel::serve::grpc_internal {

namespace {

static_assert(std::endian::native == std::endian::little,
              "raw tensor contents are little-endian and read in place");

// The V2 datatypes, in the order of kDatatypes.
enum class Dt {
  kBool,
  kUint8,
  kUint16,
  kUint32,
  kUint64,
  kInt8,
  kInt16,
  kInt32,
  kInt64,
  kFp16,
  kFp32,
  kFp64,
  kBytes
};

constexpr std::array<const char*, 13> kDatatypes = {"BOOL", "UINT8", "UINT16", "UINT32", "UINT64",
                                                    "INT8", "INT16", "INT32",  "INT64",  "FP16",
                                                    "FP32", "FP64",  "BYTES"};

// Bytes per element in raw contents (0: BYTES, length-prefixed).
constexpr std::array<int, 13> kRawSize = {1, 1, 2, 4, 8, 1, 2, 4, 8, 2, 4, 8, 0};


// The typed contents field of a datatype ("" for FP16, which has none).
std::string_view ContentsName(Dt d) {
  switch (d) {
    case Dt::kBool:
      return "bool_contents";
    case Dt::kInt8:
    case Dt::kInt16:
    case Dt::kInt32:
      return "int_contents";
    case Dt::kInt64:
      return "int64_contents";
    case Dt::kUint8:
    case Dt::kUint16:
    case Dt::kUint32:
      return "uint_contents";
    case Dt::kUint64:
      return "uint64_contents";
    case Dt::kFp32:
      return "fp32_contents";
    case Dt::kFp64:
      return "fp64_contents";
    case Dt::kBytes:
      return "bytes_contents";
    case Dt::kFp16:
      return "";
  }
  return "";
}

// How many values each typed field of `c` holds, by field name.
std::array<std::pair<std::string_view, int>, 8> ContentsSizes(
    const inference::InferTensorContents& c) {
  return {{{"bool_contents", c.bool_contents_size()},
           {"int_contents", c.int_contents_size()},
           {"int64_contents", c.int64_contents_size()},
           {"uint_contents", c.uint_contents_size()},
           {"uint64_contents", c.uint64_contents_size()},
           {"fp32_contents", c.fp32_contents_size()},
           {"fp64_contents", c.fp64_contents_size()},
           {"bytes_contents", c.bytes_contents_size()}}};
}

double HalfToDouble(uint16_t h) {
  const int exponent = (h >> 10) & 0x1f;
  const int mantissa = h & 0x3ff;
  double v;
  if (exponent == 0) {
    v = std::ldexp(mantissa, -24);
  } else if (exponent == 31) {
    v = mantissa != 0 ? std::numeric_limits<double>::quiet_NaN()
                      : std::numeric_limits<double>::infinity();
  } else {
    v = std::ldexp(mantissa + 1024, exponent - 25);
  }
  return (h & 0x8000) != 0 ? -v : v;
}

// One element of a tensor, whatever its datatype.
struct Scalar {
  enum Kind { kBool, kSigned, kUnsigned, kFloat, kBytes } kind = kFloat;
  int64_t i = 0;  // kBool (0/1), kSigned
  uint64_t u = 0;
  double f = 0;
  std::string_view s;
};

struct Tensor {
  std::string field;  // "inputs[2] (amount)"
  std::string_view name;
  Dt dt = Dt::kFp64;
  std::vector<int64_t> shape;
  int64_t count = 0;
  std::string values_field;                                  // where the values are, for errors
  const inference::InferTensorContents* contents = nullptr;  // typed; null: raw
  std::string_view raw;
  std::vector<std::string_view> raw_bytes;  // raw BYTES elements
};

template <typename T>
T Load(const char* p) {
  T v;
  std::memcpy(&v, p, sizeof(T));
  return v;
}

Scalar At(const Tensor& t, int64_t i) {
  Scalar s;
  if (t.contents == nullptr) {
    const char* p = t.raw.data() + i * kRawSize[static_cast<int>(t.dt)];
    switch (t.dt) {
      case Dt::kBool:
        return {.kind = Scalar::kBool, .i = p[0] != 0 ? 1 : 0};
      case Dt::kUint8:
        return {.kind = Scalar::kUnsigned, .u = Load<uint8_t>(p)};
      case Dt::kUint16:
        return {.kind = Scalar::kUnsigned, .u = Load<uint16_t>(p)};
      case Dt::kUint32:
        return {.kind = Scalar::kUnsigned, .u = Load<uint32_t>(p)};
      case Dt::kUint64:
        return {.kind = Scalar::kUnsigned, .u = Load<uint64_t>(p)};
      case Dt::kInt8:
        return {.kind = Scalar::kSigned, .i = Load<int8_t>(p)};
      case Dt::kInt16:
        return {.kind = Scalar::kSigned, .i = Load<int16_t>(p)};
      case Dt::kInt32:
        return {.kind = Scalar::kSigned, .i = Load<int32_t>(p)};
      case Dt::kInt64:
        return {.kind = Scalar::kSigned, .i = Load<int64_t>(p)};
      case Dt::kFp16:
        return {.kind = Scalar::kFloat, .f = HalfToDouble(Load<uint16_t>(p))};
      case Dt::kFp32:
        return {.kind = Scalar::kFloat, .f = Load<float>(p)};
      case Dt::kFp64:
        return {.kind = Scalar::kFloat, .f = Load<double>(p)};
      case Dt::kBytes:
        return {.kind = Scalar::kBytes, .s = t.raw_bytes[static_cast<size_t>(i)]};
    }
    return s;
  }
  const inference::InferTensorContents& c = *t.contents;
  const int j = static_cast<int>(i);
  switch (t.dt) {
    case Dt::kBool:
      return {.kind = Scalar::kBool, .i = c.bool_contents(j) ? 1 : 0};
    case Dt::kInt8:
    case Dt::kInt16:
    case Dt::kInt32:
      return {.kind = Scalar::kSigned, .i = c.int_contents(j)};
    case Dt::kInt64:
      return {.kind = Scalar::kSigned, .i = c.int64_contents(j)};
    case Dt::kUint8:
    case Dt::kUint16:
    case Dt::kUint32:
      return {.kind = Scalar::kUnsigned, .u = c.uint_contents(j)};
    case Dt::kUint64:
      return {.kind = Scalar::kUnsigned, .u = c.uint64_contents(j)};
    case Dt::kFp32:
      return {.kind = Scalar::kFloat, .f = c.fp32_contents(j)};
    case Dt::kFp64:
      return {.kind = Scalar::kFloat, .f = c.fp64_contents(j)};
    case Dt::kBytes:
      return {.kind = Scalar::kBytes, .s = c.bytes_contents(j)};
    case Dt::kFp16:
      break;  // refused by ReadTensor
  }
  return s;
}

// `s` as an input of `type` (Accepts(type, datatype) holds). `field` names
// the value in an error.
Status ToValue(const Scalar& s, DataType type, const std::function<std::string()>& field,
               Value* out) {
  switch (type) {
    case DataType::kFloat64:
      *out = Value::Float64(s.kind == Scalar::kFloat    ? s.f
                            : s.kind == Scalar::kSigned ? static_cast<double>(s.i)
                                                        : static_cast<double>(s.u));
      return absl::OkStatus();
    case DataType::kInt64:
      if (s.kind == Scalar::kSigned) {
        *out = Value::Int64(s.i);
      } else if (s.kind == Scalar::kUnsigned && s.u <= static_cast<uint64_t>(INT64_MAX)) {
        *out = Value::Int64(static_cast<int64_t>(s.u));
      } else if (s.kind == Scalar::kFloat && s.f >= -9.2e18 && s.f <= 9.2e18 &&
                 std::trunc(s.f) == s.f) {
        *out = Value::Int64(static_cast<int64_t>(s.f));
      } else {
        return FieldError(field(), absl::StrCat("expected an integer, got ",
                                                s.kind == Scalar::kFloat ? absl::StrCat(s.f)
                                                                         : absl::StrCat(s.u)));
      }
      return absl::OkStatus();
    case DataType::kBool:
      if (s.kind == Scalar::kBool || (s.kind == Scalar::kSigned && (s.i == 0 || s.i == 1))) {
        *out = Value::Bool(s.i == 1);
      } else if (s.kind == Scalar::kUnsigned && s.u <= 1) {
        *out = Value::Bool(s.u == 1);
      } else {
        return FieldError(field(), absl::StrCat("expected true or false (or 0/1), got ",
                                                s.kind == Scalar::kSigned ? absl::StrCat(s.i)
                                                                          : absl::StrCat(s.u)));
      }
      return absl::OkStatus();
    case DataType::kString:
      *out = Value::String(s.s);
      return absl::OkStatus();
    case DataType::kTimestamp:
      if (s.kind == Scalar::kBytes) {
        StatusOr<TimestampMicros> t = ParseTimestamp(s.s);
        if (!t.ok()) return FieldError(field(), std::string(t.status().message()));
        *out = Value::Timestamp(*t);
      } else {
        *out = Value::Timestamp(s.i);
      }
      return absl::OkStatus();
  }
  return FieldError(field(), "unsupported input type");
}

// Splits raw BYTES contents into elements (4-byte little-endian length,
// then the bytes).
Status SplitRawBytes(std::string_view raw, const std::string& field,
                     std::vector<std::string_view>* out) {
  size_t at = 0;
  while (at < raw.size()) {
    if (raw.size() - at < 4) {
      return FieldError(field, absl::StrCat("element ", out->size(), " at byte ", at,
                                            ": a BYTES element needs a 4-byte length, ",
                                            raw.size() - at, " bytes are left"));
    }
    const uint32_t length = Load<uint32_t>(raw.data() + at);
    at += 4;
    if (raw.size() - at < length) {
      return FieldError(field, absl::StrCat("element ", out->size(), " has length ", length,
                                            " but only ", raw.size() - at, " bytes are left"));
    }
    out->push_back(raw.substr(at, length));
    at += length;
  }
  return absl::OkStatus();
}

StatusOr<Tensor> ReadTensor(const inference::ModelInferRequest& request, int index, bool raw) {
  const inference::ModelInferRequest::InferInputTensor& in = request.inputs(index);
  Tensor t;
  t.field = absl::StrCat("inputs[", index, "]");
  if (in.name().empty()) {
    return FieldError(t.field + ".name", "missing: name the tensor as the model input it feeds");
  }
  t.name = in.name();
  t.field = absl::StrCat("inputs[", index, "] (", in.name(), ")");
  const auto found =
      std::find(kDatatypes.begin(), kDatatypes.end(), std::string_view(in.datatype()));
  if (found == kDatatypes.end()) {
    return FieldError(t.field + ".datatype",
                      absl::StrCat("unknown datatype '", in.datatype(),
                                   "'; one of: ", absl::StrJoin(kDatatypes, ", ")));
  }
  t.dt = static_cast<Dt>(found - kDatatypes.begin());
  for (int64_t d : in.shape()) {
    if (d < 0) return FieldError(t.field + ".shape", "dimensions must be integers >= 0");
    t.shape.push_back(d);
  }
  if (t.shape.empty() || t.shape.size() > 2) {
    return FieldError(t.field + ".shape",
                      "expected [N] or [N, K] (N rows); tabular models take no higher ranks");
  }
  t.count = 1;
  for (int64_t d : t.shape) {
    if (__builtin_mul_overflow(t.count, d, &t.count) || t.count > (int64_t{1} << 40)) {
      return FieldError(t.field + ".shape",
                        absl::StrCat("[", absl::StrJoin(t.shape, ", "), "] is too large"));
    }
  }
  const std::string shape_text = absl::StrCat("[", absl::StrJoin(t.shape, ", "), "]");
  int64_t got = 0;
  if (raw) {
    if (in.has_contents()) {
      return FieldError(
          t.field + ".contents",
          "set together with raw_input_contents; send every tensor's values in one or the other");
    }
    t.raw = request.raw_input_contents(index);
    t.values_field = absl::StrCat("raw_input_contents[", index, "]");
    if (t.dt == Dt::kBytes) {
      KEEL_RETURN_IF_ERROR(SplitRawBytes(t.raw, t.values_field, &t.raw_bytes));
      got = static_cast<int64_t>(t.raw_bytes.size());
    } else {
      const int64_t size = kRawSize[static_cast<int>(t.dt)];
      if (static_cast<int64_t>(t.raw.size()) != t.count * size) {
        return FieldError(t.values_field,
                          absl::StrCat("shape ", shape_text, " of ", in.datatype(), " needs ",
                                       t.count * size, " bytes, got ", t.raw.size()));
      }
      got = t.count;
    }
  } else {
    if (t.dt == Dt::kFp16) {
      return FieldError(t.field + ".datatype",
                        "FP16 has no typed contents field; send it in raw_input_contents");
    }
    t.contents = &in.contents();
    const std::string_view own = ContentsName(t.dt);
    t.values_field = absl::StrCat(t.field, ".contents.", std::string(own));
    for (const auto& [name, size] : ContentsSizes(in.contents())) {
      if (name == own) {
        got = size;
      } else if (size > 0) {
        return FieldError(
            absl::StrCat(t.field, ".contents.", std::string(name)),
            absl::StrCat("datatype ", in.datatype(), " takes its values in ", std::string(own)));
      }
    }
  }
  if (got != t.count) {
    return FieldError(t.values_field,
                      absl::StrCat("shape ", shape_text, " needs ", t.count, " values, got ", got));
  }
  return t;
}

Status CheckDatatype(const Tensor& t, const Field& input) {
  if (V2DatatypeFeeds(kDatatypes[static_cast<int>(t.dt)], input.type)) return absl::OkStatus();
  return FieldError(
      t.field + ".datatype",
      absl::StrCat("input '", input.name, "' is ", std::string(DataTypeName(input.type)), "; send ",
                   std::string(V2DatatypesFor(input.type)), ", not ",
                   kDatatypes[static_cast<int>(t.dt)]));
}

Status DecodeColumn(const Tensor& t, int input, const ServedModel& model, int64_t column,
                    int64_t stride, InputBatch* batch) {
  const DataType type = model.inputs().field(input).type;
  for (int64_t r = 0; r < batch->rows(); ++r) {
    const int64_t i = r * stride + column;
    KEEL_RETURN_IF_ERROR(ToValue(
        At(t, i), type, [&] { return absl::StrCat(t.values_field, "[", i, "]"); },
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
      return FieldError(t.field,
                        absl::StrCat("one [N, K] tensor can feed only numeric inputs; input '",
                                     input.name, "' is ", std::string(DataTypeName(input.type)),
                                     ": send one tensor per input, named as the input"));
    }
    KEEL_RETURN_IF_ERROR(CheckDatatype(t, input));
    KEEL_RETURN_IF_ERROR(DecodeColumn(t, i, model, i, k, batch));
  }
  return absl::OkStatus();
}

}  // namespace

StatusOr<DecodedInferRequest> DecodeInferRequest(const inference::ModelInferRequest& request,
                                                 const ServedModel& model) {
  DecodedInferRequest decoded;
  decoded.raw = request.raw_input_contents_size() > 0;
  if (decoded.raw && request.raw_input_contents_size() != request.inputs_size()) {
    return FieldError(
        "raw_input_contents",
        absl::StrCat("holds ", request.raw_input_contents_size(), " entries for ",
                     request.inputs_size(), " inputs; send one per tensor of `inputs`, in order"));
  }
  std::vector<Tensor> tensors;
  for (int i = 0; i < request.inputs_size(); ++i) {
    KEEL_ASSIGN_OR_RETURN(Tensor t, ReadTensor(request, i, decoded.raw));
    tensors.push_back(std::move(t));
  }
  if (tensors.empty()) return FieldError("inputs", "empty: send one tensor per model input");
  const int64_t rows = tensors[0].shape[0];
  if (rows == 0)
    return FieldError(tensors[0].field + ".shape", "empty batch: send at least one row");

  const int k = model.inputs().num_fields();
  const bool matrix_form = tensors.size() == 1 && tensors[0].shape.size() == 2 &&
                           tensors[0].shape[1] != 1 && model.InputIndex(tensors[0].name) < 0;
  decoded.batch = model.NewBatch(rows);
  if (matrix_form) {
    if (tensors[0].shape[1] != k) {
      return FieldError(
          tensors[0].field + ".shape",
          absl::StrCat("[N, K] needs K = ", k, " (the model's inputs), got ", tensors[0].shape[1]));
    }
    KEEL_RETURN_IF_ERROR(DecodeMatrix(tensors[0], model, &decoded.batch));
  } else {
    for (const Tensor& t : tensors) {
      const int input = model.InputIndex(t.name);
      if (input < 0)
        return FieldError(t.field + ".name", internal::UnknownInputMessage(model, t.name));
      if (decoded.batch.present(input)) return FieldError(t.field + ".name", "given twice");
      if (t.shape[0] != rows || (t.shape.size() == 2 && t.shape[1] != 1)) {
        return FieldError(
            t.field + ".shape",
            absl::StrCat("expected [", rows, "] or [", rows, ", 1] like ", tensors[0].field,
                         ", got [", absl::StrJoin(t.shape, ", "), "]"));
      }
      KEEL_RETURN_IF_ERROR(CheckDatatype(t, model.inputs().field(input)));
      KEEL_RETURN_IF_ERROR(DecodeColumn(t, input, model, 0, 1, &decoded.batch));
    }
    for (int i = 0; i < k; ++i) {
      if (!decoded.batch.present(i)) {
        const Field& input = model.inputs().field(i);
        return FieldError("inputs", absl::StrCat("input '", input.name, "' is missing (",
                                                 std::string(DataTypeName(input.type)),
                                                 "); every model input needs a tensor"));
      }
    }
  }

  for (int i = 0; i < request.outputs_size(); ++i) {
    const std::string& name = request.outputs(i).name();
    const std::string field = absl::StrCat("outputs[", i, "].name");
    if (name.empty()) return FieldError(field, "missing");
    if (model.outputs().IndexOf(name) < 0) {
      return FieldError(field, absl::StrCat("unknown output '", name, "'; the model gives: ",
                                            absl::StrJoin(model.outputs().names(), ", ")));
    }
    decoded.outputs.push_back(name);
  }
  return decoded;
}

}  // namespace keel::serve::grpc_internal
