// Keel's native columnar file (".kcol"): how the lake stores parsed tables.
// Column chunks compressed with zstd or stored plain (aligned, so that a
// local file is used in place through a memory map: no copy, no decoding),
// a footer with the schema and per-column statistics, and every column
// readable alone (a reader fetches only the byte ranges of the columns it
// asks for), from a local file or an object store.
//
// The layout is specified in keel/table/README.md ("Native columnar file");
// files carry a format version and a reader refuses versions it does not know.
#ifndef KEEL_TABLE_NATIVE_FILE_H_
#define KEEL_TABLE_NATIVE_FILE_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "keel/base/status.h"
#include "keel/table/table.h"

namespace keel {

class ObjectStore;

enum class NativeCompression {
  // zstd chunks: about 4-5x smaller than the table in memory; reading
  // decompresses (about 1 GB/s per core).
  kZstd,
  // Plain, 64-byte-aligned chunks, one per column: as big as the table in
  // memory; a local file reads back zero-copy from the page cache.
  kNone,
};

// "zstd" / "none"; InvalidArgument naming the choices otherwise.
StatusOr<NativeCompression> ParseNativeCompression(std::string_view name);
const char* NativeCompressionName(NativeCompression compression);

struct NativeWriteOptions {
  NativeCompression compression = NativeCompression::kZstd;
  int zstd_level = 3;
  // Rows per row group; each column of a row group is one chunk. 0: the
  // compression's default, 2^20 rows for kZstd and every row for kNone (one
  // chunk per column, which a reader can hand out in place; a plain column
  // of several chunks is read by copying).
  int64_t row_group_rows = 0;
  // Threads compressing chunks; 0 = every core.
  int num_threads = 0;
};

// Statistics of one column over the whole file, kept in the footer.
struct ColumnStatistics {
  int64_t null_count = 0;
  int64_t value_count = 0;  // non-null values
  // Min and max of the non-null values, for int64/timestamp (as int64),
  // float64 (NaN ignored), bool (0/1) and string (byte order, truncated to
  // 64 bytes). Absent when every value is null.
  std::optional<int64_t> min_int, max_int;
  std::optional<double> min_double, max_double;
  std::optional<std::string> min_string, max_string;
};

// Encodes `table` as a native file in memory. Deterministic: the same table
// and options give the same bytes (the lake names versions by content hash).
StatusOr<std::string> EncodeNativeFile(const Table& table, const NativeWriteOptions& options = {});

// The same bytes handed to `sink` piece by piece, in order, without the
// whole file in memory (plain chunks are views of the table's buffers).
// Stops at the first error `sink` returns.
Status EncodeNativeFileTo(const Table& table, const NativeWriteOptions& options,
                          const std::function<Status(std::string_view)>& sink);

// Writes `table` to `path` atomically (AtomicFileWriter).
Status WriteNativeFile(const Table& table, const std::string& path,
                       const NativeWriteOptions& options = {});

// Reads a native file. Opening reads only the footer. Thread-safe after Open.
//
// A local file is memory-mapped. Columns of uncompressed chunks are then
// views of the mapping (zero-copy: their buffers keep the mapping alive, and
// the bytes come from the page cache); every chunk's checksum is still
// verified and string offsets checked before a column is returned. Like any
// memory map, this assumes the file is not truncated in place while a
// table read from it lives (the lake only ever replaces files by rename).
class NativeFileReader {
 public:
  // Errors name the path: NotFound; DataLoss for a truncated or corrupt file
  // (bad magic, footer out of range, checksum mismatch); FailedPrecondition
  // for a format version this build does not know.
  static StatusOr<std::unique_ptr<NativeFileReader>> Open(const std::string& path);
  // The same from an object store, fetching byte ranges (GetRange).
  static StatusOr<std::unique_ptr<NativeFileReader>> Open(ObjectStore* store,
                                                          const std::string& key);
  virtual ~NativeFileReader() = default;

  virtual const Schema& schema() const = 0;
  virtual int64_t num_rows() const = 0;
  // One per column, in schema order.
  virtual const std::vector<ColumnStatistics>& statistics() const = 0;

  // Every column. `num_threads` decompress in parallel (0 = every core).
  virtual StatusOr<Table> ReadAll(int num_threads = 0) = 0;
  // Only the named columns, in the order given; reads only their chunks.
  // Errors: NotFound for an unknown name (with the closest names).
  virtual StatusOr<Table> ReadColumns(const std::vector<std::string>& names,
                                      int num_threads = 0) = 0;
};

}  // namespace keel

#endif  // KEEL_TABLE_NATIVE_FILE_H_
