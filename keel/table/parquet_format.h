// Internal to the table module: the parts of the Parquet format that Keel's
// reader and writer share: the metadata structs of parquet.thrift that flat
// schemas need, their Thrift Compact Protocol encoding, the RLE/bit-packed
// hybrid encoding, and page compression codecs.
#ifndef KEEL_TABLE_PARQUET_FORMAT_H_
#define KEEL_TABLE_PARQUET_FORMAT_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "keel/base/status.h"

namespace keel::parquet {

// Enum values as in parquet.thrift.
enum class PhysicalType : int32_t {
  kBoolean = 0,
  kInt32 = 1,
  kInt64 = 2,
  kInt96 = 3,
  kFloat = 4,
  kDouble = 5,
  kByteArray = 6,
  kFixedLenByteArray = 7,
};
enum class Repetition : int32_t { kRequired = 0, kOptional = 1, kRepeated = 2 };
enum class Codec : int32_t { kUncompressed = 0, kSnappy = 1, kGzip = 2, kZstd = 6 };
enum class Encoding : int32_t {
  kPlain = 0,
  kPlainDictionary = 2,
  kRle = 3,
  kBitPacked = 4,
  kDeltaBinaryPacked = 5,
  kDeltaLengthByteArray = 6,
  kDeltaByteArray = 7,
  kRleDictionary = 8,
  kByteStreamSplit = 9,
};
enum class PageType : int32_t { kData = 0, kIndex = 1, kDictionary = 2, kDataV2 = 3 };
// ConvertedType values Keel reads or writes.
inline constexpr int32_t kConvertedUtf8 = 0;
inline constexpr int32_t kConvertedDate = 6;
inline constexpr int32_t kConvertedTimestampMillis = 9;
inline constexpr int32_t kConvertedTimestampMicros = 10;

enum class TimeUnit { kMillis, kMicros, kNanos };

// The LogicalType union, reduced to what flat Keel columns need.
struct LogicalType {
  enum class Kind { kNone, kString, kDate, kTimestamp, kOther };
  Kind kind = Kind::kNone;
  bool adjusted_to_utc = true;        // kTimestamp
  TimeUnit unit = TimeUnit::kMicros;  // kTimestamp
};

struct SchemaElement {
  std::optional<PhysicalType> type;  // absent for groups
  int32_t type_length = 0;
  std::optional<Repetition> repetition;
  std::string name;
  int32_t num_children = 0;
  std::optional<int32_t> converted_type;
  LogicalType logical_type;
};

struct ColumnMetaData {
  PhysicalType type = PhysicalType::kBoolean;
  std::vector<Encoding> encodings;
  std::vector<std::string> path_in_schema;
  int32_t codec = 0;  // a Codec value; kept raw so unknown ones can be named
  int64_t num_values = 0;
  int64_t total_uncompressed_size = 0;
  int64_t total_compressed_size = 0;
  int64_t data_page_offset = 0;
  std::optional<int64_t> dictionary_page_offset;
};

struct ColumnChunk {
  int64_t file_offset = 0;
  std::optional<ColumnMetaData> meta_data;
};

struct RowGroup {
  std::vector<ColumnChunk> columns;
  int64_t total_byte_size = 0;
  int64_t num_rows = 0;
};

struct FileMetaData {
  int32_t version = 1;
  std::vector<SchemaElement> schema;  // depth-first; [0] is the root
  int64_t num_rows = 0;
  std::vector<RowGroup> row_groups;
  std::string created_by;
};

struct PageHeader {
  PageType type = PageType::kData;
  int32_t uncompressed_page_size = 0;
  int32_t compressed_page_size = 0;
  // DATA_PAGE, DATA_PAGE_V2 and DICTIONARY_PAGE.
  int32_t num_values = 0;
  Encoding encoding = Encoding::kPlain;
  // DATA_PAGE only.
  Encoding definition_level_encoding = Encoding::kRle;
  Encoding repetition_level_encoding = Encoding::kRle;
  // DATA_PAGE_V2 only.
  int32_t num_nulls = 0;
  int32_t num_rows = 0;
  int32_t definition_levels_byte_length = 0;
  int32_t repetition_levels_byte_length = 0;
  bool is_compressed = true;
};

// Thrift Compact Protocol. Errors of the parsers: DataLoss when the bytes
// end early or are malformed.
std::string SerializeFileMetaData(const FileMetaData& metadata);
StatusOr<FileMetaData> ParseFileMetaData(std::string_view bytes);
void AppendPageHeader(const PageHeader& header, std::string* out);
// Parses the header at the start of `bytes`; `*header_size` gets its length.
StatusOr<PageHeader> ParsePageHeader(std::string_view bytes, int64_t* header_size);

// RLE/bit-packed hybrid (Encodings.md) of values < 2^bit_width, without a
// length prefix, appended to `out`.
void AppendRleHybrid(const std::vector<uint32_t>& values, int bit_width, std::string* out);
// Decodes `count` values. Errors: DataLoss when `bytes` holds fewer.
Status DecodeRleHybrid(std::string_view bytes, int bit_width, int64_t count,
                       std::vector<uint32_t>* values);

// The smallest bit width that holds `max_value`.
int BitWidth(uint32_t max_value);

// "UNCOMPRESSED", "SNAPPY", ..., or "codec 42".
std::string CodecName(int32_t codec);
std::string EncodingName(Encoding encoding);
// Appends `data` compressed with `codec` (kUncompressed, kSnappy, kZstd).
Status Compress(Codec codec, std::string_view data, std::string* out);
// Errors: Unimplemented for a codec Keel does not read, DataLoss for corrupt
// data or a size other than `uncompressed_size`.
Status Decompress(int32_t codec, std::string_view data, int64_t uncompressed_size,
                  std::string* out);

}  // namespace keel::parquet

#endif  // KEEL_TABLE_PARQUET_FORMAT_H_
