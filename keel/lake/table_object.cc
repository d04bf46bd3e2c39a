#include "keel/lake/table_object.h"

#include <optional>

#include "keel/base/hash.h"

namespace keel {

StatusOr<std::string> TableObjectSha256(const Table& table, NativeCompression compression) {
  Sha256 hash;
  KEEL_RETURN_IF_ERROR(
      EncodeNativeFileTo(table, {.compression = compression}, [&](std::string_view bytes) {
        hash.Update(bytes);
        return absl::OkStatus();
      }));
  return HexEncode(hash.Finish());
}

Status PutTableObject(ObjectStore& store, const std::string& key, const Table& table,
                      NativeCompression compression) {
  const NativeWriteOptions options{.compression = compression};
  KEEL_ASSIGN_OR_RETURN(std::optional<std::string> path,
                        store.LocalFilePath(key, /*for_write=*/true));
  if (path) return Annotate(WriteNativeFile(table, *path, options), store.Uri(key));
  KEEL_ASSIGN_OR_RETURN(std::string bytes, EncodeNativeFile(table, options));
  return store.Put(key, bytes);
}

StatusOr<Table> GetTableObject(ObjectStore& store, const std::string& key) {
  KEEL_ASSIGN_OR_RETURN(std::optional<std::string> path, store.LocalFilePath(key));
  std::unique_ptr<NativeFileReader> reader;
  if (path) {
    StatusOr<std::unique_ptr<NativeFileReader>> local = NativeFileReader::Open(*path);
    if (!local.ok()) return Annotate(local.status(), store.Uri(key));
    reader = *std::move(local);
  } else {
    KEEL_ASSIGN_OR_RETURN(reader, NativeFileReader::Open(&store, key));
  }
  return reader->ReadAll();
}

}  // namespace keel
