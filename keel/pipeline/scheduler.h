// The foreground loop of `keel pipeline schedule`: wait for the next time a
// cron schedule fires, run, repeat, until stopped. The clock is an
// interface so tests drive the loop without waiting.
#ifndef KEEL_PIPELINE_SCHEDULER_H_
#define KEEL_PIPELINE_SCHEDULER_H_

#include <atomic>
#include <cstdint>
#include <functional>

#include "absl/time/time.h"
#include "keel/base/status.h"
#include "keel/pipeline/cron.h"

namespace keel::pipeline {

class Clock {
 public:
  virtual ~Clock() = default;
  virtual absl::Time Now() = 0;
  // Returns at `deadline`, or earlier (false) as soon as `stop` is true.
  virtual bool SleepUntil(absl::Time deadline, const std::atomic<bool>& stop) = 0;
};

// The system clock; sleeps in slices of at most 100 ms so that a stop
// request (a signal handler setting the flag) is seen promptly.
// Thread-safe; lives for the program.
Clock& SystemClock();

struct ScheduleOptions {
  // Stop after this many runs (0: never). For tests and one-off use.
  int64_t max_runs = 0;
  // Run once at start, before the first scheduled time.
  bool run_now = false;
  // Checked between runs and while sleeping; never interrupts a run.
  const std::atomic<bool>* stop = nullptr;
  // Told each time the loop starts waiting, with the time it waits for.
  std::function<void(absl::Time next)> on_wait;
};

// Calls `run(scheduled_time)` at each time `cron` fires. The next time is
// computed after a run ends, from the clock's time then: a run that
// overruns later firings skips them (no catch-up burst), and runs never
// overlap. A run's failure is the caller's to report; the loop goes on.
// Returns the number of runs made when stopped or after max_runs.
// Errors: FailedPrecondition when the schedule has no next time.
StatusOr<int64_t> RunOnSchedule(const CronSchedule& cron, Clock& clock,
                                const ScheduleOptions& options,
                                const std::function<void(absl::Time scheduled)>& run);

}  // namespace keel::pipeline

#endif  // KEEL_PIPELINE_SCHEDULER_H_
