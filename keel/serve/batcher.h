// Dynamic batching for one served model version: requests that arrive
// within max_wait_us of each other are scored together, up to max_rows
// rows, then each caller gets its own rows back. For models whose batch
// path beats scoring rows one by one (many rows amortise a call, as neural
// networks do); a tree model gains little and is best served unbatched.
//
// Leader/follower, no thread of its own: the first caller to find no batch
// forming becomes its leader, waits until the batch is full or its time is
// up, scores it and hands out the results; callers arriving meanwhile join
// and wait. While a leader scores, the next batch forms. A server that
// batches needs more I/O threads than cores (keel serve --threads), since
// each waiting request holds its thread.
#ifndef KEEL_SERVE_BATCHER_H_
#define KEEL_SERVE_BATCHER_H_

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <vector>

#include "keel/base/status.h"
#include "keel/table/table.h"

namespace keel::serve {

class InputBatch;

struct BatchingOptions {
  int64_t max_rows = 0;        // rows per combined batch; 0: no batching
  int64_t max_wait_us = 1000;  // how long a batch waits to fill
  bool enabled() const { return max_rows > 0; }
};

class Batcher {
 public:
  using ScoreFn = std::function<StatusOr<Table>(const InputBatch&)>;

  // `score` scores any batch (ServedModel::Score); it must be thread-safe.
  Batcher(BatchingOptions options, ScoreFn score);

  // Scores `batch` together with concurrent calls; returns this batch's
  // rows only, as `score` alone would. A request of max_rows rows or more
  // is scored alone. When the combined batch fails (one request's bad
  // value), each request is scored alone so that errors name their own
  // rows. `batch` (and the strings it points to) must stay valid until the
  // call returns. Thread-safe.
  StatusOr<Table> Score(const InputBatch& batch);

  const BatchingOptions& options() const { return options_; }
  // Combined batches scored, and requests they held (for /metrics).
  int64_t batches() const { return batches_.load(); }
  int64_t requests() const { return requests_.load(); }

 private:
  struct Pending {
    const InputBatch* batch;
    StatusOr<Table> result = absl::UnknownError("not scored");
    bool done = false;
  };
  void ScoreGroup(const std::vector<Pending*>& group);

  BatchingOptions options_;
  ScoreFn score_;
  std::mutex mutex_;
  std::condition_variable full_;  // the forming batch reached max_rows
  std::condition_variable done_;  // a batch was scored
  std::vector<Pending*> forming_;  // guarded by mutex_
  int64_t forming_rows_ = 0;       // guarded by mutex_
  bool leader_ = false;            // guarded by mutex_: a leader waits for forming_
  std::atomic<int64_t> batches_{0};
  std::atomic<int64_t> requests_{0};
};

}  // namespace keel::serve

#endif  // KEEL_SERVE_BATCHER_H_
