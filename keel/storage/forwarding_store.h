// ForwardingObjectStore passes every call to another store; subclass it and
// override one call to observe or alter just that (tests count bytes read,
// inject a full disk; later: metrics, caching). Like LevelDB's EnvWrapper.
#ifndef KEEL_STORAGE_FORWARDING_STORE_H_
#define KEEL_STORAGE_FORWARDING_STORE_H_

#include <memory>
#include <string>
#include <vector>

#include "keel/storage/object_store.h"

namespace keel {

// Owns `target`; has its root URI. Thread safety: that of the target.
// Errors come back as the target returns them (already naming the URI).
class ForwardingObjectStore : public ObjectStore {
 public:
  explicit ForwardingObjectStore(std::unique_ptr<ObjectStore> target)
      : ObjectStore(target->root_uri()), target_(std::move(target)) {}

  ObjectStore& target() { return *target_; }

 protected:
  Status PutImpl(const std::string& key, std::string_view bytes) override {
    return target_->Put(key, bytes);
  }
  Status PutFileImpl(const std::string& key, const std::string& local_path) override {
    return target_->PutFile(key, local_path);
  }
  StatusOr<std::string> GetImpl(const std::string& key) override { return target_->Get(key); }
  StatusOr<std::string> GetRangeImpl(const std::string& key, int64_t offset,
                                     int64_t length) override {
    return target_->GetRange(key, offset, length);
  }
  Status GetToFileImpl(const std::string& key, const std::string& local_path) override {
    return target_->GetToFile(key, local_path);
  }
  StatusOr<ObjectInfo> StatImpl(const std::string& key) override { return target_->Stat(key); }
  Status DeleteImpl(const std::string& key) override { return target_->Delete(key); }
  StatusOr<std::vector<ObjectInfo>> ListImpl(const std::string& prefix) override {
    return target_->List(prefix);
  }

 private:
  std::unique_ptr<ObjectStore> target_;
};

}  // namespace keel

#endif  // KEEL_STORAGE_FORWARDING_STORE_H_
