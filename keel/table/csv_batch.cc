#include "keel/table/csv_batch.h"

#include <algorithm>

namespace keel::csv_internal {
namespace {

// Room kept in front of each block read so that the unfinished row of the
// previous batch can be put before it without copying the block.
constexpr size_t kFrontBytes = 1u << 20;

}  // namespace

BatchSource::~BatchSource() {
  if (pending_.valid()) pending_.wait();
}

StatusOr<Batch> BatchSource::Next(std::string_view carry, size_t min_read) {
  if (!pending_.valid()) Prefetch(read_bytes_);
  StatusOr<Block> block = pending_.get();
  if (!block.ok()) return block.status();
  if (!block->eof) Prefetch(std::min(std::max(read_bytes_, min_read), kMaxReadBytes));
  Batch batch;
  batch.eof = block->eof;
  batch.size = carry.size() + block->size;
  if (carry.size() <= kFrontBytes) {
    char* front = reinterpret_cast<char*>(block->buffer->mutable_data()) + kFrontBytes;
    std::copy(carry.begin(), carry.end(), front - carry.size());
    batch.data = front - carry.size();
    batch.buffer = std::move(block->buffer);
  } else {
    batch.buffer = Buffer::Allocate(static_cast<int64_t>(batch.size));
    char* out = reinterpret_cast<char*>(batch.buffer->mutable_data());
    std::copy(carry.begin(), carry.end(), out);
    const char* in = reinterpret_cast<const char*>(block->buffer->data()) + kFrontBytes;
    std::copy(in, in + block->size, out + carry.size());
    batch.data = out;
  }
  return batch;
}

void BatchSource::Recycle(std::unique_ptr<Buffer> buffer) {
  absl::MutexLock lock(&mu_);
  if (spare_ == nullptr || (buffer != nullptr && buffer->size() > spare_->size())) {
    spare_ = std::move(buffer);
  }
}

void BatchSource::Prefetch(size_t bytes) {
  pending_ = std::async(std::launch::async, [this, bytes]() -> StatusOr<Block> {
    Block block;
    const auto needed = static_cast<int64_t>(kFrontBytes + bytes);
    {
      absl::MutexLock lock(&mu_);
      if (spare_ != nullptr && spare_->size() >= needed) block.buffer = std::move(spare_);
    }
    if (block.buffer == nullptr) block.buffer = Buffer::Allocate(needed);
    char* data = reinterpret_cast<char*>(block.buffer->mutable_data()) + kFrontBytes;
    KEEL_ASSIGN_OR_RETURN(block.size, stream_->Read(data, bytes));
    block.eof = block.size < bytes;
    return block;
  });
}

}  // namespace keel::csv_internal
