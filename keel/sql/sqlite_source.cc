#include "keel/sql/sqlite_source.h"

#include <sqlite3.h>

#include <charconv>
#include <optional>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "keel/base/files.h"
#include "keel/base/time.h"
#include "keel/sql/source_util.h"

namespace keel {
namespace {

using sql_internal::HexBytes;
using sql_internal::QueryError;

constexpr char kTitle[] = "SQLite";

// Finalizes a statement when it goes out of scope.
struct StatementCloser {
  void operator()(sqlite3_stmt* stmt) const { sqlite3_finalize(stmt); }
};
using StatementPtr = std::unique_ptr<sqlite3_stmt, StatementCloser>;

// The target type of a declared column type, or nullopt to infer from the
// values (no declared type, NUMERIC, DECIMAL, BLOB).
std::optional<DataType> DeclaredType(const char* decltype_text) {
  if (decltype_text == nullptr) return std::nullopt;
  const std::string t = absl::AsciiStrToUpper(decltype_text);
  if (absl::StartsWith(t, "BOOL")) return DataType::kBool;
  if (absl::StartsWith(t, "DATE") || absl::StartsWith(t, "TIMESTAMP")) {
    return DataType::kTimestamp;
  }
  if (absl::StrContains(t, "INT")) return DataType::kInt64;
  if (absl::StrContains(t, "CHAR") || absl::StrContains(t, "CLOB") ||
      absl::StrContains(t, "TEXT")) {
    return DataType::kString;
  }
  if (absl::StrContains(t, "REAL") || absl::StrContains(t, "FLOA") ||
      absl::StrContains(t, "DOUB")) {
    return DataType::kFloat64;
  }
  return std::nullopt;
}

std::string_view TextOf(sqlite3_stmt* stmt, int i) {
  const auto* text = reinterpret_cast<const char*>(sqlite3_column_text(stmt, i));
  return text == nullptr ? std::string_view()
                         : std::string_view(text, sqlite3_column_bytes(stmt, i));
}

std::string_view BlobOf(sqlite3_stmt* stmt, int i) {
  const auto* blob = static_cast<const char*>(sqlite3_column_blob(stmt, i));
  return blob == nullptr ? std::string_view()
                         : std::string_view(blob, sqlite3_column_bytes(stmt, i));
}

std::string DoubleText(double value) {
  char buffer[32];
  return std::string(buffer, std::to_chars(buffer, buffer + sizeof(buffer), value).ptr);
}

// One result column. int64, float64 and string columns append straight to
// a typed builder while the values fit; bool and timestamp columns, columns
// without a declared type, and a column whose value did not fit keep every
// value with its storage class, and the type is decided in Finish().
class ResultColumn {
 public:
  explicit ResultColumn(std::optional<DataType> declared)
      : declared_(declared),
        builder_(declared.value_or(DataType::kString)),
        direct_(declared == DataType::kInt64 || declared == DataType::kFloat64 ||
                declared == DataType::kString) {}

  // Appends the value of column `i` of the current row.
  void Append(sqlite3_stmt* stmt, int i) {
    const int storage = sqlite3_column_type(stmt, i);
    if (direct_ && !AppendDirect(stmt, i, storage)) SwitchToValues();
    if (direct_) return;
    Value v{.storage = storage};
    if (storage == SQLITE_INTEGER) {
      v.i = sqlite3_column_int64(stmt, i);
    } else if (storage == SQLITE_FLOAT) {
      v.d = sqlite3_column_double(stmt, i);
    } else if (storage == SQLITE_TEXT) {
      v.s = std::string(TextOf(stmt, i));
    } else if (storage == SQLITE_BLOB) {
      v.s = std::string(BlobOf(stmt, i));
    }
    values_.push_back(std::move(v));
  }

  Column Finish() {
    if (direct_) return builder_.Finish();
    if (declared_ == DataType::kBool || declared_ == DataType::kTimestamp) {
      if (std::optional<Column> column = BuildDeclared()) return *std::move(column);
    }
    return BuildInferred();
  }

 private:
  struct Value {
    int storage = SQLITE_NULL;
    int64_t i = 0;
    double d = 0;
    std::string s;  // text, or the bytes of a blob
  };

