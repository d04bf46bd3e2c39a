#include "keel/lake/partition.h"

#include <map>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace keel {
namespace {

std::string EncodeSegmentValue(std::string_view value) {
  std::string out;
  for (unsigned char c : value) {
    const bool plain = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                       c == '.' || c == '_' || c == '-';
    if (plain) {
      out.push_back(static_cast<char>(c));
    } else {
      absl::StrAppendFormat(&out, "%%%02X", c);
    }
  }
  // "." and ".." are not valid key segments; neither is an empty value.
  if (out.empty() || out == "." || out == "..") out = absl::StrCat("%", out, "%");
  return out;
}

// Appends rows `indices` of `column` (or all of it) to `builder`.
void AppendRows(const Column& column, const std::vector<int64_t>* indices, ColumnBuilder& builder) {
  const int64_t n = indices ? static_cast<int64_t>(indices->size()) : column.length();
  builder.Reserve(n);
  for (int64_t k = 0; k < n; ++k) {
    const int64_t i = indices ? (*indices)[k] : k;
    if (column.IsNull(i)) {
      builder.AppendNull();
      continue;
    }
    switch (column.type()) {
      case DataType::kBool:
        builder.AppendBool(column.BoolValues()[i] != 0);
        break;
      case DataType::kInt64:
        builder.AppendInt64(column.Int64Values()[i]);
        break;
      case DataType::kFloat64:
        builder.AppendFloat64(column.Float64Values()[i]);
        break;
      case DataType::kTimestamp:
        builder.AppendTimestamp(column.TimestampValues()[i]);
        break;
      case DataType::kString:
        builder.AppendString(column.StringAt(i));
        break;
    }
  }
}

}  // namespace

Table TakeRows(const Table& table, const std::vector<int64_t>& indices) {
  std::vector<Column> columns;
  for (const Column& column : table.columns()) {
    ColumnBuilder builder(column.type());
    AppendRows(column, &indices, builder);
    columns.push_back(builder.Finish());
  }
  return *Table::Make(table.schema(), std::move(columns));
}

StatusOr<Table> ConcatTables(const std::vector<Table>& tables) {
  if (tables.empty()) return Table();
  const Schema& schema = tables.front().schema();
  std::vector<Column> columns;
  for (int c = 0; c < schema.num_fields(); ++c) {
    ColumnBuilder builder(schema.field(c).type);
    for (const Table& t : tables) {
      if (!(t.schema() == schema)) {
        return absl::InvalidArgumentError(absl::StrCat("cannot concatenate tables with schemas '",
                                                       schema.ToString(), "' and '",
                                                       t.schema().ToString(), "'"));
      }
      AppendRows(t.column(c), nullptr, builder);
    }
    columns.push_back(builder.Finish());
  }
  return Table::Make(schema, std::move(columns));
}

StatusOr<std::vector<Partition>> PartitionTable(const Table& table, const std::string& column,
                                                int64_t max_partitions) {
  KEEL_ASSIGN_OR_RETURN(int index, table.schema().FindIndex(column));
  const Column& key = table.column(index);
  std::map<std::string, std::vector<int64_t>> rows;
  for (int64_t i = 0; i < table.num_rows(); ++i) {
    std::string segment =
        absl::StrCat(EncodeSegmentValue(column), "=",
                     key.IsNull(i) ? "__null__" : EncodeSegmentValue(key.ValueToString(i)));
    auto& list = rows[std::move(segment)];
    list.push_back(i);
    if (static_cast<int64_t>(rows.size()) > max_partitions) {
      return absl::InvalidArgumentError(
          absl::StrCat("partitioning by '", column, "' would make more than ", max_partitions,
                       " partitions; choose a column with fewer distinct values"));
    }
  }
  std::vector<Partition> out;
  for (const auto& [segment, indices] : rows) {
    out.push_back({segment, TakeRows(table, indices)});
  }
  return out;
}

}  // namespace keel
