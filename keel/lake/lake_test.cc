#include "keel/lake/lake.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "keel/base/files.h"
#include "keel/base/hash.h"
#include "keel/base/testing/temp_dir.h"
#include "keel/storage/forwarding_store.h"
#include "keel/storage/local_store.h"
#include "keel/table/csv_reader.h"
#include "keel/table/parquet_writer.h"

namespace keel {
namespace {

using ::testing::HasSubstr;

class LakeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(InitWorkspace(dir_.path() + "/ws", {.project = "t"}).ok());
    auto ws = Workspace::Open(dir_.path() + "/ws", {});
    ASSERT_TRUE(ws.ok()) << ws.status();
    workspace_ = std::make_unique<Workspace>(*std::move(ws));
    auto lake = Lake::Open(*workspace_);
    ASSERT_TRUE(lake.ok()) << lake.status();
    lake_ = *std::move(lake);
  }

  std::string Write(const std::string& name, const std::string& text) {
    const std::string path = dir_.path() + "/" + name;
    EXPECT_TRUE(WriteFileAtomic(path, text).ok());
    return path;
  }

  testing::TempDir dir_;
  std::unique_ptr<Workspace> workspace_;
  std::unique_ptr<Lake> lake_;
};

constexpr char kCsv[] = "id,amount,city\n1,2.5,Paris\n2,,Lyon\n3,7.25,\n";

TEST_F(LakeTest, IngestKeepsRawBytesAndTheParsedTable) {
  const std::string path = Write("txns.csv", kCsv);
  auto r = lake_->Ingest(path, "txns", {});
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_FALSE(r->unchanged);
  const DatasetVersionRecord& v = r->version;
  EXPECT_EQ(v.version.size(), 64u);
  EXPECT_EQ(v.row_count, 3);
  EXPECT_EQ(v.raw_sha256, Sha256Hex(kCsv));
  EXPECT_EQ(v.raw_size_bytes, static_cast<int64_t>(std::string(kCsv).size()));
  ASSERT_EQ(v.raw_keys.size(), 1u);
  EXPECT_EQ(v.raw_keys[0], "datasets/txns/" + v.version + "/raw/txns.csv");
  EXPECT_EQ(v.table_key, "datasets/txns/" + v.version + "/table.kcol");
  EXPECT_EQ(*lake_->store().Get(v.raw_keys[0]), kCsv);
  EXPECT_EQ(r->schema.ToString(), "id: int64, amount: float64, city: string");

  auto resolved = lake_->Resolve("txns");
  ASSERT_TRUE(resolved.ok()) << resolved.status();
  auto table = lake_->ReadTable(*resolved);
  ASSERT_TRUE(table.ok()) << table.status();
  EXPECT_TRUE(table->Equals(*ReadCsv(path))) << table->ToString();
  auto schema = SchemaFromJson(resolved->schema_json);
  ASSERT_TRUE(schema.ok());
  EXPECT_EQ(*schema, r->schema);
}

TEST_F(LakeTest, SameBytesAndOptionsAreTheSameVersion) {
  const std::string path = Write("a.csv", kCsv);
  auto first = lake_->Ingest(path, "txns", {});
  ASSERT_TRUE(first.ok());
  // Same bytes under another file name: same version, reported unchanged.
  auto again = lake_->Ingest(Write("b.csv", kCsv), "txns", {});
  ASSERT_TRUE(again.ok());
  EXPECT_TRUE(again->unchanged);
  EXPECT_EQ(again->version.version, first->version.version);
  EXPECT_EQ(lake_->Versions("txns")->size(), 1u);

  // Other parse options give another version.
  IngestOptions semicolon;
  semicolon.csv.delimiter = ';';
  auto other = lake_->Ingest(path, "txns", semicolon);
  ASSERT_TRUE(other.ok());
  EXPECT_FALSE(other->unchanged);
  EXPECT_NE(other->version.version, first->version.version);
  EXPECT_EQ(lake_->Resolve("txns")->version, other->version.version);
  EXPECT_EQ(lake_->Versions("txns")->size(), 2u);
}

