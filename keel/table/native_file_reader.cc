// Decoding of Keel's native columnar file: the footer on Open, then only the
// chunks asked for, fetched as merged byte ranges and decompressed in
// parallel straight into the columns' buffers.
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <xxhash.h>
#include <zlib.h>
#include <zstd.h>

#include <algorithm>
#include <bit>
#include <cerrno>
#include <cstring>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "keel/base/files.h"
#include "keel/storage/object_store.h"
#include "keel/table/native_file.h"
#include "keel/table/native_file_format.h"
#include "keel/table/parallel.h"

namespace keel {
namespace {

using native_internal::kCodecNone;
using native_internal::kCodecZstd;
using native_internal::kFormatVersion;
using native_internal::kHeaderBytes;
using native_internal::kMagic;
using native_internal::kOldestReadableVersion;
using native_internal::kTrailerBytes;

// The tail read on Open; a footer that fits needs no second request.
constexpr int64_t kSpeculativeTailBytes = 64 << 10;
// A bound on row and byte counts read from a footer, so that sums and
// buffer sizes computed from them cannot overflow.
constexpr int64_t kMaxCount = int64_t{1} << 48;
// Bytes per chunk entry in the footer, by format version.
constexpr int64_t kChunkEntryBytesV1 = 8 + 8 + 4 + 8 + 8;
constexpr int64_t kChunkEntryBytesV2 = 8 + 8 + 8 + 8 + 8 + 1;

uint32_t LoadU32(const char* p) {
  uint32_t v = 0;
  for (int i = 0; i < 4; ++i) v |= uint32_t{static_cast<uint8_t>(p[i])} << (8 * i);
  return v;
}
uint64_t LoadU64(const char* p) {
  uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v |= uint64_t{static_cast<uint8_t>(p[i])} << (8 * i);
  return v;
}

// Little-endian fields of the footer; reading past the end sets !ok().
class FooterParser {
 public:
  explicit FooterParser(std::string_view bytes) : bytes_(bytes) {}
  bool ok() const { return ok_; }
  int64_t remaining() const { return static_cast<int64_t>(bytes_.size() - pos_); }
  uint8_t U8() { return Take(1) ? static_cast<uint8_t>(bytes_[pos_ - 1]) : 0; }
  uint32_t U32() { return Take(4) ? LoadU32(bytes_.data() + pos_ - 4) : 0; }
  uint64_t U64() { return Take(8) ? LoadU64(bytes_.data() + pos_ - 8) : 0; }
  int64_t I64() { return static_cast<int64_t>(U64()); }
  double F64() { return std::bit_cast<double>(U64()); }
  std::string Bytes() {
    const uint32_t n = U32();
    if (!Take(n)) return "";
    return std::string(bytes_.substr(pos_ - n, n));
  }

 private:
  bool Take(size_t n) {
    if (!ok_ || bytes_.size() - pos_ < n) {
      ok_ = false;
      return false;
    }
    pos_ += n;
    return true;
  }
  std::string_view bytes_;
  size_t pos_ = 0;
  bool ok_ = true;
};

// Byte ranges of one file. Thread-safe.
class RangeSource {
 public:
  virtual ~RangeSource() = default;
  virtual int64_t size() const = 0;
  // Exactly `length` bytes at `offset` into `dest`; fewer is DataLoss.
  virtual Status Read(int64_t offset, int64_t length, uint8_t* dest) const = 0;
  // The same bytes as a buffer that may be shared (a view of a memory map)
  // rather than copied. Aligned at least as `offset` is modulo 16.
  virtual StatusOr<std::shared_ptr<const Buffer>> ReadShared(int64_t offset, int64_t length) const {
    std::shared_ptr<Buffer> bytes = Buffer::Allocate(length);
    KEEL_RETURN_IF_ERROR(Read(offset, length, bytes->mutable_data()));
    return std::shared_ptr<const Buffer>(std::move(bytes));
  }
};

// A whole file mapped read-only; unmapped when the last view goes.
class FileMapping {
 public:
  FileMapping(const uint8_t* data, int64_t size) : data_(data), size_(size) {}
  ~FileMapping() { ::munmap(const_cast<uint8_t*>(data_), static_cast<size_t>(size_)); }
  FileMapping(const FileMapping&) = delete;
  FileMapping& operator=(const FileMapping&) = delete;
  const uint8_t* data() const { return data_; }

