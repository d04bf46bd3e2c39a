// Reading a Parquet file with a flat schema into a Table.
#ifndef KEEL_TABLE_PARQUET_READER_H_
#define KEEL_TABLE_PARQUET_READER_H_

#include <string>
#include <string_view>
#include <vector>

#include "keel/base/status.h"
#include "keel/table/table.h"

namespace keel {

struct ParquetReadOptions {
  // The columns to read, in this order; empty reads every column.
  std::vector<std::string> columns;
  // Threads decoding columns, the caller included; 0 = every core.
  int threads = 0;
};

// Reads data pages v1 and v2 and dictionary pages; PLAIN, PLAIN_DICTIONARY
// and RLE_DICTIONARY values, RLE booleans, DELTA_BINARY_PACKED integers and
// BYTE_STREAM_SPLIT numbers; UNCOMPRESSED, SNAPPY and ZSTD pages. The whole
// file is read into memory. Types: BOOLEAN -> bool; INT32, INT64 -> int64
// (DATE -> timestamp at midnight UTC; TIMESTAMP in MILLIS/MICROS/NANOS ->
// timestamp, nanoseconds rounded down to microseconds); INT96 -> timestamp;
// FLOAT, DOUBLE -> float64; BYTE_ARRAY -> string. OPTIONAL columns are
// nullable, REQUIRED ones are not. Thread-safe (no shared state).
//
// Errors, each naming the file: NotFound (no such file); InvalidArgument (not
// a Parquet file: the PAR1 magic is missing); DataLoss (truncated or corrupt
// file); Unimplemented (a nested or repeated column, FIXED_LEN_BYTE_ARRAY,
// an encoding or codec Keel does not read; naming the column); NotFound (an
// unknown name in `columns`, with the closest names).
StatusOr<Table> ReadParquet(const std::string& path, const ParquetReadOptions& options = {});

// As ReadParquet, from the bytes of a file; `name` is used in messages.
StatusOr<Table> DecodeParquet(std::string_view bytes, std::string_view name,
                              const ParquetReadOptions& options = {});

}  // namespace keel

#endif  // KEEL_TABLE_PARQUET_READER_H_