TEST_F(LakeTest, BadInputRecordsNothing) {
  ASSERT_TRUE(lake_->Ingest(Write("good.csv", kCsv), "txns", {}).ok());
  auto ragged = lake_->Ingest(Write("ragged.csv", "a,b\n1,2\n3,4,5\n"), "txns", {});
  ASSERT_FALSE(ragged.ok());
  EXPECT_THAT(std::string(ragged.status().message()), HasSubstr("ragged.csv:3:"));
  auto empty = lake_->Ingest(Write("empty.csv", ""), "txns", {});
  ASSERT_FALSE(empty.ok());
  auto missing = lake_->Ingest(dir_.path() + "/nope.csv", "txns", {});
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(lake_->Versions("txns")->size(), 1u);
  // Nothing was written for the failed versions.
  EXPECT_EQ(lake_->store().List("datasets/txns/")->size(), 2u);
}

TEST_F(LakeTest, NamesAndReferencesAreChecked) {
  EXPECT_THAT(std::string(ValidateDatasetName("Txns").message()), HasSubstr("'T'"));
  EXPECT_FALSE(ValidateDatasetName("_x").ok());
  EXPECT_FALSE(ValidateDatasetName("").ok());
  EXPECT_TRUE(ValidateDatasetName("txns_2024-q1").ok());
  EXPECT_FALSE(lake_->Ingest(Write("x.csv", kCsv), "Bad Name", {}).ok());
  EXPECT_FALSE(ParseDatasetRef("txns@").ok());
  EXPECT_FALSE(ParseDatasetRef("txns@xyz").ok());
  EXPECT_EQ(ParseDatasetRef("txns@AB12")->version, "ab12");

  auto v = lake_->Ingest(Write("txns.csv", kCsv), "txns", {});
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(lake_->Resolve("txns@" + v->version.version.substr(0, 6))->version, v->version.version);
  auto typo = lake_->Resolve("txn");
  EXPECT_EQ(typo.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(std::string(typo.status().message()), HasSubstr("Did you mean 'txns'?"));
  auto unknown_version = lake_->Resolve("txns@ffff");
  EXPECT_EQ(unknown_version.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(std::string(unknown_version.status().message()),
              HasSubstr(v->version.version.substr(0, 12)));
}

TEST_F(LakeTest, JsonLinesAndParquetIngestToTheSameTable) {
  auto jsonl = lake_->Ingest(
      Write("events.jsonl", "{\"id\": 1, \"user\": {\"name\": \"ann\"}}\n{\"id\": 2}\n"), "events",
      {});
  ASSERT_TRUE(jsonl.ok()) << jsonl.status();
  EXPECT_EQ(jsonl->version.format, "jsonl");
  EXPECT_EQ(jsonl->schema.ToString(), "id: int64, user.name: string");
  auto table = lake_->ReadTable(*lake_->Resolve("events"));
  ASSERT_TRUE(table.ok()) << table.status();
  EXPECT_EQ(table->num_rows(), 2);

  // The same table written as Parquet ingests with the same schema and rows.
  const std::string parquet = dir_.path() + "/events.parquet";
  ASSERT_TRUE(WriteParquet(*table, parquet).ok());
  auto pq = lake_->Ingest(parquet, "events_pq", {});
  ASSERT_TRUE(pq.ok()) << pq.status();
  EXPECT_EQ(pq->version.format, "parquet");
  auto back = lake_->ReadTable(*lake_->Resolve("events_pq"));
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_TRUE(back->Equals(*table)) << back->ToString() << "\n" << table->ToString();
}

TEST_F(LakeTest, FormatFromFileName) {
  auto tsv = lake_->Ingest(Write("t.tsv", "a\tb\n1\t2\n"), "t", {});
  ASSERT_TRUE(tsv.ok()) << tsv.status();
  EXPECT_EQ(tsv->schema.num_fields(), 2);
  auto unknown = lake_->Ingest(Write("t.data", "x"), "t", {});
  EXPECT_THAT(std::string(unknown.status().message()),
              HasSubstr("known formats: csv, jsonl, parquet. Pass --format csv"));
  auto not_parquet = lake_->Ingest(Write("t.parquet", "x"), "t", {});
  EXPECT_THAT(std::string(not_parquet.status().message()), HasSubstr("not a Parquet file"));
  IngestOptions csv;
  csv.format = "csv";
  EXPECT_TRUE(lake_->Ingest(Write("t.data", "a\n1\n"), "t", csv).ok());
}

TEST_F(LakeTest, PartitionedByAColumn) {
  const std::string path = Write("txns.csv", kCsv);
  IngestOptions options;
  options.partition_by = "city";
  auto r = lake_->Ingest(path, "txns", options);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->version.partition_column, "city");
  const std::string prefix = "datasets/txns/" + r->version.version + "/table/";
  EXPECT_TRUE(*lake_->store().Exists(prefix + "city=Paris/part.kcol"));
  EXPECT_TRUE(*lake_->store().Exists(prefix + "city=__null__/part.kcol"));
  auto table = lake_->ReadTable(*lake_->Resolve("txns"));
  ASSERT_TRUE(table.ok()) << table.status();
  EXPECT_EQ(table->num_rows(), 3);
  EXPECT_EQ(table->column(2).StringAt(0), "Lyon");  // grouped by value
  // The same bytes without partitioning are another version.
  auto plain = lake_->Ingest(path, "txns", {});
  ASSERT_TRUE(plain.ok());
  EXPECT_FALSE(plain->unchanged);
  options.partition_by = "nope";
  EXPECT_EQ(lake_->Ingest(Write("other.csv", "city\nx\n"), "txns", options).status().code(),
            absl::StatusCode::kNotFound);
}

// A local store that fails every write of a key ending in `fail_suffix`, as
// a crash or a full disk would mid-ingest.
class FailingStore final : public ForwardingObjectStore {
 public:
  FailingStore(std::unique_ptr<ObjectStore> inner, std::string fail_suffix)
      : ForwardingObjectStore(std::move(inner)), fail_(std::move(fail_suffix)) {}

 protected:
  Status PutImpl(const std::string& key, std::string_view bytes) override {
    if (key.ends_with(fail_)) return absl::ResourceExhaustedError("disk full");
    return ForwardingObjectStore::PutImpl(key, bytes);
  }
  Status PutFileImpl(const std::string& key, const std::string& path) override {
    if (key.ends_with(fail_)) return absl::ResourceExhaustedError("disk full");
    return ForwardingObjectStore::PutFileImpl(key, path);
  }

 private:
  std::string fail_;
};

TEST_F(LakeTest, AFailedWriteLeavesThePreviousLatest) {
  auto first = lake_->Ingest(Write("a.csv", kCsv), "txns", {});
  ASSERT_TRUE(first.ok());
  auto inner = LocalStore::Open(dir_.path() + "/ws/.keel/lake");
  ASSERT_TRUE(inner.ok());
  Lake failing(std::make_unique<FailingStore>(*std::move(inner), "table.kcol"),
               *OpenMetadataStore(*workspace_), dir_.path() + "/tmp");
  auto r = failing.Ingest(Write("b.csv", std::string(kCsv) + "4,1,Nice\n"), "txns", {});
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(std::string(r.status().message()), HasSubstr("disk full"));
  EXPECT_EQ(lake_->Versions("txns")->size(), 1u);
  EXPECT_EQ(lake_->Resolve("txns")->version, first->version.version);
}

// A local lake stores tables plain (read back zero-copy) unless keel.yaml
// asks for zstd; the stored object is exactly the native file's encoding.
TEST_F(LakeTest, TableCompressionFollowsTheSetting) {
  EXPECT_EQ(lake_->table_compression(), NativeCompression::kNone);
  const std::string path = Write("txns.csv", kCsv);
  auto plain = lake_->Ingest(path, "txns", {});
  ASSERT_TRUE(plain.ok()) << plain.status();
  auto table = ReadCsv(path);
  ASSERT_TRUE(table.ok());
  EXPECT_EQ(*lake_->store().Get(plain->version.table_key),
            *EncodeNativeFile(*table, {.compression = NativeCompression::kNone}));

  std::string yaml = *ReadFile(dir_.path() + "/ws/keel.yaml");
  yaml += "\nstorage:\n  table_compression: zstd\n";
  ASSERT_TRUE(WriteFileAtomic(dir_.path() + "/ws/keel.yaml", yaml).ok());
  auto ws = Workspace::Open(dir_.path() + "/ws", {});
  ASSERT_TRUE(ws.ok()) << ws.status();
  auto lake = Lake::Open(*ws);
  ASSERT_TRUE(lake.ok()) << lake.status();
  EXPECT_EQ((*lake)->table_compression(), NativeCompression::kZstd);
  auto packed = (*lake)->Ingest(path, "packed", {});
  ASSERT_TRUE(packed.ok()) << packed.status();
  EXPECT_EQ(*(*lake)->store().Get(packed->version.table_key), *EncodeNativeFile(*table, {}));
  // Both read back the same table.
  EXPECT_TRUE((*lake)->ReadTable(packed->version)->Equals(*table));
  EXPECT_TRUE(lake_->ReadTable(plain->version)->Equals(*table));

  // A table made elsewhere is named by the hash of what is stored.
  TableSource source{
      .format = "sqlite", .source = "sqlite://x.db", .raw_name = "q.sql", .raw_bytes = "SELECT 1"};
  auto made = lake_->IngestTable(*table, source, "made", {});
  ASSERT_TRUE(made.ok()) << made.status();
  EXPECT_THAT(
      made->version.parse_options_json,
      HasSubstr(Sha256Hex(*EncodeNativeFile(*table, {.compression = NativeCompression::kNone}))));
}

TEST_F(LakeTest, IngestsAFileUri) {
  auto r = lake_->Ingest("file://" + Write("u.csv", kCsv), "txns", {});
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->version.raw_keys[0], "datasets/txns/" + r->version.version + "/raw/u.csv");
}