 private:
  const uint8_t* data_;
  int64_t size_;
};

class LocalSource : public RangeSource {
 public:
  static StatusOr<std::unique_ptr<LocalSource>> Open(const std::string& path) {
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return ErrnoToStatus(errno, path);
    auto source = std::unique_ptr<LocalSource>(new LocalSource(fd, path));
    struct stat st;
    if (::fstat(fd, &st) != 0) return ErrnoToStatus(errno, path);
    if (S_ISDIR(st.st_mode)) {
      return absl::InvalidArgumentError(absl::StrCat(path, ": is a folder, not a native file"));
    }
    source->size_ = st.st_size;
    if (source->size_ > 0) {
      void* data =
          ::mmap(nullptr, static_cast<size_t>(source->size_), PROT_READ, MAP_SHARED, fd, 0);
      if (data == MAP_FAILED) return ErrnoToStatus(errno, path);
      source->mapping_ =
          std::make_shared<const FileMapping>(static_cast<const uint8_t*>(data), source->size_);
    }
    return source;
  }
  ~LocalSource() override { ::close(fd_); }
  // A view of the mapping: no copy (pages come from the page cache when
  // first touched).
  StatusOr<std::shared_ptr<const Buffer>> ReadShared(int64_t offset,
                                                     int64_t length) const override {
    if (offset < 0 || length < 0 || offset > size_ - length) {
      return absl::DataLossError(absl::StrCat(path_, ": bytes ", offset, "..", offset + length,
                                              " are past the end (", size_, " bytes)"));
    }
    if (length == 0) return std::shared_ptr<const Buffer>(Buffer::Allocate(0));
    return Buffer::View(mapping_, mapping_->data() + offset, length);
  }
  int64_t size() const override { return size_; }
  Status Read(int64_t offset, int64_t length, uint8_t* dest) const override {
    while (length > 0) {
      const ssize_t n = ::pread(fd_, dest, static_cast<size_t>(length), offset);
      if (n < 0) {
        if (errno == EINTR) continue;
        return ErrnoToStatus(errno, path_);
      }
      if (n == 0) {
        return absl::DataLossError(
            absl::StrCat(path_, ": the file ends at byte ", offset, " (truncated while reading)"));
      }
      dest += n;
      offset += n;
      length -= n;
    }
    return absl::OkStatus();
  }

 private:
  LocalSource(int fd, std::string path) : fd_(fd), path_(std::move(path)) {}
  int fd_;
  std::string path_;
  int64_t size_ = 0;
  std::shared_ptr<const FileMapping> mapping_;  // null for an empty file
};

class StoreSource : public RangeSource {
 public:
  StoreSource(ObjectStore* store, std::string key, int64_t size)
      : store_(store), key_(std::move(key)), size_(size) {}
  int64_t size() const override { return size_; }
  Status Read(int64_t offset, int64_t length, uint8_t* dest) const override {
    KEEL_ASSIGN_OR_RETURN(std::string bytes, store_->GetRange(key_, offset, length));
    if (static_cast<int64_t>(bytes.size()) != length) {
      return absl::DataLossError(absl::StrCat(store_->Uri(key_), ": expected ", length,
                                              " bytes at offset ", offset, ", got ", bytes.size(),
                                              " (the object changed or is truncated)"));
    }
    std::memcpy(dest, bytes.data(), bytes.size());
    return absl::OkStatus();
  }

