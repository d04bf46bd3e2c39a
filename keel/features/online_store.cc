#include "keel/features/online_store.h"

#include <algorithm>
#include <charconv>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "keel/base/suggest.h"

namespace keel::features {
namespace {

// Row encoding (EncodeRow): byte kRowMagic, int64 event time (little-endian
// as in memory; the store never leaves the machine's byte order family:
// x86-64 and arm64 are both little-endian), uint16 entry count, then per
// entry: uint8 name length, the name, uint8 type (DataType, or kNullTag),
// and the value: 1 byte (bool), 8 bytes (int64, float64, timestamp) or
// uint32 length + bytes (string).
constexpr uint8_t kRowMagic = 0xB1;  // "Keel row, version 1"
constexpr uint8_t kNullTag = 0xFF;

template <typename T>
void Put(std::string* out, T value) {
  char bytes[sizeof(T)];
  std::memcpy(bytes, &value, sizeof(T));
  out->append(bytes, sizeof(T));
}

// Reads a T at *pos, advancing it; false when fewer bytes remain.
template <typename T>
bool Get(std::string_view bytes, size_t* pos, T* value) {
  if (bytes.size() - *pos < sizeof(T)) return false;
  std::memcpy(value, bytes.data() + *pos, sizeof(T));
  *pos += sizeof(T);
  return true;
}

void AppendEscaped(std::string_view value, std::string* out) {
  for (char c : value) {
    if (c == '%' || c == '|' || c == '=') {
      static constexpr char kHex[] = "0123456789ABCDEF";
      out->push_back('%');
      out->push_back(kHex[static_cast<uint8_t>(c) >> 4]);
      out->push_back(kHex[static_cast<uint8_t>(c) & 15]);
    } else {
      out->push_back(c);
    }
  }
}

Status CorruptRow() { return absl::DataLossError("online store: a stored row is corrupt"); }

}  // namespace

OnlineView OnlineView::From(const FeatureDefinitions& definitions, const FeatureView& view) {
  OnlineView out{.name = view.name, .join_keys = definitions.JoinKeys(view), .ttl_us = view.ttl_us};
  for (const TypedName& f : view.features) {
    if (view.FindAggregation(f.name) == nullptr) {
      out.features.push_back(f);
    } else {
      out.computed.push_back(f.name);
    }
  }
  return out;
}

int OnlineView::FeatureIndex(std::string_view name) const {
  for (size_t i = 0; i < features.size(); ++i) {
    if (features[i].name == name) return static_cast<int>(i);
  }
  return -1;
}

StatusOr<std::vector<TypedName>> OnlineView::Resolve(std::span<const std::string> names) const {
  std::vector<TypedName> out;
  out.reserve(names.size());
  for (const std::string& n : names) {
    const int i = FeatureIndex(n);
    if (i < 0 && std::find(computed.begin(), computed.end(), n) != computed.end()) {
      return absl::InvalidArgumentError(absl::StrCat(
          "feature '", n, "' of view '", name,
          "' is a windowed aggregation, computed from the view's events when read, not stored: "
          "read it with ReadAggregatedFeatures (GetOnlineFeaturesJson does)"));
    }
    if (i < 0) {
      std::vector<std::string> all;
      for (const TypedName& f : features) all.push_back(f.name);
      return absl::InvalidArgumentError(absl::StrCat("feature view '", name, "' has no feature '",
                                                     n, "'.", DidYouMean(n, all),
                                                     " Features: ", absl::StrJoin(all, ", ")));
    }
    out.push_back(features[i]);
  }
  return out;
}

StatusOr<std::vector<std::string>> EncodeEntityKeys(const Table& table,
                                                    std::span<const TypedName> join_keys) {
  std::vector<Column> columns;
  for (const TypedName& key : join_keys) {
    const int index = table.schema().IndexOf(key.name);
    if (index < 0) {
      return absl::InvalidArgumentError(absl::StrCat(
          "no join key column '", key.name, "'.", DidYouMean(key.name, table.schema().names()),
          " Columns: ", absl::StrJoin(table.schema().names(), ", ")));
    }
    const Column& c = table.column(index);
    if (c.type() != key.type) {
      return absl::InvalidArgumentError(
          absl::StrCat("join key '", key.name, "': expected ", std::string(DataTypeName(key.type)),
                       ", found ", std::string(DataTypeName(c.type()))));
    }
    if (c.null_count() > 0) {
      for (int64_t r = 0; r < c.length(); ++r) {
        if (c.IsNull(r)) {
          return absl::InvalidArgumentError(
              absl::StrCat("join key '", key.name, "' is null in row ", r + 1,
                           "; every row needs a value for each join key"));
        }
      }
    }
    columns.push_back(c);
  }
  std::vector<std::string> keys(table.num_rows());
  char digits[24];
  for (int64_t r = 0; r < table.num_rows(); ++r) {
    std::string& k = keys[r];
    for (size_t j = 0; j < columns.size(); ++j) {
      if (j > 0) k.push_back('|');
      k.append(join_keys[j].name);
      k.push_back('=');
      if (columns[j].type() == DataType::kInt64) {
        const auto [end, ec] =
            std::to_chars(digits, digits + sizeof(digits), columns[j].Int64Values()[r]);
        k.append(digits, end);
      } else {
        AppendEscaped(columns[j].StringAt(r), &k);
      }
    }
  }
  return keys;
}

std::string EncodeEntityKey(std::span<const TypedName> join_keys,
                            std::span<const std::string> values) {
  std::string k;
  for (size_t j = 0; j < join_keys.size() && j < values.size(); ++j) {
    if (j > 0) k.push_back('|');
    k.append(join_keys[j].name);
    k.push_back('=');
    AppendEscaped(values[j], &k);
  }
  return k;
}

void AppendEncodedRow(int64_t event_time, std::span<const TypedName> features,
                      std::span<const Column* const> columns, int64_t row, std::string* out) {
  out->push_back(static_cast<char>(kRowMagic));
  Put<int64_t>(out, event_time);
  Put<uint16_t>(out, static_cast<uint16_t>(features.size()));
  for (size_t i = 0; i < features.size(); ++i) {
    const std::string& name = features[i].name;
    const size_t name_size = std::min<size_t>(name.size(), 255);
    out->push_back(static_cast<char>(name_size));
    out->append(name.data(), name_size);
    const Column* c = columns[i];
    if (c == nullptr || c->IsNull(row)) {
      out->push_back(static_cast<char>(kNullTag));
      continue;
    }
    out->push_back(static_cast<char>(c->type()));
    switch (c->type()) {
      case DataType::kBool:
        out->push_back(c->BoolValues()[row] != 0 ? 1 : 0);
        break;
      case DataType::kInt64:
        Put<int64_t>(out, c->Int64Values()[row]);
        break;
      case DataType::kTimestamp:
        Put<int64_t>(out, c->TimestampValues()[row]);
        break;
      case DataType::kFloat64:
        Put<double>(out, c->Float64Values()[row]);
        break;
      case DataType::kString: {
        const std::string_view v = c->StringAt(row);
        Put<uint32_t>(out, static_cast<uint32_t>(v.size()));
        out->append(v);
        break;
      }
    }
  }
}

StatusOr<std::vector<const Column*>> BatchColumns(const OnlineView& view,
                                                  const OnlineWriteBatch& batch) {
  const int64_t rows = batch.values == nullptr ? 0 : batch.values->num_rows();
  if (batch.values == nullptr || static_cast<int64_t>(batch.keys.size()) != rows ||
      static_cast<int64_t>(batch.event_times.size()) != rows) {
    return absl::InvalidArgumentError(absl::StrCat(
        "online write to view '", view.name, "': ", batch.keys.size(), " keys, ",
        batch.event_times.size(), " event times and ", rows, " rows of values; they must match"));
  }
  std::vector<const Column*> columns(view.features.size(), nullptr);
  for (size_t i = 0; i < view.features.size(); ++i) {
    const TypedName& f = view.features[i];
    const int index = batch.values->schema().IndexOf(f.name);
    if (index < 0) continue;
    const Column& c = batch.values->column(index);
    if (c.type() != f.type) {
      return absl::InvalidArgumentError(absl::StrCat(
          "feature view '", view.name, "', feature '", f.name, "': expected ",
          std::string(DataTypeName(f.type)), ", found ", std::string(DataTypeName(c.type()))));
    }
    columns[i] = &c;
  }
  return columns;
}

StatusOr<int64_t> DecodeRowTime(std::string_view bytes) {
  size_t pos = 1;
  int64_t time = 0;
  if (bytes.empty() || static_cast<uint8_t>(bytes[0]) != kRowMagic || !Get(bytes, &pos, &time)) {
    return CorruptRow();
  }
  return time;
}

Status DecodeRow(std::string_view bytes, std::span<const TypedName> wanted, OnlineRow* row) {
  row->values.assign(wanted.size(), FeatureValue());
  for (size_t i = 0; i < wanted.size(); ++i) row->values[i].type = wanted[i].type;
  size_t pos = 1;
  uint16_t count = 0;
  if (bytes.empty() || static_cast<uint8_t>(bytes[0]) != kRowMagic ||
      !Get(bytes, &pos, &row->event_time) || !Get(bytes, &pos, &count)) {
    return CorruptRow();
  }
  row->found = true;
  row->expired = false;
  for (uint16_t e = 0; e < count; ++e) {
    uint8_t name_size = 0;
    if (!Get(bytes, &pos, &name_size) || bytes.size() - pos < name_size) return CorruptRow();
    const std::string_view name = bytes.substr(pos, name_size);
    pos += name_size;
    uint8_t tag = 0;
    if (!Get(bytes, &pos, &tag)) return CorruptRow();
    FeatureValue v;
    if (tag != kNullTag) {
      if (tag > static_cast<uint8_t>(DataType::kTimestamp)) return CorruptRow();
      v.type = static_cast<DataType>(tag);
      v.is_null = false;
      bool ok = true;
      switch (v.type) {
        case DataType::kBool: {
          uint8_t b = 0;
          ok = Get(bytes, &pos, &b);
          v.int_value = b;
          break;
        }
        case DataType::kInt64:
        case DataType::kTimestamp:
          ok = Get(bytes, &pos, &v.int_value);
          break;
        case DataType::kFloat64:
          ok = Get(bytes, &pos, &v.float_value);
          break;
        case DataType::kString: {
          uint32_t size = 0;
          ok = Get(bytes, &pos, &size) && bytes.size() - pos >= size;
          if (ok) {
            v.string_value.assign(bytes.data() + pos, size);
            pos += size;
          }
          break;
        }
      }
      if (!ok) return CorruptRow();
    }
    for (size_t i = 0; i < wanted.size(); ++i) {
      if (wanted[i].name == name && (v.is_null || v.type == wanted[i].type)) {
        row->values[i] = v;
        row->values[i].type = wanted[i].type;
      }
    }
  }
  return absl::OkStatus();
}

void AppendFeatureValue(const FeatureValue& v, ColumnBuilder* builder) {
  if (v.is_null) {
    builder->AppendNull();
    return;
  }
  switch (v.type) {
    case DataType::kBool:
      builder->AppendBool(v.int_value != 0);
      return;
    case DataType::kInt64:
      builder->AppendInt64(v.int_value);
      return;
    case DataType::kTimestamp:
      builder->AppendTimestamp(v.int_value);
      return;
    case DataType::kFloat64:
      builder->AppendFloat64(v.float_value);
      return;
    case DataType::kString:
      builder->AppendString(v.string_value);
      return;
  }
}

FeatureValue ValueAt(const Column& column, int64_t row) {
  FeatureValue v;
  v.type = column.type();
  if (column.IsNull(row)) return v;
  v.is_null = false;
  switch (column.type()) {
    case DataType::kBool:
      v.int_value = column.BoolValues()[row];
      break;
    case DataType::kInt64:
      v.int_value = column.Int64Values()[row];
      break;
    case DataType::kTimestamp:
      v.int_value = column.TimestampValues()[row];
      break;
    case DataType::kFloat64:
      v.float_value = column.Float64Values()[row];
      break;
    case DataType::kString:
      v.string_value = std::string(column.StringAt(row));
      break;
  }
  return v;
}

StatusOr<Table> WithNullColumns(const Table& rows, std::span<const TypedName> columns) {
  std::vector<std::string> names = rows.schema().names();
  std::vector<Column> out = rows.columns();
  for (const TypedName& c : columns) {
    if (std::find(names.begin(), names.end(), c.name) != names.end()) continue;
    names.push_back(c.name);
    out.push_back(NullColumn(c.type, rows.num_rows()));
  }
  return Table::Make(names, std::move(out));
}

}  // namespace keel::features