  // False when the value does not fit the declared type.
  bool AppendDirect(sqlite3_stmt* stmt, int i, int storage) {
    if (storage == SQLITE_NULL) {
      builder_.AppendNull();
      return true;
    }
    switch (*declared_) {
      case DataType::kInt64:
        if (storage != SQLITE_INTEGER) return false;
        builder_.AppendInt64(sqlite3_column_int64(stmt, i));
        return true;
      case DataType::kFloat64:
        if (storage != SQLITE_INTEGER && storage != SQLITE_FLOAT) return false;
        builder_.AppendFloat64(sqlite3_column_double(stmt, i));
        return true;
      default:  // kString
        if (storage == SQLITE_BLOB) {
          builder_.AppendString(HexBytes(BlobOf(stmt, i)));
        } else if (storage == SQLITE_FLOAT) {
          builder_.AppendString(DoubleText(sqlite3_column_double(stmt, i)));
        } else {
          builder_.AppendString(TextOf(stmt, i));
        }
        return true;
    }
  }

  // Moves what the builder holds into values_ (losslessly: int64 and
  // float64 columns only get here).
  void SwitchToValues() {
    const Column done = builder_.Finish();
    values_.reserve(done.length());
    for (int64_t r = 0; r < done.length(); ++r) {
      Value v;
      if (done.IsValid(r) && done.type() == DataType::kInt64) {
        v = {.storage = SQLITE_INTEGER, .i = done.Int64Values()[r]};
      } else if (done.IsValid(r)) {
        v = {.storage = SQLITE_FLOAT, .d = done.Float64Values()[r]};
      }
      values_.push_back(std::move(v));
    }
    direct_ = false;
  }

  // The declared bool or timestamp column, or nullopt when a value does
  // not fit it.
  std::optional<Column> BuildDeclared() {
    ColumnBuilder builder(*declared_);
    builder.Reserve(static_cast<int64_t>(values_.size()));
    for (const Value& v : values_) {
      if (v.storage == SQLITE_NULL) {
        builder.AppendNull();
      } else if (declared_ == DataType::kBool && v.storage == SQLITE_INTEGER &&
                 (v.i == 0 || v.i == 1)) {
        builder.AppendBool(v.i == 1);
      } else if (declared_ == DataType::kTimestamp && v.storage == SQLITE_TEXT) {
        TimestampMicros t = 0;
        if (!TryParseTimestamp(v.s, TimeZone::Utc(), &t)) return std::nullopt;
        builder.AppendTimestamp(t);
      } else if (declared_ == DataType::kTimestamp && v.storage == SQLITE_INTEGER) {
        StatusOr<TimestampMicros> t = FromEpoch(v.i, EpochUnit::kSeconds);
        if (!t.ok()) return std::nullopt;
        builder.AppendTimestamp(*t);
      } else {
        return std::nullopt;
      }
    }
    return builder.Finish();
  }

  Column BuildInferred() {
    bool has_real = false, has_other = false;
    for (const Value& v : values_) {
      has_real |= v.storage == SQLITE_FLOAT;
      has_other |= v.storage == SQLITE_TEXT || v.storage == SQLITE_BLOB;
    }
    bool all_null = true;
    for (const Value& v : values_) all_null &= v.storage == SQLITE_NULL;
    const DataType type = has_other || all_null ? DataType::kString
                          : has_real            ? DataType::kFloat64
                                                : DataType::kInt64;
    ColumnBuilder builder(type);
    builder.Reserve(static_cast<int64_t>(values_.size()));
    for (const Value& v : values_) {
      if (v.storage == SQLITE_NULL) {
        builder.AppendNull();
      } else if (type == DataType::kInt64) {
        builder.AppendInt64(v.i);
      } else if (type == DataType::kFloat64) {
        builder.AppendFloat64(v.storage == SQLITE_INTEGER ? static_cast<double>(v.i) : v.d);
      } else if (v.storage == SQLITE_INTEGER) {
        builder.AppendString(absl::StrCat(v.i));
      } else if (v.storage == SQLITE_FLOAT) {
        builder.AppendString(DoubleText(v.d));
      } else if (v.storage == SQLITE_BLOB) {
        builder.AppendString(HexBytes(v.s));
      } else {
        builder.AppendString(v.s);
      }
    }
    return builder.Finish();
  }

