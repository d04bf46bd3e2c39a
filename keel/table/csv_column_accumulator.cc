#include "keel/table/csv_column_accumulator.h"

#include <algorithm>
#include <cstring>

namespace keel::csv_internal {
namespace {

int64_t Width(CellType type) { return type == CellType::kBool ? 1 : 8; }

}  // namespace

void ColumnAccumulator::Reserve(int64_t values) {
  if (type_ == CellType::kNull) return;
  if (values_ != nullptr && values <= capacity_) return;
  const int64_t capacity = std::max<int64_t>({values, capacity_ * 2, 1024});
  // Strings keep capacity + 1 offsets.
  const int64_t bytes = type_ == CellType::kString ? (capacity + 1) * 8 : capacity * Width(type_);
  if (values_ == nullptr) {
    values_ = Buffer::Allocate(bytes);
  } else {
    values_->Resize(bytes);
  }
  if (validity_ != nullptr) validity_->Resize(bits::BytesForBits(capacity));
  capacity_ = capacity;
}

void ColumnAccumulator::EnsureValidity() {
  if (validity_ != nullptr) return;
  validity_ = Buffer::Allocate(bits::BytesForBits(std::max<int64_t>(capacity_, length_)));
  bits::Fill(validity_->mutable_data(), 0, length_, true);
}

void ColumnAccumulator::WidenTo(CellType type) {
  if (type == type_) return;
  if (type_ == CellType::kNull) {
    // Everything so far was null.
    const int64_t rows = length_;
    type_ = type;
    capacity_ = 0;
    Reserve(rows);
    if (rows > 0) {
      validity_ = Buffer::Allocate(bits::BytesForBits(capacity_));
      bits::Fill(validity_->mutable_data(), 0, rows, false);
    }
    if (type_ == CellType::kString) {
      std::memset(values_->mutable_data(), 0, static_cast<size_t>((rows + 1) * 8));
      data_ = Buffer::Allocate(1024);
      data_size_ = 0;
    } else {
      std::memset(values_->mutable_data(), 0, static_cast<size_t>(rows * Width(type_)));
    }
    return;
  }
  // int64 -> float64, in place (same width).
  int64_t* ints = values_->mutable_data_as<int64_t>();
  double* doubles = values_->mutable_data_as<double>();
  for (int64_t i = 0; i < length_; ++i) doubles[i] = static_cast<double>(ints[i]);
  type_ = type;
}

void ColumnAccumulator::Append(ColumnChunk* chunk, BufferPool* pool) {
  const int64_t n = chunk->length;
  if (type_ != CellType::kNull) Reserve(length_ + n);
  // Validity (a kNull accumulator needs none: every value is null).
  if (type_ != CellType::kNull && chunk->null_count > 0) EnsureValidity();
  if (type_ != CellType::kNull && validity_ != nullptr) {
    uint8_t* bits = validity_->mutable_data();
    if (chunk->type == CellType::kNull) {
      bits::Fill(bits, length_, n, false);
    } else if (chunk->validity == nullptr) {
      bits::Fill(bits, length_, n, true);
    } else {
      bits::Copy(chunk->validity->data(), 0, bits, length_, n);
    }
  }
  // Values.
  if (type_ == CellType::kString) {
    int64_t* offsets = values_->mutable_data_as<int64_t>() + length_;
    if (chunk->type == CellType::kNull) {
      for (int64_t i = 1; i <= n; ++i) offsets[i] = data_size_;
    } else {
      const int64_t bytes = chunk->data_bytes;
      if (data_ == nullptr) data_ = Buffer::Allocate(std::max<int64_t>(bytes, 1024));
      if (data_size_ + bytes > data_->size()) {
        data_->Resize(std::max(data_size_ + bytes, data_->size() * 2));
      }
      std::memcpy(data_->mutable_data() + data_size_, chunk->data->data(),
                  static_cast<size_t>(bytes));
      const int64_t* src = chunk->values->data_as<int64_t>();
      for (int64_t i = 1; i <= n; ++i) offsets[i] = data_size_ + src[i];
      data_size_ += bytes;
    }
  } else if (type_ != CellType::kNull) {
    const int64_t width = Width(type_);
    uint8_t* dst = values_->mutable_data() + length_ * width;
    if (chunk->type == CellType::kNull) {
      std::memset(dst, 0, static_cast<size_t>(n * width));
    } else if (chunk->type == CellType::kInt64 && type_ == CellType::kFloat64) {
      const int64_t* src = chunk->values->data_as<int64_t>();
      double* out = reinterpret_cast<double*>(dst);
      for (int64_t i = 0; i < n; ++i) out[i] = static_cast<double>(src[i]);
    } else {
      std::memcpy(dst, chunk->values->data(), static_cast<size_t>(n * width));
    }
  }
  length_ += n;
  null_count_ += chunk->null_count;
  chunk->Release(pool);
}

Column ColumnAccumulator::Finish() {
  if (type_ == CellType::kNull) {
    // No value at all: a string column of nulls.
    const int64_t rows = length_;
    WidenTo(CellType::kString);
    length_ = rows;
  }
  if (type_ == CellType::kString) {
    if (values_ == nullptr) {
      Reserve(0);
      values_->mutable_data_as<int64_t>()[0] = 0;
    }
    if (data_ == nullptr) data_ = Buffer::Allocate(0);
    data_->Resize(data_size_);
    values_->Resize((length_ + 1) * 8);
  } else {
    values_->Resize(length_ * Width(type_));
  }
  if (validity_ != nullptr) {
    if (null_count_ == 0) {
      validity_.reset();
    } else {
      validity_->Resize(bits::BytesForBits(length_));
    }
  }
  auto column = Column::FromBuffers(ToDataType(type_), length_, std::move(validity_),
                                    std::move(values_), std::move(data_));
  *this = ColumnAccumulator();
  return *std::move(column);
}

}  // namespace keel::csv_internal
