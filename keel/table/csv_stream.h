// Reading CSV as a stream of tables of bounded size, for inputs larger than
// memory (batch scoring). The same parser as ReadCsv (csv_reader.h), with
// every column's type fixed before the first row so that every chunk has
// the same schema.
//
//   CsvStreamOptions options;
//   options.read.schema_override = {{"amount", DataType::kFloat64}};
//   KEEL_RETURN_IF_ERROR(StreamCsv("big.csv.gz", options,
//       [&](const Table& chunk) -> StatusOr<StreamControl> { ...; return StreamControl::kContinue; }));
#ifndef KEEL_TABLE_CSV_STREAM_H_
#define KEEL_TABLE_CSV_STREAM_H_

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include "keel/base/status.h"
#include "keel/table/csv_reader.h"
#include "keel/table/table.h"

namespace keel {

class InputStream;

// What a sink wants after a chunk.
enum class StreamControl { kContinue, kStop };

// Called once per chunk, in input order, on the caller's thread. An error
// stops the read and is returned as is.
using CsvChunkSink = std::function<StatusOr<StreamControl>(const Table& chunk)>;

struct CsvStreamOptions {
  // Parsing as ReadCsv, except types: a column named in schema_override
  // gets that type (names the file does not have are ignored: the caller
  // decides which columns it needs); every other column is a string column
  // holding the text as written (no inference, so nothing can change type
  // half way through the input).
  CsvReadOptions read;
  // The most rows in a chunk handed to the sink. Chunks are cut from read
  // batches (4 x threads x block_size_bytes of text), so one may be shorter
  // where a batch ends. The reader holds about one batch of text and of
  // parsed rows at a time.
  int64_t chunk_rows = 65536;
};

// Streams the CSV file at `path` (plain, gzip or zstd) to `sink`. A
// header-only input gives one zero-row chunk (so the sink sees the schema);
// otherwise chunks hold 1 to chunk_rows rows. Errors: as ReadCsv (with
// "file:line:column:"), InvalidArgument for chunk_rows < 1, or the sink's.
// Rows handed to the sink before an error stay handed: a caller that must
// not publish partial output writes to a temporary file.
Status StreamCsv(const std::string& path, const CsvStreamOptions& options, const CsvChunkSink& sink,
                 CsvReadStats* stats = nullptr);

// The same from text held in memory; `name` stands for the file in messages.
Status StreamCsvFromString(std::string_view text, const CsvStreamOptions& options,
                           const CsvChunkSink& sink, const std::string& name = "<string>",
                           CsvReadStats* stats = nullptr);

// Counts the data rows of a CSV file (quoted line breaks and blank lines as
// ReadCsv sees them) by streaming it with every column as a string.
// Errors: as StreamCsv.
StatusOr<int64_t> CountCsvRows(const std::string& path, const CsvReadOptions& options = {});

namespace csv_internal {

// The parser's streaming pass, defined in csv_reader.cc beside the parser.
// Hands the sink tables of at least `chunk_rows` rows (a read batch may hold
// more; the last may hold fewer).
Status StreamCsvInput(InputStream* stream, const CsvReadOptions& options, const std::string& name,
                      int64_t chunk_rows, const CsvChunkSink& sink, CsvReadStats* stats);

}  // namespace csv_internal
}  // namespace keel

#endif  // KEEL_TABLE_CSV_STREAM_H_
