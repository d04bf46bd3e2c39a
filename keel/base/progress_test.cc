#include "keel/base/progress.h"

#include <cstdio>
#include <string>
#include <thread>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace keel {
namespace {

using ::testing::HasSubstr;
using ::testing::MatchesRegex;

// Captures what a Progress writes through a memory stream.
class Capture {
 public:
  Capture() : stream_(open_memstream(&data_, &size_)) {}
  ~Capture() {
    std::fclose(stream_);
    std::free(data_);
  }
  std::FILE* stream() { return stream_; }
  std::string text() {
    std::fflush(stream_);
    return std::string(data_, size_);
  }

 private:
  char* data_ = nullptr;
  size_t size_ = 0;
  std::FILE* stream_;
};

TEST(ProgressTest, FormatsCountsBytesAndDurations) {
  EXPECT_EQ(Progress::FormatCount(999, "rows"), "999");
  EXPECT_EQ(Progress::FormatCount(1234567, "rows"), "1.2M");
  EXPECT_EQ(Progress::FormatCount(1536, "bytes"), "1.5 KiB");
  EXPECT_EQ(Progress::FormatCount(3.5 * 1024 * 1024 * 1024, "bytes"), "3.5 GiB");
  EXPECT_EQ(Progress::FormatDuration(4.4), "4s");
  EXPECT_EQ(Progress::FormatDuration(125), "2m05s");
  EXPECT_EQ(Progress::FormatDuration(3720), "1h02m");
}

TEST(ProgressTest, PlainLinesAtIntervalsThenAClosingLine) {
  Capture capture;
  {
    Progress progress("ingest txns", 1000, "rows",
                      {.mode = ProgressMode::kLines,
                       .stream = capture.stream(),
                       .line_interval_seconds = 0.01});
    for (int i = 0; i < 10; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(15));
      progress.Add(50);
    }
    progress.Finish();
  }
  const std::string text = capture.text();
  EXPECT_THAT(text, HasSubstr("ingest txns: 50% (500/1.0k rows"));
  const std::string last = text.substr(text.rfind('\n', text.size() - 2) + 1);
  EXPECT_THAT(last, MatchesRegex("ingest txns: done, 500 rows in [0-9.]+s \\(.* rows/s\\)\n"));
  EXPECT_EQ(text.find('\r'), std::string::npos);  // no terminal control in plain mode
}

TEST(ProgressTest, ShortWorkPrintsOnlyTheClosingLine) {
  Capture capture;
  {
    Progress progress("quick", 10, "rows", {.mode = ProgressMode::kLines, .stream = capture.stream()});
    progress.Add(10);
    progress.Finish();
  }
  EXPECT_THAT(capture.text(), MatchesRegex("quick: done, 10 rows in [0-9.]+s \\(.*\\)\n"));
}

TEST(ProgressTest, BarRedrawsInPlace) {
  Capture capture;
  Progress progress("train", 100, "rows",
                    {.mode = ProgressMode::kBar, .stream = capture.stream(), .bar_interval_seconds = 0});
  progress.Set(50);
  progress.Finish();
  const std::string text = capture.text();
  EXPECT_THAT(text, HasSubstr("\rtrain [############>           ]  50% 50/100 rows"));
  EXPECT_THAT(text, HasSubstr("\rtrain: done, 50 rows"));
}

TEST(ProgressTest, ManyThreadsCountExactly) {
  Capture capture;
  Progress progress("scan", 0, "bytes", {.mode = ProgressMode::kBar, .stream = capture.stream(), .bar_interval_seconds = 0});
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 10000; ++i) progress.Add(3);
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(progress.done(), 120000);
  progress.Finish();
  EXPECT_THAT(capture.text(), HasSubstr("scan: done, 117.2 KiB in"));
}

TEST(ProgressTest, WorkThatFailedPrintsNoClosingLine) {
  Capture lines, bar;
  {
    Progress a("ingest", 10, "rows", {.mode = ProgressMode::kLines, .stream = lines.stream()});
    a.Add(5);
    Progress b("ingest", 10, "rows",
               {.mode = ProgressMode::kBar, .stream = bar.stream(), .bar_interval_seconds = 0});
    b.Add(5);
  }  // destroyed without Finish(): the work did not complete
  EXPECT_EQ(lines.text(), "");
  EXPECT_THAT(bar.text(), ::testing::EndsWith("\r\033[K"));
  EXPECT_THAT(bar.text(), ::testing::Not(HasSubstr("done")));
}

TEST(ProgressTest, OffPrintsNothing) {
  Capture capture;
  {
    Progress progress("x", 10, "rows", {.mode = ProgressMode::kOff, .stream = capture.stream()});
    progress.Add(10);
  }
  EXPECT_EQ(capture.text(), "");
}

}  // namespace
}  // namespace keel
