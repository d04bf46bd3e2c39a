// Reading JSON Lines (one JSON object per line) into a Table with simdjson:
// nested objects flattened into "parent.child" columns, arrays kept as JSON
// text, documents with differing keys unified into one schema, MongoDB
// extended JSON ({"$oid": ...}, {"$date": ...}, ...) read as plain values.
//
//   KEEL_ASSIGN_OR_RETURN(Table table, ReadJsonLines("events.jsonl.gz"));
//
// Behaviour (the choices are explained in keel/table/README.md):
// - Each non-blank line is one JSON object; lines end with "\n" or "\r\n";
//   blank lines are skipped; a leading UTF-8 byte-order mark is dropped.
// - Columns come in order of first appearance. A key missing from a
//   document, or JSON null, is a null. A nested object's keys become
//   "parent.child" columns, recursively up to max_depth levels; deeper
//   objects are kept as (minified) JSON text. An empty object adds nothing.
//   A key that is a scalar in some documents and an object in others gives
//   both columns: "a" for the scalars and "a.b", ... for the objects' keys.
//   If a document holds the same column twice (a duplicate key, or "a.b"
//   next to {"a": {"b": ...}}), the last value wins.
// - Types: JSON true/false -> bool; integers -> int64 (one beyond int64's
//   range but within uint64's makes the column a string keeping its digits,
//   as in CSV; a number beyond 64 bits is an error); other
//   numbers -> float64; strings -> string, or timestamp when every string of
//   the column parses as one (keel/base/time.h layouts; all-digit strings
//   never count); arrays (and objects deeper than max_depth) -> string of
//   their JSON text. Columns widen as in CSV: int64 -> float64, any other
//   mix -> string (non-string values then hold their JSON text: 1, true).
//   A column with no value at all is a string column of nulls.
// - MongoDB extended JSON (mongodb_extended_json, on by default): an object
//   with the single key "$oid" -> string; "$date" with an RFC 3339 string,
//   a number of milliseconds or {"$numberLong": "<ms>"} -> timestamp;
//   "$numberLong"/"$numberInt" -> int64; "$numberDouble" -> float64;
//   "$numberDecimal" -> float64 (override the column as string to keep the
//   exact digits).
// - Errors fail the whole read (no partial table) and start with
//   "<file>:<line>:<column>:" (1-based, column in characters): invalid JSON
//   (simdjson's message), a line that is not an object, invalid UTF-8, a
//   malformed extended-JSON value, an empty top-level key, a value that
//   does not fit its schema_override type, a timestamp column mixing values
//   with and without a UTC offset (naive ones), an input with no object.
//   Truncated or corrupt gzip/zstd data is DataLoss naming the file; a
//   missing file is NotFound naming the path.
//
// The whole (decompressed) input is held in memory while it is parsed.
#ifndef KEEL_TABLE_JSON_READER_H_
#define KEEL_TABLE_JSON_READER_H_

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "keel/base/status.h"
#include "keel/base/time.h"
#include "keel/table/table.h"
#include "keel/table/types.h"

namespace keel {

struct JsonReadOptions {
  // JSON string values exactly equal to one of these are null. JSON has
  // real nulls, so none by default (pandas' read_json does not map "NA").
  std::vector<std::string> na_values;
  // Column name -> type for the columns not to infer. A value is accepted
  // when it is of that type, an integer for float64, any value for string
  // (strings as they are, other values as JSON text), or a string whose
  // text parses as the type ("42" for int64, an RFC 3339 string for
  // timestamp); anything else is an error naming line, column and value.
  // Names that are not columns are an error, unless
  // schema_override_may_name_missing_columns (then they are ignored: the
  // caller checks the columns it needs).
  std::map<std::string, DataType> schema_override;
  bool schema_override_may_name_missing_columns = false;
  // Zone of timestamps written without an offset.
  TimeZone timezone;
  // Threads that parse; 0 = every core.
  int num_threads = 0;
  // Levels of nested objects flattened into "a.b" columns (as pandas'
  // json_normalize max_level); objects nested deeper become JSON text.
  // 0 keeps every nested object as JSON text.
  int max_depth = 64;
  // Read MongoDB extended JSON wrappers as values (see above); false
  // flattens them like any object ("_id.$oid").
  bool mongodb_extended_json = true;
};

// Reads the JSON Lines file at `path` (plain, gzip or zstd, detected from
// the first bytes). Errors: as described above; InvalidArgument for bad
// options.
StatusOr<Table> ReadJsonLines(const std::string& path, const JsonReadOptions& options = {});

// Reads JSON Lines text held in memory (which may also be gzip or zstd
// data); `name` stands for the file name in messages.
StatusOr<Table> ReadJsonLinesFromString(std::string_view text, const JsonReadOptions& options = {},
                                        const std::string& name = "<string>");

}  // namespace keel

#endif  // KEEL_TABLE_JSON_READER_H_
