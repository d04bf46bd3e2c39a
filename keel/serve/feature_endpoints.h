// The online feature store's endpoints on `keel serve` (--online-features):
//
//   POST /v1/features   online features for entities, in Feast's
//                       get-online-features request and response shape
//   POST /v1/push       feature rows of one view, written to the online
//                       store at once (features/push.h), and with "to":
//                       "offline" or "online_and_offline" first appended
//                       to the view's offline dataset (set_offline_sink)
//
// Both use the latest applied feature definitions, read at start.
#ifndef KEEL_SERVE_FEATURE_ENDPOINTS_H_
#define KEEL_SERVE_FEATURE_ENDPOINTS_H_

#include <memory>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "keel/features/definitions.h"
#include "keel/features/online_store.h"
#include "keel/features/stream.h"
#include "keel/serve/metrics.h"

namespace keel::serve {

struct HttpResponse;

// Thread-safe (the store is; the definitions are immutable).
class FeatureEndpoints {
 public:
  FeatureEndpoints(features::FeatureDefinitions definitions,
                   std::unique_ptr<features::OnlineStore> store, int64_t definitions_version);

  // 200 with the Feast-shaped JSON; 400/404 with {"error", "field"}.
  void GetOnlineFeatures(std::string_view body, HttpResponse* response) const;
  // 200 {"feature_view": ..., "rows": n, "to": ...}; 400/404/503 with an
  // error. Offline rows are durable in the lake before the answer (one new
  // version of the dataset per push: for high rates, stream them instead);
  // with "online_and_offline" the offline append comes first, so a failed
  // online write (503) leaves the rows offline and a retry appends them
  // again.
  void Push(std::string_view body, HttpResponse* response) const;

  // Where pushes with "to": "offline" / "online_and_offline" go; without a
  // sink they are refused (400). Calls are serialised. Set before serving.
  void set_offline_sink(std::unique_ptr<features::OfflineEventSink> sink) {
    offline_ = std::move(sink);
  }

  const features::FeatureDefinitions& definitions() const { return definitions_; }
  features::OnlineStore& store() const { return *store_; }
  int64_t definitions_version() const { return definitions_version_; }

 private:
  features::FeatureDefinitions definitions_;
  std::unique_ptr<features::OnlineStore> store_;
  int64_t definitions_version_ = 0;
  std::unique_ptr<features::OfflineEventSink> offline_;
  mutable absl::Mutex offline_mu_;
};

}  // namespace keel::serve

#endif  // KEEL_SERVE_FEATURE_ENDPOINTS_H_
