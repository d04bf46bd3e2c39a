// Internal to the table module: the parallel loops of the readers, run on
// keel::ThreadPool (the process-wide pool, or a private one when a reader
// asks for a given number of threads).
#ifndef KEEL_TABLE_PARALLEL_H_
#define KEEL_TABLE_PARALLEL_H_

#include <cstdint>
#include <memory>

#include "keel/base/thread_pool.h"

namespace keel::table_internal {

class Parallel {
 public:
  // `num_threads` threads including the caller; 0 = every core (the
  // process-wide pool), 1 = the caller alone.
  explicit Parallel(int num_threads) {
    if (num_threads == 0) {
      pool_ = &ThreadPool::Default();
      threads_ = static_cast<int>(DefaultThreadCount());
    } else if (num_threads > 1) {
      owned_ = std::make_unique<ThreadPool>(static_cast<size_t>(num_threads - 1));
      pool_ = owned_.get();
      threads_ = num_threads;
    }
  }

  int threads() const { return threads_; }

  // Calls fn(i) once for each i in [0, n) and returns when all have
  // returned. `fn` must not throw; calls may run concurrently.
  template <typename Fn>
  void For(int64_t n, const Fn& fn) const {
    if (pool_ == nullptr || n <= 1) {
      for (int64_t i = 0; i < n; ++i) fn(i);
      return;
    }
    pool_->ParallelFor(n, 1, [&fn](int64_t begin, int64_t end) {
      for (int64_t i = begin; i < end; ++i) fn(i);
    });
  }

 private:
  std::unique_ptr<ThreadPool> owned_;
  ThreadPool* pool_ = nullptr;
  int threads_ = 1;
};

}  // namespace keel::table_internal

#endif  // KEEL_TABLE_PARALLEL_H_
