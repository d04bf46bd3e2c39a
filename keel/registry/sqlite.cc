#include "keel/registry/sqlite.h"

#include <sqlite3.h>

#include <limits>
#include <utility>

#include "absl/strings/str_cat.h"
#include "keel/base/time.h"

namespace keel::sqlite {
namespace {

absl::StatusCode CodeFor(int rc) {
  switch (rc & 0xff) {
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
      return absl::StatusCode::kUnavailable;
    case SQLITE_CONSTRAINT:
      return absl::StatusCode::kAlreadyExists;
    case SQLITE_CANTOPEN:
      return absl::StatusCode::kNotFound;
    case SQLITE_PERM:
    case SQLITE_READONLY:
    case SQLITE_AUTH:
      return absl::StatusCode::kPermissionDenied;
    case SQLITE_FULL:
      return absl::StatusCode::kResourceExhausted;
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
      return absl::StatusCode::kDataLoss;
    default:
      return absl::StatusCode::kInternal;
  }
}

}  // namespace

StatusOr<std::unique_ptr<Database>> Database::Open(const std::string& path, int busy_timeout_ms) {
  sqlite3* db = nullptr;
  const int rc = sqlite3_open_v2(
      path.c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nullptr);
  if (rc != SQLITE_OK) {
    std::string message = db != nullptr ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
    sqlite3_close(db);
    return absl::Status(CodeFor(rc),
                        absl::StrCat(path, ": cannot open the registry database: ", message));
  }
  std::unique_ptr<Database> database(new Database(db, path));
  sqlite3_busy_timeout(db, busy_timeout_ms);
  sqlite3_extended_result_codes(db, 1);
  KEEL_RETURN_IF_ERROR(database->Execute(
      "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;"));
  return database;
}

Database::~Database() { sqlite3_close_v2(db_); }

Status Database::Error(int rc, std::string_view what) const {
  return absl::Status(CodeFor(rc),
                      absl::StrCat(path_, ": ", std::string(what), ": ", sqlite3_errmsg(db_)));
}

Status Database::Execute(std::string_view sql) {
  char* error = nullptr;
  const std::string text(sql);
  const int rc = sqlite3_exec(db_, text.c_str(), nullptr, nullptr, &error);
  if (rc != SQLITE_OK) {
    std::string message = error != nullptr ? error : sqlite3_errstr(rc);
    sqlite3_free(error);
    return absl::Status(CodeFor(rc), absl::StrCat(path_, ": ", message));
  }
  return absl::OkStatus();
}

StatusOr<Statement> Database::Prepare(std::string_view sql) {
  sqlite3_stmt* stmt = nullptr;
  const int rc = sqlite3_prepare_v2(db_, sql.data(), static_cast<int>(sql.size()), &stmt, nullptr);
  if (rc != SQLITE_OK) return Error(rc, absl::StrCat("preparing '", std::string(sql), "'"));
  return Statement(this, stmt);
}

Statement::Statement(Statement&& other) noexcept
    : db_(other.db_), stmt_(std::exchange(other.stmt_, nullptr)) {}

Statement& Statement::operator=(Statement&& other) noexcept {
  if (this != &other) {
    sqlite3_finalize(stmt_);
    db_ = other.db_;
    stmt_ = std::exchange(other.stmt_, nullptr);
  }
  return *this;
}

Statement::~Statement() { sqlite3_finalize(stmt_); }

Statement& Statement::Bind(int index, int64_t value) {
  sqlite3_bind_int64(stmt_, index, value);
  return *this;
}

Statement& Statement::Bind(int index, std::string_view text) {
  sqlite3_bind_text64(stmt_, index, text.data(), text.size(), SQLITE_TRANSIENT, SQLITE_UTF8);
  return *this;
}

Statement& Statement::BindNull(int index) {
  sqlite3_bind_null(stmt_, index);
  return *this;
}

Statement& Statement::BindDouble(int index, double value) {
  sqlite3_bind_double(stmt_, index, value);
  return *this;
}

StatusOr<bool> Statement::Step() {
  const int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  return db_->Error(rc, absl::StrCat("running '", sqlite3_sql(stmt_), "'"));
}

Status Statement::Run() {
  while (true) {
    KEEL_ASSIGN_OR_RETURN(bool row, Step());
    if (!row) return absl::OkStatus();
  }
}

void Statement::Reset() {
  sqlite3_reset(stmt_);
  sqlite3_clear_bindings(stmt_);
}

int64_t Statement::ColumnInt(int column) const { return sqlite3_column_int64(stmt_, column); }

std::string Statement::ColumnText(int column) const {
  const unsigned char* text = sqlite3_column_text(stmt_, column);
  if (text == nullptr) return "";
  return std::string(reinterpret_cast<const char*>(text),
                     static_cast<size_t>(sqlite3_column_bytes(stmt_, column)));
}

double Statement::ColumnDouble(int column) const {
  if (sqlite3_column_type(stmt_, column) == SQLITE_NULL) {
    return std::numeric_limits<double>::quiet_NaN();
  }
  return sqlite3_column_double(stmt_, column);
}

bool Statement::ColumnIsNull(int column) const {
  return sqlite3_column_type(stmt_, column) == SQLITE_NULL;
}

int64_t Statement::Changes() const { return sqlite3_changes(db_->handle()); }

StatusOr<Transaction> Transaction::Begin(Database* db) {
  KEEL_RETURN_IF_ERROR(db->Execute("BEGIN IMMEDIATE"));
  return Transaction(db);
}

Transaction::Transaction(Transaction&& other) noexcept : db_(std::exchange(other.db_, nullptr)) {}

Transaction::~Transaction() {
  if (db_ != nullptr) (void)db_->Execute("ROLLBACK");
}

Status Transaction::Commit() {
  KEEL_RETURN_IF_ERROR(db_->Execute("COMMIT"));
  db_ = nullptr;
  return absl::OkStatus();
}

StatusOr<int> Migrate(Database* db, const std::vector<Migration>& migrations) {
  KEEL_RETURN_IF_ERROR(db->Execute(
      "CREATE TABLE IF NOT EXISTS schema_migrations ("
      " version INTEGER PRIMARY KEY, description TEXT NOT NULL, applied_at_us INTEGER NOT NULL)"));
  const int known = migrations.empty() ? 0 : migrations.back().version;
  int current = 0;
  {
    KEEL_ASSIGN_OR_RETURN(Statement max, db->Prepare("SELECT MAX(version) FROM schema_migrations"));
    KEEL_ASSIGN_OR_RETURN(bool row, max.Step());
    if (row && !max.ColumnIsNull(0)) current = static_cast<int>(max.ColumnInt(0));
  }
  if (current > known) {
    return absl::FailedPreconditionError(absl::StrCat(
        db->path(), ": the registry schema is version ", current, " but this keel knows up to ",
        known, "; it was written by a newer keel. Upgrade keel to use this workspace."));
  }
  for (const Migration& migration : migrations) {
    if (migration.version <= current) continue;
    KEEL_ASSIGN_OR_RETURN(Transaction txn, Transaction::Begin(db));
    // Another process may have applied it while we waited for the lock.
    KEEL_ASSIGN_OR_RETURN(Statement check,
                          db->Prepare("SELECT 1 FROM schema_migrations WHERE version = ?"));
    check.Bind(1, int64_t{migration.version});
    KEEL_ASSIGN_OR_RETURN(bool applied, check.Step());
    if (applied) continue;
    Status s = db->Execute(migration.sql);
    if (!s.ok()) {
      return Annotate(s, absl::StrCat("registry migration ", migration.version, " (",
                                      migration.description, ")"));
    }
    KEEL_ASSIGN_OR_RETURN(
        Statement insert,
        db->Prepare("INSERT INTO schema_migrations (version, description, applied_at_us) "
                    "VALUES (?, ?, ?)"));
    insert.Bind(1, int64_t{migration.version}).Bind(2, migration.description).Bind(3, NowMicros());
    KEEL_RETURN_IF_ERROR(insert.Run());
    KEEL_RETURN_IF_ERROR(txn.Commit());
  }
  return known;
}

}  // namespace keel::sqlite
