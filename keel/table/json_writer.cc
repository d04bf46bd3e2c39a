#include "keel/table/json_writer.h"

#include <charconv>
#include <cmath>
#include <string_view>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "keel/base/files.h"
#include "keel/base/json_string.h"
#include "keel/base/time.h"

namespace keel {
namespace {

// Whether the value is written as null: a null, or a NaN or infinity.
bool IsJsonNull(const Column& column, int64_t row) {
  return column.IsNull(row) ||
         (column.type() == DataType::kFloat64 && !std::isfinite(column.Float64Values()[row]));
}

void AppendValue(const Column& column, int64_t row, std::string* out) {
  if (IsJsonNull(column, row)) {
    out->append("null");
    return;
  }
  char buffer[32];
  switch (column.type()) {
    case DataType::kBool:
      out->append(column.BoolValues()[row] ? "true" : "false");
      return;
    case DataType::kInt64: {
      const auto result = std::to_chars(buffer, buffer + sizeof(buffer), column.Int64Values()[row]);
      out->append(buffer, result.ptr);
      return;
    }
    case DataType::kFloat64: {
      const double value = column.Float64Values()[row];
      const auto result = std::to_chars(buffer, buffer + sizeof(buffer), value);
      const std::string_view text(buffer, static_cast<size_t>(result.ptr - buffer));
      out->append(text);
      if (text.find_first_of(".e") == std::string_view::npos) out->append(".0");
      return;
    }
    case DataType::kString:
      AppendJsonString(column.StringAt(row), out);
      return;
    case DataType::kTimestamp:
      out->push_back('"');
      out->append(FormatRfc3339(column.TimestampValues()[row]));
      out->push_back('"');
      return;
  }
}

// A key of the output objects: a column (`column` >= 0) or a parent of
// nested keys.
struct Node {
  std::string key;
  int column = -1;
  std::vector<Node> children;
  absl::flat_hash_map<std::string, int> index;
};

StatusOr<Node> BuildTree(const Schema& schema, bool nest) {
  Node root;
  for (int c = 0; c < schema.num_fields(); ++c) {
    const std::string& name = schema.field(c).name;
    std::vector<std::string> parts;
    if (nest) {
      size_t start = 0;
      for (;;) {
        const size_t dot = name.find('.', start);
        parts.push_back(name.substr(start, dot - start));
        if (dot == std::string::npos) break;
        start = dot + 1;
      }
    } else {
      parts.push_back(name);
    }
    Node* node = &root;
    for (size_t p = 0; p < parts.size(); ++p) {
      if (nest && parts[p].empty()) {
        return absl::InvalidArgumentError(absl::StrCat(
            "column '", name,
            "' has an empty part between dots; it cannot be nested (write flat keys)"));
      }
      auto [it, inserted] =
          node->index.try_emplace(parts[p], static_cast<int>(node->children.size()));
      if (inserted) {
        node->children.emplace_back();
        node->children.back().key = parts[p];
      }
      Node* child = &node->children[it->second];
      const bool last = p + 1 == parts.size();
      if ((last && (!inserted)) || (!last && child->column >= 0)) {
        return absl::InvalidArgumentError(absl::StrCat(
            "column '", name, "' clashes with another column when dotted names are nested ('",
            parts[p], "' is both a value and an object); write flat keys instead"));
      }
      if (last) child->column = c;
      node = child;
    }
  }
  return root;
}

bool HasValue(const Table& table, const Node& node, int64_t row) {
  if (node.column >= 0) return !IsJsonNull(table.column(node.column), row);
  for (const Node& child : node.children) {
    if (HasValue(table, child, row)) return true;
  }
  return false;
}

void AppendObject(const Table& table, const Node& node, int64_t row, bool write_nulls,
                  std::string* out) {
  out->push_back('{');
  bool first = true;
  for (const Node& child : node.children) {
    if (!write_nulls && !HasValue(table, child, row)) continue;
    if (!first) out->push_back(',');
    first = false;
    AppendJsonString(child.key, out);
    out->push_back(':');
    if (child.column >= 0) {
      AppendValue(table.column(child.column), row, out);
    } else {
      AppendObject(table, child, row, write_nulls, out);
    }
  }
  out->push_back('}');
}

}  // namespace

StatusOr<std::string> WriteJsonLinesToString(const Table& table, const JsonWriteOptions& options) {
  KEEL_ASSIGN_OR_RETURN(Node root, BuildTree(table.schema(), options.nest_dotted_names));
  std::string out;
  for (int64_t row = 0; row < table.num_rows(); ++row) {
    AppendObject(table, root, row, options.write_nulls, &out);
    out.push_back('\n');
  }
  return out;
}

Status WriteJsonLines(const Table& table, const std::string& path,
                      const JsonWriteOptions& options) {
  KEEL_ASSIGN_OR_RETURN(std::string text, WriteJsonLinesToString(table, options));
  return WriteFileAtomic(path, text);
}

}  // namespace keel
