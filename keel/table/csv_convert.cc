#include "keel/table/csv_convert.h"

#include <charconv>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <limits>

#include "keel/table/utf8.h"

namespace keel::csv_internal {

DataType ToDataType(CellType type) {
  switch (type) {
    case CellType::kBool:
      return DataType::kBool;
    case CellType::kInt64:
      return DataType::kInt64;
    case CellType::kFloat64:
      return DataType::kFloat64;
    case CellType::kTimestamp:
      return DataType::kTimestamp;
    case CellType::kNull:
    case CellType::kString:
      return DataType::kString;
  }
  return DataType::kString;
}

CellType FromDataType(DataType type) {
  switch (type) {
    case DataType::kBool:
      return CellType::kBool;
    case DataType::kInt64:
      return CellType::kInt64;
    case DataType::kFloat64:
      return CellType::kFloat64;
    case DataType::kTimestamp:
      return CellType::kTimestamp;
    case DataType::kString:
      return CellType::kString;
  }
  return CellType::kString;
}

const char* CellTypeName(CellType type) {
  return type == CellType::kNull ? "null" : DataTypeName(ToDataType(type)).data();
}

CellType Join(CellType a, CellType b) {
  if (a == b || b == CellType::kNull) return a;
  if (a == CellType::kNull) return b;
  if ((a == CellType::kInt64 && b == CellType::kFloat64) ||
      (a == CellType::kFloat64 && b == CellType::kInt64)) {
    return CellType::kFloat64;
  }
  return CellType::kString;
}

bool CanWidenWithoutText(CellType from, CellType to) {
  return from == to || from == CellType::kNull ||
         (from == CellType::kInt64 && to == CellType::kFloat64);
}

NaMatcher::NaMatcher(const std::vector<std::string>& tokens) {
  for (const std::string& token : tokens) {
    if (token.empty()) {
      empty_ = true;
      continue;
    }
    tokens_.push_back(token);
    max_size_ = std::max(max_size_, token.size());
    first_[static_cast<uint8_t>(token[0])] = true;
  }
}

bool NaMatcher::MatchesSlow(const char* text, size_t size) const {
  for (const std::string& token : tokens_) {
    if (token.size() == size && std::memcmp(token.data(), text, size) == 0) return true;
  }
  return false;
}

namespace {

inline void Trim(const char*& begin, const char*& end) {
  while (begin < end && (*begin == ' ' || *begin == '\t')) ++begin;
  while (end > begin && (end[-1] == ' ' || end[-1] == '\t')) --end;
}

inline bool EqualsLower(const char* text, const char* lower, size_t size) {
  for (size_t i = 0; i < size; ++i) {
    char c = text[i];
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    if (c != lower[i]) return false;
  }
  return true;
}

}  // namespace

bool ParseBoolCell(const char* text, size_t size, uint8_t* out) {
  const char* begin = text;
  const char* end = text + size;
  Trim(begin, end);
  const size_t n = static_cast<size_t>(end - begin);
  if (n == 4 && EqualsLower(begin, "true", 4)) {
    *out = 1;
    return true;
  }
  if (n == 5 && EqualsLower(begin, "false", 5)) {
    *out = 0;
    return true;
  }
  return false;
}

IntParse ParseInt64Cell(const char* text, size_t size, int64_t* out) {
  const char* p = text;
  const char* end = text + size;
  Trim(p, end);
  bool negative = false;
  if (p < end && (*p == '-' || *p == '+')) {
    negative = *p == '-';
    ++p;
  }
  if (p == end) return IntParse::kNotInt;
  while (p + 1 < end && *p == '0') ++p;  // leading zeros
  if (end - p > 19) {
    for (const char* q = p; q < end; ++q) {
      if (*q < '0' || *q > '9') return IntParse::kNotInt;
    }
    return IntParse::kOverflow;
  }
  uint64_t value = 0;
  for (; p < end; ++p) {
    const unsigned digit = static_cast<unsigned char>(*p) - '0';
    if (digit > 9) return IntParse::kNotInt;
    value = value * 10 + digit;  // at most 19 digits: no wrap
  }
  constexpr uint64_t kMax = static_cast<uint64_t>(std::numeric_limits<int64_t>::max());
  if (negative) {
    if (value > kMax + 1) return IntParse::kOverflow;
    *out = static_cast<int64_t>(0 - value);
  } else {
    if (value > kMax) return IntParse::kOverflow;
    *out = static_cast<int64_t>(value);
  }
  return IntParse::kOk;
}

bool ParseFloat64Cell(const char* text, size_t size, double* out) {
  const char* begin = text;
  const char* end = text + size;
  Trim(begin, end);
  if (begin < end && *begin == '+') {
    ++begin;
    if (begin < end && (*begin == '-' || *begin == '+')) return false;
  }
  if (begin == end) return false;
  const auto result = std::from_chars(begin, end, *out);
  if (result.ptr != end) return false;
  if (result.ec == std::errc()) return true;
  if (result.ec != std::errc::result_out_of_range || end - begin > 400) return false;
  // Out of range: let strtod pick +-inf, 0 or a subnormal, as pandas does.
  char buffer[402];
  std::memcpy(buffer, begin, static_cast<size_t>(end - begin));
  buffer[end - begin] = '\0';
  *out = std::strtod(buffer, nullptr);
  return true;
}

CellType ClassifyCell(const char* text, size_t size, const TimeZone& zone) {
  uint8_t b;
  if (ParseBoolCell(text, size, &b)) return CellType::kBool;
  int64_t i;
  switch (ParseInt64Cell(text, size, &i)) {
    case IntParse::kOk:
      return CellType::kInt64;
    case IntParse::kOverflow:
      return CellType::kString;
    case IntParse::kNotInt:
      break;
  }
  double d;
  if (ParseFloat64Cell(text, size, &d)) return CellType::kFloat64;
  TimestampMicros t;
  if (TryParseTimestamp(std::string_view(text, size), zone, &t)) return CellType::kTimestamp;
  return CellType::kString;
}

std::unique_ptr<Buffer> BufferPool::Get(int64_t bytes) {
  {
    absl::MutexLock lock(&mu_);
    auto it = idle_.lower_bound(bytes);
    // Best fit, but not a much bigger buffer than asked for.
    if (it != idle_.end() && it->first <= 2 * bytes + 4096) {
      std::unique_ptr<Buffer> buffer = std::move(it->second);
      idle_bytes_ -= it->first;
      idle_.erase(it);
      return buffer;
    }
  }
  return Buffer::Allocate(bytes);
}

void BufferPool::Put(std::unique_ptr<Buffer> buffer) {
  if (buffer == nullptr) return;
  const int64_t size = buffer->size();
  absl::MutexLock lock(&mu_);
  if (idle_bytes_ + size > max_bytes_) return;  // freed on return
  idle_bytes_ += size;
  idle_.emplace(size, std::move(buffer));
}

void ColumnChunk::Release(BufferPool* pool) {
  if (pool != nullptr) {
    pool->Put(std::move(validity));
    pool->Put(std::move(values));
    pool->Put(std::move(data));
  }
  *this = ColumnChunk();
}

namespace {

std::unique_ptr<Buffer> GetBuffer(BufferPool* pool, int64_t bytes) {
  return pool != nullptr ? pool->Get(bytes) : Buffer::Allocate(bytes);
}

struct Cell {
  const char* text;
  size_t size;
  bool null;
};

class CellReader {
 public:
  CellReader(const ChunkText& text, int column, const ConvertOptions& options)
      : text_(text), column_(column), options_(options) {}

