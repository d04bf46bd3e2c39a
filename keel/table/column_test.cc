#include "keel/table/column.h"

#include <cmath>
#include <optional>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace keel {
namespace {

using ::testing::ElementsAre;

Column Int64Column(std::initializer_list<std::optional<int64_t>> values) {
  ColumnBuilder builder(DataType::kInt64);
  for (const auto& v : values) v ? builder.AppendInt64(*v) : builder.AppendNull();
  return builder.Finish();
}

TEST(ColumnTest, BuildsInt64WithNulls) {
  Column column = Int64Column({1, std::nullopt, 3});
  EXPECT_EQ(column.type(), DataType::kInt64);
  EXPECT_EQ(column.length(), 3);
  EXPECT_EQ(column.null_count(), 1);
  EXPECT_FALSE(column.IsNull(0));
  EXPECT_TRUE(column.IsNull(1));
  EXPECT_EQ(column.Int64Values()[0], 1);
  EXPECT_EQ(column.Int64Values()[2], 3);
  EXPECT_EQ(column.ValueToString(1), "null");
}

TEST(ColumnTest, NoValidityBufferWithoutNulls) {
  Column column = Int64Column({1, 2});
  EXPECT_EQ(column.validity_bitmap(), nullptr);
  EXPECT_EQ(column.null_count(), 0);
}

TEST(ColumnTest, StringsShareOneBuffer) {
  ColumnBuilder builder(DataType::kString);
  builder.AppendString("héllo");
  builder.AppendNull();
  builder.AppendString("");
  builder.AppendString("world");
  Column column = builder.Finish();
  EXPECT_EQ(column.StringAt(0), "héllo");
  EXPECT_TRUE(column.IsNull(1));
  EXPECT_EQ(column.StringAt(1), "");
  EXPECT_FALSE(column.IsNull(2));
  EXPECT_EQ(column.StringAt(3), "world");
  EXPECT_EQ(column.StringData(), "hélloworld");
  EXPECT_THAT(column.StringOffsets(), ElementsAre(0, 6, 6, 6, 11));
}

TEST(ColumnTest, SliceIsZeroCopy) {
  ColumnBuilder builder(DataType::kFloat64);
  for (int i = 0; i < 100; ++i) {
    if (i % 10 == 0) {
      builder.AppendNull();
    } else {
      builder.AppendFloat64(i * 0.5);
    }
  }
  Column column = builder.Finish();
  Column slice = column.Slice(15, 20);
  EXPECT_EQ(slice.length(), 20);
  EXPECT_EQ(slice.offset(), 15);
  EXPECT_EQ(slice.null_count(), 2);  // rows 20 and 30
  EXPECT_TRUE(slice.IsNull(5));
  EXPECT_DOUBLE_EQ(slice.Float64Values()[0], 7.5);
  // Same memory as the parent.
  EXPECT_EQ(slice.Float64Values().data(), column.Float64Values().data() + 15);
  // A slice of a slice, and clamping.
  Column inner = slice.Slice(4, 100);
  EXPECT_EQ(inner.length(), 16);
  EXPECT_TRUE(inner.IsNull(1));
  EXPECT_EQ(column.Slice(200, 5).length(), 0);
}

TEST(ColumnTest, StringSliceKeepsOffsets) {
  ColumnBuilder builder(DataType::kString);
  for (const char* s : {"a", "bb", "ccc", "dddd"}) builder.AppendString(s);
  Column slice = builder.Finish().Slice(1, 2);
  EXPECT_EQ(slice.StringAt(0), "bb");
  EXPECT_EQ(slice.StringAt(1), "ccc");
  EXPECT_THAT(slice.StringOffsets(), ElementsAre(1, 3, 6));
}

TEST(ColumnTest, EqualsIgnoresValuesUnderNullsAndMatchesNaN) {
  EXPECT_TRUE(Int64Column({1, std::nullopt}).Equals(Int64Column({1, std::nullopt})));
  EXPECT_FALSE(Int64Column({1, 2}).Equals(Int64Column({1, std::nullopt})));
  EXPECT_FALSE(Int64Column({1, 2}).Equals(Int64Column({1, 3})));
  ColumnBuilder a(DataType::kFloat64), b(DataType::kFloat64);
  a.AppendFloat64(std::nan(""));
  b.AppendFloat64(std::nan(""));
  EXPECT_TRUE(a.Finish().Equals(b.Finish()));
  EXPECT_TRUE(Int64Column({1, 2, 3}).Slice(1, 2).Equals(Int64Column({2, 3})));
}

TEST(ColumnTest, FromBuffersValidatesSizes) {
  std::shared_ptr<const Buffer> values = Buffer::AllocateZeroed(16);
  EXPECT_TRUE(Column::FromBuffers(DataType::kInt64, 2, nullptr, values).ok());
  EXPECT_FALSE(Column::FromBuffers(DataType::kInt64, 3, nullptr, values).ok());
  EXPECT_FALSE(Column::FromBuffers(DataType::kString, 1, nullptr, values, nullptr).ok());
}

TEST(ColumnTest, ValueToStringFormatsEachType) {
  ColumnBuilder b(DataType::kBool);
  b.AppendBool(true);
  EXPECT_EQ(b.Finish().ValueToString(0), "true");
  ColumnBuilder f(DataType::kFloat64);
  f.AppendFloat64(0.1);
  EXPECT_EQ(f.Finish().ValueToString(0), "0.1");
  ColumnBuilder t(DataType::kTimestamp);
  t.AppendTimestamp(1'710'081'000'000'000);
  EXPECT_EQ(t.Finish().ValueToString(0), "2024-03-10T14:30:00Z");
}

TEST(ColumnTest, BuilderIsReusableAfterFinish) {
  ColumnBuilder builder(DataType::kString);
  builder.AppendString("x");
  Column first = builder.Finish();
  builder.AppendString("y");
  Column second = builder.Finish();
  EXPECT_EQ(first.StringAt(0), "x");
  EXPECT_EQ(second.StringAt(0), "y");
  EXPECT_EQ(second.length(), 1);
}

TEST(BitsTest, CopyAndCountAtAnyOffset) {
  uint8_t src[8] = {0b10110101, 0b01101100, 0xff, 0x00, 0x5a, 0xa5, 0x0f, 0xf0};
  for (int src_offset = 0; src_offset < 9; ++src_offset) {
    for (int dst_offset = 0; dst_offset < 9; ++dst_offset) {
      const int length = 40;
      uint8_t dst[8] = {};
      bits::Copy(src, src_offset, dst, dst_offset, length);
      for (int i = 0; i < length; ++i) {
        ASSERT_EQ(bits::Get(dst, dst_offset + i), bits::Get(src, src_offset + i))
            << src_offset << " " << dst_offset << " " << i;
      }
      int expected = 0;
      for (int i = 0; i < length; ++i) expected += bits::Get(src, src_offset + i);
      EXPECT_EQ(bits::CountSet(src, src_offset, length), expected);
    }
  }
}

}  // namespace
}  // namespace keel
