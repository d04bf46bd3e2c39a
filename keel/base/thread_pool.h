// A fixed-size pool of worker threads for data-parallel work (parsing,
// scoring, training loops) and background tasks.
#ifndef KEEL_BASE_THREAD_POOL_H_
#define KEEL_BASE_THREAD_POOL_H_

#include <cstdint>
#include <deque>
#include <functional>
#include <future>
#include <thread>
#include <type_traits>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"

namespace keel {

// Thread-safe: every method may be called from any thread, including from
// tasks running on the pool (ParallelFor from inside a task runs inline
// chunks on the caller as well, so nesting cannot deadlock).
class ThreadPool {
 public:
  // Starts `num_threads` workers; 0 means one per hardware thread.
  explicit ThreadPool(size_t num_threads = 0);
  // Runs every task already scheduled, then joins the workers.
  ~ThreadPool();
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  size_t size() const { return workers_.size(); }

  // Queues `task`. Tasks must not throw.
  void Schedule(std::function<void()> task);

  // Queues `fn` and returns a future for its result.
  template <typename Fn>
  auto Submit(Fn fn) -> std::future<std::invoke_result_t<Fn>> {
    using Result = std::invoke_result_t<Fn>;
    auto task = std::make_shared<std::packaged_task<Result()>>(std::move(fn));
    std::future<Result> future = task->get_future();
    Schedule([task] { (*task)(); });
    return future;
  }

  // Calls fn(begin, end) over [0, n) split into chunks of at least
  // `min_chunk` items, on the workers and the calling thread, and returns
  // when all chunks are done. Chunks never overlap and cover [0, n) once.
  void ParallelFor(int64_t n, int64_t min_chunk,
                   const std::function<void(int64_t begin, int64_t end)>& fn);

  // A process-wide pool sized to the machine, created on first use.
  static ThreadPool& Default();

 private:
  void WorkerLoop();
  // Runs one queued task on the calling thread if any; returns false if the
  // queue was empty.
  bool RunOneTask();

  absl::Mutex mu_;
  std::deque<std::function<void()>> queue_ ABSL_GUARDED_BY(mu_);
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::vector<std::thread> workers_;
};

// The number of hardware threads (at least 1), or KEEL_THREADS if set.
size_t DefaultThreadCount();

}  // namespace keel

#endif  // KEEL_BASE_THREAD_POOL_H_
