// Keel against an independent implementation: parsing, civil fields and
// formatting checked against Python's datetime + zoneinfo
// (keel/base/testdata/time_reference.py) on the same tzdata.
#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <fstream>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "gtest/gtest.h"
#include "keel/base/testing/subprocess.h"
#include "keel/base/testing/temp_dir.h"
#include "keel/base/time.h"
#include "keel/base/time_test_util.h"

namespace keel {
namespace {

using time_test_internal::Parse;
using time_test_internal::Zone;

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
