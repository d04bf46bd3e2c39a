#include "keel/features/online_store.h"

#include <cmath>
#include <cstring>
#include <limits>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "keel/table/column.h"

namespace keel::features {
namespace {

using ::testing::HasSubstr;

TypedName T(std::string name, DataType type) { return {.name = std::move(name), .type = type}; }

Column Strings(std::vector<std::string> v) {
  ColumnBuilder b(DataType::kString);
  for (const auto& s : v) b.AppendString(s);
  return b.Finish();
}
Column Ints(std::vector<int64_t> v) {
  ColumnBuilder b(DataType::kInt64);
  for (int64_t x : v) b.AppendInt64(x);
  return b.Finish();
}

TEST(EntityKeyTest, JoinKeysInDeclaredOrderWithSeparatorsEscaped) {
  Table t = *Table::Make({"merchant", "customer_id"},
                         {Strings({"a|b=c%d", "plain"}), Ints({42, -7})});
  std::vector<TypedName> keys = {T("customer_id", DataType::kInt64),
                                 T("merchant", DataType::kString)};
  StatusOr<std::vector<std::string>> out = EncodeEntityKeys(t, keys);
  ASSERT_TRUE(out.ok()) << out.status();
  EXPECT_EQ((*out)[0], "customer_id=42|merchant=a%7Cb%3Dc%25d");
  EXPECT_EQ((*out)[1], "customer_id=-7|merchant=plain");
  // The request path encodes the same key from text.
  std::vector<std::string> values = {"42", "a|b=c%d"};
  EXPECT_EQ(EncodeEntityKey(keys, values), (*out)[0]);
}

TEST(EntityKeyTest, MissingMistypedAndNullKeysAreNamed) {
  Table t = *Table::Make({"customer_id"}, {Strings({"1"})});
  EXPECT_THAT(EncodeEntityKeys(t, std::vector<TypedName>{T("customer_id", DataType::kInt64)})
                  .status()
                  .message(),
              HasSubstr("join key 'customer_id': expected int64, found string"));
  EXPECT_THAT(EncodeEntityKeys(t, std::vector<TypedName>{T("custmer", DataType::kString)})
                  .status()
                  .message(),
              HasSubstr("no join key column 'custmer'"));
  ColumnBuilder b(DataType::kInt64);
  b.AppendInt64(1);
  b.AppendNull();
  Table n = *Table::Make({"id"}, {b.Finish()});
  EXPECT_THAT(
      EncodeEntityKeys(n, std::vector<TypedName>{T("id", DataType::kInt64)}).status().message(),
      HasSubstr("'id' is null in row 2"));
}

TEST(RowEncodingTest, EveryTypeRoundTripsBitForBitAndByName) {
  std::vector<TypedName> features = {T("b", DataType::kBool), T("i", DataType::kInt64),
                                     T("f", DataType::kFloat64), T("s", DataType::kString),
                                     T("t", DataType::kTimestamp), T("gone", DataType::kFloat64)};
  ColumnBuilder b(DataType::kBool), i(DataType::kInt64), f(DataType::kFloat64),
      s(DataType::kString), t(DataType::kTimestamp);
  b.AppendBool(true);
  i.AppendInt64(std::numeric_limits<int64_t>::min());
  f.AppendFloat64(-0.0);
  s.AppendString(std::string("a\0b|\xc3\xa9", 6));
  t.AppendTimestamp(1'700'000'000'123'456);
  const Column cb = b.Finish(), ci = i.Finish(), cf = f.Finish(), cs = s.Finish(),
               ct = t.Finish();
  std::vector<const Column*> columns = {&cb, &ci, &cf, &cs, &ct, nullptr};
  std::string bytes;
  AppendEncodedRow(99, features, columns, 0, &bytes);
  EXPECT_EQ(*DecodeRowTime(bytes), 99);

  // Read back in another order, with a feature the row does not have and one
  // asked for with another type than stored (null, not reinterpreted).
  std::vector<TypedName> wanted = {T("s", DataType::kString), T("f", DataType::kFloat64),
                                   T("t", DataType::kTimestamp), T("i", DataType::kInt64),
                                   T("b", DataType::kBool), T("gone", DataType::kFloat64),
                                   T("new", DataType::kInt64), T("i", DataType::kFloat64)};
  OnlineRow row;
  ASSERT_TRUE(DecodeRow(bytes, wanted, &row).ok());
  EXPECT_TRUE(row.found);
  EXPECT_EQ(row.event_time, 99);
  EXPECT_EQ(row.values[0].string_value, std::string("a\0b|\xc3\xa9", 6));
  EXPECT_TRUE(std::signbit(row.values[1].float_value));
  EXPECT_EQ(row.values[1].float_value, 0.0);
  EXPECT_EQ(row.values[2].int_value, 1'700'000'000'123'456);
  EXPECT_EQ(row.values[3].int_value, std::numeric_limits<int64_t>::min());
  EXPECT_EQ(row.values[4].int_value, 1);
  EXPECT_TRUE(row.values[5].is_null);
  EXPECT_TRUE(row.values[6].is_null);
  EXPECT_TRUE(row.values[7].is_null);
  EXPECT_EQ(row.values[7].type, DataType::kFloat64);
}

TEST(RowEncodingTest, TruncatedOrForeignBytesAreDataLoss) {
  std::vector<TypedName> features = {T("s", DataType::kString)};
  const Column cs = Strings({"hello"});
  std::vector<const Column*> columns = {&cs};
  std::string bytes;
  AppendEncodedRow(1, features, columns, 0, &bytes);
  OnlineRow row;
  for (size_t cut = 0; cut < bytes.size(); ++cut) {
    EXPECT_EQ(DecodeRow(bytes.substr(0, cut), features, &row).code(), absl::StatusCode::kDataLoss)
        << cut;
  }
  EXPECT_EQ(DecodeRowTime("not a row").status().code(), absl::StatusCode::kDataLoss);
}

TEST(BatchColumnsTest, MismatchedLengthsAndTypesAreNamed) {
  OnlineView view{.name = "stats",
                  .join_keys = {T("id", DataType::kInt64)},
                  .features = {T("spend", DataType::kFloat64), T("n", DataType::kInt64)}};
  Table values = *Table::Make({"spend"}, {Ints({1})});
  std::vector<std::string> keys = {"id=1"};
  std::vector<int64_t> times = {0};
  EXPECT_THAT(BatchColumns(view, {.keys = keys, .event_times = times, .values = &values})
                  .status()
                  .message(),
              HasSubstr("feature view 'stats', feature 'spend': expected float64, found int64"));
  std::vector<int64_t> two_times = {0, 1};
  EXPECT_THAT(BatchColumns(view, {.keys = keys, .event_times = two_times, .values = &values})
                  .status()
                  .message(),
              HasSubstr("must match"));
  Table only_n = *Table::Make({"n"}, {Ints({1})});
  StatusOr<std::vector<const Column*>> columns =
      BatchColumns(view, {.keys = keys, .event_times = times, .values = &only_n});
  ASSERT_TRUE(columns.ok());
  EXPECT_EQ((*columns)[0], nullptr);  // not given: written as null
  EXPECT_NE((*columns)[1], nullptr);
}

TEST(OnlineViewTest, ResolveNamesUnknownFeaturesWithSuggestions) {
  OnlineView view{.name = "stats", .features = {T("spend_7d", DataType::kFloat64)}};
  std::vector<std::string> names = {"spend_7"};
  EXPECT_THAT(view.Resolve(names).status().message(),
              HasSubstr("feature view 'stats' has no feature 'spend_7'"));
}

}  // namespace
}  // namespace keel::features
