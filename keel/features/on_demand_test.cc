// On-demand features: one row function for every path. Offline
// (get-historical) and online (get-online-features over a materialised
// store) give the same values bit for bit, nulls included, on random data.
#include "keel/features/on_demand.h"

#include <cmath>
#include <cstring>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "keel/base/testing/temp_dir.h"
#include "keel/base/time.h"
#include "keel/features/embedded_online_store.h"
#include "keel/features/historical.h"
#include "keel/features/materialize.h"
#include "keel/features/online_features.h"
#include "nlohmann/json.hpp"

namespace keel::features {
namespace {

using ::testing::HasSubstr;
using json = nlohmann::json;

constexpr int64_t kHour = 3'600'000'000LL;
constexpr int64_t kDay = 24 * kHour;

constexpr char kDefs[] = R"yaml(entities:
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
      - {name: cards, type: int64}
  - name: velocity
    entities: [user]
    source: txns
    aggregations:
      - {column: amount, type: float64, function: max, windows: [7d]}
      - {column: amount, type: float64, function: count, windows: [1d]}
on_demand_views:
  - name: ctx
    request_fields:
      - {name: amount, type: float64}
      - {name: at, type: timestamp}
      - {name: channel, type: string}
    features:
      - {name: ratio, type: float64, expression: "amount / profile.credit_limit"}
      - {name: big, type: bool, expression: "amount > 3 * coalesce(velocity.amount_max_7d, 0)"}
      - name: score
        type: float64
        expression: "log1p(amount) * coalesce(profile.cards, 1) - sqrt(velocity.amount_count_1d)"
      - {name: night, type: bool, expression: "hour(at) < 6 or dow(at) >= 5"}
      - name: label
        type: string
        expression: >-
          if(profile.tier == 'gold', upper(channel),
             lower(coalesce(profile.tier, 'none')))
      - {name: bucket, type: int64, expression: "floor(amount / 10) % 7"}
services:
  - {name: svc, features: ["ctx:*"]}
)yaml";

FeatureValue F(double v) {
  return {.type = DataType::kFloat64, .is_null = false, .float_value = v};
}

// The bits of a float64, so that -0.0 and 0.0 differ.
uint64_t Bits(double d) {
  uint64_t u;
  std::memcpy(&u, &d, sizeof(u));
  return u;
}

TEST(OnDemandTest, ColumnsAreTheRowFunctionOverEveryRow) {
  const FeatureDefinitions defs = *FeatureDefinitions::Parse(kDefs, "f.yaml");
  const OnDemandView& view = *defs.FindOnDemandView("ctx");
  // Slots: amount, at, channel, profile.credit_limit, velocity.amount_max_7d,
  // profile.cards, velocity.amount_count_1d, profile.tier.
  ASSERT_EQ(view.inputs.size(), 8u);
  std::mt19937 rng(7);
  std::vector<ColumnBuilder> b;
  for (const TypedName& in : view.inputs) b.emplace_back(in.type);
  const int64_t rows = 500;
  for (int64_t r = 0; r < rows; ++r) {
    for (size_t s = 0; s < b.size(); ++s) {
      if (rng() % 6 == 0) {
        b[s].AppendNull();
        continue;
      }
      const double x = static_cast<int>(rng() % 2001) / 8.0 - 50;
      switch (view.inputs[s].type) {
        case DataType::kFloat64:
          b[s].AppendFloat64(rng() % 20 == 0 ? std::numeric_limits<double>::quiet_NaN()
                                             : (rng() % 10 == 0 ? 0.0 : x));
          break;
        case DataType::kInt64:
          b[s].AppendInt64(static_cast<int64_t>(rng() % 5));
          break;
        case DataType::kTimestamp:
          b[s].AppendTimestamp(static_cast<int64_t>(rng() % 1000) * kHour);
          break;
        default:
          b[s].AppendString(std::vector<std::string>{"gold", "Silver", "WEB"}[rng() % 3]);
      }
    }
  }
  std::vector<Column> inputs;
  for (ColumnBuilder& x : b) inputs.push_back(x.Finish());
  std::vector<std::string> names;
  for (const OnDemandFeature& f : view.features) names.push_back(f.name);
  // Integral floats only for `bucket`: floor() keeps it an integer.
  StatusOr<std::vector<Column>> columns = ComputeOnDemandColumns(view, names, inputs, rows);
  ASSERT_TRUE(columns.ok()) << columns.status();
  const std::vector<int> all = *OnDemandFeatureIndices(view, names);
  std::vector<FeatureValue> in(inputs.size()), out(names.size());
  int64_t nulls = 0;
  for (int64_t r = 0; r < rows; ++r) {
    for (size_t s = 0; s < inputs.size(); ++s) in[s] = ValueAt(inputs[s], r);
    ASSERT_TRUE(EvaluateOnDemandRow(view, all, in, r, out).ok());
    for (size_t f = 0; f < names.size(); ++f) {
      const FeatureValue offline = ValueAt((*columns)[f], r);
      nulls += offline.is_null;
      ASSERT_EQ(offline.is_null, out[f].is_null) << names[f] << " row " << r;
      ASSERT_EQ(offline.type, view.features[f].type);
      ASSERT_EQ(offline.int_value, out[f].int_value) << names[f] << " row " << r;
      ASSERT_EQ(Bits(offline.float_value), Bits(out[f].float_value)) << names[f] << " row " << r;
      ASSERT_EQ(offline.string_value, out[f].string_value);
    }
  }
  EXPECT_GT(nulls, 100);
}

TEST(OnDemandTest, AnInt64FeatureNeedsAnIntegerAndSaysWhichRow) {
  const FeatureDefinitions defs = *FeatureDefinitions::Parse(R"(on_demand_views:
  - name: r
    request_fields: [{name: x, type: float64}]
    features: [{name: half, type: int64, expression: x / 2}]
)",
                                                             "f.yaml");
  const OnDemandView& view = *defs.FindOnDemandView("r");
  std::vector<FeatureValue> out(1);
  const std::vector<int> first = {0};
  std::vector<FeatureValue> in = {F(8)};
  ASSERT_TRUE(EvaluateOnDemandRow(view, first, in, 0, out).ok());
  EXPECT_EQ(out[0], (FeatureValue{.type = DataType::kInt64, .is_null = false, .int_value = 4}));
  in = {F(3)};
  const Status s = EvaluateOnDemandRow(view, first, in, 12, out);
  EXPECT_THAT(s.message(), HasSubstr("on-demand feature r:half (declared int64) at row 12: the "
                                     "expression gave float64 1.5, not an int64; use floor()"));
  // An int64 column serves a float64 slot; a string column does not.
  ColumnBuilder ints(DataType::kInt64);
  ints.AppendInt64(6);
  const std::vector<std::string> half = {"half"};
  std::vector<Column> columns = {ints.Finish()};
  StatusOr<std::vector<Column>> got = ComputeOnDemandColumns(view, half, columns, 1);
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ((*got)[0].Int64Values()[0], 3);
  ColumnBuilder text(DataType::kString);
  text.AppendString("6");
  columns = {text.Finish()};
  EXPECT_THAT(ComputeOnDemandColumns(view, half, columns, 1).status().message(),
              HasSubstr("input 'x': expected float64, found string"));
  const std::vector<std::string> unknown = {"halff"};
  EXPECT_THAT(ComputeOnDemandColumns(view, unknown, columns, 1).status().message(),
              HasSubstr("has no feature 'halff'. Did you mean 'half'?"));
}

