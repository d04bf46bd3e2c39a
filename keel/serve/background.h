// A single worker thread for work that must not delay an answer (shadow
// scoring): jobs run in order, off the request path. The queue is bounded:
// when it is full a job is dropped (and counted) rather than letting memory
// grow or a request wait. The destructor runs the jobs already queued, then
// joins.
#ifndef KEEL_SERVE_BACKGROUND_H_
#define KEEL_SERVE_BACKGROUND_H_

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>

namespace keel::serve {

class BackgroundWorker {
 public:
  explicit BackgroundWorker(size_t max_queued = 1024);
  ~BackgroundWorker();
  BackgroundWorker(const BackgroundWorker&) = delete;
  BackgroundWorker& operator=(const BackgroundWorker&) = delete;

  // Queues `job`; false (and the job dropped) when max_queued jobs wait.
  // Thread-safe.
  bool Post(std::function<void()> job);
  // Blocks until every job posted so far has run (for tests).
  void Flush();
  int64_t dropped() const { return dropped_.load(); }

 private:
  void Run();

  const size_t max_queued_;
  std::mutex mutex_;
  std::condition_variable ready_;
  std::condition_variable idle_;
  std::deque<std::function<void()>> jobs_;  // guarded by mutex_
  bool running_job_ = false;                // guarded by mutex_
  bool stop_ = false;                       // guarded by mutex_
  std::atomic<int64_t> dropped_{0};
  std::thread thread_;
};

}  // namespace keel::serve

#endif  // KEEL_SERVE_BACKGROUND_H_
