// Writing a Table as CSV (RFC 4180 quoting) that ReadCsv reads back with the
// same types and values.
#ifndef KEEL_TABLE_CSV_WRITER_H_
#define KEEL_TABLE_CSV_WRITER_H_

#include <string>

#include "keel/base/status.h"
#include "keel/table/table.h"

namespace keel {

struct CsvWriteOptions {
  char delimiter = ',';
  bool header = true;
  // Rows end with "\n" (or "\r\n" when true).
  bool crlf = false;
};

// Formatting: bool "true"/"false"; int64 in decimal; float64 in the shortest
// text that reads back to the same double, with ".0" added to integral
// values so they stay float64 ("inf", "-inf"; NaN is written as "NaN" and so
// reads back as null); timestamps RFC 3339 in UTC ("2024-03-10T14:30:00Z",
// fraction only when non-zero); strings as they are. Null is an empty
// field; an empty string is written "" so the two differ for readers with
// quoted_strings_can_be_null = false. A field (or header name) is quoted
// when it holds the delimiter, a quote, '\r' or '\n', or is empty, with
// inner quotes doubled.
//
// Errors: InvalidArgument when the delimiter is '"', '\r' or '\n'.
StatusOr<std::string> WriteCsvToString(const Table& table, const CsvWriteOptions& options = {});

// Writes the CSV to `path` atomically (keel/base/files.h). Errors: as
// WriteCsvToString, and I/O errors naming the path.
Status WriteCsv(const Table& table, const std::string& path, const CsvWriteOptions& options = {});

}  // namespace keel

#endif  // KEEL_TABLE_CSV_WRITER_H_
