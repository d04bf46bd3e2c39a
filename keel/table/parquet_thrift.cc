// Parquet metadata in the Thrift Compact Protocol: the file footer
// (FileMetaData) and page headers, written and parsed.
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "keel/table/parquet_format.h"

namespace keel::parquet {
namespace {

// Compact Protocol wire types.
enum WireType : int {
  kStop = 0,
  kTrue = 1,
  kFalse = 2,
  kByte = 3,
  kI16 = 4,
  kI32 = 5,
  kI64 = 6,
  kDouble = 7,
  kBinary = 8,
  kList = 9,
  kSet = 10,
  kMap = 11,
  kStruct = 12,
};

class CompactWriter {
 public:
  explicit CompactWriter(std::string* out) : out_(out) {}

  void I32(int16_t id, int32_t v) {
    Field(kI32, id);
    Varint(Zigzag(v));
  }
  void I64(int16_t id, int64_t v) {
    Field(kI64, id);
    Varint(Zigzag(v));
  }
  void Bool(int16_t id, bool v) { Field(v ? kTrue : kFalse, id); }
  void String(int16_t id, std::string_view s) {
    Field(kBinary, id);
    RawString(s);
  }
  void BeginStruct(int16_t id) {
    Field(kStruct, id);
    BeginListStruct();
  }
  // A struct that is a list element (no field header).
  void BeginListStruct() {
    stack_.push_back(last_);
    last_ = 0;
  }
  void EndStruct() {
    out_->push_back(0);
    last_ = stack_.back();
    stack_.pop_back();
  }
  void BeginList(int16_t id, WireType element, size_t size) {
    Field(kList, id);
    if (size < 15) {
      out_->push_back(static_cast<char>((size << 4) | element));
    } else {
      out_->push_back(static_cast<char>(0xF0 | element));
      Varint(size);
    }
  }
  void RawI32(int32_t v) { Varint(Zigzag(v)); }
  void RawString(std::string_view s) {
    Varint(s.size());
    out_->append(s);
  }
  void Stop() { out_->push_back(0); }

 private:
  static uint64_t Zigzag(int64_t v) {
    return (static_cast<uint64_t>(v) << 1) ^ static_cast<uint64_t>(v >> 63);
  }
  void Varint(uint64_t v) {
    while (v >= 0x80) {
      out_->push_back(static_cast<char>((v & 0x7F) | 0x80));
      v >>= 7;
    }
    out_->push_back(static_cast<char>(v));
  }
  void Field(int type, int16_t id) {
    int delta = id - last_;
    if (delta > 0 && delta <= 15) {
      out_->push_back(static_cast<char>((delta << 4) | type));
    } else {
      out_->push_back(static_cast<char>(type));
      Varint(Zigzag(id));
    }
    last_ = id;
  }

  std::string* out_;
  int16_t last_ = 0;
  std::vector<int16_t> stack_;
};

// Reads Compact Protocol; a read past the end or a malformed value sets
// failed() and returns zeros from then on.
class CompactReader {
 public:
  explicit CompactReader(std::string_view bytes)
      : p_(reinterpret_cast<const uint8_t*>(bytes.data())), begin_(p_), end_(p_ + bytes.size()) {}

  bool failed() const { return failed_; }
  int64_t position() const { return p_ - begin_; }

