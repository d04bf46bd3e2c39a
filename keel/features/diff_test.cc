#include "keel/features/diff.h"

#include <string>
#include <vector>

#include "gtest/gtest.h"

namespace keel::features {
namespace {

constexpr char kBefore[] = R"(entities:
  - {name: user, join_keys: [{name: user_id, type: int64}]}
  - {name: shop, join_keys: [{name: shop_id, type: string}]}
sources:
  - {name: s, dataset: d, timestamp_field: at}
feature_views:
  - {name: v, entities: [user], source: s, ttl: 1h, features: [{name: a, type: float64}, {name: b, type: int64}]}
services:
  - {name: svc, features: ["v:a"]}
)";

constexpr char kAfter[] = R"(entities:
  - {name: user, join_keys: [{name: user_id, type: string}]}
sources:
  - {name: s, dataset: d2, timestamp_field: at, created_timestamp_field: c}
feature_views:
  - {name: v, entities: [user], source: s, features: [{name: a, type: float64}, {name: c, type: bool}]}
services:
  - {name: svc, features: ["v:a"]}
  - {name: svc2, features: ["v:*"]}
)";

TEST(DiffDefinitionsTest, ListsAddedRemovedAndChangedItemsWithDetails) {
  const FeatureDefinitions before = *FeatureDefinitions::Parse(kBefore, "a.yaml");
  const FeatureDefinitions after = *FeatureDefinitions::Parse(kAfter, "b.yaml");
  const std::vector<DefinitionChange> changes = DiffDefinitions(before, after);
  ASSERT_EQ(changes.size(), 5u);
  EXPECT_EQ(changes[0].name, "user");
  EXPECT_EQ(changes[0].details, std::vector<std::string>{"join key user_id: int64 -> string"});
  EXPECT_EQ(changes[1].name, "shop");
  EXPECT_EQ(changes[1].change, "removed");
  EXPECT_EQ(changes[2].details, (std::vector<std::string>{"dataset: d -> d2",
                                                          "created_timestamp_field: (none) -> c"}));
  EXPECT_EQ(changes[3].details,
            (std::vector<std::string>{"ttl: 1h -> 0", "feature c: added (bool)",
                                      "feature b: removed"}));
  EXPECT_EQ(changes[4].name, "svc2");
  EXPECT_EQ(changes[4].change, "added");
  EXPECT_TRUE(DiffDefinitions(after, after).empty());
}

TEST(DiffDefinitionsTest, OnDemandViewsCompareFieldsTypesAndExpressions) {
  const std::string view = R"(on_demand_views:
  - name: od
    request_fields: [{name: x, type: float64}]
    features:
      - {name: r, type: float64, expression: "x / v.a"}
      - {name: k, type: bool, expression: "x > 1"}
)";
  std::string before(kBefore), after(kBefore);
  before.insert(before.find("services:"), view);
  std::string changed = view;
  changed.replace(changed.find("x / v.a"), 7, "x * v.a");
  changed.replace(changed.find("type: bool"), 10, "type: int64");
  changed.replace(changed.find("x > 1"), 5, "if(x > 1, 1, 0)");
  changed.replace(changed.find("float64}]"), 9, "float64}, {name: y, type: string}]");
  after.insert(after.find("services:"), changed);
  const std::vector<DefinitionChange> changes = DiffDefinitions(
      *FeatureDefinitions::Parse(before, "a.yaml"), *FeatureDefinitions::Parse(after, "b.yaml"));
  ASSERT_EQ(changes.size(), 1u);
  EXPECT_EQ(changes[0].kind, "on_demand_view");
  EXPECT_EQ(changes[0].details,
            (std::vector<std::string>{"request field y: added (string)", "feature k: bool -> int64",
                                      "feature r expression: x / v.a -> x * v.a",
                                      "feature k expression: x > 1 -> if(x > 1, 1, 0)"}));
  const std::vector<DefinitionChange> added = DiffDefinitions(
      *FeatureDefinitions::Parse(kBefore, "a.yaml"), *FeatureDefinitions::Parse(before, "b.yaml"));
  ASSERT_EQ(added.size(), 1u);
  EXPECT_EQ(added[0].change, "added");
}

}  // namespace
}  // namespace keel::features
