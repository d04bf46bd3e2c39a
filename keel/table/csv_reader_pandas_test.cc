// Keel's CSV reader against an independent reference: pandas.read_csv on
// the same generated file must give the same types, nulls and values.
#include <cmath>
#include <random>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "keel/base/files.h"
#include "keel/base/testing/subprocess.h"
#include "keel/base/testing/temp_dir.h"
#include "keel/table/csv_reader.h"
#include "nlohmann/json.hpp"

namespace keel {
namespace {

constexpr char kPython[] = "/usr/bin/python3";

bool HavePandas() { return testing::RunCommand({kPython, "-c", "import pandas"}).exit_code == 0; }

std::string Quote(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

// Ints, 2-decimal floats, strings with quotes, commas, line breaks and
// non-ASCII text, empty cells and null tokens, bools, and timestamps.
std::string GenerateCsv(int rows, uint32_t seed) {
  std::mt19937 rng(seed);
  auto pick = [&](int n) { return static_cast<int>(rng() % static_cast<uint32_t>(n)); };
  const char* words[] = {"alpha", "beta, gamma", "say \"hi\"", "two\nlines",
                         "Zoë",   "日本語",      "  padded  ", "NA",
                         "null",  "123",         "x\r\ny",     "-"};
  std::string text = "id,amount,qty,name,flag,ts,ts_utc,score\n";
  for (int i = 0; i < rows; ++i) {
    text += std::to_string(1000000 + i * 37) + ",";
    if (pick(10) != 0) {
      const int cents = pick(2000000) - 1000000;
      text += (cents < 0 ? "-" : "") + std::to_string(std::abs(cents) / 100) + "." +
              (std::abs(cents) % 100 < 10 ? "0" : "") + std::to_string(std::abs(cents) % 100);
    }
    text += ",";
    if (pick(8) != 0) {
      text += std::to_string(pick(100000) - 500);
    } else {
      text += pick(2) ? "NA" : "";
    }
    text += ",";
    const int w = pick(14);
    if (w < 12) {
      const std::string word = words[w];
      const bool needs_quotes = word.find_first_of(",\"\n\r") != std::string::npos;
      text += needs_quotes || pick(4) == 0 ? Quote(word) : word;
    }  // else empty: null
    text += pick(2) ? ",true," : ",false,";
    char ts[64];
    std::snprintf(ts, sizeof(ts), "20%02d-%02d-%02d %02d:%02d:%02d", 10 + pick(20), 1 + pick(12),
                  1 + pick(28), pick(24), pick(60), pick(60));
    text += ts;
    if (pick(3) == 0) text += "." + std::to_string(100 + pick(900));
    text += ",";
    if (pick(12) != 0) {
      std::snprintf(ts, sizeof(ts), "2024-%02d-%02dT%02d:%02d:%02dZ", 1 + pick(12), 1 + pick(28),
                    pick(24), pick(60), pick(60));
      text += ts;
    }
    text += ",";
    char score[64];
    std::snprintf(score, sizeof(score), "%.6e",
                  (pick(2) ? 1 : -1) * std::ldexp(static_cast<double>(rng()), pick(40) - 50));
    text += score;
    text += "\n";
  }
  return text;
}

void ExpectSameAsPandas(const Table& table, const nlohmann::json& reference) {
  const auto& columns = reference.at("columns");
  ASSERT_EQ(static_cast<int>(columns.size()), table.num_columns());
  for (int c = 0; c < table.num_columns(); ++c) {
    const auto& ref = columns[c];
    const std::string name = ref.at("name");
    const std::string dtype = ref.at("dtype");
    const auto& values = ref.at("values");
    const Column& column = table.column(c);
    SCOPED_TRACE("column " + name + " (pandas " + dtype + ", keel " +
                 std::string(DataTypeName(column.type())) + ")");
    EXPECT_EQ(table.schema().field(c).name, name);
    ASSERT_EQ(static_cast<int64_t>(values.size()), column.length());
    switch (column.type()) {
      case DataType::kInt64:
        // pandas turns integer columns with nulls into float64.
        EXPECT_EQ(dtype, column.null_count() > 0 ? "float64" : "int64");
        break;
      case DataType::kFloat64:
        EXPECT_EQ(dtype, "float64");
        break;
      case DataType::kBool:
        EXPECT_EQ(dtype, column.null_count() > 0 ? "object" : "bool");
        break;
      case DataType::kString:
        EXPECT_EQ(dtype, "object");
        break;
      case DataType::kTimestamp:
        EXPECT_THAT(dtype, ::testing::StartsWith("datetime64[ns"));
        break;
    }
    int mismatches = 0;
    for (int64_t i = 0; i < column.length() && mismatches < 5; ++i) {
      const auto& v = values[i];
      const bool ok = [&] {
        if (v.is_null() != column.IsNull(i)) return false;
        if (v.is_null()) return true;
        switch (column.type()) {
          case DataType::kInt64:
            return v.get<double>() == static_cast<double>(column.Int64Values()[i]);
          case DataType::kFloat64: {
            const double a = v.get<double>(), b = column.Float64Values()[i];
            return std::abs(a - b) <= 1e-12 * std::max(std::abs(a), std::abs(b));
          }
          case DataType::kBool:
            return v.get<bool>() == (column.BoolValues()[i] != 0);
          case DataType::kString:
            return v.get<std::string>() == column.StringAt(i);
          case DataType::kTimestamp:
            return v.get<int64_t>() == column.TimestampValues()[i];
        }
        return false;
      }();
      if (!ok) {
        ++mismatches;
        ADD_FAILURE() << "row " << i << ": pandas " << v.dump() << ", keel "
                      << column.ValueToString(i);
      }
    }
  }
}

TEST(CsvReaderPandasTest, GeneratedFileMatchesPandas) {
  if (!HavePandas()) GTEST_SKIP() << "python3-pandas is not installed";
  testing::TempDir dir;
  const std::string csv = dir.path() + "/varied.csv";
  const std::string json = dir.path() + "/pandas.json";
  ASSERT_TRUE(WriteFileAtomic(csv, GenerateCsv(4000, 7)).ok());

  const std::string script = std::string(KEEL_SOURCE_DIR) + "/keel/table/testdata/pandas_dump.py";
  testing::CommandOptions run;
  run.timeout_seconds = 240;
  const auto result =
      testing::RunCommand({kPython, script, csv, json, "--parse-dates", "ts,ts_utc"}, run);
  ASSERT_EQ(result.exit_code, 0) << result.err;
  auto reference = ReadFile(json);
  ASSERT_TRUE(reference.ok()) << reference.status();
  const nlohmann::json parsed = nlohmann::json::parse(*reference);

  // Once on one thread, once in many small parallel chunks.
  for (int threads : {1, 4}) {
    CsvReadOptions options;
    options.num_threads = threads;
    if (threads > 1) options.block_size_bytes = 4096;
    auto table = ReadCsv(csv, options);
    ASSERT_TRUE(table.ok()) << table.status();
    EXPECT_EQ(table->schema().ToString(),
              "id: int64, amount: float64, qty: int64, name: string, flag: bool, ts: timestamp, "
              "ts_utc: timestamp, score: float64");
    ExpectSameAsPandas(*table, parsed);
  }
}

TEST(CsvReaderPandasTest, GoldenFixtureMatchesPandas) {
  if (!HavePandas()) GTEST_SKIP() << "python3-pandas is not installed";
  testing::TempDir dir;
  const std::string csv = std::string(KEEL_SOURCE_DIR) + "/keel/table/testdata/pandas_types.csv";
  const std::string json = dir.path() + "/pandas.json";
  const std::string script = std::string(KEEL_SOURCE_DIR) + "/keel/table/testdata/pandas_dump.py";
  const auto result = testing::RunCommand({kPython, script, csv, json, "--parse-dates", "day"});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  auto table = ReadCsv(csv);
  ASSERT_TRUE(table.ok()) << table.status();
  ExpectSameAsPandas(*table, nlohmann::json::parse(*ReadFile(json)));
}

}  // namespace
}  // namespace keel