  uint8_t Byte() {
    if (p_ >= end_) return Fail();
    return *p_++;
  }
  uint64_t Varint() {
    uint64_t v = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      uint8_t b = Byte();
      v |= static_cast<uint64_t>(b & 0x7F) << shift;
      if ((b & 0x80) == 0) return v;
    }
    return Fail();
  }
  int64_t Zigzag() {
    uint64_t v = Varint();
    return static_cast<int64_t>(v >> 1) ^ -static_cast<int64_t>(v & 1);
  }
  int32_t I32() { return static_cast<int32_t>(Zigzag()); }
  std::string String() {
    uint64_t n = Varint();
    if (n > static_cast<uint64_t>(end_ - p_)) return Fail(), std::string();
    std::string s(reinterpret_cast<const char*>(p_), n);
    p_ += n;
    return s;
  }
  // Reads a field header; false at the struct's end (or on failure).
  bool Field(int* type, int16_t* id) {
    uint8_t b = Byte();
    *type = b & 0x0F;
    if (failed_ || *type == kStop) return false;
    int delta = b >> 4;
    last_ = delta != 0 ? static_cast<int16_t>(last_ + delta) : static_cast<int16_t>(Zigzag());
    *id = last_;
    bool_value_ = *type == kTrue;
    return !failed_;
  }
  bool bool_value() const { return bool_value_; }
  void ListHeader(int* element_type, int64_t* size) {
    uint8_t b = Byte();
    *element_type = b & 0x0F;
    *size = b >> 4;
    if (*size == 15) *size = static_cast<int64_t>(Varint());
    if (*size < 0 || *size > end_ - p_) *size = 0, Fail();
  }
  // Calls on_field(type, id) for each field of a struct; fields it does not
  // take (returns false) are skipped.
  void Struct(const std::function<bool(int, int16_t)>& on_field) {
    if (++depth_ > 32) return static_cast<void>(Fail());
    int16_t saved = last_;
    last_ = 0;
    int type;
    int16_t id;
    while (Field(&type, &id)) {
      if (!on_field(type, id)) Skip(type);
      if (failed_) break;
    }
    last_ = saved;
    --depth_;
  }
  // Calls on_element(type) for each element of a list.
  void List(const std::function<void(int)>& on_element) {
    int type;
    int64_t size;
    ListHeader(&type, &size);
    for (int64_t i = 0; i < size && !failed_; ++i) on_element(type);
  }
  void Skip(int type) {
    switch (type) {
      case kTrue:
      case kFalse:
        return;
      case kByte:
        Byte();
        return;
      case kI16:
      case kI32:
      case kI64:
        Varint();
        return;
      case kDouble:
        if (end_ - p_ < 8) return static_cast<void>(Fail());
        p_ += 8;
        return;
      case kBinary:
        String();
        return;
      case kList:
      case kSet:
        List([this](int t) { t == kTrue || t == kFalse ? static_cast<void>(Byte()) : Skip(t); });
        return;
      case kMap: {
        int64_t n = static_cast<int64_t>(Varint());
        if (n == 0) return;
        uint8_t kv = Byte();
        for (int64_t i = 0; i < n && !failed_; ++i) {
          Skip(kv >> 4);
          Skip(kv & 0x0F);
        }
        return;
      }
      case kStruct:
        Struct([](int, int16_t) { return false; });
        return;
      default:
        Fail();
    }
  }

 private:
  uint8_t Fail() {
    failed_ = true;
    p_ = end_;
    return 0;
  }

