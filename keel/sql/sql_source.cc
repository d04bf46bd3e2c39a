#include "keel/sql/sql_source.h"

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "keel/base/suggest.h"
#include "nlohmann/json.hpp"

namespace keel {
namespace {

// The lowercase scheme of "scheme://...", or "" when there is none.
std::string SchemeOf(std::string_view uri) {
  const size_t colon = uri.find("://");
  if (colon == std::string_view::npos || colon == 0) return "";
  return absl::AsciiStrToLower(std::string(uri.substr(0, colon)));
}

}  // namespace

StatusOr<Table> SqlSource::Query(std::string_view query) {
  if (absl::StripAsciiWhitespace(absl::string_view(query.data(), query.size())).empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("the query for ", redacted_uri_, " is empty; give one SELECT statement"));
  }
  return QueryImpl(query);
}

void SqlSourceRegistry::Register(std::string scheme, SqlSourceFactory factory) {
  factories_[std::move(scheme)] = std::move(factory);
}

std::vector<std::string> SqlSourceRegistry::Schemes() const {
  std::vector<std::string> schemes;
  for (const auto& [scheme, factory] : factories_) schemes.push_back(scheme);
  return schemes;
}

bool SqlSourceRegistry::Handles(std::string_view uri) const {
  return factories_.contains(SchemeOf(uri));
}

StatusOr<std::unique_ptr<SqlSource>> SqlSourceRegistry::Open(std::string_view uri,
                                                             const SqlOptions& options) const {
  const std::string scheme = SchemeOf(uri);
  const auto it = factories_.find(scheme);
  if (it == factories_.end()) {
    const std::vector<std::string> known = Schemes();
    return absl::InvalidArgumentError(
        absl::StrCat("'", RedactUri(uri), "' is not a SQL source URI; known schemes: ",
                     absl::StrJoin(known, ", "), " (e.g. sqlite:///path/to.db, ",
                     "postgresql://user@host:5432/db).", DidYouMean(scheme, known)));
  }
  return it->second(uri, options);
}

const SqlSourceRegistry& SqlSourceRegistry::Builtins() {
  // Built on first use (thread-safe static); never destroyed.
  static const SqlSourceRegistry* const registry = [] {
    auto* r = new SqlSourceRegistry();
    RegisterBuiltinSqlSources(*r);
    return r;
  }();
  return *registry;
}

bool IsSqlUri(std::string_view uri) { return SqlSourceRegistry::Builtins().Handles(uri); }

StatusOr<Table> RunQuery(std::string_view uri, std::string_view query, const SqlOptions& options) {
  KEEL_ASSIGN_OR_RETURN(std::unique_ptr<SqlSource> source,
                        SqlSourceRegistry::Builtins().Open(uri, options));
  return source->Query(query);
}

std::string RedactUri(std::string_view uri) {
  const size_t scheme_end = uri.find("://");
  if (scheme_end == std::string_view::npos) return std::string(uri);
  const size_t start = scheme_end + 3;
  size_t authority_end = uri.find_first_of("/?", start);
  if (authority_end == std::string_view::npos) authority_end = uri.size();
  std::string out(uri.substr(0, start));
  std::string_view authority = uri.substr(start, authority_end - start);
  const size_t at = authority.rfind('@');
  if (at != std::string_view::npos) {
    const std::string_view user_info = authority.substr(0, at);
    const size_t colon = user_info.find(':');
    if (colon != std::string_view::npos) {
      absl::StrAppend(&out, std::string(user_info.substr(0, colon)), ":***");
    } else {
      out += std::string(user_info);
    }
    authority = authority.substr(at);  // from '@'
  }
  out += std::string(authority);
  std::string_view rest = uri.substr(authority_end);
  const size_t question = rest.find('?');
  out += std::string(rest.substr(0, question));
  if (question == std::string_view::npos) return out;
  std::vector<std::string> params = absl::StrSplit(
      absl::string_view(rest.data() + question + 1, rest.size() - question - 1), '&');
  for (std::string& param : params) {
    if (absl::AsciiStrToLower(param.substr(0, param.find('='))) == "password") {
      param = param.substr(0, param.find('=')) + "=***";
    }
  }
  absl::StrAppend(&out, "?", absl::StrJoin(params, "&"));
  return out;
}

std::string QueryRecordText(std::string_view engine, std::string_view redacted_uri,
                            std::string_view query) {
  const nlohmann::json header = {{"engine", std::string(engine)},
                                 {"source", std::string(redacted_uri)}};
  return absl::StrCat("-- keel-sql-source ", header.dump(), "\n", std::string(query));
}

}  // namespace keel
