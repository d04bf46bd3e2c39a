// Input and output of the batch commands (`keel predict`, `keel transform
// apply`): a dataset or file read in chunks of rows, optionally one shard of
// it, and an output file written chunk by chunk that appears atomically.
#ifndef KEEL_CLI_BATCH_IO_H_
#define KEEL_CLI_BATCH_IO_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "keel/base/files.h"
#include "keel/base/status.h"
#include "keel/cli/context.h"
#include "keel/lake/lake.h"
#include "keel/table/schema.h"
#include "keel/table/table.h"
#include "nlohmann/json.hpp"

namespace keel::cli {

// `--shard I/N`: the I-th (1-based) of N contiguous row ranges whose sizes
// differ by at most one row; the N ranges cover every row exactly once, in
// order, so the N outputs concatenated are the unsharded output.
struct Shard {
  int64_t index = 1;
  int64_t count = 1;
};
// "I/N" with 1 <= I <= N. Errors: usage errors saying what is wrong.
StatusOr<Shard> ParseShard(const std::string& text);
// Rows [first, second) of shard `shard` over `rows` rows.
std::pair<int64_t, int64_t> ShardRows(const Shard& shard, int64_t rows);

struct BatchInputOptions {
  // The most rows per chunk.
  int64_t chunk_rows = 65536;
  // Types to fix, e.g. a model's input schema. CSV columns not named here
  // are read as text (so no column can change type mid-stream). JSON Lines
  // columns named here are read as that type (a value that does not parse
  // is an error naming its line); the others are inferred. Other formats
  // keep their own types.
  Schema types;
};

// --data: a lake dataset NAME[@VERSION], or a file by its name (.csv, .tsv,
// .txt, .jsonl, .ndjson, .json, optionally .gz/.zst; .parquet, .pq; .kcol),
// a local path, file:// or an object-store URI (downloaded to the
// workspace's temporary folder first, removed afterwards).
//
// CSV is streamed: memory stays at about one read batch plus one chunk,
// whatever the file's size. Datasets, JSON Lines, Parquet and native files
// are read whole (their readers have no streaming mode yet), then handed
// over in chunks. Not thread-safe.
class BatchInput {
 public:
  static StatusOr<std::unique_ptr<BatchInput>> Open(CommandContext& context, Lake& lake,
                                                    const std::string& data,
                                                    BatchInputOptions options);
  ~BatchInput();

  // "name@version" or the path, for messages.
  const std::string& described() const { return described_; }
  bool streamed() const { return !table_.has_value(); }

  // Rows in the input: known for a table read whole; for CSV, one reading
  // pass (every column as text). Errors: the reader's.
  StatusOr<int64_t> CountRows();

  // Hands rows [begin, end) (end < 0: to the end of the input) to `sink`
  // in input order, in chunks of at most chunk_rows rows. The sink sees at
  // least one chunk (empty when the range is), so it learns the schema.
  // Errors: the reader's (CSV: "file:line:column: ..."), or the sink's.
  Status Read(int64_t begin, int64_t end, const std::function<Status(const Table&)>& sink);

 private:
  BatchInput() = default;

  std::string described_;
  BatchInputOptions options_;
  std::optional<Table> table_;  // read whole
  std::string csv_path_;        // streamed
  char csv_delimiter_ = ',';
  std::string temp_path_;  // a download, removed by the destructor
};

// --out: .csv, .jsonl (streamed: each chunk is appended as it comes),
// .parquet or .kcol (the chunks are kept and written as one table at the
// end: the writers take whole tables). Written to a temporary file beside
// `path` and renamed over it by Commit(), so a failed or killed run leaves
// no partial file under `path`. Every chunk must have the first one's
// schema. Not thread-safe.
class BatchOutput {
 public:
  // Errors: a usage error for an unknown extension; the folder's.
  static StatusOr<BatchOutput> Create(const std::string& path);

  Status Write(const Table& chunk);
  Status Commit();
  int64_t rows() const { return rows_; }
  const std::vector<std::string>& columns() const { return columns_; }

 private:
  enum class Format { kCsv, kJsonLines, kParquet, kNative };
  BatchOutput(Format format, AtomicFileWriter file) : format_(format), file_(std::move(file)) {}

  Format format_;
  AtomicFileWriter file_;
  int64_t rows_ = 0;
  int64_t chunks_ = 0;
  std::vector<std::string> columns_;
  Schema schema_;
  std::vector<Table> kept_;  // Parquet and native
};

// What RunBatch did, for the summary.
struct BatchSummary {
  int64_t rows = 0;    // written
  int64_t chunks = 0;  // handed to the function
  int64_t first_row = 0, end_row = -1;  // the shard's rows (end -1: all)
  double seconds = 0;
  // {"rows", "chunks", "out", "columns", "seconds", "rows_per_second",
  //  "shard": {"index", "count", "first_row", "end_row"} when sharded}.
  nlohmann::json ToJson(const Shard& shard, const BatchOutput& output,
                        const std::string& out) const;
};

// The loop of a batch command: the shard's rows of `input`, chunk by chunk,
// through `apply` (scoring, a transform) into `output`, then Commit. Progress
// on stderr as --progress says (rows done, rows/s). Errors: the input's,
// `apply`'s (prefixed with the input's name) and the output's; `output` is
// then not committed.
StatusOr<BatchSummary> RunBatch(CommandContext& context, const std::string& label,
                                BatchInput& input, const Shard& shard,
                                const std::function<StatusOr<Table>(const Table&)>& apply,
                                BatchOutput& output);

}  // namespace keel::cli

#endif  // KEEL_CLI_BATCH_IO_H_
