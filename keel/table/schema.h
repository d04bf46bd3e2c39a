// A table's schema: the ordered, uniquely named, typed fields.
#ifndef KEEL_TABLE_SCHEMA_H_
#define KEEL_TABLE_SCHEMA_H_

#include <string>
#include <string_view>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "keel/base/status.h"
#include "keel/table/types.h"

namespace keel {

struct Field {
  std::string name;
  DataType type = DataType::kString;
  // False promises that the column holds no null (Table::Make checks it).
  bool nullable = true;

  bool operator==(const Field& other) const = default;
};

// Immutable after Make; cheap enough to copy (the fields plus a name index).
// Thread-safe for concurrent const use.
class Schema {
 public:
  // No fields.
  Schema() = default;

  // Errors: InvalidArgument when a name is empty or appears twice (naming
  // it and both positions).
  static StatusOr<Schema> Make(std::vector<Field> fields);

  int num_fields() const { return static_cast<int>(fields_.size()); }
  const Field& field(int i) const { return fields_[i]; }
  const std::vector<Field>& fields() const { return fields_; }
  std::vector<std::string> names() const;

  // The position of the field called `name`, or -1.
  int IndexOf(std::string_view name) const;
  // As IndexOf; errors: NotFound naming the field, with the closest names.
  StatusOr<int> FindIndex(std::string_view name) const;

  // "id: int64 not null, name: string, at: timestamp".
  std::string ToString() const;

  bool operator==(const Schema& other) const { return fields_ == other.fields_; }

 private:
  std::vector<Field> fields_;
  absl::flat_hash_map<std::string, int> index_;
};

}  // namespace keel

#endif  // KEEL_TABLE_SCHEMA_H_
