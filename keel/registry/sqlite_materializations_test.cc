#include <optional>

#include "gtest/gtest.h"
#include "keel/base/testing/temp_dir.h"
#include "keel/registry/sqlite_metadata_store.h"

namespace keel {
namespace {

TEST(SqliteMaterializationsTest, WatermarkIsTheLatestEndPerStoreAndView) {
  testing::TempDir dir;
  auto store = SqliteMetadataStore::Open(dir.path() + "/keel.db");
  ASSERT_TRUE(store.ok()) << store.status();
  StatusOr<std::optional<int64_t>> none = (*store)->MaterializationWatermark("embedded:x", "v");
  ASSERT_TRUE(none.ok()) << none.status();
  EXPECT_FALSE(none->has_value());

  MaterializationRecord r{.view = "v",
                          .store = "embedded:x",
                          .start_us = 0,
                          .end_us = 200,
                          .source_dataset = "d@abc",
                          .rows = 10,
                          .entities = 4,
                          .definitions_version = 2};
  ASSERT_TRUE((*store)->AddMaterialization(r).ok());
  r.start_us = 0;
  r.end_us = 100;  // an earlier window done later (a backfill) keeps the watermark
  StatusOr<MaterializationRecord> added = (*store)->AddMaterialization(r);
  ASSERT_TRUE(added.ok());
  EXPECT_GT(added->id, 0);
  EXPECT_GT(added->finished_at_us, 0);
  r.store = "redis:redis://127.0.0.1:1/0";
  r.end_us = 900;
  ASSERT_TRUE((*store)->AddMaterialization(r).ok());
  r.store = "embedded:x";
  r.view = "w";
  r.end_us = 700;
  ASSERT_TRUE((*store)->AddMaterialization(r).ok());

  EXPECT_EQ(*(*store)->MaterializationWatermark("embedded:x", "v"), std::optional<int64_t>(200));
  EXPECT_EQ(*(*store)->MaterializationWatermark("embedded:x", "w"), std::optional<int64_t>(700));
  EXPECT_EQ(*(*store)->MaterializationWatermark("redis:redis://127.0.0.1:1/0", "v"),
            std::optional<int64_t>(900));
  StatusOr<std::vector<MaterializationRecord>> of_v = (*store)->ListMaterializations("v");
  ASSERT_TRUE(of_v.ok());
  ASSERT_EQ(of_v->size(), 3u);
  EXPECT_EQ((*of_v)[0].end_us, 900);  // newest first
  EXPECT_EQ((*of_v)[2].source_dataset, "d@abc");
  EXPECT_EQ((*store)->ListMaterializations("")->size(), 4u);
}

}  // namespace
}  // namespace keel