TEST(OnDemandTest, YamlScalarPositionsFollowQuotesAndBlocks) {
  // Plain, quoted (with an escape) and a literal block on its second line.
  EXPECT_EQ(YamlScalarPosition("e: a + b", 3, 0, 3, 4), std::make_pair(1, 8));
  EXPECT_EQ(YamlScalarPosition(R"(e: "\"a\" + b")", 3, 0, 3, 6), std::make_pair(1, 13));
  EXPECT_EQ(YamlScalarPosition("e: 'it''s + b'", 3, 0, 3, 7), std::make_pair(1, 13));
  const std::string block = "e: |\n  abc\n  de f\n";
  EXPECT_EQ(YamlScalarPosition(block, 3, 0, 3, 7), std::make_pair(3, 6));
}

// Random profiles and transactions; entity rows at the materialisation
// time with random request fields. get-historical and get-online-features
// must agree on every on-demand value, bit for bit.
TEST(OnDemandTest, OfflineAndOnlineAreBitIdentical) {
  const FeatureDefinitions defs = *FeatureDefinitions::Parse(kDefs, "f.yaml");
  const int64_t now = *ParseTimestamp("2024-03-01T00:00:00Z");
  std::mt19937 rng(11);
  auto chance = [&](int percent) { return static_cast<int>(rng() % 100) < percent; };
  ColumnBuilder su(DataType::kInt64), sts(DataType::kTimestamp), limit(DataType::kFloat64),
      tier(DataType::kString), cards(DataType::kInt64);
  for (int user = 1; user <= 30; ++user) {
    for (int k = 0; k < 2; ++k) {
      su.AppendInt64(user);
      sts.AppendTimestamp(now - static_cast<int64_t>(1 + rng() % 400) * kHour);
      chance(15) ? limit.AppendNull()
                 : limit.AppendFloat64(chance(10) ? 0.0 : (50 + rng() % 5000) / 3.0);
      chance(20) ? tier.AppendNull() : tier.AppendString(chance(50) ? "gold" : "Silver");
      chance(20) ? cards.AppendNull() : cards.AppendInt64(rng() % 4);
    }
  }
  const Table snaps =
      *Table::Make({"user_id", "ts", "credit_limit", "tier", "cards"},
                   {su.Finish(), sts.Finish(), limit.Finish(), tier.Finish(), cards.Finish()});
  ColumnBuilder tu(DataType::kInt64), tts(DataType::kTimestamp), amount(DataType::kFloat64);
  for (int e = 0; e < 400; ++e) {
    tu.AppendInt64(1 + rng() % 30);
    tts.AppendTimestamp(now - static_cast<int64_t>(rng() % (10 * 24 * 60)) * 60'000'000);
    chance(10) ? amount.AppendNull() : amount.AppendFloat64((rng() % 100000) / 100.0);
  }
  const Table txns = *Table::Make({"user_id", "event_time", "amount"},
                                  {tu.Finish(), tts.Finish(), amount.Finish()});

  const int rows = 200;
  json request = {{"feature_service", "svc"}};
  ColumnBuilder eu(DataType::kInt64), ets(DataType::kTimestamp), ea(DataType::kFloat64),
      eat(DataType::kTimestamp), ech(DataType::kString);
  for (int r = 0; r < rows; ++r) {
    const int64_t user = 1 + rng() % 35;  // 31..35 are unknown
    const int64_t at = now - static_cast<int64_t>(rng() % 500) * 7 * 60'000'000;
    const std::string channel = std::vector<std::string>{"Web", "APP", "pos"}[rng() % 3];
    eu.AppendInt64(user);
    ets.AppendTimestamp(now);
    eat.AppendTimestamp(at);
    ech.AppendString(channel);
    request["entities"]["user_id"].push_back(user);
    request["request_context"]["at"].push_back(FormatRfc3339(at));
    request["request_context"]["channel"].push_back(channel);
    if (chance(10)) {
      ea.AppendNull();
      request["request_context"]["amount"].push_back(nullptr);
    } else {
      const double a = (rng() % 200000) / 64.0;
      ea.AppendFloat64(a);
      request["request_context"]["amount"].push_back(a);
    }
  }
  const Table entities =
      *Table::Make({"user_id", "ts", "amount", "at", "channel"},
                   {eu.Finish(), ets.Finish(), ea.Finish(), eat.Finish(), ech.Finish()});
  auto read = [&](const Source& s) -> StatusOr<Table> { return s.name == "snaps" ? snaps : txns; };
  StatusOr<Table> offline = GetHistoricalFeatures(defs, "svc", entities, "ts", read);
  ASSERT_TRUE(offline.ok()) << offline.status();
  ASSERT_EQ(offline->num_columns(), 5 + 6);
  EXPECT_EQ(offline->schema().field(5).name, "ctx__ratio");

  testing::TempDir dir;
  std::unique_ptr<EmbeddedOnlineStore> store = *EmbeddedOnlineStore::Open(dir.path());
  ASSERT_TRUE(MaterializeView(defs, *defs.FindView("profile"), snaps, 0, now, *store).ok());
  ASSERT_TRUE(MaterializeView(defs, *defs.FindView("velocity"), txns, 0, now, *store).ok());
  StatusOr<OnlineFeaturesRequest> parsed = ParseOnlineFeaturesRequest(request.dump());
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  StatusOr<std::string> online = GetOnlineFeaturesJson(defs, *store, *parsed, now);
  ASSERT_TRUE(online.ok()) << online.status();
  const json body = json::parse(*online);
  // Request fields are not echoed: user_id, then the six features.
  ASSERT_EQ(body["metadata"]["feature_names"],
            json::parse(R"(["user_id","ratio","big","score","night","label","bucket"])"));
  int64_t nulls = 0, compared = 0;
  for (int f = 0; f < 6; ++f) {
    const Column& column = offline->column(5 + f);
    const json& values = body["results"][1 + f]["values"];
    const json& statuses = body["results"][1 + f]["statuses"];
    for (int r = 0; r < rows; ++r) {
      const std::string label = absl::StrCat(column.ValueToString(r), " vs ", values[r].dump(),
                                             ": feature ", f, " row ", r);
      ++compared;
      if (column.IsNull(r)) {
        ++nulls;
        ASSERT_TRUE(values[r].is_null()) << label;
        ASSERT_EQ(statuses[r], "NULL_VALUE") << label;
        continue;
      }
      ASSERT_EQ(statuses[r], "PRESENT") << label;
      switch (column.type()) {
        case DataType::kFloat64:
          ASSERT_EQ(Bits(values[r].get<double>()), Bits(column.Float64Values()[r])) << label;
          break;
        case DataType::kBool:
          ASSERT_EQ(values[r].get<bool>(), column.BoolValues()[r] != 0) << label;
          break;
        case DataType::kInt64:
          ASSERT_EQ(values[r].get<int64_t>(), column.Int64Values()[r]) << label;
          break;
        default:
          ASSERT_EQ(values[r].get<std::string>(), std::string(column.StringAt(r))) << label;
      }
    }
  }
  EXPECT_EQ(compared, 6 * rows);
  EXPECT_GT(nulls, 40);            // unknown users, null amounts and limits, 0 limits
  EXPECT_LT(nulls, compared / 2);  // and mostly values
}

}  // namespace
}  // namespace keel::features
