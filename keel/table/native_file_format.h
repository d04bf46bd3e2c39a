// Internal to the table module: the constants of Keel's native columnar file
// shared by its writer and reader (the layout is specified in
// keel/table/README.md, "Native columnar file").
#ifndef KEEL_TABLE_NATIVE_FILE_FORMAT_H_
#define KEEL_TABLE_NATIVE_FILE_FORMAT_H_

#include <bit>
#include <cstdint>
#include <string_view>

#include "keel/table/types.h"

namespace keel::native_internal {

// Value arrays are stored little-endian and copied as they are in memory.
static_assert(std::endian::native == std::endian::little,
              "the native file codec assumes a little-endian host");

inline constexpr std::string_view kMagic = "KCOL";
// Written by this build; version 1 files (zstd only, CRC-32 chunk
// checksums) are still read.
inline constexpr uint32_t kFormatVersion = 2;
inline constexpr uint32_t kOldestReadableVersion = 1;
// "KCOL" + u32 version.
inline constexpr int64_t kHeaderBytes = 8;
// u64 footer length + u32 footer CRC-32 + u32 version + "KCOL".
inline constexpr int64_t kTrailerBytes = 20;
// String statistics keep at most this many bytes.
inline constexpr size_t kMaxStatisticsStringBytes = 64;

// Type codes in the footer (stable: never renumber).
inline uint8_t TypeCode(DataType type) {
  switch (type) {
    case DataType::kBool:
      return 0;
    case DataType::kInt64:
      return 1;
    case DataType::kFloat64:
      return 2;
    case DataType::kString:
      return 3;
    case DataType::kTimestamp:
      return 4;
  }
  return 255;
}

// Bytes per value in a chunk's values section (string lengths are int64).
inline int64_t ValueWidth(DataType type) { return type == DataType::kBool ? 1 : 8; }

// Chunk codecs (version 2 footer entries; version 1 chunks are all zstd).
inline constexpr uint8_t kCodecNone = 0;
inline constexpr uint8_t kCodecZstd = 1;

// Version 2: every chunk starts at a multiple of this many bytes and its
// stored length is a multiple of it (zero padding), and so is every section
// of an uncompressed chunk: values can be used in place from a memory map.
inline constexpr int64_t kAlignment = 64;
inline int64_t AlignUp(int64_t bytes) { return (bytes + kAlignment - 1) / kAlignment * kAlignment; }

// Where the sections of an uncompressed (kCodecNone) chunk lie, relative to
// its start: the validity bitmap (only when the chunk has nulls), the values
// (strings: rows + 1 int64 offsets from 0 into the string bytes) and, for
// strings, the bytes. Each section starts aligned; `total` is the stored
// length, padding included.
struct PlainLayout {
  int64_t validity_offset = 0, validity_bytes = 0;
  int64_t values_offset = 0, values_bytes = 0;
  int64_t strings_offset = 0, strings_bytes = 0;
  int64_t total = 0;
};
inline PlainLayout PlainChunkLayout(DataType type, int64_t rows, bool has_nulls,
                                    int64_t string_bytes) {
  PlainLayout layout;
  int64_t at = 0;
  if (has_nulls) {
    layout.validity_bytes = (rows + 7) / 8;
    at = AlignUp(layout.validity_bytes);
  }
  layout.values_offset = at;
  layout.values_bytes = type == DataType::kString ? (rows + 1) * 8 : rows * ValueWidth(type);
  at = AlignUp(at + layout.values_bytes);
  if (type == DataType::kString) {
    layout.strings_offset = at;
    layout.strings_bytes = string_bytes;
    at = AlignUp(at + string_bytes);
  }
  layout.total = at;
  return layout;
}

// Statistics kinds in the footer.
inline constexpr uint8_t kStatsNone = 0;    // every value null (or NaN)
inline constexpr uint8_t kStatsInt = 1;     // i64 min, i64 max
inline constexpr uint8_t kStatsDouble = 2;  // f64 min, f64 max
inline constexpr uint8_t kStatsString = 3;  // u32 len + bytes, twice

}  // namespace keel::native_internal

#endif  // KEEL_TABLE_NATIVE_FILE_FORMAT_H_
