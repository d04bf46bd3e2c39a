#include "keel/sql/source_util.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"

namespace keel::sql_internal {

Status QueryError(std::string_view engine_title, std::string_view redacted_uri,
                  std::string_view message, std::string_view query, int64_t byte_offset) {
  std::string text(message);
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
  std::string out = absl::StrCat(std::string(engine_title), " rejected the query (",
                                 std::string(redacted_uri), "): ", text);
  if (byte_offset >= 0 && byte_offset <= static_cast<int64_t>(query.size())) {
    const size_t at = static_cast<size_t>(byte_offset);
    const size_t line_start = query.rfind('\n', at == 0 ? 0 : at - 1);
    const size_t begin = (line_start == std::string_view::npos || at == 0) ? 0 : line_start + 1;
    size_t end = query.find('\n', at);
    if (end == std::string_view::npos) end = query.size();
    const int64_t line = 1 + std::count(query.begin(), query.begin() + begin, '\n');
    const int64_t column = 1 + static_cast<int64_t>(at - begin);
    absl::StrAppend(&out, " at line ", line, ", column ", column, ":\n  ",
                    std::string(query.substr(begin, end - begin)), "\n  ",
                    std::string(at - begin, ' '), "^");
  } else {
    std::string shown(query.substr(0, 2000));
    if (std::count(shown.begin(), shown.end(), '\n') > 20) {
      size_t cut = 0;
      for (int i = 0; i < 20; ++i) cut = shown.find('\n', cut) + 1;
      shown.resize(cut);
      shown += "...";
    } else if (query.size() > shown.size()) {
      shown += "...";
    }
    absl::StrAppend(&out, "\nin the query:\n  ", absl::StrReplaceAll(shown, {{"\n", "\n  "}}));
  }
  return absl::InvalidArgumentError(out);
}

int64_t Utf8CharToByteOffset(std::string_view text, int64_t position) {
  if (position < 1) return -1;
  int64_t chars = 0;
  for (size_t i = 0; i < text.size(); ++i) {
    if ((static_cast<unsigned char>(text[i]) & 0xC0) != 0x80 && ++chars == position) {
      return static_cast<int64_t>(i);
    }
  }
  // One past the end: PostgreSQL points there for an unexpected end of input.
  return chars + 1 == position ? static_cast<int64_t>(text.size()) : -1;
}

StatusOr<Table> MakeResultTable(std::string_view redacted_uri, std::vector<std::string> names,
                                std::vector<Column> columns) {
  StatusOr<Table> table = Table::Make(names, std::move(columns));
  if (!table.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("the result of the query on ", std::string(redacted_uri),
                     " cannot be a table: ", std::string(table.status().message()),
                     "; give each result column its own name (SELECT a AS a1, ...)"));
  }
  return table;
}

std::string HexBytes(std::string_view bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out = "\\x";
  out.reserve(2 + 2 * bytes.size());
  for (unsigned char c : bytes) {
    out.push_back(kDigits[c >> 4]);
    out.push_back(kDigits[c & 0xF]);
  }
  return out;
}

std::string Scrub(std::string text, std::string_view secret) {
  if (secret.empty()) return text;
  return absl::StrReplaceAll(text, {{absl::string_view(secret.data(), secret.size()), "***"}});
}

}  // namespace keel::sql_internal
