// Tests of time zones, RFC 3339 formatting, civil fields (ToCivil) and the
// clock. Parsing is tested in time_parse_test.cc.
#include "keel/base/time.h"

#include <cstdint>
#include <limits>
#include <random>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "keel/base/time_test_util.h"

namespace keel {
namespace {

using ::testing::HasSubstr;
using time_test_internal::kMar10;
using time_test_internal::kMaxMicros;
using time_test_internal::kMinMicros;
using time_test_internal::Parse;
using time_test_internal::Zone;

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

TEST(TimeTest, NowIsPlausibleAndAbslConversionsRoundTrip) {
  const TimestampMicros now = NowMicros();
  EXPECT_GT(now, Parse("2024-01-01"));
  EXPECT_LT(now, Parse("2200-01-01"));
  EXPECT_EQ(FromAbslTime(ToAbslTime(kMar10 + 7)), kMar10 + 7);
}

}  // namespace
}  // namespace keel
