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
inline constexpr uint32_t kFormatVersion = 1;
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

// Statistics kinds in the footer.
inline constexpr uint8_t kStatsNone = 0;    // every value null (or NaN)
inline constexpr uint8_t kStatsInt = 1;     // i64 min, i64 max
inline constexpr uint8_t kStatsDouble = 2;  // f64 min, f64 max
inline constexpr uint8_t kStatsString = 3;  // u32 len + bytes, twice

}  // namespace keel::native_internal

#endif  // KEEL_TABLE_NATIVE_FILE_FORMAT_H_