 private:
  ObjectStore* store_;
  std::string key_;
  int64_t size_;
};

// DataLoss unless a chunk's bitmap has the nulls its footer entry records.
Status CheckNullCount(int64_t in_bitmap, int64_t in_footer) {
  if (in_bitmap == in_footer) return absl::OkStatus();
  return absl::DataLossError("the validity bitmap disagrees with the footer's null count");
}

struct ChunkInfo {
  int64_t offset = 0;
  int64_t stored_bytes = 0;
  uint64_t checksum = 0;  // version 1: CRC-32; version 2: XXH3-64
  int64_t null_count = 0;
  int64_t string_bytes = 0;
  uint8_t codec = kCodecZstd;
};

// Decompresses the zstd frame at the start of `src` into exactly
// `expected` bytes at `dest`; returns the frame's compressed size.
StatusOr<size_t> DecompressFrame(ZSTD_DCtx* dctx, std::string_view src, uint8_t* dest,
                                 int64_t expected, const char* section) {
  const size_t frame = ZSTD_findFrameCompressedSize(src.data(), src.size());
  if (ZSTD_isError(frame)) {
    return absl::DataLossError(
        absl::StrCat("bad zstd frame for the ", section, ": ", ZSTD_getErrorName(frame)));
  }
  const unsigned long long content = ZSTD_getFrameContentSize(src.data(), frame);
  if (content != static_cast<unsigned long long>(expected)) {
    return absl::DataLossError(absl::StrCat("the ", section, " frame holds ", content,
                                            " bytes, the footer says ", expected));
  }
  uint8_t dummy = 0;
  const size_t n = ZSTD_decompressDCtx(dctx, expected > 0 ? dest : &dummy,
                                       static_cast<size_t>(expected), src.data(), frame);
  if (ZSTD_isError(n) || n != static_cast<size_t>(expected)) {
    return absl::DataLossError(absl::StrCat("cannot decompress the ", section, ": ",
                                            ZSTD_isError(n) ? ZSTD_getErrorName(n) : "short"));
  }
  return frame;
}

class NativeFileReaderImpl : public NativeFileReader {
 public:
  static StatusOr<std::unique_ptr<NativeFileReader>> Open(std::unique_ptr<RangeSource> source,
                                                          std::string name) {
    auto reader = std::unique_ptr<NativeFileReaderImpl>(new NativeFileReaderImpl());
    reader->source_ = std::move(source);
    reader->name_ = std::move(name);
    KEEL_RETURN_IF_ERROR(reader->ReadFooter());
    return reader;
  }

  const Schema& schema() const override { return schema_; }
  int64_t num_rows() const override { return num_rows_; }
  const std::vector<ColumnStatistics>& statistics() const override { return statistics_; }

  StatusOr<Table> ReadAll(int num_threads) override {
    std::vector<int> columns(static_cast<size_t>(schema_.num_fields()));
    for (int c = 0; c < schema_.num_fields(); ++c) columns[c] = c;
    return Read(columns, num_threads);
  }

  StatusOr<Table> ReadColumns(const std::vector<std::string>& names, int num_threads) override {
    std::vector<int> columns;
    absl::flat_hash_set<int> seen;
    for (const std::string& name : names) {
      StatusOr<int> index = schema_.FindIndex(name);
      if (!index.ok()) return Annotate(index.status(), name_);
      if (!seen.insert(*index).second) {
        return absl::InvalidArgumentError(
            absl::StrCat(name_, ": column '", name, "' is asked for twice"));
      }
      columns.push_back(*index);
    }
    return Read(columns, num_threads);
  }

 private:
  NativeFileReaderImpl() = default;

  Status Corrupt(std::string_view what) const {
    return absl::DataLossError(absl::StrCat(name_, ": ", std::string(what),
                                            "; the file is truncated or corrupt (rewrite it)"));
  }

  Status ReadFooter();
  Status ParseFooter(std::string_view footer, int64_t data_end);
  StatusOr<Table> Read(const std::vector<int>& columns, int num_threads);
  // Checks plain chunk `i` (stored bytes `src`, held by `owner`) and either
  // makes the column of views of its sections (`in_place` non-null: the
  // column's only chunk) or copies its values and string bytes into the
  // column's buffers at its rows.
  Status DecodePlain(int64_t i, std::string_view src, const std::shared_ptr<const Buffer>& owner,
                     std::optional<Column>* in_place, Buffer* values, Buffer* data,
                     int64_t string_base) const;

  int64_t RowsInGroup(int64_t g) const {
    return std::min(row_group_rows_, num_rows_ - g * row_group_rows_);
  }
  const ChunkInfo& chunk(int c, int64_t g) const { return chunks_[c * groups_ + g]; }

