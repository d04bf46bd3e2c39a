// Internal to keel/table's text readers (CSV, JSON Lines): refusing a
// timestamp column that mixes values written with a UTC offset and values
// written without one, whose instants would be ambiguous.
#ifndef KEEL_TABLE_TIMESTAMP_OFFSETS_H_
#define KEEL_TABLE_TIMESTAMP_OFFSETS_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "keel/base/status.h"
#include "keel/base/time.h"

namespace keel::table_internal {

// A timestamp as written in the input, and where: 1-based line and column
// (the column in characters).
struct TimestampSample {
  std::string text;
  int64_t line = 0;
  int64_t column = 1;
};

// For one timestamp column read in file order: its first value written with
// a UTC offset ('Z', '+02:00') and its first written without one. Values
// with different offsets are not a mix: each is an unambiguous instant.
// Not thread-safe.
class TimestampOffsetCheck {
 public:
  bool has_with_offset() const { return with_offset_.has_value(); }
  bool has_naive() const { return naive_.has_value(); }
  bool mixed() const { return has_with_offset() && has_naive(); }
  // Whether a sample of this kind is still wanted (the first one is kept).
  bool Wants(bool has_offset) const { return has_offset ? !has_with_offset() : !has_naive(); }
  // Keeps `sample` if it is the first of its kind.
  void Note(bool has_offset, TimestampSample sample);
  // Forgets both samples (the column is no longer a timestamp column).
  void Clear();

  // Requires mixed(). InvalidArgument "<file>:<line>:<column>: <subject>
  // mixes timestamps with a UTC offset ('...', line L) and without one
  // ('...', line M), ..." placed at the later of the two samples, with the
  // fix; `subject` names the column ("column 'ts'"), `zone` is the one
  // naive values are read in.
  Status Error(std::string_view file, std::string_view subject, const TimeZone& zone) const;

 private:
  std::optional<TimestampSample> with_offset_;
  std::optional<TimestampSample> naive_;
};

}  // namespace keel::table_internal

#endif  // KEEL_TABLE_TIMESTAMP_OFFSETS_H_
