#include "keel/base/thread_pool.h"

#include <atomic>
#include <numeric>
#include <vector>

#include "gtest/gtest.h"

namespace keel {
namespace {

TEST(ThreadPoolTest, SubmitReturnsResults) {
  ThreadPool pool(3);
  std::vector<std::future<int>> futures;
  for (int i = 0; i < 100; ++i) futures.push_back(pool.Submit([i] { return i * i; }));
  int64_t sum = 0;
  for (auto& f : futures) sum += f.get();
  EXPECT_EQ(sum, 328350);  // sum of squares 0..99
}

TEST(ThreadPoolTest, ParallelForCoversEveryIndexOnce) {
  ThreadPool pool(4);
  std::vector<std::atomic<int>> hits(100003);
  pool.ParallelFor(static_cast<int64_t>(hits.size()), 7, [&](int64_t begin, int64_t end) {
    for (int64_t i = begin; i < end; ++i) hits[i].fetch_add(1);
  });
  for (size_t i = 0; i < hits.size(); ++i) ASSERT_EQ(hits[i].load(), 1) << i;
}

TEST(ThreadPoolTest, ParallelForRespectsMinChunk) {
  ThreadPool pool(4);
  std::atomic<int> calls{0};
  pool.ParallelFor(10, 100, [&](int64_t begin, int64_t end) {
    EXPECT_EQ(begin, 0);
    EXPECT_EQ(end, 10);
    calls++;
  });
  EXPECT_EQ(calls.load(), 1);
  pool.ParallelFor(0, 1, [&](int64_t, int64_t) { calls++; });
  EXPECT_EQ(calls.load(), 1);
}

TEST(ThreadPoolTest, NestedParallelForDoesNotDeadlock) {
  ThreadPool pool(2);
  std::atomic<int64_t> total{0};
  pool.ParallelFor(8, 1, [&](int64_t begin, int64_t end) {
    for (int64_t i = begin; i < end; ++i) {
      pool.ParallelFor(1000, 10, [&](int64_t b, int64_t e) { total += e - b; });
    }
  });
  EXPECT_EQ(total.load(), 8000);
}

TEST(ThreadPoolTest, DestructorRunsQueuedTasks) {
  std::atomic<int> ran{0};
  {
    ThreadPool pool(1);
    for (int i = 0; i < 50; ++i) pool.Schedule([&] { ran++; });
  }
  EXPECT_EQ(ran.load(), 50);
}

TEST(ThreadPoolTest, DefaultThreadCountHonoursEnvironment) {
  setenv("KEEL_THREADS", "3", 1);
  EXPECT_EQ(DefaultThreadCount(), 3u);
  setenv("KEEL_THREADS", "zero", 1);
  EXPECT_GE(DefaultThreadCount(), 1u);
  unsetenv("KEEL_THREADS");
}

}  // namespace
}  // namespace keel
