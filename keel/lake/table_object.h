// How the lake persists a parsed table as one object: Keel's native
// columnar file (keel/table/native_file.h), written whole, read back whole.
//
// On a local store (file://) the object is written straight to its file
// (atomically) and read back through a memory map, so that a plain
// (uncompressed) table is never copied: its columns are views of the page
// cache. On a remote store it goes through Put and ranged GETs.
#ifndef KEEL_LAKE_TABLE_OBJECT_H_
#define KEEL_LAKE_TABLE_OBJECT_H_

#include <string>

#include "keel/base/status.h"
#include "keel/storage/object_store.h"
#include "keel/table/native_file.h"
#include "keel/table/table.h"

namespace keel {

// SHA-256 (hex) of the bytes PutTableObject writes for `table` with
// `compression` (deterministic: the same table gives the same bytes),
// computed without holding the file in memory. Errors: the encoder's.
StatusOr<std::string> TableObjectSha256(const Table& table, NativeCompression compression);
// Errors: the encoder's and the store's.
Status PutTableObject(ObjectStore& store, const std::string& key, const Table& table,
                      NativeCompression compression);
// Errors: NotFound for a missing object, DataLoss for a corrupt one.
StatusOr<Table> GetTableObject(ObjectStore& store, const std::string& key);

}  // namespace keel

#endif  // KEEL_LAKE_TABLE_OBJECT_H_
