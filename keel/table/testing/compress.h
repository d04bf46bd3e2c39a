// Test helpers: gzip and zstd compression of strings, to make compressed
// CSV inputs (whole, concatenated or truncated) on the fly.
#ifndef KEEL_TABLE_TESTING_COMPRESS_H_
#define KEEL_TABLE_TESTING_COMPRESS_H_

#include <zlib.h>
#include <zstd.h>

#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>

namespace keel::testing {

// One gzip member holding `data`.
inline std::string GzipCompress(std::string_view data) {
  z_stream z;
  std::memset(&z, 0, sizeof(z));
  if (deflateInit2(&z, 6, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY) != Z_OK) std::abort();
  std::string out(deflateBound(&z, data.size()) + 64, '\0');
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  z.avail_in = static_cast<uInt>(data.size());
  z.next_out = reinterpret_cast<Bytef*>(out.data());
  z.avail_out = static_cast<uInt>(out.size());
  if (deflate(&z, Z_FINISH) != Z_STREAM_END) std::abort();
  out.resize(z.total_out);
  deflateEnd(&z);
  return out;
}

// One zstd frame holding `data`.
inline std::string ZstdCompress(std::string_view data) {
  std::string out(ZSTD_compressBound(data.size()), '\0');
  const size_t n = ZSTD_compress(out.data(), out.size(), data.data(), data.size(), 3);
  if (ZSTD_isError(n)) std::abort();
  out.resize(n);
  return out;
}

}  // namespace keel::testing

#endif  // KEEL_TABLE_TESTING_COMPRESS_H_
