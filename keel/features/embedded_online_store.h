// The embedded online store: RocksDB in a folder of the workspace
// (online_store.path, default .keel/online). Nothing to start.
//
// One RocksDB key per (view, entity): "<view>\0<entity key>", its value the
// row as EncodeRow writes it. Writes are blind RocksDB merges, and a merge
// operator keeps the operand with the latest event time (the later one at
// equal times), so a write never needs a read and an older row never
// replaces a newer one, whatever order rows arrive in. Bloom filters and a
// block cache keep a point read to one memtable or block probe.
//
// RocksDB lets one process open a folder at a time: `keel serve` holding the
// store makes a concurrent `keel features materialize` fail with a message
// that says so (use the Redis store for several writers).
#ifndef KEEL_FEATURES_EMBEDDED_ONLINE_STORE_H_
#define KEEL_FEATURES_EMBEDDED_ONLINE_STORE_H_

#include <memory>
#include <string>

#include "keel/base/status.h"
#include "keel/features/online_store.h"

namespace keel::features {

class EmbeddedOnlineStore final : public OnlineStore {
 public:
  // Opens (creating when missing) the store in folder `dir`.
  // Errors: FailedPrecondition when another process holds it (naming the
  // folder and what to do); Internal / DataLoss from RocksDB.
  static StatusOr<std::unique_ptr<EmbeddedOnlineStore>> Open(const std::string& dir);
  ~EmbeddedOnlineStore() override;

  std::string_view kind() const override { return "embedded"; }
  // Returns the number of rows handed to RocksDB (one per key of the batch:
  // the latest of repeated keys); rows older than the stored ones are
  // dropped by the merge operator, not counted here.
  StatusOr<int64_t> Write(const OnlineView& view, const OnlineWriteBatch& batch) override;
  Status Read(const OnlineView& view, std::span<const std::string> keys,
              std::span<const std::string> features, int64_t now_us,
              std::vector<OnlineRow>* out) override;

  // Writes memtables to disk (tests and benchmarks; writes are durable
  // through RocksDB's write-ahead log either way).
  Status Flush();

 private:
  struct Impl;
  explicit EmbeddedOnlineStore(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace keel::features

#endif  // KEEL_FEATURES_EMBEDDED_ONLINE_STORE_H_
