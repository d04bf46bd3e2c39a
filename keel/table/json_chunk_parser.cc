// The first half of the JSON Lines reader: one chunk of lines parsed with
// simdjson, each document flattened into "a.b" columns of typed cells.
#include "keel/table/json_chunk_parser.h"

#include <algorithm>
#include <charconv>
#include <cstring>
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "keel/base/time.h"
#include "keel/table/utf8.h"
#include "simdjson.h"

namespace keel::json_internal {

using csv_internal::CellType;
namespace dom = simdjson::dom;

namespace {

// Characters (UTF-8 code points) before byte `offset`, plus one.
int64_t ColumnOf(std::string_view line, size_t offset) {
  int64_t column = 1;
  for (size_t i = 0; i < offset && i < line.size(); ++i) {
    if ((static_cast<uint8_t>(line[i]) & 0xC0) != 0x80) ++column;
  }
  return column;
}

bool IsBlank(std::string_view line) {
  for (char c : line) {
    if (c != ' ' && c != '\t' && c != '\r') return false;
  }
  return true;
}

bool AllDigits(std::string_view s) {
  for (char c : s) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}

const char* JsonTypeName(dom::element_type type) {
  switch (type) {
    case dom::element_type::ARRAY:
      return "an array";
    case dom::element_type::OBJECT:
      return "an object";
    case dom::element_type::STRING:
      return "a string";
    case dom::element_type::BOOL:
      return "a bool";
    case dom::element_type::NULL_VALUE:
      return "null";
    default:
      return "a number";
  }
}

// Walks the line with simdjson's On-Demand API, which knows where it stops,
// to find where a line that failed to parse goes wrong: the byte offset.
simdjson::error_code Walk(simdjson::ondemand::value value, int depth) {
  using simdjson::ondemand::json_type;
  if (depth > 1024) return simdjson::DEPTH_ERROR;
  json_type type;
  if (auto e = value.type().get(type)) return e;
  switch (type) {
    case json_type::object: {
      simdjson::ondemand::object object;
      if (auto e = value.get_object().get(object)) return e;
      for (auto field : object) {
        if (auto e = field.error()) return e;
        std::string_view key;
        if (auto e = field.unescaped_key().get(key)) return e;
        simdjson::ondemand::value child;
        if (auto e = field.value().get(child)) return e;
        if (auto e = Walk(child, depth + 1)) return e;
      }
      return simdjson::SUCCESS;
    }
    case json_type::array: {
      simdjson::ondemand::array array;
      if (auto e = value.get_array().get(array)) return e;
      for (auto element : array) {
        simdjson::ondemand::value child;
        if (auto e = element.get(child)) return e;
        if (auto e = Walk(child, depth + 1)) return e;
      }
      return simdjson::SUCCESS;
    }
    case json_type::number: {
      double d;
      return value.get_double().get(d);
    }
    case json_type::string: {
      std::string_view s;
      return value.get_string().get(s);
    }
    case json_type::boolean: {
      bool b;
      return value.get_bool().get(b);
    }
    case json_type::null: {
      bool is_null;
      if (auto e = value.is_null().get(is_null)) return e;
      return is_null ? simdjson::SUCCESS : simdjson::N_ATOM_ERROR;
    }
  }
  return simdjson::SUCCESS;
}

// The byte offset in `line` where the JSON goes wrong, as well as simdjson
// can tell (the first non-blank byte when it cannot).
size_t LocateJsonError(std::string_view line) {
  size_t first = 0;
  while (first < line.size() && (line[first] == ' ' || line[first] == '\t')) ++first;
  simdjson::ondemand::parser parser;
  simdjson::padded_string padded(line);
  simdjson::ondemand::document doc;
  if (parser.iterate(padded).get(doc)) return first;
  simdjson::ondemand::value value;
  simdjson::error_code error = doc.get_value().get(value);
  if (!error) error = Walk(value, 0);
  // Without an error the object is fine and what follows it is wrong: the
  // location is then just past the object.
  (void)error;
  const char* at = nullptr;
  if (doc.current_location().get(at)) return line.size();
  const size_t offset = static_cast<size_t>(at - padded.data());
  return std::min(offset, line.size());
}

class ChunkParser {
 public:
  ChunkParser(const JsonReadOptions& options, const csv_internal::NaMatcher& na, Chunk* chunk)
      : options_(options), na_(na), chunk_(chunk) {}

