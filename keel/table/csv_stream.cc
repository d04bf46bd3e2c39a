#include "keel/table/csv_stream.h"

#include <memory>

#include "absl/strings/str_cat.h"
#include "keel/table/input_stream.h"

namespace keel {
namespace {

Status Stream(InputStream* input, const CsvStreamOptions& options, const CsvChunkSink& sink,
              const std::string& name, CsvReadStats* stats) {
  if (options.chunk_rows < 1) {
    return absl::InvalidArgumentError(
        absl::StrCat("CsvStreamOptions: chunk_rows must be >= 1, not ", options.chunk_rows));
  }
  // The parser hands over whole batches of at least chunk_rows rows; cut
  // them into chunks of at most chunk_rows (slices share the buffers).
  const int64_t n = options.chunk_rows;
  auto cut = [&](const Table& rows) -> StatusOr<StreamControl> {
    if (rows.num_rows() == 0) return sink(rows);
    for (int64_t start = 0; start < rows.num_rows(); start += n) {
      KEEL_ASSIGN_OR_RETURN(StreamControl control, sink(rows.Slice(start, n)));
      if (control == StreamControl::kStop) return control;
    }
    return StreamControl::kContinue;
  };
  return csv_internal::StreamCsvInput(input, options.read, name, n, cut, stats);
}

}  // namespace

Status StreamCsv(const std::string& path, const CsvStreamOptions& options, const CsvChunkSink& sink,
                 CsvReadStats* stats) {
  KEEL_ASSIGN_OR_RETURN(std::unique_ptr<InputStream> input, OpenInputFile(path));
  return Stream(input.get(), options, sink, path, stats);
}

Status StreamCsvFromString(std::string_view text, const CsvStreamOptions& options,
                           const CsvChunkSink& sink, const std::string& name,
                           CsvReadStats* stats) {
  std::unique_ptr<InputStream> input = OpenInputString(text, name);
  return Stream(input.get(), options, sink, name, stats);
}

StatusOr<int64_t> CountCsvRows(const std::string& path, const CsvReadOptions& options) {
  CsvStreamOptions stream;
  stream.read = options;
  stream.read.schema_override.clear();  // strings: no value can fail to parse
  stream.chunk_rows = 1 << 20;
  int64_t rows = 0;
  KEEL_RETURN_IF_ERROR(StreamCsv(path, stream, [&](const Table& chunk) -> StatusOr<StreamControl> {
    rows += chunk.num_rows();
    return StreamControl::kContinue;
  }));
  return rows;
}

}  // namespace keel
