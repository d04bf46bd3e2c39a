#include "keel/features/push.h"

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "keel/base/testing/temp_dir.h"
#include "keel/features/embedded_online_store.h"

namespace keel::features {
namespace {

using ::testing::HasSubstr;

constexpr char kDefs[] = R"(entities:
  - {name: customer, join_keys: [{name: customer_id, type: int64}]}
sources:
  - {name: cs, dataset: c, timestamp_field: event_time}
feature_views:
  - name: stats
    entities: [customer]
    source: cs
    features: [{name: spend, type: float64}, {name: tier, type: string}, {name: vip, type: bool}]
)";

class PushTest : public ::testing::Test {
 protected:
  void SetUp() override {
    defs_ = *FeatureDefinitions::Parse(kDefs, "f.yaml");
    store_ = *EmbeddedOnlineStore::Open(dir_.path());
  }
  std::string Error(std::string_view body) {
    return std::string(ParsePushRequest(defs_, body).status().message());
  }
  testing::TempDir dir_;
  FeatureDefinitions defs_;
  std::unique_ptr<EmbeddedOnlineStore> store_;
};

TEST_F(PushTest, PushedRowsAreReadBackTypedAndNewestWins) {
  StatusOr<PushRequest> r = ParsePushRequest(defs_, R"({"feature_view": "stats", "df": {
      "customer_id": [1, 2, 1],
      "event_time": ["2024-01-02T00:00:00Z", 1000000, "2024-01-01T00:00:00Z"],
      "spend": [2.5, 3, 9.0], "tier": ["gold", null, "x"]}})");
  ASSERT_TRUE(r.ok()) << r.status();
  StatusOr<int64_t> n = PushToOnlineStore(defs_, *r, *store_);
  ASSERT_TRUE(n.ok()) << n.status();
  EXPECT_EQ(*n, 3);
  const OnlineView view = OnlineView::From(defs_, *defs_.FindView("stats"));
  std::vector<std::string> keys = {"customer_id=1", "customer_id=2"};
  std::vector<std::string> features = {"spend", "tier", "vip"};
  std::vector<OnlineRow> rows;
  ASSERT_TRUE(store_->Read(view, keys, features, 0, &rows).ok());
  EXPECT_EQ(rows[0].values[0].float_value, 2.5);  // the later event, though pushed first
  EXPECT_EQ(rows[0].values[1].string_value, "gold");
  EXPECT_TRUE(rows[0].values[2].is_null);  // not pushed: null
  EXPECT_EQ(rows[0].event_time, 1'704'153'600'000'000);
  EXPECT_EQ(rows[1].values[0].float_value, 3.0);  // an integer for a float64 is fine
  EXPECT_EQ(rows[1].event_time, 1'000'000);
  EXPECT_TRUE(rows[1].values[1].is_null);
}

TEST_F(PushTest, BadPushesSayWhatAndWhere) {
  EXPECT_THAT(Error("{"), HasSubstr("not a JSON object"));
  EXPECT_EQ(ParsePushRequest(defs_, R"({"feature_view": "stat", "df": {}})").status().code(),
            absl::StatusCode::kNotFound);
  EXPECT_THAT(Error(R"({"feature_view": "stat", "df": {}})"), HasSubstr("Did you mean 'stats'"));
  EXPECT_THAT(Error(R"({"feature_view": "stats", "df": {"customer_id": [1],
                       "event_time": [1], "spnd": [1]}})"),
              HasSubstr("df.spnd is not a join key, the timestamp field or a feature"));
  EXPECT_THAT(Error(R"({"feature_view": "stats", "df": {"customer_id": [1], "spend": [1]}})"),
              HasSubstr("df has no column 'event_time' (the timestamp field"));
  EXPECT_THAT(Error(R"({"feature_view": "stats", "df": {"event_time": [1], "spend": [1]}})"),
              HasSubstr("df has no column 'customer_id' (a join key"));
  EXPECT_THAT(Error(R"({"feature_view": "stats", "df": {"customer_id": [1, 2],
                       "event_time": [1]}})"),
              HasSubstr("every column needs one value per row"));
  EXPECT_THAT(Error(R"({"feature_view": "stats", "df": {"customer_id": [1],
                       "event_time": [1], "spend": ["a lot"]}})"),
              HasSubstr("df.spend[0]: expected a number (float64), found string"));
  EXPECT_THAT(Error(R"({"feature_view": "stats", "df": {"customer_id": [1],
                       "event_time": ["yesterday"]}})"),
              HasSubstr("df.event_time[0]: "));
  EXPECT_THAT(Error(R"({"feature_view": "stats", "df": {"customer_id": [null],
                       "event_time": [1]}})"),
              HasSubstr("df.customer_id[0] is null"));
  EXPECT_THAT(Error(R"({"feature_view": "stats", "to": "lake", "df": {"customer_id": [1],
                       "event_time": [1]}})"),
              HasSubstr("'to' is \"lake\"; it must be \"online\" (the default), \"offline\" or "
                        "\"online_and_offline\""));
}

TEST_F(PushTest, ToSaysWhereTheRowsGo) {
  const std::string df = R"("df": {"customer_id": [1], "event_time": [1]})";
  for (const auto& [to, want] : {std::pair<std::string, PushTo>{"", PushTo::kOnline},
                                 {R"("to": "online",)", PushTo::kOnline},
                                 {R"("to": "offline",)", PushTo::kOffline},
                                 {R"("to": "online_and_offline",)", PushTo::kOnlineAndOffline}}) {
    StatusOr<PushRequest> r =
        ParsePushRequest(defs_, absl::StrCat(R"({"feature_view": "stats", )", to, df, "}"));
    ASSERT_TRUE(r.ok()) << to << ": " << r.status();
    EXPECT_EQ(r->to, want) << to;
  }
}

}  // namespace
}  // namespace keel::features
