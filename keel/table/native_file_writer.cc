// Encoding of Keel's native columnar file: chunks compressed in parallel,
// then header, chunks (column-major), footer and trailer back to back.
#include <xxhash.h>
#include <zlib.h>
#include <zstd.h>

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstring>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "keel/base/files.h"
#include "keel/table/native_file.h"
#include "keel/table/native_file_format.h"
#include "keel/table/parallel.h"

namespace keel {
namespace {

using native_internal::kFormatVersion;
using native_internal::kMagic;

void PutU8(std::string& out, uint8_t v) { out.push_back(static_cast<char>(v)); }
void PutU32(std::string& out, uint32_t v) {
  for (int i = 0; i < 4; ++i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xFF));
}
void PutU64(std::string& out, uint64_t v) {
  for (int i = 0; i < 8; ++i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xFF));
}
void PutI64(std::string& out, int64_t v) { PutU64(out, static_cast<uint64_t>(v)); }
void PutF64(std::string& out, double v) { PutU64(out, std::bit_cast<uint64_t>(v)); }
void PutBytes(std::string& out, std::string_view bytes) {
  PutU32(out, static_cast<uint32_t>(bytes.size()));
  out.append(bytes);
}

// Zero bytes for padding.
constexpr char kZeros[native_internal::kAlignment] = {};

// One column chunk and what the footer records about it. Its stored bytes
// are `pieces` back to back: views of the table's buffers where they can be
// written as they are, else of `owned` copies.
struct EncodedChunk {
  std::vector<std::string_view> pieces;
  std::vector<std::unique_ptr<std::string>> owned;  // stable addresses
  int64_t stored_bytes = 0;
  uint64_t checksum = 0;  // XXH3-64 of the stored bytes
  uint8_t codec = native_internal::kCodecZstd;
  int64_t null_count = 0;
  int64_t string_bytes = 0;
  // Min/max of the chunk's non-null values (NaN skipped).
  bool has_minmax = false;
  int64_t min_int = 0, max_int = 0;
  double min_double = 0, max_double = 0;
  std::string_view min_string, max_string;  // views into the table's buffers
  Status status;

  std::string& Own() { return *owned.emplace_back(std::make_unique<std::string>()); }
  void Add(std::string_view piece) {
    if (piece.empty()) return;
    pieces.push_back(piece);
    stored_bytes += static_cast<int64_t>(piece.size());
  }
  // Zero bytes up to the next multiple of kAlignment.
  void Pad() {
    const int64_t pad = native_internal::AlignUp(stored_bytes) - stored_bytes;
    Add(std::string_view(kZeros, static_cast<size_t>(pad)));
  }
};

// Appends one zstd frame holding `input` to `out`.
Status AppendFrame(ZSTD_CCtx* cctx, std::string_view input, std::string* out) {
  const size_t old_size = out->size();
  out->resize(old_size + ZSTD_compressBound(input.size()));
  const size_t n = ZSTD_compress2(cctx, out->data() + old_size, out->size() - old_size,
                                  input.data(), input.size());
  if (ZSTD_isError(n)) return absl::InternalError(absl::StrCat("zstd: ", ZSTD_getErrorName(n)));
  out->resize(old_size + n);
  return absl::OkStatus();
}

// Compresses each section as its own frame, back to back in `out`.
Status CompressSections(const std::vector<std::string_view>& sections, int level,
                        std::string* out) {
  // One context per thread, reset for every chunk (creating one costs more
  // than compressing a small chunk).
  thread_local std::unique_ptr<ZSTD_CCtx, size_t (*)(ZSTD_CCtx*)> cctx(ZSTD_createCCtx(),
                                                                       ZSTD_freeCCtx);
  if (cctx == nullptr) return absl::ResourceExhaustedError("cannot create a zstd context");
  ZSTD_CCtx_reset(cctx.get(), ZSTD_reset_session_and_parameters);
  ZSTD_CCtx_setParameter(cctx.get(), ZSTD_c_compressionLevel, level);
  ZSTD_CCtx_setParameter(cctx.get(), ZSTD_c_checksumFlag, 0);
  ZSTD_CCtx_setParameter(cctx.get(), ZSTD_c_contentSizeFlag, 1);
  for (std::string_view section : sections) {
    KEEL_RETURN_IF_ERROR(AppendFrame(cctx.get(), section, out));
  }
  return absl::OkStatus();
}

