// Internal to the CSV reader: input cut into batches of text that start at
// a row boundary, read ahead on another thread while a batch is parsed.
#ifndef KEEL_TABLE_CSV_BATCH_H_
#define KEEL_TABLE_CSV_BATCH_H_

#include <cstddef>
#include <future>
#include <memory>
#include <string_view>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "keel/base/status.h"
#include "keel/table/buffer.h"
#include "keel/table/input_stream.h"

namespace keel::csv_internal {

// The largest single read.
inline constexpr size_t kMaxReadBytes = 256u << 20;

// Text to parse: the unfinished row carried over from the previous batch
// followed by the next block of input.
struct Batch {
  std::unique_ptr<Buffer> buffer;  // owns `data`
  const char* data = nullptr;
  size_t size = 0;
  bool eof = false;  // no input after this batch
};

// Not thread-safe; reads `stream` on a helper thread, one read at a time.
class BatchSource {
 public:
  // `stream` must outlive this object.
  BatchSource(InputStream* stream, size_t read_bytes) : stream_(stream), read_bytes_(read_bytes) {}
  ~BatchSource();
  BatchSource(const BatchSource&) = delete;
  BatchSource& operator=(const BatchSource&) = delete;

  // The next batch: `carry` (which may point into the previous batch; keep
  // that alive until this returns), then up to read_bytes of new input.
  // `min_read` asks for a bigger read after this one (while a long row is
  // being assembled), up to kMaxReadBytes. Errors: the stream's.
  StatusOr<Batch> Next(std::string_view carry, size_t min_read);

  // Hands back a finished batch's buffer for a later read to reuse (fresh
  // memory costs page faults on every batch).
  void Recycle(std::unique_ptr<Buffer> buffer);

 private:
  struct Block {
    std::unique_ptr<Buffer> buffer;  // kFrontBytes of room, then the data
    size_t size = 0;
    bool eof = false;
  };
  void Prefetch(size_t bytes);

  InputStream* stream_;
  size_t read_bytes_;
  std::future<StatusOr<Block>> pending_;
  absl::Mutex mu_;
  std::unique_ptr<Buffer> spare_ ABSL_GUARDED_BY(mu_);
};

}  // namespace keel::csv_internal

#endif  // KEEL_TABLE_CSV_BATCH_H_
