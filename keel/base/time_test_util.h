// Internal to keel/base's time tests (time_test.cc, time_parse_test.cc,
// time_reference_test.cc): instants they share and helpers that must succeed.
#ifndef KEEL_BASE_TIME_TEST_UTIL_H_
#define KEEL_BASE_TIME_TEST_UTIL_H_

#include <string_view>

#include "gtest/gtest.h"
#include "keel/base/time.h"

namespace keel::time_test_internal {

// 2024-03-10T14:30:00Z.
inline constexpr TimestampMicros kMar10 = 1710081000 * kMicrosPerSecond;
// 0001-01-01T00:00:00Z and 9999-12-31T23:59:59.999999Z.
inline constexpr TimestampMicros kMinMicros = -62135596800 * kMicrosPerSecond;
inline constexpr TimestampMicros kMaxMicros = 253402300800 * kMicrosPerSecond - 1;

// The zone `name`; a failure to load it fails the test (and gives UTC).
inline TimeZone Zone(std::string_view name) {
  auto zone = TimeZone::Load(name);
  EXPECT_TRUE(zone.ok()) << zone.status();
  return zone.ok() ? *zone : TimeZone::Utc();
}

// The instant `text` names; a failure to parse it fails the test (and gives 0).
inline TimestampMicros Parse(std::string_view text, const TimeZone& zone = TimeZone::Utc()) {
  auto t = ParseTimestamp(text, zone);
  EXPECT_TRUE(t.ok()) << t.status();
  return t.ok() ? *t : 0;
}

}  // namespace keel::time_test_internal

#endif  // KEEL_BASE_TIME_TEST_UTIL_H_
