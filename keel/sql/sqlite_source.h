// The SQLite back-end of SqlSource: a database file opened read-only.
//   sqlite:///abs/path/shop.db   an absolute path
//   sqlite://shop.db             relative to the current folder
#ifndef KEEL_SQL_SQLITE_SOURCE_H_
#define KEEL_SQL_SQLITE_SOURCE_H_

#include <memory>
#include <string>
#include <string_view>

#include "keel/base/status.h"
#include "keel/sql/sql_source.h"

struct sqlite3;

namespace keel {

// Column types: from the declared type of a table column
// (sqlite3_column_decltype), matched by name like SQLite's affinity rules:
//   BOOL...                      -> bool (values 0 and 1)
//   DATE, DATETIME, TIMESTAMP... -> timestamp (text parsed as UTC by
//                                   ParseTimestamp, integers as Unix seconds)
//   ...INT...                    -> int64
//   REAL, FLOA..., DOUB...       -> float64
//   CHAR, CLOB, TEXT...          -> string
// When a value does not fit its declared type (SQLite lets a column hold
// anything), and for expressions and columns without a declared type
// (NUMERIC, DECIMAL, BLOB or none), the type is inferred from the stored
// values' storage classes over all rows: integers only -> int64, integers
// and reals -> float64, anything with text or blobs -> string. Blobs become
// hex text ("\x0a1b"), as PostgreSQL prints bytea. NULL is a null.
class SqliteSource : public SqlSource {
 public:
  // Errors: InvalidArgument for a URI without a path; NotFound when the file
  // does not exist; Unavailable when SQLite cannot open it.
  static StatusOr<std::unique_ptr<SqliteSource>> Open(std::string_view uri);
  ~SqliteSource() override;

  std::string_view engine() const override { return "sqlite"; }
  // The database file as opened.
  const std::string& path() const { return path_; }

 protected:
  StatusOr<Table> QueryImpl(std::string_view query) override;

 private:
  SqliteSource(std::string redacted_uri, sqlite3* db, std::string path)
      : SqlSource(std::move(redacted_uri)), db_(db), path_(std::move(path)) {}

  sqlite3* db_;
  std::string path_;
};

}  // namespace keel

#endif  // KEEL_SQL_SQLITE_SOURCE_H_
