#include "keel/table/buffer.h"

#include <sys/mman.h>

#include <algorithm>
#include <bit>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <new>

namespace keel {

namespace {

// Blocks this big are mapped directly: they come back to the system when
// freed and grow with mremap (no copy). From 2 MiB on, mappings are 2 MiB
// aligned and sized and use transparent huge pages, so filling a column
// costs one page fault per 2 MiB instead of one per 4 KiB.
constexpr int64_t kMapBytes = int64_t{1} << 20;
constexpr int64_t kHugePageBytes = int64_t{2} << 20;

int64_t RoundUp(int64_t bytes, int64_t unit) { return (bytes + unit - 1) / unit * unit; }

// The length of the mapping that holds `bytes`.
size_t MappedLength(int64_t bytes) {
  return static_cast<size_t>(bytes >= kHugePageBytes ? RoundUp(bytes, kHugePageBytes)
                                                     : RoundUp(bytes, 4096));
}

uint8_t* Map(int64_t bytes) {
  const size_t length = MappedLength(bytes);
  if (bytes < kHugePageBytes) {
    void* data =
        ::mmap(nullptr, length, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (data == MAP_FAILED) throw std::bad_alloc();
    // Huge pages too once it grows in place.
    ::madvise(data, length, MADV_HUGEPAGE);
    return static_cast<uint8_t*>(data);
  }
  // Map 2 MiB more than needed, keep an aligned window, unmap the rest.
  const size_t slack = static_cast<size_t>(kHugePageBytes);
  void* raw =
      ::mmap(nullptr, length + slack, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (raw == MAP_FAILED) throw std::bad_alloc();
  const auto raw_start = reinterpret_cast<uintptr_t>(raw);
  const uintptr_t start = (raw_start + slack - 1) / slack * slack;
  if (start > raw_start) ::munmap(raw, start - raw_start);
  const uintptr_t raw_end = raw_start + length + slack;
  if (raw_end > start + length) {
    ::munmap(reinterpret_cast<void*>(start + length), raw_end - (start + length));
  }
  ::madvise(reinterpret_cast<void*>(start), length, MADV_HUGEPAGE);
  return reinterpret_cast<uint8_t*>(start);
}

}  // namespace

std::unique_ptr<Buffer> Buffer::Allocate(int64_t size_bytes) {
  if (size_bytes >= kMapBytes) {
    return std::unique_ptr<Buffer>(new Buffer(Map(size_bytes), size_bytes, Kind::kMapped));
  }
  // malloc(0) may return null; keep a valid pointer for empty buffers.
  void* data = std::malloc(static_cast<size_t>(size_bytes > 0 ? size_bytes : 1));
  if (data == nullptr) throw std::bad_alloc();
  return std::unique_ptr<Buffer>(
      new Buffer(static_cast<uint8_t*>(data), size_bytes, Kind::kMalloc));
}

std::unique_ptr<Buffer> Buffer::AllocateZeroed(int64_t size_bytes) {
  if (size_bytes >= kMapBytes) return Allocate(size_bytes);  // fresh pages are zero
  void* data = std::calloc(static_cast<size_t>(size_bytes > 0 ? size_bytes : 1), 1);
  if (data == nullptr) throw std::bad_alloc();
  return std::unique_ptr<Buffer>(
      new Buffer(static_cast<uint8_t*>(data), size_bytes, Kind::kMalloc));
}

std::shared_ptr<const Buffer> Buffer::View(std::shared_ptr<const void> owner, const uint8_t* data,
                                           int64_t size_bytes) {
  auto view =
      std::shared_ptr<Buffer>(new Buffer(const_cast<uint8_t*>(data), size_bytes, Kind::kView));
  view->owner_ = std::move(owner);
  return view;
}

void Buffer::AbortWritingView() {
  std::fprintf(stderr, "keel: a Buffer::View is read-only (mutable_data or Resize on a view)\n");
  std::abort();
}

Buffer::~Buffer() {
  switch (kind_) {
    case Kind::kMapped:
      ::munmap(data_, MappedLength(size_));
      break;
    case Kind::kMalloc:
      std::free(data_);
      break;
    case Kind::kView:
      break;  // owner_ releases the bytes
  }
}

void Buffer::Resize(int64_t size_bytes) {
  CheckOwned();
  const bool mapped = kind_ == Kind::kMapped;
  if (mapped && size_bytes >= kMapBytes) {
    const size_t old_length = MappedLength(size_);
    const size_t new_length = MappedLength(size_bytes);
    if (new_length != old_length) {
      // In place if the address space after the mapping is free...
      void* data = ::mremap(data_, old_length, new_length, 0);
      if (data == MAP_FAILED) {
        // ...else move the pages into a fresh (aligned) mapping.
        uint8_t* target = Map(size_bytes);
        data = ::mremap(data_, old_length, new_length, MREMAP_MAYMOVE | MREMAP_FIXED, target);
        if (data == MAP_FAILED) {
          ::munmap(target, new_length);
          throw std::bad_alloc();
        }
      }
      data_ = static_cast<uint8_t*>(data);
      ::madvise(data_, new_length, MADV_HUGEPAGE);
    }
    size_ = size_bytes;
    return;
  }
  if (!mapped && size_bytes < kMapBytes) {
    void* data = std::realloc(data_, static_cast<size_t>(size_bytes > 0 ? size_bytes : 1));
    if (data == nullptr) throw std::bad_alloc();
    data_ = static_cast<uint8_t*>(data);
    size_ = size_bytes;
    return;
  }
  // Crossing the threshold: move once between malloc and a mapping.
  std::unique_ptr<Buffer> moved = Allocate(size_bytes);
  std::memcpy(moved->data_, data_, static_cast<size_t>(std::min(size_, size_bytes)));
  std::swap(data_, moved->data_);
  std::swap(size_, moved->size_);
  std::swap(kind_, moved->kind_);
}

namespace bits {

int64_t CountSet(const uint8_t* bitmap, int64_t offset, int64_t length) {
  int64_t count = 0;
  int64_t i = offset;
  const int64_t end = offset + length;
  for (; i < end && (i & 7) != 0; ++i) count += Get(bitmap, i);
  for (; i + 64 <= end; i += 64) {
    uint64_t word;
    std::memcpy(&word, bitmap + (i >> 3), 8);
    count += std::popcount(word);
  }
  for (; i + 8 <= end; i += 8) count += std::popcount(static_cast<unsigned>(bitmap[i >> 3]));
  for (; i < end; ++i) count += Get(bitmap, i);
  return count;
}

void Copy(const uint8_t* src, int64_t src_offset, uint8_t* dst, int64_t dst_offset,
          int64_t length) {
  if ((src_offset & 7) == 0 && (dst_offset & 7) == 0) {
    const int64_t whole = length >> 3;
    std::memcpy(dst + (dst_offset >> 3), src + (src_offset >> 3), static_cast<size_t>(whole));
    for (int64_t i = whole * 8; i < length; ++i) {
      Get(src, src_offset + i) ? Set(dst, dst_offset + i) : Clear(dst, dst_offset + i);
    }
    return;
  }
  int64_t i = 0;
  // Align the destination to a byte, then move whole destination bytes.
  for (; i < length && ((dst_offset + i) & 7) != 0; ++i) {
    Get(src, src_offset + i) ? Set(dst, dst_offset + i) : Clear(dst, dst_offset + i);
  }
  const int shift = static_cast<int>((src_offset + i) & 7);
  for (; i + 8 <= length; i += 8) {
    const int64_t s = (src_offset + i) >> 3;
    unsigned value = src[s] >> shift;
    if (shift != 0) value |= static_cast<unsigned>(src[s + 1]) << (8 - shift);
    dst[(dst_offset + i) >> 3] = static_cast<uint8_t>(value);
  }
  for (; i < length; ++i) {
    Get(src, src_offset + i) ? Set(dst, dst_offset + i) : Clear(dst, dst_offset + i);
  }
}

void Fill(uint8_t* dst, int64_t offset, int64_t length, bool value) {
  int64_t i = offset;
  const int64_t end = offset + length;
  for (; i < end && (i & 7) != 0; ++i) value ? Set(dst, i) : Clear(dst, i);
  const int64_t whole = (end - i) >> 3;
  if (whole > 0) {
    std::memset(dst + (i >> 3), value ? 0xff : 0, static_cast<size_t>(whole));
    i += whole * 8;
  }
  for (; i < end; ++i) value ? Set(dst, i) : Clear(dst, i);
}

}  // namespace bits
}  // namespace keel
