#include "keel/table/column.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "absl/strings/str_cat.h"

namespace keel {
namespace {

int64_t ValueWidth(DataType type) { return type == DataType::kBool ? 1 : 8; }

// Bytes the values buffer needs for `length` values starting at 0.
int64_t ValuesBytes(DataType type, int64_t length) {
  return type == DataType::kString ? (length + 1) * 8 : length * ValueWidth(type);
}

std::shared_ptr<const Buffer> EmptyValues(DataType type) {
  auto buffer = Buffer::AllocateZeroed(ValuesBytes(type, 0));
  return std::shared_ptr<const Buffer>(std::move(buffer));
}

}  // namespace

Column::Column() : values_(EmptyValues(DataType::kInt64)) {}

StatusOr<Column> Column::FromBuffers(DataType type, int64_t length,
                                     std::shared_ptr<const Buffer> validity,
                                     std::shared_ptr<const Buffer> values,
                                     std::shared_ptr<const Buffer> string_data) {
  const std::string what =
      absl::StrCat(std::string(DataTypeName(type)), " column of ", length, " values: ");
  if (length < 0) return absl::InvalidArgumentError(what + "negative length");
  if (values == nullptr || values->size() < ValuesBytes(type, length)) {
    return absl::InvalidArgumentError(what + "values buffer missing or too small");
  }
  if (validity != nullptr && validity->size() < bits::BytesForBits(length)) {
    return absl::InvalidArgumentError(what + "validity bitmap too small");
  }
  if (type == DataType::kString) {
    if (string_data == nullptr) return absl::InvalidArgumentError(what + "string data missing");
    const int64_t* offsets = values->data_as<int64_t>();
    if (offsets[0] < 0) return absl::InvalidArgumentError(what + "negative string offset");
    for (int64_t i = 0; i < length; ++i) {
      if (offsets[i + 1] < offsets[i]) {
        return absl::InvalidArgumentError(what + "string offsets decrease");
      }
    }
    if (offsets[length] > string_data->size()) {
      return absl::InvalidArgumentError(what + "string offsets past the string data");
    }
  }
  Column column;
  column.type_ = type;
  column.length_ = length;
  column.validity_ = std::move(validity);
  column.values_ = std::move(values);
  column.data_ = std::move(string_data);
  column.null_count_ = column.validity_ == nullptr
                           ? 0
                           : length - bits::CountSet(column.validity_->data(), 0, length);
  return column;
}

void Column::CheckType(DataType expected, const char* accessor) const {
  if (type_ == expected) return;
  std::fprintf(stderr, "keel: Column::%s called on a %s column\n", accessor,
               std::string(DataTypeName(type_)).c_str());
  std::abort();
}

std::span<const uint8_t> Column::BoolValues() const {
  CheckType(DataType::kBool, "BoolValues");
  return {values_->data() + offset_, static_cast<size_t>(length_)};
}

std::span<const int64_t> Column::Int64Values() const {
  CheckType(DataType::kInt64, "Int64Values");
  return {values_->data_as<int64_t>() + offset_, static_cast<size_t>(length_)};
}

std::span<const double> Column::Float64Values() const {
  CheckType(DataType::kFloat64, "Float64Values");
  return {values_->data_as<double>() + offset_, static_cast<size_t>(length_)};
}

std::span<const int64_t> Column::TimestampValues() const {
  CheckType(DataType::kTimestamp, "TimestampValues");
  return {values_->data_as<int64_t>() + offset_, static_cast<size_t>(length_)};
}

std::span<const int64_t> Column::StringOffsets() const {
  CheckType(DataType::kString, "StringOffsets");
  return {StringOffsetsPtr(), static_cast<size_t>(length_ + 1)};
}

std::string_view Column::StringData() const {
  CheckType(DataType::kString, "StringData");
  return {reinterpret_cast<const char*>(data_->data()), static_cast<size_t>(data_->size())};
}

Column Column::Slice(int64_t offset, int64_t length) const {
  offset = std::clamp<int64_t>(offset, 0, length_);
  length = std::clamp<int64_t>(length, 0, length_ - offset);
  Column out = *this;
  out.offset_ = offset_ + offset;
  out.length_ = length;
  out.null_count_ =
      validity_ == nullptr ? 0 : length - bits::CountSet(validity_->data(), out.offset_, length);
  return out;
}

bool Column::Equals(const Column& other) const {
  if (type_ != other.type_ || length_ != other.length_ || null_count_ != other.null_count_) {
    return false;
  }
  for (int64_t i = 0; i < length_; ++i) {
    const bool null = IsNull(i);
    if (null != other.IsNull(i)) return false;
    if (null) continue;
    switch (type_) {
      case DataType::kBool:
        if (BoolValues()[i] != other.BoolValues()[i]) return false;
        break;
      case DataType::kInt64:
      case DataType::kTimestamp: {
        const int64_t* a = values_->data_as<int64_t>() + offset_;
        const int64_t* b = other.values_->data_as<int64_t>() + other.offset_;
        if (a[i] != b[i]) return false;
        break;
      }
      case DataType::kFloat64: {
        const double a = Float64Values()[i], b = other.Float64Values()[i];
        if (a != b && !(std::isnan(a) && std::isnan(b))) return false;
        break;
      }
      case DataType::kString:
        if (StringAt(i) != other.StringAt(i)) return false;
        break;
    }
  }
  return true;
}

std::string Column::ValueToString(int64_t i) const {
  if (IsNull(i)) return "null";
  switch (type_) {
    case DataType::kBool:
      return BoolValues()[i] ? "true" : "false";
    case DataType::kInt64:
      return absl::StrCat(Int64Values()[i]);
    case DataType::kFloat64: {
      char buffer[32];
      auto result = std::to_chars(buffer, buffer + sizeof(buffer), Float64Values()[i]);
      return std::string(buffer, result.ptr);
    }
    case DataType::kString:
      return std::string(StringAt(i));
    case DataType::kTimestamp:
      return FormatRfc3339(TimestampValues()[i]);
  }
  return "";
}

ColumnBuilder::ColumnBuilder(DataType type) : type_(type) {
  values_ = Buffer::Allocate(ValuesBytes(type, 0));
  if (type_ == DataType::kString) {
    values_->mutable_data_as<int64_t>()[0] = 0;
    data_ = Buffer::Allocate(0);
  }
}

void ColumnBuilder::CheckType(DataType expected, const char* method) const {
  if (type_ == expected) return;
  std::fprintf(stderr, "keel: ColumnBuilder::%s called on a %s builder\n", method,
               std::string(DataTypeName(type_)).c_str());
  std::abort();
}

void ColumnBuilder::Reserve(int64_t n, int64_t string_bytes) {
  if (length_ + n > capacity_) Grow(length_ + n);
  if (type_ == DataType::kString && string_bytes_ + string_bytes > data_->size()) {
    data_->Resize(string_bytes_ + string_bytes);
  }
}

void ColumnBuilder::Grow(int64_t min_values) {
  int64_t capacity = std::max<int64_t>({min_values, capacity_ * 2, 16});
  values_->Resize(ValuesBytes(type_, capacity));
  if (validity_ != nullptr) validity_->Resize(bits::BytesForBits(capacity));
  capacity_ = capacity;
}

void ColumnBuilder::MarkValid() {
  if (validity_ != nullptr) bits::Set(validity_->mutable_data(), length_);
}

void ColumnBuilder::AppendNull() {
  if (length_ == capacity_) Grow(length_ + 1);
  if (validity_ == nullptr) {
    validity_ = Buffer::Allocate(bits::BytesForBits(capacity_));
    bits::Fill(validity_->mutable_data(), 0, length_, true);
  }
  bits::Clear(validity_->mutable_data(), length_);
  switch (type_) {
    case DataType::kBool:
      values_->mutable_data()[length_] = 0;
      break;
    case DataType::kString:
      values_->mutable_data_as<int64_t>()[length_ + 1] = string_bytes_;
      break;
    default:
      std::memset(values_->mutable_data() + length_ * 8, 0, 8);
  }
  ++null_count_;
  ++length_;
}

void ColumnBuilder::AppendBool(bool value) {
  CheckType(DataType::kBool, "AppendBool");
  if (length_ == capacity_) Grow(length_ + 1);
  MarkValid();
  values_->mutable_data()[length_++] = value ? 1 : 0;
}

void ColumnBuilder::AppendInt64(int64_t value) {
  CheckType(DataType::kInt64, "AppendInt64");
  if (length_ == capacity_) Grow(length_ + 1);
  MarkValid();
  values_->mutable_data_as<int64_t>()[length_++] = value;
}

void ColumnBuilder::AppendFloat64(double value) {
  CheckType(DataType::kFloat64, "AppendFloat64");
  if (length_ == capacity_) Grow(length_ + 1);
  MarkValid();
  values_->mutable_data_as<double>()[length_++] = value;
}

void ColumnBuilder::AppendTimestamp(TimestampMicros value) {
  CheckType(DataType::kTimestamp, "AppendTimestamp");
  if (length_ == capacity_) Grow(length_ + 1);
  MarkValid();
  values_->mutable_data_as<int64_t>()[length_++] = value;
}

void ColumnBuilder::AppendString(std::string_view value) {
  CheckType(DataType::kString, "AppendString");
  if (length_ == capacity_) Grow(length_ + 1);
  const int64_t needed = string_bytes_ + static_cast<int64_t>(value.size());
  if (needed > data_->size()) data_->Resize(std::max<int64_t>(needed, data_->size() * 2));
  std::memcpy(data_->mutable_data() + string_bytes_, value.data(), value.size());
  string_bytes_ = needed;
  MarkValid();
  values_->mutable_data_as<int64_t>()[++length_] = string_bytes_;
}

Column ColumnBuilder::Finish() {
  Column column;
  column.type_ = type_;
  column.length_ = length_;
  column.null_count_ = null_count_;
  column.validity_ = std::move(validity_);
  column.values_ = std::move(values_);
  if (type_ == DataType::kString) {
    data_->Resize(string_bytes_);
    column.data_ = std::move(data_);
  }
  *this = ColumnBuilder(type_);
  return column;
}

Column NullColumn(DataType type, int64_t length) {
  ColumnBuilder builder(type);
  builder.Reserve(length);
  for (int64_t i = 0; i < length; ++i) builder.AppendNull();
  return builder.Finish();
}

}  // namespace keel
