// Writing a Table as JSON Lines (one object per row) that ReadJsonLines
// reads back with the same columns, types and values.
#ifndef KEEL_TABLE_JSON_WRITER_H_
#define KEEL_TABLE_JSON_WRITER_H_

#include <string>

#include "keel/base/status.h"
#include "keel/table/table.h"

namespace keel {

struct JsonWriteOptions {
  // True: a null (or a NaN or infinity) is written as `"key": null`; false:
  // the key is left out, and so is an object whose keys are all left out.
  bool write_nulls = true;
  // True: dotted column names are nested again ("a.b", "a.c" -> {"a": {"b":
  // ..., "c": ...}}), undoing ReadJsonLines' flattening. False: flat keys.
  bool nest_dotted_names = false;
};

// Formatting: bool true/false; int64 in decimal; float64 in the shortest
// text that reads back to the same double, with ".0" added to integral
// values so they stay float64 (NaN and infinities, which JSON cannot hold,
// are written as null); timestamps as RFC 3339 strings in UTC
// ("2024-03-10T14:30:00Z", fraction only when non-zero); strings as JSON
// strings (a column holding JSON text from an array stays a string). Keys
// come in column order; each row ends with "\n".
//
// Errors: InvalidArgument with nest_dotted_names when a name is both a
// value and a parent ("a" and "a.b"), or has an empty part ("a..b").
StatusOr<std::string> WriteJsonLinesToString(const Table& table,
                                             const JsonWriteOptions& options = {});

// Writes the JSON Lines to `path` atomically (keel/base/files.h). Errors: as
// WriteJsonLinesToString, and I/O errors naming the path.
Status WriteJsonLines(const Table& table, const std::string& path,
                      const JsonWriteOptions& options = {});

}  // namespace keel

#endif  // KEEL_TABLE_JSON_WRITER_H_
