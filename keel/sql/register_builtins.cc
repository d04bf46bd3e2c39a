// The built-in SQL back-ends, registered explicitly (no static initialisers
// that a static link could drop).
#include <memory>

#include "keel/sql/postgres_source.h"
#include "keel/sql/sql_source.h"
#include "keel/sql/sqlite_source.h"

namespace keel {

void RegisterBuiltinSqlSources(SqlSourceRegistry& registry) {
  registry.Register(
      "sqlite",
      [](std::string_view uri, const SqlOptions&) -> StatusOr<std::unique_ptr<SqlSource>> {
        KEEL_ASSIGN_OR_RETURN(std::unique_ptr<SqliteSource> source, SqliteSource::Open(uri));
        return std::unique_ptr<SqlSource>(std::move(source));
      });
  const SqlSourceFactory postgres =
      [](std::string_view uri, const SqlOptions& options) -> StatusOr<std::unique_ptr<SqlSource>> {
    KEEL_ASSIGN_OR_RETURN(std::unique_ptr<PostgresSource> source,
                          PostgresSource::Open(uri, options));
    return std::unique_ptr<SqlSource>(std::move(source));
  };
  registry.Register("postgresql", postgres);
  registry.Register("postgres", postgres);
}

}  // namespace keel
