#include "keel/pipeline/scheduler.h"

#include <algorithm>
#include <optional>
#include <thread>

#include "absl/strings/str_cat.h"
#include "keel/base/time.h"

namespace keel::pipeline {
namespace {

class RealClock final : public Clock {
 public:
  absl::Time Now() override { return absl::Now(); }
  bool SleepUntil(absl::Time deadline, const std::atomic<bool>& stop) override {
    while (!stop.load()) {
      const absl::Duration left = deadline - absl::Now();
      if (left <= absl::ZeroDuration()) return true;
      absl::SleepFor(std::min(left, absl::Milliseconds(100)));
    }
    return false;
  }
};

}  // namespace

Clock& SystemClock() {
  static auto* clock = new RealClock();
  return *clock;
}

StatusOr<int64_t> RunOnSchedule(const CronSchedule& cron, Clock& clock,
                                const ScheduleOptions& options,
                                const std::function<void(absl::Time scheduled)>& run) {
  const std::atomic<bool> never(false);
  const std::atomic<bool>& stop = options.stop != nullptr ? *options.stop : never;
  int64_t runs = 0;
  auto done = [&] { return stop.load() || (options.max_runs > 0 && runs >= options.max_runs); };
  if (options.run_now && !done()) {
    run(clock.Now());
    ++runs;
  }
  while (!done()) {
    const std::optional<absl::Time> next = cron.NextAfter(clock.Now());
    if (!next.has_value()) {
      return absl::FailedPreconditionError(
          absl::StrCat("cron '", cron.text(), "' does not fire again in the next 30 years"));
    }
    if (options.on_wait) options.on_wait(*next);
    if (!clock.SleepUntil(*next, stop)) break;
    run(*next);
    ++runs;
  }
  return runs;
}

}  // namespace keel::pipeline
