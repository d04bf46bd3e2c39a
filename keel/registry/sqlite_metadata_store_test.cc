#include "keel/registry/sqlite_metadata_store.h"

#include <algorithm>
#include <numeric>
#include <thread>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "keel/base/testing/temp_dir.h"

namespace keel {
namespace {

TEST(SqliteMetadataStoreTest, UpgradesAVersion1RegistryInPlace) {
  testing::TempDir dir;
  const std::string path = dir.path() + "/keel.db";
  DatasetVersionRecord data;
  data.dataset = "txns";
  data.version = std::string(64, 'a');
  data.created_at_us = 1000;
  data.raw_keys = {"datasets/txns/raw/a.csv"};
  data.format = "csv";
  data.row_count = 5;
  {
    const std::vector<sqlite::Migration> v1(RegistryMigrations().begin(),
                                            RegistryMigrations().begin() + 1);
    auto old = SqliteMetadataStore::Open(path, v1);
    ASSERT_TRUE(old.ok()) << old.status();
    EXPECT_EQ((*old)->schema_version(), 1);
    ASSERT_TRUE(*(*old)->AddDatasetVersion(data));
  }
  auto store = SqliteMetadataStore::Open(path);
  ASSERT_TRUE(store.ok()) << store.status();
  EXPECT_EQ((*store)->schema_version(), 5);
  std::vector<DatasetRecord> datasets = *(*store)->ListDatasets();
  ASSERT_EQ(datasets.size(), 1u);
  EXPECT_EQ(datasets[0].latest.version, data.version);
  EXPECT_EQ(datasets[0].latest.row_count, 5);
  EXPECT_EQ(datasets[0].latest.raw_keys, data.raw_keys);

  // The new tables work, and lineage can point at the old dataset version.
  RunRecord run = *(*store)->CreateRun(RunRecord{});
  ModelVersionRecord model;
  model.model = "fraud";
  model.bundle_key = "models/fraud/1.bundle";
  model.run_id = run.id;
  model.dataset = "txns";
  model.dataset_version = data.version;
  StatusOr<ModelVersionRecord> added = (*store)->AddModelVersion(model);
  ASSERT_TRUE(added.ok()) << added.status();
  EXPECT_EQ(added->version, 1);
  EXPECT_EQ(*(*store)->ModelsChangeVersion(), 1);

  // Reopening does not migrate again.
  auto again = SqliteMetadataStore::Open(path);
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ((*again)->schema_version(), 5);
  EXPECT_EQ((*again)->ListModels()->size(), 1u);
}

TEST(SqliteMetadataStoreTest, MigrationsAreNumberedFromOne) {
  const std::vector<sqlite::Migration>& migrations = RegistryMigrations();
  for (size_t i = 0; i < migrations.size(); ++i) {
    EXPECT_EQ(migrations[i].version, static_cast<int>(i + 1));
    EXPECT_FALSE(migrations[i].description.empty());
  }
}

// Two connections (as two processes would have) adding versions of one model
// at once get distinct, gap-free numbers.
TEST(SqliteMetadataStoreTest, ConcurrentWritersGetDistinctVersionNumbers) {
  testing::TempDir dir;
  const std::string path = dir.path() + "/keel.db";
  auto a = SqliteMetadataStore::Open(path);
  auto b = SqliteMetadataStore::Open(path);
  ASSERT_TRUE(a.ok() && b.ok());
  constexpr int kEach = 50;
  std::vector<int64_t> got_a, got_b;
  std::vector<Status> errors_a, errors_b;
  auto writer = [](MetadataStore* store, std::vector<int64_t>* got, std::vector<Status>* errors) {
    for (int i = 0; i < kEach; ++i) {
      ModelVersionRecord r;
      r.model = "fraud";
      r.bundle_key = "models/fraud/bundle";
      StatusOr<ModelVersionRecord> added = store->AddModelVersion(r);
      if (added.ok()) {
        got->push_back(added->version);
      } else {
        errors->push_back(added.status());
      }
    }
  };
  std::thread ta(writer, a->get(), &got_a, &errors_a);
  std::thread tb(writer, b->get(), &got_b, &errors_b);
  ta.join();
  tb.join();
  for (const Status& s : errors_a) ADD_FAILURE() << s;
  for (const Status& s : errors_b) ADD_FAILURE() << s;

  std::vector<int64_t> all = got_a;
  all.insert(all.end(), got_b.begin(), got_b.end());
  std::sort(all.begin(), all.end());
  std::vector<int64_t> expected(2 * kEach);
  std::iota(expected.begin(), expected.end(), 1);
  EXPECT_EQ(all, expected);
  // Each writer's numbers increase.
  EXPECT_TRUE(std::is_sorted(got_a.begin(), got_a.end()));
  EXPECT_TRUE(std::is_sorted(got_b.begin(), got_b.end()));

  std::vector<ModelVersionRecord> stored = *(*a)->ListModelVersions("fraud");
  ASSERT_EQ(stored.size(), 2u * kEach);
  EXPECT_EQ(stored.front().version, 2 * kEach);
  EXPECT_EQ(*(*b)->ModelsChangeVersion(), 2 * kEach);
}

}  // namespace
}  // namespace keel
