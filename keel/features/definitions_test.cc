#include "keel/features/definitions.h"

#include <algorithm>
#include <string>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "keel/features/testing/definitions_errors.h"

namespace keel::features {
namespace {

using ::testing::HasSubstr;

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

constexpr auto ErrorOf = keel::testing::DefinitionsErrorOf;
constexpr auto Replace = keel::testing::ReplaceFirst;

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
            "sources, feature_views, on_demand_views, services");
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
            "name, entities, source, ttl, features, aggregations, description");
  EXPECT_EQ(ErrorOf(Replace(kGood, "    timestamp_field: event_time\n", "")),
            "f.yaml:6:5: source 'txns': missing 'timestamp_field'");
  EXPECT_EQ(ErrorOf(Replace(kGood, "name: spend", "name: customer_id")),
            "f.yaml:16:16: feature view 'stats': feature 'customer_id' has the name of a join "
            "key of its entities; rename it");
  EXPECT_EQ(ErrorOf("entities: [\n"), "f.yaml:2:1: invalid YAML: end of sequence flow not found");
}

constexpr char kWindows[] = R"(entities:
  - {name: customer, join_keys: [{name: customer_id, type: int64}]}
sources:
  - {name: txns, dataset: t, timestamp_field: event_time, created_timestamp_field: created}
feature_views:
  - name: txn_windows
    entities: [customer]
    source: txns
    aggregations:
      - {column: amount, type: float64, function: sum, windows: [1h, 1d, 7d]}
      - {column: amount, type: float64, function: count, windows: [1d, 30d]}
      - {column: merchant, type: string, function: last, windows: [7d]}
services:
  - {name: s, features: ["txn_windows:*"]}
)";

TEST(FeatureDefinitionsTest, PushSources) {
  // A push source may keep its rows in a dataset, or only online.
  StatusOr<FeatureDefinitions> d = FeatureDefinitions::Parse(
      Replace(kGood, "    dataset: transactions@ab12\n", "    push: true\n"), "f.yaml");
  ASSERT_TRUE(d.ok()) << d.status();
  EXPECT_TRUE(d->sources[0].push);
  EXPECT_EQ(d->sources[0].dataset, "");
  d = FeatureDefinitions::Parse(
      Replace(kGood, "    dataset: transactions@ab12\n", "    push: true\n    dataset: events\n"),
      "f.yaml");
  ASSERT_TRUE(d.ok()) << d.status();
  EXPECT_TRUE(d->sources[0].push);
  EXPECT_EQ(d->sources[0].dataset, "events");
  EXPECT_FALSE(FeatureDefinitions::Parse(kGood, "f.yaml")->sources[0].push);

  EXPECT_EQ(ErrorOf(Replace(kGood, "    dataset: transactions@ab12\n", "    push: yes please\n")),
            "f.yaml:7:11: source 'txns': push: expected true or false, found 'yes please'");
  EXPECT_EQ(ErrorOf(Replace(kGood, "    dataset: transactions@ab12\n",
                            "    push: true\n    sql: sqlite://x.db\n    query: select 1\n")),
            "f.yaml:8:10: source 'txns': a push source cannot read 'sql' (pushed rows are kept in "
            "a lake dataset); name a 'dataset' for them, or none to keep them online only");
}

