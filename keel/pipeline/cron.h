// Cron expressions for `keel pipeline schedule`: the five fields of Vixie
// cron (minute hour day-of-month month day-of-week) and the time each one
// fires next, in UTC or an IANA time zone.
//
//   KEEL_ASSIGN_OR_RETURN(CronSchedule cron, CronSchedule::Parse("*/15 9-17 * * MON-FRI"));
//   std::optional<absl::Time> next = cron.NextAfter(absl::Now());
#ifndef KEEL_PIPELINE_CRON_H_
#define KEEL_PIPELINE_CRON_H_

#include <bitset>
#include <optional>
#include <string>
#include <string_view>

#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "keel/base/status.h"
#include "keel/base/time.h"

namespace keel::pipeline {

// An immutable, parsed schedule. Cheap to copy; thread-safe.
class CronSchedule {
 public:
  // Fields, separated by spaces or tabs:
  //   minute 0-59, hour 0-23, day of month 1-31, month 1-12 or JAN-DEC,
  //   day of week 0-7 or SUN-SAT (0 and 7 are Sunday).
  // Each field is a comma-separated list of `*`, `N`, `N-M`, each optionally
  // with a step `/S` (`*/15`, `1-30/2`; `N/S` means N to the field's end).
  // Names are case-insensitive. Macros: @yearly (@annually), @monthly,
  // @weekly, @daily (@midnight), @hourly.
  //
  // Day rule (Vixie cron): when both day fields are restricted (neither
  // starts with `*`), a day matches if EITHER matches ("1,15 * MON": the 1st,
  // the 15th and every Monday); otherwise both must match.
  //
  // Errors: InvalidArgument naming the field, the offending text and the
  // allowed range; also for a schedule that can never fire ("0 0 30 2 *").
  static StatusOr<CronSchedule> Parse(std::string_view text, const TimeZone& zone = TimeZone());

  // The first whole minute strictly after `t` whose wall-clock time in the
  // zone matches. A local time skipped by a daylight-saving change does not
  // fire; one repeated fires once, at its first occurrence. nullopt when
  // nothing matches in the next 30 years (only possible for Feb 29 with a
  // restricted day of week that never meets it).
  std::optional<absl::Time> NextAfter(absl::Time t) const;

  // Whether the wall-clock minute `m` matches (the zone plays no part).
  bool Matches(absl::CivilMinute m) const;

  const std::string& text() const { return text_; }
  const TimeZone& zone() const { return zone_; }

 private:
  CronSchedule() = default;
  bool DayMatches(absl::CivilDay day) const;

  std::string text_;
  TimeZone zone_;
  std::bitset<60> minutes_;
  std::bitset<24> hours_;
  std::bitset<32> days_;       // 1..31
  std::bitset<13> months_;     // 1..12
  std::bitset<7> weekdays_;    // 0 = Sunday .. 6 = Saturday
  bool day_star_ = false;      // the day-of-month field starts with '*'
  bool weekday_star_ = false;  // the day-of-week field starts with '*'
};

}  // namespace keel::pipeline

#endif  // KEEL_PIPELINE_CRON_H_
