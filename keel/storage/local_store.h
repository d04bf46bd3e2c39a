// The default object store: a directory on the local disk, one file per
// object at <root>/<key>. Writes are atomic (temporary file, fsync, rename).
#ifndef KEEL_STORAGE_LOCAL_STORE_H_
#define KEEL_STORAGE_LOCAL_STORE_H_

#include <memory>
#include <string>

#include "keel/storage/object_store.h"

namespace keel {

// Directory-backed ObjectStore; see ObjectStore for the contract.
// Thread-safe, and safe across processes sharing the directory.
//
// Specific to this back-end:
// - A key's parent directories are created on Put; Delete leaves them.
// - A key cannot be both an object and a directory: Put("a") when "a/b"
//   exists fails (FailedPrecondition), and Get("a") is NotFound.
// - PutFile() copies any readable file that is not a directory, a pipe
//   included, until its end.
// - Keys whose last segment looks like a temporary file ("x.tmp-12-34") are
//   refused, so List() can skip the leftovers of a writer that died.
class LocalStore final : public ObjectStore {
 public:
  // Opens the directory `root` (absolute or relative to the working
  // directory), creating it and its parents when missing.
  // Errors: as mkdir(2), naming the directory; FailedPrecondition when
  // `root` is a file.
  static StatusOr<std::unique_ptr<LocalStore>> Open(const std::string& root);

  // The absolute directory.
  const std::string& root() const { return root_; }

 private:
  explicit LocalStore(std::string root);

  Status PutImpl(const std::string& key, std::string_view bytes) override;
  Status PutFileImpl(const std::string& key, const std::string& local_path) override;
  StatusOr<std::string> GetImpl(const std::string& key) override;
  StatusOr<std::string> GetRangeImpl(const std::string& key, int64_t offset,
                                     int64_t length) override;
  Status GetToFileImpl(const std::string& key, const std::string& local_path) override;
  StatusOr<ObjectInfo> StatImpl(const std::string& key) override;
  Status DeleteImpl(const std::string& key) override;
  StatusOr<std::vector<ObjectInfo>> ListImpl(const std::string& prefix) override;
  StatusOr<std::optional<std::string>> LocalFilePathImpl(const std::string& key,
                                                         bool for_write) override;

  // <root>/<key>, after refusing temp-file-like keys.
  StatusOr<std::string> PathFor(const std::string& key) const;
  // PathFor() plus the key's parent directories, created.
  StatusOr<std::string> PrepareWrite(const std::string& key) const;

  const std::string root_;
};

}  // namespace keel

#endif  // KEEL_STORAGE_LOCAL_STORE_H_