  const uint8_t* p_;
  const uint8_t* begin_;
  const uint8_t* end_;
  bool failed_ = false;
  bool bool_value_ = false;
  int16_t last_ = 0;
  int depth_ = 0;
};

void WriteSchemaElement(CompactWriter& w, const SchemaElement& e) {
  w.BeginListStruct();
  if (e.type) w.I32(1, static_cast<int32_t>(*e.type));
  if (e.repetition) w.I32(3, static_cast<int32_t>(*e.repetition));
  w.String(4, e.name);
  if (e.num_children > 0) w.I32(5, e.num_children);
  if (e.converted_type) w.I32(6, *e.converted_type);
  if (e.logical_type.kind == LogicalType::Kind::kString) {
    w.BeginStruct(10);
    w.BeginStruct(1);  // STRING
    w.EndStruct();
    w.EndStruct();
  } else if (e.logical_type.kind == LogicalType::Kind::kTimestamp) {
    w.BeginStruct(10);
    w.BeginStruct(8);  // TIMESTAMP
    w.Bool(1, e.logical_type.adjusted_to_utc);
    w.BeginStruct(2);  // unit
    w.BeginStruct(e.logical_type.unit == TimeUnit::kMillis   ? 1
                  : e.logical_type.unit == TimeUnit::kMicros ? 2
                                                             : 3);
    w.EndStruct();
    w.EndStruct();
    w.EndStruct();
    w.EndStruct();
  }
  w.EndStruct();
}

void WriteColumnMetaData(CompactWriter& w, const ColumnMetaData& m) {
  w.I32(1, static_cast<int32_t>(m.type));
  w.BeginList(2, kI32, m.encodings.size());
  for (Encoding e : m.encodings) w.RawI32(static_cast<int32_t>(e));
  w.BeginList(3, kBinary, m.path_in_schema.size());
  for (const std::string& p : m.path_in_schema) w.RawString(p);
  w.I32(4, m.codec);
  w.I64(5, m.num_values);
  w.I64(6, m.total_uncompressed_size);
  w.I64(7, m.total_compressed_size);
  w.I64(9, m.data_page_offset);
  if (m.dictionary_page_offset) w.I64(11, *m.dictionary_page_offset);
}

LogicalType ReadLogicalType(CompactReader& r) {
  LogicalType lt;
  lt.kind = LogicalType::Kind::kOther;
  r.Struct([&](int type, int16_t id) {
    if (type != kStruct) return false;
    if (id == 1) lt.kind = LogicalType::Kind::kString;
    if (id == 6) lt.kind = LogicalType::Kind::kDate;
    if (id != 8) return false;
    lt.kind = LogicalType::Kind::kTimestamp;
    r.Struct([&](int t, int16_t field) {
      if (field == 1 && (t == kTrue || t == kFalse)) {
        lt.adjusted_to_utc = r.bool_value();
        return true;
      }
      if (field != 2 || t != kStruct) return false;
      r.Struct([&](int, int16_t unit) {
        lt.unit = unit == 1 ? TimeUnit::kMillis : unit == 3 ? TimeUnit::kNanos : TimeUnit::kMicros;
        return false;
      });
      return true;
    });
    return true;
  });
  return lt;
}

SchemaElement ReadSchemaElement(CompactReader& r) {
  SchemaElement e;
  r.Struct([&](int type, int16_t id) {
    if (id == 1) return e.type = static_cast<PhysicalType>(r.I32()), true;
    if (id == 2) return e.type_length = r.I32(), true;
    if (id == 3) return e.repetition = static_cast<Repetition>(r.I32()), true;
    if (id == 4) return e.name = r.String(), true;
    if (id == 5) return e.num_children = r.I32(), true;
    if (id == 6) return e.converted_type = r.I32(), true;
    if (id == 10 && type == kStruct) return e.logical_type = ReadLogicalType(r), true;
    return false;
  });
  return e;
}

ColumnMetaData ReadColumnMetaData(CompactReader& r) {
  ColumnMetaData m;
  r.Struct([&](int type, int16_t id) {
    if (id == 1) return m.type = static_cast<PhysicalType>(r.I32()), true;
    if (id == 2 && type == kList) {
      r.List([&](int) { m.encodings.push_back(static_cast<Encoding>(r.I32())); });
      return true;
    }
    if (id == 3 && type == kList) {
      r.List([&](int) { m.path_in_schema.push_back(r.String()); });
      return true;
    }
    if (id == 4) return m.codec = r.I32(), true;
    if (id == 5) return m.num_values = r.Zigzag(), true;
    if (id == 6) return m.total_uncompressed_size = r.Zigzag(), true;
    if (id == 7) return m.total_compressed_size = r.Zigzag(), true;
    if (id == 9) return m.data_page_offset = r.Zigzag(), true;
    if (id == 11) return m.dictionary_page_offset = r.Zigzag(), true;
    return false;
  });
  return m;
}

RowGroup ReadRowGroup(CompactReader& r) {
  RowGroup g;
  r.Struct([&](int type, int16_t id) {
    if (id == 1 && type == kList) {
      r.List([&](int) {
        ColumnChunk c;
        r.Struct([&](int t, int16_t field) {
          if (field == 2) return c.file_offset = r.Zigzag(), true;
          if (field == 3 && t == kStruct) return c.meta_data = ReadColumnMetaData(r), true;
          return false;
        });
        g.columns.push_back(std::move(c));
      });
      return true;
    }
    if (id == 2) return g.total_byte_size = r.Zigzag(), true;
    if (id == 3) return g.num_rows = r.Zigzag(), true;
    return false;
  });
  return g;
}

}  // namespace

