#include <optional>

#include "gtest/gtest.h"
#include "keel/base/hash.h"
#include "keel/base/testing/temp_dir.h"
#include "keel/registry/sqlite_metadata_store.h"

namespace keel {
namespace {

TEST(SqliteFeaturesTest, VersionsAreNumberedAndIdenticalTextIsUnchanged) {
  testing::TempDir dir;
  auto store = SqliteMetadataStore::Open(dir.path() + "/keel.db");
  ASSERT_TRUE(store.ok()) << store.status();
  StatusOr<std::optional<FeatureDefinitionsRecord>> none = (*store)->LatestFeatureDefinitions();
  ASSERT_TRUE(none.ok()) << none.status();
  EXPECT_FALSE(none->has_value());

  FeatureDefinitionsRecord a{.yaml_text = "entities: []\n", .source = "a.yaml"};
  auto first = (*store)->AddFeatureDefinitions(a);
  ASSERT_TRUE(first.ok()) << first.status();
  EXPECT_TRUE(first->added);
  EXPECT_EQ(first->record.version, 1);
  EXPECT_EQ(first->record.sha256, Sha256Hex("entities: []\n"));
  EXPECT_GT(first->record.applied_at_us, 0);

  auto again = (*store)->AddFeatureDefinitions(a);
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_FALSE(again->added);
  EXPECT_EQ(again->record.version, 1);

  FeatureDefinitionsRecord b{.yaml_text = "entities: [x]\n", .source = "b.yaml"};
  auto second = (*store)->AddFeatureDefinitions(b);
  ASSERT_TRUE(second.ok()) << second.status();
  EXPECT_TRUE(second->added);
  EXPECT_EQ(second->record.version, 2);
  // Going back to an earlier text is a new version: only the latest counts.
  auto third = (*store)->AddFeatureDefinitions(a);
  ASSERT_TRUE(third.ok()) << third.status();
  EXPECT_EQ(third->record.version, 3);

  auto latest = (*store)->LatestFeatureDefinitions();
  ASSERT_TRUE(latest.ok() && latest->has_value());
  EXPECT_EQ((*latest)->version, 3);
  EXPECT_EQ((*latest)->yaml_text, "entities: []\n");
  EXPECT_EQ((*latest)->source, "a.yaml");
  auto all = (*store)->ListFeatureDefinitions();
  ASSERT_TRUE(all.ok()) << all.status();
  ASSERT_EQ(all->size(), 3u);
  EXPECT_EQ((*all)[0].version, 3);
  EXPECT_EQ((*all)[2].version, 1);
}

}  // namespace
}  // namespace keel
