#include "keel/registry/metadata_store.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "keel/base/files.h"
#include "keel/base/testing/temp_dir.h"

namespace keel {
namespace {

using ::testing::HasSubstr;

DatasetVersionRecord Version(std::string dataset, std::string version, int64_t rows) {
  DatasetVersionRecord r;
  r.dataset = std::move(dataset);
  r.version = std::move(version);
  r.created_at_us = 1000;
  r.source = "data.csv";
  r.raw_keys = {"datasets/x/raw/a.csv", "datasets/x/raw/b.csv"};
  r.raw_size_bytes = 10;
  r.raw_sha256 = "ab";
  r.format = "csv";
  r.row_count = rows;
  r.schema_json = "[]";
  r.parse_options_json = "{}";
  r.table_key = "datasets/x/table.kcol";
  return r;
}

TEST(MetadataStoreTest, RecordsListsAndFindsVersions) {
  testing::TempDir dir;
  auto store = OpenMetadataStore("sqlite://.keel/keel.db", dir.path());
  ASSERT_TRUE(store.ok()) << store.status();
  EXPECT_TRUE(PathExists(dir.path() + "/.keel/keel.db"));
  EXPECT_EQ((*store)->schema_version(), 5);

  EXPECT_TRUE(*(*store)->AddDatasetVersion(Version("txns", "aaa111", 5)));
  EXPECT_TRUE(*(*store)->AddDatasetVersion(Version("txns", "bbb222", 6)));
  EXPECT_FALSE(*(*store)->AddDatasetVersion(Version("txns", "aaa111", 5)));  // unchanged
  EXPECT_TRUE(*(*store)->AddDatasetVersion(Version("users", "aaa111", 7)));

  auto datasets = (*store)->ListDatasets();
  ASSERT_TRUE(datasets.ok()) << datasets.status();
  ASSERT_EQ(datasets->size(), 2u);
  EXPECT_EQ((*datasets)[0].name, "txns");
  EXPECT_EQ((*datasets)[0].version_count, 2);
  EXPECT_EQ((*datasets)[0].latest.version, "bbb222");
  EXPECT_EQ((*datasets)[0].latest.raw_keys.size(), 2u);
  EXPECT_EQ((*datasets)[1].latest.row_count, 7);

  auto versions = (*store)->ListDatasetVersions("txns");
  ASSERT_EQ(versions->size(), 2u);
  EXPECT_EQ((*versions)[0].version, "bbb222");
  EXPECT_EQ((*versions)[1].version, "aaa111");
  EXPECT_EQ((*store)->FindDatasetVersions("txns", "aa")->size(), 1u);
  EXPECT_EQ((*store)->FindDatasetVersions("txns", "%")->size(), 0u);
  EXPECT_TRUE((*store)->ListDatasetVersions("nope")->empty());
}

TEST(MetadataStoreTest, SurvivesReopening) {
  testing::TempDir dir;
  {
    auto store = OpenMetadataStore("sqlite://reg.db", dir.path());
    ASSERT_TRUE((*store)->AddDatasetVersion(Version("a", "01", 1)).ok());
  }
  auto store = OpenMetadataStore("sqlite://" + dir.path() + "/reg.db", "/elsewhere");
  ASSERT_TRUE(store.ok()) << store.status();
  EXPECT_EQ((*store)->ListDatasets()->size(), 1u);
}

TEST(MetadataStoreTest, UnknownSchemeListsTheKnownOnes) {
  auto store = OpenMetadataStore("postgresql://keel@localhost/keel", "/tmp");
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(store.status().message()), HasSubstr("known: sqlite"));
}

}  // namespace
}  // namespace keel
