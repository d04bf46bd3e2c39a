#include "keel/pipeline/cron.h"

#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace keel::pipeline {
namespace {

using ::testing::HasSubstr;

absl::Time At(const std::string& rfc3339) {
  absl::Time t;
  std::string error;
  EXPECT_TRUE(absl::ParseTime(absl::RFC3339_full, rfc3339, &t, &error)) << error;
  return t;
}

std::string Next(const std::string& cron, const std::string& after,
                 const std::string& zone = "UTC") {
  StatusOr<TimeZone> tz = TimeZone::Load(zone);
  EXPECT_TRUE(tz.ok()) << tz.status();
  StatusOr<CronSchedule> parsed = CronSchedule::Parse(cron, *tz);
  EXPECT_TRUE(parsed.ok()) << parsed.status();
  if (!parsed.ok()) return "";
  std::optional<absl::Time> next = parsed->NextAfter(At(after));
  if (!next.has_value()) return "never";
  return absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", *next, absl::UTCTimeZone());
}

std::string ParseError(const std::string& cron) {
  StatusOr<CronSchedule> parsed = CronSchedule::Parse(cron);
  EXPECT_FALSE(parsed.ok()) << cron;
  return parsed.ok() ? "" : std::string(parsed.status().message());
}

TEST(CronTest, NextAfterIsTheFirstMatchingMinuteStrictlyLater) {
  EXPECT_EQ(Next("*/15 * * * *", "2024-03-10T14:07:30Z"), "2024-03-10T14:15:00Z");
  EXPECT_EQ(Next("*/15 * * * *", "2024-03-10T14:15:00Z"), "2024-03-10T14:30:00Z");
  EXPECT_EQ(Next("* * * * *", "2024-03-10T14:15:59Z"), "2024-03-10T14:16:00Z");
  EXPECT_EQ(Next("0 2 * * *", "2024-03-10T02:00:00Z"), "2024-03-11T02:00:00Z");
  EXPECT_EQ(Next("0 0 1 1 *", "2024-06-01T00:00:00Z"), "2025-01-01T00:00:00Z");
  EXPECT_EQ(Next("59 23 31 12 *", "2024-12-31T23:58:00Z"), "2024-12-31T23:59:00Z");
}

TEST(CronTest, ListsRangesStepsAndNames) {
  // 2024-03-08 is a Friday.
  EXPECT_EQ(Next("30 9 * * MON-FRI", "2024-03-08T10:00:00Z"), "2024-03-11T09:30:00Z");
  EXPECT_EQ(Next("0 9,17 * * *", "2024-03-08T10:00:00Z"), "2024-03-08T17:00:00Z");
  EXPECT_EQ(Next("10-20/5 * * * *", "2024-03-08T10:16:00Z"), "2024-03-08T10:20:00Z");
  EXPECT_EQ(Next("5/20 * * * *", "2024-03-08T10:26:00Z"), "2024-03-08T10:45:00Z");
  EXPECT_EQ(Next("0 0 1 */3 *", "2024-02-15T00:00:00Z"), "2024-04-01T00:00:00Z");
  EXPECT_EQ(Next("0 0 1 jan,Jul *", "2024-02-15T00:00:00Z"), "2024-07-01T00:00:00Z");
  // Sunday is 0 and 7.
  EXPECT_EQ(Next("0 12 * * 7", "2024-03-11T00:00:00Z"), "2024-03-17T12:00:00Z");
  EXPECT_EQ(Next("0 12 * * 0", "2024-03-11T00:00:00Z"), "2024-03-17T12:00:00Z");
  EXPECT_EQ(Next("0 12 * * fri-sat", "2024-03-11T00:00:00Z"), "2024-03-15T12:00:00Z");
}

TEST(CronTest, MacrosExpandToTheirFields) {
  EXPECT_EQ(Next("@hourly", "2024-03-08T10:16:00Z"), "2024-03-08T11:00:00Z");
  EXPECT_EQ(Next("@daily", "2024-03-08T10:16:00Z"), "2024-03-09T00:00:00Z");
  EXPECT_EQ(Next("@weekly", "2024-03-08T10:16:00Z"), "2024-03-10T00:00:00Z");
  EXPECT_EQ(Next("@monthly", "2024-03-08T10:16:00Z"), "2024-04-01T00:00:00Z");
  EXPECT_EQ(Next("@yearly", "2024-03-08T10:16:00Z"), "2025-01-01T00:00:00Z");
}

// Vixie cron: both day fields restricted -> either matches; one of them
// starting with '*' -> both must match.
TEST(CronTest, DayOfMonthAndDayOfWeekFollowTheVixieOrRule) {
  // 2024-09-01 is a Sunday: the first Friday (the 6th) comes before the 13th.
  EXPECT_EQ(Next("0 0 13 * FRI", "2024-09-01T00:00:00Z"), "2024-09-06T00:00:00Z");
  EXPECT_EQ(Next("0 0 13 * FRI", "2024-09-06T00:00:00Z"), "2024-09-13T00:00:00Z");
  EXPECT_EQ(Next("0 0 2 * MON", "2024-09-01T00:00:00Z"), "2024-09-02T00:00:00Z");
  // "*/2" starts with '*': odd days that are also Fridays (the 6th is even).
  EXPECT_EQ(Next("0 0 */2 * FRI", "2024-09-01T00:00:00Z"), "2024-09-13T00:00:00Z");
  // Day of week "*": the day of month alone.
  EXPECT_EQ(Next("0 0 13 * *", "2024-09-01T00:00:00Z"), "2024-09-13T00:00:00Z");
}

TEST(CronTest, LeapDayWaitsForALeapYear) {
  EXPECT_EQ(Next("0 0 29 2 *", "2024-03-01T00:00:00Z"), "2028-02-29T00:00:00Z");
}

TEST(CronTest, TimeZonesSkipAMissingHourAndRunARepeatedOneOnce) {
  // New York springs forward at 02:00 on 2024-03-10: 02:30 does not exist.
  EXPECT_EQ(Next("30 2 * * *", "2024-03-09T12:00:00Z", "America/New_York"), "2024-03-11T06:30:00Z");
  EXPECT_EQ(Next("0 9 * * *", "2024-03-09T15:00:00Z", "America/New_York"),
            "2024-03-10T13:00:00Z");  // 09:00 EDT
  // It falls back at 02:00 on 2024-11-03: 01:30 happens at 05:30Z and 06:30Z.
  EXPECT_EQ(Next("30 1 * * *", "2024-11-03T05:00:00Z", "America/New_York"), "2024-11-03T05:30:00Z");
  EXPECT_EQ(Next("30 1 * * *", "2024-11-03T05:30:00Z", "America/New_York"), "2024-11-04T06:30:00Z");
  EXPECT_EQ(Next("30 1 * * *", "2024-11-03T06:00:00Z", "America/New_York"), "2024-11-04T06:30:00Z");
}

TEST(CronTest, MatchesWallClockMinutes) {
  StatusOr<CronSchedule> cron = CronSchedule::Parse("0-10 8 * * 1-5");
  ASSERT_TRUE(cron.ok()) << cron.status();
  EXPECT_TRUE(cron->Matches(absl::CivilMinute(2024, 3, 8, 8, 10)));   // Friday
  EXPECT_FALSE(cron->Matches(absl::CivilMinute(2024, 3, 9, 8, 10)));  // Saturday
  EXPECT_FALSE(cron->Matches(absl::CivilMinute(2024, 3, 8, 8, 11)));
  EXPECT_EQ(cron->text(), "0-10 8 * * 1-5");
}

TEST(CronTest, ErrorsNameTheFieldAndWhatIsAllowed) {
  EXPECT_THAT(ParseError("* * *"), HasSubstr("expected 5 fields"));
  EXPECT_THAT(ParseError("60 * * * *"), HasSubstr("minute: '60' is out of range 0-59"));
  EXPECT_THAT(ParseError("* 24 * * *"), HasSubstr("hour: '24' is out of range 0-23"));
  EXPECT_THAT(ParseError("* * 0 * *"), HasSubstr("day-of-month: '0' is out of range 1-31"));
  EXPECT_THAT(ParseError("* * * JNA *"), HasSubstr("Did you mean 'JAN'?"));
  EXPECT_THAT(ParseError("* * * * FUNDAY"), HasSubstr("day-of-week"));
  EXPECT_THAT(ParseError("5-1 * * * *"), HasSubstr("goes backwards"));
  EXPECT_THAT(ParseError("*/0 * * * *"), HasSubstr("step '0'"));
  EXPECT_THAT(ParseError("1,,2 * * * *"), HasSubstr("empty item"));
  EXPECT_THAT(ParseError("* * * x *"), HasSubstr("month"));
  EXPECT_THAT(ParseError("@reboot"), HasSubstr("unknown macro"));
  EXPECT_THAT(ParseError("0 0 30 2 *"), HasSubstr("never fires"));
  EXPECT_THAT(ParseError("0 0 31 4,6 *"), HasSubstr("never fires"));
  // With a day of week restricted too, the OR rule makes it fire.
  EXPECT_TRUE(CronSchedule::Parse("0 0 30 2 MON").ok());
}

}  // namespace
}  // namespace keel::pipeline
