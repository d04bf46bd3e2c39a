// Internal to the CSV reader: one output column, grown batch after batch
// from the converted chunks, widening what it holds as types widen.
#ifndef KEEL_TABLE_CSV_COLUMN_ACCUMULATOR_H_
#define KEEL_TABLE_CSV_COLUMN_ACCUMULATOR_H_

#include <cstdint>
#include <memory>

#include "keel/table/buffer.h"
#include "keel/table/column.h"
#include "keel/table/csv_convert.h"

namespace keel::csv_internal {

// Buffers grow by doubling with realloc, which moves large blocks by
// remapping pages rather than copying them, and untouched capacity costs no
// memory; so the column is built in place, with no final concatenation.
// Not thread-safe.
class ColumnAccumulator {
 public:
  CellType type() const { return type_; }
  int64_t length() const { return length_; }

  // Converts what is held so far to `type`; requires
  // CanWidenWithoutText(type(), type).
  void WidenTo(CellType type);

  // Appends the chunk's values; requires CanWidenWithoutText(chunk.type,
  // type()). Releases the chunk's buffers to `pool` (may be null).
  void Append(ColumnChunk* chunk, BufferPool* pool);

  // The column (a kNull accumulator gives a string column of nulls); the
  // accumulator is left empty.
  Column Finish();

 private:
  void Reserve(int64_t values);
  void EnsureValidity();

  CellType type_ = CellType::kNull;
  int64_t length_ = 0;
  int64_t capacity_ = 0;  // values (and validity bits) allocated
  int64_t null_count_ = 0;
  int64_t data_size_ = 0;             // string bytes used
  std::unique_ptr<Buffer> validity_;  // only once a null was appended
  std::unique_ptr<Buffer> values_;    // not for kNull
  std::unique_ptr<Buffer> data_;      // kString
};

}  // namespace keel::csv_internal

#endif  // KEEL_TABLE_CSV_COLUMN_ACCUMULATOR_H_
