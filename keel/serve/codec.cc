#include "keel/serve/codec.h"

#include <charconv>
#include <cmath>
#include <optional>

#include "absl/strings/cord.h"
#include "absl/strings/str_cat.h"
#include "keel/base/json_string.h"
#include "keel/base/time.h"

namespace keel::serve {

namespace {
constexpr char kFieldPayload[] = "type.keel.dev/field";
}  // namespace

Status FieldError(std::string_view field, std::string_view message) {
  Status status = absl::InvalidArgumentError(absl::StrCat(std::string(field), ": ", std::string(message)));
  status.SetPayload(kFieldPayload, absl::Cord(std::string(field)));
  return status;
}

std::string ErrorField(const Status& status) {
  auto field = status.GetPayload(kFieldPayload);
  return field.has_value() ? std::string(*field) : std::string();
}

void AppendJsonDouble(double value, std::string* out) {
  if (!std::isfinite(value)) {
    out->append("null");
    return;
  }
  char buffer[32];
  auto [end, ec] = std::to_chars(buffer, buffer + sizeof(buffer), value);
  out->append(buffer, end);
}

void AppendJsonValue(const Column& column, int64_t row, std::string* out) {
  if (column.IsNull(row)) {
    out->append("null");
    return;
  }
  switch (column.type()) {
    case DataType::kBool:
      out->append(column.BoolValues()[row] != 0 ? "true" : "false");
      return;
    case DataType::kInt64: {
      char buffer[24];
      auto [end, ec] = std::to_chars(buffer, buffer + sizeof(buffer), column.Int64Values()[row]);
      out->append(buffer, end);
      return;
    }
    case DataType::kFloat64:
      AppendJsonDouble(column.Float64Values()[row], out);
      return;
    case DataType::kString:
      AppendJsonString(column.StringAt(row), out);
      return;
    case DataType::kTimestamp:
      AppendJsonString(FormatRfc3339(column.TimestampValues()[row]), out);
      return;
  }
}

std::string_view V2Datatype(DataType type) {
  switch (type) {
    case DataType::kBool:
      return "BOOL";
    case DataType::kInt64:
      return "INT64";
    case DataType::kFloat64:
      return "FP64";
    case DataType::kString:
    case DataType::kTimestamp:
      return "BYTES";
  }
  return "BYTES";
}

bool V2DatatypeFeeds(std::string_view d, DataType type) {
  const bool integer = d.starts_with("INT") || d.starts_with("UINT");
  const bool floating = d == "FP16" || d == "FP32" || d == "FP64";
  switch (type) {
    case DataType::kFloat64:
    case DataType::kInt64:
      return integer || floating;
    case DataType::kBool:
      return d == "BOOL" || integer;
    case DataType::kString:
      return d == "BYTES";
    case DataType::kTimestamp:
      return d == "BYTES" || d == "INT64";
  }
  return false;
}

std::string_view V2DatatypesFor(DataType type) {
  switch (type) {
    case DataType::kFloat64:
      return "FP64, FP32 or an integer type";
    case DataType::kInt64:
      return "INT64 or another integer type";
    case DataType::kBool:
      return "BOOL";
    case DataType::kString:
      return "BYTES";
    case DataType::kTimestamp:
      return "BYTES (RFC 3339) or INT64 (microseconds since the epoch)";
  }
  return "";
}

}  // namespace keel::serve
