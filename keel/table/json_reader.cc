// Reading JSON Lines: the input split into chunks parsed in parallel
// (json_chunk_parser.h), their columns unified into one schema and built.
#include "keel/table/json_reader.h"

#include <algorithm>
#include <cstring>
#include <memory>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "keel/base/suggest.h"
#include "keel/table/column.h"
#include "keel/table/csv_convert.h"
#include "keel/table/input_stream.h"
#include "keel/table/json_chunk_parser.h"
#include "keel/table/parallel.h"
#include "keel/table/timestamp_offsets.h"
#include "simdjson.h"

namespace keel {
namespace {

using csv_internal::CellType;
using json_internal::Cell;
using json_internal::CellText;
using json_internal::Chunk;
using json_internal::ChunkColumn;
using json_internal::Printable;

// Appends `cell` to `builder` (of type `type`); false when it does not fit.
// For a timestamp, *naive tells whether it was written without a UTC offset.
bool AppendCell(const Cell& cell, CellType type, const TimeZone& zone, ColumnBuilder* builder,
                bool* naive) {
  const bool text = cell.type == CellType::kString || cell.is_string;
  switch (type) {
    case CellType::kString:
      builder->AppendString(CellText(cell));
      return true;
    case CellType::kBool: {
      uint8_t b = 0;
      if (cell.type == CellType::kBool) {
        builder->AppendBool(cell.i != 0);
      } else if (text && csv_internal::ParseBoolCell(cell.text.data(), cell.text.size(), &b)) {
        builder->AppendBool(b != 0);
      } else {
        return false;
      }
      return true;
    }
    case CellType::kInt64: {
      int64_t i = 0;
      if (cell.type == CellType::kInt64) {
        builder->AppendInt64(cell.i);
      } else if (text && csv_internal::ParseInt64Cell(cell.text.data(), cell.text.size(), &i) ==
                             csv_internal::IntParse::kOk) {
        builder->AppendInt64(i);
      } else {
        return false;
      }
      return true;
    }
    case CellType::kFloat64: {
      double d = 0;
      if (cell.type == CellType::kFloat64) {
        builder->AppendFloat64(cell.d);
      } else if (cell.type == CellType::kInt64) {
        builder->AppendFloat64(static_cast<double>(cell.i));
      } else if (text && csv_internal::ParseFloat64Cell(cell.text.data(), cell.text.size(), &d)) {
        builder->AppendFloat64(d);
      } else {
        return false;
      }
      return true;
    }
    case CellType::kTimestamp: {
      TimestampMicros t = 0;
      bool has_offset = false;
      if (cell.type == CellType::kTimestamp) {
        builder->AppendTimestamp(cell.i);
        *naive = cell.naive;
      } else if (text && TryParseTimestamp(cell.text, zone, &t, &has_offset)) {
        builder->AppendTimestamp(t);
        *naive = !has_offset;
      } else {
        return false;
      }
      return true;
    }
    case CellType::kNull:
      break;
  }
  return false;
}

// A value that does not fit its column's type, or (mixed_offsets) the value
// that made a timestamp column mix times with and without a UTC offset.
struct BuildFailure {
  int chunk = -1;
  int64_t row = 0;
  std::string value;
  bool mixed_offsets = false;
};

class JsonLinesReader {
 public:
  JsonLinesReader(const JsonReadOptions& options, std::string name)
      : options_(options), name_(std::move(name)), na_(options.na_values) {}

  StatusOr<Table> Read(InputStream* input) {
    // The whole input, with simdjson's padding readable past its end.
    std::string text;
    size_t size = 0;
    for (;;) {
      if (text.size() < size + (1 << 20) + simdjson::SIMDJSON_PADDING) {
        text.resize(std::max(text.size() * 2, size + (1 << 20) + simdjson::SIMDJSON_PADDING));
      }
      KEEL_ASSIGN_OR_RETURN(size_t n, input->Read(text.data() + size,
                                                  text.size() - size - simdjson::SIMDJSON_PADDING));
      if (n == 0) break;
      size += n;
    }
    size_t start = 0;
    if (size >= 3 && std::string_view(text.data(), 3) == "\xEF\xBB\xBF") start = 3;
    return Parse(text.data() + start, text.data() + size);
  }

