// A feature view's computed features (`expression:`): parsed with their
// places, computed from the source rows the same way for get-historical,
// materialize and push, and refused in a push body.
#include "keel/features/derived.h"

#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "keel/base/testing/temp_dir.h"
#include "keel/features/embedded_online_store.h"
#include "keel/features/historical.h"
#include "keel/features/materialize.h"
#include "keel/features/push.h"
#include "keel/features/testing/definitions_errors.h"

namespace keel::features {
namespace {

using ::testing::HasSubstr;

constexpr char kDefs[] = R"(entities:
  - {name: user, join_keys: [{name: user_id, type: int64}]}
sources:
  - {name: src, dataset: d, timestamp_field: at}
feature_views:
  - name: v
    entities: [user]
    source: src
    features:
      - {name: spend, type: float64}
      - {name: orders, type: int64}
      - {name: per_order, type: float64, expression: "spend / orders"}
      - {name: big, type: bool, expression: "coalesce(spend, 0) > 20"}
      - {name: twice, type: float64, expression: "orders * 2"}
services:
  - {name: s, features: ["v:*"]}
)";

constexpr auto ErrorOf = keel::testing::DefinitionsErrorOf;
constexpr auto Replace = keel::testing::ReplaceFirst;

// Users 1..4 at minutes 1..4: spend 30, 10, null, 7.5; orders 3, 0, 2, null.
Table SourceRows() {
  ColumnBuilder user(DataType::kInt64), at(DataType::kTimestamp), spend(DataType::kFloat64),
      orders(DataType::kInt64);
  const std::vector<std::optional<double>> s = {30, 10, std::nullopt, 7.5};
  const std::vector<std::optional<int64_t>> o = {3, 0, 2, std::nullopt};
  for (int i = 0; i < 4; ++i) {
    user.AppendInt64(i + 1);
    at.AppendTimestamp((i + 1) * 60'000'000LL);
    s[i] ? spend.AppendFloat64(*s[i]) : spend.AppendNull();
    o[i] ? orders.AppendInt64(*o[i]) : orders.AppendNull();
  }
  return *Table::Make({"user_id", "at", "spend", "orders"},
                      {user.Finish(), at.Finish(), spend.Finish(), orders.Finish()});
}

// per_order, big, twice of users 1..4 as text ("null" for a null).
const std::vector<std::string> kExpected = {"10 1 6", "null 0 0", "null 0 4", "null 0 null"};

std::string Text(const FeatureValue& v) {
  if (v.is_null) return "null";
  if (v.type == DataType::kBool) return v.int_value != 0 ? "1" : "0";
  if (v.type == DataType::kInt64) return std::to_string(v.int_value);
  std::string s = std::to_string(v.float_value);
  s.erase(s.find_last_not_of('0') + 1);
  if (s.back() == '.') s.pop_back();
  return s;
}

TEST(DerivedFeaturesTest, ParsedWithTheirInputs) {
  StatusOr<FeatureDefinitions> d = FeatureDefinitions::Parse(kDefs, "f.yaml");
  ASSERT_TRUE(d.ok()) << d.status();
  const FeatureView& v = *d->FindView("v");
  ASSERT_EQ(v.derived.size(), 3u);
  EXPECT_EQ(v.features.size(), 5u);  // computed features are features too
  EXPECT_EQ(v.derived[0].name, "per_order");
  ASSERT_EQ(v.derived[0].inputs.size(), 2u);
  EXPECT_EQ(v.derived[0].inputs[0].name, "spend");
  EXPECT_EQ(v.derived[0].inputs[1].name, "orders");
  EXPECT_EQ(v.FindDerived("spend"), nullptr);
}

TEST(DerivedFeaturesTest, ErrorsPointIntoTheExpression) {
  EXPECT_EQ(ErrorOf(Replace(kDefs, "spend / orders", "spend / order")),
            "f.yaml:12:63: feature view 'v': feature 'per_order': unknown name 'order'. Did you "
            "mean 'orders'? A computed feature reads the view's plain features of the same row: "
            "spend, orders");
  EXPECT_THAT(ErrorOf(Replace(kDefs, "spend / orders", "per_order + 1")),
              HasSubstr("unknown name 'per_order'"));  // not another computed feature
  EXPECT_EQ(ErrorOf(Replace(kDefs, "name: big, type: bool", "name: big, type: int64")),
            "f.yaml:13:47: feature view 'v': feature 'big': declared int64 but the expression "
            "gives bool; change the type or the expression");
}

TEST(DerivedFeaturesTest, SameValuesOfflineOnlineAndPushed) {
  const FeatureDefinitions defs = *FeatureDefinitions::Parse(kDefs, "f.yaml");
  const FeatureView& view = *defs.FindView("v");
  const Table source = SourceRows();

  // Offline: get-historical at minute 10 for users 1..4.
  ColumnBuilder ids(DataType::kInt64), ts(DataType::kTimestamp);
  for (int u = 1; u <= 4; ++u) {
    ids.AppendInt64(u);
    ts.AppendTimestamp(600'000'000LL);
  }
  const Table entities = *Table::Make({"user_id", "ts"}, {ids.Finish(), ts.Finish()});
  StatusOr<Table> offline =
      GetHistoricalFeatures(defs, "s", entities, "ts", [&](const Source&) { return source; });
  ASSERT_TRUE(offline.ok()) << offline.status();
  const std::vector<std::string> computed = {"per_order", "big", "twice"};
  for (int u = 0; u < 4; ++u) {
    std::string got;
    for (const std::string& f : computed) {
      if (!got.empty()) got += " ";
      got += Text(ValueAt(*offline->ColumnByName("v__" + f), u));
    }
    EXPECT_EQ(got, kExpected[u]) << "offline, user " << u + 1;
  }

  // Online: materialised, then user 2 pushed again (without the computed
  // features, which a push may not carry).
  testing::TempDir dir;
  std::unique_ptr<EmbeddedOnlineStore> store = *EmbeddedOnlineStore::Open(dir.path());
  ASSERT_TRUE(MaterializeView(defs, view, source, 0, 600'000'000LL, *store).ok());
  StatusOr<PushRequest> refused = ParsePushRequest(
      defs, R"({"feature_view": "v", "df": {"user_id": [2], "at": [1], "per_order": [1.0]}})");
  EXPECT_THAT(std::string(refused.status().message()),
              HasSubstr("df.per_order is computed by its expression 'spend / orders' (f.yaml:12:"));
  StatusOr<PushRequest> push =
      ParsePushRequest(defs, R"({"feature_view": "v", "df": {"user_id": [5], "at": [300000000],
                "spend": [50.0], "orders": [4]}})");
  ASSERT_TRUE(push.ok()) << push.status();
  ASSERT_TRUE(PushToOnlineStore(defs, *push, *store).ok());

  const OnlineView online = OnlineView::From(defs, view);
  std::vector<OnlineRow> rows;
  const std::vector<std::string> keys = {"user_id=1", "user_id=2", "user_id=3", "user_id=4",
                                         "user_id=5"};
  ASSERT_TRUE(store->Read(online, keys, computed, 600'000'000LL, &rows).ok());
  std::vector<std::string> expected = kExpected;
  expected.push_back("12.5 1 8");
  for (size_t u = 0; u < rows.size(); ++u) {
    ASSERT_TRUE(rows[u].found) << u;
    std::string got;
    for (const FeatureValue& v : rows[u].values) {
      if (!got.empty()) got += " ";
      got += Text(v);
    }
    EXPECT_EQ(got, expected[u]) << "online, user " << u + 1;
  }
}

TEST(DerivedFeaturesTest, MissingInputColumnIsNamed) {
  const FeatureDefinitions defs = *FeatureDefinitions::Parse(kDefs, "f.yaml");
  const Table rows = *SourceRows().SelectColumns({"user_id", "at", "spend"});
  StatusOr<Table> out = AddDerivedFeatures(*defs.FindView("v"), rows);
  EXPECT_THAT(std::string(out.status().message()),
              HasSubstr("feature view 'v': feature 'per_order' (f.yaml:12:"));
  EXPECT_THAT(std::string(out.status().message()),
              HasSubstr("is computed from 'orders', which the rows lack"));
}

}  // namespace
}  // namespace keel::features