  // Parses the lines of [begin, end); `text` has SIMDJSON_PADDING readable
  // bytes past the end of the whole input.
  void Parse(const char* begin, const char* end) {
    const char* p = begin;
    while (p < end) {
      const char* nl = static_cast<const char*>(std::memchr(p, '\n', end - p));
      const char* line_end = nl == nullptr ? end : nl;
      std::string_view line(p, static_cast<size_t>(line_end - p));
      if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
      if (!IsBlank(line) && !ParseLine(line)) return;
      ++chunk_->lines;
      p = nl == nullptr ? end : nl + 1;
    }
  }

 private:
  bool Fail(std::string_view line, size_t offset, std::string what) {
    chunk_->error.line = chunk_->lines;
    chunk_->error.column = ColumnOf(line, offset);
    chunk_->error.what = std::move(what);
    return false;
  }

  bool ParseLine(std::string_view line) {
    dom::element root;
    const simdjson::error_code error =
        parser_.parse(reinterpret_cast<const uint8_t*>(line.data()), line.size(), false).get(root);
    if (error == simdjson::UTF8_ERROR) {
      return Fail(line, FindInvalidUtf8(line),
                  "invalid UTF-8 (JSON text must be UTF-8; re-encode the file, e.g. with "
                  "iconv -f latin1 -t utf-8)");
    }
    if (error) {
      const char* hint =
          error == simdjson::NUMBER_ERROR
              ? " (numbers beyond 64-bit integers or doubles, such as "
                "123456789012345678901234 or 1e999, cannot be read: quote them as strings)"
              : " (each line must hold one complete JSON object; a record spread over "
                "several lines is not JSON Lines)";
      return Fail(line, LocateJsonError(line),
                  absl::StrCat("invalid JSON: ", simdjson::error_message(error), hint));
    }
    if (root.type() != dom::element_type::OBJECT) {
      size_t first = 0;
      while (first < line.size() && (line[first] == ' ' || line[first] == '\t')) ++first;
      return Fail(line, first,
                  absl::StrCat("expected a JSON object, found ", JsonTypeName(root.type()),
                               " (JSON Lines needs one object per line, e.g. {\"a\": 1})"));
    }
    row_ = static_cast<int64_t>(chunk_->row_lines.size());
    chunk_->row_lines.push_back(chunk_->lines);
    path_.clear();
    return Flatten(line, root.get_object().value_unsafe(), 0);
  }

  // The column named path_ (created at its first appearance).
  int ColumnIndex() {
    const auto it = chunk_->index.find(absl::string_view(path_.data(), path_.size()));
    if (it != chunk_->index.end()) return it->second;
    const int index = static_cast<int>(chunk_->names.size());
    chunk_->index.emplace(path_, index);
    chunk_->names.push_back(path_);
    chunk_->columns.emplace_back();
    return index;
  }

  void Add(Cell cell) {
    ChunkColumn& column = chunk_->columns[ColumnIndex()];
    column.type = csv_internal::Join(column.type, cell.type);
    if (!column.rows.empty() && column.rows.back() == row_) {
      column.cells.back() = std::move(cell);  // a repeated key: the last wins
      return;
    }
    column.rows.push_back(row_);
    column.cells.push_back(std::move(cell));
  }

  // A null (or an ignored value): the column exists, this row has no value.
  void AddNull() {
    ChunkColumn& column = chunk_->columns[ColumnIndex()];
    if (!column.rows.empty() && column.rows.back() == row_) {
      column.rows.pop_back();
      column.cells.pop_back();
    }
  }

