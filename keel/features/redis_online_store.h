// The Redis online store (hiredis): one hash per entity, shared by every
// feature view of that entity, as Feast lays it out.
//
//   key    <prefix>:<entity key>          e.g. "keel:fraud:customer_id=42"
//   field  <view>:<feature>  -> the value as text (int64/timestamp decimal,
//          float64 shortest round-trip, bool "1"/"0", string raw; a null
//          value is an absent field)
//   field  _ts:<view>        -> the row's event time, microseconds
//   field  _exp              -> the key's expiry, Unix ms ("0": never)
//
// Writes go through a Lua script (EVALSHA, pipelined) that skips a row older
// than the stored `_ts:<view>` and sets the key's expiry to the latest
// event time + TTL over the views written (no expiry once a view without TTL
// is written). Reads are one pipelined HMGET per key. Connections come from a
// small pool, so Read and Write may be called from several threads.
#ifndef KEEL_FEATURES_REDIS_ONLINE_STORE_H_
#define KEEL_FEATURES_REDIS_ONLINE_STORE_H_

#include <cstdint>
#include <memory>
#include <string>

#include "keel/base/status.h"
#include "keel/features/online_store.h"

namespace keel::features {

struct RedisOptions {
  // redis://[:password@]host[:port][/db] or unix:///path/to/socket[?db=N]
  std::string url = "redis://127.0.0.1:6379/0";
  std::string key_prefix = "keel";  // usually "keel:<project>"
  int connect_timeout_ms = 2000;
  int command_timeout_ms = 5000;
  // A failed command (connection lost, server restarting) is retried on a
  // new connection this many times, waiting retry_backoff_ms * 2^attempt.
  int retries = 5;
  int retry_backoff_ms = 50;
  int rows_per_pipeline = 1000;  // Write sends this many rows per round trip
};

class RedisOnlineStore final : public OnlineStore {
 public:
  // Connects once (and loads the write script) to check the server answers.
  // Errors: InvalidArgument for a bad URL; Unavailable when the server cannot
  // be reached (naming host:port and hiredis' message) or refuses AUTH.
  static StatusOr<std::unique_ptr<RedisOnlineStore>> Connect(const RedisOptions& options);
  ~RedisOnlineStore() override;

  std::string_view kind() const override { return "redis"; }
  StatusOr<int64_t> Write(const OnlineView& view, const OnlineWriteBatch& batch) override;
  Status Read(const OnlineView& view, std::span<const std::string> keys,
              std::span<const std::string> features, int64_t now_us,
              std::vector<OnlineRow>* out) override;

 private:
  struct Impl;
  explicit RedisOnlineStore(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace keel::features

#endif  // KEEL_FEATURES_REDIS_ONLINE_STORE_H_
