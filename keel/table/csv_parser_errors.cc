// The CSV parser's error messages ("<file>:<line>:<column>: what, and the
// fix") and the checks that need the text of a batch: timestamp columns
// mixing values with and without a UTC offset.
#include <algorithm>
#include <string>
#include <string_view>

#include "absl/strings/str_cat.h"
#include "keel/table/csv_parser.h"

namespace keel::csv_internal {
namespace {

std::string Printable(std::string_view value) {
  std::string out;
  for (char c : value.substr(0, 60)) {
    if (c == '\n') {
      out += "\\n";
    } else if (c == '\r') {
      out += "\\r";
    } else {
      out += c;
    }
  }
  if (value.size() > 60) out += "...";
  return out;
}

}  // namespace

std::pair<int64_t, int64_t> CsvParser::Locate(const char* text, size_t offset) const {
  const char* at = text + offset;
  const int64_t line = line_ + std::count(text, at, '\n');
  const char* line_start = at;
  while (line_start > text && line_start[-1] != '\n') --line_start;
  int64_t column = 1;
  for (const char* p = line_start; p < at; ++p) {
    if ((static_cast<uint8_t>(*p) & 0xC0) != 0x80) ++column;
  }
  return {line, column};
}

Status CsvParser::ErrorAt(const char* text, size_t offset, absl::StatusCode code,
                          std::string_view what) {
  const auto [line, column] = Locate(text, offset);
  return Status(code, absl::StrCat(name_, ":", line, ":", column, ": ", std::string(what)));
}

std::string_view CsvParser::FieldAt(const char* text, const Chunk& chunk, int column,
                                    size_t at) const {
  const Tokenized& tokens = chunk.tokens;
  for (int64_t r = 0; r < tokens.rows; ++r) {
    const auto& f = tokens.fields[r * num_columns_ + column];
    if (chunk.begin + f.begin == at) return std::string_view(text + at, f.end() - f.begin);
  }
  return {};
}

Status CsvParser::ChunkError(const char* text, const Chunk& chunk) {
  const size_t at = chunk.begin + chunk.fail_offset;
  const absl::StatusCode code = absl::StatusCode::kInvalidArgument;
  if (chunk.fail_column >= 0) {
    const std::string& column = names_[chunk.fail_column];
    if (chunk.fail_kind == ConvertFailure::Kind::kInvalidUtf8) {
      return ErrorAt(text, at, code,
                     absl::StrCat("invalid UTF-8 (byte 0x",
                                  absl::Hex(static_cast<uint8_t>(text[at]), absl::kZeroPad2),
                                  ") in column '", column,
                                  "'; the file must be UTF-8 (convert it, e.g. with iconv -f "
                                  "latin1 -t utf-8)"));
    }
    const std::string_view value = FieldAt(text, chunk, chunk.fail_column, at);
    const char* type = csv_internal::CellTypeName(types_[chunk.fail_column]);
    return ErrorAt(text, at, code,
                   absl::StrCat("value '", Printable(value), "' in column '", column,
                                "' is not a valid ", type, " (the column's type is fixed by ",
                                "schema_override); fix the value, add it to na_values if it means "
                                "null, or override the column as string"));
  }
  switch (chunk.tokens.error) {
    case TokenizeError::kRaggedRow:
      if (chunk.tokens.error_fields > num_columns_) {
        return ErrorAt(
            text, at, code,
            absl::StrCat("row has more than ", num_columns_, " fields (the header has ",
                         num_columns_, "); quote fields that contain '",
                         std::string(1, options_.delimiter), "', or check the delimiter option"));
      }
      return ErrorAt(text, at, code,
                     absl::StrCat("row has ", chunk.tokens.error_fields, " fields, expected ",
                                  num_columns_, " (as in the header); every row needs ",
                                  num_columns_, " fields (empty ones for missing values)"));
    case TokenizeError::kUnterminatedQuote:
      return ErrorAt(text, at, code,
                     "unterminated quoted field: the quote opened here is never closed; close "
                     "it, and double any quote inside a quoted field (\"\")");
    case TokenizeError::kTextAfterQuote:
      return ErrorAt(text, at, code,
                     absl::StrCat("unexpected '", Printable(std::string_view(text + at, 1)),
                                  "' after the closing quote of a field; a quote inside a quoted "
                                  "field must be doubled (\"\"), not escaped with a backslash"));
    case TokenizeError::kNone:
      break;
  }
  return absl::InternalError("csv: chunk failed without a reason");
}

Status CsvParser::NoteTimestampOffsets(const char* text, const std::vector<Chunk>& chunks) {
  for (int c = 0; c < num_columns_; ++c) {
    table_internal::TimestampOffsetCheck& check = offset_checks_[c];
    if (types_[c] != CellType::kTimestamp) {
      check.Clear();  // widened to string: its values are text
      continue;
    }
    for (const Chunk& chunk : chunks) {
      const ColumnChunk& column = chunk.columns[c];
      for (const bool has_offset : {true, false}) {
        const int64_t at = has_offset ? column.first_with_offset : column.first_naive;
        if (at < 0 || !check.Wants(has_offset)) continue;
        const size_t offset = chunk.begin + static_cast<size_t>(at);
        const auto [line, col] = Locate(text, offset);
        check.Note(has_offset, {std::string(FieldAt(text, chunk, c, offset)), line, col});
      }
    }
    if (fixed_[c] && check.mixed()) {
      return check.Error(name_, "column '" + names_[c] + "'", options_.timezone);
    }
  }
  return absl::OkStatus();
}

Status CsvParser::CheckTimestampOffsets() const {
  for (int c = 0; c < num_columns_; ++c) {
    if (types_[c] == CellType::kTimestamp && offset_checks_[c].mixed()) {
      return offset_checks_[c].Error(name_, "column '" + names_[c] + "'", options_.timezone);
    }
  }
  return absl::OkStatus();
}

}  // namespace keel::csv_internal
