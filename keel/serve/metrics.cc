#include "keel/serve/metrics.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "keel/serve/codec.h"
#include "keel/serve/model_manager.h"

namespace keel::serve {

namespace {

// Label values escaped as the exposition format asks (backslash, quote,
// newline).
std::string Escape(std::string_view value) {
  std::string out;
  for (char c : value) {
    if (c == '\\' || c == '"') {
      out.push_back('\\');
      out.push_back(c);
    } else if (c == '\n') {
      out.append("\\n");
    } else {
      out.push_back(c);
    }
  }
  return out;
}

std::string ModelLabels(std::string_view model, int64_t version) {
  return absl::StrCat("model=\"", Escape(model), "\",version=\"", version == 0 ? std::string() : absl::StrCat(version),
                      "\"");
}

std::string FormatValue(double v) {
  std::string out;
  AppendJsonDouble(v, &out);
  return out;
}

const std::vector<double>& LatencyBounds() {
  static const std::vector<double> bounds = {0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005,
                                             0.01,    0.025,  0.05,    0.1,    0.25,  0.5,    1,
                                             2.5,     5,      10};
  return bounds;
}

const std::vector<double>& BatchBounds() {
  static const std::vector<double> bounds = {1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 4096, 16384};
  return bounds;
}

}  // namespace

Histogram::Histogram(std::vector<double> bounds)
    : bounds_(std::move(bounds)), buckets_(new std::atomic<uint64_t>[bounds_.size() + 1]) {
  for (size_t i = 0; i <= bounds_.size(); ++i) buckets_[i] = 0;
}

void Histogram::Observe(double value) {
  const size_t i = std::lower_bound(bounds_.begin(), bounds_.end(), value) - bounds_.begin();
  buckets_[i].fetch_add(1, std::memory_order_relaxed);
  count_.fetch_add(1, std::memory_order_relaxed);
  double sum = sum_.load(std::memory_order_relaxed);
  while (!sum_.compare_exchange_weak(sum, sum + value, std::memory_order_relaxed)) {
  }
}

void Histogram::Render(std::string_view name_view, std::string_view labels_view, std::string* out) const {
  const std::string name(name_view), labels(labels_view);
  const std::string sep = labels.empty() ? "" : ",";
  uint64_t cumulative = 0;
  for (size_t i = 0; i < bounds_.size(); ++i) {
    cumulative += buckets_[i].load(std::memory_order_relaxed);
    absl::StrAppend(out, name, "_bucket{", labels, sep, "le=\"", FormatValue(bounds_[i]), "\"} ",
                    cumulative, "\n");
  }
  cumulative += buckets_[bounds_.size()].load(std::memory_order_relaxed);
  absl::StrAppend(out, name, "_bucket{", labels, sep, "le=\"+Inf\"} ", cumulative, "\n");
  absl::StrAppend(out, name, "_sum{", labels, "} ", FormatValue(sum_.load()), "\n");
  absl::StrAppend(out, name, "_count{", labels, "} ", cumulative, "\n");
}

ServerMetrics::RequestSeries::RequestSeries(std::string l)
    : labels(std::move(l)), duration(LatencyBounds()) {}
ServerMetrics::BatchSeries::BatchSeries(std::string l) : labels(std::move(l)), rows(BatchBounds()) {}

ServerMetrics::ServerMetrics(std::string keel_version) : version_(std::move(keel_version)) {}

void ServerMetrics::RecordRequest(std::string_view endpoint, std::string_view model, int64_t version,
                                  int code, double seconds) {
  std::string key = absl::StrCat(std::string(endpoint), "\x1f", std::string(model), "\x1f", version, "\x1f", code);
  RequestSeries* series = nullptr;
  {
    absl::ReaderMutexLock lock(&mutex_);
    auto it = requests_.find(key);
    if (it != requests_.end()) series = it->second.get();
  }
  if (series == nullptr) {
    absl::MutexLock lock(&mutex_);
    auto& slot = requests_[key];
    if (slot == nullptr) {
      slot = std::make_unique<RequestSeries>(absl::StrCat("endpoint=\"", Escape(endpoint), "\",",
                                                          ModelLabels(model, version), ",code=\"",
                                                          code, "\""));
    }
    series = slot.get();
  }
  series->count.fetch_add(1, std::memory_order_relaxed);
  series->duration.Observe(seconds);
}

void ServerMetrics::RecordBatch(std::string_view model, int64_t version, int64_t rows) {
  std::string key = absl::StrCat(std::string(model), "\x1f", version);
  BatchSeries* series = nullptr;
  {
    absl::ReaderMutexLock lock(&mutex_);
    auto it = batches_.find(key);
    if (it != batches_.end()) series = it->second.get();
  }
  if (series == nullptr) {
    absl::MutexLock lock(&mutex_);
    auto& slot = batches_[key];
    if (slot == nullptr) slot = std::make_unique<BatchSeries>(ModelLabels(model, version));
    series = slot.get();
  }
  series->rows.Observe(static_cast<double>(rows));
}

std::string ServerMetrics::Render(const ModelManager& manager) const {
  std::string out;
  absl::StrAppend(&out, "# HELP keel_build_info Keel's version.\n# TYPE keel_build_info gauge\n",
                  "keel_build_info{version=\"", Escape(version_), "\"} 1\n");
  absl::StrAppend(&out, "# HELP keel_inflight_requests Requests being handled.\n",
                  "# TYPE keel_inflight_requests gauge\nkeel_inflight_requests ", inflight_.load(), "\n");
  std::vector<ModelEntry> models = manager.List();
  size_t loaded = 0;
  for (const ModelEntry& m : models) loaded += m.versions.size();
  absl::StrAppend(&out, "# HELP keel_models_loaded Model versions loaded.\n",
                  "# TYPE keel_models_loaded gauge\nkeel_models_loaded ", loaded, "\n");
  absl::StrAppend(&out, "# HELP keel_model_load_seconds Time to load each model version.\n",
                  "# TYPE keel_model_load_seconds gauge\n");
  for (const ModelEntry& m : models) {
    for (const auto& [version, v] : m.versions) {
      absl::StrAppend(&out, "keel_model_load_seconds{", ModelLabels(m.name, version), "} ",
                      FormatValue(v.load_seconds), "\n");
    }
  }
  std::string dynamic_batches, batched;
  for (const ModelEntry& m : models) {
    for (const auto& [version, v] : m.versions) {
      const Batcher* batcher = v.model->batcher();
      if (batcher == nullptr) continue;
      const std::string labels = ModelLabels(m.name, version);
      absl::StrAppend(&dynamic_batches, "keel_dynamic_batches_total{", labels, "} ", batcher->batches(), "\n");
      absl::StrAppend(&batched, "keel_dynamic_batched_requests_total{", labels, "} ",
                      batcher->requests(), "\n");
    }
  }
  if (!dynamic_batches.empty()) {
    absl::StrAppend(&out,
                    "# HELP keel_dynamic_batches_total Batches of several requests scored together.\n"
                    "# TYPE keel_dynamic_batches_total counter\n",
                    dynamic_batches,
                    "# HELP keel_dynamic_batched_requests_total Requests scored in those batches.\n"
                    "# TYPE keel_dynamic_batched_requests_total counter\n",
                    batched);
  }
  absl::ReaderMutexLock lock(&mutex_);
  std::vector<const RequestSeries*> requests;
  for (const auto& [key, series] : requests_) requests.push_back(series.get());
  std::sort(requests.begin(), requests.end(),
            [](const RequestSeries* a, const RequestSeries* b) { return a->labels < b->labels; });
  absl::StrAppend(&out, "# HELP keel_requests_total Requests answered, by endpoint, model and code.\n",
                  "# TYPE keel_requests_total counter\n");
  for (const RequestSeries* s : requests) {
    absl::StrAppend(&out, "keel_requests_total{", s->labels, "} ", s->count.load(), "\n");
  }
  absl::StrAppend(&out, "# HELP keel_request_duration_seconds Time from request read to response ready.\n",
                  "# TYPE keel_request_duration_seconds histogram\n");
  for (const RequestSeries* s : requests) s->duration.Render("keel_request_duration_seconds", s->labels, &out);
  std::vector<const BatchSeries*> batches;
  for (const auto& [key, series] : batches_) batches.push_back(series.get());
  std::sort(batches.begin(), batches.end(),
            [](const BatchSeries* a, const BatchSeries* b) { return a->labels < b->labels; });
  absl::StrAppend(&out, "# HELP keel_batch_rows Rows scored per request.\n",
                  "# TYPE keel_batch_rows histogram\n");
  for (const BatchSeries* s : batches) s->rows.Render("keel_batch_rows", s->labels, &out);
  return out;
}

}  // namespace keel::serve
