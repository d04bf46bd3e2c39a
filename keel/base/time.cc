// Timestamps: civil date arithmetic on the proleptic Gregorian calendar,
// RFC 3339 formatting and time zones through absl (tzdata). The parser of
// timestamps and epoch numbers is in time_parse.cc.
#include "keel/base/time.h"

#include <cstdlib>
#include <limits>
#include <string>

#include "absl/strings/str_cat.h"
#include "keel/base/time_internal.h"

namespace keel {
namespace {

using time_internal::DaysFromCivil;
using time_internal::DaysFromCivilYear1To9999;
using time_internal::FloorDiv;
using time_internal::IsLeapYear;
using time_internal::kDaysBeforeMonth;
using time_internal::kDaysFrom0001To1970;
using time_internal::Quote;

// Days in 400, 100 and 4 Gregorian years.
constexpr int64_t kDaysPer400Years = 146'097;
constexpr int64_t kDaysPer100Years = 36'524;
constexpr int64_t kDaysPer4Years = 1'461;

static_assert(DaysFromCivil(1970, 1, 1) == 0);
static_assert(DaysFromCivilYear1To9999(2024, 2, 29) == DaysFromCivil(2024, 2, 29));
static_assert(DaysFromCivilYear1To9999(1, 1, 1) == DaysFromCivil(1, 1, 1));
static_assert(DaysFromCivilYear1To9999(9999, 12, 31) == DaysFromCivil(9999, 12, 31));
static_assert(DaysFromCivil(2000, 3, 1) == 11'017);
static_assert(DaysFromCivil(1969, 12, 31) == -1);

struct CivilDate {
  int64_t year;
  int month;    // 1..12
  int day;      // 1..31
  int yearday;  // 1..366
};

// Inverse of DaysFromCivil for any day count.
CivilDate CivilFromDays(int64_t days) {
  int64_t n = days + kDaysFrom0001To1970;  // days since 0001-01-01
  const int64_t cycles400 = FloorDiv(n, kDaysPer400Years);
  n -= cycles400 * kDaysPer400Years;  // 0..146096
  int64_t centuries = n / kDaysPer100Years;
  if (centuries == 4) centuries = 3;  // the last day of a 400-year cycle
  n -= centuries * kDaysPer100Years;
  const int64_t cycles4 = n / kDaysPer4Years;
  n -= cycles4 * kDaysPer4Years;
  int64_t years = n / 365;
  if (years == 4) years = 3;  // the leap day closing a 4-year cycle
  n -= years * 365;           // 0-based day of the year

  CivilDate date;
  date.year = cycles400 * 400 + centuries * 100 + cycles4 * 4 + years + 1;
  date.yearday = static_cast<int>(n) + 1;
  const int leap = IsLeapYear(date.year) ? 1 : 0;
  int month = 1;
  while (month < 12 && n >= kDaysBeforeMonth[month] + (month >= 2 ? leap : 0)) ++month;
  date.month = month;
  date.day = static_cast<int>(n - kDaysBeforeMonth[month - 1] - (month > 2 ? leap : 0)) + 1;
  return date;
}

// Splits microseconds since 1970-01-01 into whole days and the microseconds
// of the day (0..kMicrosPerDay-1), for any int64.
void SplitDays(int64_t micros, int64_t* days, int64_t* of_day) {
  *of_day = micros % kMicrosPerDay;
  *days = micros / kMicrosPerDay;
  if (*of_day < 0) {
    *of_day += kMicrosPerDay;
    --*days;
  }
}

// Monday = 0 .. Sunday = 6; 1970-01-01 was a Thursday.
int WeekdayFromDays(int64_t days) { return static_cast<int>(days + 3 - FloorDiv(days + 3, 7) * 7); }

// ---------------------------------------------------------------------------
// Formatting into a fixed buffer.

char* PutDigits(char* p, int64_t v, int width) {
  for (int i = width - 1; i >= 0; --i) {
    p[i] = static_cast<char>('0' + v % 10);
    v /= 10;
  }
  return p + width;
}

// Writes "YYYY-MM-DDTHH:MM:SS[.fff|.ffffff]" for local microseconds since
// 1970-01-01T00:00:00 and returns the end. Needs up to 34 bytes.
char* PutLocal(char* p, TimestampMicros local) {
  int64_t days, of_day;
  SplitDays(local, &days, &of_day);
  const CivilDate date = CivilFromDays(days);
  int64_t year = date.year;
  if (year < 0) {
    *p++ = '-';
    year = -year;
  }
  int width = 4;
  for (int64_t y = year / 10000; y > 0; y /= 10) ++width;
  p = PutDigits(p, year, width);
  *p++ = '-';
  p = PutDigits(p, date.month, 2);
  *p++ = '-';
  p = PutDigits(p, date.day, 2);
  *p++ = 'T';
  const int64_t seconds = of_day / kMicrosPerSecond;
  const int64_t fraction = of_day % kMicrosPerSecond;
  p = PutDigits(p, seconds / 3600, 2);
  *p++ = ':';
  p = PutDigits(p, seconds / 60 % 60, 2);
  *p++ = ':';
  p = PutDigits(p, seconds % 60, 2);
  if (fraction != 0) {
    *p++ = '.';
    p = fraction % 1000 == 0 ? PutDigits(p, fraction / 1000, 3) : PutDigits(p, fraction, 6);
  }
  return p;
}

// "+05:30", or "+05:21:10" for the historical offsets that have seconds.
char* PutOffset(char* p, int offset_seconds) {
  *p++ = offset_seconds < 0 ? '-' : '+';
  const int a = std::abs(offset_seconds);
  p = PutDigits(p, a / 3600, 2);
  *p++ = ':';
  p = PutDigits(p, a / 60 % 60, 2);
  if (a % 60 != 0) {
    *p++ = ':';
    p = PutDigits(p, a % 60, 2);
  }
  return p;
}

// The offset of `zone` at `t`, in seconds east of UTC.
int OffsetAt(TimestampMicros t, const TimeZone& zone) {
  if (zone.is_utc()) return 0;
  return zone.absl_zone().At(absl::FromUnixMicros(t)).offset;
}

// Local time in microseconds; saturates at the int64 limits.
TimestampMicros ToLocal(TimestampMicros t, int offset_seconds) {
  TimestampMicros local;
  if (__builtin_add_overflow(t, int64_t{offset_seconds} * kMicrosPerSecond, &local)) {
    return offset_seconds < 0 ? std::numeric_limits<int64_t>::min()
                              : std::numeric_limits<int64_t>::max();
  }
  return local;
}

}  // namespace

// ---------------------------------------------------------------------------

TimeZone::TimeZone() : zone_(absl::UTCTimeZone()) {}

StatusOr<TimeZone> TimeZone::Load(std::string_view name) {
  TimeZone tz;
  if (name == "UTC" || name == "Z" || name == "z" || name == "Etc/UTC") return tz;
  if (!name.empty() && (name.front() == '+' || name.front() == '-')) {
    int offset_seconds = 0;
    if (!time_internal::ParseUtcOffset(name, &offset_seconds)) {
      return Status(absl::StatusCode::kInvalidArgument,
                    absl::StrCat("malformed UTC offset ", Quote(name),
                                 " as time zone; expected +hh:mm, +hhmm or +hh with hh 00..23 and "
                                 "mm 00..59, such as '+02:00' or '-0830'"));
    }
    if (offset_seconds == 0) return tz;
    tz.zone_ = absl::FixedTimeZone(offset_seconds);
    char buf[16];
    tz.name_.assign(buf, PutOffset(buf, offset_seconds));
    tz.is_utc_ = false;
    return tz;
  }
  // absl would also take "localtime" (the machine's zone) and file paths;
  // neither is an IANA name, and results must not depend on the machine.
  absl::TimeZone loaded;
  if (name.empty() || name == "localtime" || name.front() == '/' ||
      name.find("..") != std::string_view::npos ||
      !absl::LoadTimeZone(absl::string_view(name.data(), name.size()), &loaded)) {
    return Status(absl::StatusCode::kInvalidArgument,
                  absl::StrCat("unknown time zone ", Quote(name),
                               "; use an IANA name such as 'Europe/Paris', 'UTC' or an offset "
                               "like '+02:00'"));
  }
  tz.zone_ = loaded;
  tz.name_ = std::string(name);
  tz.is_utc_ = false;
  return tz;
}

std::string FormatRfc3339(TimestampMicros t) {
  char buf[48];
  char* p = PutLocal(buf, t);
  *p++ = 'Z';
  return std::string(buf, p);
}

std::string FormatRfc3339(TimestampMicros t, const TimeZone& zone) {
  if (zone.is_utc()) return FormatRfc3339(t);
  const int offset = OffsetAt(t, zone);
  char buf[64];
  char* p = PutLocal(buf, ToLocal(t, offset));
  p = PutOffset(p, offset);
  return std::string(buf, p);
}

CivilParts ToCivil(TimestampMicros t, const TimeZone& zone) {
  const TimestampMicros local = ToLocal(t, OffsetAt(t, zone));
  int64_t days, of_day;
  SplitDays(local, &days, &of_day);
  const CivilDate date = CivilFromDays(days);
  CivilParts parts;
  parts.year = static_cast<int>(date.year);
  parts.month = date.month;
  parts.day = date.day;
  const int64_t seconds = of_day / kMicrosPerSecond;
  parts.hour = static_cast<int>(seconds / 3600);
  parts.minute = static_cast<int>(seconds / 60 % 60);
  parts.second = static_cast<int>(seconds % 60);
  parts.microsecond = static_cast<int>(of_day % kMicrosPerSecond);
  parts.weekday = WeekdayFromDays(days);
  parts.yearday = date.yearday;
  return parts;
}

TimestampMicros NowMicros() { return absl::ToUnixMicros(absl::Now()); }

}  // namespace keel
