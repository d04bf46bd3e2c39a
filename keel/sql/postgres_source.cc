#include "keel/sql/postgres_source.h"

#include <libpq-fe.h>

#include <charconv>
#include <cstdlib>
#include <memory>
#include <system_error>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "keel/base/time.h"
#include "keel/sql/source_util.h"

namespace keel {
namespace {

constexpr char kTitle[] = "PostgreSQL";

// Type OIDs (PostgreSQL's catalog/pg_type.h; fixed since 7.x).
enum Oid : unsigned {
  kBoolOid = 16,
  kNameOid = 19,
  kInt8Oid = 20,
  kInt2Oid = 21,
  kInt4Oid = 23,
  kTextOid = 25,
  kJsonOid = 114,
  kFloat4Oid = 700,
  kFloat8Oid = 701,
  kBpcharOid = 1042,
  kVarcharOid = 1043,
  kDateOid = 1082,
  kTimestampOid = 1114,
  kTimestamptzOid = 1184,
  kNumericOid = 1700,
  kUuidOid = 2950,
  kJsonbOid = 3802,
};

// Frees a PGresult when it goes out of scope.
struct ResultCloser {
  void operator()(PGresult* result) const { PQclear(result); }
};
using ResultPtr = std::unique_ptr<PGresult, ResultCloser>;

DataType KeelType(unsigned oid) {
  switch (oid) {
    case kBoolOid:
      return DataType::kBool;
    case kInt2Oid:
    case kInt4Oid:
    case kInt8Oid:
      return DataType::kInt64;
    case kFloat4Oid:
    case kFloat8Oid:
    case kNumericOid:
      return DataType::kFloat64;
    case kDateOid:
    case kTimestampOid:
    case kTimestamptzOid:
      return DataType::kTimestamp;
    default:  // text, varchar, bpchar, name, uuid, json, jsonb and the rest
      return DataType::kString;
  }
}

std::string PercentDecode(std::string_view text) {
  std::string out;
  for (size_t i = 0; i < text.size(); ++i) {
    int byte = 0;
    if (text[i] == '%' && i + 2 < text.size() &&
        std::from_chars(text.data() + i + 1, text.data() + i + 3, byte, 16).ptr ==
            text.data() + i + 3) {
      out.push_back(static_cast<char>(byte));
      i += 2;
    } else {
      out.push_back(text[i]);
    }
  }
  return out;
}

// The password as written in `uri` (user info or ?password=), decoded too,
// and PGPASSWORD: what must never appear in a message.
std::vector<std::string> SecretsOf(std::string_view uri) {
  std::vector<std::string> raw;
  const size_t start = uri.find("://");
  if (start != std::string_view::npos) {
    const std::string_view rest = uri.substr(start + 3);
    const std::string_view authority = rest.substr(0, rest.find_first_of("/?"));
    const size_t at = authority.rfind('@');
    const size_t colon = authority.find(':');
    if (at != std::string_view::npos && colon < at) {
      raw.emplace_back(authority.substr(colon + 1, at - colon - 1));
    }
    const size_t question = rest.find('?');
    if (question != std::string_view::npos) {
      for (absl::string_view param : absl::StrSplit(
               absl::string_view(rest.data() + question + 1, rest.size() - question - 1), '&')) {
        if (absl::StartsWithIgnoreCase(param, "password=")) raw.emplace_back(param.substr(9));
      }
    }
  }
  std::vector<std::string> secrets;
  for (const std::string& s : raw) {
    secrets.push_back(s);
    secrets.push_back(PercentDecode(s));
  }
  if (const char* env = std::getenv("PGPASSWORD"); env != nullptr) secrets.emplace_back(env);
  std::erase_if(secrets, [](const std::string& s) { return s.empty(); });
  return secrets;
}

void IgnoreNotice(void*, const char*) {}

// Appends one text-form value to `builder`. Errors: InvalidArgument saying
// why the text does not fit the column's type.
Status AppendText(ColumnBuilder& builder, std::string_view text) {
  const char* end = text.data() + text.size();
  switch (builder.type()) {
    case DataType::kBool:
      if (text != "t" && text != "f") break;
      builder.AppendBool(text == "t");
      return absl::OkStatus();
    case DataType::kInt64: {
      int64_t value = 0;
      if (std::from_chars(text.data(), end, value).ptr != end) break;
      builder.AppendInt64(value);
      return absl::OkStatus();
    }
    case DataType::kFloat64: {
      double value = 0;
      const auto [ptr, ec] = std::from_chars(text.data(), end, value);
      if (ec == std::errc::result_out_of_range) {
        return absl::InvalidArgumentError("outside the range of float64");
      }
      if (ptr != end) break;
      builder.AppendFloat64(value);
      return absl::OkStatus();
    }
    case DataType::kTimestamp: {
      TimestampMicros t = 0;
      if (!TryParseTimestamp(text, TimeZone::Utc(), &t)) {
        return absl::InvalidArgumentError(
            "not a timestamp Keel can hold (years 0001..9999; no 'infinity')");
      }
      builder.AppendTimestamp(t);
      return absl::OkStatus();
    }
    case DataType::kString:
      builder.AppendString(text);
      return absl::OkStatus();
  }
  return absl::InvalidArgumentError(
      absl::StrCat("unexpected text for ", std::string(DataTypeName(builder.type()))));
}

}  // namespace

StatusOr<std::unique_ptr<PostgresSource>> PostgresSource::Open(std::string_view uri,
                                                               const SqlOptions& options) {
  const std::string redacted = RedactUri(uri);
  std::vector<std::string> secrets = SecretsOf(uri);
  const std::string timeout = absl::StrCat(options.connect_timeout_seconds);
  const std::string dbname(uri);
  // Earlier keywords are defaults: what the URI (expanded from dbname) says wins.
  const char* const keys[] = {"connect_timeout", "fallback_application_name", "dbname", nullptr};
  const char* const values[] = {timeout.c_str(), "keel", dbname.c_str(), nullptr};
  PGconn* conn = PQconnectdbParams(keys, values, /*expand_dbname=*/1);
  if (conn == nullptr) {
    return absl::ResourceExhaustedError("libpq could not allocate a connection");
  }
  std::unique_ptr<PostgresSource> source(new PostgresSource(redacted, conn, std::move(secrets)));
  PQsetNoticeProcessor(conn, IgnoreNotice, nullptr);
  if (PQstatus(conn) != CONNECTION_OK) {
    std::string message = source->Scrubbed(PQerrorMessage(conn));
    while (!message.empty() && message.back() == '\n') message.pop_back();
    const std::string text =
        absl::StrCat("cannot connect to PostgreSQL at ", redacted, ": ", message,
                     "; check the host, port, database, user and password (in the URI or "
                     "PGPASSWORD)");
    if (absl::StrContains(message, "authentication failed") ||
        absl::StrContains(message, "password")) {
      return absl::PermissionDeniedError(text);
    }
    return absl::UnavailableError(text);
  }
  ResultPtr setup(PQexec(conn,
                         "SET DateStyle = 'ISO'; SET TimeZone = 'UTC'; "
                         "SET client_encoding = 'UTF8'; SET extra_float_digits = 3; "
                         "SET default_transaction_read_only = on"));
  if (PQresultStatus(setup.get()) != PGRES_COMMAND_OK) {
    return absl::UnavailableError(
        absl::StrCat("PostgreSQL at ", redacted,
                     ": cannot set up the session: ", source->Scrubbed(PQerrorMessage(conn))));
  }
  return source;
}

PostgresSource::~PostgresSource() { PQfinish(conn_); }

std::string PostgresSource::Scrubbed(std::string text) const {
  for (const std::string& secret : secrets_) text = sql_internal::Scrub(std::move(text), secret);
  return text;
}

StatusOr<Table> PostgresSource::QueryImpl(std::string_view query) {
  const std::string sql(query);
  // One statement (the extended protocol refuses several), text results.
  if (!PQsendQueryParams(conn_, sql.c_str(), 0, nullptr, nullptr, nullptr, nullptr, 0) ||
      !PQsetSingleRowMode(conn_)) {
    return absl::UnavailableError(
        absl::StrCat("PostgreSQL at ", redacted_uri(),
                     ": cannot send the query: ", Scrubbed(PQerrorMessage(conn_))));
  }
  std::vector<std::string> names;
  std::vector<unsigned> oids;
  std::vector<ColumnBuilder> builders;
  Status error;  // the first failure; the results are drained regardless
  bool has_columns = false;
  int64_t row = 0;
  while (PGresult* raw = PQgetResult(conn_)) {
    ResultPtr result(raw);
    const ExecStatusType status = PQresultStatus(raw);
    if (status == PGRES_FATAL_ERROR) {
      if (!error.ok()) continue;
      const char* primary = PQresultErrorField(raw, PG_DIAG_MESSAGE_PRIMARY);
      const char* position = PQresultErrorField(raw, PG_DIAG_STATEMENT_POSITION);
      const char* hint = PQresultErrorField(raw, PG_DIAG_MESSAGE_HINT);
      std::string message = primary != nullptr ? primary : PQresultErrorMessage(raw);
      if (hint != nullptr) absl::StrAppend(&message, " (hint: ", hint, ")");
      int64_t offset = -1;
      if (position != nullptr) {
        offset = sql_internal::Utf8CharToByteOffset(query, std::strtoll(position, nullptr, 10));
      }
      error = sql_internal::QueryError(kTitle, redacted_uri(), Scrubbed(message), query, offset);
      continue;
    }
    if (status == PGRES_COMMAND_OK || status == PGRES_EMPTY_QUERY) {
      if (error.ok()) {
        error = sql_internal::QueryError(kTitle, redacted_uri(),
                                         "the statement returns no rows or columns", query, -1);
      }
      continue;
    }
    if (status != PGRES_SINGLE_TUPLE && status != PGRES_TUPLES_OK) {
      if (error.ok()) {
        error = absl::UnavailableError(absl::StrCat("PostgreSQL at ", redacted_uri(),
                                                    ": unexpected result ", PQresStatus(status),
                                                    ": ", Scrubbed(PQresultErrorMessage(raw))));
      }
      continue;
    }
    if (!has_columns) {  // the first row, or the empty result's description
      has_columns = true;
      const int n = PQnfields(raw);
      for (int i = 0; i < n; ++i) {
        names.emplace_back(PQfname(raw, i));
        oids.push_back(PQftype(raw, i));
        builders.emplace_back(KeelType(oids.back()));
      }
    }
    if (!error.ok()) continue;
    for (int r = 0; r < PQntuples(raw); ++r, ++row) {
      for (int i = 0; i < static_cast<int>(builders.size()); ++i) {
        if (PQgetisnull(raw, r, i)) {
          builders[i].AppendNull();
          continue;
        }
        const std::string_view text(PQgetvalue(raw, r, i), PQgetlength(raw, r, i));
        if (Status s = AppendText(builders[i], text); !s.ok()) {
          error = absl::InvalidArgumentError(
              absl::StrCat("PostgreSQL result from ", redacted_uri(), ": column '", names[i],
                           "' (type oid ", oids[i], "), row ", row + 1, ": '",
                           std::string(text.substr(0, 100)), "' is ", std::string(s.message()),
                           "; convert it in the query (e.g. CAST(col AS text) or NULLIF)"));
          break;
        }
      }
    }
  }
  KEEL_RETURN_IF_ERROR(error);
  if (!has_columns) {
    return sql_internal::QueryError(kTitle, redacted_uri(), "the statement returns no result",
                                    query, -1);
  }
  std::vector<Column> columns;
  for (ColumnBuilder& builder : builders) columns.push_back(builder.Finish());
  return sql_internal::MakeResultTable(redacted_uri(), std::move(names), std::move(columns));
}

}  // namespace keel