// Rows [begin, begin + rows) of `column` as one chunk: the validity bitmap
// (only when the chunk has nulls), the values and, for strings, their bytes;
// zstd frames, or plain aligned sections (native_internal::PlainChunkLayout).
// Strings store their lengths when compressed (they compress better) and
// their offsets from 0 when plain (usable in place). Values under nulls are
// written as 0 (strings as ""), so equal tables give equal bytes.
EncodedChunk EncodeChunk(const Column& column, int64_t begin, int64_t rows,
                         const NativeWriteOptions& options) {
  EncodedChunk chunk;
  const bool plain = options.compression == NativeCompression::kNone;
  chunk.codec = plain ? native_internal::kCodecNone : native_internal::kCodecZstd;
  const DataType type = column.type();
  const int64_t width = native_internal::ValueWidth(type);
  const uint8_t* bitmap = column.validity_bitmap();
  const int64_t bit0 = column.offset() + begin;
  if (bitmap != nullptr) chunk.null_count = rows - bits::CountSet(bitmap, bit0, rows);
  const bool has_nulls = chunk.null_count > 0;
  auto valid = [&](int64_t i) { return !has_nulls || bits::Get(bitmap, bit0 + i); };

  std::vector<std::string_view> sections;
  if (has_nulls) {
    std::string& validity = chunk.Own();
    validity.assign(static_cast<size_t>(bits::BytesForBits(rows)), '\0');
    bits::Copy(bitmap, bit0, reinterpret_cast<uint8_t*>(validity.data()), 0, rows);
    sections.push_back(validity);
  }

  // Views the column's values of the chunk, or a copy with nulls zeroed.
  auto values_piece = [&](const void* data) -> std::string_view {
    std::string_view raw(static_cast<const char*>(data) + begin * width,
                         static_cast<size_t>(rows * width));
    if (!has_nulls) return raw;
    std::string& values = chunk.Own();
    values.assign(raw);
    for (int64_t i = 0; i < rows; ++i) {
      if (!valid(i)) std::memset(values.data() + i * width, 0, static_cast<size_t>(width));
    }
    return values;
  };

  switch (type) {
    case DataType::kBool:
    case DataType::kInt64:
    case DataType::kTimestamp: {
      const void* data = type == DataType::kBool
                             ? static_cast<const void*>(column.BoolValues().data())
                         : type == DataType::kInt64 ? column.Int64Values().data()
                                                    : column.TimestampValues().data();
      sections.push_back(values_piece(data));
      for (int64_t i = 0; i < rows; ++i) {
        if (!valid(i)) continue;
        const int64_t v = type == DataType::kBool ? int64_t{column.BoolValues()[begin + i] != 0}
                                                  : static_cast<const int64_t*>(data)[begin + i];
        if (!chunk.has_minmax) {
          chunk.min_int = chunk.max_int = v;
          chunk.has_minmax = true;
        } else {
          chunk.min_int = std::min(chunk.min_int, v);
          chunk.max_int = std::max(chunk.max_int, v);
        }
      }
      break;
    }
    case DataType::kFloat64: {
      const double* data = column.Float64Values().data();
      sections.push_back(values_piece(data));
      for (int64_t i = 0; i < rows; ++i) {
        const double v = data[begin + i];
        if (!valid(i) || std::isnan(v)) continue;
        if (!chunk.has_minmax) {
          chunk.min_double = chunk.max_double = v;
          chunk.has_minmax = true;
        } else {
          chunk.min_double = std::min(chunk.min_double, v);
          chunk.max_double = std::max(chunk.max_double, v);
        }
      }
      break;
    }
    case DataType::kString: {
      const int64_t* offsets = column.StringOffsets().data() + begin;
      const char* data = column.StringData().data();
      bool contiguous = true;  // no bytes under nulls: the data can be viewed
      for (int64_t i = 0; i < rows; ++i) {
        const int64_t length = offsets[i + 1] - offsets[i];
        if (!valid(i)) {
          contiguous = contiguous && length == 0;
          continue;
        }
        chunk.string_bytes += length;
        const std::string_view v(data + offsets[i], static_cast<size_t>(length));
        if (!chunk.has_minmax) {
          chunk.min_string = chunk.max_string = v;
          chunk.has_minmax = true;
        } else {
          chunk.min_string = std::min(chunk.min_string, v);
          chunk.max_string = std::max(chunk.max_string, v);
        }
      }
      if (plain && contiguous && offsets[0] == 0) {
        // The column's own offsets, as they are.
        sections.emplace_back(reinterpret_cast<const char*>(offsets),
                              static_cast<size_t>((rows + 1) * 8));
      } else {
        // Lengths (zstd) or offsets from 0 (plain), nulls as empty.
        std::string& values = chunk.Own();
        values.resize(static_cast<size_t>((rows + (plain ? 1 : 0)) * 8));
        int64_t* out = reinterpret_cast<int64_t*>(values.data());
        int64_t end = 0;
        if (plain) *out++ = 0;
        for (int64_t i = 0; i < rows; ++i) {
          const int64_t length = valid(i) ? offsets[i + 1] - offsets[i] : 0;
          end += length;
          out[i] = plain ? end : length;
        }
        sections.push_back(values);
      }
      if (contiguous) {
        sections.emplace_back(data + offsets[0], static_cast<size_t>(offsets[rows] - offsets[0]));
      } else {
        std::string& strings = chunk.Own();
        strings.reserve(static_cast<size_t>(chunk.string_bytes));
        for (int64_t i = 0; i < rows; ++i) {
          if (valid(i)) {
            strings.append(data + offsets[i], static_cast<size_t>(offsets[i + 1] - offsets[i]));
          }
        }
        sections.push_back(strings);
      }
      break;
    }
  }
  if (plain) {
    // Every section starts aligned (an empty string section still has its
    // place, so the layout depends only on the footer's counts).
    for (std::string_view section : sections) {
      chunk.Add(section);
      chunk.Pad();
    }
  } else {
    std::string& compressed = chunk.Own();
    chunk.status = CompressSections(sections, options.zstd_level, &compressed);
    chunk.Add(compressed);
    chunk.Pad();
  }
  XXH3_state_t* state = XXH3_createState();
  XXH3_64bits_reset(state);
  for (std::string_view piece : chunk.pieces) XXH3_64bits_update(state, piece.data(), piece.size());
  chunk.checksum = XXH3_64bits_digest(state);
  XXH3_freeState(state);
  return chunk;
}

