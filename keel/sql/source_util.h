// Helpers shared by the SQL back-ends (not part of the module's API): the
// one shape of "the database rejected the query" errors, result tables with
// a hint for duplicate column names, hex text for binary values, and
// removing secrets from messages.
#ifndef KEEL_SQL_SOURCE_UTIL_H_
#define KEEL_SQL_SOURCE_UTIL_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "keel/base/status.h"
#include "keel/table/column.h"
#include "keel/table/table.h"

namespace keel::sql_internal {

// InvalidArgument: "<Engine> rejected the query (<redacted uri>): <message>
// at line L, column C:" followed by that line of the query and a caret, or
// the whole query (first 20 lines) when `byte_offset` < 0 (unknown).
Status QueryError(std::string_view engine_title, std::string_view redacted_uri,
                  std::string_view message, std::string_view query, int64_t byte_offset);

// The byte offset of the 1-based character `position` in UTF-8 `text`
// (PostgreSQL reports positions in characters); -1 when out of range.
int64_t Utf8CharToByteOffset(std::string_view text, int64_t position);

// Table::Make(names, columns), with a duplicate column name explained: the
// query should give each column its own alias.
StatusOr<Table> MakeResultTable(std::string_view redacted_uri, std::vector<std::string> names,
                                std::vector<Column> columns);

// "\x0a1b..." (PostgreSQL's hex form of bytea): how binary values become
// string cells.
std::string HexBytes(std::string_view bytes);

// `text` with every occurrence of `secret` replaced by "***" (nothing
// when `secret` is empty).
std::string Scrub(std::string text, std::string_view secret);

}  // namespace keel::sql_internal

#endif  // KEEL_SQL_SOURCE_UTIL_H_
