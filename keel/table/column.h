// Column: an immutable, typed sequence of values with nulls, sharing its
// buffers so that copies and Slice() are O(1) and copy no values; and
// ColumnBuilder for appending values one by one.
#ifndef KEEL_TABLE_COLUMN_H_
#define KEEL_TABLE_COLUMN_H_

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "keel/base/status.h"
#include "keel/base/time.h"
#include "keel/table/buffer.h"
#include "keel/table/types.h"

namespace keel {

// Layout (Arrow-like; `offset()` is where this column starts in its buffers,
// non-zero after Slice):
//   validity  bitmap, bit offset()+i set when value i is present; no buffer
//             at all when the column was built without nulls.
//   values    kBool: uint8_t 0/1; kInt64 and kTimestamp: int64_t (timestamps
//             in microseconds UTC); kFloat64: double; kString: int64_t
//             offsets, length()+1 of them from offset(), into `string data`.
//   string data  kString only: the UTF-8 bytes of all values, back to back.
// The value stored at a null slot is unspecified (readers write 0 / "").
//
// Thread-safety: immutable; any number of threads may read one Column.
// Accessors for the wrong type (Int64Values() on a string column) are
// programming errors and abort with a message.
class Column {
 public:
  // A zero-length int64 column.
  Column();

  // Wraps existing buffers. `validity` may be null (no nulls). Errors:
  // InvalidArgument when a buffer is missing or too small for `length`
  // values, or when string offsets are not non-decreasing within
  // `string_data`.
  static StatusOr<Column> FromBuffers(DataType type, int64_t length,
                                      std::shared_ptr<const Buffer> validity,
                                      std::shared_ptr<const Buffer> values,
                                      std::shared_ptr<const Buffer> string_data = nullptr);

  DataType type() const { return type_; }
  int64_t length() const { return length_; }
  int64_t null_count() const { return null_count_; }
  int64_t offset() const { return offset_; }

  bool IsNull(int64_t i) const {
    return validity_ != nullptr && !bits::Get(validity_->data(), offset_ + i);
  }
  bool IsValid(int64_t i) const { return !IsNull(i); }

  // Values of the matching type, length() of them (nulls included, with an
  // unspecified value).
  std::span<const uint8_t> BoolValues() const;
  std::span<const int64_t> Int64Values() const;
  std::span<const double> Float64Values() const;
  std::span<const int64_t> TimestampValues() const;

  // kString: value i (empty for a null). Valid as long as a Column sharing
  // the buffers lives.
  std::string_view StringAt(int64_t i) const {
    const int64_t* offsets = StringOffsetsPtr();
    return std::string_view(reinterpret_cast<const char*>(data_->data()) + offsets[i],
                            static_cast<size_t>(offsets[i + 1] - offsets[i]));
  }
  // kString: the length()+1 offsets of this column into StringData().
  std::span<const int64_t> StringOffsets() const;
  std::string_view StringData() const;

  // Validity bitmap (null when the column has no validity buffer) and the
  // bit where this column starts in it.
  const uint8_t* validity_bitmap() const {
    return validity_ == nullptr ? nullptr : validity_->data();
  }

  // Rows [offset, offset + length) of this column, sharing the buffers.
  // Out-of-range requests are clamped to the column.
  Column Slice(int64_t offset, int64_t length) const;

  // Same type, length, nulls and values (NaN equals NaN; values under nulls
  // ignored).
  bool Equals(const Column& other) const;

  // Value i for messages and tests: "null", "true", "42", "0.5" (shortest
  // round trip), the string itself, RFC 3339 for timestamps.
  std::string ValueToString(int64_t i) const;

 private:
  friend class ColumnBuilder;
  void CheckType(DataType expected, const char* accessor) const;
  const int64_t* StringOffsetsPtr() const { return values_->data_as<int64_t>() + offset_; }

  DataType type_ = DataType::kInt64;
  int64_t offset_ = 0;
  int64_t length_ = 0;
  int64_t null_count_ = 0;
  std::shared_ptr<const Buffer> validity_;
  std::shared_ptr<const Buffer> values_;
  std::shared_ptr<const Buffer> data_;
};

// Builds one Column by appending. Appending a value of the wrong type
// (AppendInt64 to a string builder) aborts: it is a programming error.
// Not thread-safe.
class ColumnBuilder {
 public:
  explicit ColumnBuilder(DataType type);

  DataType type() const { return type_; }
  int64_t length() const { return length_; }

  // Capacity for `n` more values (and `string_bytes` more bytes of strings).
  void Reserve(int64_t n, int64_t string_bytes = 0);

  void AppendNull();
  void AppendBool(bool value);
  void AppendInt64(int64_t value);
  void AppendFloat64(double value);
  void AppendTimestamp(TimestampMicros value);
  void AppendString(std::string_view value);

  // The column built so far; the builder is left empty and reusable.
  Column Finish();

 private:
  void CheckType(DataType expected, const char* method) const;
  void Grow(int64_t min_values);
  void MarkValid();

  DataType type_;
  int64_t length_ = 0;
  int64_t capacity_ = 0;  // values (and validity bits)
  int64_t null_count_ = 0;
  int64_t string_bytes_ = 0;
  std::unique_ptr<Buffer> validity_;  // allocated at the first null
  std::unique_ptr<Buffer> values_;
  std::unique_ptr<Buffer> data_;
};

// A column of `length` nulls of type `type`.
Column NullColumn(DataType type, int64_t length);

}  // namespace keel

#endif  // KEEL_TABLE_COLUMN_H_
