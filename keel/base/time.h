// Time for data and logs: timestamps are int64 microseconds since the Unix
// epoch in UTC (the table module's timestamp column, Parquet TIMESTAMP(MICROS)).
// Parsing of RFC 3339 and the common layouts found in CSV files, epoch
// numbers in s/ms/us, formatting, and IANA time zones (from tzdata).
#ifndef KEEL_BASE_TIME_H_
#define KEEL_BASE_TIME_H_

#include <cstdint>
#include <string>
#include <string_view>

#include "absl/time/time.h"
#include "keel/base/status.h"

namespace keel {

// Microseconds since 1970-01-01T00:00:00Z. Range: years 0001 to 9999.
using TimestampMicros = int64_t;

inline constexpr int64_t kMicrosPerSecond = 1'000'000;
inline constexpr int64_t kMicrosPerDay = 86'400 * kMicrosPerSecond;

enum class EpochUnit { kSeconds, kMillis, kMicros };

// An IANA time zone ("Europe/Paris"), "UTC", or a fixed offset ("+05:30").
// Cheap to copy; thread-safe.
class TimeZone {
 public:
  // UTC.
  TimeZone();
  // "UTC", "Z", "Etc/UTC" and zero offsets give UTC (named "UTC"); offsets
  // are +hh:mm, +hhmm or +hh (named "+hh:mm"). Errors: InvalidArgument naming
  // the zone when it is unknown to tzdata or the offset is malformed.
  static StatusOr<TimeZone> Load(std::string_view name);
  static TimeZone Utc() { return TimeZone(); }

  const std::string& name() const { return name_; }
  bool is_utc() const { return is_utc_; }
  // The wrapped absl zone, for code that needs civil-time arithmetic.
  const absl::TimeZone& absl_zone() const { return zone_; }

 private:
  absl::TimeZone zone_;
  std::string name_ = "UTC";
  bool is_utc_ = true;
};

// Accepted layouts (date and time may be separated by 'T', 't' or one space):
//   2024-03-10T14:30:00Z                 RFC 3339, 'Z' or 'z'
//   2024-03-10T14:30:00.123456+02:00     fraction of 1..9 digits (beyond
//                                        microseconds truncated), offsets
//                                        +hh:mm, +hhmm, +hh
//   2024-03-10 14:30:00 / 2024-03-10 14:30 / 2024-03-10
//   2024/03/10 14:30:00 / 2024/03/10     slashes instead of dashes
//   20240310T143000Z / 20240310          ISO 8601 basic format
// Leading and trailing spaces are ignored. A value without an offset is a
// local time in `zone`; in a daylight-saving gap or overlap the offset in
// effect before the transition applies (as absl::FromCivil and Python's
// fold=0 do): a repeated time gives the earlier instant, a skipped time moves
// forward by the gap (New York 02:30 on a spring-forward day is 03:30 EDT).
// Hours are 00..23 and seconds 00..59 (no 24:00, no leap second); the instant
// must lie in years 0001..9999.
//
// Errors: InvalidArgument with the offending text and what was expected,
// e.g. "'2024-13-01': month 13 out of range 1..12".
StatusOr<TimestampMicros> ParseTimestamp(std::string_view text,
                                         const TimeZone& zone = TimeZone::Utc());

// As ParseTimestamp, without building an error message: for hot loops (CSV
// type inference). Returns false when `text` is not a timestamp.
bool TryParseTimestamp(std::string_view text, const TimeZone& zone, TimestampMicros* out);
// As above; on success `*has_offset` tells whether `text` carried a UTC
// offset ('Z', '+02:00': an instant whatever `zone`) or not (a naive local
// time read in `zone`), for readers that refuse columns mixing the two.
bool TryParseTimestamp(std::string_view text, const TimeZone& zone, TimestampMicros* out,
                       bool* has_offset);

// Converts an epoch number to microseconds. Errors: OutOfRange when the
// instant is outside years 0001..9999 (which includes int64 overflow).
StatusOr<TimestampMicros> FromEpoch(int64_t value, EpochUnit unit);
// Parses an integer or decimal epoch number ("1700000000", "1700000000.25",
// "-1.5"; surrounding spaces ignored); digits finer than a microsecond are
// dropped (toward zero). Errors: InvalidArgument when malformed, OutOfRange
// as FromEpoch.
StatusOr<TimestampMicros> ParseEpoch(std::string_view text, EpochUnit unit);

// RFC 3339 in UTC with a 'Z': "2024-03-10T14:30:00Z", with ".123" or
// ".123456" only when the fraction is non-zero (the shortest of 3 or 6
// digits that is exact).
std::string FormatRfc3339(TimestampMicros t);
// RFC 3339 as local time in `zone` with its offset: "2024-03-10T15:30:00+01:00"
// (UTC still prints 'Z'; the historical local-mean-time offsets that have
// seconds print them: "+00:09:21").
std::string FormatRfc3339(TimestampMicros t, const TimeZone& zone);

// The calendar fields of an instant in a zone, for features from timestamps.
struct CivilParts {
  int year = 1970;
  int month = 1;        // 1..12
  int day = 1;          // 1..31
  int hour = 0;         // 0..23
  int minute = 0;       // 0..59
  int second = 0;       // 0..59
  int microsecond = 0;  // 0..999999
  int weekday = 3;      // 0 = Monday .. 6 = Sunday (pandas' dayofweek)
  int yearday = 1;      // 1..366
};
CivilParts ToCivil(TimestampMicros t, const TimeZone& zone = TimeZone::Utc());

// The current time (system clock).
TimestampMicros NowMicros();

// absl::Time <-> microseconds.
inline absl::Time ToAbslTime(TimestampMicros t) { return absl::FromUnixMicros(t); }
inline TimestampMicros FromAbslTime(absl::Time t) { return absl::ToUnixMicros(t); }

}  // namespace keel

#endif  // KEEL_BASE_TIME_H_
