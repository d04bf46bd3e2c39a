#include "keel/lake/table_object.h"

#include "keel/table/native_file.h"

namespace keel {

Status PutTableObject(ObjectStore& store, const std::string& key, const Table& table) {
  KEEL_ASSIGN_OR_RETURN(std::string bytes, EncodeNativeFile(table));
  return store.Put(key, bytes);
}

StatusOr<Table> GetTableObject(ObjectStore& store, const std::string& key) {
  KEEL_ASSIGN_OR_RETURN(std::unique_ptr<NativeFileReader> reader,
                        NativeFileReader::Open(&store, key));
  return reader->ReadAll();
}

}  // namespace keel
