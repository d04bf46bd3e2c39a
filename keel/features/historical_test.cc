#include "keel/features/historical.h"

#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "keel/table/column.h"

namespace keel::features {
namespace {

using ::testing::HasSubstr;

constexpr char kDefs[] = R"(entities:
  - {name: user, join_keys: [{name: user_id, type: int64}]}
sources:
  - {name: src, dataset: d, timestamp_field: at}
feature_views:
  - {name: v, entities: [user], source: src, ttl: 1h, features: [{name: score, type: float64}]}
services:
  - {name: s, features: ["v:score"]}
)";

Column Ints(std::vector<int64_t> v, DataType type = DataType::kInt64) {
  ColumnBuilder b(type);
  for (int64_t x : v) type == DataType::kInt64 ? b.AppendInt64(x) : b.AppendTimestamp(x);
  return b.Finish();
}

class HistoricalTest : public ::testing::Test {
 protected:
  void SetUp() override {
    defs_ = *FeatureDefinitions::Parse(kDefs, "f.yaml");
    entities_ =
        *Table::Make({"user_id", "ts"},
                     {Ints({1, 1}), Ints({3'600'000'000, 3'600'000'001}, DataType::kTimestamp)});
  }
  FeatureDefinitions defs_;
  Table entities_;
};

TEST_F(HistoricalTest, JoinsWithTheViewsTtlAndQualifiedNames) {
  ColumnBuilder score(DataType::kFloat64);
  score.AppendFloat64(0.5);
  Table rows = *Table::Make({"user_id", "at", "score"},
                            {Ints({1}), Ints({0}, DataType::kTimestamp), score.Finish()});
  StatusOr<Table> out =
      GetHistoricalFeatures(defs_, "s", entities_, "ts", [&](const Source&) { return rows; });
  ASSERT_TRUE(out.ok()) << out.status();
  ASSERT_EQ(out->schema().names(), (std::vector<std::string>{"user_id", "ts", "v__score"}));
  const Column c = out->column(2);
  EXPECT_EQ(c.Float64Values()[0], 0.5);  // exactly 1h old: within the TTL
  EXPECT_TRUE(c.IsNull(1));              // 1h + 1us old: past it
}

TEST_F(HistoricalTest, TypeMismatchAndUnknownServiceAreNamed) {
  Table rows = *Table::Make({"user_id", "at", "score"},
                            {Ints({1}), Ints({0}, DataType::kTimestamp), Ints({3})});
  auto read = [&](const Source&) -> StatusOr<Table> { return rows; };
  StatusOr<Table> out = GetHistoricalFeatures(defs_, "s", entities_, "ts", read);
  EXPECT_EQ(std::string(out.status().message()),
            "feature view 'v': source 'src' (dataset d): column 'score' (feature declared at "
            "f.yaml:6:73): expected float64, found int64");
  out = GetHistoricalFeatures(defs_, "ss", entities_, "ts", read);
  EXPECT_EQ(out.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(out.status().message(), HasSubstr("Did you mean 's'?"));
  out = GetHistoricalFeatures(defs_, "s", entities_, "time", read);
  EXPECT_THAT(out.status().message(),
              HasSubstr("the entity rows have no column 'time' (the event time)."));
}

// On-demand features over the joined columns, hand-computed: the view's
// feature is joined (TTL included) though the service does not list it.
TEST(HistoricalOnDemandTest, ComputesFromRequestFieldsAndJoinedFeatures) {
  std::string yaml(kDefs);
  yaml.replace(yaml.find("services:\n"), 10, R"(on_demand_views:
  - name: od
    request_fields: [{name: amount, type: float64}]
    features:
      - {name: share, type: float64, expression: "amount / v.score"}
      - {name: flag, type: bool, expression: "is_null(v.score) or amount > 1"}
services:
  - {name: s2, features: ["od:*"]}
)");
  StatusOr<FeatureDefinitions> parsed = FeatureDefinitions::Parse(yaml, "f.yaml");
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  const FeatureDefinitions& defs = *parsed;
  ColumnBuilder score(DataType::kFloat64);
  score.AppendFloat64(0.5);
  score.AppendFloat64(4);
  const Table rows =
      *Table::Make({"user_id", "at", "score"},
                   {Ints({1, 1}), Ints({0, 3'600'000'000}, DataType::kTimestamp), score.Finish()});
  auto read = [&](const Source&) -> StatusOr<Table> { return rows; };
  ColumnBuilder amount(DataType::kFloat64);
  for (double a : {2.0, 0.5, 1.0}) amount.AppendFloat64(a);
  amount.AppendNull();
  const int64_t h = 3'600'000'000;
  const Table entities = *Table::Make(
      {"user_id", "ts", "amount"},
      {Ints({1, 1, 1, 2}), Ints({h / 2, h, 3 * h, h}, DataType::kTimestamp), amount.Finish()});
  StatusOr<Table> out = GetHistoricalFeatures(defs, "s2", entities, "ts", read);
  ASSERT_TRUE(out.ok()) << out.status();
  ASSERT_EQ(out->schema().names(),
            (std::vector<std::string>{"user_id", "ts", "amount", "od__share", "od__flag"}));
  // score: 0.5, 4, null (2h old, TTL 1h), null (unknown user).
  const Column share = out->column(3);
  EXPECT_EQ(share.Float64Values()[0], 4.0);
  EXPECT_EQ(share.Float64Values()[1], 0.125);
  EXPECT_TRUE(share.IsNull(2));
  EXPECT_TRUE(share.IsNull(3));
  const Column flag = out->column(4);
  EXPECT_EQ(std::vector<uint8_t>(flag.BoolValues().begin(), flag.BoolValues().end()),
            (std::vector<uint8_t>{1, 0, 1, 1}));
  EXPECT_EQ(flag.null_count(), 0);

  // An int64 amount column serves the float64 field; a missing or string one is named.
  const Table ints = *Table::Make({"user_id", "ts", "amount"},
                                  {Ints({1}), Ints({h}, DataType::kTimestamp), Ints({8})});
  out = GetHistoricalFeatures(defs, "s2", ints, "ts", read);
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_EQ(out->column(3).Float64Values()[0], 2.0);
  out = GetHistoricalFeatures(defs, "s2", *entities.SelectColumns({"user_id", "ts"}), "ts", read);
  EXPECT_THAT(out.status().message(),
              HasSubstr("the entity rows have no column 'amount' (request field of on-demand "
                        "view 'od')"));
  ColumnBuilder text(DataType::kString);
  text.AppendString("8");
  out = GetHistoricalFeatures(
      defs, "s2",
      *Table::Make({"user_id", "ts", "amount"},
                   {Ints({1}), Ints({h}, DataType::kTimestamp), text.Finish()}),
      "ts", read);
  EXPECT_THAT(out.status().message(),
              HasSubstr("column 'amount' (request field of on-demand view 'od'): expected "
                        "float64, found string"));
}

}  // namespace
}  // namespace keel::features
