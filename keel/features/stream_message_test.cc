#include "keel/features/stream_message.h"

#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace keel::features {
namespace {

using ::testing::HasSubstr;

constexpr char kDefs[] = R"(entities:
  - {name: customer, join_keys: [{name: customer_id, type: int64}]}
  - {name: card, join_keys: [{name: card, type: string}]}
sources:
  - {name: cs, dataset: c, timestamp_field: event_time}
  - {name: ks, dataset: k, timestamp_field: ts}
feature_views:
  - name: stats
    entities: [customer]
    source: cs
    features: [{name: spend, type: float64}, {name: orders, type: int64},
               {name: tier, type: string}, {name: vip, type: bool}, {name: seen, type: timestamp}]
  - name: cards
    entities: [card]
    source: ks
    features: [{name: limit, type: float64}]
)";

StreamMessage Message(std::string id, std::vector<std::pair<std::string, std::string>> fields) {
  return {.id = std::move(id), .fields = std::move(fields)};
}

class StreamMessageTest : public ::testing::Test {
 protected:
  void SetUp() override { defs_ = *FeatureDefinitions::Parse(kDefs, "f.yaml"); }
  // The reason `m` is refused (empty when it is not).
  std::string Reason(StreamMessage m, std::string_view default_view = "stats") {
    const ParsedStreamBatch b = ParseStreamMessages(defs_, default_view, {&m, 1});
    return b.bad.empty() ? "" : b.bad[0].reason;
  }
  FeatureDefinitions defs_;
};

TEST_F(StreamMessageTest, TypesTextFieldsPerViewInMessageOrder) {
  const std::vector<StreamMessage> in = {
      Message("1-0", {{"customer_id", "7"},
                      {"event_time", "2024-01-02T00:00:00Z"},
                      {"spend", "2.5"},
                      {"orders", "3"},
                      {"tier", "gold"},
                      {"vip", "true"},
                      {"seen", "1000000"}}),
      Message("2-0", {{"feature_view", "cards"}, {"card", "c-1"}, {"ts", "5"}, {"limit", ""}}),
      Message("3-0", {{"customer_id", "8"}, {"event_time", "17"}, {"vip", "0"}}),
  };
  const ParsedStreamBatch b = ParseStreamMessages(defs_, "stats", in);
  ASSERT_TRUE(b.bad.empty()) << b.bad[0].reason;
  ASSERT_EQ(b.views.size(), 2u);
  const ParsedStreamBatch::ViewRows& stats = b.views[0];
  EXPECT_EQ(stats.request.feature_view, "stats");
  EXPECT_EQ(stats.messages, (std::vector<size_t>{0, 2}));
  EXPECT_EQ(stats.event_times, (std::vector<int64_t>{1'704'153'600'000'000, 17}));
  const Table& t = stats.request.rows;
  ASSERT_EQ(t.num_rows(), 2);
  EXPECT_EQ(t.ColumnByName("customer_id")->Int64Values()[1], 8);
  EXPECT_EQ(t.ColumnByName("spend")->Float64Values()[0], 2.5);
  EXPECT_TRUE(t.ColumnByName("spend")->IsNull(1));  // absent: null
  EXPECT_EQ(t.ColumnByName("orders")->Int64Values()[0], 3);
  EXPECT_EQ(t.ColumnByName("tier")->StringAt(0), "gold");
  EXPECT_EQ(t.ColumnByName("vip")->BoolValues()[1], 0);
  EXPECT_EQ(t.ColumnByName("seen")->TimestampValues()[0], 1'000'000);
  const ParsedStreamBatch::ViewRows& cards = b.views[1];
  EXPECT_EQ(cards.request.feature_view, "cards");
  EXPECT_EQ(cards.request.rows.ColumnByName("card")->StringAt(0), "c-1");
  // "" is null; a column no row gives is left out (push stores it as null).
  EXPECT_FALSE(cards.request.rows.ColumnByName("limit").ok());
}

TEST_F(StreamMessageTest, BadMessagesSayWhatIsWrongAndTheOthersStay) {
  EXPECT_THAT(Reason(Message("1-0", {{"feature_view", "stat"}})),
              HasSubstr("unknown feature view 'stat'. Did you mean 'stats'?"));
  EXPECT_THAT(Reason(Message("1-0", {{"customer_id", "1"}}), ""),
              HasSubstr("no 'feature_view' field, and the consumer has no default view"));
  EXPECT_THAT(Reason(Message("1-0", {{"event_time", "1"}, {"spend", "1"}})),
              HasSubstr("missing field 'customer_id' (a join key of feature view 'stats')"));
  EXPECT_THAT(Reason(Message("1-0", {{"customer_id", "1"}, {"event_time", ""}})),
              HasSubstr("empty field 'event_time' (the timestamp field"));
  EXPECT_THAT(Reason(Message("1-0", {{"customer_id", "x"}, {"event_time", "1"}})),
              HasSubstr("field 'customer_id' = 'x' is not an integer (int64)"));
  EXPECT_THAT(Reason(Message("1-0", {{"customer_id", "1"}, {"event_time", "yesterday"}})),
              HasSubstr("field 'event_time' = 'yesterday' is not a time (RFC 3339"));
  EXPECT_THAT(Reason(Message("1-0", {{"customer_id", "1"}, {"event_time", "1"}, {"spnd", "1"}})),
              HasSubstr("field 'spnd' is not a join key, the timestamp field or a feature of "
                        "feature view 'stats'. Did you mean 'spend'?"));
  EXPECT_THAT(Reason(Message("1-0", {{"customer_id", "1"}, {"event_time", "1"}, {"spend", "nan"}})),
              HasSubstr("is not a finite number (float64)"));
  EXPECT_THAT(Reason(Message("1-0", {{"customer_id", "1"}, {"event_time", "1"}, {"vip", "yes"}})),
              HasSubstr("is not a bool"));
  EXPECT_THAT(
      Reason(Message("1-0", {{"customer_id", "1"}, {"event_time", "1"}, {"orders", "1.5"}})),
      HasSubstr("'orders' = '1.5' is not an integer"));
  EXPECT_THAT(
      Reason(Message("1-0", {{"customer_id", "1"}, {"event_time", "1"}, {"customer_id", "2"}})),
      HasSubstr("field 'customer_id' is given twice"));
  EXPECT_THAT(Reason(Message("1-0", {{"customer_id", "1"},
                                     {"event_time", "1"},
                                     {"tier", std::string(100, 'x')},
                                     {"orders", std::string(100, '9')}})),
              HasSubstr("...' (100 bytes) is not an integer"));

  const std::vector<StreamMessage> in = {
      Message("1-0", {{"customer_id", "x"}, {"event_time", "1"}}),
      Message("2-0", {{"customer_id", "2"}, {"event_time", "1"}}),
      Message("3-0", {{"feature_view", "nope"}}),
  };
  const ParsedStreamBatch b = ParseStreamMessages(defs_, "stats", in);
  ASSERT_EQ(b.bad.size(), 2u);
  EXPECT_EQ(b.bad[0].message, 0u);
  EXPECT_EQ(b.bad[1].message, 2u);
  ASSERT_EQ(b.views.size(), 1u);
  EXPECT_EQ(b.views[0].messages, (std::vector<size_t>{1}));
}

}  // namespace
}  // namespace keel::features
