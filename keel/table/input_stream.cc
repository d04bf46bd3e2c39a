#include "keel/table/input_stream.h"

#include <fcntl.h>
#include <unistd.h>
#include <zlib.h>
#include <zstd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <vector>

#include "absl/strings/str_cat.h"
#include "keel/base/files.h"

namespace keel {
namespace {

// Undecoded bytes: a file descriptor or a string, with the first few bytes
// (already looked at to detect compression) handed back first.
class RawSource {
 public:
  virtual ~RawSource() = default;
  // Fills up to `size` bytes; fewer only at the end.
  virtual StatusOr<size_t> Read(char* out, size_t size) = 0;
};

class FileSource : public RawSource {
 public:
  FileSource(int fd, std::string path) : fd_(fd), path_(std::move(path)) {}
  ~FileSource() override { ::close(fd_); }

  StatusOr<size_t> Read(char* out, size_t size) override {
    size_t done = 0;
    while (done < size) {
      const ssize_t n = ::read(fd_, out + done, size - done);
      if (n < 0) {
        if (errno == EINTR) continue;
        return ErrnoToStatus(errno, absl::StrCat("reading ", path_));
      }
      if (n == 0) break;
      done += static_cast<size_t>(n);
    }
    return done;
  }

 private:
  int fd_;
  std::string path_;
};

class StringSource : public RawSource {
 public:
  explicit StringSource(std::string_view data) : data_(data) {}
  StatusOr<size_t> Read(char* out, size_t size) override {
    const size_t n = std::min(size, data_.size());
    std::memcpy(out, data_.data(), n);
    data_.remove_prefix(n);
    return n;
  }

 private:
  std::string_view data_;
};

// Serves `prefix` first, then the rest of `raw`.
class PrefixedSource {
 public:
  PrefixedSource(std::unique_ptr<RawSource> raw, std::string prefix)
      : raw_(std::move(raw)), prefix_(std::move(prefix)) {}
  StatusOr<size_t> Read(char* out, size_t size) {
    size_t done = 0;
    if (prefix_pos_ < prefix_.size()) {
      done = std::min(size, prefix_.size() - prefix_pos_);
      std::memcpy(out, prefix_.data() + prefix_pos_, done);
      prefix_pos_ += done;
    }
    if (done < size) {
      KEEL_ASSIGN_OR_RETURN(size_t n, raw_->Read(out + done, size - done));
      done += n;
    }
    return done;
  }

 private:
  std::unique_ptr<RawSource> raw_;
  std::string prefix_;
  size_t prefix_pos_ = 0;
};

constexpr size_t kCompressedBufferBytes = 1 << 18;

class PlainStream : public InputStream {
 public:
  PlainStream(PrefixedSource source, std::string name)
      : source_(std::move(source)), name_(std::move(name)) {}
  StatusOr<size_t> Read(char* out, size_t size) override { return source_.Read(out, size); }
  Compression compression() const override { return Compression::kNone; }
  const std::string& name() const override { return name_; }

 private:
  PrefixedSource source_;
  std::string name_;
};

class GzipStream : public InputStream {
 public:
  GzipStream(PrefixedSource source, std::string name)
      : source_(std::move(source)), name_(std::move(name)), in_(kCompressedBufferBytes) {
    std::memset(&z_, 0, sizeof(z_));
    // 16 + MAX_WBITS: gzip wrapper only.
    init_ok_ = inflateInit2(&z_, 16 + MAX_WBITS) == Z_OK;
  }
  ~GzipStream() override { inflateEnd(&z_); }

  Compression compression() const override { return Compression::kGzip; }
  const std::string& name() const override { return name_; }

  StatusOr<size_t> Read(char* out, size_t size) override {
    if (!init_ok_) return absl::ResourceExhaustedError(name_ + ": cannot start zlib");
    size_t done = 0;
    while (done < size && !finished_) {
      if (z_.avail_in == 0 && !input_ended_) {
        KEEL_ASSIGN_OR_RETURN(size_t n, source_.Read(in_.data(), in_.size()));
        if (n == 0) input_ended_ = true;
        z_.next_in = reinterpret_cast<Bytef*>(in_.data());
        z_.avail_in = static_cast<uInt>(n);
      }
      if (z_.avail_in == 0 && input_ended_ && !output_pending_) {
        if (in_member_) {
          return absl::DataLossError(absl::StrCat(
              name_, ": truncated gzip data: the compressed stream ends after ",
              consumed_ + z_.total_in,
              " bytes, in the middle of the data; the file is incomplete (copy or download it "
              "again, or re-compress it)"));
        }
        finished_ = true;
        break;
      }
      const size_t chunk = std::min<size_t>(size - done, 1u << 30);
      z_.next_out = reinterpret_cast<Bytef*>(out + done);
      z_.avail_out = static_cast<uInt>(chunk);
      in_member_ = true;
      const int rc = inflate(&z_, Z_NO_FLUSH);
      done += chunk - z_.avail_out;
      // A full output buffer may hide more decoded bytes inside zlib.
      output_pending_ = z_.avail_out == 0;
      if (rc == Z_STREAM_END) {
        // Concatenated gzip members (`cat a.gz b.gz`) are one stream.
        in_member_ = false;
        output_pending_ = false;
        consumed_ += z_.total_in;
        inflateReset(&z_);
        continue;
      }
      if (rc != Z_OK && rc != Z_BUF_ERROR) {
        return absl::DataLossError(absl::StrCat(
            name_, ": corrupt gzip data near compressed byte ", consumed_ + z_.total_in, " (",
            z_.msg != nullptr ? z_.msg : "zlib error", "); the file is damaged"));
      }
    }
    return done;
  }

