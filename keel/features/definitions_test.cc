#include "keel/features/definitions.h"

#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace keel::features {
namespace {

constexpr char kGood[] = R"(entities:
  - name: customer
    join_keys:
      - {name: customer_id, type: int64}
sources:
  - name: txns
    dataset: transactions@ab12
    timestamp_field: event_time
    created_timestamp_field: created
feature_views:
  - name: stats
    entities: [customer]
    source: txns
    ttl: 7d
    features:
      - {name: spend, type: float64}
      - {name: orders, type: int64}
services:
  - name: fraud
    features: ["stats:*"]
  - name: small
    features: ["stats:orders"]
)";

std::string ErrorOf(const std::string& yaml) {
  StatusOr<FeatureDefinitions> d = FeatureDefinitions::Parse(yaml, "f.yaml");
  return d.ok() ? "ok" : std::string(d.status().message());
}

std::string Replace(std::string text, const std::string& from, const std::string& to) {
  const size_t at = text.find(from);
  EXPECT_NE(at, std::string::npos) << from;
  return text.replace(at, from.size(), to);
}

TEST(FeatureDefinitionsTest, ParsesTypedStructs) {
  StatusOr<FeatureDefinitions> d = FeatureDefinitions::Parse(kGood, "f.yaml");
  ASSERT_TRUE(d.ok()) << d.status();
  ASSERT_EQ(d->entities.size(), 1u);
  EXPECT_EQ(d->entities[0].join_keys[0].name, "customer_id");
  EXPECT_EQ(d->entities[0].join_keys[0].type, DataType::kInt64);
  EXPECT_EQ(d->sources[0].dataset, "transactions@ab12");
  EXPECT_EQ(d->sources[0].created_timestamp_field, "created");
  const FeatureView* v = d->FindView("stats");
  ASSERT_NE(v, nullptr);
  EXPECT_EQ(v->ttl_us, int64_t{7} * 86'400'000'000);
  EXPECT_EQ(v->features[0].type, DataType::kFloat64);
  EXPECT_EQ(v->features[1].where, "f.yaml:17:16");
  const FeatureService* s = d->FindService("fraud");
  ASSERT_NE(s, nullptr);
  ASSERT_EQ(s->features.size(), 2u);
  EXPECT_EQ(s->features[1].feature, "orders");
  EXPECT_EQ(d->FindService("small")->features.size(), 1u);
}

TEST(FeatureDefinitionsTest, ErrorsNameFileLineColumn) {
  EXPECT_EQ(ErrorOf(Replace(kGood, "entities: [customer]", "entities: [custmer]")),
            "f.yaml:12:16: feature view 'stats': unknown entity 'custmer'. Did you mean "
            "'customer'? Entities: customer");
  EXPECT_EQ(ErrorOf(Replace(kGood, "source: txns", "source: txn")),
            "f.yaml:13:13: feature view 'stats': unknown source 'txn'. Did you mean 'txns'? "
            "Sources: txns");
  EXPECT_EQ(ErrorOf(Replace(kGood, "entities:\n", "entites:\n")),
            "f.yaml:1:1: unknown key 'entites'. Did you mean 'entities'? Keys: entities, "
            "sources, feature_views, services");
  EXPECT_EQ(ErrorOf(Replace(kGood, "ttl: 7d", "ttl: 7x")),
            "f.yaml:14:10: feature view 'stats': ttl: '7x' is not a duration; write a whole "
            "number with a unit s, m, h, d or w (\"90m\", \"7d\"), or 0 for no limit");
  EXPECT_EQ(ErrorOf(Replace(kGood, "type: int64}\nsources", "type: float64}\nsources")),
            "f.yaml:4:35: entity 'customer': join key 'customer_id': unknown type 'float64'. "
            "Types: int64, string");
  EXPECT_EQ(ErrorOf(Replace(kGood, "spend, type: float64", "spend, type: float")),
            "f.yaml:16:29: feature view 'stats': feature 'spend': unknown type 'float'. Did you "
            "mean 'float64'? Types: bool, int64, float64, string, timestamp");
  EXPECT_EQ(ErrorOf(Replace(kGood, "name: orders", "name: spend")),
            "f.yaml:17:16: feature view 'stats': duplicate feature 'spend' (the first is at "
            "f.yaml:16:16)");
  EXPECT_EQ(ErrorOf(Replace(kGood, "name: small", "name: fraud")),
            "f.yaml:21:11: duplicate service name 'fraud' (the first is at f.yaml:19:11)");
  EXPECT_EQ(ErrorOf(Replace(kGood, "\"stats:orders\"", "\"stats:order\"")),
            "f.yaml:22:16: service 'small': feature view 'stats' has no feature 'order'. Did you "
            "mean 'orders'? Features: spend, orders");
  EXPECT_EQ(ErrorOf(Replace(kGood, "\"stats:*\"", "\"stat:*\"")),
            "f.yaml:20:16: service 'fraud': unknown feature view 'stat'. Did you mean 'stats'? "
            "Feature views: stats");
  EXPECT_EQ(ErrorOf(Replace(kGood, "\"stats:orders\"", "\"stats\"")),
            "f.yaml:22:16: service 'small': features: expected \"view:feature\" or \"view:*\"; "
            "got 'stats'");
  EXPECT_EQ(ErrorOf(Replace(kGood, "    ttl: 7d\n", "    ttl: 7d\n    tll: 1\n")),
            "f.yaml:15:5: feature view 'stats': unknown key 'tll'. Did you mean 'ttl'? Keys: "
            "name, entities, source, ttl, features, description");
  EXPECT_EQ(ErrorOf(Replace(kGood, "    timestamp_field: event_time\n", "")),
            "f.yaml:6:5: source 'txns': missing 'timestamp_field'");
  EXPECT_EQ(ErrorOf(Replace(kGood, "name: spend", "name: customer_id")),
            "f.yaml:16:16: feature view 'stats': feature 'customer_id' has the name of a join "
            "key of its entities; rename it");
  EXPECT_EQ(ErrorOf("entities: [\n"), "f.yaml:2:1: invalid YAML: end of sequence flow not found");
}

TEST(FeatureDefinitionsTest, Ttl) {
  EXPECT_EQ(*ParseTtl("0"), std::nullopt);
  EXPECT_EQ(*ParseTtl("1h"), int64_t{3'600'000'000});
  EXPECT_EQ(*ParseTtl("30d"), int64_t{30} * 86'400'000'000);
  EXPECT_EQ(*ParseTtl("0s"), int64_t{0});
  EXPECT_FALSE(ParseTtl("-1h").ok());
  EXPECT_FALSE(ParseTtl("h").ok());
  EXPECT_FALSE(ParseTtl("1.5h").ok());
  EXPECT_FALSE(ParseTtl("1hh").ok());
  EXPECT_FALSE(ParseTtl("99999999999999w").ok());
}

}  // namespace
}  // namespace keel::features
