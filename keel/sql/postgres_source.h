// The PostgreSQL back-end of SqlSource, over libpq:
//   postgresql://user:password@host:port/dbname?sslmode=require
// (postgres:// too; anything libpq's URI syntax allows). The password may
// instead come from PGPASSWORD or ~/.pgpass, as libpq does it.
#ifndef KEEL_SQL_POSTGRES_SOURCE_H_
#define KEEL_SQL_POSTGRES_SOURCE_H_

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "keel/base/status.h"
#include "keel/sql/sql_source.h"

struct pg_conn;

namespace keel {

// Column types from the result's type OIDs:
//   bool                                   -> bool
//   int2, int4, int8                       -> int64
//   float4, float8, numeric                -> float64 (numeric is rounded to
//                                             the nearest double: about 15-17
//                                             significant digits survive)
//   text, varchar, char, name, uuid, json, jsonb -> string
//   date                                   -> timestamp at midnight UTC
//   timestamp                              -> timestamp (microseconds, read as UTC)
//   timestamptz                            -> timestamp (the instant, UTC)
//   anything else                          -> string, PostgreSQL's text form
//                                             (bytea as "\x0a1b", arrays as "{1,2}")
// NULL is a null. Dates and timestamps outside years 0001..9999
// ('infinity', BC) are errors naming the column and row.
//
// The session runs with DateStyle ISO, TimeZone UTC, client_encoding UTF8,
// extra_float_digits 3 (exact floats) and default_transaction_read_only on.
// Rows are fetched in libpq's single-row mode, so a large result is never
// held twice. Notices from the server are dropped.
class PostgresSource : public SqlSource {
 public:
  // Connects. Errors: PermissionDenied when authentication fails;
  // Unavailable when the server cannot be reached or refuses; the
  // password never appears in a message.
  static StatusOr<std::unique_ptr<PostgresSource>> Open(std::string_view uri,
                                                        const SqlOptions& options);
  ~PostgresSource() override;

  std::string_view engine() const override { return "postgresql"; }

 protected:
  StatusOr<Table> QueryImpl(std::string_view query) override;

 private:
  PostgresSource(std::string redacted_uri, pg_conn* conn, std::vector<std::string> secrets)
      : SqlSource(std::move(redacted_uri)), conn_(conn), secrets_(std::move(secrets)) {}
  // `text` with every secret (the password as written and decoded,
  // PGPASSWORD) replaced by "***".
  std::string Scrubbed(std::string text) const;

  pg_conn* conn_;
  std::vector<std::string> secrets_;
};

}  // namespace keel

#endif  // KEEL_SQL_POSTGRES_SOURCE_H_
