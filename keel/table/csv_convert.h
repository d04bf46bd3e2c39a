// Internal to the CSV reader: turning a tokenized chunk's fields into typed
// column chunks (type inference with widening, null tokens, UTF-8 checks),
// and joining the chunks of one column into a Column.
#ifndef KEEL_TABLE_CSV_CONVERT_H_
#define KEEL_TABLE_CSV_CONVERT_H_

#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "keel/base/time.h"
#include "keel/table/buffer.h"
#include "keel/table/column.h"
#include "keel/table/csv_tokenizer.h"
#include "keel/table/types.h"

namespace keel::csv_internal {

// The inference lattice: kNull (no value seen yet) is below everything,
// kInt64 widens to kFloat64, every other pair joins at kString.
enum class CellType : uint8_t { kNull, kBool, kInt64, kFloat64, kTimestamp, kString };

// kNull (a column with no value at all) becomes kString.
DataType ToDataType(CellType type);
CellType FromDataType(DataType type);
const char* CellTypeName(CellType type);
CellType Join(CellType a, CellType b);
// Whether values already converted as `from` can become `to` without their
// text: equal types, from kNull, and kInt64 -> kFloat64 (a double from an
// int64 rounds exactly as a double parsed from the same digits).
bool CanWidenWithoutText(CellType from, CellType to);

// Exact-match null tokens ("", "NA", ...), fast to test.
class NaMatcher {
 public:
  explicit NaMatcher(const std::vector<std::string>& tokens);
  bool Matches(const char* text, size_t size) const {
    if (size == 0) return empty_;
    if (size > max_size_ || !first_[static_cast<uint8_t>(text[0])]) return false;
    return MatchesSlow(text, size);
  }

 private:
  bool MatchesSlow(const char* text, size_t size) const;
  bool empty_ = false;
  size_t max_size_ = 0;
  bool first_[256] = {};
  std::vector<std::string> tokens_;
};

// Cell parsers. Surrounding spaces and tabs are ignored (not for strings).
// "true"/"false" in any case.
bool ParseBoolCell(const char* text, size_t size, uint8_t* out);
enum class IntParse { kOk, kNotInt, kOverflow };
// Optional sign and decimal digits; kOverflow when only the range is wrong.
IntParse ParseInt64Cell(const char* text, size_t size, int64_t* out);
// Decimal or scientific notation, optional sign, "inf"/"infinity"/"nan";
// out-of-range values become +-inf or 0 as strtod does.
bool ParseFloat64Cell(const char* text, size_t size, double* out);
// The narrowest type that holds the cell: bool, int64, float64, timestamp,
// else string. An integer too big for int64 is a string (keeps its digits).
CellType ClassifyCell(const char* text, size_t size, const TimeZone& zone);

// Scratch buffers reused from batch to batch: fresh memory costs a page
// fault per 4 KiB, which is most of the price of a short-lived buffer.
// Thread-safe.
class BufferPool {
 public:
  // Keeps at most `max_bytes` of idle buffers.
  explicit BufferPool(int64_t max_bytes) : max_bytes_(max_bytes) {}
  // A buffer of at least `bytes`, contents unspecified.
  std::unique_ptr<Buffer> Get(int64_t bytes);
  // Takes a buffer back (null is ignored); frees it when the pool is full.
  void Put(std::unique_ptr<Buffer> buffer);

 private:
  const int64_t max_bytes_;
  absl::Mutex mu_;
  std::multimap<int64_t, std::unique_ptr<Buffer>> idle_ ABSL_GUARDED_BY(mu_);
  int64_t idle_bytes_ ABSL_GUARDED_BY(mu_) = 0;
};

struct ConvertOptions {
  const NaMatcher* na = nullptr;
  bool quoted_can_be_null = true;
  const TimeZone* zone = nullptr;
  char quote = '"';
  BufferPool* pool = nullptr;  // where chunk buffers come from (null: fresh)
};

// A tokenized chunk: `rows` rows of `num_columns` fields into `data`.
struct ChunkText {
  const char* data = nullptr;
  const FieldRef* fields = nullptr;
  int64_t rows = 0;
  int num_columns = 0;
};

// One column's values for one chunk, laid out as in Column (offsets start
// at 0); buffers may be longer than needed. kNull: every value is null and
// there are no buffers.
struct ColumnChunk {
  CellType type = CellType::kNull;
  int64_t length = 0;
  int64_t null_count = 0;
  std::unique_ptr<Buffer> validity;  // null when null_count == 0
  std::unique_ptr<Buffer> values;
  std::unique_ptr<Buffer> data;  // strings
  int64_t data_bytes = 0;        // used bytes of `data`
  // kTimestamp: where in the chunk text the first value written with a UTC
  // offset ('Z', '+02:00') and the first written without one (naive)
  // start; -1 when there is none. The reader refuses a column with both.
  int64_t first_with_offset = -1;
  int64_t first_naive = -1;

  // Gives the buffers to `pool` (or frees them) and empties the chunk.
  void Release(BufferPool* pool);
};

struct ConvertFailure {
  enum class Kind { kNone, kBadValue, kInvalidUtf8 };
  Kind kind = Kind::kNone;
  int64_t row = 0;
  size_t offset = 0;  // in the chunk: the cell (kBadValue) or the bad byte
};

// Converts column `column` of `text` into `out`. With `fixed`, every value
// that is not null must parse as `type`, else kBadValue at the first that
// does not. Otherwise conversion starts at `type` and widens along the
// lattice as values require (re-running the chunk's column after a
// widening), so out->type >= type. Invalid UTF-8 in a value converted as a
// string gives kInvalidUtf8. A timestamp chunk notes where its first value
// with and without a UTC offset are (first_with_offset, first_naive).
void ConvertColumn(const ChunkText& text, int column, CellType type, bool fixed,
                   const ConvertOptions& options, ColumnChunk* out, ConvertFailure* failure);

}  // namespace keel::csv_internal

#endif  // KEEL_TABLE_CSV_CONVERT_H_