TEST(FeatureDefinitionsTest, AggregationsBecomeTypedFeatures) {
  StatusOr<FeatureDefinitions> d = FeatureDefinitions::Parse(kWindows, "f.yaml");
  ASSERT_TRUE(d.ok()) << d.status();
  const FeatureView& v = *d->FindView("txn_windows");
  std::vector<std::string> names;
  for (const TypedName& f : v.features) names.push_back(f.name);
  EXPECT_EQ(names,
            (std::vector<std::string>{"amount_sum_1h", "amount_sum_1d", "amount_sum_7d",
                                      "amount_count_1d", "amount_count_30d", "merchant_last_7d"}));
  EXPECT_EQ(v.features[3].type, DataType::kInt64);
  EXPECT_EQ(v.features[5].type, DataType::kString);
  EXPECT_EQ(v.features[0].where, "f.yaml:10:66");
  const Aggregation* a = v.FindAggregation("amount_count_30d");
  ASSERT_NE(a, nullptr);
  EXPECT_EQ(a->function, AggregationFunction::kCount);
  EXPECT_EQ(a->window_us, int64_t{30} * 86'400'000'000);
  EXPECT_EQ(a->column_type, DataType::kFloat64);
  EXPECT_EQ(v.FindAggregation("amount"), nullptr);
  EXPECT_EQ(v.MaxWindowUs(), int64_t{30} * 86'400'000'000);
  EXPECT_EQ(v.ttl_us, std::nullopt);
  EXPECT_EQ(d->FindService("s")->features.size(), 6u);
}

TEST(FeatureDefinitionsTest, AggregationErrorsNameFileLineColumn) {
  EXPECT_EQ(ErrorOf(Replace(kWindows, "function: sum", "function: summ")),
            "f.yaml:10:51: feature view 'txn_windows': unknown aggregation function 'summ'. Did "
            "you mean 'sum'? Functions: count, sum, mean, min, max, last");
  EXPECT_EQ(ErrorOf(Replace(kWindows, "function: last", "function: sum")),
            "f.yaml:12:52: feature view 'txn_windows': sum of column 'merchant' (string): sum "
            "takes an int64 or float64 column");
  EXPECT_EQ(ErrorOf(Replace(kWindows, "[1h, 1d, 7d]", "[1h, 1x]")),
            "f.yaml:10:70: feature view 'txn_windows': window '1x' is not a duration longer than "
            "0; write a whole number with a unit s, m, h, d or w (\"1h\", \"7d\")");
  EXPECT_EQ(ErrorOf(Replace(kWindows, "[1h, 1d, 7d]", "[0]")),
            "f.yaml:10:66: feature view 'txn_windows': window '0' is not a duration longer than "
            "0; write a whole number with a unit s, m, h, d or w (\"1h\", \"7d\")");
  EXPECT_EQ(ErrorOf(Replace(kWindows, "[1h, 1d, 7d]", "[1h, 1h]")),
            "f.yaml:10:70: feature view 'txn_windows': duplicate feature 'amount_sum_1h' (the "
            "first is at f.yaml:10:66)");
  EXPECT_EQ(
      ErrorOf(Replace(kWindows, "type: float64, function: count", "type: int64, function: count")),
      "f.yaml:11:32: feature view 'txn_windows': column 'amount' is declared int64 here but "
      "float64 at f.yaml:10:32; a column has one type");
  EXPECT_EQ(ErrorOf(Replace(kWindows, "type: string", "type: str")),
            "f.yaml:12:34: feature view 'txn_windows': aggregation column 'merchant': unknown "
            "type 'str'. Did you mean 'string'? Types: bool, int64, float64, string, timestamp");
  EXPECT_EQ(ErrorOf(Replace(kWindows, "column: merchant", "column: customer_id")),
            "f.yaml:12:18: feature view 'txn_windows': aggregation column 'customer_id' is a join "
            "key; aggregate another column");
  EXPECT_EQ(ErrorOf(Replace(kWindows, "column: merchant", "column: event_time")),
            "f.yaml:12:18: feature view 'txn_windows': aggregation column 'event_time' is the "
            "source's timestamp_field; aggregate another column");
  EXPECT_EQ(ErrorOf(Replace(kWindows, "windows: [7d]", "windws: [7d]")),
            "f.yaml:12:58: feature view 'txn_windows': unknown key 'windws'. Did you mean "
            "'windows'? Keys: column, type, function, windows, description");
  EXPECT_EQ(ErrorOf(Replace(kWindows, ", windows: [7d]", "")),
            "f.yaml:12:9: feature view 'txn_windows': missing 'windows'");
  // A plain feature of the same name as an output, and one of the same name
  // as an aggregated column but another type.
  EXPECT_EQ(ErrorOf(Replace(kWindows, "    aggregations:\n",
                            "    features: [{name: amount_sum_1d, type: float64}]\n"
                            "    aggregations:\n")),
            "f.yaml:11:70: feature view 'txn_windows': duplicate feature 'amount_sum_1d' (the "
            "first is at f.yaml:9:23)");
  EXPECT_EQ(ErrorOf(Replace(kWindows, "    aggregations:\n",
                            "    features: [{name: amount, type: int64}]\n    aggregations:\n")),
            "f.yaml:11:32: feature view 'txn_windows': column 'amount' is declared float64 here "
            "but int64 at f.yaml:9:23; a column has one type");
  const std::string all(kWindows);
  const std::string neither = all.substr(0, all.find("    aggregations:"));
  EXPECT_EQ(ErrorOf(neither),
            "f.yaml:6:5: feature view 'txn_windows': missing 'features' (or 'aggregations')");
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

constexpr char kOnDemand[] = R"(entities:
  - {name: user, join_keys: [{name: user_id, type: int64}]}
sources:
  - {name: snaps, dataset: snaps, timestamp_field: ts}
  - {name: txns, dataset: txns, timestamp_field: event_time}
feature_views:
  - name: profile
    entities: [user]
    source: snaps
    features:
      - {name: credit_limit, type: float64}
      - {name: tier, type: string}
  - name: velocity
    entities: [user]
    source: txns
    aggregations:
      - {column: amount, type: float64, function: max, windows: [7d]}
on_demand_views:
  - name: txn
    request_fields:
      - {name: amount, type: float64}
    features:
      - {name: over_limit, type: float64, expression: "amount / profile.credit_limit"}
      - name: big
        type: bool
        expression: amount > 3 * coalesce(velocity.amount_max_7d, 0)
      - name: note
        type: string
        expression: |
          if(profile.tier == 'gold',
             'vip', lower(profile.tier))
services:
  - {name: fraud_plus, features: ["profile:*", "txn:*"]}
  - {name: only_big, features: ["txn:big"]}
)";

// "f.yaml:LINE:COLUMN" of the first `what` in `yaml`.
std::string At(const std::string& yaml, const std::string& what) {
  const size_t at = yaml.find(what);
  EXPECT_NE(at, std::string::npos) << what;
  const size_t line_start = yaml.rfind('\n', at) + 1;  // npos + 1 = 0
  const int line = static_cast<int>(std::count(yaml.begin(), yaml.begin() + at, '\n')) + 1;
  return absl::StrCat("f.yaml:", line, ":", at - line_start + 1);
}

TEST(FeatureDefinitionsTest, OnDemandViewsCompileTheirExpressions) {
  StatusOr<FeatureDefinitions> d = FeatureDefinitions::Parse(kOnDemand, "f.yaml");
  ASSERT_TRUE(d.ok()) << d.status();
  const OnDemandView* v = d->FindOnDemandView("txn");
  ASSERT_NE(v, nullptr);
  EXPECT_EQ(d->FindView("txn"), nullptr);
  ASSERT_EQ(v->features.size(), 3u);
  EXPECT_EQ(v->features[1].type, DataType::kBool);
  EXPECT_EQ(v->features[2].expression,
            "if(profile.tier == 'gold',\n   'vip', lower(profile.tier))\n");
  ASSERT_NE(v->features[0].compiled, nullptr);
  std::vector<std::string> inputs;
  for (const TypedName& in : v->inputs) inputs.push_back(in.name);
  EXPECT_THAT(inputs, ::testing::ElementsAre("amount", "profile.credit_limit",
                                             "velocity.amount_max_7d", "profile.tier"));
  EXPECT_EQ(v->feature_inputs.size(), 3u);
  std::vector<std::string> service;
  for (const FeatureRef& r : d->FindService("fraud_plus")->features) {
    service.push_back(absl::StrCat(r.view, ":", r.feature));
  }
  EXPECT_THAT(service, ::testing::ElementsAre("profile:credit_limit", "profile:tier",
                                              "txn:over_limit", "txn:big", "txn:note"));
  std::vector<std::string> columns;
  for (const TypedName& c : d->EntityColumns(*d->FindService("only_big"))) {
    columns.push_back(absl::StrCat(c.name, " ", std::string(DataTypeName(c.type))));
  }
  EXPECT_THAT(columns, ::testing::ElementsAre("user_id int64", "amount float64"));
}

TEST(FeatureDefinitionsTest, OnDemandErrorsPointIntoTheExpression) {
  const std::string good(kOnDemand);
  // A double-quoted scalar, a plain one and a block scalar (second line).
  std::string yaml = Replace(good, "profile.credit_limit\"", "profile.credit_limt\"");
  EXPECT_EQ(ErrorOf(yaml),
            At(yaml, "profile.credit_limt") +
                ": on-demand view 'txn': feature 'over_limit': feature view 'profile' has no "
                "feature 'credit_limt'. Did you mean 'credit_limit'? Features: credit_limit, tier");
  yaml = Replace(good, "velocity.amount_max_7d", "velocity.amount_mx_7d");
  EXPECT_THAT(ErrorOf(yaml), HasSubstr(At(yaml, "velocity.amount_mx") +
                                       ": on-demand view 'txn': feature 'big': feature view "
                                       "'velocity' has no feature 'amount_mx_7d'. Did you mean "
                                       "'amount_max_7d'?"));
  yaml = Replace(good, "lower(", "lowr(");
  EXPECT_THAT(ErrorOf(yaml), HasSubstr(At(yaml, "lowr(") + ": on-demand view 'txn': feature "
                                                           "'note': unknown function 'lowr'. Did "
                                                           "you mean 'lower'?"));
  yaml = Replace(good, "\"amount /", "\"amout /");
  EXPECT_EQ(ErrorOf(yaml), At(yaml, "amout") +
                               ": on-demand view 'txn': feature 'over_limit': unknown name "
                               "'amout'. Did you mean 'amount'? Request fields: amount; features "
                               "of feature views: view.feature");
  yaml = Replace(good, "/ profile.credit_limit", "/ credit_limit");
  EXPECT_THAT(ErrorOf(yaml), HasSubstr("unknown name 'credit_limit'. Features are named "
                                       "view.feature: 'profile.credit_limit'?"));
  yaml = Replace(good, "/ profile.credit_limit", "/ profil.credit_limit");
  EXPECT_THAT(ErrorOf(yaml), HasSubstr("unknown feature view 'profil'. Did you mean "
                                       "'profile.credit_limit'?"));
  yaml = Replace(good, "/ profile.credit_limit", "/ txn.over_limit");
  EXPECT_THAT(ErrorOf(yaml), HasSubstr("'txn' is an on-demand view; expressions read request "
                                       "fields and features of feature views only"));
  yaml = Replace(good, "\"amount / profile.credit_limit\"", "\"amount / (1 + \"");
  EXPECT_THAT(ErrorOf(yaml), HasSubstr("expected a value"));
  // Types.
  yaml = Replace(good, "{name: over_limit, type: float64", "{name: over_limit, type: string");
  EXPECT_EQ(ErrorOf(yaml), At(yaml, "amount /") +
                               ": on-demand view 'txn': feature 'over_limit': declared string but "
                               "the expression gives float64; change the type or the expression");
  yaml = Replace(good, "{name: over_limit, type: float64", "{name: over_limit, type: int64");
  EXPECT_EQ(ErrorOf(yaml), "ok");  // checked per value: an integer converts
  // Request fields and names.
  yaml = Replace(good, "{name: amount, type: float64}", "{name: user_id, type: int64}");
  EXPECT_EQ(ErrorOf(yaml), At(yaml, "user_id, type: int64}\n    features") +
                               ": on-demand view 'txn': request field 'user_id' has the name of a "
                               "join key of entity 'user'; requests carry both by name, so rename "
                               "it");
  yaml = Replace(good, "{name: amount, type: float64}", "{name: not, type: float64}");
  EXPECT_THAT(ErrorOf(yaml), HasSubstr("request field 'not' is a word of the expression"));
  yaml = Replace(good, "{name: amount, type: float64}", "{name: big, type: float64}");
  EXPECT_THAT(ErrorOf(yaml), HasSubstr("request field 'big' has the name of one of the view's"));
  yaml = Replace(good, "  - name: txn\n",
                 "  - {name: first, request_fields: [{name: amount, type: int64}], features: "
                 "[{name: a, type: int64, expression: amount}]}\n  - name: txn\n");
  EXPECT_THAT(ErrorOf(yaml), HasSubstr("request field 'amount' is declared float64 here but int64 "
                                       "in on-demand view 'first'"));
  yaml = Replace(good, "  - name: txn\n", "  - name: profile\n");
  EXPECT_THAT(ErrorOf(yaml), HasSubstr("on-demand view 'profile': a feature view has this name"));
  yaml = Replace(good, "    request_fields:\n", "    request_field:\n");
  EXPECT_THAT(ErrorOf(yaml), HasSubstr("unknown key 'request_field'. Did you mean "
                                       "'request_fields'?"));
  yaml = Replace(good, "\"txn:big\"", "\"txn:bigg\"");
  EXPECT_THAT(ErrorOf(yaml), HasSubstr("service 'only_big': on-demand view 'txn' has no feature "
                                       "'bigg'. Did you mean 'big'?"));
  yaml = Replace(good, "\"txn:big\"", "\"tx:big\"");
  EXPECT_THAT(ErrorOf(yaml), HasSubstr("Did you mean 'txn'?"));
  yaml = Replace(good, ", expression: \"amount / profile.credit_limit\"", "");
  EXPECT_THAT(ErrorOf(yaml), HasSubstr("feature 'over_limit': missing 'expression'"));
}

}  // namespace
}  // namespace keel::features
