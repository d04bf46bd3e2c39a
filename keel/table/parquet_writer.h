// Writing a Table as a Parquet file (flat schema; PLAIN or dictionary
// encoding; uncompressed, snappy or zstd data pages v1).
#ifndef KEEL_TABLE_PARQUET_WRITER_H_
#define KEEL_TABLE_PARQUET_WRITER_H_

#include <cstdint>
#include <string>

#include "keel/base/status.h"
#include "keel/table/table.h"

namespace keel {

enum class ParquetCompression { kNone, kSnappy, kZstd };

struct ParquetWriteOptions {
  // Snappy by default, as pyarrow, DuckDB and Polars' common setting: fast,
  // and read by every Parquet reader.
  ParquetCompression compression = ParquetCompression::kSnappy;
  // Dictionary-encode int64, float64, string and timestamp columns; a column
  // chunk whose dictionary would exceed `dictionary_max_bytes` (or hold more
  // than 2^20 distinct values) falls back to PLAIN. Bools are always PLAIN.
  bool dictionary = true;
  int64_t dictionary_max_bytes = 1 << 20;
  // Rows per row group (the last one may be shorter); must be > 0.
  int64_t row_group_rows = 1 << 20;
  // Target uncompressed size of a data page's values, in bytes; must be > 0.
  int64_t page_size = 1 << 20;
};

// Column types map to Parquet as: bool BOOLEAN, int64 INT64, float64 DOUBLE,
// string BYTE_ARRAY (STRING / UTF8), timestamp INT64 (TIMESTAMP, UTC,
// MICROS). A nullable field is OPTIONAL (definition levels), one that is not
// is REQUIRED.
//
// The file is written atomically (keel/base/files.h). Errors:
// InvalidArgument for bad options; the I/O errors of AtomicFileWriter,
// naming the path.
Status WriteParquet(const Table& table, const std::string& path,
                    const ParquetWriteOptions& options = {});

// The bytes of the file WriteParquet would write.
StatusOr<std::string> EncodeParquet(const Table& table, const ParquetWriteOptions& options = {});

}  // namespace keel

#endif  // KEEL_TABLE_PARQUET_WRITER_H_
