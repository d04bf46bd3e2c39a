// Reading CSV into a Table: type inference over every value, quoted fields,
// gzip/zstd input, and parsing in parallel on all cores.
//
//   KEEL_ASSIGN_OR_RETURN(Table table, ReadCsv("txns.csv.gz"));
//
// Behaviour (the choices are explained in keel/table/README.md):
// - Rows end with "\n" or "\r\n". Blank lines are skipped. A field in
//   quotes may hold the delimiter, line breaks and doubled quotes (""); a
//   quote inside an unquoted field is an ordinary character. A leading
//   UTF-8 byte-order mark is dropped.
// - Column types are inferred from all values, in the order bool
//   ("true"/"false", any case; 0/1 are integers), int64, float64, timestamp
//   (keel/base/time.h layouts), string. A column widens as values require:
//   int64 -> float64, and any other mix -> string. A column whose type
//   changes past the first block is still right: int64 -> float64 is
//   widened in place, a change that needs the original text (e.g. int64
//   values then "n/a-2") re-reads the input once with the final types.
// - Null: a cell equal to one of `na_values` (default: pandas' list), in any
//   column. Integer columns with nulls stay int64 (pandas makes them
//   float64). A column with no value at all is a string column.
// - A header-only input is a valid zero-row table of string columns (or the
//   schema_override types); an empty input is an error.
// - Errors fail the whole read (no partial table) and name
//   "<file>:<line>:<column>:" (1-based; column in characters), what is wrong
//   and how to fix it: rows with too many or too few fields, an unclosed
//   quote, text after a closing quote, invalid UTF-8, a value that does not
//   parse as its schema_override type, a timestamp column (inferred or
//   overridden) mixing values with a UTC offset ('Z', '+02:00') and values
//   without one (which may be local times; different offsets are fine), a
//   row longer than max_row_bytes, empty input, truncated or corrupt
//   gzip/zstd data, a missing file.
#ifndef KEEL_TABLE_CSV_READER_H_
#define KEEL_TABLE_CSV_READER_H_

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "keel/base/status.h"
#include "keel/base/time.h"
#include "keel/table/table.h"
#include "keel/table/types.h"

namespace keel {

// pandas' default null tokens (pandas 1.5, Debian 12's): "", "#N/A",
// "#N/A N/A", "#NA", "-1.#IND", "-1.#QNAN", "-NaN", "-nan", "1.#IND",
// "1.#QNAN", "<NA>", "N/A", "NA", "NULL", "NaN", "n/a", "nan", "null".
// (pandas 2 adds "None"; add it to na_values to match.)
const std::vector<std::string>& DefaultCsvNaValues();

struct CsvReadOptions {
  // Any byte except '\n', '\r' and the quote.
  char delimiter = ',';
  // '\0' turns quoting off (every quote is data).
  char quote = '"';
  // The first row names the columns; without it they are column_1, ...
  // Empty header names become column_<i>; repeated ones get ".1", ".2"
  // appended (as pandas does).
  bool has_header = true;
  // Cells exactly equal (case-sensitive, no trimming) to one of these are
  // null, quoted or not.
  std::vector<std::string> na_values = DefaultCsvNaValues();
  // False: quoted cells are never null ("" stays an empty string).
  bool quoted_strings_can_be_null = true;
  // Column name -> type for the columns not to infer; each of their values
  // must parse as that type (else an error naming the cell). Names that are
  // not columns are an error.
  std::map<std::string, DataType> schema_override;
  // Zone of timestamps written without an offset.
  TimeZone timezone;
  // Threads that parse; 0 = every core.
  int num_threads = 0;
  // Text per parallel task; a read fetches about 4 * threads of them.
  int64_t block_size_bytes = 1 << 20;
  // A row (with its quoted line breaks) longer than this is an error: it
  // bounds memory on inputs with an unclosed quote. At most 512 MiB.
  int64_t max_row_bytes = 256ll << 20;
};

// What a read did, for tests and tuning.
struct CsvReadStats {
  int passes = 0;  // 2 when a type change needed the text again
  int64_t batches = 0;
  int64_t chunks = 0;
  int64_t sequential_fallbacks = 0;  // batches whose parallel split was wrong
  int64_t rows = 0;
};

// Reads the CSV file at `path` (plain, gzip or zstd, detected from the first
// bytes). Errors: as described above; InvalidArgument for bad options.
StatusOr<Table> ReadCsv(const std::string& path, const CsvReadOptions& options = {},
                        CsvReadStats* stats = nullptr);

// Reads CSV text held in memory (which may also be gzip or zstd data);
// `name` stands for the file name in messages.
StatusOr<Table> ReadCsvFromString(std::string_view text, const CsvReadOptions& options = {},
                                  const std::string& name = "<string>",
                                  CsvReadStats* stats = nullptr);

}  // namespace keel

#endif  // KEEL_TABLE_CSV_READER_H_