  // Adds the object's values to the columns named path_ + "." + key (just
  // key at the top); path_ is restored on return.
  bool Flatten(std::string_view line, dom::object object, int depth) {
    const size_t base = path_.size();
    for (dom::key_value_pair field : object) {
      path_.resize(base);
      if (depth > 0) path_.push_back('.');
      path_.append(field.key);
      if (path_.empty()) {
        return Fail(line, 0, "a key is the empty string; every column needs a name");
      }
      dom::element value = field.value;
      if (value.type() == dom::element_type::OBJECT) {
        Cell cell;
        std::string error;
        if (options_.mongodb_extended_json &&
            ExtendedJson(value.get_object().value_unsafe(), &cell, &error)) {
          if (!error.empty()) {
            return Fail(line, 0, absl::StrCat("key '", path_, "': ", error));
          }
          Add(std::move(cell));
        } else if (depth < options_.max_depth) {
          if (!Flatten(line, value.get_object().value_unsafe(), depth + 1)) return false;
        } else {
          cell.type = CellType::kString;
          cell.text = simdjson::minify(value);
          Add(std::move(cell));
        }
        continue;
      }
      if (value.type() == dom::element_type::NULL_VALUE) {
        AddNull();
        continue;
      }
      Cell cell;
      Scalar(value, &cell);
      if (cell.type == CellType::kNull) {
        AddNull();
      } else {
        Add(std::move(cell));
      }
    }
    path_.resize(base);
    return true;
  }

  void StringCell(std::string_view s, Cell* cell) {
    cell->is_string = true;
    cell->text = std::string(s);
    if (na_.Matches(s.data(), s.size())) {
      cell->type = CellType::kNull;
      return;
    }
    cell->type = CellType::kString;
    TimestampMicros t;
    bool has_offset = false;
    if (!s.empty() && !AllDigits(s) && TryParseTimestamp(s, options_.timezone, &t, &has_offset)) {
      cell->type = CellType::kTimestamp;
      cell->i = t;
      cell->naive = !has_offset;
    }
  }

  void Scalar(dom::element value, Cell* cell) {
    switch (value.type()) {
      case dom::element_type::STRING:
        StringCell(value.get_string().value_unsafe(), cell);
        return;
      case dom::element_type::BOOL:
        cell->type = CellType::kBool;
        cell->i = value.get_bool().value_unsafe() ? 1 : 0;
        return;
      case dom::element_type::INT64:
        cell->type = CellType::kInt64;
        cell->i = value.get_int64().value_unsafe();
        return;
      case dom::element_type::UINT64:  // beyond int64: keep the digits
        cell->type = CellType::kString;
        cell->text = std::to_string(value.get_uint64().value_unsafe());
        return;
      case dom::element_type::DOUBLE:
        cell->type = CellType::kFloat64;
        cell->d = value.get_double().value_unsafe();
        return;
      default:  // arrays
        cell->type = CellType::kString;
        cell->text = simdjson::minify(value);
        return;
    }
  }

