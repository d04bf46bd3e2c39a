// SQL sources: run one query inside a database (SQLite, PostgreSQL) and get
// its whole result as a typed Table, with the database's own types.
//
//   KEEL_ASSIGN_OR_RETURN(Table t, RunQuery("sqlite:///data/shop.db",
//                                           "SELECT * FROM orders", {}));
//
// Back-ends are chosen by URI scheme from a SqlSourceRegistry (sqlite,
// postgresql, postgres). Passwords never leave a source: every message and
// redacted_uri() carry "***" in their place.
#ifndef KEEL_SQL_SQL_SOURCE_H_
#define KEEL_SQL_SQL_SOURCE_H_

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "keel/base/status.h"
#include "keel/table/table.h"

namespace keel {

struct SqlOptions {
  // PostgreSQL: seconds to wait for a connection (libpq connect_timeout);
  // a connect_timeout in the URI wins.
  int connect_timeout_seconds = 10;
};

// One open database connection. Not thread-safe; one query at a time.
class SqlSource {
 public:
  virtual ~SqlSource() = default;
  SqlSource(const SqlSource&) = delete;
  SqlSource& operator=(const SqlSource&) = delete;

  // Runs `query` (exactly one statement) read-only and returns its rows.
  // Column names are the result's; types come from the database (see
  // keel/sql/README.md for the mapping); SQL NULL becomes a null.
  // Errors: InvalidArgument for an empty query, more than one statement, a
  // query the database rejects (its message, the line and column it points
  // at, and the query), duplicate result column names, or a value outside
  // the target type's range; Unavailable when the connection fails.
  StatusOr<Table> Query(std::string_view query);

  // "sqlite" or "postgresql".
  virtual std::string_view engine() const = 0;
  // The URI it was opened with, any password replaced by "***": safe to log
  // and to record.
  const std::string& redacted_uri() const { return redacted_uri_; }

 protected:
  explicit SqlSource(std::string redacted_uri) : redacted_uri_(std::move(redacted_uri)) {}
  // `query` is non-empty.
  virtual StatusOr<Table> QueryImpl(std::string_view query) = 0;

 private:
  std::string redacted_uri_;
};

using SqlSourceFactory =
    std::function<StatusOr<std::unique_ptr<SqlSource>>(std::string_view uri, const SqlOptions&)>;

// Back-ends by URI scheme. Register() is not thread-safe; the rest is, once
// registration is over.
class SqlSourceRegistry {
 public:
  // Adds or replaces the factory for `scheme` (lowercase, e.g. "sqlite").
  void Register(std::string scheme, SqlSourceFactory factory);
  // Registered schemes, sorted.
  std::vector<std::string> Schemes() const;
  bool Handles(std::string_view uri) const;
  // Opens (connects to) the database named by `uri`. Errors:
  // InvalidArgument for a URI without a known scheme (listing the known
  // ones), else the back-end's: NotFound for a missing SQLite file,
  // Unavailable for a refused connection or authentication (password
  // redacted).
  StatusOr<std::unique_ptr<SqlSource>> Open(std::string_view uri, const SqlOptions& options) const;

  // The registry with the built-in back-ends (RegisterBuiltinSqlSources),
  // built on first use.
  static const SqlSourceRegistry& Builtins();

 private:
  std::map<std::string, SqlSourceFactory, std::less<>> factories_;
};

// Registers sqlite, postgresql and postgres (register_builtins.cc).
void RegisterBuiltinSqlSources(SqlSourceRegistry& registry);

// True when `uri` names a built-in SQL source (sqlite://, postgresql://,
// postgres://), so callers can tell it from a file or object-store URI.
bool IsSqlUri(std::string_view uri);

// SqlSourceRegistry::Builtins().Open(uri), then Query(query).
StatusOr<Table> RunQuery(std::string_view uri, std::string_view query,
                         const SqlOptions& options = {});

// `uri` with the password of its user info ("user:secret@") and any
// "password=" query parameter replaced by "***".
std::string RedactUri(std::string_view uri);

// What the lake keeps as the raw object of a query's result (raw/query.sql):
// one SQL comment line holding a JSON header {"engine","source"} (the
// redacted URI), then the query text as given.
//   -- keel-sql-source {"engine":"sqlite","source":"sqlite://shop.db"}
//   SELECT * FROM orders
std::string QueryRecordText(std::string_view engine, std::string_view redacted_uri,
                            std::string_view query);

}  // namespace keel

#endif  // KEEL_SQL_SQL_SOURCE_H_
