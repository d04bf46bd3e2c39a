#include "keel/pipeline/cron.h"

#include <cctype>
#include <cstdint>
#include <map>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "keel/base/suggest.h"

namespace keel::pipeline {
namespace {

constexpr int kHorizonDays = 366 * 30;

struct Field {
  const char* name;
  int min;
  int max;                         // inclusive; day of week: 7 (folded to 0)
  std::vector<std::string> names;  // names[i] is min + i (or 0 + i for weekdays)
};

const Field& FieldAt(int index) {
  static const auto* fields = new std::vector<Field>{
      {"minute", 0, 59, {}},
      {"hour", 0, 23, {}},
      {"day-of-month", 1, 31, {}},
      {"month",
       1,
       12,
       {"JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"}},
      {"day-of-week", 0, 7, {"SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"}},
  };
  return (*fields)[index];
}

Status FieldError(std::string_view cron, const Field& field, const std::string& what) {
  return absl::InvalidArgumentError(
      absl::StrCat("cron '", std::string(cron), "': ", field.name, ": ", what));
}

// A number or a name in `field`'s range.
StatusOr<int> ParseValue(std::string_view cron, const Field& field, const std::string& text) {
  int value = 0;
  if (!text.empty() && std::isdigit(static_cast<unsigned char>(text[0]))) {
    if (!absl::SimpleAtoi(text, &value) || value < field.min || value > field.max) {
      return FieldError(cron, field,
                        absl::StrCat("'", text, "' is out of range ", field.min, "-", field.max));
    }
    return value;
  }
  const std::string upper = absl::AsciiStrToUpper(text);
  for (size_t i = 0; i < field.names.size(); ++i) {
    if (field.names[i] == upper) return static_cast<int>(i) + (field.min == 1 ? 1 : 0);
  }
  if (field.names.empty()) {
    return FieldError(cron, field,
                      absl::StrCat("'", text, "' is not a number ", field.min, "-", field.max));
  }
  return FieldError(
      cron, field,
      absl::StrCat("'", text, "' is not a number or a name (", absl::StrJoin(field.names, ", "),
                   ").", DidYouMean(upper, field.names)));
}

// The values one field selects, as a bit mask (bit v for value v).
StatusOr<uint64_t> ParseField(std::string_view cron, const Field& field, const std::string& text) {
  uint64_t mask = 0;
  for (absl::string_view item_view : absl::StrSplit(text, ',')) {
    const std::string item(item_view);
    if (item.empty()) return FieldError(cron, field, absl::StrCat("empty item in '", text, "'"));
    std::string base = item;
    int step = 1;
    bool stepped = false;
    if (const size_t slash = item.find('/'); slash != std::string::npos) {
      base = item.substr(0, slash);
      const std::string step_text = item.substr(slash + 1);
      if (!absl::SimpleAtoi(step_text, &step) || step < 1 || step > field.max) {
        return FieldError(
            cron, field,
            absl::StrCat("step '", step_text, "' in '", item, "' must be 1-", field.max));
      }
      stepped = true;
    }
    int low = field.min;
    int high = field.max;
    if (base != "*") {
      if (const size_t dash = base.find('-'); dash != std::string::npos) {
        KEEL_ASSIGN_OR_RETURN(low, ParseValue(cron, field, base.substr(0, dash)));
        KEEL_ASSIGN_OR_RETURN(high, ParseValue(cron, field, base.substr(dash + 1)));
        if (low > high) {
          return FieldError(
              cron, field,
              absl::StrCat("range '", base, "' goes backwards (", low, " > ", high, ")"));
        }
      } else {
        KEEL_ASSIGN_OR_RETURN(low, ParseValue(cron, field, base));
        if (!stepped) high = low;  // "5/10" runs from 5 to the field's end
      }
    }
    for (int v = low; v <= high; v += step) mask |= uint64_t{1} << v;
  }
  return mask;
}

template <size_t N>
std::bitset<N> ToBits(uint64_t mask) {
  return std::bitset<N>(mask & ((N >= 64) ? ~uint64_t{0} : ((uint64_t{1} << N) - 1)));
}

int DaysInMonth(int month) {  // the most a month ever has (February: 29)
  static constexpr int kDays[] = {0, 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return kDays[month];
}

}  // namespace

StatusOr<CronSchedule> CronSchedule::Parse(std::string_view text, const TimeZone& zone) {
  static const auto* macros = new std::map<std::string, std::string>{
      {"@yearly", "0 0 1 1 *"}, {"@annually", "0 0 1 1 *"}, {"@monthly", "0 0 1 * *"},
      {"@weekly", "0 0 * * 0"}, {"@daily", "0 0 * * *"},    {"@midnight", "0 0 * * *"},
      {"@hourly", "0 * * * *"},
  };
  const std::string trimmed(absl::StripAsciiWhitespace(std::string(text)));
  std::string expanded = trimmed;
  if (!trimmed.empty() && trimmed[0] == '@') {
    const auto it = macros->find(absl::AsciiStrToLower(trimmed));
    if (it == macros->end()) {
      std::vector<std::string> names;
      for (const auto& [name, unused] : *macros) names.push_back(name);
      return absl::InvalidArgumentError(absl::StrCat("cron '", trimmed, "': unknown macro.",
                                                     DidYouMean(trimmed, names),
                                                     " Macros: ", absl::StrJoin(names, ", ")));
    }
    expanded = it->second;
  }
  const std::vector<std::string> fields =
      absl::StrSplit(expanded, absl::ByAnyChar(" \t"), absl::SkipEmpty());
  if (fields.size() != 5) {
    return absl::InvalidArgumentError(absl::StrCat(
        "cron '", trimmed,
        "': expected 5 fields (minute hour day-of-month month day-of-week), got ", fields.size()));
  }
  uint64_t masks[5];
  for (int i = 0; i < 5; ++i) {
    KEEL_ASSIGN_OR_RETURN(masks[i], ParseField(trimmed, FieldAt(i), fields[i]));
  }
  if (masks[4] & (uint64_t{1} << 7)) masks[4] = (masks[4] | 1) & ~(uint64_t{1} << 7);

  CronSchedule cron;
  cron.text_ = trimmed;
  cron.zone_ = zone;
  cron.minutes_ = ToBits<60>(masks[0]);
  cron.hours_ = ToBits<24>(masks[1]);
  cron.days_ = ToBits<32>(masks[2]);
  cron.months_ = ToBits<13>(masks[3]);
  cron.weekdays_ = ToBits<7>(masks[4]);
  cron.day_star_ = fields[2][0] == '*';
  cron.weekday_star_ = fields[4][0] == '*';

  // With the day of week unrestricted, some selected day must exist in some
  // selected month.
  if (cron.weekday_star_ || cron.weekdays_.all()) {
    bool possible = false;
    for (int m = 1; m <= 12 && !possible; ++m) {
      for (int d = 1; d <= DaysInMonth(m) && !possible; ++d) {
        possible = cron.months_[m] && cron.days_[d];
      }
    }
    if (!possible) {
      return absl::InvalidArgumentError(
          absl::StrCat("cron '", trimmed,
                       "': never fires: none of the days of month selected exists in the months "
                       "selected"));
    }
  }
  return cron;
}

bool CronSchedule::DayMatches(absl::CivilDay day) const {
  if (!months_[day.month()]) return false;
  const bool dom = days_[day.day()];
  // absl::Weekday: monday = 0 .. sunday = 6; cron: sunday = 0.
  const int weekday = (static_cast<int>(absl::GetWeekday(day)) + 1) % 7;
  const bool dow = weekdays_[weekday];
  return (day_star_ || weekday_star_) ? (dom && dow) : (dom || dow);
}

bool CronSchedule::Matches(absl::CivilMinute m) const {
  return minutes_[m.minute()] && hours_[m.hour()] && DayMatches(absl::CivilDay(m));
}

std::optional<absl::Time> CronSchedule::NextAfter(absl::Time t) const {
  const absl::TimeZone& tz = zone_.absl_zone();
  const absl::CivilMinute start = absl::ToCivilMinute(t, tz) + 1;
  const absl::CivilDay first_day(start);
  for (absl::CivilDay day = first_day; day - first_day <= kHorizonDays; ++day) {
    if (!DayMatches(day)) continue;
    for (int hour = day == first_day ? start.hour() : 0; hour < 24; ++hour) {
      if (!hours_[hour]) continue;
      const int first_minute = (day == first_day && hour == start.hour()) ? start.minute() : 0;
      for (int minute = first_minute; minute < 60; ++minute) {
        if (!minutes_[minute]) continue;
        const absl::CivilMinute candidate(day.year(), day.month(), day.day(), hour, minute);
        const absl::TimeZone::TimeInfo info = tz.At(candidate);
        if (info.kind == absl::TimeZone::TimeInfo::SKIPPED) continue;
        // UNIQUE: pre == post. REPEATED: the first occurrence only.
        if (info.pre > t) return info.pre;
      }
    }
  }
  return std::nullopt;
}

}  // namespace keel::pipeline
