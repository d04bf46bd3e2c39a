// Test helpers for keel/transform (compiled into keel_transform_test only):
// building tables, and the two invariants every fitted pipeline must keep —
// the row path equals the table path bit for bit, and the JSON form reloads
// into a pipeline that gives the same bits.
#ifndef KEEL_TRANSFORM_TEST_UTIL_H_
#define KEEL_TRANSFORM_TEST_UTIL_H_

#include <cstring>
#include <optional>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "keel/transform/pipeline.h"

namespace keel::transform::testutil {

inline Column Doubles(const std::vector<std::optional<double>>& v) {
  ColumnBuilder b(DataType::kFloat64);
  for (const auto& x : v) x ? b.AppendFloat64(*x) : b.AppendNull();
  return b.Finish();
}
inline Column Ints(const std::vector<std::optional<int64_t>>& v) {
  ColumnBuilder b(DataType::kInt64);
  for (const auto& x : v) x ? b.AppendInt64(*x) : b.AppendNull();
  return b.Finish();
}
inline Column Strings(const std::vector<std::optional<std::string>>& v) {
  ColumnBuilder b(DataType::kString);
  for (const auto& x : v) x ? b.AppendString(*x) : b.AppendNull();
  return b.Finish();
}
inline Column Timestamps(const std::vector<std::optional<int64_t>>& v) {
  ColumnBuilder b(DataType::kTimestamp);
  for (const auto& x : v) x ? b.AppendTimestamp(*x) : b.AppendNull();
  return b.Finish();
}

inline Value ValueAt(const Column& c, int64_t i) {
  if (c.IsNull(i)) return Value::Null(c.type());
  switch (c.type()) {
    case DataType::kBool:
      return Value::Bool(c.BoolValues()[i] != 0);
    case DataType::kInt64:
      return Value::Int64(c.Int64Values()[i]);
    case DataType::kFloat64:
      return Value::Float64(c.Float64Values()[i]);
    case DataType::kString:
      return Value::String(c.StringAt(i));
    case DataType::kTimestamp:
      return Value::Timestamp(c.TimestampValues()[i]);
  }
  return Value{};
}

// Same validity and the same bits (doubles compared with memcmp).
inline bool SameBits(const Value& a, const Value& b) {
  if (a.type != b.type || a.valid != b.valid) return false;
  if (!a.valid) return true;
  switch (a.type) {
    case DataType::kFloat64:
      return std::memcmp(&a.f64, &b.f64, sizeof(double)) == 0;
    case DataType::kString:
      return a.str == b.str;
    default:
      return a.i64 == b.i64;
  }
}

inline std::string Show(const Value& v) {
  if (!v.valid) return "null";
  if (v.type == DataType::kString) return std::string(v.str);
  if (v.type == DataType::kFloat64) {
    char buf[64];
    std::snprintf(buf, sizeof(buf), "%.17g", v.f64);
    return buf;
  }
  return std::to_string(v.i64);
}

// Every row of `input` through TransformRow equals the table path.
inline void ExpectRowPathMatchesTable(const FittedPipeline& p, const Table& input) {
  auto table = p.Transform(input);
  ASSERT_TRUE(table.ok()) << table.status();
  ASSERT_EQ(table->schema(), p.output_schema());
  std::vector<int> index;
  for (const Field& f : input.schema().fields()) index.push_back(p.InputIndex(f.name));
  Row row = p.NewRow();
  int mismatches = 0;
  for (int64_t i = 0; i < input.num_rows() && mismatches < 5; ++i) {
    for (int c = 0; c < input.num_columns(); ++c) {
      if (index[c] >= 0) row.Set(index[c], ValueAt(input.column(c), i));
    }
    Status s = p.TransformRow(&row);
    ASSERT_TRUE(s.ok()) << "row " << i << ": " << s;
    for (int j = 0; j < table->num_columns(); ++j) {
      const Value want = ValueAt(table->column(j), i);
      if (!SameBits(row.output(j), want)) {
        ++mismatches;
        ADD_FAILURE() << "row " << i << " column " << table->schema().field(j).name << ": table "
                      << Show(want) << ", row " << Show(row.output(j));
      }
    }
  }
}

// ToJson -> FromJson -> ToJson is the same text, and the reloaded pipeline
// transforms `input` to the same bits.
inline void ExpectJsonRoundTrip(const FittedPipeline& p, const Table& input) {
  auto text = p.ToJsonString();
  ASSERT_TRUE(text.ok()) << text.status();
  auto loaded = FittedPipeline::FromJson(*text);
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  auto again = loaded->ToJsonString();
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(*text, *again);
  auto a = p.Transform(input);
  auto b = loaded->Transform(input);
  ASSERT_TRUE(a.ok()) << a.status();
  ASSERT_TRUE(b.ok()) << b.status();
  ASSERT_EQ(a->schema(), b->schema());
  for (int c = 0; c < a->num_columns(); ++c) {
    for (int64_t i = 0; i < a->num_rows(); ++i) {
      ASSERT_TRUE(SameBits(ValueAt(a->column(c), i), ValueAt(b->column(c), i)))
          << a->schema().field(c).name << " row " << i;
    }
  }
}

}  // namespace keel::transform::testutil

#endif  // KEEL_TRANSFORM_TEST_UTIL_H_
