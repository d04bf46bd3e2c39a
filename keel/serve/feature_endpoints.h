// The online feature store's endpoints on `keel serve` (--online-features):
//
//   POST /v1/features   online features for entities, in Feast's
//                       get-online-features request and response shape
//   POST /v1/push       feature rows of one view, written to the online
//                       store at once (features/push.h)
//
// Both use the latest applied feature definitions, read at start.
#ifndef KEEL_SERVE_FEATURE_ENDPOINTS_H_
#define KEEL_SERVE_FEATURE_ENDPOINTS_H_

#include <memory>

#include "keel/features/definitions.h"
#include "keel/features/online_store.h"
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
  // 200 {"feature_view": ..., "rows": n}; 400/404/503 with an error.
  void Push(std::string_view body, HttpResponse* response) const;

  const features::FeatureDefinitions& definitions() const { return definitions_; }
  features::OnlineStore& store() const { return *store_; }
  int64_t definitions_version() const { return definitions_version_; }

 private:
  features::FeatureDefinitions definitions_;
  std::unique_ptr<features::OnlineStore> store_;
  int64_t definitions_version_ = 0;
};

}  // namespace keel::serve

#endif  // KEEL_SERVE_FEATURE_ENDPOINTS_H_
