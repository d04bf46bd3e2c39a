#include "keel/table/table.h"

#include <algorithm>

#include "absl/strings/str_cat.h"

namespace keel {

StatusOr<Table> Table::Make(Schema schema, std::vector<Column> columns) {
  if (static_cast<int>(columns.size()) != schema.num_fields()) {
    return absl::InvalidArgumentError(absl::StrCat("the schema has ", schema.num_fields(),
                                                   " fields but ", columns.size(),
                                                   " columns were given"));
  }
  for (int i = 0; i < schema.num_fields(); ++i) {
    const Field& field = schema.field(i);
    const Column& column = columns[i];
    if (column.type() != field.type) {
      return absl::InvalidArgumentError(
          absl::StrCat("column '", field.name, "' is ", std::string(DataTypeName(column.type())),
                       " but the schema says ", std::string(DataTypeName(field.type))));
    }
    if (column.length() != columns[0].length()) {
      return absl::InvalidArgumentError(
          absl::StrCat("column '", field.name, "' has ", column.length(), " rows but column '",
                       schema.field(0).name, "' has ", columns[0].length()));
    }
    if (!field.nullable && column.null_count() > 0) {
      return absl::InvalidArgumentError(absl::StrCat("column '", field.name, "' has ",
                                                     column.null_count(),
                                                     " nulls but its field is not nullable"));
    }
  }
  Table table;
  table.num_rows_ = columns.empty() ? 0 : columns[0].length();
  table.schema_ = std::move(schema);
  table.columns_ = std::move(columns);
  return table;
}

StatusOr<Table> Table::Make(const std::vector<std::string>& names, std::vector<Column> columns) {
  if (names.size() != columns.size()) {
    return absl::InvalidArgumentError(
        absl::StrCat(names.size(), " names for ", columns.size(), " columns"));
  }
  std::vector<Field> fields;
  fields.reserve(names.size());
  for (size_t i = 0; i < names.size(); ++i) fields.push_back({names[i], columns[i].type(), true});
  KEEL_ASSIGN_OR_RETURN(Schema schema, Schema::Make(std::move(fields)));
  return Make(std::move(schema), std::move(columns));
}

StatusOr<Column> Table::ColumnByName(std::string_view name) const {
  KEEL_ASSIGN_OR_RETURN(int index, schema_.FindIndex(name));
  return columns_[index];
}

Table Table::Slice(int64_t offset, int64_t length) const {
  offset = std::clamp<int64_t>(offset, 0, num_rows_);
  length = std::clamp<int64_t>(length, 0, num_rows_ - offset);
  Table out;
  out.schema_ = schema_;
  out.num_rows_ = length;
  out.columns_.reserve(columns_.size());
  for (const Column& column : columns_) out.columns_.push_back(column.Slice(offset, length));
  return out;
}

namespace {

Column TakeColumn(const Column& column, std::span<const int64_t> rows) {
  ColumnBuilder builder(column.type());
  builder.Reserve(static_cast<int64_t>(rows.size()));
  for (int64_t row : rows) {
    if (column.IsNull(row)) {
      builder.AppendNull();
      continue;
    }
    switch (column.type()) {
      case DataType::kBool:
        builder.AppendBool(column.BoolValues()[row] != 0);
        break;
      case DataType::kInt64:
        builder.AppendInt64(column.Int64Values()[row]);
        break;
      case DataType::kFloat64:
        builder.AppendFloat64(column.Float64Values()[row]);
        break;
      case DataType::kTimestamp:
        builder.AppendTimestamp(TimestampMicros{column.TimestampValues()[row]});
        break;
      case DataType::kString:
        builder.AppendString(column.StringAt(row));
        break;
    }
  }
  return builder.Finish();
}

}  // namespace

Table Table::Take(std::span<const int64_t> rows) const {
  Table out;
  out.schema_ = schema_;
  out.num_rows_ = static_cast<int64_t>(rows.size());
  out.columns_.reserve(columns_.size());
  for (const Column& column : columns_) out.columns_.push_back(TakeColumn(column, rows));
  return out;
}

StatusOr<Table> Table::SelectColumns(const std::vector<std::string>& names) const {
  std::vector<Field> fields;
  std::vector<Column> columns;
  for (const std::string& name : names) {
    KEEL_ASSIGN_OR_RETURN(int index, schema_.FindIndex(name));
    fields.push_back(schema_.field(index));
    columns.push_back(columns_[index]);
  }
  KEEL_ASSIGN_OR_RETURN(Schema schema, Schema::Make(std::move(fields)));
  Table out;
  out.schema_ = std::move(schema);
  out.columns_ = std::move(columns);
  out.num_rows_ = num_rows_;
  return out;
}

bool Table::Equals(const Table& other) const {
  if (!(schema_ == other.schema_) || num_rows_ != other.num_rows_) return false;
  for (size_t i = 0; i < columns_.size(); ++i) {
    if (!columns_[i].Equals(other.columns_[i])) return false;
  }
  return true;
}

std::string Table::ToString(int64_t max_rows) const {
  std::string out =
      absl::StrCat(num_rows_, " rows x ", columns_.size(), " columns (", schema_.ToString(), ")\n");
  const int64_t shown = std::min(max_rows, num_rows_);
  for (int64_t row = 0; row < shown; ++row) {
    for (size_t c = 0; c < columns_.size(); ++c) {
      if (c > 0) out += " | ";
      out += columns_[c].ValueToString(row);
    }
    out += "\n";
  }
  if (shown < num_rows_) absl::StrAppend(&out, "... ", num_rows_ - shown, " more rows\n");
  return out;
}

}  // namespace keel
