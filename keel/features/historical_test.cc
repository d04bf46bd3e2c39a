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

}  // namespace
}  // namespace keel::features
