// Parquet page contents: the RLE/bit-packed hybrid encoding of levels and
// dictionary indices, page compression codecs and their names.
#include "keel/table/parquet_format.h"

#include <snappy-c.h>
#include <zstd.h>

#include <algorithm>
#include <cstring>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"

namespace keel::parquet {

int BitWidth(uint32_t max_value) {
  int width = 0;
  while (max_value != 0) ++width, max_value >>= 1;
  return width;
}

void AppendRleHybrid(const std::vector<uint32_t>& values, int bit_width, std::string* out) {
  const size_t n = values.size();
  const int value_bytes = (bit_width + 7) / 8;
  auto varint = [out](uint64_t v) {
    while (v >= 0x80) out->push_back(static_cast<char>((v & 0x7F) | 0x80)), v >>= 7;
    out->push_back(static_cast<char>(v));
  };
  auto run_length = [&](size_t i) {
    size_t j = i;
    while (j < n && values[j] == values[i]) ++j;
    return j - i;
  };
  size_t i = 0;
  while (i < n) {
    size_t run = run_length(i);
    if (run >= 8) {
      varint(static_cast<uint64_t>(run) << 1);
      for (int b = 0; b < value_bytes; ++b) out->push_back(static_cast<char>(values[i] >> (8 * b)));
      i += run;
      continue;
    }
    // Bit-packed groups of 8 until a long run starts at a group boundary.
    size_t start = i;
    size_t groups = 0;
    do {
      i = std::min(n, i + 8);
      ++groups;
    } while (i < n && run_length(i) < 8);
    varint((static_cast<uint64_t>(groups) << 1) | 1);
    const size_t packed_bytes = groups * bit_width;  // 8 values per group
    size_t base = out->size();
    out->resize(base + packed_bytes, '\0');
    auto* dst = reinterpret_cast<uint8_t*>(out->data() + base);
    uint64_t bit = 0;
    for (size_t k = start; k < start + groups * 8; ++k, bit += bit_width) {
      uint32_t v = k < i ? values[k] : 0;
      for (int b = 0; b < bit_width; ++b) {
        if ((v >> b) & 1) dst[(bit + b) >> 3] |= uint8_t(1u << ((bit + b) & 7));
      }
    }
  }
}

Status DecodeRleHybrid(std::string_view bytes, int bit_width, int64_t count,
                       std::vector<uint32_t>* values) {
  values->clear();
  values->reserve(count);
  if (bit_width < 0 || bit_width > 32) return absl::DataLossError("bad RLE bit width");
  const auto* p = reinterpret_cast<const uint8_t*>(bytes.data());
  const uint8_t* end = p + bytes.size();
  const int value_bytes = (bit_width + 7) / 8;
  const auto truncated = [] { return absl::DataLossError("truncated RLE/bit-packed data"); };
  while (static_cast<int64_t>(values->size()) < count) {
    uint64_t header = 0;
    for (int shift = 0;; shift += 7) {
      if (p >= end || shift > 63) return truncated();
      header |= static_cast<uint64_t>(*p & 0x7F) << shift;
      if ((*p++ & 0x80) == 0) break;
    }
    const int64_t left = count - static_cast<int64_t>(values->size());
    if (header & 1) {
      const uint64_t groups = header >> 1;
      if (groups > static_cast<uint64_t>(end - p) + 1) return truncated();
      const int64_t n = std::min<int64_t>(left, static_cast<int64_t>(groups * 8));
      if ((n * bit_width + 7) / 8 > end - p) return truncated();
      for (int64_t k = 0; k < n; ++k) {
        uint32_t v = 0;
        const int64_t bit = k * bit_width;
        for (int b = 0; b < bit_width; ++b)
          v |= uint32_t((p[(bit + b) >> 3] >> ((bit + b) & 7)) & 1) << b;
        values->push_back(v);
      }
      p += std::min<int64_t>(end - p, static_cast<int64_t>(groups) * bit_width);
    } else {
      const int64_t run = static_cast<int64_t>(header >> 1);
      if (end - p < value_bytes) return truncated();
      uint32_t v = 0;
      for (int b = 0; b < value_bytes; ++b) v |= uint32_t(p[b]) << (8 * b);
      p += value_bytes;
      if (run == 0) return absl::DataLossError("corrupt RLE data (empty run)");
      values->insert(values->end(), std::min(run, left), v);
    }
  }
  return absl::OkStatus();
}

std::string CodecName(int32_t codec) {
  static const char* kNames[] = {"UNCOMPRESSED", "SNAPPY", "GZIP", "LZO",
                                 "BROTLI",       "LZ4",    "ZSTD", "LZ4_RAW"};
  if (codec >= 0 && codec < 8) return kNames[codec];
  return absl::StrCat("codec ", codec);
}

std::string EncodingName(Encoding encoding) {
  static const char* kNames[] = {
      "PLAIN",          "GROUP_VAR_INT",       "PLAIN_DICTIONARY",        "RLE",
      "BIT_PACKED",     "DELTA_BINARY_PACKED", "DELTA_LENGTH_BYTE_ARRAY", "DELTA_BYTE_ARRAY",
      "RLE_DICTIONARY", "BYTE_STREAM_SPLIT"};
  int e = static_cast<int>(encoding);
  if (e >= 0 && e < 10) return kNames[e];
  return absl::StrCat("encoding ", e);
}

Status Compress(Codec codec, std::string_view data, std::string* out) {
  const size_t base = out->size();
  if (codec == Codec::kUncompressed) {
    out->append(data);
  } else if (codec == Codec::kSnappy) {
    size_t n = snappy_max_compressed_length(data.size());
    out->resize(base + n);
    if (snappy_compress(data.data(), data.size(), out->data() + base, &n) != SNAPPY_OK) {
      return absl::InternalError("snappy compression failed");
    }
    out->resize(base + n);
  } else if (codec == Codec::kZstd) {
    size_t n = ZSTD_compressBound(data.size());
    out->resize(base + n);
    n = ZSTD_compress(out->data() + base, n, data.data(), data.size(), 3);
    if (ZSTD_isError(n)) return absl::InternalError(ZSTD_getErrorName(n));
    out->resize(base + n);
  } else {
    return absl::UnimplementedError(
        absl::StrCat("cannot write ", CodecName(static_cast<int32_t>(codec))));
  }
  return absl::OkStatus();
}

Status Decompress(int32_t codec, std::string_view data, int64_t uncompressed_size,
                  std::string* out) {
  const bool known = codec == static_cast<int32_t>(Codec::kUncompressed) ||
                     codec == static_cast<int32_t>(Codec::kSnappy) ||
                     codec == static_cast<int32_t>(Codec::kZstd);
  if (!known) {
    return absl::UnimplementedError(
        absl::StrCat("compression codec ", CodecName(codec),
                     " is not supported (Keel reads UNCOMPRESSED, SNAPPY and ZSTD)"));
  }
  // Sizes are checked before allocating, so a corrupt header cannot exhaust memory.
  size_t expected = data.size();
  if (codec == static_cast<int32_t>(Codec::kSnappy) &&
      snappy_uncompressed_length(data.data(), data.size(), &expected) != SNAPPY_OK) {
    return absl::DataLossError("corrupt snappy page");
  }
  if (codec == static_cast<int32_t>(Codec::kZstd)) {
    const unsigned long long size = ZSTD_getFrameContentSize(data.data(), data.size());
    expected = size == ZSTD_CONTENTSIZE_UNKNOWN ? uncompressed_size : size;
  }
  if (static_cast<int64_t>(expected) != uncompressed_size) {
    return absl::DataLossError(absl::StrCat(CodecName(codec), " page of ", expected,
                                            " bytes where its header says ", uncompressed_size));
  }
  out->resize(static_cast<size_t>(uncompressed_size));
  size_t n = out->size();
  if (codec == static_cast<int32_t>(Codec::kUncompressed)) {
    std::memcpy(out->data(), data.data(), n);
    return absl::OkStatus();
  }
  if (codec == static_cast<int32_t>(Codec::kSnappy)) {
    if (snappy_uncompress(data.data(), data.size(), out->data(), &n) != SNAPPY_OK) {
      return absl::DataLossError("corrupt snappy page");
    }
    return absl::OkStatus();
  }
  const size_t got = ZSTD_decompress(out->data(), n, data.data(), data.size());
  if (ZSTD_isError(got) || got != n) return absl::DataLossError("corrupt zstd page");
  return absl::OkStatus();
}

}  // namespace keel::parquet