 private:
  StatusOr<Table> Parse(const char* begin, const char* end) {
    table_internal::Parallel parallel(options_.num_threads);
    // Chunks start at line starts; JSON Lines has no record over two lines.
    const int64_t size = end - begin;
    const int64_t wanted =
        std::max<int64_t>(1, std::min<int64_t>(4 * parallel.threads(), size / (64 << 10) + 1));
    std::vector<const char*> bounds = {begin};
    for (int64_t i = 1; i < wanted; ++i) {
      const char* at = std::max(begin + size * i / wanted, bounds.back());
      const char* nl = static_cast<const char*>(std::memchr(at, '\n', end - at));
      if (nl == nullptr) break;
      if (nl + 1 > bounds.back()) bounds.push_back(nl + 1);
    }
    bounds.push_back(end);
    std::vector<Chunk> chunks(bounds.size() - 1);
    parallel.For(static_cast<int64_t>(chunks.size()), [&](int64_t c) {
      json_internal::ParseChunk(options_, na_, bounds[c], bounds[c + 1], &chunks[c]);
    });

    int64_t line_base = 0;
    for (const Chunk& chunk : chunks) {
      if (chunk.error.line >= 0) {
        return Status(chunk.error.code,
                      absl::StrCat(name_, ":", line_base + chunk.error.line + 1, ":",
                                   chunk.error.column, ": ", chunk.error.what));
      }
      line_base += chunk.lines;
    }

    // The schema: names in order of first appearance; chunk order is file
    // order, so this is deterministic whatever the threads did.
    std::vector<std::string> names;
    absl::flat_hash_map<std::string, int> index;
    std::vector<std::vector<std::pair<int, int>>> parts;  // (chunk, chunk column)
    int64_t rows = 0;
    std::vector<int64_t> row_base, chunk_line_base;
    line_base = 0;
    for (int c = 0; c < static_cast<int>(chunks.size()); ++c) {
      row_base.push_back(rows);
      chunk_line_base.push_back(line_base);
      rows += static_cast<int64_t>(chunks[c].row_lines.size());
      line_base += chunks[c].lines;
      for (int k = 0; k < static_cast<int>(chunks[c].names.size()); ++k) {
        auto [it, inserted] = index.try_emplace(chunks[c].names[k], static_cast<int>(names.size()));
        if (inserted) {
          names.push_back(chunks[c].names[k]);
          parts.emplace_back();
        }
        parts[it->second].emplace_back(c, k);
      }
    }
    if (rows == 0) {
      return absl::InvalidArgumentError(
          absl::StrCat(name_,
                       ":1:1: empty input: no JSON object (JSON Lines needs one object per "
                       "line, e.g. {\"a\": 1})"));
    }

    std::vector<CellType> types(names.size(), CellType::kNull);
    std::vector<bool> fixed(names.size(), false);
    for (const auto& [name, type] : options_.schema_override) {
      const auto it = index.find(name);
      if (it == index.end() && options_.schema_override_may_name_missing_columns) continue;
      if (it == index.end()) {
        return absl::InvalidArgumentError(absl::StrCat(
            name_, ": schema_override names column '", name, "', which the file does not have (",
            names.size() <= 20 ? absl::StrJoin(names, ", ")
                               : absl::StrCat(names.size(), " columns"),
            ").", DidYouMean(name, names)));
      }
      types[it->second] = csv_internal::FromDataType(type);
      fixed[it->second] = true;
    }
    for (size_t k = 0; k < names.size(); ++k) {
      if (fixed[k]) continue;
      for (const auto& [c, local] : parts[k]) {
        types[k] = csv_internal::Join(types[k], chunks[c].columns[local].type);
      }
      if (types[k] == CellType::kNull) types[k] = CellType::kString;
    }

    std::vector<Column> columns(names.size());
    std::vector<BuildFailure> failures(names.size());
    std::vector<table_internal::TimestampOffsetCheck> offset_checks(names.size());
    parallel.For(static_cast<int64_t>(names.size()), [&](int64_t k) {
      ColumnBuilder builder(csv_internal::ToDataType(types[k]));
      builder.Reserve(rows);
      int64_t at = 0;  // rows appended
      for (const auto& [c, local] : parts[k]) {
        const ChunkColumn& column = chunks[c].columns[local];
        for (size_t j = 0; j < column.rows.size(); ++j) {
          const int64_t row = row_base[c] + column.rows[j];
          for (; at < row; ++at) builder.AppendNull();
          bool naive = false;
          if (!AppendCell(column.cells[j], types[k], options_.timezone, &builder, &naive)) {
            failures[k] = {c, column.rows[j], CellText(column.cells[j])};
            return;
          }
          ++at;
          if (types[k] != CellType::kTimestamp || !offset_checks[k].Wants(!naive)) continue;
          const int64_t line = chunk_line_base[c] + chunks[c].row_lines[column.rows[j]] + 1;
          offset_checks[k].Note(!naive, {CellText(column.cells[j]), line, 1});
          if (offset_checks[k].mixed()) {
            failures[k] = {c, column.rows[j], CellText(column.cells[j]), true};
            return;
          }
        }
      }
      for (; at < rows; ++at) builder.AppendNull();
      columns[k] = builder.Finish();
    });
    // The failure on the earliest line (then the leftmost column) is reported.
    int worst = -1;
    int64_t worst_line = 0;
    for (int k = 0; k < static_cast<int>(names.size()); ++k) {
      if (failures[k].chunk < 0) continue;
      const Chunk& chunk = chunks[failures[k].chunk];
      const int64_t line = chunk_line_base[failures[k].chunk] + chunk.row_lines[failures[k].row];
      if (worst < 0 || line < worst_line) {
        worst = k;
        worst_line = line;
      }
    }
    if (worst >= 0 && failures[worst].mixed_offsets) {
      return offset_checks[worst].Error(name_, absl::StrCat("key '", names[worst], "'"),
                                        options_.timezone);
    }
    if (worst >= 0) {
      return absl::InvalidArgumentError(absl::StrCat(
          name_, ":", worst_line + 1, ":1: value '", Printable(failures[worst].value), "' of key '",
          names[worst], "' is not a valid ", csv_internal::CellTypeName(types[worst]),
          " (the column's type is fixed by schema_override); fix the value, add it to "
          "na_values if it means null, or override the column as string"));
    }
    return Table::Make(names, std::move(columns));
  }

  const JsonReadOptions& options_;
  const std::string name_;
  const csv_internal::NaMatcher na_;
};

Status CheckOptions(const JsonReadOptions& options) {
  if (options.num_threads < 0 || options.max_depth < 0) {
    return absl::InvalidArgumentError(absl::StrCat("JsonReadOptions: num_threads (",
                                                   options.num_threads, ") and max_depth (",
                                                   options.max_depth, ") must be >= 0"));
  }
  return absl::OkStatus();
}

}  // namespace

StatusOr<Table> ReadJsonLines(const std::string& path, const JsonReadOptions& options) {
  KEEL_RETURN_IF_ERROR(CheckOptions(options));
  KEEL_ASSIGN_OR_RETURN(std::unique_ptr<InputStream> input, OpenInputFile(path));
  return JsonLinesReader(options, path).Read(input.get());
}

StatusOr<Table> ReadJsonLinesFromString(std::string_view text, const JsonReadOptions& options,
                                        const std::string& name) {
  KEEL_RETURN_IF_ERROR(CheckOptions(options));
  std::unique_ptr<InputStream> input = OpenInputString(text, name);
  return JsonLinesReader(options, name).Read(input.get());
}

}  // namespace keel