  std::optional<DataType> declared_;
  ColumnBuilder builder_;
  bool direct_;
  std::vector<Value> values_;
};

// True when `tail` (what follows the first statement) holds only spaces,
// semicolons and comments.
bool OnlyTrailingNoise(std::string_view tail) {
  size_t i = 0;
  while (i < tail.size()) {
    const char c = tail[i];
    if (c == ';' || absl::ascii_isspace(static_cast<unsigned char>(c))) {
      ++i;
    } else if (tail.substr(i, 2) == "--") {
      i = tail.find('\n', i);
      if (i == std::string_view::npos) return true;
    } else if (tail.substr(i, 2) == "/*") {
      i = tail.find("*/", i + 2);
      if (i == std::string_view::npos) return true;
      i += 2;
    } else {
      return false;
    }
  }
  return true;
}

}  // namespace

StatusOr<std::unique_ptr<SqliteSource>> SqliteSource::Open(std::string_view uri) {
  constexpr std::string_view kPrefix = "sqlite://";
  const std::string path(
      absl::StartsWithIgnoreCase(absl::string_view(uri.data(), uri.size()), "sqlite://")
          ? uri.substr(kPrefix.size())
          : uri);
  if (path.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("'", std::string(uri),
                     "' names no database file; write sqlite:///abs/path.db or sqlite://rel.db"));
  }
  if (!PathExists(path)) {
    return absl::NotFoundError(
        absl::StrCat("no SQLite database at ", path, " (from '", std::string(uri),
                     "'); check the path (sqlite:///abs/path.db for an absolute one)"));
  }
  sqlite3* db = nullptr;
  const int rc = sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr);
  if (rc != SQLITE_OK) {
    const std::string message = db != nullptr ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
    sqlite3_close(db);
    return absl::UnavailableError(
        absl::StrCat("cannot open the SQLite database ", path, ": ", message));
  }
  sqlite3_busy_timeout(db, 5'000);
  return std::unique_ptr<SqliteSource>(new SqliteSource(std::string(uri), db, path));
}

SqliteSource::~SqliteSource() { sqlite3_close(db_); }

StatusOr<Table> SqliteSource::QueryImpl(std::string_view query) {
  sqlite3_stmt* raw = nullptr;
  const char* tail = nullptr;
  if (sqlite3_prepare_v2(db_, query.data(), static_cast<int>(query.size()), &raw, &tail) !=
      SQLITE_OK) {
    return QueryError(kTitle, redacted_uri(), sqlite3_errmsg(db_), query,
                      sqlite3_error_offset(db_));
  }
  StatementPtr stmt(raw);
  if (stmt == nullptr) {
    return QueryError(kTitle, redacted_uri(), "the query holds no statement", query, -1);
  }
  const std::string_view rest(tail, query.data() + query.size() - tail);
  if (!OnlyTrailingNoise(rest)) {
    return QueryError(kTitle, redacted_uri(),
                      "the query holds more than one statement; give exactly one", query,
                      tail - query.data());
  }
  if (!sqlite3_stmt_readonly(stmt.get())) {
    return QueryError(kTitle, redacted_uri(),
                      "the statement would change the database; ingest runs read-only queries "
                      "(SELECT ...)",
                      query, -1);
  }
  const int n = sqlite3_column_count(stmt.get());
  if (n == 0) {
    return QueryError(kTitle, redacted_uri(), "the statement returns no columns", query, -1);
  }
  std::vector<std::string> names;
  std::vector<ResultColumn> columns;
  columns.reserve(n);
  for (int i = 0; i < n; ++i) {
    names.push_back(sqlite3_column_name(stmt.get(), i));
    columns.emplace_back(DeclaredType(sqlite3_column_decltype(stmt.get(), i)));
  }
  while (true) {
    const int rc = sqlite3_step(stmt.get());
    if (rc == SQLITE_DONE) break;
    if (rc != SQLITE_ROW) {
      return QueryError(kTitle, redacted_uri(), sqlite3_errmsg(db_), query, -1);
    }
    for (int i = 0; i < n; ++i) columns[i].Append(stmt.get(), i);
  }
  std::vector<Column> built;
  for (ResultColumn& column : columns) built.push_back(column.Finish());
  return sql_internal::MakeResultTable(redacted_uri(), std::move(names), std::move(built));
}

}  // namespace keel
