// Randomized checks of the CSV reader: random dialect-conforming files
// (quoted delimiters and line breaks, doubled quotes, stray quotes, CRLF,
// blank lines, null tokens, mixed types) must read the same with one thread
// and with many tiny parallel chunks, and as strings they must match a
// plain character-by-character reference parser written here.
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "keel/table/csv_reader.h"

namespace keel {
namespace {

using Rows = std::vector<std::vector<std::optional<std::string>>>;

// RFC 4180 as the reader documents it, one character at a time. Returns
// false on a malformed file.
bool ReferenceParse(const std::string& text, const std::vector<std::string>& na, Rows* rows) {
  rows->clear();
  std::vector<std::optional<std::string>> row;
  std::string field;
  bool quoted = false, in_quotes = false, after_quote = false, row_has_text = false;
  auto end_field = [&] {
    const bool null = std::find(na.begin(), na.end(), field) != na.end();
    row.push_back(null ? std::nullopt : std::optional<std::string>(field));
    field.clear();
    quoted = after_quote = false;
  };
  auto end_row = [&] {
    if (row_has_text) {
      end_field();
      rows->push_back(row);
    }
    row.clear();
    field.clear();
    quoted = after_quote = row_has_text = false;
  };
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (in_quotes) {
      if (c == '"') {
        if (i + 1 < text.size() && text[i + 1] == '"') {
          field += '"';
          ++i;
        } else {
          in_quotes = false;
          after_quote = true;
        }
      } else {
        field += c;
      }
      continue;
    }
    const bool crlf = c == '\r' && i + 1 < text.size() && text[i + 1] == '\n';
    if (after_quote && c != ',' && c != '\n' && !crlf) return false;
    if (c == ',') {
      end_field();
      row_has_text = true;
    } else if (c == '\n') {
      end_row();
    } else if (crlf) {
      // the '\n' ends the row
    } else if (c == '"' && field.empty() && !quoted) {
      in_quotes = quoted = row_has_text = true;
    } else {
      field += c;
      row_has_text = true;
    }
  }
  if (in_quotes) return false;
  end_row();
  return true;
}

std::string RandomField(std::mt19937& rng, bool stray_quotes) {
  auto pick = [&](int n) { return static_cast<int>(rng() % static_cast<uint32_t>(n)); };
  auto quote = [](const std::string& s) {
    std::string out = "\"";
    for (char c : s) {
      if (c == '"') out += '"';
      out += c;
    }
    return out + "\"";
  };
  switch (pick(12)) {
    case 0:
      return "";
    case 1:
      return pick(2) ? "NA" : "\"null\"";
    case 2:
      return std::to_string(static_cast<int>(rng() % 2000) - 1000);
    case 3:
      return absl::StrCat(static_cast<int>(rng() % 1000), ".", pick(100));
    case 4:
      return pick(2) ? "true" : "FALSE";
    case 5:
      return absl::StrCat("2024-0", 1 + pick(9), "-1", pick(10), "T0", pick(10), ":30:00Z");
    case 6:
      return quote(pick(2) ? "a,b" : "x\ny");
    case 7:
      return quote("say \"hi\"\r\nthen\n\nbye");
    case 8:
      return stray_quotes ? "5'11\"" : "tall";
    case 9:
      return quote("");
    case 10:
      return "\"42\"";
    default:
      return "word" + std::to_string(pick(50));
  }
}

std::string RandomCsv(std::mt19937& rng, int columns, int rows, bool stray_quotes) {
  auto pick = [&](int n) { return static_cast<int>(rng() % static_cast<uint32_t>(n)); };
  const bool crlf = pick(2) == 0;
  const char* eol = crlf ? "\r\n" : "\n";
  std::string text;
  for (int c = 0; c < columns; ++c) text += absl::StrCat(c > 0 ? "," : "", "c", c);
  text += eol;
  // Columns lean towards one kind so inference has something to infer.
  for (int r = 0; r < rows; ++r) {
    if (pick(20) == 0) text += eol;  // blank line
    for (int c = 0; c < columns; ++c) {
      if (c > 0) text += ',';
      std::string field = RandomField(rng, stray_quotes);
      if (columns == 1 && field.empty()) field = "\"\"";  // else it is a blank line
      text += field;
    }
    if (r + 1 < rows || pick(3) != 0) text += eol;
  }
  return text;
}

TEST(CsvReaderRandomTest, ParallelEqualsSequentialAndReference) {
  std::mt19937 rng(20240310);
  int checked = 0, failures_agreed = 0;
  for (int iteration = 0; iteration < 300; ++iteration) {
    const int columns = 1 + static_cast<int>(rng() % 5);
    const int rows = static_cast<int>(rng() % 300);
    const bool stray = rng() % 3 == 0;
    std::string text = RandomCsv(rng, columns, rows, stray);
    if (rng() % 10 == 0 && !text.empty()) {
      text.insert(rng() % text.size(), rng() % 2 ? "\"" : ",");  // maybe malformed
    }
    SCOPED_TRACE(absl::StrCat("iteration ", iteration, "\n", text.substr(0, 400)));

    CsvReadOptions sequential;
    sequential.num_threads = 1;
    CsvReadOptions parallel;
    parallel.num_threads = 1 + static_cast<int>(rng() % 4);
    parallel.block_size_bytes = 1 + static_cast<int64_t>(rng() % 200);
    auto expected = ReadCsvFromString(text, sequential);
    auto actual = ReadCsvFromString(text, parallel);
    ASSERT_EQ(expected.ok(), actual.ok()) << (expected.ok() ? actual.status() : expected.status());
    if (!expected.ok()) {
      EXPECT_EQ(expected.status(), actual.status());
      ++failures_agreed;
    } else {
      EXPECT_TRUE(actual->Equals(*expected)) << actual->ToString(5) << expected->ToString(5);
    }

    // As strings, against the reference parser.
    Rows reference;
    const bool reference_ok = ReferenceParse(text, sequential.na_values, &reference);
    if (reference.empty()) continue;  // header only handled elsewhere
    CsvReadOptions strings = parallel;
    for (int c = 0; c < columns; ++c) {
      strings.schema_override[absl::StrCat("c", c)] = DataType::kString;
    }
    auto table = ReadCsvFromString(text, strings);
    bool ragged = false;
    for (const auto& row : reference) ragged |= row.size() != reference[0].size();
    if (!reference_ok || ragged || static_cast<int>(reference[0].size()) != columns) {
      EXPECT_FALSE(table.ok());
      continue;
    }
    ASSERT_TRUE(table.ok()) << table.status();
    ASSERT_EQ(table->num_rows() + 1, static_cast<int64_t>(reference.size()));
    for (int64_t r = 0; r < table->num_rows(); ++r) {
      for (int c = 0; c < columns; ++c) {
        const auto& want = reference[r + 1][c];
        const Column& column = table->column(c);
        ASSERT_EQ(column.IsNull(r), !want.has_value()) << "row " << r << " column " << c;
        if (want) {
          ASSERT_EQ(column.StringAt(r), *want) << "row " << r << " column " << c;
        }
      }
    }
    ++checked;
  }
  EXPECT_GT(checked, 150);
  EXPECT_GT(failures_agreed, 5);
}

}  // namespace
}  // namespace keel
