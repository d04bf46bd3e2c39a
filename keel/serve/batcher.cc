#include "keel/serve/batcher.h"

#include <chrono>
#include <utility>

#include "keel/serve/served_model.h"

namespace keel::serve {

Batcher::Batcher(BatchingOptions options, ScoreFn score)
    : options_(options), score_(std::move(score)) {}

StatusOr<Table> Batcher::Score(const InputBatch& batch) {
  if (!options_.enabled() || batch.rows() >= options_.max_rows) return score_(batch);
  Pending pending{&batch};
  std::unique_lock<std::mutex> lock(mutex_);
  forming_.push_back(&pending);
  forming_rows_ += batch.rows();
  if (leader_) {
    // Join the forming batch; its leader scores it.
    if (forming_rows_ >= options_.max_rows) full_.notify_one();
    done_.wait(lock, [&] { return pending.done; });
    return std::move(pending.result);
  }
  leader_ = true;
  const auto deadline =
      std::chrono::steady_clock::now() + std::chrono::microseconds(options_.max_wait_us);
  full_.wait_until(lock, deadline, [&] { return forming_rows_ >= options_.max_rows; });
  std::vector<Pending*> group;
  group.swap(forming_);
  forming_rows_ = 0;
  leader_ = false;  // the next caller leads the next batch while this one scores
  lock.unlock();
  ScoreGroup(group);
  lock.lock();
  for (Pending* p : group) p->done = true;
  done_.notify_all();
  return std::move(pending.result);
}

void Batcher::ScoreGroup(const std::vector<Pending*>& group) {
  if (group.size() == 1) {
    group[0]->result = score_(*group[0]->batch);
    return;
  }
  batches_.fetch_add(1);
  requests_.fetch_add(static_cast<int64_t>(group.size()));
  const InputBatch& first = *group[0]->batch;
  int64_t rows = 0;
  bool same_inputs = true;
  for (const Pending* p : group) {
    rows += p->batch->rows();
    for (int i = 0; i < first.num_inputs(); ++i) {
      same_inputs &= p->batch->present(i) == first.present(i);
    }
  }
  StatusOr<Table> scored = absl::UnknownError("not scored");
  if (same_inputs) {
    InputBatch combined(first.num_inputs(), rows);
    for (int i = 0; i < first.num_inputs(); ++i) {
      if (first.present(i)) combined.set_present(i);
    }
    int64_t offset = 0;
    for (const Pending* p : group) {
      for (int i = 0; i < first.num_inputs(); ++i) {
        for (int64_t r = 0; r < p->batch->rows(); ++r) {
          combined.value(i, offset + r) = p->batch->value(i, r);
        }
      }
      offset += p->batch->rows();
    }
    scored = score_(combined);
  }
  if (!scored.ok()) {
    // One request's inputs spoil the batch: score each alone, so that each
    // gets its own answer (and errors name its own rows).
    for (Pending* p : group) p->result = score_(*p->batch);
    return;
  }
  int64_t offset = 0;
  for (Pending* p : group) {
    p->result = scored->Slice(offset, p->batch->rows());
    offset += p->batch->rows();
  }
}

}  // namespace keel::serve
