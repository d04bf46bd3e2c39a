#include "keel/table/parquet_writer.h"

#include <cstring>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "keel/base/files.h"
#include "keel/table/parquet_format.h"

namespace keel {
namespace {

using parquet::Codec;
using parquet::ColumnChunk;
using parquet::ColumnMetaData;
using parquet::Encoding;
using parquet::PageHeader;
using parquet::PageType;
using parquet::PhysicalType;

template <typename T>
void AppendLittleEndian(T value, std::string* out) {
  char bytes[sizeof(T)];
  std::memcpy(bytes, &value, sizeof(T));  // Parquet and x86-64/arm64 are little-endian
  out->append(bytes, sizeof(T));
}

PhysicalType PhysicalTypeOf(DataType type) {
  switch (type) {
    case DataType::kBool:
      return PhysicalType::kBoolean;
    case DataType::kFloat64:
      return PhysicalType::kDouble;
    case DataType::kString:
      return PhysicalType::kByteArray;
    case DataType::kInt64:
    case DataType::kTimestamp:
      break;
  }
  return PhysicalType::kInt64;
}

parquet::SchemaElement SchemaElementOf(const Field& field) {
  parquet::SchemaElement e;
  e.name = field.name;
  e.type = PhysicalTypeOf(field.type);
  e.repetition = field.nullable ? parquet::Repetition::kOptional : parquet::Repetition::kRequired;
  if (field.type == DataType::kString) {
    e.converted_type = parquet::kConvertedUtf8;
    e.logical_type.kind = parquet::LogicalType::Kind::kString;
  } else if (field.type == DataType::kTimestamp) {
    e.converted_type = parquet::kConvertedTimestampMicros;
    e.logical_type.kind = parquet::LogicalType::Kind::kTimestamp;
  }
  return e;
}

// PLAIN bytes of the non-null values among rows [begin, end) of `column`.
void AppendPlainValues(const Column& column, int64_t begin, int64_t end, std::string* out) {
  if (column.type() == DataType::kBool) {
    auto values = column.BoolValues();
    uint8_t byte = 0;
    int bit = 0;
    for (int64_t i = begin; i < end; ++i) {
      if (column.IsNull(i)) continue;
      if (values[i]) byte |= uint8_t(1u << bit);
      if (++bit == 8) out->push_back(static_cast<char>(byte)), byte = 0, bit = 0;
    }
    if (bit != 0) out->push_back(static_cast<char>(byte));
    return;
  }
  for (int64_t i = begin; i < end; ++i) {
    if (column.IsNull(i)) continue;
    switch (column.type()) {
      case DataType::kInt64:
        AppendLittleEndian(column.Int64Values()[i], out);
        break;
      case DataType::kTimestamp:
        AppendLittleEndian(column.TimestampValues()[i], out);
        break;
      case DataType::kFloat64:
        AppendLittleEndian(column.Float64Values()[i], out);
        break;
      case DataType::kString: {
        std::string_view s = column.StringAt(i);
        AppendLittleEndian(static_cast<uint32_t>(s.size()), out);
        out->append(s);
        break;
      }
      case DataType::kBool:
        break;
    }
  }
}

// Dictionary of one column chunk: `first_rows[k]` is a row holding entry k,
// `indices` the entry of each non-null row in order. False when the column
// is not worth (or cannot be) dictionary-encoded.
bool BuildDictionary(const Column& column, const ParquetWriteOptions& options,
                     std::vector<int64_t>* first_rows, std::vector<uint32_t>* indices) {
  if (column.type() == DataType::kBool) return false;
  constexpr size_t kMaxEntries = 1 << 20;
  int64_t bytes = 0;
  auto add = [&](auto& map, auto key, int64_t row, int64_t size) {
    auto [it, inserted] = map.try_emplace(key, static_cast<uint32_t>(first_rows->size()));
    if (inserted) first_rows->push_back(row), bytes += size;
    indices->push_back(it->second);
    return bytes <= options.dictionary_max_bytes && first_rows->size() <= kMaxEntries;
  };
  absl::flat_hash_map<int64_t, uint32_t> numbers;
  absl::flat_hash_map<std::string_view, uint32_t> strings;
  for (int64_t i = 0; i < column.length(); ++i) {
    if (column.IsNull(i)) continue;
    bool ok;
    switch (column.type()) {
      case DataType::kString: {
        std::string_view s = column.StringAt(i);
        ok = add(strings, s, i, 4 + static_cast<int64_t>(s.size()));
        break;
      }
      case DataType::kFloat64: {
        int64_t bits;
        double v = column.Float64Values()[i];
        std::memcpy(&bits, &v, 8);
        ok = add(numbers, bits, i, 8);
        break;
      }
      default:
        ok = add(numbers,
                 column.type() == DataType::kTimestamp ? column.TimestampValues()[i]
                                                       : column.Int64Values()[i],
                 i, 8);
    }
    if (!ok) return false;
  }
  return true;
}

Codec CodecOf(ParquetCompression compression) {
  switch (compression) {
    case ParquetCompression::kNone:
      return Codec::kUncompressed;
    case ParquetCompression::kZstd:
      return Codec::kZstd;
    case ParquetCompression::kSnappy:
      break;
  }
  return Codec::kSnappy;
}

// Appends a page (header and compressed body) to `file`.
Status AppendPage(PageHeader header, std::string_view body, Codec codec, std::string* file,
                  int64_t* uncompressed_total) {
  std::string compressed;
  KEEL_RETURN_IF_ERROR(parquet::Compress(codec, body, &compressed));
  header.uncompressed_page_size = static_cast<int32_t>(body.size());
  header.compressed_page_size = static_cast<int32_t>(compressed.size());
  const size_t header_start = file->size();
  parquet::AppendPageHeader(header, file);
  *uncompressed_total += static_cast<int64_t>(file->size() - header_start) + body.size();
  file->append(compressed);
  return absl::OkStatus();
}

// Writes one column chunk (rows of one row group) at the end of `file`.
Status WriteColumnChunk(const Column& column, const Field& field,
                        const ParquetWriteOptions& options, std::string* file, ColumnChunk* chunk) {
  const Codec codec = CodecOf(options.compression);
  ColumnMetaData meta;
  meta.type = PhysicalTypeOf(field.type);
  meta.path_in_schema = {field.name};
  meta.codec = static_cast<int32_t>(codec);
  meta.num_values = column.length();
  const int64_t chunk_start = static_cast<int64_t>(file->size());
  int64_t uncompressed = 0;

  std::vector<int64_t> dictionary_rows;
  std::vector<uint32_t> indices;
  const bool use_dictionary =
      options.dictionary && BuildDictionary(column, options, &dictionary_rows, &indices);
  int bit_width = 0;
  if (use_dictionary) {
    std::string body;
    for (int64_t row : dictionary_rows) AppendPlainValues(column, row, row + 1, &body);
    PageHeader header;
    header.type = PageType::kDictionary;
    header.num_values = static_cast<int32_t>(dictionary_rows.size());
    header.encoding = Encoding::kPlain;
    meta.dictionary_page_offset = chunk_start;
    KEEL_RETURN_IF_ERROR(AppendPage(header, body, codec, file, &uncompressed));
    bit_width = std::max(1, parquet::BitWidth(static_cast<uint32_t>(dictionary_rows.size() - 1)));
    meta.encodings = {Encoding::kPlain, Encoding::kRle, Encoding::kRleDictionary};
  } else {
    meta.encodings = {Encoding::kPlain, Encoding::kRle};
  }
  meta.data_page_offset = static_cast<int64_t>(file->size());

  // Estimated bytes per value, for cutting pages.
  const int64_t fixed_width = use_dictionary                  ? (bit_width + 7) / 8
                              : field.type == DataType::kBool ? 1
                                                              : 8;
  int64_t next_index = 0;  // into `indices`
  int64_t row = 0;
  do {
    const int64_t begin = row;
    int64_t bytes = 0;
    while (row < column.length() && (bytes < options.page_size || row == begin)) {
      bytes += field.type == DataType::kString && !use_dictionary
                   ? 4 + static_cast<int64_t>(column.StringAt(row).size())
                   : fixed_width;
      ++row;
    }
    std::string body;
    if (field.nullable) {
      std::vector<uint32_t> levels(row - begin);
      for (int64_t i = begin; i < row; ++i) levels[i - begin] = column.IsValid(i) ? 1 : 0;
      std::string encoded;
      parquet::AppendRleHybrid(levels, 1, &encoded);
      AppendLittleEndian(static_cast<uint32_t>(encoded.size()), &body);
      body.append(encoded);
    }
    PageHeader header;
    header.type = PageType::kData;
    header.num_values = static_cast<int32_t>(row - begin);
    if (use_dictionary) {
      int64_t count = 0;
      for (int64_t i = begin; i < row; ++i) count += column.IsValid(i) ? 1 : 0;
      std::vector<uint32_t> page_indices(indices.begin() + next_index,
                                         indices.begin() + next_index + count);
      next_index += count;
      body.push_back(static_cast<char>(bit_width));
      parquet::AppendRleHybrid(page_indices, bit_width, &body);
      header.encoding = Encoding::kRleDictionary;
    } else {
      AppendPlainValues(column, begin, row, &body);
      header.encoding = Encoding::kPlain;
    }
    KEEL_RETURN_IF_ERROR(AppendPage(header, body, codec, file, &uncompressed));
  } while (row < column.length());

  meta.total_compressed_size = static_cast<int64_t>(file->size()) - chunk_start;
  meta.total_uncompressed_size = uncompressed;
  chunk->file_offset = chunk_start;
  chunk->meta_data = std::move(meta);
  return absl::OkStatus();
}

}  // namespace

StatusOr<std::string> EncodeParquet(const Table& table, const ParquetWriteOptions& options) {
  if (options.row_group_rows <= 0 || options.page_size <= 0) {
    return absl::InvalidArgumentError(absl::StrCat("Parquet write options: row_group_rows (",
                                                   options.row_group_rows, ") and page_size (",
                                                   options.page_size, ") must be positive"));
  }
  parquet::FileMetaData metadata;
  metadata.created_by = "keel";
  metadata.num_rows = table.num_rows();
  parquet::SchemaElement root;
  root.name = "schema";
  root.num_children = table.num_columns();
  metadata.schema.push_back(root);
  for (const Field& field : table.schema().fields())
    metadata.schema.push_back(SchemaElementOf(field));

  std::string file = "PAR1";
  for (int64_t start = 0; start < table.num_rows(); start += options.row_group_rows) {
    Table rows = table.Slice(start, options.row_group_rows);
    parquet::RowGroup group;
    group.num_rows = rows.num_rows();
    for (int c = 0; c < rows.num_columns(); ++c) {
      ColumnChunk chunk;
      KEEL_RETURN_IF_ERROR(
          WriteColumnChunk(rows.column(c), rows.schema().field(c), options, &file, &chunk));
      group.total_byte_size += chunk.meta_data->total_uncompressed_size;
      group.columns.push_back(std::move(chunk));
    }
    metadata.row_groups.push_back(std::move(group));
  }
  std::string footer = parquet::SerializeFileMetaData(metadata);
  file.append(footer);
  AppendLittleEndian(static_cast<uint32_t>(footer.size()), &file);
  file.append("PAR1");
  return file;
}

Status WriteParquet(const Table& table, const std::string& path,
                    const ParquetWriteOptions& options) {
  KEEL_ASSIGN_OR_RETURN(std::string bytes, EncodeParquet(table, options));
  KEEL_ASSIGN_OR_RETURN(AtomicFileWriter writer, AtomicFileWriter::Create(path));
  KEEL_RETURN_IF_ERROR(writer.Append(bytes));
  return writer.Commit();
}

}  // namespace keel
