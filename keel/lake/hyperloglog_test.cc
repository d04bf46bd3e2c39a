#include "keel/lake/hyperloglog.h"

#include <cmath>
#include <string>

#include "gtest/gtest.h"

namespace keel {
namespace {

TEST(HyperLogLogTest, EstimatesWithinAFewPercent) {
  for (int64_t n : {0, 1, 10, 1000, 50'000, 1'000'000}) {
    HyperLogLog ints, strings;
    for (int64_t i = 0; i < n; ++i) {
      ints.AddHash(HyperLogLog::HashInt(static_cast<uint64_t>(i)));
      ints.AddHash(HyperLogLog::HashInt(static_cast<uint64_t>(i)));  // repeats don't count
      strings.AddHash(HyperLogLog::HashBytes("user-" + std::to_string(i)));
    }
    const double tolerance = std::max(1.0, 0.03 * static_cast<double>(n));
    EXPECT_NEAR(ints.Estimate(), n, tolerance) << n;
    EXPECT_NEAR(strings.Estimate(), n, tolerance) << n;
  }
}

TEST(HyperLogLogTest, MergeEqualsOneSketchOverBoth) {
  HyperLogLog a, b, both;
  for (int i = 0; i < 20'000; ++i) {
    const uint64_t h = HyperLogLog::HashInt(i);
    (i % 2 ? a : b).AddHash(h);
    both.AddHash(h);
  }
  a.Merge(b);
  EXPECT_EQ(a.Estimate(), both.Estimate());
}

}  // namespace
}  // namespace keel
