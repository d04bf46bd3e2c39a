// How the lake persists a parsed table as one object: Keel's native
// columnar file (keel/table/native_file.h), written whole, read back whole.
#ifndef KEEL_LAKE_TABLE_OBJECT_H_
#define KEEL_LAKE_TABLE_OBJECT_H_

#include <string>

#include "keel/base/status.h"
#include "keel/storage/object_store.h"
#include "keel/table/table.h"

namespace keel {

// The bytes PutTableObject writes for `table` (deterministic: the same
// table gives the same bytes). Errors: the encoder's.
StatusOr<std::string> EncodeTableObject(const Table& table);
// Errors: the encoder's and the store's.
Status PutTableObject(ObjectStore& store, const std::string& key, const Table& table);
// Errors: NotFound for a missing object, DataLoss for a corrupt one.
StatusOr<Table> GetTableObject(ObjectStore& store, const std::string& key);

}  // namespace keel

#endif  // KEEL_LAKE_TABLE_OBJECT_H_
