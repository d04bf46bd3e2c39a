#include "keel/table/schema.h"

#include "absl/strings/str_cat.h"
#include "keel/base/suggest.h"

namespace keel {

StatusOr<Schema> Schema::Make(std::vector<Field> fields) {
  Schema schema;
  schema.index_.reserve(fields.size());
  for (int i = 0; i < static_cast<int>(fields.size()); ++i) {
    const std::string& name = fields[i].name;
    if (name.empty()) {
      return absl::InvalidArgumentError(absl::StrCat(
          "field ", i + 1, " of the schema has an empty name; give every column a name"));
    }
    auto [it, inserted] = schema.index_.emplace(name, i);
    if (!inserted) {
      return absl::InvalidArgumentError(absl::StrCat("duplicate column name '", name, "' (fields ",
                                                     it->second + 1, " and ", i + 1,
                                                     "); column names must be unique"));
    }
  }
  schema.fields_ = std::move(fields);
  return schema;
}

std::vector<std::string> Schema::names() const {
  std::vector<std::string> out;
  out.reserve(fields_.size());
  for (const Field& field : fields_) out.push_back(field.name);
  return out;
}

int Schema::IndexOf(std::string_view name) const {
  auto it = index_.find(std::string(name));
  return it == index_.end() ? -1 : it->second;
}

StatusOr<int> Schema::FindIndex(std::string_view name) const {
  const int index = IndexOf(name);
  if (index >= 0) return index;
  std::string listing = ToString();
  if (fields_.size() > 20) listing = absl::StrCat(fields_.size(), " columns");
  return absl::NotFoundError(absl::StrCat("no column '", std::string(name), "' (have: ", listing,
                                          ").", DidYouMean(name, names())));
}

std::string Schema::ToString() const {
  std::string out;
  for (const Field& field : fields_) {
    if (!out.empty()) out += ", ";
    absl::StrAppend(&out, field.name, ": ", std::string(DataTypeName(field.type)),
                    field.nullable ? "" : " not null");
  }
  return out;
}

}  // namespace keel
