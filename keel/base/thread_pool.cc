#include "keel/base/thread_pool.h"

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <string>

namespace keel {

size_t DefaultThreadCount() {
  if (const char* env = std::getenv("KEEL_THREADS"); env != nullptr && *env != '\0') {
    char* end = nullptr;
    const long value = std::strtol(env, &end, 10);
    if (end != env && *end == '\0' && value > 0) return static_cast<size_t>(value);
  }
  return std::max(1u, std::thread::hardware_concurrency());
}

ThreadPool::ThreadPool(size_t num_threads) {
  if (num_threads == 0) num_threads = DefaultThreadCount();
  workers_.reserve(num_threads);
  for (size_t i = 0; i < num_threads; ++i) workers_.emplace_back([this] { WorkerLoop(); });
}

ThreadPool::~ThreadPool() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
  }
  for (std::thread& worker : workers_) worker.join();
}

void ThreadPool::Schedule(std::function<void()> task) {
  absl::MutexLock lock(&mu_);
  queue_.push_back(std::move(task));
}

bool ThreadPool::RunOneTask() {
  std::function<void()> task;
  {
    absl::MutexLock lock(&mu_);
    if (queue_.empty()) return false;
    task = std::move(queue_.front());
    queue_.pop_front();
  }
  task();
  return true;
}

void ThreadPool::WorkerLoop() {
  while (true) {
    std::function<void()> task;
    {
      absl::MutexLock lock(&mu_);
      mu_.Await(absl::Condition(
          +[](ThreadPool* pool) ABSL_EXCLUSIVE_LOCKS_REQUIRED(pool->mu_) {
            return pool->stopping_ || !pool->queue_.empty();
          },
          this));
      if (queue_.empty()) return;  // stopping and drained
      task = std::move(queue_.front());
      queue_.pop_front();
    }
    task();
  }
}

void ThreadPool::ParallelFor(int64_t n, int64_t min_chunk,
                             const std::function<void(int64_t, int64_t)>& fn) {
  if (n <= 0) return;
  min_chunk = std::max<int64_t>(1, min_chunk);
  // About 4 chunks per thread balances uneven work without much overhead.
  const int64_t parallelism = static_cast<int64_t>(size()) + 1;
  const int64_t chunk = std::max(min_chunk, (n + 4 * parallelism - 1) / (4 * parallelism));
  const int64_t num_chunks = (n + chunk - 1) / chunk;
  if (num_chunks == 1) {
    fn(0, n);
    return;
  }
  // Chunks are claimed from a shared counter by helper tasks and the caller.
  struct Shared {
    std::atomic<int64_t> next{0};
    std::atomic<int64_t> done{0};
    absl::Mutex mu;
  };
  auto shared = std::make_shared<Shared>();
  auto work = [shared, num_chunks, chunk, n, &fn] {
    int64_t index;
    while ((index = shared->next.fetch_add(1)) < num_chunks) {
      const int64_t begin = index * chunk;
      fn(begin, std::min(n, begin + chunk));
      shared->done.fetch_add(1);
    }
  };
  const int64_t helpers = std::min<int64_t>(static_cast<int64_t>(size()), num_chunks - 1);
  for (int64_t i = 0; i < helpers; ++i) Schedule(work);
  work();
  // Wait for chunks claimed by other threads; help with queued tasks
  // meanwhile so a ParallelFor nested inside a task cannot starve.
  while (shared->done.load() < num_chunks) {
    if (!RunOneTask()) std::this_thread::yield();
  }
}

ThreadPool& ThreadPool::Default() {
  static ThreadPool* pool = new ThreadPool(DefaultThreadCount());
  return *pool;
}

}  // namespace keel
