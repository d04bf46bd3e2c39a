#include "keel/lake/table_object.h"

#include "keel/table/native_file.h"

namespace keel {

StatusOr<std::string> EncodeTableObject(const Table& table) { return EncodeNativeFile(table); }

Status PutTableObject(ObjectStore& store, const std::string& key, const Table& table) {
  KEEL_ASSIGN_OR_RETURN(std::string bytes, EncodeTableObject(table));
  return store.Put(key, bytes);
}

StatusOr<Table> GetTableObject(ObjectStore& store, const std::string& key) {
  KEEL_ASSIGN_OR_RETURN(std::unique_ptr<NativeFileReader> reader,
                        NativeFileReader::Open(&store, key));
  return reader->ReadAll();
}

}  // namespace keel