 private:
  PrefixedSource source_;
  std::string name_;
  std::vector<char> in_;
  z_stream z_;
  bool init_ok_ = false;
  bool input_ended_ = false;
  bool in_member_ = false;
  bool output_pending_ = false;
  bool finished_ = false;
  uint64_t consumed_ = 0;
};

class ZstdStream : public InputStream {
 public:
  ZstdStream(PrefixedSource source, std::string name)
      : source_(std::move(source)),
        name_(std::move(name)),
        in_(kCompressedBufferBytes),
        dctx_(ZSTD_createDCtx()) {}
  ~ZstdStream() override { ZSTD_freeDCtx(dctx_); }

  Compression compression() const override { return Compression::kZstd; }
  const std::string& name() const override { return name_; }

  StatusOr<size_t> Read(char* out, size_t size) override {
    if (dctx_ == nullptr) return absl::ResourceExhaustedError(name_ + ": cannot start zstd");
    size_t done = 0;
    while (done < size && !finished_) {
      if (input_.pos == input_.size && !input_ended_) {
        KEEL_ASSIGN_OR_RETURN(size_t n, source_.Read(in_.data(), in_.size()));
        if (n == 0) input_ended_ = true;
        input_ = ZSTD_inBuffer{in_.data(), n, 0};
      }
      if (input_.pos == input_.size && input_ended_ && !output_pending_) {
        if (frame_open_) {
          return absl::DataLossError(absl::StrCat(
              name_, ": truncated zstd data: the compressed stream ends after ", consumed_,
              " bytes, in the middle of a frame; the file is incomplete (copy or download it "
              "again, or re-compress it)"));
        }
        finished_ = true;
        break;
      }
      ZSTD_outBuffer output{out + done, size - done, 0};
      const size_t before = input_.pos;
      const size_t rc = ZSTD_decompressStream(dctx_, &output, &input_);
      consumed_ += input_.pos - before;
      done += output.pos;
      if (ZSTD_isError(rc)) {
        return absl::DataLossError(absl::StrCat(name_, ": corrupt zstd data near compressed byte ",
                                                consumed_, " (", ZSTD_getErrorName(rc),
                                                "); the file is damaged"));
      }
      frame_open_ = rc != 0;
      // A full output buffer may hide more decoded bytes inside zstd.
      output_pending_ = output.pos == output.size;
    }
    return done;
  }

 private:
  PrefixedSource source_;
  std::string name_;
  std::vector<char> in_;
  ZSTD_DCtx* dctx_;
  ZSTD_inBuffer input_{nullptr, 0, 0};
  bool input_ended_ = false;
  bool frame_open_ = false;
  bool output_pending_ = false;
  bool finished_ = false;
  uint64_t consumed_ = 0;
};

StatusOr<std::unique_ptr<InputStream>> Wrap(std::unique_ptr<RawSource> raw, std::string name) {
  std::string magic(4, '\0');
  KEEL_ASSIGN_OR_RETURN(size_t n, raw->Read(magic.data(), magic.size()));
  magic.resize(n);
  const bool gzip =
      n >= 2 && static_cast<uint8_t>(magic[0]) == 0x1f && static_cast<uint8_t>(magic[1]) == 0x8b;
  const bool zstd =
      n >= 4 && static_cast<uint8_t>(magic[0]) == 0x28 && static_cast<uint8_t>(magic[1]) == 0xb5 &&
      static_cast<uint8_t>(magic[2]) == 0x2f && static_cast<uint8_t>(magic[3]) == 0xfd;
  PrefixedSource source(std::move(raw), std::move(magic));
  if (gzip) return std::make_unique<GzipStream>(std::move(source), std::move(name));
  if (zstd) return std::make_unique<ZstdStream>(std::move(source), std::move(name));
  return std::make_unique<PlainStream>(std::move(source), std::move(name));
}

}  // namespace

StatusOr<std::unique_ptr<InputStream>> OpenInputFile(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return ErrnoToStatus(errno, path);
  return Wrap(std::make_unique<FileSource>(fd, path), path);
}

std::unique_ptr<InputStream> OpenInputString(std::string_view data, std::string name) {
  // Reading a string cannot fail.
  return *Wrap(std::make_unique<StringSource>(data), std::move(name));
}

}  // namespace keel
