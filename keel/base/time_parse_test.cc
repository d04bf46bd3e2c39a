// Tests of parsing: timestamps in every layout of time.h, their error
// messages, local times in zones, and epoch numbers.
#include <algorithm>
#include <memory>
#include <random>
#include <string>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "keel/base/time.h"
#include "keel/base/time_test_util.h"

namespace keel {
namespace {

using ::testing::HasSubstr;
using time_test_internal::kMar10;
using time_test_internal::kMaxMicros;
using time_test_internal::kMinMicros;
using time_test_internal::Parse;
using time_test_internal::Zone;

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

TEST(TimestampParseTest, TryParseTellsWhetherTheTextHadAnOffset) {
  for (const char* text :
       {"2024-03-10T14:30:00Z", "2024-03-10 14:30:00z", "2024-03-10T14:30+02:00",
        "2024-03-10T14:30:00.5-0530", "20240310T143000Z", "2024/03/10 14:30-05"}) {
    TimestampMicros t = 0;
    bool has_offset = false;
    EXPECT_TRUE(TryParseTimestamp(text, TimeZone::Utc(), &t, &has_offset)) << text;
    EXPECT_TRUE(has_offset) << text;
  }
  for (const char* text : {"2024-03-10", "2024-03-10 14:30", "2024-03-10T14:30:00.123", "20240310",
                           " 2024/03/10 14:30:00 "}) {
    TimestampMicros t = 0;
    bool has_offset = true;
    EXPECT_TRUE(TryParseTimestamp(text, TimeZone::Utc(), &t, &has_offset)) << text;
    EXPECT_FALSE(has_offset) << text;
  }
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

}  // namespace
}  // namespace keel
