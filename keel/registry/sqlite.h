// A thin RAII layer over the SQLite C API for the registry's back-end:
// a connection (WAL, busy timeout, foreign keys), prepared statements with
// typed binds and reads, transactions that roll back unless committed, and
// numbered schema migrations.
#ifndef KEEL_REGISTRY_SQLITE_H_
#define KEEL_REGISTRY_SQLITE_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "keel/base/status.h"

struct sqlite3;
struct sqlite3_stmt;

namespace keel::sqlite {

class Statement;

// One connection. Not thread-safe: use one Database per thread (SQLite's
// locking makes several connections to one file safe, across processes too).
class Database {
 public:
  // Opens (creating when missing) the database file at `path`; its folder
  // must exist. Turns on WAL journaling, foreign keys and a busy timeout of
  // `busy_timeout_ms` (a writer waits that long for another one's lock).
  // Errors: Unavailable / Internal naming the path.
  static StatusOr<std::unique_ptr<Database>> Open(const std::string& path,
                                                  int busy_timeout_ms = 10'000);
  ~Database();
  Database(const Database&) = delete;
  Database& operator=(const Database&) = delete;

  // Runs one or more statements without results (DDL, PRAGMA).
  Status Execute(std::string_view sql);
  // Compiles `sql` (one statement). Errors: Internal with SQLite's message.
  StatusOr<Statement> Prepare(std::string_view sql);

  const std::string& path() const { return path_; }
  sqlite3* handle() { return db_; }
  // "<path>: <what>: <sqlite message>" with a code from the SQLite result.
  Status Error(int rc, std::string_view what) const;

 private:
  Database(sqlite3* db, std::string path) : db_(db), path_(std::move(path)) {}
  sqlite3* db_;
  std::string path_;
};

// A prepared statement. Parameters are 1-based, columns 0-based.
// Movable; finalized when destroyed.
class Statement {
 public:
  Statement(Statement&& other) noexcept;
  Statement& operator=(Statement&& other) noexcept;
  ~Statement();

  Statement& Bind(int index, int64_t value);
  Statement& Bind(int index, std::string_view text);
  Statement& BindNull(int index);
  // A separate name: an int argument would be ambiguous between int64_t and
  // double. NaN is stored as NULL by SQLite; ColumnDouble reads NULL as NaN.
  Statement& BindDouble(int index, double value);

  // Advances to the next row: true when there is one, false when done.
  StatusOr<bool> Step();
  // Steps to completion, for statements without results.
  Status Run();
  // Clears bindings and rewinds, so the statement can run again.
  void Reset();

  int64_t ColumnInt(int column) const;
  std::string ColumnText(int column) const;
  double ColumnDouble(int column) const;
  bool ColumnIsNull(int column) const;
  // Rows changed by the last INSERT/UPDATE/DELETE on this connection.
  int64_t Changes() const;

 private:
  friend class Database;
  Statement(Database* db, sqlite3_stmt* stmt) : db_(db), stmt_(stmt) {}
  Database* db_;
  sqlite3_stmt* stmt_;
};

// BEGIN IMMEDIATE on construction (takes the write lock up front, so two
// writers never deadlock upgrading); ROLLBACK on destruction unless Commit()
// succeeded.
class Transaction {
 public:
  static StatusOr<Transaction> Begin(Database* db);
  Transaction(Transaction&& other) noexcept;
  Transaction& operator=(Transaction&&) = delete;
  ~Transaction();
  Status Commit();

 private:
  explicit Transaction(Database* db) : db_(db) {}
  Database* db_;
};

// A numbered schema change: versions start at 1 and increase by 1.
struct Migration {
  int version;
  std::string description;
  std::string sql;
};

// Brings the database up to the last of `migrations` (sorted by version):
// keeps the applied versions in a `schema_migrations` table and applies each
// missing migration in its own transaction with its row. Returns the schema
// version now in force. Errors: FailedPrecondition when the database has a
// version newer than this build knows (an older keel on a newer registry),
// naming both versions; Internal for SQL failures.
StatusOr<int> Migrate(Database* db, const std::vector<Migration>& migrations);

}  // namespace keel::sqlite

#endif  // KEEL_REGISTRY_SQLITE_H_
