#include "keel/learn/matrix.h"

#include <cmath>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "keel/table/column.h"

namespace keel::learn {
namespace {

using ::testing::HasSubstr;

Table MakeTable() {
  ColumnBuilder ints(DataType::kInt64), floats(DataType::kFloat64), flags(DataType::kBool),
      names(DataType::kString), times(DataType::kTimestamp);
  ints.AppendInt64(1);
  ints.AppendNull();
  ints.AppendInt64(-3);
  floats.AppendFloat64(0.5);
  floats.AppendFloat64(1.5);
  floats.AppendNull();
  flags.AppendBool(true);
  flags.AppendBool(false);
  flags.AppendNull();
  names.AppendString("a");
  names.AppendString("b");
  names.AppendString("c");
  times.AppendTimestamp(TimestampMicros{1000000});
  times.AppendTimestamp(TimestampMicros{2});
  times.AppendTimestamp(TimestampMicros{-5});
  return *Table::Make({"i", "f", "b", "s", "t"}, {ints.Finish(), floats.Finish(), flags.Finish(),
                                                  names.Finish(), times.Finish()});
}

TEST(MatrixTest, FromTableInTheGivenOrderWithNullsAsNaN) {
  Table table = MakeTable();
  StatusOr<Matrix> m = MatrixFromTable(table, {"f", "i", "b", "t"});
  ASSERT_TRUE(m.ok()) << m.status();
  ASSERT_EQ(m->rows(), 3);
  ASSERT_EQ(m->cols(), 4);
  EXPECT_EQ(m->at(0, 0), 0.5);
  EXPECT_EQ(m->at(1, 0), 1.5);
  EXPECT_TRUE(std::isnan(m->at(2, 0)));
  EXPECT_EQ(m->at(0, 1), 1.0);
  EXPECT_TRUE(std::isnan(m->at(1, 1)));
  EXPECT_EQ(m->at(2, 1), -3.0);
  EXPECT_EQ(m->at(0, 2), 1.0);
  EXPECT_EQ(m->at(1, 2), 0.0);
  EXPECT_TRUE(std::isnan(m->at(2, 2)));
  EXPECT_EQ(m->at(0, 3), 1000000.0);
  EXPECT_EQ(m->at(2, 3), -5.0);
}

TEST(MatrixTest, StringColumnIsRejectedWithAHint) {
  StatusOr<Matrix> m = MatrixFromTable(MakeTable(), {"i", "s"});
  ASSERT_FALSE(m.ok());
  EXPECT_THAT(m.status().message(), HasSubstr("column 's' is a string column"));
  EXPECT_THAT(m.status().message(), HasSubstr("encode it first"));
}

TEST(MatrixTest, MissingColumnIsNotFound) {
  StatusOr<Matrix> m = MatrixFromTable(MakeTable(), {"i", "ff"});
  ASSERT_FALSE(m.ok());
  EXPECT_EQ(m.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(m.status().message(), HasSubstr("ff"));
}

TEST(MatrixTest, VectorAndRowSelection) {
  StatusOr<std::vector<double>> v = VectorFromTable(MakeTable(), "i");
  ASSERT_TRUE(v.ok());
  ASSERT_EQ(v->size(), 3u);
  EXPECT_EQ((*v)[2], -3.0);

  Matrix m(4, 2);
  for (int r = 0; r < 4; ++r) {
    m.at(r, 0) = r;
    m.at(r, 1) = 10 * r;
  }
  Matrix mid = m.RowRange(1, 3);
  ASSERT_EQ(mid.rows(), 2);
  EXPECT_EQ(mid.at(0, 1), 10.0);
  EXPECT_EQ(mid.at(1, 0), 2.0);
  const int64_t picks[] = {3, 0};
  Matrix g = m.Gather(picks);
  EXPECT_EQ(g.at(0, 1), 30.0);
  EXPECT_EQ(g.at(1, 0), 0.0);
}

}  // namespace
}  // namespace keel::learn
