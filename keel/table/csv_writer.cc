#include "keel/table/csv_writer.h"

#include <charconv>
#include <cmath>
#include <cstring>

#include "keel/base/files.h"
#include "keel/base/time.h"

namespace keel {
namespace {

void AppendField(std::string_view value, char delimiter, bool quote_empty, std::string* out) {
  bool quote = quote_empty && value.empty();
  for (char c : value) {
    if (c == delimiter || c == '"' || c == '\n' || c == '\r') {
      quote = true;
      break;
    }
  }
  if (!quote) {
    out->append(value);
    return;
  }
  out->push_back('"');
  for (char c : value) {
    if (c == '"') out->push_back('"');
    out->push_back(c);
  }
  out->push_back('"');
}

void AppendDouble(double value, std::string* out) {
  if (std::isnan(value)) {
    out->append("NaN");
    return;
  }
  if (std::isinf(value)) {
    out->append(value > 0 ? "inf" : "-inf");
    return;
  }
  char buffer[32];
  const auto result = std::to_chars(buffer, buffer + sizeof(buffer), value);
  const std::string_view text(buffer, static_cast<size_t>(result.ptr - buffer));
  out->append(text);
  if (text.find_first_of(".e") == std::string_view::npos) out->append(".0");
}

void AppendValue(const Column& column, int64_t row, char delimiter, std::string* out) {
  if (column.IsNull(row)) return;
  switch (column.type()) {
    case DataType::kBool:
      out->append(column.BoolValues()[row] ? "true" : "false");
      return;
    case DataType::kInt64: {
      char buffer[24];
      const auto result = std::to_chars(buffer, buffer + sizeof(buffer), column.Int64Values()[row]);
      out->append(buffer, result.ptr);
      return;
    }
    case DataType::kFloat64:
      AppendDouble(column.Float64Values()[row], out);
      return;
    case DataType::kString:
      AppendField(column.StringAt(row), delimiter, /*quote_empty=*/true, out);
      return;
    case DataType::kTimestamp:
      out->append(FormatRfc3339(column.TimestampValues()[row]));
      return;
  }
}

}  // namespace

StatusOr<std::string> WriteCsvToString(const Table& table, const CsvWriteOptions& options) {
  const char d = options.delimiter;
  if (d == '"' || d == '\n' || d == '\r') {
    return absl::InvalidArgumentError(
        "CsvWriteOptions: the delimiter cannot be '\"' or a line break");
  }
  const char* eol = options.crlf ? "\r\n" : "\n";
  std::string out;
  if (options.header) {
    for (int c = 0; c < table.num_columns(); ++c) {
      if (c > 0) out.push_back(d);
      AppendField(table.schema().field(c).name, d, /*quote_empty=*/true, &out);
    }
    out.append(eol);
  }
  for (int64_t row = 0; row < table.num_rows(); ++row) {
    for (int c = 0; c < table.num_columns(); ++c) {
      if (c > 0) out.push_back(d);
      AppendValue(table.column(c), row, d, &out);
    }
    // A single column of nulls would give blank lines, which readers skip.
    if (table.num_columns() == 1 && table.column(0).IsNull(row)) out.append("\"\"");
    out.append(eol);
  }
  return out;
}

Status WriteCsv(const Table& table, const std::string& path, const CsvWriteOptions& options) {
  KEEL_ASSIGN_OR_RETURN(std::string text, WriteCsvToString(table, options));
  return WriteFileAtomic(path, text);
}

}  // namespace keel
