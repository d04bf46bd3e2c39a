#include "keel/table/native_file.h"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <fstream>
#include <limits>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "keel/base/files.h"
#include "keel/base/testing/temp_dir.h"
#include "keel/datagen/fraud_data.h"
#include "keel/storage/forwarding_store.h"
#include "keel/storage/object_store.h"
#include "keel/table/csv_reader.h"

namespace keel {
namespace {

using ::keel::testing::TempDir;

// A table of every type with nulls, NaN, infinities, empty and non-ASCII
// strings; `rows` rows from a fixed seed.
Table MixedTable(int64_t rows, uint64_t seed = 7) {
  std::mt19937_64 rng(seed);
  auto pick = [&](int n) { return static_cast<int>(rng() % n); };
  ColumnBuilder b(DataType::kBool), i(DataType::kInt64), f(DataType::kFloat64),
      s(DataType::kString), t(DataType::kTimestamp), id(DataType::kInt64);
  const std::vector<std::string> words = {"", "a", "zebra", "Zoë", "ünïcode ✓", "x,y\n\"q\""};
  for (int64_t r = 0; r < rows; ++r) {
    pick(5) == 0 ? b.AppendNull() : b.AppendBool(pick(2) == 1);
    pick(7) == 0 ? i.AppendNull() : i.AppendInt64(static_cast<int64_t>(rng()) >> pick(60));
    switch (pick(9)) {
      case 0:
        f.AppendNull();
        break;
      case 1:
        f.AppendFloat64(std::nan(""));
        break;
      case 2:
        f.AppendFloat64(pick(2) ? std::numeric_limits<double>::infinity() : -0.0);
        break;
      default:
        f.AppendFloat64((static_cast<double>(rng() % 2000001) - 1e6) / 100.0);
    }
    pick(6) == 0 ? s.AppendNull() : s.AppendString(words[pick(static_cast<int>(words.size()))]);
    pick(4) == 0 ? t.AppendNull()
                 : t.AppendTimestamp(1'704'067'200'000'000 +
                                     static_cast<int64_t>(rng() % 1'000'000'000'000));
    id.AppendInt64(r);
  }
  auto schema = Schema::Make({{"flag", DataType::kBool},
                              {"count", DataType::kInt64},
                              {"amount", DataType::kFloat64},
                              {"word", DataType::kString},
                              {"at", DataType::kTimestamp},
                              {"id", DataType::kInt64, /*nullable=*/false}});
  auto table = Table::Make(
      *schema, {b.Finish(), i.Finish(), f.Finish(), s.Finish(), t.Finish(), id.Finish()});
  EXPECT_TRUE(table.ok()) << table.status();
  return *table;
}

std::string WriteTemp(const TempDir& dir, const Table& table,
                      const NativeWriteOptions& options = {}, const std::string& name = "t.kcol") {
  const std::string path = dir.path() + "/" + name;
  Status status = WriteNativeFile(table, path, options);
  EXPECT_TRUE(status.ok()) << status;
  return path;
}

Table ReadBack(const std::string& path, int threads = 0) {
  auto reader = NativeFileReader::Open(path);
  EXPECT_TRUE(reader.ok()) << reader.status();
  auto table = (*reader)->ReadAll(threads);
  EXPECT_TRUE(table.ok()) << table.status();
  return *table;
}

void ExpectSameTable(const Table& actual, const Table& expected) {
  EXPECT_EQ(actual.schema(), expected.schema());
  EXPECT_TRUE(actual.Equals(expected)) << "got:\n"
                                       << actual.ToString() << "\nwant:\n"
                                       << expected.ToString();
}

TEST(NativeFileTest, RoundTripsEveryTypeWithNulls) {
  TempDir dir;
  const Table table = MixedTable(1000);
  const std::string path = WriteTemp(dir, table);
  auto reader = NativeFileReader::Open(path);
  ASSERT_TRUE(reader.ok()) << reader.status();
  EXPECT_EQ((*reader)->num_rows(), 1000);
  EXPECT_EQ((*reader)->schema(), table.schema());
  EXPECT_FALSE((*reader)->schema().field(5).nullable);
  auto read = (*reader)->ReadAll();
  ASSERT_TRUE(read.ok()) << read.status();
  ExpectSameTable(*read, table);
  // Bit-exact floats: -0.0 and infinities survive.
  for (int64_t r = 0; r < table.num_rows(); ++r) {
    if (table.column(2).IsNull(r)) continue;
    const double want = table.column(2).Float64Values()[r];
    const double got = read->column(2).Float64Values()[r];
    if (!std::isnan(want)) {
      EXPECT_EQ(std::signbit(got), std::signbit(want));
    }
  }
  // A column without nulls gets no validity bitmap.
  EXPECT_EQ(read->column(5).validity_bitmap(), nullptr);
}

TEST(NativeFileTest, EmptyStringsAndAllNullColumns) {
  ColumnBuilder empty(DataType::kString), nulls(DataType::kFloat64);
  for (int i = 0; i < 50; ++i) {
    empty.AppendString("");
    nulls.AppendNull();
  }
  auto table = Table::Make({"empty", "nulls"}, {empty.Finish(), nulls.Finish()});
  ASSERT_TRUE(table.ok());
  TempDir dir;
  const std::string path = WriteTemp(dir, *table, {.row_group_rows = 16});
  ExpectSameTable(ReadBack(path), *table);
  auto reader = NativeFileReader::Open(path);
  ASSERT_TRUE(reader.ok());
  const ColumnStatistics& s = (*reader)->statistics()[1];
  EXPECT_EQ(s.null_count, 50);
  EXPECT_EQ(s.value_count, 0);
  EXPECT_FALSE(s.min_double.has_value());
  EXPECT_EQ((*reader)->statistics()[0].min_string, "");
  EXPECT_EQ((*reader)->statistics()[0].max_string, "");
}

TEST(NativeFileTest, EmptyTableKeepsItsSchema) {
  TempDir dir;
  const Table empty = MixedTable(0);
  ASSERT_EQ(empty.num_rows(), 0);
  const Table read = ReadBack(WriteTemp(dir, empty));
  ExpectSameTable(read, empty);
  EXPECT_EQ(read.num_columns(), 6);
}

// Zero columns is a valid (zero-row) table, as Table() is.
TEST(NativeFileTest, ZeroColumns) {
  TempDir dir;
  const Table read = ReadBack(WriteTemp(dir, Table()));
  EXPECT_EQ(read.num_columns(), 0);
  EXPECT_EQ(read.num_rows(), 0);
}

TEST(NativeFileTest, ManyRowGroups) {
  TempDir dir;
  const Table table = MixedTable(2000);
  for (int64_t group : {1, 7, 8, 999, 2000, 5000}) {
    SCOPED_TRACE(group);
    const std::string path = WriteTemp(dir, table, {.row_group_rows = group});
    ExpectSameTable(ReadBack(path, 1), table);
    ExpectSameTable(ReadBack(path, 4), table);
    auto reader = NativeFileReader::Open(path);
    ASSERT_TRUE(reader.ok());
    auto some = (*reader)->ReadColumns({"word", "flag"}, 3);
    ASSERT_TRUE(some.ok()) << some.status();
    ExpectSameTable(*some, *table.SelectColumns({"word", "flag"}));
  }
}

TEST(NativeFileTest, SlicedTableWritesOnlyItsRows) {
  TempDir dir;
  const Table table = MixedTable(300);
  const Table slice = table.Slice(13, 200);
  const std::string path = WriteTemp(dir, slice, {.row_group_rows = 64});
  ExpectSameTable(ReadBack(path), slice);
  // Same bytes as the same rows built fresh (offset 0, own buffers).
  const Table fresh = ReadBack(path);
  auto a = EncodeNativeFile(slice, {.row_group_rows = 64});
  auto b = EncodeNativeFile(fresh, {.row_group_rows = 64});
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(*a, *b);
}

TEST(NativeFileTest, ValuesUnderNullsDoNotChangeTheBytes) {
  ColumnBuilder x(DataType::kInt64), y(DataType::kInt64);
  x.AppendInt64(1);
  y.AppendInt64(1);
  x.AppendNull();
  y.AppendNull();
  auto a = Table::Make({"v"}, {x.Finish()});
  // A column whose null slot holds 99 instead of what the builder put there.
  auto values = Buffer::Allocate(16);
  values->mutable_data_as<int64_t>()[0] = 1;
  values->mutable_data_as<int64_t>()[1] = 99;
  auto validity = Buffer::AllocateZeroed(1);
  bits::Set(validity->mutable_data(), 0);
  auto column = Column::FromBuffers(DataType::kInt64, 2, std::move(validity), std::move(values));
  ASSERT_TRUE(column.ok());
  auto b = Table::Make({"v"}, {*column});
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(*EncodeNativeFile(*a), *EncodeNativeFile(*b));
}

TEST(NativeFileTest, StatisticsMatchTheValues) {
  TempDir dir;
  Table table = MixedTable(3000);
  const std::string path = WriteTemp(dir, table, {.row_group_rows = 100});
  auto reader = NativeFileReader::Open(path);
  ASSERT_TRUE(reader.ok());
  const auto& stats = (*reader)->statistics();
  ASSERT_EQ(stats.size(), 6u);
  for (int c = 0; c < table.num_columns(); ++c) {
    SCOPED_TRACE(table.schema().field(c).name);
    const Column& col = table.column(c);
    int64_t nulls = 0;
    std::optional<int64_t> min_i, max_i;
    std::optional<double> min_d, max_d;
    std::optional<std::string> min_s, max_s;
    for (int64_t r = 0; r < col.length(); ++r) {
      if (col.IsNull(r)) {
        ++nulls;
        continue;
      }
      switch (col.type()) {
        case DataType::kBool:
        case DataType::kInt64:
        case DataType::kTimestamp: {
          const int64_t v = col.type() == DataType::kBool    ? col.BoolValues()[r]
                            : col.type() == DataType::kInt64 ? col.Int64Values()[r]
                                                             : col.TimestampValues()[r];
          min_i = min_i ? std::min(*min_i, v) : v;
          max_i = max_i ? std::max(*max_i, v) : v;
          break;
        }
        case DataType::kFloat64: {
          const double v = col.Float64Values()[r];
          if (std::isnan(v)) break;
          min_d = min_d ? std::min(*min_d, v) : v;
          max_d = max_d ? std::max(*max_d, v) : v;
          break;
        }
        case DataType::kString: {
          const std::string v(col.StringAt(r));
          min_s = min_s ? std::min(*min_s, v) : v;
          max_s = max_s ? std::max(*max_s, v) : v;
          break;
        }
      }
    }
    EXPECT_EQ(stats[c].null_count, nulls);
    EXPECT_EQ(stats[c].value_count, col.length() - nulls);
    EXPECT_EQ(stats[c].min_int, min_i);
    EXPECT_EQ(stats[c].max_int, max_i);
    EXPECT_EQ(stats[c].min_double, min_d);
    EXPECT_EQ(stats[c].max_double, max_d);
    EXPECT_EQ(stats[c].min_string, min_s);
    EXPECT_EQ(stats[c].max_string, max_s);
  }
  EXPECT_EQ(stats[0].min_int, 0);
  EXPECT_EQ(stats[0].max_int, 1);
  EXPECT_EQ(stats[2].max_double, std::numeric_limits<double>::infinity());
}

TEST(NativeFileTest, LongStringStatisticsAreTruncatedBounds) {
  ColumnBuilder s(DataType::kString);
  const std::string low(100, 'a');
  const std::string high = std::string(63, 'y') + "z" + "tail";
  const std::string high_ff = std::string(62, 'q') + "\xff\xff" + "more";
  s.AppendString(low);
  s.AppendString(high);
  auto table = Table::Make({"s"}, {s.Finish()});
  ASSERT_TRUE(table.ok());
  TempDir dir;
  auto reader = NativeFileReader::Open(WriteTemp(dir, *table));
  ASSERT_TRUE(reader.ok());
  const ColumnStatistics& st = (*reader)->statistics()[0];
  EXPECT_EQ(st.min_string, std::string(64, 'a'));        // a prefix: still a lower bound
  EXPECT_EQ(st.max_string, std::string(63, 'y') + "{");  // rounded up: still an upper bound
  EXPECT_GE(*st.max_string, high);

  ColumnBuilder f(DataType::kString);
  f.AppendString(high_ff);
  auto ff = Table::Make({"s"}, {f.Finish()});
  auto ff_reader = NativeFileReader::Open(WriteTemp(dir, *ff, {}, "ff.kcol"));
  ASSERT_TRUE(ff_reader.ok());
  EXPECT_EQ((*ff_reader)->statistics()[0].max_string, std::string(61, 'q') + "r");
}

TEST(NativeFileTest, SameTableGivesSameBytes) {
  const Table table = MixedTable(5000);
  auto one = EncodeNativeFile(table, {.row_group_rows = 300, .num_threads = 1});
  auto again = EncodeNativeFile(table, {.row_group_rows = 300, .num_threads = 1});
  auto four = EncodeNativeFile(table, {.row_group_rows = 300, .num_threads = 4});
  ASSERT_TRUE(one.ok() && again.ok() && four.ok());
  EXPECT_EQ(*one, *again);
  EXPECT_EQ(*one, *four);
  TempDir dir;
  auto file = ReadFile(WriteTemp(dir, table, {.row_group_rows = 300}));
  ASSERT_TRUE(file.ok());
  EXPECT_EQ(*file, *one);
}

TEST(NativeFileTest, RejectsBadOptions) {
  const Table table = MixedTable(10);
  EXPECT_EQ(EncodeNativeFile(table, {.row_group_rows = -1}).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(EncodeNativeFile(table, {.zstd_level = 1000}).status().code(),
            absl::StatusCode::kInvalidArgument);
}

// Forwards to a real store and counts what GetRange fetches.
class CountingStore : public ForwardingObjectStore {
 public:
  explicit CountingStore(std::unique_ptr<ObjectStore> inner)
      : ForwardingObjectStore(std::move(inner)) {}
  std::atomic<int64_t> range_bytes{0};
  std::atomic<int64_t> range_calls{0};
  void Reset() {
    range_bytes = 0;
    range_calls = 0;
  }

 protected:
  StatusOr<std::string> GetRangeImpl(const std::string& key, int64_t offset,
                                     int64_t length) override {
    auto bytes = ForwardingObjectStore::GetRangeImpl(key, offset, length);
    if (bytes.ok()) {
      range_bytes += static_cast<int64_t>(bytes->size());
      ++range_calls;
    }
    return bytes;
  }
};

// Small columns "a" and "c" around a large, incompressible "big".
Table SmallBigSmall(int64_t rows) {
  std::mt19937_64 rng(3);
  ColumnBuilder a(DataType::kInt64), big(DataType::kInt64), c(DataType::kString);
  for (int64_t r = 0; r < rows; ++r) {
    a.AppendInt64(r % 3);
    big.AppendInt64(static_cast<int64_t>(rng()));
    c.AppendString(r % 2 ? "odd" : "even");
  }
  return *Table::Make({"a", "big", "c"}, {a.Finish(), big.Finish(), c.Finish()});
}

TEST(NativeFileTest, ReadColumnsFetchesOnlyTheirChunks) {
  TempDir dir;
  auto inner = ObjectStoreRegistry::Builtins().Open("file://" + dir.path(), {});
  ASSERT_TRUE(inner.ok()) << inner.status();
  CountingStore store(*std::move(inner));
  const Table table = SmallBigSmall(100'000);
  auto bytes = EncodeNativeFile(table, {.row_group_rows = 10'000});
  ASSERT_TRUE(bytes.ok());
  ASSERT_TRUE(store.Put("data/t.kcol", *bytes).ok());

  auto reader = NativeFileReader::Open(&store, "data/t.kcol");
  ASSERT_TRUE(reader.ok()) << reader.status();
  auto bytes_for = [&](const std::vector<std::string>& names, int64_t* calls) {
    store.Reset();
    auto read = (*reader)->ReadColumns(names, 2);
    EXPECT_TRUE(read.ok()) << read.status();
    if (read.ok()) ExpectSameTable(*read, *table.SelectColumns(names));
    *calls = store.range_calls;
    return store.range_bytes.load();
  };
  int64_t calls = 0;
  const int64_t a = bytes_for({"a"}, &calls);
  EXPECT_EQ(calls, 1);  // ten adjacent chunks, one request
  const int64_t big = bytes_for({"big"}, &calls);
  const int64_t c = bytes_for({"c"}, &calls);
  const int64_t c_a = bytes_for({"c", "a"}, &calls);
  EXPECT_EQ(calls, 2);
  EXPECT_EQ(c_a, c + a);
  store.Reset();
  auto all = (*reader)->ReadAll();
  ASSERT_TRUE(all.ok());
  ExpectSameTable(*all, table);
  EXPECT_EQ(store.range_bytes, a + big + c);
  EXPECT_EQ(store.range_calls, 1);
  EXPECT_GT(big, 700'000);   // 800 kB of random int64s
  EXPECT_LT(a + c, 10'000);  // compress to almost nothing
  EXPECT_EQ((*reader)->ReadColumns({"a", "c"}).value().schema().names(),
            (std::vector<std::string>{"a", "c"}));
}

TEST(NativeFileTest, ReadColumnsIgnoresCorruptOtherColumns) {
  TempDir dir;
  const Table table = SmallBigSmall(100'000);
  auto bytes = EncodeNativeFile(table);
  ASSERT_TRUE(bytes.ok());
  std::string corrupt = *bytes;
  corrupt[corrupt.size() / 2] ^= 0x40;  // inside "big", most of the file
  const std::string path = dir.path() + "/corrupt.kcol";
  ASSERT_TRUE(WriteFileAtomic(path, corrupt).ok());
  auto reader = NativeFileReader::Open(path);
  ASSERT_TRUE(reader.ok()) << reader.status();
  auto some = (*reader)->ReadColumns({"c", "a"});
  ASSERT_TRUE(some.ok()) << some.status();
  ExpectSameTable(*some, *table.SelectColumns({"c", "a"}));
  auto all = (*reader)->ReadAll();
  EXPECT_EQ(all.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_NE(all.status().message().find("column 'big'"), absl::string_view::npos) << all.status();
  EXPECT_NE(all.status().message().find("checksum"), absl::string_view::npos) << all.status();
  EXPECT_NE(all.status().message().find(path), absl::string_view::npos) << all.status();
}

TEST(NativeFileTest, UnknownColumnSuggests) {
  TempDir dir;
  auto reader = NativeFileReader::Open(WriteTemp(dir, MixedTable(10)));
  ASSERT_TRUE(reader.ok());
  auto read = (*reader)->ReadColumns({"amont"});
  EXPECT_EQ(read.status().code(), absl::StatusCode::kNotFound);
  EXPECT_NE(read.status().message().find("amount"), absl::string_view::npos) << read.status();
  EXPECT_EQ((*reader)->ReadColumns({"id", "id"}).status().code(),
            absl::StatusCode::kInvalidArgument);
}

Status OpenAndReadBytes(const TempDir& dir, const std::string& bytes) {
  const std::string path = dir.path() + "/bad.kcol";
  KEEL_RETURN_IF_ERROR(WriteFileAtomic(path, bytes));
  KEEL_ASSIGN_OR_RETURN(auto reader, NativeFileReader::Open(path));
  return (*reader).ReadAll().status();
}

TEST(NativeFileTest, CorruptFilesAreDataLoss) {
  TempDir dir;
  auto good = EncodeNativeFile(MixedTable(500), {.row_group_rows = 100});
  ASSERT_TRUE(good.ok());
  ASSERT_TRUE(OpenAndReadBytes(dir, *good).ok());
  const std::string path = dir.path() + "/bad.kcol";
  auto expect_data_loss = [&](const std::string& bytes, const std::string& what) {
    SCOPED_TRACE(what);
    Status status = OpenAndReadBytes(dir, bytes);
    EXPECT_EQ(status.code(), absl::StatusCode::kDataLoss) << status;
    EXPECT_NE(status.message().find(path), absl::string_view::npos) << status;
    return std::string(status.message());
  };
  // A byte of the first chunk (column "flag", row group 0), which starts
  // after the header's 64 bytes.
  std::string flipped = *good;
  flipped[66] ^= 0x01;
  EXPECT_NE(expect_data_loss(flipped, "chunk").find("column 'flag' row group 0"),
            std::string::npos);
  expect_data_loss(good->substr(0, good->size() - 1), "truncated by one byte");
  expect_data_loss(good->substr(0, good->size() / 2), "truncated by half");
  expect_data_loss(good->substr(0, 5), "five bytes");
  expect_data_loss("", "empty");
  std::string head = *good;
  head[0] = 'X';
  expect_data_loss(head, "magic at the start");
  std::string tail = *good;
  tail[tail.size() - 1] = 'X';
  expect_data_loss(tail, "magic at the end");
  std::string footer = *good;
  footer[footer.size() - 30] ^= 0x10;  // inside the footer
  EXPECT_NE(expect_data_loss(footer, "footer").find("footer"), std::string::npos);
  EXPECT_EQ(OpenAndReadBytes(dir, "not a native file at all, just some text").code(),
            absl::StatusCode::kDataLoss);
}

TEST(NativeFileTest, FutureVersionIsFailedPrecondition) {
  TempDir dir;
  auto bytes = EncodeNativeFile(MixedTable(20));
  ASSERT_TRUE(bytes.ok());
  std::string future = *bytes;
  future[4] = 3;                  // header version
  future[future.size() - 8] = 3;  // trailer version
  Status status = OpenAndReadBytes(dir, future);
  EXPECT_EQ(status.code(), absl::StatusCode::kFailedPrecondition) << status;
  EXPECT_NE(status.message().find("version 3"), absl::string_view::npos) << status;
}

// A version 1 file (zstd only, CRC-32 chunk checksums), written by keel
// before version 2, still reads.
TEST(NativeFileTest, ReadsFormatVersion1) {
  const std::string dir = std::string(KEEL_SOURCE_DIR) + "/keel/table/testdata/";
  auto expected = ReadCsv(dir + "format_v1.csv");
  ASSERT_TRUE(expected.ok()) << expected.status();
  const Table got = ReadBack(dir + "format_v1.kcol");
  ExpectSameTable(got, *expected);
  auto bytes = ReadFile(dir + "format_v1.kcol");
  ASSERT_TRUE(bytes.ok());
  EXPECT_EQ((*bytes)[4], 1) << "the fixture must stay a version 1 file";
}

NativeWriteOptions Plain(int64_t row_group_rows = 0) {
  return {.compression = NativeCompression::kNone, .row_group_rows = row_group_rows};
}

TEST(NativeFileTest, PlainRoundTripsEveryTypeWithNulls) {
  TempDir dir;
  const Table table = MixedTable(5000);
  for (int threads : {1, 0}) {
    ExpectSameTable(ReadBack(WriteTemp(dir, table, Plain()), threads), table);
  }
  // A slice: bitmaps not on a byte boundary, string offsets not from 0.
  const Table slice = table.Slice(13, 3001);
  ExpectSameTable(ReadBack(WriteTemp(dir, slice, Plain(), "slice.kcol")), slice);
  // Several plain chunks per column: read by copying (row groups not on a
  // byte boundary either).
  ExpectSameTable(ReadBack(WriteTemp(dir, table, Plain(333), "groups.kcol")), table);
  // Values under nulls do not change the bytes.
  auto a = EncodeNativeFile(table, Plain());
  auto b = EncodeNativeFile(ReadBack(WriteTemp(dir, table, Plain(77), "c.kcol")), Plain());
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(*a, *b);
  // Empty and all-null columns, and no rows at all.
  ExpectSameTable(ReadBack(WriteTemp(dir, table.Slice(0, 0), Plain(), "empty.kcol")),
                  table.Slice(0, 0));
}

// The address ranges /proc/self/maps lists for `path`.
std::vector<std::pair<uintptr_t, uintptr_t>> MappingsOf(const std::string& path) {
  std::vector<std::pair<uintptr_t, uintptr_t>> ranges;
  std::ifstream maps("/proc/self/maps");
  std::string line;
  while (std::getline(maps, line)) {
    if (line.size() < path.size() ||
        line.compare(line.size() - path.size(), path.size(), path) != 0) {
      continue;
    }
    ranges.emplace_back(std::stoull(line.substr(0, line.find('-')), nullptr, 16),
                        std::stoull(line.substr(line.find('-') + 1), nullptr, 16));
  }
  return ranges;
}

TEST(NativeFileTest, PlainColumnsAreViewsOfTheMappedFile) {
  TempDir dir;
  const Table table = MixedTable(3000);
  const std::string path = WriteTemp(dir, table, Plain());
  std::optional<Table> got;
  {
    auto reader = NativeFileReader::Open(path);
    ASSERT_TRUE(reader.ok());
    auto read = (*reader)->ReadAll();
    ASSERT_TRUE(read.ok()) << read.status();
    got = *std::move(read);
  }  // the reader is gone; the columns keep the mapping
  ExpectSameTable(*got, table);
  const auto mappings = MappingsOf(path);
  ASSERT_FALSE(mappings.empty());
  auto mapped = [&](const void* p) {
    const auto a = reinterpret_cast<uintptr_t>(p);
    return std::any_of(mappings.begin(), mappings.end(),
                       [&](const auto& m) { return a >= m.first && a < m.second; });
  };
  EXPECT_TRUE(mapped(got->column(1).Int64Values().data()));
  EXPECT_TRUE(mapped(got->column(3).StringData().data()));
  EXPECT_TRUE(mapped(got->column(3).StringOffsets().data()));
  EXPECT_EQ(reinterpret_cast<uintptr_t>(got->column(2).Float64Values().data()) % 64, 0u);
  // A zstd file is decompressed into memory of its own.
  const std::string packed = WriteTemp(dir, table, {}, "packed.kcol");
  const Table unpacked = ReadBack(packed);
  const auto packed_maps = MappingsOf(packed);
  for (const auto& [begin, end] : packed_maps) {
    const auto a = reinterpret_cast<uintptr_t>(unpacked.column(1).Int64Values().data());
    EXPECT_FALSE(a >= begin && a < end);
  }
  // Dropping the table unmaps the file.
  got.reset();
  EXPECT_TRUE(MappingsOf(path).empty());
}

TEST(NativeFileTest, PlainFilesReadFromAnObjectStore) {
  TempDir dir;
  const Table table = MixedTable(2000);
  // Through GetRange (a forwarding store has no local path to map).
  auto inner = ObjectStoreRegistry::Builtins().Open("file://" + dir.path(), {});
  ASSERT_TRUE(inner.ok()) << inner.status();
  CountingStore store(*std::move(inner));
  auto bytes = EncodeNativeFile(table, Plain());
  ASSERT_TRUE(bytes.ok());
  ASSERT_TRUE(store.Put("t.kcol", *bytes).ok());
  auto reader = NativeFileReader::Open(&store, "t.kcol");
  ASSERT_TRUE(reader.ok()) << reader.status();
  auto all = (*reader)->ReadAll();
  ASSERT_TRUE(all.ok()) << all.status();
  ExpectSameTable(*all, table);
  auto some = (*reader)->ReadColumns({"word", "id"});
  ASSERT_TRUE(some.ok()) << some.status();
  ExpectSameTable(*some, *table.SelectColumns({"word", "id"}));
  EXPECT_GT(store.range_calls, 0);
}

TEST(NativeFileTest, CorruptPlainFilesAreDataLoss) {
  TempDir dir;
  auto good = EncodeNativeFile(MixedTable(500), Plain());
  ASSERT_TRUE(good.ok());
  ASSERT_TRUE(OpenAndReadBytes(dir, *good).ok());
  std::string flipped = *good;
  flipped[64 + 70] ^= 0x01;  // inside the first column's chunk
  Status status = OpenAndReadBytes(dir, flipped);
  EXPECT_EQ(status.code(), absl::StatusCode::kDataLoss) << status;
  EXPECT_NE(status.message().find("column 'flag'"), absl::string_view::npos) << status;
  EXPECT_NE(status.message().find("checksum"), absl::string_view::npos) << status;
  EXPECT_EQ(OpenAndReadBytes(dir, good->substr(0, good->size() - 3)).code(),
            absl::StatusCode::kDataLoss);
}

TEST(NativeFileTest, MissingFileIsNotFound) {
  TempDir dir;
  auto reader = NativeFileReader::Open(dir.path() + "/nope.kcol");
  EXPECT_EQ(reader.status().code(), absl::StatusCode::kNotFound);
  EXPECT_NE(reader.status().message().find("nope.kcol"), absl::string_view::npos);
  auto store = ObjectStoreRegistry::Builtins().Open("file://" + dir.path(), {});
  ASSERT_TRUE(store.ok());
  auto from_store = NativeFileReader::Open(store->get(), "nope.kcol");
  EXPECT_EQ(from_store.status().code(), absl::StatusCode::kNotFound);
}

TEST(NativeFileTest, RoundTripsFraudCsv) {
  TempDir dir;
  datagen::FraudDataOptions options;
  options.rows = 20'000;
  auto summary = datagen::WriteFraudData(dir.path() + "/fraud", options, nullptr);
  ASSERT_TRUE(summary.ok()) << summary.status();
  auto csv = ReadCsv(dir.path() + "/fraud/transactions.csv");
  ASSERT_TRUE(csv.ok()) << csv.status();
  ASSERT_EQ(csv->num_rows(), 20'000);
  const std::string path = WriteTemp(dir, *csv, {.row_group_rows = 4096});
  ExpectSameTable(ReadBack(path), *csv);
  // Through an object store as well.
  auto store = ObjectStoreRegistry::Builtins().Open("file://" + dir.path(), {});
  ASSERT_TRUE(store.ok());
  auto reader = NativeFileReader::Open(store->get(), "t.kcol");
  ASSERT_TRUE(reader.ok()) << reader.status();
  auto two = (*reader)->ReadColumns({"is_fraud", "amount"});
  ASSERT_TRUE(two.ok()) << two.status();
  ExpectSameTable(*two, *csv->SelectColumns({"is_fraud", "amount"}));
  EXPECT_EQ((*reader)->statistics()[0].null_count, 0);
  EXPECT_LT(ReadFile(path)->size(), static_cast<size_t>(summary->transaction_bytes));
}

}  // namespace
}  // namespace keel
