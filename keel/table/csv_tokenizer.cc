#include "keel/table/csv_tokenizer.h"

#include <algorithm>
#include <cstring>

namespace keel::csv_internal {
namespace {

enum class FieldEnd { kNextField, kRowEnd, kPartial, kError };

}  // namespace

void Tokenize(const char* data, size_t size, size_t soft_end, bool at_eof, const Dialect& dialect,
              int num_columns, Tokenized* out) {
  out->fields.clear();
  out->num_columns = num_columns;
  out->rows = 0;
  out->consumed = 0;
  out->newlines = 0;
  out->partial_row = false;
  out->partial_in_quote = false;
  out->partial_quote_offset = 0;
  out->error = TokenizeError::kNone;
  out->error_offset = 0;
  out->error_fields = 0;

  const auto delim = static_cast<uint8_t>(dialect.delimiter);
  const auto quote = static_cast<uint8_t>(dialect.quote);
  bool special[256] = {};
  special[static_cast<uint8_t>('\n')] = true;
  special[static_cast<uint8_t>('\r')] = true;
  special[delim] = true;
  if (quote != 0) special[quote] = true;

  const auto* base = reinterpret_cast<const uint8_t*>(data);
  const uint8_t* const end = base + size;
  const uint8_t* p = base;
  std::vector<FieldRef>& fields = out->fields;
  fields.reserve(size / 8 + 16);

  auto offset = [base](const uint8_t* q) { return static_cast<size_t>(q - base); };

  while (p < end) {
    // Blank lines.
    if (*p == '\n') {
      ++p;
      ++out->newlines;
      out->consumed = offset(p);
      continue;
    }
    if (*p == '\r') {
      if (p + 1 < end && p[1] == '\n') {
        p += 2;
        ++out->newlines;
        out->consumed = offset(p);
        continue;
      }
      if (p + 1 == end) {
        if (!at_eof) {
          out->partial_row = true;
          return;
        }
        out->consumed = offset(end);
        return;
      }
    }

    const size_t row_first_field = fields.size();
    int64_t row_newlines = 0;
    int num_fields = 0;
    FieldEnd field_end = FieldEnd::kNextField;
    while (field_end == FieldEnd::kNextField) {
      const uint8_t* field_begin = p;
      const uint8_t* content_begin = p;
      const uint8_t* content_end;
      uint32_t flags = 0;
      if (quote != 0 && p < end && *p == quote) {
        flags = FieldRef::kQuoted;
        content_begin = p + 1;
        const uint8_t* q = p + 1;
        while (true) {
          const auto* close = static_cast<const uint8_t*>(std::memchr(q, quote, end - q));
          if (close == nullptr || (close + 1 == end && !at_eof)) {
            // Unclosed so far (or a quote at the very end that might be the
            // first of a doubled pair).
            fields.resize(row_first_field);
            if (at_eof && close == nullptr) {
              out->error = TokenizeError::kUnterminatedQuote;
              out->error_offset = offset(field_begin);
            } else {
              out->partial_row = true;
              out->partial_in_quote = true;
              out->partial_quote_offset = offset(field_begin);
            }
            return;
          }
          row_newlines += std::count(q, close, static_cast<uint8_t>('\n'));
          if (close + 1 < end && close[1] == quote) {
            flags |= FieldRef::kEscaped;
            q = close + 2;
            continue;
          }
          content_end = close;
          p = close + 1;
          break;
        }
      } else {
        while (true) {
          while (p < end && !special[*p]) ++p;
          if (p == end) break;
          const uint8_t c = *p;
          if (c == delim || c == '\n') break;
          if (c == '\r') {
            if (p + 1 == end || p[1] == '\n') break;
            ++p;  // a lone '\r' is data
            continue;
          }
          ++p;  // a quote inside an unquoted field is data
        }
        content_end = p;
      }

      fields.push_back({static_cast<uint32_t>(offset(content_begin)),
                        static_cast<uint32_t>(offset(content_end)) | flags});
      ++num_fields;
      if (num_columns >= 0 && num_fields > num_columns) {
        fields.resize(row_first_field);
        out->error = TokenizeError::kRaggedRow;
        out->error_offset = offset(field_begin);
        out->error_fields = num_fields;
        return;
      }

      // What follows the field.
      if (p == end) {
        field_end = at_eof ? FieldEnd::kRowEnd : FieldEnd::kPartial;
      } else if (*p == delim) {
        ++p;
      } else if (*p == '\n') {
        field_end = FieldEnd::kRowEnd;
      } else if (*p == '\r' && p + 1 < end && p[1] == '\n') {
        field_end = FieldEnd::kRowEnd;
      } else if (*p == '\r' && p + 1 == end) {
        field_end = at_eof ? FieldEnd::kRowEnd : FieldEnd::kPartial;
      } else {
        out->error = TokenizeError::kTextAfterQuote;
        out->error_offset = offset(p);
        field_end = FieldEnd::kError;
      }
    }

    if (field_end == FieldEnd::kPartial || field_end == FieldEnd::kError) {
      fields.resize(row_first_field);
      out->partial_row = field_end == FieldEnd::kPartial;
      return;
    }
    if (num_columns < 0) {
      num_columns = num_fields;
      out->num_columns = num_fields;
    } else if (num_fields < num_columns) {
      fields.resize(row_first_field);
      out->error = TokenizeError::kRaggedRow;
      out->error_offset = offset(p);
      out->error_fields = num_fields;
      return;
    }
    // Consume the terminator.
    if (p < end) {
      if (*p == '\r') ++p;
      if (p < end && *p == '\n') {
        ++p;
        ++row_newlines;
      }
    }
    ++out->rows;
    out->newlines += row_newlines;
    out->consumed = offset(p);
    if (out->consumed >= soft_end) return;
  }
}

std::vector<size_t> FindChunkStarts(const char* data, size_t size, size_t target_bytes,
                                    const Dialect& dialect,
                                    const table_internal::Parallel& parallel) {
  std::vector<size_t> starts = {0};
  target_bytes = std::max<size_t>(target_bytes, 1);
  if (size <= target_bytes) return starts;
  const size_t num_regions = (size + target_bytes - 1) / target_bytes;
  constexpr size_t kNone = static_cast<size_t>(-1);
  struct Region {
    bool odd_quotes = false;
    // The first '\n' after an even / odd number of quotes from the region's
    // start, relative to the whole text.
    size_t first_newline[2] = {kNone, kNone};
  };
  std::vector<Region> regions(num_regions);
  const char quote = dialect.quote;
  parallel.For(static_cast<int64_t>(num_regions), [&](int64_t k) {
    Region& region = regions[k];
    const char* begin = data + k * target_bytes;
    const char* end = data + std::min(size, (k + 1) * target_bytes);
    if (quote != 0) region.odd_quotes = std::count(begin, end, quote) % 2 != 0;
    const char* p = begin;
    int parity = 0;
    while (p < end && (region.first_newline[0] == kNone || region.first_newline[1] == kNone)) {
      const char* next_quote =
          quote != 0 ? static_cast<const char*>(std::memchr(p, quote, end - p)) : nullptr;
      const char* stop = next_quote != nullptr ? next_quote : end;
      if (region.first_newline[parity] == kNone) {
        const auto* nl = static_cast<const char*>(std::memchr(p, '\n', stop - p));
        if (nl != nullptr) region.first_newline[parity] = static_cast<size_t>(nl - data);
      }
      if (next_quote == nullptr) break;
      p = next_quote + 1;
      parity ^= 1;
    }
  });
  int state = 0;  // 1 when region k starts inside a quoted field
  for (size_t k = 1; k < num_regions; ++k) {
    state ^= regions[k - 1].odd_quotes ? 1 : 0;
    const size_t newline = regions[k].first_newline[state];
    if (newline == kNone) continue;
    const size_t start = newline + 1;
    if (start < size && start > starts.back()) starts.push_back(start);
  }
  return starts;
}

}  // namespace keel::csv_internal
