#include "keel/table/parquet_reader.h"

#include <cstring>
#include <optional>

#include "keel/base/files.h"
#include "keel/table/parallel.h"
#include "keel/table/parquet_format.h"

namespace keel {
namespace {

using parquet::ColumnMetaData;
using parquet::Encoding;
using parquet::PageHeader;
using parquet::PageType;
using parquet::PhysicalType;

// How stored values become Keel values.
enum class Conversion { kNone, kDaysToMicros, kMillisToMicros, kNanosToMicros, kInt96ToMicros };

struct ColumnSpec {
  Field field;
  int leaf = 0;  // index of the column chunk in each row group
  PhysicalType physical = PhysicalType::kInt64;
  Conversion conversion = Conversion::kNone;
  Status unsupported;  // not OK when Keel cannot read the column
};

template <typename T>
T LoadLittleEndian(const char* p) {
  T value;
  std::memcpy(&value, p, sizeof(T));
  return value;
}

int64_t FloorDiv(int64_t a, int64_t b) { return a / b - ((a % b != 0) && ((a < 0) != (b < 0))); }

// DELTA_BINARY_PACKED (Encodings.md): `count` values into `out`.
Status DecodeDeltaBinaryPacked(std::string_view data, int64_t count, std::vector<int64_t>* out) {
  const auto corrupt = [] { return absl::DataLossError("corrupt DELTA_BINARY_PACKED values"); };
  const auto* p = reinterpret_cast<const uint8_t*>(data.data());
  const uint8_t* end = p + data.size();
  bool failed = false;
  const auto varint = [&]() -> uint64_t {
    uint64_t v = 0;
    for (int shift = 0; shift < 64 && p < end; shift += 7) {
      v |= static_cast<uint64_t>(*p & 0x7F) << shift;
      if ((*p++ & 0x80) == 0) return v;
    }
    failed = true;
    return 0;
  };
  const auto zigzag = [&] {
    uint64_t v = varint();
    return static_cast<uint64_t>(static_cast<int64_t>(v >> 1) ^ -static_cast<int64_t>(v & 1));
  };
  const uint64_t block_size = varint(), miniblocks = varint();
  const uint64_t total = varint();
  uint64_t value = zigzag();
  if (failed || miniblocks == 0 || block_size % miniblocks != 0 || block_size > (1u << 20) ||
      static_cast<int64_t>(total) < count || (block_size / miniblocks) % 8 != 0) {
    return corrupt();
  }
  const uint64_t per_miniblock = block_size / miniblocks;
  out->clear();
  if (count > 0) out->push_back(static_cast<int64_t>(value));
  while (static_cast<int64_t>(out->size()) < count) {
    const uint64_t min_delta = zigzag();
    if (failed || static_cast<uint64_t>(end - p) < miniblocks) return corrupt();
    const uint8_t* widths = p;
    p += miniblocks;
    for (uint64_t m = 0; m < miniblocks && static_cast<int64_t>(out->size()) < count; ++m) {
      const int width = widths[m];
      if (width > 64 || static_cast<uint64_t>(end - p) < per_miniblock * width / 8)
        return corrupt();
      const int64_t n = std::min<int64_t>(per_miniblock, count - static_cast<int64_t>(out->size()));
      for (int64_t k = 0; k < n; ++k) {
        uint64_t delta = 0;
        const uint64_t bit = k * width;
        for (int b = 0; b < width; ++b) {
          delta |= static_cast<uint64_t>((p[(bit + b) >> 3] >> ((bit + b) & 7)) & 1) << b;
        }
        value += min_delta + delta;  // wraps, as the encoder's arithmetic
        out->push_back(static_cast<int64_t>(value));
      }
      p += per_miniblock * width / 8;
    }
  }
  return absl::OkStatus();
}

ColumnSpec ResolveColumn(const parquet::SchemaElement& e) {
  ColumnSpec spec;
  spec.field.name = e.name;
  spec.field.nullable = e.repetition != parquet::Repetition::kRequired;
  const auto unsupported = [&](std::string what) {
    spec.unsupported = absl::UnimplementedError(absl::StrCat(
        "column '", e.name, "' ", what, "; Keel reads flat columns of BOOLEAN, INT32, ",
        "INT64, INT96, FLOAT, DOUBLE and BYTE_ARRAY"));
  };
  if (e.num_children > 0 || !e.type) {
    unsupported(absl::StrCat("is nested (a group of ", e.num_children,
                             " fields: a struct, list or map), which is not supported"));
    return spec;
  }
  if (e.repetition == parquet::Repetition::kRepeated) {
    unsupported("is repeated (a list), which is not supported");
    return spec;
  }
  spec.physical = *e.type;
  const auto& lt = e.logical_type;
  const int32_t converted = e.converted_type.value_or(-1);
  switch (*e.type) {
    case PhysicalType::kBoolean:
      spec.field.type = DataType::kBool;
      break;
    case PhysicalType::kInt32:
      spec.field.type = DataType::kInt64;
      if (lt.kind == parquet::LogicalType::Kind::kDate || converted == parquet::kConvertedDate) {
        spec.field.type = DataType::kTimestamp;
        spec.conversion = Conversion::kDaysToMicros;
      }
      break;
    case PhysicalType::kInt64:
      spec.field.type = DataType::kInt64;
      if (lt.kind == parquet::LogicalType::Kind::kTimestamp) {
        spec.field.type = DataType::kTimestamp;
        spec.conversion = lt.unit == parquet::TimeUnit::kMillis  ? Conversion::kMillisToMicros
                          : lt.unit == parquet::TimeUnit::kNanos ? Conversion::kNanosToMicros
                                                                 : Conversion::kNone;
      } else if (converted == parquet::kConvertedTimestampMicros) {
        spec.field.type = DataType::kTimestamp;
      } else if (converted == parquet::kConvertedTimestampMillis) {
        spec.field.type = DataType::kTimestamp;
        spec.conversion = Conversion::kMillisToMicros;
      }
      break;
    case PhysicalType::kInt96:
      spec.field.type = DataType::kTimestamp;
      spec.conversion = Conversion::kInt96ToMicros;
      break;
    case PhysicalType::kFloat:
    case PhysicalType::kDouble:
      spec.field.type = DataType::kFloat64;
      break;
    case PhysicalType::kByteArray:
      spec.field.type = DataType::kString;
      break;
    default:
      unsupported(
          absl::StrCat("has physical type ", static_cast<int>(*e.type),
                       " (FIXED_LEN_BYTE_ARRAY: decimal, UUID, ...), which is not supported"));
  }
  return spec;
}

// Decodes the pages of one column, row group after row group, into a builder.
// Strings decoded from a page point into `page_` or `dictionary_page_`.
class ColumnDecoder {
 public:
  explicit ColumnDecoder(const ColumnSpec& spec) : spec_(spec), builder_(spec.field.type) {}

