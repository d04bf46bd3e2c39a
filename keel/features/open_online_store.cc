#include "keel/features/open_online_store.h"

#include <regex>

#include "absl/strings/str_cat.h"
#include "keel/features/embedded_online_store.h"
#include "keel/features/redis_online_store.h"

namespace keel::features {

OnlineStoreConfig OnlineStoreConfigFor(const Workspace& workspace) {
  const Config& c = workspace.config();
  return {.type = c.GetString("online_store.type"),
          .path = workspace.Resolve(c.GetString("online_store.path")),
          .redis_url = c.GetString("online_store.redis_url"),
          .key_prefix = absl::StrCat("keel:", c.GetString("project"))};
}

StatusOr<std::unique_ptr<OnlineStore>> OpenOnlineStore(const OnlineStoreConfig& config) {
  if (config.type == "embedded") {
    KEEL_ASSIGN_OR_RETURN(std::unique_ptr<EmbeddedOnlineStore> store,
                          EmbeddedOnlineStore::Open(config.path));
    return std::unique_ptr<OnlineStore>(std::move(store));
  }
  if (config.type == "redis") {
    RedisOptions options;
    options.url = config.redis_url;
    if (!config.key_prefix.empty()) options.key_prefix = config.key_prefix;
    KEEL_ASSIGN_OR_RETURN(std::unique_ptr<RedisOnlineStore> store,
                          RedisOnlineStore::Connect(options));
    return std::unique_ptr<OnlineStore>(std::move(store));
  }
  return absl::InvalidArgumentError(absl::StrCat("online_store.type '", config.type,
                                                 "' is not known; use embedded or redis"));
}

std::string OnlineStoreId(const OnlineStoreConfig& config) {
  if (config.type == "redis") {
    // Drop a password: redis://:secret@host -> redis://host
    static const std::regex kUserInfo("^(\\w+://)[^@/]*@");
    return absl::StrCat("redis:", std::regex_replace(config.redis_url, kUserInfo, "$1"), "/",
                        config.key_prefix);
  }
  return absl::StrCat(config.type, ":", config.path);
}

}  // namespace keel::features