TEST_F(LakeTest, IngestTableKeepsItsSourceAndIsUnchangedOnRepeat) {
  auto table = ReadCsv(Write("q.csv", kCsv), {});
  ASSERT_TRUE(table.ok()) << table.status();
  TableSource source{.format = "sqlite",
                     .source = "sqlite://shop.db",
                     .raw_name = "query.sql",
                     .raw_bytes = "-- keel-sql-source {}\nSELECT * FROM t"};
  auto r = lake_->IngestTable(*table, source, "orders", {});
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_FALSE(r->unchanged);
  const DatasetVersionRecord& v = r->version;
  EXPECT_EQ(v.format, "sqlite");
  EXPECT_EQ(v.source, "sqlite://shop.db");
  EXPECT_EQ(v.row_count, 3);
  EXPECT_EQ(v.raw_sha256, Sha256Hex(source.raw_bytes));
  ASSERT_EQ(v.raw_keys.size(), 1u);
  EXPECT_EQ(v.raw_keys[0], "datasets/orders/" + v.version + "/raw/query.sql");
  EXPECT_EQ(*lake_->store().Get(v.raw_keys[0]), source.raw_bytes);
  EXPECT_THAT(v.parse_options_json, HasSubstr("\"table_sha256\""));
  auto back = lake_->ReadTable(*lake_->Resolve("orders"));
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_TRUE(back->Equals(*table));

  // The same rows from the same query: unchanged. Other rows, or another
  // query giving the same rows: a new version.
  auto again = lake_->IngestTable(*table, source, "orders", {});
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_TRUE(again->unchanged);
  EXPECT_EQ(again->version.version, v.version);
  auto fewer = lake_->IngestTable(table->Slice(0, 2), source, "orders", {});
  ASSERT_TRUE(fewer.ok()) << fewer.status();
  EXPECT_NE(fewer->version.version, v.version);
  TableSource other = source;
  other.raw_bytes += " WHERE true";
  auto other_query = lake_->IngestTable(*table, other, "orders", {});
  ASSERT_TRUE(other_query.ok()) << other_query.status();
  EXPECT_NE(other_query->version.version, v.version);

  IngestOptions partitioned;
  partitioned.partition_by = "city";
  auto parts = lake_->IngestTable(*table, source, "orders", partitioned);
  ASSERT_TRUE(parts.ok()) << parts.status();
  EXPECT_EQ(parts->version.partition_column, "city");
  EXPECT_EQ(lake_->ReadTable(parts->version)->num_rows(), 3);

  source.raw_name = "";
  EXPECT_EQ(lake_->IngestTable(*table, source, "orders", {}).status().code(),
            absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace keel
