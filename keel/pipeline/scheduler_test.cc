#include "keel/pipeline/scheduler.h"

#include <atomic>
#include <string>
#include <vector>

#include "gtest/gtest.h"

namespace keel::pipeline {
namespace {

// Time moves only when the loop sleeps or a run says so.
class FakeClock final : public Clock {
 public:
  explicit FakeClock(absl::Time now) : now_(now) {}
  absl::Time Now() override { return now_; }
  bool SleepUntil(absl::Time deadline, const std::atomic<bool>& stop) override {
    if (stop.load()) return false;
    if (deadline > now_) now_ = deadline;
    return true;
  }
  void Advance(absl::Duration d) { now_ += d; }

 private:
  absl::Time now_;
};

absl::Time At(int hour, int minute) {
  return absl::FromCivil(absl::CivilMinute(2024, 3, 8, hour, minute), absl::UTCTimeZone());
}

std::string Hhmm(absl::Time t) { return absl::FormatTime("%H:%M", t, absl::UTCTimeZone()); }

CronSchedule Every15() { return *CronSchedule::Parse("*/15 * * * *"); }

TEST(SchedulerTest, RunsAtEachFiringUntilMaxRuns) {
  FakeClock clock(At(10, 7));
  std::vector<std::string> runs, waits;
  ScheduleOptions options{.max_runs = 3,
                          .on_wait = [&](absl::Time next) { waits.push_back(Hhmm(next)); }};
  StatusOr<int64_t> n =
      RunOnSchedule(Every15(), clock, options, [&](absl::Time t) { runs.push_back(Hhmm(t)); });
  ASSERT_TRUE(n.ok()) << n.status();
  EXPECT_EQ(*n, 3);
  EXPECT_EQ(runs, (std::vector<std::string>{"10:15", "10:30", "10:45"}));
  EXPECT_EQ(waits, runs);
}

TEST(SchedulerTest, ALongRunSkipsTheFiringsItMissed) {
  FakeClock clock(At(10, 7));
  std::vector<std::string> runs;
  ScheduleOptions options{.max_runs = 2};
  ASSERT_TRUE(RunOnSchedule(Every15(), clock, options, [&](absl::Time t) {
                runs.push_back(Hhmm(t));
                clock.Advance(absl::Minutes(40));  // 10:15 -> 10:55
              }).ok());
  EXPECT_EQ(runs, (std::vector<std::string>{"10:15", "11:00"}));
}

TEST(SchedulerTest, RunNowRunsOnceBeforeTheFirstFiring) {
  FakeClock clock(At(10, 7));
  std::vector<std::string> runs;
  ScheduleOptions options{.max_runs = 2, .run_now = true};
  ASSERT_TRUE(RunOnSchedule(Every15(), clock, options, [&](absl::Time t) {
                runs.push_back(Hhmm(t));
              }).ok());
  EXPECT_EQ(runs, (std::vector<std::string>{"10:07", "10:15"}));
}

TEST(SchedulerTest, StopEndsTheLoopBetweenRunsAndDuringTheWait) {
  FakeClock clock(At(10, 7));
  std::atomic<bool> stop(false);
  int runs = 0;
  ScheduleOptions options{.stop = &stop};
  StatusOr<int64_t> n = RunOnSchedule(Every15(), clock, options, [&](absl::Time) {
    ++runs;
    stop = true;  // as a signal handler would during a run
  });
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(*n, 1);
  EXPECT_EQ(runs, 1);

  // Already stopped: the wait ends at once, nothing runs.
  n = RunOnSchedule(Every15(), clock, {.run_now = true, .stop = &stop},
                    [&](absl::Time) { ++runs; });
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(*n, 0);
  EXPECT_EQ(runs, 1);
}

TEST(SchedulerTest, SystemClockSleepReturnsEarlyWhenStopped) {
  std::atomic<bool> stop(true);
  const absl::Time start = absl::Now();
  EXPECT_FALSE(SystemClock().SleepUntil(start + absl::Hours(1), stop));
  stop = false;
  EXPECT_TRUE(SystemClock().SleepUntil(absl::Now() + absl::Milliseconds(20), stop));
  EXPECT_LT(absl::Now() - start, absl::Seconds(5));
}

}  // namespace
}  // namespace keel::pipeline