  Status ReadChunk(std::string_view file, const ColumnMetaData& meta, int64_t rows);
  Column Finish() { return builder_.Finish(); }

 private:
  Status ReadDictionary(const PageHeader& header, std::string_view page);
  Status ReadDataPage(const PageHeader& header, std::string_view page, int32_t codec);
  Status DecodeValues(Encoding encoding, std::string_view data, int64_t count);
  Status DecodePlain(std::string_view data, int64_t count);
  void Append(int64_t count, const std::vector<uint32_t>* definition_levels);

  const ColumnSpec& spec_;
  ColumnBuilder builder_;
  std::string page_;
  std::string dictionary_page_;
  bool has_dictionary_ = false;
  std::vector<int64_t> ints_, dictionary_ints_;
  std::vector<double> doubles_, dictionary_doubles_;
  std::vector<std::string_view> strings_, dictionary_strings_;
  std::vector<uint32_t> levels_, indices_;
};

int64_t Convert(Conversion conversion, int64_t v) {
  switch (conversion) {
    case Conversion::kDaysToMicros:
      return v * 86'400'000'000;
    case Conversion::kMillisToMicros:
      return v * 1000;
    case Conversion::kNanosToMicros:
      return FloorDiv(v, 1000);
    default:
      return v;
  }
}

Status ColumnDecoder::DecodePlain(std::string_view data, int64_t count) {
  const auto truncated = [] { return absl::DataLossError("PLAIN values run past the page's end"); };
  const char* p = data.data();
  const char* end = p + data.size();
  ints_.clear();
  doubles_.clear();
  strings_.clear();
  switch (spec_.physical) {
    case PhysicalType::kBoolean:
      if ((count + 7) / 8 > end - p) return truncated();
      for (int64_t i = 0; i < count; ++i) ints_.push_back((p[i >> 3] >> (i & 7)) & 1);
      return absl::OkStatus();
    case PhysicalType::kInt32:
      if (count * 4 > end - p) return truncated();
      for (int64_t i = 0; i < count; ++i) {
        ints_.push_back(Convert(spec_.conversion, LoadLittleEndian<int32_t>(p + 4 * i)));
      }
      return absl::OkStatus();
    case PhysicalType::kInt64:
      if (count * 8 > end - p) return truncated();
      for (int64_t i = 0; i < count; ++i) {
        ints_.push_back(Convert(spec_.conversion, LoadLittleEndian<int64_t>(p + 8 * i)));
      }
      return absl::OkStatus();
    case PhysicalType::kInt96:
      if (count * 12 > end - p) return truncated();
      for (int64_t i = 0; i < count; ++i) {
        const int64_t nanos = LoadLittleEndian<int64_t>(p + 12 * i);
        const int64_t julian_day = LoadLittleEndian<int32_t>(p + 12 * i + 8);
        ints_.push_back((julian_day - 2'440'588) * 86'400'000'000 + FloorDiv(nanos, 1000));
      }
      return absl::OkStatus();
    case PhysicalType::kFloat:
      if (count * 4 > end - p) return truncated();
      for (int64_t i = 0; i < count; ++i) doubles_.push_back(LoadLittleEndian<float>(p + 4 * i));
      return absl::OkStatus();
    case PhysicalType::kDouble:
      if (count * 8 > end - p) return truncated();
      for (int64_t i = 0; i < count; ++i) doubles_.push_back(LoadLittleEndian<double>(p + 8 * i));
      return absl::OkStatus();
    case PhysicalType::kByteArray:
      for (int64_t i = 0; i < count; ++i) {
        if (end - p < 4) return truncated();
        const uint32_t n = LoadLittleEndian<uint32_t>(p);
        p += 4;
        if (n > static_cast<uint64_t>(end - p)) return truncated();
        strings_.emplace_back(p, n);
        p += n;
      }
      return absl::OkStatus();
    default:
      return absl::UnimplementedError("unsupported physical type");
  }
}

Status ColumnDecoder::DecodeValues(Encoding encoding, std::string_view data, int64_t count) {
  if (encoding == Encoding::kPlain) return DecodePlain(data, count);
  if (encoding == Encoding::kRle && spec_.physical == PhysicalType::kBoolean) {
    if (data.size() < 4) return absl::DataLossError("truncated RLE boolean values");
    const uint32_t n = LoadLittleEndian<uint32_t>(data.data());
    if (n > data.size() - 4) return absl::DataLossError("truncated RLE boolean values");
    KEEL_RETURN_IF_ERROR(parquet::DecodeRleHybrid(data.substr(4, n), 1, count, &indices_));
    ints_.assign(indices_.begin(), indices_.end());
    return absl::OkStatus();
  }
  const PhysicalType physical = spec_.physical;
  const bool int32 = physical == PhysicalType::kInt32;
  if (encoding == Encoding::kDeltaBinaryPacked && (int32 || physical == PhysicalType::kInt64)) {
    KEEL_RETURN_IF_ERROR(DecodeDeltaBinaryPacked(data, count, &ints_));
    for (int64_t& v : ints_) v = Convert(spec_.conversion, int32 ? static_cast<int32_t>(v) : v);
    return absl::OkStatus();
  }
  if (encoding == Encoding::kByteStreamSplit && physical != PhysicalType::kBoolean &&
      physical != PhysicalType::kByteArray && physical != PhysicalType::kInt96) {
    // Byte k of value i is at data[k * count + i]; regather, then decode as PLAIN.
    const int64_t width = int32 || physical == PhysicalType::kFloat ? 4 : 8;
    if (count * width > static_cast<int64_t>(data.size())) {
      return absl::DataLossError("truncated BYTE_STREAM_SPLIT values");
    }
    std::string plain(count * width, '\0');
    for (int64_t i = 0; i < count; ++i) {
      for (int64_t k = 0; k < width; ++k) plain[i * width + k] = data[k * count + i];
    }
    return DecodePlain(plain, count);
  }
  if (encoding != Encoding::kRleDictionary && encoding != Encoding::kPlainDictionary) {
    return absl::UnimplementedError(absl::StrCat(
        "encoding ", parquet::EncodingName(encoding),
        " is not supported (Keel reads PLAIN, PLAIN_DICTIONARY, RLE_DICTIONARY, RLE for booleans, ",
        "DELTA_BINARY_PACKED for integers and BYTE_STREAM_SPLIT for numbers)"));
  }
  if (!has_dictionary_) return absl::DataLossError("dictionary-encoded page without a dictionary");
  if (data.empty()) {
    if (count == 0) return absl::OkStatus();
    return absl::DataLossError("empty dictionary-encoded page");
  }
  KEEL_RETURN_IF_ERROR(
      parquet::DecodeRleHybrid(data.substr(1), static_cast<uint8_t>(data[0]), count, &indices_));
  const size_t size =
      std::max({dictionary_ints_.size(), dictionary_doubles_.size(), dictionary_strings_.size()});
  for (uint32_t index : indices_) {
    if (index >= size) return absl::DataLossError("dictionary index out of range");
  }
  ints_.clear();
  doubles_.clear();
  strings_.clear();
  for (uint32_t index : indices_) {
    switch (spec_.field.type) {
      case DataType::kFloat64:
        doubles_.push_back(dictionary_doubles_[index]);
        break;
      case DataType::kString:
        strings_.push_back(dictionary_strings_[index]);
        break;
      default:
        ints_.push_back(dictionary_ints_[index]);
    }
  }
  return absl::OkStatus();
}

Status ColumnDecoder::ReadDictionary(const PageHeader& header, std::string_view page) {
  if (header.encoding != Encoding::kPlain && header.encoding != Encoding::kPlainDictionary) {
    return absl::UnimplementedError(absl::StrCat(
        "dictionary page encoding ", parquet::EncodingName(header.encoding), " is not supported"));
  }
  dictionary_page_.swap(page_);  // `page` is page_'s contents
  KEEL_RETURN_IF_ERROR(DecodePlain(dictionary_page_, header.num_values));
  dictionary_ints_.swap(ints_);
  dictionary_doubles_.swap(doubles_);
  dictionary_strings_.swap(strings_);
  has_dictionary_ = true;
  (void)page;
  return absl::OkStatus();
}

void ColumnDecoder::Append(int64_t count, const std::vector<uint32_t>* levels) {
  builder_.Reserve(count);
  size_t next = 0;
  for (int64_t i = 0; i < count; ++i) {
    if (levels != nullptr && (*levels)[i] == 0) {
      builder_.AppendNull();
      continue;
    }
    switch (spec_.field.type) {
      case DataType::kBool:
        builder_.AppendBool(ints_[next++] != 0);
        break;
      case DataType::kInt64:
        builder_.AppendInt64(ints_[next++]);
        break;
      case DataType::kTimestamp:
        builder_.AppendTimestamp(ints_[next++]);
        break;
      case DataType::kFloat64:
        builder_.AppendFloat64(doubles_[next++]);
        break;
      case DataType::kString:
        builder_.AppendString(strings_[next++]);
        break;
    }
  }
}

Status ColumnDecoder::ReadDataPage(const PageHeader& header, std::string_view page, int32_t codec) {
  const int64_t count = header.num_values;
  const bool optional = spec_.field.nullable;
  std::string_view values;
  if (header.type == PageType::kData) {
    KEEL_RETURN_IF_ERROR(parquet::Decompress(codec, page, header.uncompressed_page_size, &page_));
    values = page_;
    if (optional) {
      if (header.definition_level_encoding != Encoding::kRle) {
        return absl::UnimplementedError(absl::StrCat(
            "definition levels in ", parquet::EncodingName(header.definition_level_encoding),
            " are not supported (only RLE)"));
      }
      if (values.size() < 4) return absl::DataLossError("truncated definition levels");
      const uint32_t n = LoadLittleEndian<uint32_t>(values.data());
      if (n > values.size() - 4) return absl::DataLossError("truncated definition levels");
      KEEL_RETURN_IF_ERROR(parquet::DecodeRleHybrid(values.substr(4, n), 1, count, &levels_));
      values.remove_prefix(4 + n);
    }
  } else {
    const int64_t levels_size =
        int64_t{header.repetition_levels_byte_length} + header.definition_levels_byte_length;
    if (header.repetition_levels_byte_length < 0 || header.definition_levels_byte_length < 0 ||
        levels_size > static_cast<int64_t>(page.size()) ||
        levels_size > header.uncompressed_page_size) {
      return absl::DataLossError("corrupt data page v2 level sizes");
    }
    if (optional) {
      KEEL_RETURN_IF_ERROR(parquet::DecodeRleHybrid(
          page.substr(header.repetition_levels_byte_length, header.definition_levels_byte_length),
          1, count, &levels_));
    }
    KEEL_RETURN_IF_ERROR(parquet::Decompress(header.is_compressed ? codec : 0,
                                             page.substr(levels_size),
                                             header.uncompressed_page_size - levels_size, &page_));
    values = page_;
  }
  int64_t present = count;
  if (optional) {
    present = 0;
    for (uint32_t level : levels_) present += level != 0;
  }
  KEEL_RETURN_IF_ERROR(DecodeValues(header.encoding, values, present));
  Append(count, optional ? &levels_ : nullptr);
  return absl::OkStatus();
}

Status ColumnDecoder::ReadChunk(std::string_view file, const ColumnMetaData& meta, int64_t rows) {
  int64_t start = meta.data_page_offset;
  if (meta.dictionary_page_offset && *meta.dictionary_page_offset > 0 &&
      *meta.dictionary_page_offset < start) {
    start = *meta.dictionary_page_offset;
  }
  const int64_t end = start + meta.total_compressed_size;
  if (start < 4 || meta.total_compressed_size < 0 || end > static_cast<int64_t>(file.size())) {
    return absl::DataLossError(absl::StrCat("column chunk [", start, ", ", end,
                                            ") lies outside the file (", file.size(),
                                            " bytes): truncated or corrupt"));
  }
  if (meta.num_values != rows) {
    return absl::DataLossError(
        absl::StrCat("column chunk holds ", meta.num_values, " values for ", rows, " rows"));
  }
  has_dictionary_ = false;
  int64_t read = 0;
  int64_t pos = start;
  while (read < rows) {
    if (pos >= end) {
      return absl::DataLossError(
          absl::StrCat("column chunk ends after ", read, " of ", rows, " values"));
    }
    int64_t header_size = 0;
    KEEL_ASSIGN_OR_RETURN(PageHeader header,
                          parquet::ParsePageHeader(file.substr(pos, end - pos), &header_size));
    pos += header_size;
    if (header.compressed_page_size > end - pos) {
      return absl::DataLossError(
          absl::StrCat("page at offset ", pos, " runs past its column chunk"));
    }
    std::string_view page = file.substr(pos, header.compressed_page_size);
    pos += header.compressed_page_size;
    if (header.num_values < 0 || header.num_values > rows - read) {
      return absl::DataLossError(absl::StrCat("page at offset ", pos, " has a bad value count"));
    }
    if (header.type == PageType::kDictionary) {
      KEEL_RETURN_IF_ERROR(
          parquet::Decompress(meta.codec, page, header.uncompressed_page_size, &page_));
      KEEL_RETURN_IF_ERROR(ReadDictionary(header, page_));
    } else if (header.type == PageType::kData || header.type == PageType::kDataV2) {
      KEEL_RETURN_IF_ERROR(ReadDataPage(header, page, meta.codec));
      read += header.num_values;
    }  // index pages are skipped
  }
  return absl::OkStatus();
}

}  // namespace

StatusOr<Table> DecodeParquet(std::string_view bytes, std::string_view name,
                              const ParquetReadOptions& options) {
  const std::string file_name(name);
  if (bytes.size() < 8 || bytes.substr(0, 4) != "PAR1") {
    return absl::InvalidArgumentError(absl::StrCat(
        file_name, ": not a Parquet file (it does not start with the magic bytes PAR1)"));
  }
  if (bytes.size() < 12 || bytes.substr(bytes.size() - 4) != "PAR1") {
    return absl::DataLossError(absl::StrCat(file_name, ": truncated Parquet file (", bytes.size(),
                                            " bytes; it does not end with PAR1)"));
  }
  const uint32_t footer_size = LoadLittleEndian<uint32_t>(bytes.data() + bytes.size() - 8);
  if (footer_size > bytes.size() - 12) {
    return absl::DataLossError(
        absl::StrCat(file_name, ": truncated or corrupt Parquet file (footer of ", footer_size,
                     " bytes in a file of ", bytes.size(), ")"));
  }
  auto metadata_or =
      parquet::ParseFileMetaData(bytes.substr(bytes.size() - 8 - footer_size, footer_size));
  if (!metadata_or.ok()) return Annotate(metadata_or.status(), file_name);
  const parquet::FileMetaData& metadata = *metadata_or;
  if (metadata.schema.empty())
    return absl::DataLossError(absl::StrCat(file_name, ": empty Parquet schema"));

  // Top-level columns; a nested one spans several schema elements and leaves.
  std::vector<ColumnSpec> all;
  int leaf = 0;
  for (size_t i = 1; i < metadata.schema.size();) {
    ColumnSpec spec = ResolveColumn(metadata.schema[i]);
    spec.leaf = leaf;
    for (int64_t open = 1; open > 0 && i < metadata.schema.size(); ++i) {
      open += metadata.schema[i].num_children - 1;
      if (metadata.schema[i].num_children == 0) ++leaf;
    }
    all.push_back(std::move(spec));
  }
  std::vector<Field> all_fields;
  for (const ColumnSpec& spec : all) all_fields.push_back(spec.field);
  auto all_schema = Schema::Make(all_fields);
  if (!all_schema.ok()) return Annotate(all_schema.status(), file_name);

  std::vector<const ColumnSpec*> selected;
  if (options.columns.empty()) {
    for (const ColumnSpec& spec : all) selected.push_back(&spec);
  } else {
    for (const std::string& column : options.columns) {
      auto index = all_schema->FindIndex(column);
      if (!index.ok()) return Annotate(index.status(), file_name);
      selected.push_back(&all[*index]);
    }
  }
  std::vector<Field> fields;
  for (const ColumnSpec* spec : selected) {
    if (!spec->unsupported.ok()) return Annotate(spec->unsupported, file_name);
    fields.push_back(spec->field);
  }
  for (const parquet::RowGroup& group : metadata.row_groups) {
    if (group.columns.size() != static_cast<size_t>(leaf)) {
      return absl::DataLossError(absl::StrCat(file_name, ": a row group has ", group.columns.size(),
                                              " column chunks for ", leaf, " columns"));
    }
  }

  std::vector<Status> statuses(selected.size());
  std::vector<Column> columns(selected.size());
  table_internal::Parallel parallel(options.threads);
  parallel.For(static_cast<int64_t>(selected.size()), [&](int64_t c) {
    const ColumnSpec& spec = *selected[c];
    ColumnDecoder decoder(spec);
    for (size_t g = 0; g < metadata.row_groups.size(); ++g) {
      const parquet::ColumnChunk& chunk = metadata.row_groups[g].columns[spec.leaf];
      Status status = chunk.meta_data ? decoder.ReadChunk(bytes, *chunk.meta_data,
                                                          metadata.row_groups[g].num_rows)
                                      : absl::UnimplementedError("column chunk in another file");
      if (!status.ok()) {
        statuses[c] = Annotate(
            status, absl::StrCat(file_name, ": column '", spec.field.name, "', row group ", g));
        return;
      }
    }
    columns[c] = decoder.Finish();
  });
  for (const Status& status : statuses) KEEL_RETURN_IF_ERROR(status);
  KEEL_ASSIGN_OR_RETURN(Schema schema, Schema::Make(std::move(fields)));
  auto table = Table::Make(std::move(schema), std::move(columns));
  if (!table.ok()) return Annotate(table.status(), file_name);
  return table;
}

StatusOr<Table> ReadParquet(const std::string& path, const ParquetReadOptions& options) {
  KEEL_ASSIGN_OR_RETURN(std::string bytes, ReadFile(path));
  return DecodeParquet(bytes, path, options);
}

}  // namespace keel
