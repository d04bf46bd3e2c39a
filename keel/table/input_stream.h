// Sequential byte input for the table readers: a local file or a string,
// decompressed on the fly when it starts with the gzip (1f 8b) or zstd
// (28 b5 2f fd) magic bytes, whatever its name.
#ifndef KEEL_TABLE_INPUT_STREAM_H_
#define KEEL_TABLE_INPUT_STREAM_H_

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>

#include "keel/base/status.h"

namespace keel {

enum class Compression { kNone, kGzip, kZstd };

// Not thread-safe: one reader at a time (calls may come from different
// threads one after another).
class InputStream {
 public:
  virtual ~InputStream() = default;

  // Reads up to `size` bytes into `out`, returning fewer only at the end of
  // the (decompressed) input; 0 means the end. Errors name the source:
  // NotFound/PermissionDenied/... for I/O, DataLoss for truncated or corrupt
  // compressed data (with the compressed byte offset and a hint).
  virtual StatusOr<size_t> Read(char* out, size_t size) = 0;

  virtual Compression compression() const = 0;
  // The file name, or the name given to OpenInputString, for messages.
  virtual const std::string& name() const = 0;
};

// Opens the file at `path`. Errors: as ErrnoToStatus (NotFound for a
// missing file), with the path.
StatusOr<std::unique_ptr<InputStream>> OpenInputFile(const std::string& path);

// Reads from `data`, which must outlive the stream; `name` is used in
// messages.
std::unique_ptr<InputStream> OpenInputString(std::string_view data, std::string name);

}  // namespace keel

#endif  // KEEL_TABLE_INPUT_STREAM_H_
