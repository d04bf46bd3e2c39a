#include "keel/serve/json_input.h"

#include <cmath>
#include <cstdint>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "keel/base/suggest.h"
#include "keel/base/time.h"
#include "keel/serve/codec.h"

namespace keel::serve::internal {

StatusOr<dom::object> ParseBody(std::string_view body) {
  thread_local dom::parser parser;
  dom::element root;
  if (simdjson::error_code error = parser.parse(body.data(), body.size(), true).get(root)) {
    return FieldError("body", absl::StrCat("malformed JSON (", simdjson::error_message(error),
                                           "); send one JSON object"));
  }
  dom::object object;
  if (root.get_object().get(object)) return FieldError("body", "expected a JSON object");
  return object;
}

namespace {

std::string_view JsonTypeName(dom::element_type type) {
  switch (type) {
    case dom::element_type::ARRAY:
      return "an array";
    case dom::element_type::OBJECT:
      return "an object";
    case dom::element_type::INT64:
    case dom::element_type::UINT64:
    case dom::element_type::DOUBLE:
      return "a number";
    case dom::element_type::STRING:
      return "a string";
    case dom::element_type::BOOL:
      return "a boolean";
    case dom::element_type::NULL_VALUE:
      return "null";
  }
  return "a value";
}

Status Mismatch(const std::function<std::string()>& field, std::string_view expected,
                dom::element value) {
  return FieldError(field(), absl::StrCat("expected ", std::string(expected), ", got ",
                                          std::string(JsonTypeName(value.type()))));
}

// An integral double (or integer) as int64; false when it has a fraction or
// is out of range.
bool AsInteger(dom::element value, int64_t* out) {
  switch (value.type()) {
    case dom::element_type::INT64:
      *out = value.get_int64().value_unsafe();
      return true;
    case dom::element_type::UINT64: {
      uint64_t u = value.get_uint64().value_unsafe();
      if (u > static_cast<uint64_t>(INT64_MAX)) return false;
      *out = static_cast<int64_t>(u);
      return true;
    }
    case dom::element_type::DOUBLE: {
      double d = value.get_double().value_unsafe();
      if (!(d >= -9.2e18 && d <= 9.2e18) || std::trunc(d) != d) return false;
      *out = static_cast<int64_t>(d);
      return true;
    }
    default:
      return false;
  }
}

}  // namespace

Status DecodeValue(dom::element value, DataType type, const std::function<std::string()>& field,
                   Value* out) {
  const dom::element_type json = value.type();
  if (json == dom::element_type::NULL_VALUE) {
    *out = Value::Null(type);
    return absl::OkStatus();
  }
  switch (type) {
    case DataType::kFloat64: {
      double d;
      if (value.get_double().get(d)) return Mismatch(field, "a number", value);
      *out = Value::Float64(d);
      return absl::OkStatus();
    }
    case DataType::kInt64: {
      int64_t i;
      if (!AsInteger(value, &i)) return Mismatch(field, "an integer", value);
      *out = Value::Int64(i);
      return absl::OkStatus();
    }
    case DataType::kBool: {
      bool b;
      int64_t i;
      if (!value.get_bool().get(b)) {
        *out = Value::Bool(b);
      } else if (AsInteger(value, &i) && (i == 0 || i == 1)) {
        *out = Value::Bool(i == 1);
      } else {
        return Mismatch(field, "true or false", value);
      }
      return absl::OkStatus();
    }
    case DataType::kString: {
      std::string_view s;
      if (value.get_string().get(s)) return Mismatch(field, "a string", value);
      *out = Value::String(s);
      return absl::OkStatus();
    }
    case DataType::kTimestamp: {
      std::string_view s;
      int64_t micros;
      if (!value.get_string().get(s)) {
        StatusOr<TimestampMicros> t = ParseTimestamp(s);
        if (!t.ok()) return FieldError(field(), std::string(t.status().message()));
        *out = Value::Timestamp(*t);
      } else if (AsInteger(value, &micros)) {
        *out = Value::Timestamp(micros);
      } else {
        return Mismatch(field, "an RFC 3339 timestamp string or integer microseconds", value);
      }
      return absl::OkStatus();
    }
  }
  return Mismatch(field, "a value", value);
}

namespace {

Status FlattenInto(dom::array array, const std::string& field, int depth,
                   std::vector<dom::element>* out) {
  if (depth > 8) return FieldError(field, "arrays nested deeper than 8 levels");
  for (dom::element e : array) {
    if (e.type() == dom::element_type::ARRAY) {
      KEEL_RETURN_IF_ERROR(FlattenInto(e.get_array().value_unsafe(), field, depth + 1, out));
    } else if (e.type() == dom::element_type::OBJECT) {
      return FieldError(field, "expected scalars or arrays of scalars, got an object");
    } else {
      out->push_back(e);
    }
  }
  return absl::OkStatus();
}

}  // namespace

Status FlattenArray(dom::array array, const std::string& field, std::vector<dom::element>* out) {
  out->clear();
  return FlattenInto(array, field, 0, out);
}

std::string UnknownInputMessage(const ServedModel& model, std::string_view name) {
  std::vector<std::string> names;
  for (int i = 0; i < model.inputs().num_fields(); ++i) names.push_back(model.inputs().field(i).name);
  return absl::StrCat("unknown input '", std::string(name), "'; the model takes: ",
                      absl::StrJoin(names, ", "), ".", DidYouMean(name, names));
}

}  // namespace keel::serve::internal
