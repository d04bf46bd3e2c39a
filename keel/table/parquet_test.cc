#include <cmath>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <random>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "keel/base/files.h"
#include "keel/base/testing/subprocess.h"
#include "keel/base/testing/temp_dir.h"
#include "keel/table/parquet_format.h"
#include "keel/table/parquet_reader.h"
#include "keel/table/parquet_writer.h"
#include "nlohmann/json.hpp"

namespace keel {
namespace {

using nlohmann::json;

// A table of every type with nulls, empty strings, repeats (for
// dictionaries) and extreme values; `rows` rows.
Table SampleTable(int64_t rows, bool nullable = true) {
  ColumnBuilder b(DataType::kBool), n(DataType::kInt64), x(DataType::kFloat64),
      s(DataType::kString), ts(DataType::kTimestamp);
  for (int64_t i = 0; i < rows; ++i) {
    const bool null = nullable && i % 7 == 3;
    null ? b.AppendNull() : b.AppendBool(i % 3 == 0);
    null ? n.AppendNull()
         : n.AppendInt64(i == 1   ? INT64_MIN
                         : i == 2 ? INT64_MAX
                                  : (i % 11) * 1'000'000'007 - 5);
    null ? x.AppendNull() : x.AppendFloat64(i % 5 == 0 ? -0.0 : i / 3.0);
    null         ? s.AppendNull()
    : i % 4 == 1 ? s.AppendString("")
                 : s.AppendString("value_" + std::to_string(i % 13) + (i % 2 ? "_é" : ""));
    null ? ts.AppendNull()
         : ts.AppendTimestamp(1'700'000'000'000'000 + i * 1'234'567 - 86'400'000'000);
  }
  std::vector<Column> columns = {b.Finish(), n.Finish(), x.Finish(), s.Finish(), ts.Finish()};
  std::vector<Field> fields = {{"b", DataType::kBool, nullable},
                               {"n", DataType::kInt64, nullable},
                               {"x", DataType::kFloat64, nullable},
                               {"s", DataType::kString, nullable},
                               {"ts", DataType::kTimestamp, nullable}};
  return *Table::Make(*Schema::Make(fields), columns);
}

void ExpectRoundTrip(const Table& table, const ParquetWriteOptions& options) {
  auto bytes = EncodeParquet(table, options);
  ASSERT_TRUE(bytes.ok()) << bytes.status();
  auto back = DecodeParquet(*bytes, "test.parquet", {.threads = 2});
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_TRUE(back->Equals(table)) << "wrote:\n"
                                   << table.ToString() << "\nread:\n"
                                   << back->ToString();
}

TEST(ParquetTest, RoundTripEveryCodecWithAndWithoutDictionary) {
  Table table = SampleTable(500);
  for (auto codec :
       {ParquetCompression::kNone, ParquetCompression::kSnappy, ParquetCompression::kZstd}) {
    for (bool dictionary : {false, true}) {
      SCOPED_TRACE(::testing::Message()
                   << "codec " << static_cast<int>(codec) << " dictionary " << dictionary);
      ExpectRoundTrip(table, {.compression = codec, .dictionary = dictionary});
    }
  }
}

TEST(ParquetTest, RoundTripManyRowGroupsAndPages) {
  Table table = SampleTable(10'000);
  ExpectRoundTrip(table, {.dictionary = false, .row_group_rows = 3'000, .page_size = 1'000});
  ExpectRoundTrip(table, {.dictionary = true, .row_group_rows = 3'000, .page_size = 100});
  // A dictionary too big for its limit falls back to PLAIN.
  ExpectRoundTrip(table, {.dictionary = true, .dictionary_max_bytes = 64, .page_size = 500});
}

TEST(ParquetTest, RoundTripRequiredColumnsAndEmptyTables) {
  ExpectRoundTrip(SampleTable(100, /*nullable=*/false), {});
  ExpectRoundTrip(SampleTable(0), {});
  ExpectRoundTrip(SampleTable(1), {.dictionary = false});
  ExpectRoundTrip(Table(), {});
}

TEST(ParquetTest, AllNullColumnsRoundTrip) {
  ColumnBuilder s(DataType::kString), n(DataType::kInt64);
  for (int i = 0; i < 20; ++i) s.AppendNull(), n.AppendNull();
  Table table = *Table::Make({"s", "n"}, {s.Finish(), n.Finish()});
  ExpectRoundTrip(table, {.dictionary = true});
  ExpectRoundTrip(table, {.dictionary = false});
}

TEST(ParquetTest, WriteAndReadFileWithColumnSubset) {
  testing::TempDir dir;
  const std::string path = dir.path() + "/t.parquet";
  Table table = SampleTable(100);
  ASSERT_TRUE(WriteParquet(table, path).ok());
  auto back = ReadParquet(path, {.columns = {"ts", "b"}});
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_TRUE(back->Equals(*table.SelectColumns({"ts", "b"})));
  auto unknown = ReadParquet(path, {.columns = {"tss"}});
  EXPECT_EQ(unknown.status().code(), absl::StatusCode::kNotFound);
  EXPECT_NE(unknown.status().message().find("ts"), absl::string_view::npos) << unknown.status();
}

TEST(ParquetTest, RandomBytesAreNotAParquetFile) {
  std::mt19937 rng(42);
  std::string bytes(1000, '\0');
  for (char& c : bytes) c = static_cast<char>(rng());
  auto result = DecodeParquet(bytes, "random.bin");
  EXPECT_EQ(result.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(result.status().message().find("random.bin: not a Parquet file"),
            absl::string_view::npos)
      << result.status();
  // With both magics but garbage between: an error, never a crash.
  for (int trial = 0; trial < 200; ++trial) {
    std::string file = *EncodeParquet(SampleTable(50));
    for (int k = 0; k < 5; ++k) file[4 + rng() % (file.size() - 12)] = static_cast<char>(rng());
    (void)DecodeParquet(file, "corrupt.parquet");
  }
}

TEST(ParquetTest, TruncatedFileIsDataLossNamingTheFile) {
  std::string file = *EncodeParquet(SampleTable(200));
  for (size_t size : {file.size() - 1, file.size() / 2, size_t{10}}) {
    auto result = DecodeParquet(std::string_view(file).substr(0, size), "cut.parquet");
    EXPECT_EQ(result.status().code(), absl::StatusCode::kDataLoss) << result.status();
    EXPECT_NE(result.status().message().find("cut.parquet"), absl::string_view::npos);
  }
  // Footer intact, a column chunk's bytes damaged: still DataLoss.
  std::string damaged = file;
  damaged.replace(4, 200, 200, '\xff');
  auto result = DecodeParquet(damaged, "damaged.parquet");
  EXPECT_FALSE(result.ok());
}

TEST(ParquetTest, UnknownCodecIsUnimplementedNamingFileColumnAndCodec) {
  std::string file = *EncodeParquet(SampleTable(10), {.compression = ParquetCompression::kNone});
  uint32_t footer_size;
  std::memcpy(&footer_size, file.data() + file.size() - 8, 4);
  const size_t footer_start = file.size() - 8 - footer_size;
  auto metadata =
      parquet::ParseFileMetaData(std::string_view(file).substr(footer_start, footer_size));
  ASSERT_TRUE(metadata.ok()) << metadata.status();
  for (auto& group : metadata->row_groups) {
    for (auto& chunk : group.columns)
      chunk.meta_data->codec = static_cast<int32_t>(parquet::Codec::kGzip);
  }
  std::string patched = file.substr(0, footer_start) + parquet::SerializeFileMetaData(*metadata);
  const uint32_t new_size = static_cast<uint32_t>(patched.size() - footer_start);
  patched.append(reinterpret_cast<const char*>(&new_size), 4).append("PAR1");
  auto result = DecodeParquet(patched, "gzip.parquet");
  EXPECT_EQ(result.status().code(), absl::StatusCode::kUnimplemented) << result.status();
  EXPECT_NE(result.status().message().find("gzip.parquet: column 'b'"), absl::string_view::npos)
      << result.status();
  EXPECT_NE(result.status().message().find("GZIP"), absl::string_view::npos) << result.status();
}

TEST(ParquetTest, MissingFileIsNotFound) {
  EXPECT_EQ(ReadParquet("/nonexistent/x.parquet").status().code(), absl::StatusCode::kNotFound);
}

// --- Cross-checks with real peers (npm packages in KEEL_SOURCE_DIR). ---

// Runs testdata/<script> with `args`; the JSON dump it prints.
json RunPeer(const std::string& script, const std::string& package,
             const std::vector<std::string>& args) {
  const std::string source = KEEL_SOURCE_DIR;
  if (!std::filesystem::exists(source + "/node_modules/" + package)) {
    ADD_FAILURE() << "npm package " << package << " is missing from " << source
                  << "/node_modules: run `make deps` to install it";
    return json();
  }
  std::vector<std::string> argv = {"node", source + "/keel/table/testdata/" + script};
  argv.insert(argv.end(), args.begin(), args.end());
  testing::CommandResult result =
      testing::RunCommand(argv, {.cwd = source, .timeout_seconds = 120});
  if (result.exit_code != 0) {
    ADD_FAILURE() << script << " failed (" << result.exit_code << "): " << result.err;
    return json();
  }
  if (result.out.empty()) return json();
  return json::parse(result.out);
}

// Expects `table` to hold exactly the values of a peer's dump.
void ExpectTableMatchesDump(const Table& table, const json& dump) {
  ASSERT_TRUE(dump.is_object());
  ASSERT_EQ(dump["names"].get<std::vector<std::string>>(), table.schema().names());
  const json& rows = dump["rows"];
  ASSERT_EQ(static_cast<int64_t>(rows.size()), table.num_rows());
  int failures = 0;
  for (int c = 0; c < table.num_columns(); ++c) {
    const Column& column = table.column(c);
    for (int64_t r = 0; r < table.num_rows() && failures < 10; ++r) {
      const json& cell = rows[r][c];
      std::string where = table.schema().field(c).name + " row " + std::to_string(r);
      if (cell.is_null() || column.IsNull(r)) {
        EXPECT_TRUE(cell.is_null() && column.IsNull(r))
            << where << ": " << cell << " vs " << column.ValueToString(r);
        failures += !(cell.is_null() && column.IsNull(r));
        continue;
      }
      const std::string text = cell.get<std::string>();
      bool equal = false;
      switch (column.type()) {
        case DataType::kBool:
          equal = text == (column.BoolValues()[r] ? "true" : "false");
          break;
        case DataType::kInt64:
          equal = text == std::to_string(column.Int64Values()[r]);
          break;
        case DataType::kTimestamp:
          equal = text == std::to_string(column.TimestampValues()[r]);
          break;
        case DataType::kFloat64: {
          double v = std::strtod(text.c_str(), nullptr), mine = column.Float64Values()[r];
          equal = v == mine || (std::isnan(v) && std::isnan(mine));
          break;
        }
        case DataType::kString:
          equal = text == column.StringAt(r);
          break;
      }
      EXPECT_TRUE(equal) << where << ": peer " << text << ", Keel " << column.ValueToString(r);
      failures += !equal;
    }
  }
}

TEST(ParquetTest, DuckDbReadsKeelFiles) {
  testing::TempDir dir;
  Table table = SampleTable(5'000);
  int k = 0;
  for (auto codec :
       {ParquetCompression::kNone, ParquetCompression::kSnappy, ParquetCompression::kZstd}) {
    for (bool dictionary : {false, true}) {
      const std::string path = dir.path() + "/keel" + std::to_string(k++) + ".parquet";
      ASSERT_TRUE(WriteParquet(table, path,
                               {.compression = codec,
                                .dictionary = dictionary,
                                .row_group_rows = 2'000,
                                .page_size = 4'096})
                      .ok());
      json dump = RunPeer("parquet_duckdb.mjs", "@duckdb/node-api", {"read", path});
      ExpectTableMatchesDump(table, dump);
      if (dump.is_object()) {
        EXPECT_EQ(dump["types"].get<std::vector<std::string>>(),
                  (std::vector<std::string>{"BOOLEAN", "BIGINT", "DOUBLE", "VARCHAR",
                                            "TIMESTAMP WITH TIME ZONE"}));
      }
    }
  }
}

TEST(ParquetTest, DuckDbAndPolarsReadKeelEmptyTable) {
  testing::TempDir dir;
  const std::string path = dir.path() + "/empty.parquet";
  Table table = SampleTable(0);
  ASSERT_TRUE(WriteParquet(table, path).ok());
  ExpectTableMatchesDump(table, RunPeer("parquet_duckdb.mjs", "@duckdb/node-api", {"read", path}));
  ExpectTableMatchesDump(table, RunPeer("parquet_polars.mjs", "nodejs-polars", {"read", path}));
}

TEST(ParquetTest, KeelReadsDuckDbFiles) {
  testing::TempDir dir;
  for (std::string codec : {"uncompressed", "snappy", "zstd"}) {
    const std::string path = dir.path() + "/duckdb_" + codec + ".parquet";
    json dump = RunPeer("parquet_duckdb.mjs", "@duckdb/node-api", {"write", path, codec});
    auto table = ReadParquet(path);
    ASSERT_TRUE(table.ok()) << table.status();
    EXPECT_EQ(table->schema().ToString(),
              "id: int64, b: bool, n: int64, x: float64, s: string, ts: timestamp, i32: int64, "
              "f32: float64, d: timestamp");
    ExpectTableMatchesDump(*table, dump);
  }
}

// Format v2: data pages v2, DELTA_BINARY_PACKED integers, BYTE_STREAM_SPLIT
// floats, RLE_DICTIONARY strings.
TEST(ParquetTest, KeelReadsDuckDbV2Files) {
  testing::TempDir dir;
  for (std::string codec : {"uncompressed", "zstd"}) {
    const std::string path = dir.path() + "/duckdb_v2_" + codec + ".parquet";
    json dump = RunPeer("parquet_duckdb.mjs", "@duckdb/node-api", {"write", path, codec, "V2"});
    auto table = ReadParquet(path);
    ASSERT_TRUE(table.ok()) << table.status();
    ExpectTableMatchesDump(*table, dump);
  }
}

TEST(ParquetTest, NestedColumnIsUnimplementedNamingIt) {
  testing::TempDir dir;
  const std::string path = dir.path() + "/nested.parquet";
  RunPeer("parquet_duckdb.mjs", "@duckdb/node-api", {"nested", path});
  auto table = ReadParquet(path);
  EXPECT_EQ(table.status().code(), absl::StatusCode::kUnimplemented) << table.status();
  EXPECT_NE(table.status().message().find("column 'point' is nested"), absl::string_view::npos)
      << table.status();
  EXPECT_NE(table.status().message().find(path), absl::string_view::npos);
  // The flat column beside it can still be read.
  auto id = ReadParquet(path, {.columns = {"id"}});
  ASSERT_TRUE(id.ok()) << id.status();
  EXPECT_EQ(id->column(0).Int64Values()[0], 1);
}

TEST(ParquetTest, PolarsReadsKeelFiles) {
  testing::TempDir dir;
  Table table = SampleTable(5'000);
  int k = 0;
  for (auto codec :
       {ParquetCompression::kNone, ParquetCompression::kSnappy, ParquetCompression::kZstd}) {
    for (bool dictionary : {false, true}) {
      const std::string path = dir.path() + "/keel" + std::to_string(k++) + ".parquet";
      ASSERT_TRUE(WriteParquet(table, path,
                               {.compression = codec,
                                .dictionary = dictionary,
                                .row_group_rows = 2'000,
                                .page_size = 4'096})
                      .ok());
      ExpectTableMatchesDump(table, RunPeer("parquet_polars.mjs", "nodejs-polars", {"read", path}));
    }
  }
}

TEST(ParquetTest, KeelReadsPolarsFiles) {
  testing::TempDir dir;
  for (std::string codec : {"uncompressed", "snappy", "zstd"}) {
    const std::string path = dir.path() + "/polars_" + codec + ".parquet";
    json dump = RunPeer("parquet_polars.mjs", "nodejs-polars", {"write", path, codec});
    auto table = ReadParquet(path);
    ASSERT_TRUE(table.ok()) << table.status();
    EXPECT_EQ(table->schema().ToString(),
              "id: int64, b: bool, n: int64, x: float64, s: string, ts: timestamp");
    ExpectTableMatchesDump(*table, dump);
  }
}

}  // namespace
}  // namespace keel
