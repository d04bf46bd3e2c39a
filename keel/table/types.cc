#include "keel/table/types.h"

#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "keel/base/suggest.h"

namespace keel {

std::string_view DataTypeName(DataType type) {
  switch (type) {
    case DataType::kBool:
      return "bool";
    case DataType::kInt64:
      return "int64";
    case DataType::kFloat64:
      return "float64";
    case DataType::kString:
      return "string";
    case DataType::kTimestamp:
      return "timestamp";
  }
  return "unknown";
}

const std::vector<DataType>& AllDataTypes() {
  static const std::vector<DataType>* const kAll =
      new std::vector<DataType>{DataType::kBool, DataType::kInt64, DataType::kFloat64,
                                DataType::kString, DataType::kTimestamp};
  return *kAll;
}

StatusOr<DataType> ParseDataType(std::string_view name) {
  std::vector<std::string> names;
  for (DataType type : AllDataTypes()) {
    if (DataTypeName(type) == name) return type;
    names.emplace_back(DataTypeName(type));
  }
  return absl::InvalidArgumentError(absl::StrCat("unknown column type '", std::string(name),
                                                 "' (known: ", absl::StrJoin(names, ", "), ").",
                                                 DidYouMean(name, names)));
}

}  // namespace keel
