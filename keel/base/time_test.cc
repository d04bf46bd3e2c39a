#include "keel/base/time.h"

#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <limits>
#include <memory>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "keel/base/testing/subprocess.h"
#include "keel/base/testing/temp_dir.h"

namespace keel {
namespace {

using ::testing::HasSubstr;

// 2024-03-10T14:30:00Z.
constexpr TimestampMicros kMar10 = 1710081000 * kMicrosPerSecond;
// 0001-01-01T00:00:00Z and 9999-12-31T23:59:59.999999Z.
constexpr TimestampMicros kMinMicros = -62135596800 * kMicrosPerSecond;
constexpr TimestampMicros kMaxMicros = 253402300800 * kMicrosPerSecond - 1;

TimeZone Zone(std::string_view name) {
  auto zone = TimeZone::Load(name);
  EXPECT_TRUE(zone.ok()) << zone.status();
  return zone.ok() ? *zone : TimeZone::Utc();
}

TimestampMicros Parse(std::string_view text, const TimeZone& zone = TimeZone::Utc()) {
  auto t = ParseTimestamp(text, zone);
  EXPECT_TRUE(t.ok()) << t.status();
  return t.ok() ? *t : 0;
}

// The message of a failed parse; also checks that TryParseTimestamp agrees.
std::string ParseError(std::string_view text) {
  TimestampMicros t = 0;
  EXPECT_FALSE(TryParseTimestamp(text, TimeZone::Utc(), &t)) << text;
  auto result = ParseTimestamp(text);
  EXPECT_FALSE(result.ok()) << text << " parsed as " << *result;
  if (result.ok()) return "";
  EXPECT_EQ(result.status().code(), absl::StatusCode::kInvalidArgument);
  return std::string(result.status().message());
}

TEST(TimeZoneTest, DefaultIsUtc) {
  TimeZone zone;
  EXPECT_TRUE(zone.is_utc());
  EXPECT_EQ(zone.name(), "UTC");
  EXPECT_EQ(zone.absl_zone(), absl::UTCTimeZone());
}

TEST(TimeZoneTest, UtcSpellingsAndZeroOffsetsAreUtc) {
  for (const char* name : {"UTC", "Z", "z", "Etc/UTC", "+00:00", "-00:00", "+0000", "+00"}) {
    TimeZone zone = Zone(name);
    EXPECT_TRUE(zone.is_utc()) << name;
    EXPECT_EQ(zone.name(), "UTC") << name;
  }
}

TEST(TimeZoneTest, FixedOffsetsAreNormalized) {
  EXPECT_EQ(Zone("+05:30").name(), "+05:30");
  EXPECT_EQ(Zone("+0530").name(), "+05:30");
  EXPECT_EQ(Zone("-08").name(), "-08:00");
  EXPECT_FALSE(Zone("-08:00").is_utc());
  EXPECT_EQ(Parse("2024-03-10 20:00", Zone("+05:30")), kMar10);
  EXPECT_EQ(Parse("2024-03-10 06:30", Zone("-0800")), kMar10);
}

TEST(TimeZoneTest, IanaNameIsKept) {
  TimeZone paris = Zone("Europe/Paris");
  EXPECT_EQ(paris.name(), "Europe/Paris");
  EXPECT_FALSE(paris.is_utc());
}

TEST(TimeZoneTest, UnknownZoneNamesTheZoneAndTheFix) {
  auto zone = TimeZone::Load("Mars/Base");
  ASSERT_FALSE(zone.ok());
  EXPECT_EQ(zone.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(zone.status().message(),
            "unknown time zone 'Mars/Base'; use an IANA name such as 'Europe/Paris', 'UTC' or an "
            "offset like '+02:00'");
  EXPECT_FALSE(TimeZone::Load("").ok());
  EXPECT_FALSE(TimeZone::Load("utc").ok());
  EXPECT_FALSE(TimeZone::Load("localtime").ok());
  EXPECT_FALSE(TimeZone::Load("/usr/share/zoneinfo/Europe/Paris").ok());
  EXPECT_FALSE(TimeZone::Load("../zoneinfo/Europe/Paris").ok());
}

TEST(TimeZoneTest, MalformedOffsetIsInvalidArgument) {
  for (const char* name : {"+25:00", "+05:60", "+5:30", "+05:3", "+05:30x", "-"}) {
    auto zone = TimeZone::Load(name);
    ASSERT_FALSE(zone.ok()) << name;
    EXPECT_EQ(zone.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(zone.status().message(), HasSubstr(absl::StrCat("malformed UTC offset '", name)));
  }
}

TEST(TimestampParseTest, KnownValues) {
  EXPECT_EQ(Parse("2024-02-29T12:00:00Z"), 1709208000000000);
  EXPECT_EQ(Parse("1970-01-01T00:00:00Z"), 0);
  EXPECT_EQ(Parse("2000-03-01"), 951868800 * kMicrosPerSecond);
  EXPECT_EQ(Parse("2038-01-19T03:14:08Z"), 2147483648000000);
}

TEST(TimestampParseTest, EveryLayoutGivesTheSameInstant) {
  for (const char* text :
       {"2024-03-10T14:30:00Z", "2024-03-10t14:30:00z", "2024-03-10T14:30:00",
        "2024-03-10 14:30:00", "2024-03-10 14:30", "2024-03-10T14:30Z", "2024/03/10 14:30:00",
        "2024/03/10T14:30", "20240310T143000Z", "20240310T143000", "20240310 1430",
        "2024-03-10T16:30:00+02:00", "2024-03-10T16:30:00+0200", "2024-03-10T16:30:00+02",
        "2024-03-10T09:00:00-05:30", "20240310T163000+0200", "  2024-03-10T14:30:00Z  "}) {
    TimestampMicros t = 0;
    EXPECT_TRUE(TryParseTimestamp(text, TimeZone::Utc(), &t)) << text;
    EXPECT_EQ(t, kMar10) << text;
    EXPECT_EQ(Parse(text), kMar10) << text;
  }
}

TEST(TimestampParseTest, DateOnlyIsMidnight) {
  const TimestampMicros midnight = kMar10 - (14 * 3600 + 30 * 60) * kMicrosPerSecond;
  EXPECT_EQ(Parse("2024-03-10"), midnight);
  EXPECT_EQ(Parse("2024/03/10"), midnight);
  EXPECT_EQ(Parse("20240310"), midnight);
}

TEST(TimestampParseTest, FractionsOfOneToNineDigitsTruncateToMicros) {
  const std::string digits = "123456789";
  const int64_t expected[] = {100000, 120000, 123000, 123400, 123450,
                              123456, 123456, 123456, 123456};
  for (int n = 1; n <= 9; ++n) {
    const std::string text = absl::StrCat("2024-03-10T14:30:00.", digits.substr(0, n), "Z");
    EXPECT_EQ(Parse(text), kMar10 + expected[n - 1]) << text;
  }
  EXPECT_EQ(Parse("20240310T143000.5"), kMar10 + 500000);
  EXPECT_EQ(Parse("2024-03-10 16:30:00.000001+02:00"), kMar10 + 1);
  EXPECT_THAT(ParseError("2024-03-10T14:30:00.1234567890Z"),
              HasSubstr("expected at most 9 fraction digits at column 30"));
  EXPECT_THAT(ParseError("2024-03-10T14:30:00.Z"), HasSubstr("expected fraction digits after '.'"));
}

TEST(TimestampParseTest, YearsOneAndNineThousandNineHundredNinetyNine) {
  EXPECT_EQ(Parse("0001-01-01T00:00:00Z"), kMinMicros);
  EXPECT_EQ(Parse("9999-12-31T23:59:59.999999Z"), kMaxMicros);
  EXPECT_EQ(Parse("0001-01-01T01:00:00+01:00"), kMinMicros);
  EXPECT_EQ(ParseError("0001-01-01T00:00:00+01:00"),
            "'0001-01-01T00:00:00+01:00': instant is before 0001-01-01T00:00:00Z");
  EXPECT_EQ(ParseError("9999-12-31T23:00:00-01:00"),
            "'9999-12-31T23:00:00-01:00': instant is after 9999-12-31T23:59:59.999999Z");
  EXPECT_EQ(ParseError("0000-01-01"), "'0000-01-01': year 0 out of range 1..9999");
}

TEST(TimestampParseTest, PreEpochInstantsAreNegative) {
  EXPECT_EQ(Parse("1969-12-31T23:59:59.5Z"), -500000);
  EXPECT_EQ(Parse("1969-12-31T23:59:59.999999Z"), -1);
  EXPECT_EQ(Parse("1900-01-01"), -2208988800 * kMicrosPerSecond);
  EXPECT_EQ(Parse("1600-02-29T00:00:00Z"), -11670998400 * kMicrosPerSecond);
}

TEST(TimestampParseTest, LeapDays) {
  EXPECT_EQ(Parse("2000-02-29"), 951782400 * kMicrosPerSecond);
  EXPECT_EQ(Parse("2024-02-29"), 1709164800 * kMicrosPerSecond);
  EXPECT_EQ(ParseError("1900-02-29"), "'1900-02-29': day 29 out of range 1..28 for 1900-02");
  EXPECT_EQ(ParseError("2023-02-29"), "'2023-02-29': day 29 out of range 1..28 for 2023-02");
  EXPECT_EQ(ParseError("2024-02-30"), "'2024-02-30': day 30 out of range 1..29 for 2024-02");
  EXPECT_EQ(ParseError("2024-04-31 10:00"),
            "'2024-04-31 10:00': day 31 out of range 1..30 for 2024-04");
}

TEST(TimestampParseTest, FieldsOutOfRangeAreNamed) {
  EXPECT_EQ(ParseError("2024-13-01"), "'2024-13-01': month 13 out of range 1..12");
  EXPECT_EQ(ParseError("2024/00/01"), "'2024/00/01': month 0 out of range 1..12");
  EXPECT_EQ(ParseError("20240100"), "'20240100': day 0 out of range 1..31 for 2024-01");
  EXPECT_EQ(ParseError("2024-03-10T24:00:00Z"),
            "'2024-03-10T24:00:00Z': hour 24 out of range 0..23");
  EXPECT_EQ(ParseError("2024-03-10 12:60"), "'2024-03-10 12:60': minute 60 out of range 0..59");
  EXPECT_EQ(ParseError("2024-03-10T23:59:60Z"),
            "'2024-03-10T23:59:60Z': second 60 out of range 0..59 (leap seconds are not accepted)");
  EXPECT_EQ(ParseError("2024-03-10T12:00:00+24:00"),
            "'2024-03-10T12:00:00+24:00': UTC offset hour 24 out of range 0..23");
  EXPECT_EQ(ParseError("2024-03-10T12:00:00-0560"),
            "'2024-03-10T12:00:00-0560': UTC offset minute 60 out of range 0..59");
}

TEST(TimestampParseTest, SyntaxErrorsSayWhatWasExpectedWhere) {
  EXPECT_THAT(ParseError(""), HasSubstr("'': empty; expected a timestamp (layouts: "));
  EXPECT_THAT(ParseError("   "), HasSubstr("'   ': empty"));
  EXPECT_THAT(ParseError("garbage"),
              HasSubstr("'garbage': expected a 4-digit year at column 1 (layouts: "
                        "2024-03-10T14:30:00Z"));
  EXPECT_THAT(ParseError("2024-3-10"), HasSubstr("expected a 2-digit month at column 6"));
  EXPECT_THAT(ParseError("2024-03/10"),
              HasSubstr("expected '-' between month and day at column 8"));
  EXPECT_THAT(ParseError("2024-03-1"), HasSubstr("expected a 2-digit day at column 9"));
  EXPECT_THAT(ParseError("2024.03.10"),
              HasSubstr("expected '-', '/' or a 2-digit month after the year at column 5"));
  EXPECT_THAT(ParseError("2024-03-10X14:30"),
              HasSubstr("expected 'T' or a space between date and time at column 11"));
  EXPECT_THAT(ParseError("2024-03-10T"), HasSubstr("expected a 2-digit hour at column 12"));
  EXPECT_THAT(ParseError("2024-03-10T14"), HasSubstr("expected ':' between hour and minute"));
  EXPECT_THAT(ParseError("20240310T14:30:00"), HasSubstr("basic format hhmmss"));
  EXPECT_THAT(ParseError("2024-03-10T14:30:00 +02:00"),
              HasSubstr("expected 'Z' or a UTC offset such as '+02:00' at column 20"));
  EXPECT_THAT(ParseError("2024-03-10T14:30:00+2"),
              HasSubstr("expected 2-digit UTC offset hours at column 21"));
  EXPECT_EQ(ParseError("2024-03-10T14:30:00Zjunk"),
            "'2024-03-10T14:30:00Zjunk': unexpected text 'junk' at column 21 after the timestamp");
  EXPECT_THAT(ParseError("2024-03-10T14:30:00+02:00:00"), HasSubstr("unexpected text ':00'"));
  EXPECT_THAT(ParseError(std::string(200, '9')), HasSubstr("...' (200 bytes)"));
}

// Truncated and mutated timestamps: never a crash or an out-of-bounds read,
// and TryParseTimestamp accepts exactly what ParseTimestamp accepts.
TEST(TimestampParseTest, TryParseAgreesWithParseOnMutatedText) {
  std::mt19937_64 rng(11);
  const std::string seeds[] = {"2024-03-10T14:30:00.123456789+05:30", "20240310T143000Z",
                               "2024/03/10 14:30", "2024-02-29"};
  const std::string alphabet = "0123456789-/:.+TZtz x";
  const TimeZone paris = Zone("Europe/Paris");
  int accepted = 0;
  for (int i = 0; i < 20000; ++i) {
    std::string text = seeds[i % 4];
    text.resize(rng() % (text.size() + 1));
    for (int k = static_cast<int>(rng() % 3); k > 0 && !text.empty(); --k) {
      text[rng() % text.size()] = alphabet[rng() % alphabet.size()];
    }
    // An exact-size copy, so that AddressSanitizer sees a read past the end.
    const std::unique_ptr<char[]> exact(new char[text.size()]);
    std::copy(text.begin(), text.end(), exact.get());
    TimestampMicros fast = 0;
    const bool ok = TryParseTimestamp(std::string_view(exact.get(), text.size()), paris, &fast);
    auto slow = ParseTimestamp(text, paris);
    ASSERT_EQ(ok, slow.ok()) << "'" << text << "': " << slow.status();
    if (ok) {
      ASSERT_EQ(fast, *slow) << text;
      ++accepted;
    }
  }
  EXPECT_GT(accepted, 1000);
}

TEST(TimestampParseTest, LocalTimeUsesTheZone) {
  EXPECT_EQ(Parse("2024-07-01 12:00", Zone("Europe/Paris")), Parse("2024-07-01T10:00:00Z"));
  EXPECT_EQ(Parse("2024-01-01 12:00", Zone("Europe/Paris")), Parse("2024-01-01T11:00:00Z"));
  EXPECT_EQ(Parse("2024-03-10", Zone("Asia/Kolkata")), Parse("2024-03-09T18:30:00Z"));
  // An explicit offset wins over the zone.
  EXPECT_EQ(Parse("2024-03-10T14:30:00Z", Zone("Europe/Paris")), kMar10);
  EXPECT_EQ(Parse("2024-03-10T15:30:00+01:00", Zone("America/New_York")), kMar10);
}

TEST(TimestampParseTest, DstGapInNewYorkUsesTheOffsetBeforeTheTransition) {
  const TimeZone ny = Zone("America/New_York");
  // 02:00..02:59 does not exist on 2024-03-10; 02:30 EST is 03:30 EDT.
  EXPECT_EQ(Parse("2024-03-10 02:30", ny), Parse("2024-03-10T07:30:00Z"));
  EXPECT_EQ(Parse("2024-03-10 01:59:59", ny), Parse("2024-03-10T06:59:59Z"));
  EXPECT_EQ(Parse("2024-03-10 03:00", ny), Parse("2024-03-10T07:00:00Z"));
}

TEST(TimestampParseTest, DstOverlapInNewYorkTakesTheEarlierInstant) {
  const TimeZone ny = Zone("America/New_York");
  // 01:00..01:59 happens twice on 2024-11-03: first EDT (-04), then EST (-05).
  EXPECT_EQ(Parse("2024-11-03 01:30", ny), Parse("2024-11-03T05:30:00Z"));
  EXPECT_EQ(Parse("2024-11-03 00:59:59", ny), Parse("2024-11-03T04:59:59Z"));
  EXPECT_EQ(Parse("2024-11-03 02:00", ny), Parse("2024-11-03T07:00:00Z"));
}

TEST(TimeFormatTest, Rfc3339UtcShortestExactFraction) {
  EXPECT_EQ(FormatRfc3339(0), "1970-01-01T00:00:00Z");
  EXPECT_EQ(FormatRfc3339(kMar10), "2024-03-10T14:30:00Z");
  EXPECT_EQ(FormatRfc3339(kMar10 + 123000), "2024-03-10T14:30:00.123Z");
  EXPECT_EQ(FormatRfc3339(kMar10 + 100000), "2024-03-10T14:30:00.100Z");
  EXPECT_EQ(FormatRfc3339(kMar10 + 123456), "2024-03-10T14:30:00.123456Z");
  EXPECT_EQ(FormatRfc3339(kMar10 + 100), "2024-03-10T14:30:00.000100Z");
  EXPECT_EQ(FormatRfc3339(-1), "1969-12-31T23:59:59.999999Z");
  EXPECT_EQ(FormatRfc3339(-2208988800 * kMicrosPerSecond), "1900-01-01T00:00:00Z");
  EXPECT_EQ(FormatRfc3339(kMinMicros), "0001-01-01T00:00:00Z");
  EXPECT_EQ(FormatRfc3339(kMaxMicros), "9999-12-31T23:59:59.999999Z");
}

TEST(TimeFormatTest, Rfc3339InZone) {
  EXPECT_EQ(FormatRfc3339(kMar10, Zone("Europe/Paris")), "2024-03-10T15:30:00+01:00");
  EXPECT_EQ(FormatRfc3339(kMar10, Zone("America/New_York")), "2024-03-10T10:30:00-04:00");
  EXPECT_EQ(FormatRfc3339(kMar10 + 5000, Zone("+05:30")), "2024-03-10T20:00:00.005+05:30");
  EXPECT_EQ(FormatRfc3339(kMar10, TimeZone::Utc()), "2024-03-10T14:30:00Z");
  EXPECT_EQ(FormatRfc3339(kMar10, Zone("Etc/UTC")), "2024-03-10T14:30:00Z");
  // Paris Mean Time until 1911.
  EXPECT_EQ(FormatRfc3339(Parse("1900-06-01"), Zone("Europe/Paris")),
            "1900-06-01T00:09:21+00:09:21");
}

TEST(TimeFormatTest, ParseOfFormatRoundTrips) {
  std::mt19937_64 rng(7);
  std::uniform_int_distribution<TimestampMicros> any(kMinMicros + kMicrosPerDay,
                                                     kMaxMicros - kMicrosPerDay);
  const TimeZone zones[] = {TimeZone::Utc(), Zone("America/New_York"), Zone("Asia/Kathmandu"),
                            Zone("-03:30")};
  for (int i = 0; i < 4000; ++i) {
    TimestampMicros t = any(rng);
    if (i % 3 == 0) t -= t % kMicrosPerSecond;
    if (i % 3 == 1) t -= t % 1000;
    const TimeZone& zone = zones[i % 4];
    // Local mean time offsets with seconds ("+05:41:16") are not RFC 3339.
    if (zone.absl_zone().At(ToAbslTime(t)).offset % 60 != 0) continue;
    const std::string text = FormatRfc3339(t, zone);
    ASSERT_EQ(Parse(text), t) << text;
  }
  for (const char* text :
       {"2024-03-10T14:30:00Z", "1969-07-20T20:17:40.500Z", "0001-01-01T00:00:00Z",
        "9999-12-31T23:59:59.999999Z", "2024-02-29T00:00:00.001Z"}) {
    EXPECT_EQ(FormatRfc3339(Parse(text)), text);
  }
}

TEST(TimeCivilTest, FieldsWeekdayAndYearday) {
  CivilParts p = ToCivil(Parse("2024-02-29T12:34:56.789Z"));
  EXPECT_EQ(p.year, 2024);
  EXPECT_EQ(p.month, 2);
  EXPECT_EQ(p.day, 29);
  EXPECT_EQ(p.hour, 12);
  EXPECT_EQ(p.minute, 34);
  EXPECT_EQ(p.second, 56);
  EXPECT_EQ(p.microsecond, 789000);
  EXPECT_EQ(p.weekday, 3);  // Thursday
  EXPECT_EQ(p.yearday, 60);

  p = ToCivil(0);
  EXPECT_EQ(p.weekday, 3);
  EXPECT_EQ(p.yearday, 1);
  EXPECT_EQ(ToCivil(Parse("2023-12-31")).yearday, 365);
  EXPECT_EQ(ToCivil(Parse("2024-12-31")).yearday, 366);
  EXPECT_EQ(ToCivil(Parse("2024-12-31")).weekday, 1);  // Tuesday
  EXPECT_EQ(ToCivil(Parse("2024-03-10")).weekday, 6);  // Sunday
  EXPECT_EQ(ToCivil(Parse("2024-03-11")).weekday, 0);  // Monday
  EXPECT_EQ(ToCivil(kMinMicros).weekday, 0);           // 0001-01-01, proleptic Gregorian
  EXPECT_EQ(ToCivil(kMaxMicros).weekday, 4);           // 9999-12-31 is a Friday
  EXPECT_EQ(ToCivil(kMaxMicros).yearday, 365);
}

// Walks every day of years 0001..9999 and checks ToCivil and the parser
// against a plain day counter.
TEST(TimeCivilTest, EveryDayOfTheRange) {
  int64_t days = kMinMicros / kMicrosPerDay;
  int weekday = 0;  // 0001-01-01 was a Monday (proleptic Gregorian)
  for (int year = 1; year <= 9999; ++year) {
    const bool leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0);
    const int month_days[] = {31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    int yearday = 1;
    for (int month = 1; month <= 12; ++month) {
      for (int day = 1; day <= month_days[month - 1]; ++day, ++days, ++yearday) {
        const CivilParts p = ToCivil(days * kMicrosPerDay + 1);
        ASSERT_TRUE(p.year == year && p.month == month && p.day == day && p.yearday == yearday &&
                    p.weekday == weekday && p.microsecond == 1)
            << year << "-" << month << "-" << day;
        weekday = (weekday + 1) % 7;
        if (days % 101 == 0) {
          ASSERT_EQ(Parse(absl::StrFormat("%04d-%02d-%02d", year, month, day)),
                    days * kMicrosPerDay);
        }
      }
    }
  }
  EXPECT_EQ(days * kMicrosPerDay, kMaxMicros + 1);
}

TEST(TimeCivilTest, ExtremeInt64ValuesDoNotCrash) {
  const TimeZone ny = Zone("America/New_York");
  for (TimestampMicros t :
       {std::numeric_limits<int64_t>::min(), std::numeric_limits<int64_t>::max()}) {
    EXPECT_FALSE(FormatRfc3339(t).empty());
    EXPECT_FALSE(FormatRfc3339(t, ny).empty());
    const CivilParts p = ToCivil(t, ny);
    EXPECT_GE(p.weekday, 0);
    EXPECT_LE(p.weekday, 6);
  }
  EXPECT_EQ(FormatRfc3339(std::numeric_limits<int64_t>::min()), "-290308-12-21T19:59:05.224192Z");
}

TEST(TimeCivilTest, PreEpoch) {
  const CivilParts p = ToCivil(-1);
  EXPECT_EQ(p.year, 1969);
  EXPECT_EQ(p.month, 12);
  EXPECT_EQ(p.day, 31);
  EXPECT_EQ(p.hour, 23);
  EXPECT_EQ(p.second, 59);
  EXPECT_EQ(p.microsecond, 999999);
  EXPECT_EQ(p.weekday, 2);  // Wednesday
  EXPECT_EQ(p.yearday, 365);
}

TEST(TimeCivilTest, InZone) {
  const CivilParts ny = ToCivil(Parse("2024-03-10T07:30:00Z"), Zone("America/New_York"));
  EXPECT_EQ(ny.day, 10);
  EXPECT_EQ(ny.hour, 3);
  EXPECT_EQ(ny.minute, 30);
  const CivilParts tokyo = ToCivil(Parse("2024-12-31T20:00:00Z"), Zone("Asia/Tokyo"));
  EXPECT_EQ(tokyo.year, 2025);
  EXPECT_EQ(tokyo.yearday, 1);
  EXPECT_EQ(tokyo.weekday, 2);  // Wednesday
  EXPECT_EQ(tokyo.hour, 5);
}

TEST(EpochTest, FromEpochScalesAndChecksRange) {
  EXPECT_EQ(*FromEpoch(1700000000, EpochUnit::kSeconds), 1700000000 * kMicrosPerSecond);
  EXPECT_EQ(*FromEpoch(-1500, EpochUnit::kMillis), -1500000);
  EXPECT_EQ(*FromEpoch(42, EpochUnit::kMicros), 42);
  EXPECT_EQ(*FromEpoch(253402300799, EpochUnit::kSeconds), kMaxMicros - 999999);
  EXPECT_EQ(*FromEpoch(-62135596800, EpochUnit::kSeconds), kMinMicros);
  auto overflow = FromEpoch(int64_t{1} << 62, EpochUnit::kSeconds);
  EXPECT_EQ(overflow.status().code(), absl::StatusCode::kOutOfRange);
  EXPECT_THAT(overflow.status().message(), HasSubstr("(seconds) is outside years 0001..9999"));
  EXPECT_EQ(FromEpoch(253402300800, EpochUnit::kSeconds).status().code(),
            absl::StatusCode::kOutOfRange);
  EXPECT_EQ(FromEpoch(INT64_MAX, EpochUnit::kMicros).status().code(),
            absl::StatusCode::kOutOfRange);
}

TEST(EpochTest, ParseEpochIntegersAndDecimals) {
  EXPECT_EQ(*ParseEpoch("1700000000", EpochUnit::kSeconds), 1700000000 * kMicrosPerSecond);
  EXPECT_EQ(*ParseEpoch("1700000000.25", EpochUnit::kSeconds), 1700000000250000);
  EXPECT_EQ(*ParseEpoch(" -1.5 ", EpochUnit::kSeconds), -1500000);
  EXPECT_EQ(*ParseEpoch("+2", EpochUnit::kSeconds), 2000000);
  EXPECT_EQ(*ParseEpoch("1.23456789", EpochUnit::kSeconds), 1234567);
  EXPECT_EQ(*ParseEpoch("-0.0000009", EpochUnit::kSeconds), 0);
  EXPECT_EQ(*ParseEpoch("1700000000123", EpochUnit::kMillis), 1700000000123000);
  EXPECT_EQ(*ParseEpoch("1.5", EpochUnit::kMillis), 1500);
  EXPECT_EQ(*ParseEpoch("12.9", EpochUnit::kMicros), 12);
  EXPECT_EQ(*ParseEpoch("-62135596800", EpochUnit::kSeconds), kMinMicros);
}

TEST(EpochTest, ParseEpochErrors) {
  for (const char* text : {"", "abc", "1e9", "1.", ".5", "--1", "1 2", "0x10"}) {
    auto t = ParseEpoch(text, EpochUnit::kSeconds);
    ASSERT_FALSE(t.ok()) << text;
    EXPECT_EQ(t.status().code(), absl::StatusCode::kInvalidArgument) << text;
    EXPECT_THAT(t.status().message(), HasSubstr("of an epoch number such as '1700000000'"));
  }
  EXPECT_EQ(ParseEpoch("1e9", EpochUnit::kSeconds).status().message(),
            "'1e9': expected a digit or '.' at column 2 of an epoch number such as '1700000000' or "
            "'1700000000.25'");
  for (const char* text :
       {"99999999999999999999", "9223372036854775807", "253402300800", "-62135596800.000001"}) {
    EXPECT_EQ(ParseEpoch(text, EpochUnit::kSeconds).status().code(), absl::StatusCode::kOutOfRange)
        << text;
  }
}

TEST(TimeTest, NowIsPlausibleAndAbslConversionsRoundTrip) {
  const TimestampMicros now = NowMicros();
  EXPECT_GT(now, Parse("2024-01-01"));
  EXPECT_LT(now, Parse("2200-01-01"));
  EXPECT_EQ(FromAbslTime(ToAbslTime(kMar10 + 7)), kMar10 + 7);
}

// ---------------------------------------------------------------------------
// Keel against an independent implementation: Python's datetime + zoneinfo
// (keel/base/testdata/time_reference.py) on the same tzdata.

struct ParseCase {
  std::string zone, text, line;
};

TEST(TimeReferenceTest, MatchesPythonZoneinfo) {
  const char* python = "/usr/bin/python3";
  ASSERT_EQ(::access(python, X_OK), 0)
      << python << " is missing; scripts/install-deps.sh installs Debian's python3";
  const std::vector<std::string> zone_names = {"UTC",
                                               "America/New_York",
                                               "Europe/Paris",
                                               "Asia/Kolkata",
                                               "Australia/Lord_Howe",
                                               "Europe/Dublin",
                                               "America/Sao_Paulo",
                                               "Pacific/Chatham",
                                               "Asia/Kathmandu",
                                               "+05:30",
                                               "-08:00"};
  std::vector<TimeZone> zones;
  for (const std::string& name : zone_names) zones.push_back(Zone(name));

  std::mt19937_64 rng(20240310);
  auto uniform = [&](int64_t lo, int64_t hi) {
    return std::uniform_int_distribution<int64_t>(lo, hi)(rng);
  };
  const TimestampMicros lo = Parse("1900-01-01T00:00:00Z");
  const TimestampMicros hi = Parse("2100-12-31T00:00:00Z");
  const char* offsets[] = {"Z", "+05:30", "-0800", "+01", "-03:30", "+14:00"};

  // Civil times near a transition of the zone, where gaps and overlaps are.
  auto near_transition = [&](const TimeZone& zone, absl::CivilSecond* civil) {
    absl::TimeZone::CivilTransition transition;
    if (!zone.absl_zone().NextTransition(ToAbslTime(uniform(lo, hi - 400 * kMicrosPerDay)),
                                         &transition)) {
      return false;
    }
    *civil = transition.from + uniform(-5400, 5400);
    return true;
  };

  std::string input;
  std::vector<ParseCase> parse_cases;
  std::vector<std::pair<size_t, TimestampMicros>> civil_cases;  // zone index, instant
  int skipped_or_repeated = 0;  // parse cases in a DST gap or overlap
  for (int i = 0; i < 1000; ++i) {
    const size_t z = static_cast<size_t>(uniform(0, zones.size() - 1));
    absl::CivilSecond c = absl::ToCivilSecond(ToAbslTime(uniform(lo, hi)), absl::UTCTimeZone());
    if (i % 2 == 0) near_transition(zones[z], &c);
    const int layout = static_cast<int>(uniform(0, 5));
    int64_t second = c.second();
    std::string fraction;
    if (layout <= 3 && uniform(0, 1)) {
      const int64_t digits = uniform(1, 9);
      for (int64_t d = 0; d < digits; ++d) {
        fraction.push_back(static_cast<char>('0' + uniform(0, 9)));
      }
    }
    // Layouts 0, 1 and 3 sometimes carry an explicit offset.
    const std::string offset =
        layout != 2 && layout <= 3 && uniform(0, 3) == 0 ? offsets[uniform(0, 5)] : "";
    std::string text;
    const std::string dot = fraction.empty() ? "" : "." + fraction;
    int64_t hour = c.hour(), minute = c.minute();
    switch (layout) {
      case 0:
        text = absl::StrFormat("%04d-%02d-%02dT%02d:%02d:%02d%s%s", c.year(), c.month(), c.day(),
                               hour, minute, second, dot, offset);
        break;
      case 1:
        text = absl::StrFormat("%04d-%02d-%02d %02d:%02d:%02d%s%s", c.year(), c.month(), c.day(),
                               hour, minute, second, dot, offset);
        break;
      case 2:
        text = absl::StrFormat("%04d/%02d/%02d %02d:%02d:%02d%s", c.year(), c.month(), c.day(),
                               hour, minute, second, dot);
        break;
      case 3:
        text = absl::StrFormat("%04d%02d%02dT%02d%02d%02d%s%s", c.year(), c.month(), c.day(), hour,
                               minute, second, dot, offset);
        break;
      case 4:
        second = 0;
        text =
            absl::StrFormat("%04d-%02d-%02d %02d:%02d", c.year(), c.month(), c.day(), hour, minute);
        break;
      default:
        hour = minute = second = 0;
        text = absl::StrFormat("%04d-%02d-%02d", c.year(), c.month(), c.day());
        break;
    }
    const std::string line =
        absl::StrCat("P\t", zone_names[z], "\t", c.year(), "\t", c.month(), "\t", c.day(), "\t",
                     hour, "\t", minute, "\t", second, "\t", fraction, "\t", offset, "\n");
    input += line;
    parse_cases.push_back({zone_names[z], text, line});
    const absl::CivilSecond local(c.year(), c.month(), c.day(), hour, minute, second);
    if (offset.empty() && zones[z].absl_zone().At(local).kind != absl::TimeZone::TimeInfo::UNIQUE) {
      ++skipped_or_repeated;
    }
  }
  for (int i = 0; i < 1000; ++i) {
    const size_t z = static_cast<size_t>(uniform(0, zones.size() - 1));
    TimestampMicros t = uniform(lo, hi);
    absl::TimeZone::CivilTransition transition;
    if (i % 4 == 0 && zones[z].absl_zone().NextTransition(ToAbslTime(t), &transition)) {
      t = FromAbslTime(zones[z].absl_zone().At(transition.to).pre) +
          uniform(-7200, 7200) * kMicrosPerSecond;
    }
    if (i % 3 == 0) t -= t % 1000;
    civil_cases.emplace_back(z, t);
    input += absl::StrCat("C\t", zone_names[z], "\t", t, "\n");
  }

  testing::TempDir dir;
  const std::string in_path = dir.path() + "/cases.tsv";
  const std::string out_path = dir.path() + "/answers.txt";
  std::ofstream(in_path) << input;
  const std::string script = std::string(KEEL_SOURCE_DIR) + "/keel/base/testdata/time_reference.py";
  const testing::CommandResult run = testing::RunCommand({python, script, in_path, out_path});
  ASSERT_EQ(run.exit_code, 0) << script << " failed:\n" << run.err;
  std::ifstream answers_file(out_path);
  std::vector<std::string> answers;
  for (std::string line; std::getline(answers_file, line);) answers.push_back(line);
  ASSERT_EQ(answers.size(), parse_cases.size() + civil_cases.size());

  int failures = 0;
  for (size_t i = 0; i < parse_cases.size() && failures < 20; ++i) {
    const ParseCase& pc = parse_cases[i];
    const TimeZone& zone =
        zones[std::find(zone_names.begin(), zone_names.end(), pc.zone) - zone_names.begin()];
    auto t = ParseTimestamp(pc.text, zone);
    const std::string got = t.ok() ? absl::StrCat(*t) : std::string(t.status().message());
    if (got != answers[i]) {
      ++failures;
      ADD_FAILURE() << "parse '" << pc.text << "' in " << pc.zone << ": keel " << got << ", python "
                    << answers[i] << " (case " << pc.line << ")";
    }
  }
  int lmt_offsets = 0;
  for (size_t i = 0; i < civil_cases.size() && failures < 20; ++i) {
    const auto& [z, t] = civil_cases[i];
    const CivilParts p = ToCivil(t, zones[z]);
    const std::string formatted = FormatRfc3339(t, zones[z]);
    const int offset = zones[z].absl_zone().At(ToAbslTime(t)).offset;
    const std::string got = absl::StrCat(p.year, " ", p.month, " ", p.day, " ", p.hour, " ",
                                         p.minute, " ", p.second, " ", p.microsecond, " ",
                                         p.weekday, " ", p.yearday, " ", offset, " ", formatted);
    const std::string& want = answers[parse_cases.size() + i];
    if (got != want) {
      ++failures;
      ADD_FAILURE() << "civil " << t << " in " << zone_names[z] << ": keel '" << got
                    << "', python '" << want << "'";
    }
    if (offset % 60 != 0) {
      ++lmt_offsets;  // "+05:21:10" is not RFC 3339 and does not parse back
    } else if (Parse(formatted) != t) {
      ++failures;
      ADD_FAILURE() << "round trip of " << formatted;
    }
  }
  EXPECT_EQ(failures, 0);
  EXPECT_GT(skipped_or_repeated, 20);
  EXPECT_LT(lmt_offsets, 100);
}

}  // namespace
}  // namespace keel
