// Opening the online store that keel.yaml names (online_store.type).
#ifndef KEEL_FEATURES_OPEN_ONLINE_STORE_H_
#define KEEL_FEATURES_OPEN_ONLINE_STORE_H_

#include <memory>
#include <string>

#include "keel/base/status.h"
#include "keel/base/workspace.h"
#include "keel/features/online_store.h"

namespace keel::features {

struct OnlineStoreConfig {
  std::string type = "embedded";  // "embedded" or "redis"
  std::string path;               // embedded: the folder (absolute)
  std::string redis_url;          // redis: redis://... or unix://...
  std::string key_prefix;         // redis: "keel:<project>"
};

// online_store.* of the workspace's keel.yaml: the embedded path resolved
// against the workspace root, the Redis key prefix "keel:<project>".
OnlineStoreConfig OnlineStoreConfigFor(const Workspace& workspace);

// The store `config` names, opened (embedded) or connected (redis).
// Errors: InvalidArgument for an unknown type; the back-end's errors.
StatusOr<std::unique_ptr<OnlineStore>> OpenOnlineStore(const OnlineStoreConfig& config);

// A stable name of the store for the registry's watermarks:
// "embedded:<path>" or "redis:<url without password>/<prefix>".
std::string OnlineStoreId(const OnlineStoreConfig& config);

}  // namespace keel::features

#endif  // KEEL_FEATURES_OPEN_ONLINE_STORE_H_
