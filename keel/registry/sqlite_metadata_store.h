// The SQLite back-end of MetadataStore: one database file in WAL mode, so
// readers never block the writer and several processes can share it.
#ifndef KEEL_REGISTRY_SQLITE_METADATA_STORE_H_
#define KEEL_REGISTRY_SQLITE_METADATA_STORE_H_

#include <memory>
#include <string>
#include <vector>

#include "keel/registry/metadata_store.h"
#include "keel/registry/sqlite.h"

namespace keel {

// The migrations of the registry schema, in order (exposed for tests).
const std::vector<sqlite::Migration>& RegistryMigrations();

class SqliteMetadataStore final : public MetadataStore {
 public:
  // Opens or creates the database at `path` (its folder must exist) and
  // migrates it. Errors: as sqlite::Database::Open and sqlite::Migrate.
  static StatusOr<std::unique_ptr<SqliteMetadataStore>> Open(const std::string& path);

  const std::string& uri() const override { return uri_; }
  int schema_version() const override { return schema_version_; }

  StatusOr<bool> AddDatasetVersion(const DatasetVersionRecord& record) override;
  StatusOr<std::vector<DatasetRecord>> ListDatasets() override;
  StatusOr<std::vector<DatasetVersionRecord>> ListDatasetVersions(
      std::string_view dataset) override;
  StatusOr<std::vector<DatasetVersionRecord>> FindDatasetVersions(std::string_view dataset,
                                                                  std::string_view prefix) override;

 private:
  SqliteMetadataStore(std::unique_ptr<sqlite::Database> db, int schema_version)
      : db_(std::move(db)), uri_("sqlite://" + db_->path()), schema_version_(schema_version) {}

  std::unique_ptr<sqlite::Database> db_;
  std::string uri_;
  int schema_version_;
};

}  // namespace keel

#endif  // KEEL_REGISTRY_SQLITE_METADATA_STORE_H_
