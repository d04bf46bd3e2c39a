// Timestamps: a hand-written parser for the layouts listed in time.h, civil
// date arithmetic on the proleptic Gregorian calendar, RFC 3339 formatting and
// time zone loading through absl (tzdata).
#include "keel/base/time.h"

#include <cstdlib>
#include <limits>

#include "absl/base/attributes.h"
#include "absl/strings/str_cat.h"

namespace keel {
namespace {

constexpr int64_t kSecondsPerDay = 86'400;
// Days from 0001-01-01 to 1970-01-01.
constexpr int64_t kDaysFrom0001To1970 = 719'162;
// Days in 400, 100 and 4 Gregorian years.
constexpr int64_t kDaysPer400Years = 146'097;
constexpr int64_t kDaysPer100Years = 36'524;
constexpr int64_t kDaysPer4Years = 1'461;
// Days before the first of each month in a common year; [12] is the year.
constexpr int kDaysBeforeMonth[13] = {0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334, 365};

constexpr int64_t kPow10[] = {1, 10, 100, 1000, 10000, 100000, 1000000};

const char kLayoutsHint[] =
    "layouts: 2024-03-10T14:30:00Z, 2024-03-10T14:30:00.123+02:00, 2024-03-10 14:30:00, "
    "2024-03-10, 2024/03/10 14:30, 20240310T143000Z";

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

static_assert(DaysFromCivil(1970, 1, 1) == 0);
static_assert(DaysFromCivilYear1To9999(2024, 2, 29) == DaysFromCivil(2024, 2, 29));
static_assert(DaysFromCivilYear1To9999(1, 1, 1) == DaysFromCivil(1, 1, 1));
static_assert(DaysFromCivilYear1To9999(9999, 12, 31) == DaysFromCivil(9999, 12, 31));
static_assert(DaysFromCivil(2000, 3, 1) == 11'017);
static_assert(DaysFromCivil(1969, 12, 31) == -1);

// Earliest and latest instants in range: 0001-01-01T00:00:00Z and
// 9999-12-31T23:59:59.999999Z.
constexpr TimestampMicros kMinMicros = DaysFromCivil(1, 1, 1) * kMicrosPerDay;
constexpr TimestampMicros kMaxMicros = DaysFromCivil(10000, 1, 1) * kMicrosPerDay - 1;

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

std::string_view TrimSpaces(std::string_view s) {
  while (!s.empty() && s.front() == ' ') s.remove_prefix(1);
  while (!s.empty() && s.back() == ' ') s.remove_suffix(1);
  return s;
}

// ---------------------------------------------------------------------------
// The timestamp parser. It never allocates: a failure is described by a
// ParseFailure that only ParseTimestamp turns into a message.

enum class Field {
  kNone,
  kYear,
  kMonth,
  kDay,
  kHour,
  kMinute,
  kSecond,
  kOffsetHour,
  kOffsetMinute
};

struct ParseFailure {
  // Syntax error: what was expected at byte `pos` of the trimmed text.
  const char* expected = nullptr;
  size_t pos = 0;
  // Range error: the field and its value (`year`/`month` give the context of
  // a day out of range).
  Field field = Field::kNone;
  int value = 0;
  int year = 0;
  int month = 0;
  // The instant falls outside 0001..9999; `before` tells which end.
  bool out_of_range = false;
  bool before = false;
  // Text remains after a complete timestamp, from `pos` on.
  bool trailing = false;
};

class Cursor {
 public:
  explicit Cursor(std::string_view s) : p_(s.data()), begin_(s.data()), end_(s.data() + s.size()) {}

  bool AtEnd() const { return p_ == end_; }
  char Peek() const { return p_ < end_ ? *p_ : '\0'; }
  bool PeekDigit() const { return p_ < end_ && static_cast<unsigned char>(*p_ - '0') < 10; }
  size_t pos() const { return static_cast<size_t>(p_ - begin_); }
  void Skip() { ++p_; }

  // Consumes `c` if it is next.
  bool Eat(char c) {
    if (p_ < end_ && *p_ == c) {
      ++p_;
      return true;
    }
    return false;
  }

  // Reads exactly `N` decimal digits into *value.
  template <int N>
  ABSL_ATTRIBUTE_ALWAYS_INLINE bool Digits(int* value) {
    if (end_ - p_ < N) return false;
    unsigned v = 0;
    bool bad = false;
    for (int i = 0; i < N; ++i) {
      const unsigned d = static_cast<unsigned char>(p_[i]) - unsigned{'0'};
      bad |= d > 9;
      v = v * 10 + d;
    }
    if (bad) return false;
    p_ += N;
    *value = static_cast<int>(v);
    return true;
  }

 private:
  const char* p_;
  const char* begin_;
  const char* end_;
};

bool Expected(const Cursor& c, const char* what, ParseFailure* f) {
  f->expected = what;
  f->pos = c.pos();
  return false;
}

bool OutOfRange(Field field, int value, ParseFailure* f) {
  f->field = field;
  f->value = value;
  return false;
}

// Reads "Z", "z", "+hh:mm", "+hhmm" or "+hh" (or '-') into seconds east of UTC.
bool ParseOffset(Cursor& c, int* offset_seconds, ParseFailure* f) {
  if (c.Eat('Z') || c.Eat('z')) {
    *offset_seconds = 0;
    return true;
  }
  const char sign = c.Peek();
  if (sign != '+' && sign != '-') return Expected(c, "'Z' or a UTC offset such as '+02:00'", f);
  c.Skip();
  int hours = 0;
  int minutes = 0;
  if (!c.Digits<2>(&hours)) return Expected(c, "2-digit UTC offset hours", f);
  if (c.Eat(':')) {
    if (!c.Digits<2>(&minutes)) return Expected(c, "2-digit UTC offset minutes", f);
  } else if (c.PeekDigit()) {
    if (!c.Digits<2>(&minutes)) return Expected(c, "2-digit UTC offset minutes", f);
  }
  if (hours > 23) return OutOfRange(Field::kOffsetHour, hours, f);
  if (minutes > 59) return OutOfRange(Field::kOffsetMinute, minutes, f);
  const int seconds = hours * 3600 + minutes * 60;
  *offset_seconds = sign == '-' ? -seconds : seconds;
  return true;
}

// The whole parser; `text` is already trimmed. On failure fills *f.
bool ParseCore(std::string_view text, const TimeZone& zone, TimestampMicros* out, ParseFailure* f) {
  Cursor c(text);
  int year, month, day;
  if (!c.Digits<4>(&year)) return Expected(c, "a 4-digit year", f);
  const char date_sep = c.Peek();
  const bool extended = date_sep == '-' || date_sep == '/';
  if (extended) {
    c.Skip();
    if (!c.Digits<2>(&month)) return Expected(c, "a 2-digit month", f);
    if (!c.Eat(date_sep)) {
      return Expected(
          c, date_sep == '-' ? "'-' between month and day" : "'/' between month and day", f);
    }
    if (!c.Digits<2>(&day)) return Expected(c, "a 2-digit day", f);
  } else {
    if (!c.Digits<2>(&month)) return Expected(c, "'-', '/' or a 2-digit month after the year", f);
    if (!c.Digits<2>(&day)) return Expected(c, "a 2-digit day", f);
  }
  if (year < 1) return OutOfRange(Field::kYear, year, f);
  if (month < 1 || month > 12) return OutOfRange(Field::kMonth, month, f);
  if (day < 1 || day > DaysInMonth(year, month)) {
    f->year = year;
    f->month = month;
    return OutOfRange(Field::kDay, day, f);
  }

  int hour = 0, minute = 0, second = 0;
  int64_t micros = 0;
  bool has_offset = false;
  int offset_seconds = 0;
  if (!c.AtEnd()) {
    if (!c.Eat('T') && !c.Eat('t') && !c.Eat(' ')) {
      return Expected(c, "'T' or a space between date and time", f);
    }
    bool has_seconds = false;
    if (!c.Digits<2>(&hour)) return Expected(c, "a 2-digit hour", f);
    if (extended) {
      if (!c.Eat(':')) return Expected(c, "':' between hour and minute", f);
      if (!c.Digits<2>(&minute)) return Expected(c, "a 2-digit minute", f);
      if (c.Eat(':')) {
        if (!c.Digits<2>(&second)) return Expected(c, "2-digit seconds", f);
        has_seconds = true;
      }
    } else {
      if (!c.Digits<2>(&minute)) return Expected(c, "a 2-digit minute (basic format hhmmss)", f);
      if (c.PeekDigit()) {
        if (!c.Digits<2>(&second)) return Expected(c, "2-digit seconds", f);
        has_seconds = true;
      }
    }
    if (hour > 23) return OutOfRange(Field::kHour, hour, f);
    if (minute > 59) return OutOfRange(Field::kMinute, minute, f);
    if (second > 59) return OutOfRange(Field::kSecond, second, f);
    if (has_seconds && c.Eat('.')) {
      int digits = 0;
      while (c.PeekDigit()) {
        if (digits == 9) return Expected(c, "at most 9 fraction digits", f);
        const int d = c.Peek() - '0';
        if (digits < 6) micros = micros * 10 + d;
        ++digits;
        c.Skip();
      }
      if (digits == 0) return Expected(c, "fraction digits after '.'", f);
      if (digits < 6) micros *= kPow10[6 - digits];
    }
    if (!c.AtEnd()) {
      if (!ParseOffset(c, &offset_seconds, f)) return false;
      has_offset = true;
    }
    if (!c.AtEnd()) {
      f->trailing = true;
      f->pos = c.pos();
      return false;
    }
  }

  const int64_t local_seconds = DaysFromCivilYear1To9999(year, month, day) * kSecondsPerDay +
                                hour * 3600 + minute * 60 + second;
  int64_t utc_seconds;
  if (has_offset) {
    utc_seconds = local_seconds - offset_seconds;
  } else if (zone.is_utc()) {
    utc_seconds = local_seconds;
  } else {
    // In a gap or overlap, `pre` uses the offset in effect before the
    // transition (as absl::FromCivil and Python's fold=0 do).
    const absl::TimeZone::TimeInfo info =
        zone.absl_zone().At(absl::CivilSecond(year, month, day, hour, minute, second));
    utc_seconds = absl::ToUnixSeconds(info.pre);
  }
  const TimestampMicros t = utc_seconds * kMicrosPerSecond + micros;
  if (t < kMinMicros || t > kMaxMicros) {
    f->out_of_range = true;
    f->before = t < kMinMicros;
    return false;
  }
  *out = t;
  return true;
}

// The text as quoted in messages, cut to a readable length.
std::string Quote(std::string_view text) {
  constexpr size_t kMaxQuoted = 80;
  if (text.size() <= kMaxQuoted) return absl::StrCat("'", std::string(text), "'");
  return absl::StrCat("'", std::string(text.substr(0, kMaxQuoted)), "...' (", text.size(),
                      " bytes)");
}

std::string DescribeFailure(std::string_view text, const ParseFailure& f) {
  const std::string quoted = Quote(text);
  if (f.out_of_range) {
    return absl::StrCat(quoted, f.before ? ": instant is before 0001-01-01T00:00:00Z"
                                         : ": instant is after 9999-12-31T23:59:59.999999Z");
  }
  if (f.trailing) {
    return absl::StrCat(quoted, ": unexpected text ", Quote(text.substr(f.pos)), " at column ",
                        f.pos + 1, " after the timestamp");
  }
  switch (f.field) {
    case Field::kYear:
      return absl::StrCat(quoted, ": year ", f.value, " out of range 1..9999");
    case Field::kMonth:
      return absl::StrCat(quoted, ": month ", f.value, " out of range 1..12");
    case Field::kDay:
      return absl::StrCat(quoted, ": day ", f.value, " out of range 1..",
                          DaysInMonth(f.year, f.month), " for ", absl::Dec(f.year, absl::kZeroPad4),
                          "-", absl::Dec(f.month, absl::kZeroPad2));
    case Field::kHour:
      return absl::StrCat(quoted, ": hour ", f.value, " out of range 0..23");
    case Field::kMinute:
      return absl::StrCat(quoted, ": minute ", f.value, " out of range 0..59");
    case Field::kSecond:
      return absl::StrCat(quoted, ": second ", f.value,
                          " out of range 0..59 (leap seconds are not accepted)");
    case Field::kOffsetHour:
      return absl::StrCat(quoted, ": UTC offset hour ", f.value, " out of range 0..23");
    case Field::kOffsetMinute:
      return absl::StrCat(quoted, ": UTC offset minute ", f.value, " out of range 0..59");
    case Field::kNone:
      break;
  }
  return absl::StrCat(quoted, ": expected ", f.expected, " at column ", f.pos + 1, " (",
                      kLayoutsHint, ")");
}

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

// ---------------------------------------------------------------------------
// Epoch numbers.

int64_t MicrosPerUnit(EpochUnit unit) {
  switch (unit) {
    case EpochUnit::kSeconds:
      return kMicrosPerSecond;
    case EpochUnit::kMillis:
      return 1000;
    case EpochUnit::kMicros:
      return 1;
  }
  return 1;
}

const char* UnitName(EpochUnit unit) {
  switch (unit) {
    case EpochUnit::kSeconds:
      return "seconds";
    case EpochUnit::kMillis:
      return "milliseconds";
    case EpochUnit::kMicros:
      return "microseconds";
  }
  return "?";
}

Status EpochOutOfRange(std::string_view shown, EpochUnit unit) {
  return Status(absl::StatusCode::kOutOfRange,
                absl::StrCat("epoch value ", std::string(shown), " (", UnitName(unit),
                             ") is outside years 0001..9999"));
}

}  // namespace

// ---------------------------------------------------------------------------

TimeZone::TimeZone() : zone_(absl::UTCTimeZone()) {}

StatusOr<TimeZone> TimeZone::Load(std::string_view name) {
  TimeZone tz;
  if (name == "UTC" || name == "Z" || name == "z" || name == "Etc/UTC") return tz;
  if (!name.empty() && (name.front() == '+' || name.front() == '-')) {
    Cursor c(name);
    ParseFailure failure;
    int offset_seconds = 0;
    if (!ParseOffset(c, &offset_seconds, &failure) || !c.AtEnd()) {
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

StatusOr<TimestampMicros> ParseTimestamp(std::string_view text, const TimeZone& zone) {
  const std::string_view trimmed = TrimSpaces(text);
  if (trimmed.empty()) {
    return Status(absl::StatusCode::kInvalidArgument,
                  absl::StrCat(Quote(text), ": empty; expected a timestamp (", kLayoutsHint, ")"));
  }
  TimestampMicros t = 0;
  ParseFailure failure;
  if (!ParseCore(trimmed, zone, &t, &failure)) {
    return Status(absl::StatusCode::kInvalidArgument, DescribeFailure(trimmed, failure));
  }
  return t;
}

bool TryParseTimestamp(std::string_view text, const TimeZone& zone, TimestampMicros* out) {
  ParseFailure failure;
  return ParseCore(TrimSpaces(text), zone, out, &failure);
}

StatusOr<TimestampMicros> FromEpoch(int64_t value, EpochUnit unit) {
  TimestampMicros t;
  if (__builtin_mul_overflow(value, MicrosPerUnit(unit), &t) || t < kMinMicros || t > kMaxMicros) {
    return EpochOutOfRange(std::to_string(value), unit);
  }
  return t;
}

StatusOr<TimestampMicros> ParseEpoch(std::string_view text, EpochUnit unit) {
  const std::string_view s = TrimSpaces(text);
  auto malformed = [&](size_t pos, const char* expected) {
    return Status(absl::StatusCode::kInvalidArgument,
                  absl::StrCat(Quote(s), ": expected ", expected, " at column ", pos + 1,
                               " of an epoch number such as '1700000000' or '1700000000.25'"));
  };
  size_t i = 0;
  const bool negative = i < s.size() && s[i] == '-';
  if (i < s.size() && (s[i] == '-' || s[i] == '+')) ++i;
  const int64_t per_unit = MicrosPerUnit(unit);
  int fraction_digits = 0;  // digits of the unit that still count in micros
  for (int64_t p = per_unit; p > 1; p /= 10) ++fraction_digits;

  // The whole units, then the magnitude in microseconds; an int64 overflow
  // is reported as out of range.
  int64_t whole = 0;
  const size_t whole_begin = i;
  for (; i < s.size() && static_cast<unsigned char>(s[i] - '0') < 10; ++i) {
    if (__builtin_mul_overflow(whole, 10, &whole) ||
        __builtin_add_overflow(whole, s[i] - '0', &whole)) {
      return EpochOutOfRange(s, unit);
    }
  }
  if (i == whole_begin) return malformed(i, "a digit");
  int64_t magnitude;
  if (__builtin_mul_overflow(whole, per_unit, &magnitude)) return EpochOutOfRange(s, unit);
  if (i < s.size() && s[i] == '.') {
    ++i;
    const size_t fraction_begin = i;
    int64_t fraction = 0;
    int scale = fraction_digits;
    for (; i < s.size() && static_cast<unsigned char>(s[i] - '0') < 10; ++i) {
      if (scale > 0) {
        fraction = fraction * 10 + (s[i] - '0');
        --scale;
      }
    }
    if (i == fraction_begin) return malformed(i, "a digit after '.'");
    for (; scale > 0; --scale) fraction *= 10;
    if (__builtin_add_overflow(magnitude, fraction, &magnitude)) return EpochOutOfRange(s, unit);
  }
  if (i != s.size()) return malformed(i, "a digit or '.'");
  const TimestampMicros t = negative ? -magnitude : magnitude;
  if (t < kMinMicros || t > kMaxMicros) return EpochOutOfRange(s, unit);
  return t;
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
