// Internal to keel/table (the JSON Lines reader): parsing one chunk of lines
// into per-chunk columns: documents flattened into "a.b" keys, values typed.
#ifndef KEEL_TABLE_JSON_CHUNK_PARSER_H_
#define KEEL_TABLE_JSON_CHUNK_PARSER_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "keel/table/csv_convert.h"
#include "keel/table/json_reader.h"

namespace keel::json_internal {

// One value of one column: `type` is the narrowest type holding it (never
// kNull: nulls are not stored). `text` is the string's value for JSON
// strings (`is_string`), else the value's JSON text; it is left empty for
// plain bools and numbers (made only if the column ends up a string, see
// CellText) unless `has_text`. `i` holds bools, integers and timestamps,
// `d` doubles. `naive`: a timestamp written without a UTC offset.
struct Cell {
  csv_internal::CellType type = csv_internal::CellType::kString;
  bool is_string = false;
  bool has_text = false;
  bool naive = false;
  int64_t i = 0;
  double d = 0;
  std::string text;
};

// The cell's value as a string column holds it.
std::string CellText(const Cell& cell);

// One column's values in one chunk: cells for the rows that have one.
struct ChunkColumn {
  std::vector<int64_t> rows;
  std::vector<Cell> cells;
  csv_internal::CellType type = csv_internal::CellType::kNull;
};

struct LineError {
  int64_t line = -1;  // within the chunk, 0-based; -1: none
  int64_t column = 1;
  absl::StatusCode code = absl::StatusCode::kInvalidArgument;
  std::string what;
};

// What one chunk of lines parses into.
struct Chunk {
  std::vector<std::string> names;  // in order of first appearance
  absl::flat_hash_map<std::string, int> index;
  std::vector<ChunkColumn> columns;
  std::vector<int64_t> row_lines;  // each row's line within the chunk, 0-based
  int64_t lines = 0;
  LineError error;
};

// `value` as quoted in messages: one over 60 bytes is cut to its first 57
// and "...".
std::string Printable(std::string_view value);

// Parses the lines of [begin, end) into `chunk` (empty on entry); the input
// must have simdjson::SIMDJSON_PADDING readable bytes past `end`. Stops at
// the first bad line and describes it in chunk->error (line -1: none).
// Thread-compatible: chunks may be parsed in parallel.
void ParseChunk(const JsonReadOptions& options, const csv_internal::NaMatcher& na,
                const char* begin, const char* end, Chunk* chunk);

}  // namespace keel::json_internal

#endif  // KEEL_TABLE_JSON_CHUNK_PARSER_H_
