// The built-in storage back-ends, registered explicitly (no static
// initialisers that a static link could drop).
#include <memory>

#include "keel/storage/local_store.h"
#include "keel/storage/object_store.h"
#include "keel/storage/s3_store.h"

namespace keel {

void RegisterBuiltinObjectStores(ObjectStoreRegistry& registry) {
  registry.Register("file",
                    [](const StorageUri& uri,
                       const ObjectStoreOptions&) -> StatusOr<std::unique_ptr<ObjectStore>> {
                      KEEL_ASSIGN_OR_RETURN(std::unique_ptr<LocalStore> store,
                                            LocalStore::Open(uri.path));
                      return std::unique_ptr<ObjectStore>(std::move(store));
                    });
  registry.Register(
      "s3",
      [](const StorageUri& uri,
         const ObjectStoreOptions& options) -> StatusOr<std::unique_ptr<ObjectStore>> {
        KEEL_ASSIGN_OR_RETURN(std::unique_ptr<S3Store> store,
                              S3Store::Open(uri.authority, uri.path, options));
        return std::unique_ptr<ObjectStore>(std::move(store));
      });
}

}  // namespace keel
