// Internal to the CSV reader: the parser behind ReadCsv and StreamCsv. Its
// reading passes are in csv_reader.cc, its error messages and the checks
// that need a batch's text in csv_parser_errors.cc.
#ifndef KEEL_TABLE_CSV_PARSER_H_
#define KEEL_TABLE_CSV_PARSER_H_

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "keel/base/status.h"
#include "keel/table/csv_batch.h"
#include "keel/table/csv_column_accumulator.h"
#include "keel/table/csv_convert.h"
#include "keel/table/csv_reader.h"
#include "keel/table/csv_stream.h"
#include "keel/table/csv_tokenizer.h"
#include "keel/table/input_stream.h"
#include "keel/table/parallel.h"
#include "keel/table/table.h"
#include "keel/table/timestamp_offsets.h"

namespace keel::csv_internal {

// One parallel task's share of a batch.
struct Chunk {
  size_t begin = 0;  // in the batch text
  size_t size = 0;
  Tokenized tokens;
  std::vector<ColumnChunk> columns;
  // The first problem in the chunk (tokenizer or conversion), by offset.
  bool failed = false;
  size_t fail_offset = 0;
  int fail_column = -1;
  ConvertFailure::Kind fail_kind = ConvertFailure::Kind::kNone;
};

// One read of one input: not thread-safe (it runs its own parallel loops).
class CsvParser {
 public:
  CsvParser(const CsvReadOptions& options, std::string name, CsvReadStats* stats)
      : options_(options),
        name_(std::move(name)),
        stats_(stats),
        na_(options.na_values),
        parallel_(options.num_threads),
        pool_(std::min<int64_t>(options.block_size_bytes * 4 * parallel_.threads(),
                                csv_internal::kMaxReadBytes) *
              4) {
    dialect_.delimiter = options.delimiter;
    dialect_.quote = options.quote;
    convert_.na = &na_;
    convert_.quoted_can_be_null = options.quoted_strings_can_be_null;
    convert_.zone = &options_.timezone;
    convert_.quote = options.quote;
    convert_.pool = &pool_;
  }

  // One pass over `stream`. With `forced` (the final types of a first
  // pass), no column is inferred. Sets *restart when the input must be read
  // again because a column's type changed in a way that needs the text of
  // earlier batches; `types` then holds the final types.
  StatusOr<Table> Run(InputStream* stream, const std::vector<CellType>* forced, bool* restart,
                      std::vector<CellType>* types);

  // Streaming (csv_stream.h): every column's type is fixed before the first
  // row (schema_override names the file lacks are ignored, other columns
  // are strings), and the rows go to `sink` in tables of at least
  // `chunk_rows` rows (the last may be shorter) instead of into the result.
  void SetStream(int64_t chunk_rows, const CsvChunkSink* sink) {
    stream_chunk_rows_ = chunk_rows;
    stream_sink_ = sink;
  }

 private:
  // Streaming: hands the rows accumulated so far to the sink when there
  // are chunk_rows of them, or at the end of the input.
  Status MaybeEmit(bool eof);
  // The accumulated columns as a table; the accumulators are left empty.
  StatusOr<Table> FinishTable();

  Status ReadHeader(const Tokenized& first, const char* text);
  Status SetUpTypes(const std::vector<CellType>* forced);
  // Parses the complete rows of text[0, size); sets *consumed and
  // *newlines for them.
  Status ParseBatch(const char* text, size_t size, bool eof, size_t* consumed, int64_t* newlines);
  void ConvertChunk(const char* text, Chunk* chunk);
  Status ChunkError(const char* text, const Chunk& chunk);
  Status MergeBatch(const char* text, std::vector<Chunk>* chunks);
  // Keeps the first timestamp with and without a UTC offset of each
  // timestamp column; a column whose type is fixed fails at once on a mix.
  Status NoteTimestampOffsets(const char* text, const std::vector<Chunk>& chunks);
  // A mix in a column that ended up a timestamp column is an error.
  Status CheckTimestampOffsets() const;
  // The field of `column` in `chunk` that starts at text[at].
  std::string_view FieldAt(const char* text, const Chunk& chunk, int column, size_t at) const;
  // The 1-based line and column (in characters) of text[offset].
  std::pair<int64_t, int64_t> Locate(const char* text, size_t offset) const;
  Status ErrorAt(const char* text, size_t offset, absl::StatusCode code, std::string_view what);

  const CsvReadOptions& options_;
  const std::string name_;
  CsvReadStats* stats_;
  csv_internal::NaMatcher na_;
  csv_internal::Dialect dialect_;
  csv_internal::ConvertOptions convert_;
  const table_internal::Parallel parallel_;

  std::vector<std::string> names_;
  int num_columns_ = 0;
  std::vector<CellType> types_;  // the join of every value seen so far
  std::vector<bool> fixed_;      // not inferred
  std::vector<csv_internal::ColumnAccumulator> columns_;
  std::vector<table_internal::TimestampOffsetCheck> offset_checks_;
  std::vector<Tokenized> spare_tokens_;  // reused: no page faults per batch
  csv_internal::BufferPool pool_;
  bool restart_ = false;  // results are dropped; only types are learnt
  const CsvChunkSink* stream_sink_ = nullptr;
  int64_t stream_chunk_rows_ = 0;
  int64_t emitted_rows_ = 0;
  int64_t emitted_chunks_ = 0;
  bool stopped_ = false;  // the sink asked for no more rows
  int64_t line_ = 1;      // line number of the batch text's first byte
  int64_t rows_ = 0;
};

}  // namespace keel::csv_internal

#endif  // KEEL_TABLE_CSV_PARSER_H_
