// Progress of long work (ingest, training, scoring), written to stderr:
// on a terminal a bar redrawn in place,
//   ingest txns [#########>          ] 45%  4.5M/10.0M rows  1.2M rows/s  ETA 4s
// otherwise (a pipe, a CI log) a plain line every few seconds,
//   ingest txns: 45% (4.5M/10.0M rows, 1.2M rows/s, ETA 4s)
// and one closing line when the work is done.
#ifndef KEEL_BASE_PROGRESS_H_
#define KEEL_BASE_PROGRESS_H_

#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <string>

#include "absl/synchronization/mutex.h"

namespace keel {

enum class ProgressMode {
  kAuto,   // kBar when the stream is a terminal, else kLines
  kBar,
  kLines,
  kOff,
};

struct ProgressOptions {
  ProgressMode mode = ProgressMode::kAuto;
  std::FILE* stream = stderr;
  // kLines: seconds between lines.
  double line_interval_seconds = 5.0;
  // kBar: seconds between redraws.
  double bar_interval_seconds = 0.1;
};

// Thread-safe: Add() may be called from many threads; drawing is throttled
// and never blocks a caller that finds another thread drawing.
class Progress {
 public:
  // `total` <= 0 means unknown (no percentage or ETA). `unit` names what is
  // counted ("rows", "bytes": bytes print as KiB/MiB/GiB).
  Progress(std::string label, int64_t total, std::string unit, ProgressOptions options = {});
  // Without Finish() the work did not complete (an error returned early):
  // a bar is cleared and no closing line is printed.
  ~Progress();
  Progress(const Progress&) = delete;
  Progress& operator=(const Progress&) = delete;

  void Add(int64_t n);
  void Set(int64_t done);
  // Prints the closing line ("ingest txns: done, 10.0M rows in 8.1s (1.2M rows/s)").
  // Call it once the work succeeded; later calls do nothing.
  void Finish();

  int64_t done() const { return done_.load(std::memory_order_relaxed); }
  ProgressMode mode() const { return mode_; }

  // Formatting helpers, exposed for tests: 1234567 -> "1.2M"; bytes -> "1.2 MiB".
  static std::string FormatCount(double n, const std::string& unit);
  static std::string FormatDuration(double seconds);  // 4s, 2m05s, 1h02m

 private:
  void MaybeDraw(bool force);
  std::string StatusText(double elapsed_seconds) const;

  const std::string label_;
  const int64_t total_;
  const std::string unit_;
  const ProgressOptions options_;
  ProgressMode mode_;
  const std::chrono::steady_clock::time_point start_;
  std::atomic<int64_t> done_{0};
  std::atomic<int64_t> next_draw_ns_{0};
  absl::Mutex draw_mu_;
  bool finished_ ABSL_GUARDED_BY(draw_mu_) = false;
};

// Resolves kAuto for `stream`.
ProgressMode ResolveProgressMode(ProgressMode mode, std::FILE* stream);

}  // namespace keel

#endif  // KEEL_BASE_PROGRESS_H_
