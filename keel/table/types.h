// The value types a Keel table column can hold, and their names as they
// appear in schemas, config files and messages.
#ifndef KEEL_TABLE_TYPES_H_
#define KEEL_TABLE_TYPES_H_

#include <string_view>
#include <vector>

#include "keel/base/status.h"

namespace keel {

// Storage per type (see column.h): kBool one byte (0 or 1) per value;
// kInt64 int64_t; kFloat64 double; kString int64 offsets into one byte
// buffer (UTF-8); kTimestamp int64 microseconds since the Unix epoch, UTC
// (keel/base/time.h). Every type can hold nulls (a validity bitmap).
enum class DataType { kBool, kInt64, kFloat64, kString, kTimestamp };

// "bool", "int64", "float64", "string", "timestamp".
std::string_view DataTypeName(DataType type);

// Every type, in enum order.
const std::vector<DataType>& AllDataTypes();

// The inverse of DataTypeName (exact, lower case). Errors: InvalidArgument
// naming the unknown text, listing the known names and suggesting the closest
// ("int" -> "Did you mean 'int64'?").
StatusOr<DataType> ParseDataType(std::string_view name);

}  // namespace keel

#endif  // KEEL_TABLE_TYPES_H_
