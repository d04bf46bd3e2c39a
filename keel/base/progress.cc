#include "keel/base/progress.h"

#include <unistd.h>

#include <algorithm>
#include <cmath>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace keel {

ProgressMode ResolveProgressMode(ProgressMode mode, std::FILE* stream) {
  if (mode != ProgressMode::kAuto) return mode;
  return ::isatty(::fileno(stream)) ? ProgressMode::kBar : ProgressMode::kLines;
}

Progress::Progress(std::string label, int64_t total, std::string unit, ProgressOptions options)
    : label_(std::move(label)),
      total_(total),
      unit_(std::move(unit)),
      options_(options),
      mode_(ResolveProgressMode(options.mode, options.stream)),
      start_(std::chrono::steady_clock::now()) {
  // The first plain line waits a full interval: short work prints only the
  // closing line.
  const double first = mode_ == ProgressMode::kLines ? options_.line_interval_seconds
                                                     : options_.bar_interval_seconds;
  next_draw_ns_ = static_cast<int64_t>(first * 1e9);
}

Progress::~Progress() {
  absl::MutexLock lock(&draw_mu_);
  if (finished_ || mode_ != ProgressMode::kBar) return;
  finished_ = true;
  absl::FPrintF(options_.stream, "\r\033[K");  // clear the unfinished bar
  std::fflush(options_.stream);
}

void Progress::Add(int64_t n) {
  done_.fetch_add(n, std::memory_order_relaxed);
  MaybeDraw(false);
}

void Progress::Set(int64_t done) {
  done_.store(done, std::memory_order_relaxed);
  MaybeDraw(false);
}

std::string Progress::FormatCount(double n, const std::string& unit) {
  if (unit == "bytes") {
    static constexpr const char* kUnits[] = {"B", "KiB", "MiB", "GiB", "TiB"};
    int i = 0;
    while (std::fabs(n) >= 1024 && i < 4) {
      n /= 1024;
      ++i;
    }
    return i == 0 ? absl::StrFormat("%.0f B", n) : absl::StrFormat("%.1f %s", n, kUnits[i]);
  }
  static constexpr const char* kSuffixes[] = {"", "k", "M", "G", "T"};
  int i = 0;
  while (std::fabs(n) >= 1000 && i < 4) {
    n /= 1000;
    ++i;
  }
  return i == 0 ? absl::StrFormat("%.0f", n) : absl::StrFormat("%.1f%s", n, kSuffixes[i]);
}

std::string Progress::FormatDuration(double seconds) {
  const int64_t s = static_cast<int64_t>(std::llround(std::max(0.0, seconds)));
  if (s < 60) return absl::StrFormat("%ds", s);
  if (s < 3600) return absl::StrFormat("%dm%02ds", s / 60, s % 60);
  return absl::StrFormat("%dh%02dm", s / 3600, (s % 3600) / 60);
}

std::string Progress::StatusText(double elapsed) const {
  const int64_t done = done_.load(std::memory_order_relaxed);
  const double rate = elapsed > 0 ? done / elapsed : 0;
  const std::string unit_suffix = unit_ == "bytes" ? "" : " " + unit_;
  std::string text;
  if (total_ > 0) {
    text = absl::StrFormat("%s/%s%s", FormatCount(done, unit_), FormatCount(total_, unit_),
                           unit_suffix);
  } else {
    text = FormatCount(done, unit_) + unit_suffix;
  }
  absl::StrAppend(&text, ", ", FormatCount(rate, unit_), unit_ == "bytes" ? "/s" : unit_suffix + "/s");
  if (total_ > 0 && rate > 0 && done < total_) {
    absl::StrAppend(&text, ", ETA ", FormatDuration((total_ - done) / rate));
  }
  return text;
}

void Progress::MaybeDraw(bool force) {
  if (mode_ == ProgressMode::kOff) return;
  const int64_t now_ns = std::chrono::duration_cast<std::chrono::nanoseconds>(
                             std::chrono::steady_clock::now() - start_)
                             .count();
  if (!force && now_ns < next_draw_ns_.load(std::memory_order_relaxed)) return;
  if (!force) {
    if (!draw_mu_.TryLock()) return;  // another thread is drawing
  } else {
    draw_mu_.Lock();
  }
  const double interval = mode_ == ProgressMode::kLines ? options_.line_interval_seconds
                                                        : options_.bar_interval_seconds;
  next_draw_ns_.store(now_ns + static_cast<int64_t>(interval * 1e9));
  if (!finished_) {
    const double elapsed = now_ns / 1e9;
    const int64_t done = done_.load(std::memory_order_relaxed);
    const int percent =
        total_ > 0 ? static_cast<int>(std::min<int64_t>(100, done * 100 / std::max<int64_t>(1, total_)))
                   : -1;
    if (mode_ == ProgressMode::kBar) {
      constexpr int kWidth = 24;
      std::string bar;
      if (percent >= 0) {
        const int filled = percent * kWidth / 100;
        bar = absl::StrFormat("[%s%s%s] %3d%% ", std::string(filled, '#'),
                              filled < kWidth ? ">" : "",
                              std::string(std::max(0, kWidth - filled - 1), ' '), percent);
      }
      // \r returns to the line start; \033[K clears what a longer line left.
      absl::FPrintF(options_.stream, "\r%s %s%s\033[K", label_, bar, StatusText(elapsed));
    } else if (percent >= 0) {
      absl::FPrintF(options_.stream, "%s: %d%% (%s)\n", label_, percent, StatusText(elapsed));
    } else {
      absl::FPrintF(options_.stream, "%s: %s\n", label_, StatusText(elapsed));
    }
    std::fflush(options_.stream);
  }
  draw_mu_.Unlock();
}

void Progress::Finish() {
  if (mode_ == ProgressMode::kOff) return;
  absl::MutexLock lock(&draw_mu_);
  if (finished_) return;
  finished_ = true;
  const double elapsed =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  const int64_t done = done_.load(std::memory_order_relaxed);
  const std::string unit_suffix = unit_ == "bytes" ? "" : " " + unit_;
  const std::string rate = elapsed > 0 ? FormatCount(done / elapsed, unit_) : "-";
  absl::FPrintF(options_.stream, "%s%s: done, %s%s in %.1fs (%s%s/s)%s\n",
                mode_ == ProgressMode::kBar ? "\r" : "", label_, FormatCount(done, unit_),
                unit_suffix, elapsed, rate, unit_ == "bytes" ? "" : unit_suffix,
                mode_ == ProgressMode::kBar ? "\033[K" : "");
  std::fflush(options_.stream);
}

}  // namespace keel
