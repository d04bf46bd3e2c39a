#include "keel/features/gather.h"

#include <cstring>
#include <memory>

#include "keel/table/buffer.h"

namespace keel::features {
namespace {

constexpr int64_t kMinBytesPerChunk = 2048;  // of validity: 16384 rows

// Fills `validity` (zeroed, rows.size() bits) and the values of fixed width
// T. Chunks are whole validity bytes, so threads never share a byte.
template <typename T>
void GatherFixed(const Column& column, std::span<const T> values, std::span<const int64_t> rows,
                 uint8_t* validity, T* out, ThreadPool& pool) {
  const int64_t n = static_cast<int64_t>(rows.size());
  pool.ParallelFor(bits::BytesForBits(n), kMinBytesPerChunk, [&](int64_t b0, int64_t b1) {
    const int64_t end = std::min(n, b1 * 8);
    for (int64_t i = b0 * 8; i < end; ++i) {
      const int64_t row = rows[i];
      if (row >= 0 && column.IsValid(row)) {
        out[i] = values[row];
        bits::Set(validity, i);
      } else {
        out[i] = T{};
      }
    }
  });
}

}  // namespace

Column GatherOrNull(const Column& column, std::span<const int64_t> rows, ThreadPool& pool) {
  const int64_t n = static_cast<int64_t>(rows.size());
  std::shared_ptr<Buffer> validity =
      Buffer::AllocateZeroed(std::max<int64_t>(1, bits::BytesForBits(n)));
  uint8_t* valid = validity->mutable_data();
  std::shared_ptr<Buffer> values;
  std::shared_ptr<Buffer> data;
  switch (column.type()) {
    case DataType::kBool:
      values = Buffer::Allocate(std::max<int64_t>(1, n));
      GatherFixed<uint8_t>(column, column.BoolValues(), rows, valid, values->mutable_data(), pool);
      break;
    case DataType::kInt64:
      values = Buffer::Allocate(std::max<int64_t>(1, n) * 8);
      GatherFixed<int64_t>(column, column.Int64Values(), rows, valid,
                           values->mutable_data_as<int64_t>(), pool);
      break;
    case DataType::kTimestamp:
      values = Buffer::Allocate(std::max<int64_t>(1, n) * 8);
      GatherFixed<int64_t>(column, column.TimestampValues(), rows, valid,
                           values->mutable_data_as<int64_t>(), pool);
      break;
    case DataType::kFloat64:
      values = Buffer::Allocate(std::max<int64_t>(1, n) * 8);
      GatherFixed<double>(column, column.Float64Values(), rows, valid,
                          values->mutable_data_as<double>(), pool);
      break;
    case DataType::kString: {
      values = Buffer::Allocate((n + 1) * 8);
      int64_t* offsets = values->mutable_data_as<int64_t>();
      int64_t total = 0;
      for (int64_t i = 0; i < n; ++i) {
        offsets[i] = total;
        const int64_t row = rows[i];
        if (row >= 0 && column.IsValid(row)) {
          bits::Set(valid, i);
          total += static_cast<int64_t>(column.StringAt(row).size());
        }
      }
      offsets[n] = total;
      data = Buffer::Allocate(std::max<int64_t>(1, total));
      char* bytes = reinterpret_cast<char*>(data->mutable_data());
      pool.ParallelFor(n, 16384, [&](int64_t begin, int64_t end) {
        for (int64_t i = begin; i < end; ++i) {
          if (!bits::Get(valid, i)) continue;
          const std::string_view s = column.StringAt(rows[i]);
          if (!s.empty()) std::memcpy(bytes + offsets[i], s.data(), s.size());
        }
      });
      break;
    }
  }
  StatusOr<Column> out = Column::FromBuffers(column.type(), n, std::move(validity),
                                             std::move(values), std::move(data));
  // The buffers are built above to the sizes FromBuffers checks.
  return *std::move(out);
}

}  // namespace keel::features
