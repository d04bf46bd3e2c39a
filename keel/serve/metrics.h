// The server's Prometheus metrics, rendered in the text exposition format
// (version 0.0.4) for GET /metrics:
//   keel_requests_total{endpoint,model,version,code}            counter
//   keel_request_duration_seconds{endpoint,model,version,code}  histogram
//   keel_batch_rows{model,version}                              histogram
//   keel_inflight_requests, keel_models_loaded                  gauges
//   keel_model_load_seconds{model,version}                      gauge
//   keel_dynamic_batches_total{model,version}                   counter
//   keel_dynamic_batched_requests_total{model,version}          counter
//   keel_build_info{version}                                    gauge (1)
// Recording is lock-free once a label set exists (atomics); a new label set
// takes a writer lock once.
#ifndef KEEL_SERVE_METRICS_H_
#define KEEL_SERVE_METRICS_H_

#include <array>
#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/synchronization/mutex.h"

namespace keel::serve {

class ModelManager;

// A histogram with fixed upper bounds.
class Histogram {
 public:
  explicit Histogram(std::vector<double> bounds);
  void Observe(double value);
  // Appends name_bucket{labels,le=...}, name_sum, name_count lines.
  void Render(std::string_view name, std::string_view labels, std::string* out) const;

 private:
  std::vector<double> bounds_;
  std::unique_ptr<std::atomic<uint64_t>[]> buckets_;  // one per bound, then +Inf
  std::atomic<uint64_t> count_{0};
  std::atomic<double> sum_{0};
};

class ServerMetrics {
 public:
  explicit ServerMetrics(std::string keel_version);

  // One request answered. `model` and `version` are "" (and 0) for
  // endpoints that are not about a model.
  void RecordRequest(std::string_view endpoint, std::string_view model, int64_t version,
                     int code, double seconds);
  // Rows scored in one request.
  void RecordBatch(std::string_view model, int64_t version, int64_t rows);

  std::atomic<int64_t>& inflight() { return inflight_; }

  // The exposition text; model gauges come from `manager`.
  std::string Render(const ModelManager& manager) const;

 private:
  struct RequestSeries {
    std::string labels;  // rendered once: endpoint="..",model="..",...
    std::atomic<uint64_t> count{0};
    Histogram duration;
    explicit RequestSeries(std::string l);
  };
  struct BatchSeries {
    std::string labels;
    Histogram rows;
    explicit BatchSeries(std::string l);
  };

  std::string version_;
  std::atomic<int64_t> inflight_{0};
  mutable absl::Mutex mutex_;
  absl::flat_hash_map<std::string, std::unique_ptr<RequestSeries>> requests_;  // guarded by mutex_
  absl::flat_hash_map<std::string, std::unique_ptr<BatchSeries>> batches_;     // guarded by mutex_
};

}  // namespace keel::serve

#endif  // KEEL_SERVE_METRICS_H_