  // Whether `object` is a MongoDB extended-JSON wrapper; if so `cell` gets
  // its value, or `error` says why the wrapper is malformed.
  bool ExtendedJson(dom::object object, Cell* cell, std::string* error) {
    if (object.size() != 1) return false;
    const dom::key_value_pair field = *object.begin();
    const std::string_view key = field.key;
    if (key.empty() || key[0] != '$') return false;
    const dom::element value = field.value;
    std::string_view s;
    const bool is_string = value.get_string().get(s) == simdjson::SUCCESS;
    if (key == "$oid") {
      if (!is_string) return false;
      cell->type = CellType::kString;
      cell->is_string = true;
      cell->text = std::string(s);
      return true;
    }
    if (key == "$date") {
      cell->type = CellType::kTimestamp;
      if (is_string) {
        bool has_offset = false;
        if (!TryParseTimestamp(s, options_.timezone, &cell->i, &has_offset)) {
          *error =
              absl::StrCat("bad {\"$date\": ...}: ",
                           std::string(ParseTimestamp(s, options_.timezone).status().message()));
          return true;
        }
        cell->naive = !has_offset;
        cell->is_string = true;
        cell->text = std::string(s);
        return true;
      }
      int64_t ms = 0;
      dom::object inner;
      std::string_view digits;
      if (value.get_int64().get(ms) == simdjson::SUCCESS) {
      } else if (value.get_object().get(inner) == simdjson::SUCCESS && inner.size() == 1 &&
                 inner["$numberLong"].get_string().get(digits) == simdjson::SUCCESS) {
        if (csv_internal::ParseInt64Cell(digits.data(), digits.size(), &ms) !=
            csv_internal::IntParse::kOk) {
          *error = absl::StrCat("bad {\"$date\": {\"$numberLong\": \"", Printable(digits),
                                "\"}}: expected milliseconds since the epoch as an integer");
          return true;
        }
      } else {
        *error =
            "bad {\"$date\": ...}: expected an RFC 3339 string, milliseconds or "
            "{\"$numberLong\": \"<milliseconds>\"}";
        return true;
      }
      StatusOr<TimestampMicros> t = FromEpoch(ms, EpochUnit::kMillis);
      if (!t.ok()) {
        *error = absl::StrCat("bad {\"$date\": ...}: ", std::string(t.status().message()));
        return true;
      }
      cell->i = *t;
      cell->text = FormatRfc3339(*t);
      return true;
    }
    const bool is_long = key == "$numberLong" || key == "$numberInt";
    if (is_long || key == "$numberDouble" || key == "$numberDecimal") {
      if (!is_string) return false;
      cell->text = std::string(s);
      cell->has_text = true;
      if (is_long) {
        cell->type = CellType::kInt64;
        if (csv_internal::ParseInt64Cell(s.data(), s.size(), &cell->i) !=
            csv_internal::IntParse::kOk) {
          *error = absl::StrCat("bad {\"", std::string(key), "\": \"", Printable(s),
                                "\"}: expected an integer in int64's range");
        }
        return true;
      }
      cell->type = CellType::kFloat64;
      if (!csv_internal::ParseFloat64Cell(s.data(), s.size(), &cell->d)) {
        *error = absl::StrCat("bad {\"", std::string(key), "\": \"", Printable(s),
                              "\"}: expected a number");
      }
      return true;
    }
    return false;
  }

  const JsonReadOptions& options_;
  const csv_internal::NaMatcher& na_;
  Chunk* chunk_;
  dom::parser parser_;
  std::string path_;  // the column name being filled: "a.b.c"
  int64_t row_ = 0;
};

}  // namespace

// The cell's value as a string column holds it.
std::string CellText(const Cell& cell) {
  if (cell.has_text || cell.is_string || cell.type == CellType::kString ||
      cell.type == CellType::kTimestamp) {
    return cell.text;
  }
  char buffer[32];
  switch (cell.type) {
    case CellType::kBool:
      return cell.i ? "true" : "false";
    case CellType::kInt64:
      return std::string(buffer, std::to_chars(buffer, buffer + sizeof(buffer), cell.i).ptr);
    case CellType::kFloat64:
      return std::string(buffer, std::to_chars(buffer, buffer + sizeof(buffer), cell.d).ptr);
    default:
      return cell.text;
  }
}

std::string Printable(std::string_view value) {
  if (value.size() > 60) return absl::StrCat(std::string(value.substr(0, 57)), "...");
  return std::string(value);
}

void ParseChunk(const JsonReadOptions& options, const csv_internal::NaMatcher& na,
                const char* begin, const char* end, Chunk* chunk) {
  ChunkParser(options, na, chunk).Parse(begin, end);
}

}  // namespace keel::json_internal