  Cell Get(int64_t row) const {
    const FieldRef& f = FieldAt(row);
    const char* s = text_.data + f.begin;
    const size_t n = f.end() - f.begin;
    const bool null = (!f.quoted() || options_.quoted_can_be_null) && options_.na->Matches(s, n);
    return {s, n, null};
  }
  const FieldRef& FieldAt(int64_t row) const {
    return text_.fields[row * text_.num_columns + column_];
  }
  int64_t rows() const { return text_.rows; }
  BufferPool* pool() const { return options_.pool; }

 private:
  const ChunkText& text_;
  int column_;
  const ConvertOptions& options_;
};

// Fills out->validity from `bitmap` unless there are no nulls.
void SetValidity(std::unique_ptr<Buffer> bitmap, int64_t null_count, BufferPool* pool,
                 ColumnChunk* out) {
  out->null_count = null_count;
  if (null_count > 0) {
    out->validity = std::move(bitmap);
  } else if (pool != nullptr) {
    pool->Put(std::move(bitmap));
  }
}

// Converts as a fixed-width type; returns the first row that does not
// parse, or -1.
template <typename T, typename Parse>
int64_t ConvertFixedWidth(const CellReader& cells, CellType type, const Parse& parse,
                          ColumnChunk* out) {
  const int64_t rows = cells.rows();
  auto values = GetBuffer(cells.pool(), rows * static_cast<int64_t>(sizeof(T)));
  auto bitmap = GetBuffer(cells.pool(), bits::BytesForBits(rows));
  std::memset(bitmap->mutable_data(), 0, static_cast<size_t>(bits::BytesForBits(rows)));
  T* v = values->mutable_data_as<T>();
  uint8_t* valid = bitmap->mutable_data();
  int64_t nulls = 0;
  for (int64_t r = 0; r < rows; ++r) {
    const Cell cell = cells.Get(r);
    if (cell.null) {
      v[r] = T{};
      ++nulls;
      continue;
    }
    if (!parse(cell.text, cell.size, &v[r])) {
      if (cells.pool() != nullptr) {
        cells.pool()->Put(std::move(values));
        cells.pool()->Put(std::move(bitmap));
      }
      return r;
    }
    bits::Set(valid, r);
  }
  out->Release(cells.pool());
  out->type = type;
  out->length = rows;
  out->values = std::move(values);
  SetValidity(std::move(bitmap), nulls, cells.pool(), out);
  return -1;
}

int64_t ConvertNull(const CellReader& cells, ColumnChunk* out) {
  for (int64_t r = 0; r < cells.rows(); ++r) {
    if (!cells.Get(r).null) return r;
  }
  out->Release(cells.pool());
  out->type = CellType::kNull;
  out->length = cells.rows();
  out->null_count = cells.rows();
  return -1;
}

// Strings never fail to convert, except on invalid UTF-8.
void ConvertString(const CellReader& cells, char quote, ColumnChunk* out, ConvertFailure* failure) {
  const int64_t rows = cells.rows();
  int64_t total = 0;
  for (int64_t r = 0; r < rows; ++r) {
    const FieldRef& f = cells.FieldAt(r);
    total += f.end() - f.begin;
  }
  auto offsets_buffer = GetBuffer(cells.pool(), (rows + 1) * 8);
  auto data = GetBuffer(cells.pool(), total);
  auto bitmap = GetBuffer(cells.pool(), bits::BytesForBits(rows));
  std::memset(bitmap->mutable_data(), 0, static_cast<size_t>(bits::BytesForBits(rows)));
  int64_t* offsets = offsets_buffer->mutable_data_as<int64_t>();
  char* bytes = reinterpret_cast<char*>(data->mutable_data());
  uint8_t* valid = bitmap->mutable_data();
  int64_t nulls = 0;
  int64_t pos = 0;
  offsets[0] = 0;
  for (int64_t r = 0; r < rows; ++r) {
    const Cell cell = cells.Get(r);
    if (cell.null) {
      ++nulls;
      offsets[r + 1] = pos;
      continue;
    }
    const size_t bad = FindInvalidUtf8(std::string_view(cell.text, cell.size));
    if (bad != cell.size) {
      failure->kind = ConvertFailure::Kind::kInvalidUtf8;
      failure->row = r;
      failure->offset = cells.FieldAt(r).begin + bad;
      return;
    }
    if (cells.FieldAt(r).escaped()) {
      for (size_t i = 0; i < cell.size; ++i) {
        bytes[pos++] = cell.text[i];
        if (cell.text[i] == quote) ++i;  // skip the second of a doubled quote
      }
    } else {
      std::memcpy(bytes + pos, cell.text, cell.size);
      pos += static_cast<int64_t>(cell.size);
    }
    offsets[r + 1] = pos;
    bits::Set(valid, r);
  }
  out->Release(cells.pool());
  out->type = CellType::kString;
  out->length = rows;
  out->values = std::move(offsets_buffer);
  out->data = std::move(data);
  out->data_bytes = pos;
  SetValidity(std::move(bitmap), nulls, cells.pool(), out);
}

}  // namespace

void ConvertColumn(const ChunkText& text, int column, CellType type, bool fixed,
                   const ConvertOptions& options, ColumnChunk* out, ConvertFailure* failure) {
  *failure = ConvertFailure();
  const CellReader cells(text, column, options);
  const TimeZone& zone = *options.zone;
  while (true) {
    int64_t bad_row = -1;
    switch (type) {
      case CellType::kNull:
        bad_row = ConvertNull(cells, out);
        break;
      case CellType::kBool:
        bad_row = ConvertFixedWidth<uint8_t>(cells, type, ParseBoolCell, out);
        break;
      case CellType::kInt64:
        bad_row = ConvertFixedWidth<int64_t>(
            cells, type,
            [](const char* s, size_t n, int64_t* v) {
              return ParseInt64Cell(s, n, v) == IntParse::kOk;
            },
            out);
        break;
      case CellType::kFloat64:
        bad_row = ConvertFixedWidth<double>(cells, type, ParseFloat64Cell, out);
        break;
      case CellType::kTimestamp: {
        const char* with_offset = nullptr;
        const char* naive = nullptr;
        bad_row = ConvertFixedWidth<int64_t>(
            cells, type,
            [&](const char* s, size_t n, int64_t* v) {
              bool has_offset = false;
              if (!TryParseTimestamp(std::string_view(s, n), zone, v, &has_offset)) return false;
              const char*& first = has_offset ? with_offset : naive;
              if (first == nullptr) first = s;
              return true;
            },
            out);
        if (bad_row < 0) {
          out->first_with_offset = with_offset == nullptr ? -1 : with_offset - text.data;
          out->first_naive = naive == nullptr ? -1 : naive - text.data;
        }
        break;
      }
      case CellType::kString:
        ConvertString(cells, options.quote, out, failure);
        return;
    }
    if (bad_row < 0) return;
    if (fixed) {
      failure->kind = ConvertFailure::Kind::kBadValue;
      failure->row = bad_row;
      failure->offset = cells.FieldAt(bad_row).begin;
      return;
    }
    const Cell cell = cells.Get(bad_row);
    // The cell failed as `type`, so the join is strictly wider: this loop
    // runs at most four times.
    type = Join(type, ClassifyCell(cell.text, cell.size, zone));
  }
}

}  // namespace keel::csv_internal