// At most kMaxStatisticsStringBytes of `max`, rounded up so that it stays an
// upper bound: the prefix with its last byte below 0xFF incremented (bytes
// after it dropped). Kept whole when no such prefix exists.
std::string TruncatedMax(std::string_view max) {
  if (max.size() <= native_internal::kMaxStatisticsStringBytes) return std::string(max);
  std::string prefix(max.substr(0, native_internal::kMaxStatisticsStringBytes));
  while (!prefix.empty() && static_cast<uint8_t>(prefix.back()) == 0xFF) prefix.pop_back();
  if (prefix.empty()) return std::string(max);
  prefix.back() = static_cast<char>(static_cast<uint8_t>(prefix.back()) + 1);
  return prefix;
}

// The file in pieces: header, chunks in file order, footer with trailer.
struct EncodedFile {
  std::string header;
  std::vector<EncodedChunk> chunks;  // column-major: chunks[c * groups + g]
  std::string tail;
};

Status Encode(const Table& table, const NativeWriteOptions& options, EncodedFile* file) {
  if (options.row_group_rows < 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("native file: row_group_rows must be at least 1 (or 0 for the default), got ",
                     options.row_group_rows));
  }
  if (options.zstd_level < ZSTD_minCLevel() || options.zstd_level > ZSTD_maxCLevel()) {
    return absl::InvalidArgumentError(absl::StrCat("native file: zstd_level must be in [",
                                                   ZSTD_minCLevel(), ", ", ZSTD_maxCLevel(),
                                                   "], got ", options.zstd_level));
  }
  if (options.compression != NativeCompression::kZstd &&
      options.compression != NativeCompression::kNone) {
    return absl::InvalidArgumentError("native file: unknown compression");
  }
  if (options.num_threads < 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("native file: num_threads must be >= 0, got ", options.num_threads));
  }
  const Schema& schema = table.schema();
  const int num_columns = table.num_columns();
  const int64_t num_rows = table.num_rows();
  // By default plain files keep each column in one chunk (usable in place).
  const int64_t rgr = options.row_group_rows > 0 ? options.row_group_rows
                      : options.compression == NativeCompression::kNone
                          ? std::max<int64_t>(num_rows, 1)
                          : int64_t{1} << 20;
  const int64_t groups = (num_rows + rgr - 1) / rgr;

  file->chunks.resize(static_cast<size_t>(num_columns * groups));
  table_internal::Parallel parallel(options.num_threads);
  parallel.For(static_cast<int64_t>(file->chunks.size()), [&](int64_t i) {
    const int c = static_cast<int>(i / groups);
    const int64_t g = i % groups;
    const int64_t begin = g * rgr;
    file->chunks[i] = EncodeChunk(table.column(c), begin, std::min(rgr, num_rows - begin), options);
  });
  for (int64_t i = 0; i < static_cast<int64_t>(file->chunks.size()); ++i) {
    const Status& status = file->chunks[i].status;
    if (!status.ok()) {
      return Annotate(status, absl::StrCat("native file: column '",
                                           schema.field(static_cast<int>(i / groups)).name, "'"));
    }
  }

  // The header, padded so that the first chunk starts aligned.
  file->header.append(kMagic);
  PutU32(file->header, kFormatVersion);
  file->header.resize(static_cast<size_t>(native_internal::AlignUp(native_internal::kHeaderBytes)),
                      '\0');

  std::string& footer = file->tail;
  PutU32(footer, static_cast<uint32_t>(num_columns));
  for (const Field& field : schema.fields()) {
    PutBytes(footer, field.name);
    PutU8(footer, native_internal::TypeCode(field.type));
    PutU8(footer, field.nullable ? 1 : 0);
  }
  PutI64(footer, num_rows);
  PutI64(footer, rgr);
  uint64_t offset = file->header.size();
  for (const EncodedChunk& chunk : file->chunks) {
    PutU64(footer, offset);
    PutU64(footer, chunk.stored_bytes);
    PutU64(footer, chunk.checksum);
    PutI64(footer, chunk.null_count);
    PutI64(footer, chunk.string_bytes);
    PutU8(footer, chunk.codec);
    offset += chunk.stored_bytes;
  }
  for (int c = 0; c < num_columns; ++c) {
    const EncodedChunk* first = file->chunks.data() + c * groups;
    ColumnStatistics stats;
    const EncodedChunk* best_min = nullptr;
    const EncodedChunk* best_max = nullptr;
    for (int64_t g = 0; g < groups; ++g) {
      const EncodedChunk& chunk = first[g];
      stats.null_count += chunk.null_count;
      if (!chunk.has_minmax) continue;
      switch (schema.field(c).type) {
        case DataType::kFloat64:
          if (best_min == nullptr || chunk.min_double < best_min->min_double) best_min = &chunk;
          if (best_max == nullptr || chunk.max_double > best_max->max_double) best_max = &chunk;
          break;
        case DataType::kString:
          if (best_min == nullptr || chunk.min_string < best_min->min_string) best_min = &chunk;
          if (best_max == nullptr || chunk.max_string > best_max->max_string) best_max = &chunk;
          break;
        default:
          if (best_min == nullptr || chunk.min_int < best_min->min_int) best_min = &chunk;
          if (best_max == nullptr || chunk.max_int > best_max->max_int) best_max = &chunk;
          break;
      }
    }
    PutI64(footer, stats.null_count);
    PutI64(footer, num_rows - stats.null_count);
    if (best_min == nullptr) {
      PutU8(footer, native_internal::kStatsNone);
    } else if (schema.field(c).type == DataType::kFloat64) {
      PutU8(footer, native_internal::kStatsDouble);
      PutF64(footer, best_min->min_double);
      PutF64(footer, best_max->max_double);
    } else if (schema.field(c).type == DataType::kString) {
      PutU8(footer, native_internal::kStatsString);
      PutBytes(footer, best_min->min_string.substr(0, native_internal::kMaxStatisticsStringBytes));
      PutBytes(footer, TruncatedMax(best_max->max_string));
    } else {
      PutU8(footer, native_internal::kStatsInt);
      PutI64(footer, best_min->min_int);
      PutI64(footer, best_max->max_int);
    }
  }
  const uint64_t footer_bytes = footer.size();
  const uint32_t footer_crc = static_cast<uint32_t>(
      crc32_z(0, reinterpret_cast<const Bytef*>(footer.data()), footer.size()));
  PutU64(footer, footer_bytes);
  PutU32(footer, footer_crc);
  PutU32(footer, kFormatVersion);
  footer.append(kMagic);
  return absl::OkStatus();
}

}  // namespace