std::string SerializeFileMetaData(const FileMetaData& metadata) {
  std::string out;
  CompactWriter w(&out);
  w.I32(1, metadata.version);
  w.BeginList(2, kStruct, metadata.schema.size());
  for (const SchemaElement& e : metadata.schema) WriteSchemaElement(w, e);
  w.I64(3, metadata.num_rows);
  w.BeginList(4, kStruct, metadata.row_groups.size());
  for (const RowGroup& g : metadata.row_groups) {
    w.BeginListStruct();
    w.BeginList(1, kStruct, g.columns.size());
    for (const ColumnChunk& c : g.columns) {
      w.BeginListStruct();
      w.I64(2, c.file_offset);
      if (c.meta_data) {
        w.BeginStruct(3);
        WriteColumnMetaData(w, *c.meta_data);
        w.EndStruct();
      }
      w.EndStruct();
    }
    w.I64(2, g.total_byte_size);
    w.I64(3, g.num_rows);
    w.EndStruct();
  }
  if (!metadata.created_by.empty()) w.String(6, metadata.created_by);
  w.Stop();
  return out;
}

StatusOr<FileMetaData> ParseFileMetaData(std::string_view bytes) {
  FileMetaData m;
  CompactReader r(bytes);
  r.Struct([&](int type, int16_t id) {
    if (id == 1) return m.version = r.I32(), true;
    if (id == 2 && type == kList) {
      r.List([&](int) { m.schema.push_back(ReadSchemaElement(r)); });
      return true;
    }
    if (id == 3) return m.num_rows = r.Zigzag(), true;
    if (id == 4 && type == kList) {
      r.List([&](int) { m.row_groups.push_back(ReadRowGroup(r)); });
      return true;
    }
    if (id == 6 && type == kBinary) return m.created_by = r.String(), true;
    return false;
  });
  if (r.failed()) return absl::DataLossError("corrupt or truncated Parquet footer");
  return m;
}

void AppendPageHeader(const PageHeader& h, std::string* out) {
  CompactWriter w(out);
  w.I32(1, static_cast<int32_t>(h.type));
  w.I32(2, h.uncompressed_page_size);
  w.I32(3, h.compressed_page_size);
  if (h.type == PageType::kData) {
    w.BeginStruct(5);
    w.I32(1, h.num_values);
    w.I32(2, static_cast<int32_t>(h.encoding));
    w.I32(3, static_cast<int32_t>(h.definition_level_encoding));
    w.I32(4, static_cast<int32_t>(h.repetition_level_encoding));
    w.EndStruct();
  } else if (h.type == PageType::kDictionary) {
    w.BeginStruct(7);
    w.I32(1, h.num_values);
    w.I32(2, static_cast<int32_t>(h.encoding));
    w.EndStruct();
  }
  w.Stop();
}

StatusOr<PageHeader> ParsePageHeader(std::string_view bytes, int64_t* header_size) {
  PageHeader h;
  CompactReader r(bytes);
  r.Struct([&](int type, int16_t id) {
    if (id == 1) return h.type = static_cast<PageType>(r.I32()), true;
    if (id == 2) return h.uncompressed_page_size = r.I32(), true;
    if (id == 3) return h.compressed_page_size = r.I32(), true;
    if ((id == 5 || id == 7) && type == kStruct) {  // DataPageHeader, DictionaryPageHeader
      r.Struct([&](int, int16_t field) {
        if (field == 1) return h.num_values = r.I32(), true;
        if (field == 2) return h.encoding = static_cast<Encoding>(r.I32()), true;
        if (id == 5 && field == 3) {
          return h.definition_level_encoding = static_cast<Encoding>(r.I32()), true;
        }
        if (id == 5 && field == 4) {
          return h.repetition_level_encoding = static_cast<Encoding>(r.I32()), true;
        }
        return false;
      });
      return true;
    }
    if (id != 8 || type != kStruct) return false;
    r.Struct([&](int t, int16_t field) {  // DataPageHeaderV2
      if (field == 1) return h.num_values = r.I32(), true;
      if (field == 2) return h.num_nulls = r.I32(), true;
      if (field == 3) return h.num_rows = r.I32(), true;
      if (field == 4) return h.encoding = static_cast<Encoding>(r.I32()), true;
      if (field == 5) return h.definition_levels_byte_length = r.I32(), true;
      if (field == 6) return h.repetition_levels_byte_length = r.I32(), true;
      if (field == 7 && (t == kTrue || t == kFalse)) return h.is_compressed = r.bool_value(), true;
      return false;
    });
    return true;
  });
  if (r.failed()) return absl::DataLossError("corrupt or truncated page header");
  if (h.compressed_page_size < 0 || h.uncompressed_page_size < 0) {
    return absl::DataLossError("corrupt page header (negative page size)");
  }
  *header_size = r.position();
  return h;
}

}  // namespace keel::parquet
