// Internal to the CSV reader: splitting text into chunks at row boundaries
// and cutting a chunk into fields. No allocation per field: a chunk's fields
// are (begin, end) offsets into its text, row-major.
#ifndef KEEL_TABLE_CSV_TOKENIZER_H_
#define KEEL_TABLE_CSV_TOKENIZER_H_

#include <cstddef>
#include <cstdint>
#include <vector>

#include "keel/table/parallel.h"

namespace keel::csv_internal {

struct Dialect {
  char delimiter = ',';
  char quote = '"';  // '\0': no quoting
};

// One field: bytes [begin, end()) of its chunk, without the surrounding
// quotes of a quoted field. An escaped field still holds its doubled quotes.
struct FieldRef {
  static constexpr uint32_t kQuoted = 1u << 31;
  static constexpr uint32_t kEscaped = 1u << 30;
  static constexpr uint32_t kEndMask = kEscaped - 1;

  uint32_t begin;
  uint32_t end_and_flags;

  uint32_t end() const { return end_and_flags & kEndMask; }
  bool quoted() const { return (end_and_flags & kQuoted) != 0; }
  bool escaped() const { return (end_and_flags & kEscaped) != 0; }
};

// Field offsets are 30 bits: a chunk is at most this long.
inline constexpr size_t kMaxChunkBytes = FieldRef::kEndMask;

enum class TokenizeError {
  kNone,
  kRaggedRow,          // offset: the first extra field, or the end of a short row
  kUnterminatedQuote,  // offset: the opening quote (only at the end of input)
  kTextAfterQuote,     // offset: the character after a closing quote
};

struct Tokenized {
  std::vector<FieldRef> fields;  // rows * num_columns
  int num_columns = -1;
  int64_t rows = 0;
  size_t consumed = 0;   // bytes of complete rows and blank lines
  int64_t newlines = 0;  // '\n' bytes in [0, consumed)
  // The text ends inside a row (not counted in `rows`): more input needed.
  bool partial_row = false;
  // ...and inside a quoted field opened at `partial_quote_offset`.
  bool partial_in_quote = false;
  size_t partial_quote_offset = 0;
  // The first malformed row stops tokenizing; rows before it are kept.
  TokenizeError error = TokenizeError::kNone;
  size_t error_offset = 0;
  int error_fields = 0;  // kRaggedRow: how many fields the row has (at least)
};

// Tokenizes the rows of data[0, size) into `out` (cleared first). Rows end
// with "\n" or "\r\n"; blank lines are skipped; a quoted field may hold the
// delimiter, newlines and doubled quotes; a quote inside an unquoted field
// is an ordinary character. Stops after the first row that ends at or past
// `soft_end`, at the end of the text, or at the first malformed row. With
// `at_eof`, a last row without newline is complete and an unclosed quote is
// an error; otherwise such a tail is left unconsumed (`partial_row`).
// `num_columns` < 0 accepts any number of fields in the first row and
// expects it in the others. Requires size <= kMaxChunkBytes.
void Tokenize(const char* data, size_t size, size_t soft_end, bool at_eof, const Dialect& dialect,
              int num_columns, Tokenized* out);

// Offsets where chunks of about `target_bytes` may start: 0, then positions
// just after a '\n' that a quote-parity scan believes ends a row. The guess
// is wrong when a quote sits inside an unquoted field, so the reader checks
// that the chunk before each start ends exactly there (Tokenized::consumed)
// and re-tokenizes sequentially when it does not. Scans regions in
// parallel.
std::vector<size_t> FindChunkStarts(const char* data, size_t size, size_t target_bytes,
                                    const Dialect& dialect,
                                    const table_internal::Parallel& parallel);

}  // namespace keel::csv_internal

#endif  // KEEL_TABLE_CSV_TOKENIZER_H_