  std::unique_ptr<RangeSource> source_;
  std::string name_;  // path or URI, for messages
  uint32_t version_ = kFormatVersion;
  Schema schema_;
  int64_t num_rows_ = 0;
  int64_t row_group_rows_ = 1;
  int64_t groups_ = 0;
  std::vector<ChunkInfo> chunks_;  // column-major: [c * groups_ + g]
  std::vector<ColumnStatistics> statistics_;
};

Status NativeFileReaderImpl::ReadFooter() {
  const int64_t size = source_->size();
  if (size < kHeaderBytes + kTrailerBytes) {
    return Corrupt(absl::StrCat("only ", size, " bytes, a native file has at least ",
                                kHeaderBytes + kTrailerBytes));
  }
  const int64_t tail_bytes = std::min(size, kSpeculativeTailBytes);
  std::string tail(static_cast<size_t>(tail_bytes), '\0');
  KEEL_RETURN_IF_ERROR(
      source_->Read(size - tail_bytes, tail_bytes, reinterpret_cast<uint8_t*>(tail.data())));
  const char* trailer = tail.data() + tail_bytes - kTrailerBytes;
  if (std::string_view(trailer + 16, 4) != kMagic) {
    return Corrupt("no \"KCOL\" magic at the end (not a Keel native file)");
  }
  std::string head(static_cast<size_t>(kHeaderBytes), '\0');
  if (tail_bytes == size) {
    head = tail.substr(0, kHeaderBytes);
  } else {
    KEEL_RETURN_IF_ERROR(source_->Read(0, kHeaderBytes, reinterpret_cast<uint8_t*>(head.data())));
  }
  if (std::string_view(head).substr(0, 4) != kMagic) {
    return Corrupt("no \"KCOL\" magic at the start (not a Keel native file)");
  }
  for (const uint32_t version : {LoadU32(head.data() + 4), LoadU32(trailer + 12)}) {
    if (version < kOldestReadableVersion || version > kFormatVersion) {
      return absl::FailedPreconditionError(
          absl::StrCat(name_, ": native file format version ", version,
                       " is not known to this build, which reads versions ", kOldestReadableVersion,
                       " to ", kFormatVersion, "; use a newer keel"));
    }
  }
  version_ = LoadU32(head.data() + 4);
  if (LoadU32(trailer + 12) != version_) {
    return Corrupt(absl::StrCat("the header says format version ", version_, ", the trailer ",
                                LoadU32(trailer + 12)));
  }
  const uint64_t footer_bytes = LoadU64(trailer);
  const uint32_t footer_crc = LoadU32(trailer + 8);
  if (footer_bytes > static_cast<uint64_t>(size - kHeaderBytes - kTrailerBytes)) {
    return Corrupt(
        absl::StrCat("the footer length ", footer_bytes, " is past the file's ", size, " bytes"));
  }
  const int64_t footer_start = size - kTrailerBytes - static_cast<int64_t>(footer_bytes);
  std::string footer;
  if (footer_start >= size - tail_bytes) {
    footer = tail.substr(static_cast<size_t>(footer_start - (size - tail_bytes)), footer_bytes);
  } else {
    footer.resize(footer_bytes);
    KEEL_RETURN_IF_ERROR(source_->Read(footer_start, static_cast<int64_t>(footer_bytes),
                                       reinterpret_cast<uint8_t*>(footer.data())));
  }
  const uint32_t crc = static_cast<uint32_t>(
      crc32_z(0, reinterpret_cast<const Bytef*>(footer.data()), footer.size()));
  if (crc != footer_crc) return Corrupt("footer checksum mismatch");
  return ParseFooter(footer, footer_start);
}

Status NativeFileReaderImpl::ParseFooter(std::string_view footer, int64_t data_end) {
  FooterParser in(footer);
  const uint32_t num_fields = in.U32();
  if (static_cast<int64_t>(num_fields) > in.remaining() / 6) return Corrupt("bad field count");
  std::vector<Field> fields;
  for (uint32_t i = 0; i < num_fields && in.ok(); ++i) {
    Field field;
    field.name = in.Bytes();
    const uint8_t type = in.U8();
    bool known = false;
    for (DataType t : AllDataTypes()) {
      if (native_internal::TypeCode(t) == type) {
        field.type = t;
        known = true;
      }
    }
    if (!known) return Corrupt(absl::StrCat("unknown type code ", type, " in the footer"));
    field.nullable = in.U8() != 0;
    fields.push_back(std::move(field));
  }
  num_rows_ = in.I64();
  row_group_rows_ = in.I64();
  if (!in.ok() || num_rows_ < 0 || num_rows_ > kMaxCount || row_group_rows_ < 1) {
    return Corrupt("malformed footer");
  }
  StatusOr<Schema> schema = Schema::Make(std::move(fields));
  if (!schema.ok()) return Corrupt(absl::StrCat("bad schema: ", schema.status().message()));
  schema_ = *std::move(schema);
  groups_ = num_rows_ / row_group_rows_ + (num_rows_ % row_group_rows_ != 0 ? 1 : 0);
  const int64_t num_columns = schema_.num_fields();
  const int64_t entry_bytes = version_ == 1 ? kChunkEntryBytesV1 : kChunkEntryBytesV2;
  if (num_columns > 0 && groups_ > in.remaining() / entry_bytes / num_columns) {
    return Corrupt("the footer is too short for its chunks");
  }
  chunks_.resize(static_cast<size_t>(num_columns * groups_));
  for (int64_t i = 0; i < static_cast<int64_t>(chunks_.size()); ++i) {
    ChunkInfo& c = chunks_[i];
    c.offset = in.I64();
    c.stored_bytes = in.I64();
    c.checksum = version_ == 1 ? in.U32() : in.U64();
    c.null_count = in.I64();
    c.string_bytes = in.I64();
    c.codec = version_ == 1 ? kCodecZstd : in.U8();
    const int64_t rows = RowsInGroup(i % groups_);
    const Field& field = schema_.field(static_cast<int>(i / groups_));
    bool ok = c.offset >= kHeaderBytes && c.stored_bytes >= 0 &&
              c.stored_bytes <= data_end - c.offset && c.null_count >= 0 && c.null_count <= rows &&
              c.string_bytes >= 0 && c.string_bytes <= kMaxCount &&
              (field.nullable || c.null_count == 0) &&
              (c.codec == kCodecZstd || c.codec == kCodecNone);
    if (ok && c.codec == kCodecNone) {
      // Sections are used in place: aligned, and exactly where the layout
      // puts them.
      ok = c.offset % native_internal::kAlignment == 0 &&
           c.stored_bytes ==
               native_internal::PlainChunkLayout(field.type, rows, c.null_count > 0, c.string_bytes)
                   .total;
    }
    if (!ok) {
      return Corrupt(
          absl::StrCat("bad footer entry for column '", field.name, "' row group ", i % groups_));
    }
  }
  statistics_.resize(static_cast<size_t>(num_columns));
  for (ColumnStatistics& stats : statistics_) {
    stats.null_count = in.I64();
    stats.value_count = in.I64();
    switch (in.U8()) {
      case native_internal::kStatsNone:
        break;
      case native_internal::kStatsInt:
        stats.min_int = in.I64();
        stats.max_int = in.I64();
        break;
      case native_internal::kStatsDouble:
        stats.min_double = in.F64();
        stats.max_double = in.F64();
        break;
      case native_internal::kStatsString:
        stats.min_string = in.Bytes();
        stats.max_string = in.Bytes();
        break;
      default:
        return Corrupt("unknown statistics kind in the footer");
    }
  }
  if (!in.ok() || in.remaining() != 0) return Corrupt("malformed footer");
  return absl::OkStatus();
}

StatusOr<Table> NativeFileReaderImpl::Read(const std::vector<int>& columns, int num_threads) {
  // The chunks to read, in file order, merged into ranges of adjacent bytes.
  struct Range {
    int64_t offset = 0;
    int64_t length = 0;
    std::shared_ptr<const Buffer> bytes;
    Status status;
  };
  std::vector<int64_t> wanted;  // indices into chunks_
  for (int c : columns) {
    for (int64_t g = 0; g < groups_; ++g) wanted.push_back(c * groups_ + g);
  }
  std::vector<int64_t> by_offset = wanted;
  std::sort(by_offset.begin(), by_offset.end(),
            [&](int64_t a, int64_t b) { return chunks_[a].offset < chunks_[b].offset; });
  std::vector<Range> ranges;
  std::vector<std::pair<size_t, int64_t>> located(chunks_.size());  // range, offset in it
  for (int64_t i : by_offset) {
    const ChunkInfo& info = chunks_[i];
    if (ranges.empty() || ranges.back().offset + ranges.back().length != info.offset) {
      ranges.push_back(Range{info.offset, 0, nullptr, absl::OkStatus()});
    }
    located[i] = {ranges.size() - 1, info.offset - ranges.back().offset};
    ranges.back().length += info.stored_bytes;
  }
  table_internal::Parallel parallel(num_threads);
  parallel.For(static_cast<int64_t>(ranges.size()), [&](int64_t r) {
    Range& range = ranges[r];
    StatusOr<std::shared_ptr<const Buffer>> bytes = source_->ReadShared(range.offset, range.length);
    if (bytes.ok()) {
      range.bytes = *std::move(bytes);
    } else {
      range.status = bytes.status();
    }
  });
  for (const Range& range : ranges) KEEL_RETURN_IF_ERROR(range.status);
  auto stored = [&](int64_t i) {
    const auto [r, at] = located[i];
    return std::string_view(reinterpret_cast<const char*>(ranges[r].bytes->data()) + at,
                            static_cast<size_t>(chunks_[i].stored_bytes));
  };

  // A column whose only chunk is plain is handed out in place (views of the
  // range, which for a local file is a view of the memory map). Every other
  // column gets output buffers that its chunks fill.
  struct Output {
    bool in_place = false;
    std::optional<Column> column;  // in_place: made by DecodePlain
    std::unique_ptr<Buffer> validity, values, data;
    std::vector<int64_t> string_base;  // per row group
  };
  std::vector<Output> outputs(columns.size());
  std::vector<int> output_of(static_cast<size_t>(schema_.num_fields()), -1);
  for (size_t k = 0; k < columns.size(); ++k) {
    const int c = columns[k];
    output_of[c] = static_cast<int>(k);
    const DataType type = schema_.field(c).type;
    Output& out = outputs[k];
    if (groups_ == 1 && chunk(c, 0).codec == kCodecNone) {
      out.in_place = true;
      continue;
    }
    int64_t nulls = 0, string_bytes = 0;
    for (int64_t g = 0; g < groups_; ++g) {
      nulls += chunk(c, g).null_count;
      out.string_base.push_back(string_bytes);
      string_bytes += chunk(c, g).string_bytes;
    }
    if (type == DataType::kString) {
      out.values = Buffer::Allocate((num_rows_ + 1) * 8);
      out.values->mutable_data_as<int64_t>()[0] = 0;
      out.data = Buffer::Allocate(string_bytes);
    } else {
      out.values = Buffer::Allocate(num_rows_ * native_internal::ValueWidth(type));
    }
    if (nulls > 0) out.validity = Buffer::AllocateZeroed(bits::BytesForBits(num_rows_));
  }

  std::vector<Status> statuses(wanted.size());
  std::vector<std::string> validity(wanted.size());  // per compressed chunk with nulls
  parallel.For(static_cast<int64_t>(wanted.size()), [&](int64_t w) {
    const int64_t i = wanted[w];
    const int c = static_cast<int>(i / groups_);
    const int64_t g = i % groups_;
    const ChunkInfo& info = chunks_[i];
    const DataType type = schema_.field(c).type;
    Output& out = outputs[output_of[c]];
    const int64_t rows = RowsInGroup(g);
    const int64_t first_row = g * row_group_rows_;
    std::string_view src = stored(i);
    Status& status = statuses[w];
    const uint64_t checksum =
        version_ == 1 ? crc32_z(0, reinterpret_cast<const Bytef*>(src.data()), src.size())
                      : XXH3_64bits(src.data(), src.size());
    if (checksum != info.checksum) {
      status = absl::DataLossError("checksum mismatch");
      return;
    }
    if (info.codec == kCodecNone) {
      status =
          DecodePlain(i, src, ranges[located[i].first].bytes, out.in_place ? &out.column : nullptr,
                      out.values.get(), out.data.get(), out.in_place ? 0 : out.string_base[g]);
      return;
    }
    thread_local std::unique_ptr<ZSTD_DCtx, size_t (*)(ZSTD_DCtx*)> dctx(ZSTD_createDCtx(),
                                                                         ZSTD_freeDCtx);
    if (dctx == nullptr) {
      status = absl::ResourceExhaustedError("cannot create a zstd context");
      return;
    }
    auto section = [&](uint8_t* dest, int64_t bytes, const char* what) {
      if (!status.ok()) return;
      StatusOr<size_t> used = DecompressFrame(dctx.get(), src, dest, bytes, what);
      if (!used.ok()) {
        status = used.status();
        return;
      }
      src.remove_prefix(*used);
    };
    if (info.null_count > 0) {
      validity[w].resize(static_cast<size_t>(bits::BytesForBits(rows)));
      section(reinterpret_cast<uint8_t*>(validity[w].data()), bits::BytesForBits(rows),
              "validity bitmap");
      if (status.ok()) {
        status = CheckNullCount(
            rows - bits::CountSet(reinterpret_cast<const uint8_t*>(validity[w].data()), 0, rows),
            info.null_count);
      }
    }
    if (type == DataType::kString) {
      int64_t* offsets = out.values->mutable_data_as<int64_t>() + first_row + 1;
      section(reinterpret_cast<uint8_t*>(offsets), rows * 8, "string lengths");
      section(out.data->mutable_data() + out.string_base[g], info.string_bytes, "string bytes");
      if (!status.ok()) return;
      // Lengths to offsets, in place.
      int64_t end = out.string_base[g];
      for (int64_t k = 0; k < rows; ++k) {
        if (offsets[k] < 0 || offsets[k] > info.string_bytes) {
          status = absl::DataLossError("bad string length");
          return;
        }
        end += offsets[k];
        offsets[k] = end;
      }
      if (end != out.string_base[g] + info.string_bytes) {
        status = absl::DataLossError("string lengths disagree with the footer's byte count");
      }
    } else {
      const int64_t width = native_internal::ValueWidth(type);
      section(out.values->mutable_data() + first_row * width, rows * width, "values");
    }
    // Version 2 pads chunks to the alignment with zeros.
    if (status.ok() &&
        (static_cast<int64_t>(src.size()) >= (version_ == 1 ? 1 : native_internal::kAlignment) ||
         src.find_first_not_of('\0') != std::string_view::npos)) {
      status = absl::DataLossError("bytes after the last frame");
    }
  });
  for (size_t w = 0; w < wanted.size(); ++w) {
    if (statuses[w].ok()) continue;
    const int64_t i = wanted[w];
    const ChunkInfo& info = chunks_[i];
    return Corrupt(absl::StrCat("column '", schema_.field(static_cast<int>(i / groups_)).name,
                                "' row group ", i % groups_, " (bytes ", info.offset, "..",
                                info.offset + info.stored_bytes, "): ", statuses[w].message()));
  }

  std::vector<Field> fields;
  std::vector<Column> result;
  for (size_t k = 0; k < columns.size(); ++k) {
    const int c = columns[k];
    Output& out = outputs[k];
    StatusOr<Column> column = Column();
    if (out.in_place) {
      column = *std::move(out.column);
    } else {
      if (out.validity != nullptr) {
        for (int64_t g = 0; g < groups_; ++g) {
          const std::string& bitmap = validity[k * groups_ + g];
          if (chunk(c, g).null_count == 0) {
            bits::Fill(out.validity->mutable_data(), g * row_group_rows_, RowsInGroup(g), true);
          } else if (chunk(c, g).codec == kCodecZstd) {
            bits::Copy(reinterpret_cast<const uint8_t*>(bitmap.data()), 0,
                       out.validity->mutable_data(), g * row_group_rows_, RowsInGroup(g));
          } else {  // plain: the bitmap is the chunk's first section
            bits::Copy(reinterpret_cast<const uint8_t*>(stored(c * groups_ + g).data()), 0,
                       out.validity->mutable_data(), g * row_group_rows_, RowsInGroup(g));
          }
        }
      }
      column = Column::FromBuffers(schema_.field(c).type, num_rows_, std::move(out.validity),
                                   std::move(out.values), std::move(out.data));
    }
    if (!column.ok()) {
      return Corrupt(
          absl::StrCat("column '", schema_.field(c).name, "': ", column.status().message()));
    }
    fields.push_back(schema_.field(c));
    result.push_back(*std::move(column));
  }
  KEEL_ASSIGN_OR_RETURN(Schema schema, Schema::Make(std::move(fields)));
  return Table::Make(std::move(schema), std::move(result));
}

Status NativeFileReaderImpl::DecodePlain(int64_t i, std::string_view src,
                                         const std::shared_ptr<const Buffer>& owner,
                                         std::optional<Column>* in_place, Buffer* values,
                                         Buffer* data, int64_t string_base) const {
  const ChunkInfo& info = chunks_[i];
  const int64_t g = i % groups_;
  const DataType type = schema_.field(static_cast<int>(i / groups_)).type;
  const int64_t rows = RowsInGroup(g);
  const int64_t first_row = g * row_group_rows_;
  const native_internal::PlainLayout layout =
      native_internal::PlainChunkLayout(type, rows, info.null_count > 0, info.string_bytes);
  const auto* base = reinterpret_cast<const uint8_t*>(src.data());
  const uint8_t* bitmap = base + layout.validity_offset;
  if (type == DataType::kString) {
    // Offsets run from 0 to string_bytes (Column::FromBuffers checks that
    // they never decrease).
    const int64_t* offsets = reinterpret_cast<const int64_t*>(base + layout.values_offset);
    if (offsets[0] != 0 || offsets[rows] != info.string_bytes) {
      return absl::DataLossError("string offsets disagree with the footer's byte count");
    }
  }
  if (in_place != nullptr) {
    // Views share the range's bytes (and through them the file's mapping).
    StatusOr<Column> column = Column::FromBuffers(
        type, rows,
        info.null_count > 0 ? Buffer::View(owner, bitmap, layout.validity_bytes) : nullptr,
        Buffer::View(owner, base + layout.values_offset, layout.values_bytes),
        type == DataType::kString
            ? Buffer::View(owner, base + layout.strings_offset, layout.strings_bytes)
            : nullptr);
    if (!column.ok()) return absl::DataLossError(column.status().message());
    KEEL_RETURN_IF_ERROR(CheckNullCount(column->null_count(), info.null_count));
    *in_place = *std::move(column);
    return absl::OkStatus();
  }
  if (info.null_count > 0) {
    KEEL_RETURN_IF_ERROR(CheckNullCount(rows - bits::CountSet(bitmap, 0, rows), info.null_count));
  }
  // (Validity bits are copied afterwards, one chunk at a time: row groups
  // need not start on a byte boundary.)
  if (type == DataType::kString) {
    const int64_t* offsets = reinterpret_cast<const int64_t*>(base + layout.values_offset);
    int64_t* out = values->mutable_data_as<int64_t>() + first_row;
    for (int64_t k = 1; k <= rows; ++k) out[k] = string_base + offsets[k];
    std::memcpy(data->mutable_data() + string_base, base + layout.strings_offset,
                static_cast<size_t>(layout.strings_bytes));
  } else {
    const int64_t width = native_internal::ValueWidth(type);
    std::memcpy(values->mutable_data() + first_row * width, base + layout.values_offset,
                static_cast<size_t>(layout.values_bytes));
  }
  return absl::OkStatus();
}

}  // namespace

StatusOr<std::unique_ptr<NativeFileReader>> NativeFileReader::Open(const std::string& path) {
  KEEL_ASSIGN_OR_RETURN(std::unique_ptr<LocalSource> source, LocalSource::Open(path));
  return NativeFileReaderImpl::Open(std::move(source), path);
}

StatusOr<std::unique_ptr<NativeFileReader>> NativeFileReader::Open(ObjectStore* store,
                                                                   const std::string& key) {
  KEEL_ASSIGN_OR_RETURN(ObjectInfo info, store->Stat(key));
  return NativeFileReaderImpl::Open(std::make_unique<StoreSource>(store, key, info.size_bytes),
                                    store->Uri(key));
}

}  // namespace keel
