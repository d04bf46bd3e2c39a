#include "keel/registry/metadata_store.h"

#include <filesystem>

#include "absl/strings/str_cat.h"
#include "keel/base/files.h"
#include "keel/registry/sqlite_metadata_store.h"

namespace keel {

StatusOr<std::unique_ptr<MetadataStore>> OpenMetadataStore(std::string_view uri,
                                                           const std::string& base_dir) {
  const size_t sep = uri.find("://");
  const std::string scheme(sep == std::string_view::npos ? "" : uri.substr(0, sep));
  if (scheme == "sqlite") {
    std::string path(uri.substr(sep + 3));
    if (path.empty()) {
      return absl::InvalidArgumentError(
          absl::StrCat("registry URI '", std::string(uri), "' has no path; write sqlite://PATH"));
    }
    if (path.front() != '/') {
      path = (std::filesystem::path(base_dir) / path).lexically_normal().string();
    }
    KEEL_RETURN_IF_ERROR(MakeDirs(std::filesystem::path(path).parent_path().string()));
    KEEL_ASSIGN_OR_RETURN(auto store, SqliteMetadataStore::Open(path));
    return std::unique_ptr<MetadataStore>(std::move(store));
  }
  return absl::InvalidArgumentError(absl::StrCat(
      "unsupported registry URI '", std::string(uri), "'; known: sqlite",
      scheme == "postgresql" || scheme == "postgres" ? " (PostgreSQL support is not built yet)"
                                                     : "",
      ". Set registry.uri to sqlite://PATH"));
}

StatusOr<std::unique_ptr<MetadataStore>> OpenMetadataStore(const Workspace& workspace) {
  return OpenMetadataStore(workspace.config().GetString("registry.uri"), workspace.root());
}

}  // namespace keel
