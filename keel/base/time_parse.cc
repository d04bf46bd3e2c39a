// Parsing timestamps (the layouts listed in time.h, with a hand-written
// parser) and epoch numbers in seconds, milliseconds or microseconds.
#include <cstdint>
#include <string>
#include <string_view>

#include "absl/base/attributes.h"
#include "absl/strings/str_cat.h"
#include "keel/base/time.h"
#include "keel/base/time_internal.h"

namespace keel {
namespace {

using time_internal::DaysFromCivilYear1To9999;
using time_internal::DaysInMonth;
using time_internal::kMaxMicros;
using time_internal::kMinMicros;
using time_internal::kSecondsPerDay;
using time_internal::Quote;

constexpr int64_t kPow10[] = {1, 10, 100, 1000, 10000, 100000, 1000000};

const char kLayoutsHint[] =
    "layouts: 2024-03-10T14:30:00Z, 2024-03-10T14:30:00.123+02:00, 2024-03-10 14:30:00, "
    "2024-03-10, 2024/03/10 14:30, 20240310T143000Z";

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

// The whole parser; `text` is already trimmed. On success sets *has_offset,
// on failure fills *f.
bool ParseCore(std::string_view text, const TimeZone& zone, TimestampMicros* out,
               bool* has_offset_out, ParseFailure* f) {
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
  *has_offset_out = has_offset;
  return true;
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

namespace time_internal {

// The text as quoted in messages, cut to a readable length.
std::string Quote(std::string_view text) {
  constexpr size_t kMaxQuoted = 80;
  if (text.size() <= kMaxQuoted) return absl::StrCat("'", std::string(text), "'");
  return absl::StrCat("'", std::string(text.substr(0, kMaxQuoted)), "...' (", text.size(),
                      " bytes)");
}

bool ParseUtcOffset(std::string_view text, int* offset_seconds) {
  Cursor c(text);
  ParseFailure failure;
  return ParseOffset(c, offset_seconds, &failure) && c.AtEnd();
}

}  // namespace time_internal

StatusOr<TimestampMicros> ParseTimestamp(std::string_view text, const TimeZone& zone) {
  const std::string_view trimmed = TrimSpaces(text);
  if (trimmed.empty()) {
    return Status(absl::StatusCode::kInvalidArgument,
                  absl::StrCat(Quote(text), ": empty; expected a timestamp (", kLayoutsHint, ")"));
  }
  TimestampMicros t = 0;
  bool has_offset = false;
  ParseFailure failure;
  if (!ParseCore(trimmed, zone, &t, &has_offset, &failure)) {
    return Status(absl::StatusCode::kInvalidArgument, DescribeFailure(trimmed, failure));
  }
  return t;
}

bool TryParseTimestamp(std::string_view text, const TimeZone& zone, TimestampMicros* out) {
  bool has_offset = false;
  return TryParseTimestamp(text, zone, out, &has_offset);
}

bool TryParseTimestamp(std::string_view text, const TimeZone& zone, TimestampMicros* out,
                       bool* has_offset) {
  ParseFailure failure;
  return ParseCore(TrimSpaces(text), zone, out, has_offset, &failure);
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

}  // namespace keel
