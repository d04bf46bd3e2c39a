// Buffer: a block of bytes that columns share, so slices and copies of a
// column never copy values. Plus the validity-bitmap helpers used by columns
// and readers (bit i of a bitmap is byte i / 8, bit i % 8; 1 = valid).
#ifndef KEEL_TABLE_BUFFER_H_
#define KEEL_TABLE_BUFFER_H_

#include <cstdint>
#include <memory>

namespace keel {

// Heap bytes owned by one Buffer object, usually held through
// std::shared_ptr<const Buffer>. Mutable only while a single builder owns it;
// once shared it is treated as immutable, so concurrent readers need no lock.
// Throws std::bad_alloc when memory runs out (like operator new).
class Buffer {
 public:
  // `size_bytes` bytes, contents unspecified (not zeroed: big reads stay
  // cheap). Aligned for any scalar type.
  static std::unique_ptr<Buffer> Allocate(int64_t size_bytes);
  // `size_bytes` zero bytes.
  static std::unique_ptr<Buffer> AllocateZeroed(int64_t size_bytes);
  // Bytes owned by someone else (a memory-mapped file, another buffer):
  // `data` stays valid while `owner` lives, and the view keeps `owner`
  // alive. Read-only: mutable_data() and Resize() are programming errors on
  // a view (they abort). This is how a native file read shares the page
  // cache instead of copying.
  static std::shared_ptr<const Buffer> View(std::shared_ptr<const void> owner, const uint8_t* data,
                                            int64_t size_bytes);

  ~Buffer();
  Buffer(const Buffer&) = delete;
  Buffer& operator=(const Buffer&) = delete;

  int64_t size() const { return size_; }
  const uint8_t* data() const { return data_; }
  uint8_t* mutable_data() {
    CheckOwned();
    return data_;
  }
  template <typename T>
  const T* data_as() const {
    return reinterpret_cast<const T*>(data_);
  }
  template <typename T>
  T* mutable_data_as() {
    return reinterpret_cast<T*>(mutable_data());
  }

  // Changes the size keeping the first min(old, new) bytes; large buffers
  // are remapped rather than copied. Only while unshared.
  void Resize(int64_t size_bytes);

 private:
  enum class Kind : uint8_t { kMalloc, kMapped, kView };
  Buffer(uint8_t* data, int64_t size, Kind kind) : data_(data), size_(size), kind_(kind) {}
  void CheckOwned() const {
    if (kind_ == Kind::kView) AbortWritingView();
  }
  [[noreturn]] static void AbortWritingView();

  uint8_t* data_;
  int64_t size_;
  Kind kind_;                          // kMapped: mmap'ed (large) rather than malloc'ed
  std::shared_ptr<const void> owner_;  // kView only
};

namespace bits {

inline int64_t BytesForBits(int64_t n) { return (n + 7) / 8; }
inline bool Get(const uint8_t* bitmap, int64_t i) { return (bitmap[i >> 3] >> (i & 7)) & 1; }
inline void Set(uint8_t* bitmap, int64_t i) { bitmap[i >> 3] |= uint8_t(1u << (i & 7)); }
inline void Clear(uint8_t* bitmap, int64_t i) { bitmap[i >> 3] &= uint8_t(~(1u << (i & 7))); }

// The number of 1 bits in [offset, offset + length).
int64_t CountSet(const uint8_t* bitmap, int64_t offset, int64_t length);

// Copies bits [src_offset, src_offset + length) of `src` to
// [dst_offset, ...) of `dst`, leaving the other bits of `dst` unchanged.
void Copy(const uint8_t* src, int64_t src_offset, uint8_t* dst, int64_t dst_offset, int64_t length);

// Sets bits [offset, offset + length) of `dst` to `value`.
void Fill(uint8_t* dst, int64_t offset, int64_t length, bool value);

}  // namespace bits
}  // namespace keel

#endif  // KEEL_TABLE_BUFFER_H_