StatusOr<NativeCompression> ParseNativeCompression(std::string_view name) {
  if (name == "zstd") return NativeCompression::kZstd;
  if (name == "none") return NativeCompression::kNone;
  return absl::InvalidArgumentError(
      absl::StrCat("unknown native file compression '", std::string(name), "': use zstd or none"));
}

const char* NativeCompressionName(NativeCompression compression) {
  return compression == NativeCompression::kNone ? "none" : "zstd";
}

Status EncodeNativeFileTo(const Table& table, const NativeWriteOptions& options,
                          const std::function<Status(std::string_view)>& sink) {
  EncodedFile file;
  KEEL_RETURN_IF_ERROR(Encode(table, options, &file));
  KEEL_RETURN_IF_ERROR(sink(file.header));
  for (EncodedChunk& chunk : file.chunks) {
    for (std::string_view piece : chunk.pieces) KEEL_RETURN_IF_ERROR(sink(piece));
    chunk.owned.clear();  // copies and compressed bytes go as soon as written
  }
  return sink(file.tail);
}

StatusOr<std::string> EncodeNativeFile(const Table& table, const NativeWriteOptions& options) {
  std::string out;
  KEEL_RETURN_IF_ERROR(EncodeNativeFileTo(table, options, [&](std::string_view bytes) {
    out.append(bytes);
    return absl::OkStatus();
  }));
  return out;
}

Status WriteNativeFile(const Table& table, const std::string& path,
                       const NativeWriteOptions& options) {
  KEEL_ASSIGN_OR_RETURN(AtomicFileWriter writer, AtomicFileWriter::Create(path));
  KEEL_RETURN_IF_ERROR(
      Annotate(EncodeNativeFileTo(table, options,
                                  [&](std::string_view bytes) { return writer.Append(bytes); }),
               path));
  return writer.Commit();
}

}  // namespace keel
