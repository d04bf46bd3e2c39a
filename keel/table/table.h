// Table: a schema plus one Column per field, all of the same length.
#ifndef KEEL_TABLE_TABLE_H_
#define KEEL_TABLE_TABLE_H_

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "keel/base/status.h"
#include "keel/table/column.h"
#include "keel/table/schema.h"

namespace keel {

// Immutable; copies, Slice and SelectColumns share the column buffers (no
// values are copied). Thread-safe for concurrent const use.
class Table {
 public:
  // No columns, no rows.
  Table() = default;

  // Errors: InvalidArgument when the number of columns differs from the
  // schema's fields, a column's type differs from its field's, the columns'
  // lengths differ, or a field that is not nullable has nulls.
  static StatusOr<Table> Make(Schema schema, std::vector<Column> columns);
  // Same, with every field nullable and typed like its column.
  static StatusOr<Table> Make(const std::vector<std::string>& names, std::vector<Column> columns);

  const Schema& schema() const { return schema_; }
  int64_t num_rows() const { return num_rows_; }
  int num_columns() const { return static_cast<int>(columns_.size()); }
  const Column& column(int i) const { return columns_[i]; }
  const std::vector<Column>& columns() const { return columns_; }

  // Errors: NotFound naming the column, with the closest names.
  StatusOr<Column> ColumnByName(std::string_view name) const;

  // Rows [offset, offset + length), clamped to the table.
  Table Slice(int64_t offset, int64_t length) const;

  // The listed rows, in that order (copies). Indices must be in
  // [0, num_rows()).
  Table Take(std::span<const int64_t> rows) const;

  // The named columns in the given order. Errors: NotFound (unknown name),
  // InvalidArgument (a name given twice).
  StatusOr<Table> SelectColumns(const std::vector<std::string>& names) const;

  // Same schema and equal columns (Column::Equals).
  bool Equals(const Table& other) const;

  // The schema and the first `max_rows` rows, one per line, for messages
  // and debugging.
  std::string ToString(int64_t max_rows = 10) const;

 private:
  Schema schema_;
  std::vector<Column> columns_;
  int64_t num_rows_ = 0;
};

}  // namespace keel

#endif  // KEEL_TABLE_TABLE_H_
