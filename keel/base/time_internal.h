// Internal to keel/base (time.cc and time_parse.cc): proleptic Gregorian
// calendar arithmetic and the helpers that parsing and zones share.
#ifndef KEEL_BASE_TIME_INTERNAL_H_
#define KEEL_BASE_TIME_INTERNAL_H_

#include <cstdint>
#include <string>
#include <string_view>

#include "keel/base/time.h"

namespace keel::time_internal {

inline constexpr int64_t kSecondsPerDay = 86'400;
// Days from 0001-01-01 to 1970-01-01.
inline constexpr int64_t kDaysFrom0001To1970 = 719'162;
// Days before the first of each month in a common year; [12] is the year.
inline constexpr int kDaysBeforeMonth[13] = {0,   31,  59,  90,  120, 151, 181,
                                             212, 243, 273, 304, 334, 365};

constexpr int64_t FloorDiv(int64_t a, int64_t b) {
  const int64_t q = a / b;
  return (a % b != 0 && ((a < 0) != (b < 0))) ? q - 1 : q;
}

constexpr bool IsLeapYear(int64_t y) { return y % 4 == 0 && (y % 100 != 0 || y % 400 == 0); }

constexpr int DaysInMonth(int64_t y, int m) {
  return kDaysBeforeMonth[m] - kDaysBeforeMonth[m - 1] + (m == 2 && IsLeapYear(y) ? 1 : 0);
}

// Days since 1970-01-01 of the date y-m-d (m 1..12, d 1..31; any year).
constexpr int64_t DaysFromCivil(int64_t y, int m, int d) {
  const int64_t prior_years = y - 1;
  const int64_t days_before_year = 365 * prior_years + FloorDiv(prior_years, 4) -
                                   FloorDiv(prior_years, 100) + FloorDiv(prior_years, 400);
  const int leap_day = (m > 2 && IsLeapYear(y)) ? 1 : 0;
  return days_before_year + kDaysBeforeMonth[m - 1] + leap_day + (d - 1) - kDaysFrom0001To1970;
}

// As DaysFromCivil for years 1..9999, in cheaper unsigned arithmetic.
constexpr int64_t DaysFromCivilYear1To9999(int y, int m, int d) {
  const unsigned prior_years = static_cast<unsigned>(y) - 1;
  const unsigned days_before_year =
      365 * prior_years + prior_years / 4 - prior_years / 100 + prior_years / 400;
  const unsigned leap_day = (m > 2 && IsLeapYear(y)) ? 1 : 0;
  return int64_t{days_before_year + kDaysBeforeMonth[m - 1] + leap_day + (d - 1)} -
         kDaysFrom0001To1970;
}

// Earliest and latest instants in range: 0001-01-01T00:00:00Z and
// 9999-12-31T23:59:59.999999Z.
inline constexpr TimestampMicros kMinMicros = DaysFromCivil(1, 1, 1) * kMicrosPerDay;
inline constexpr TimestampMicros kMaxMicros = DaysFromCivil(10000, 1, 1) * kMicrosPerDay - 1;

// The text as quoted in messages, cut to a readable length.
std::string Quote(std::string_view text);

// Whether `text` is exactly a UTC offset "Z", "z", "+hh:mm", "+hhmm" or
// "+hh" (or '-') with hh 00..23 and mm 00..59; if so `*offset_seconds` gets
// it in seconds east of UTC.
bool ParseUtcOffset(std::string_view text, int* offset_seconds);

}  // namespace keel::time_internal

#endif  // KEEL_BASE_TIME_INTERNAL_H_
