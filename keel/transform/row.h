// One row for online serving: typed values in preallocated slots, so that a
// fitted pipeline transforms it without allocating.
#ifndef KEEL_TRANSFORM_ROW_H_
#define KEEL_TRANSFORM_ROW_H_

#include <cmath>
#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

#include "keel/table/types.h"

namespace keel::transform {

// One typed value or a null. Strings are views: the caller keeps the bytes
// alive while the row is in use (outputs may point into the input's bytes or
// into the fitted pipeline's state). Bools and timestamps live in `i64`.
struct Value {
  DataType type = DataType::kFloat64;
  bool valid = false;
  double f64 = 0;
  int64_t i64 = 0;
  std::string_view str;

  static Value Null(DataType type) { return Value{.type = type}; }
  static Value Float64(double v) {
    return Value{.type = DataType::kFloat64, .valid = true, .f64 = v};
  }
  static Value Int64(int64_t v) { return Value{.type = DataType::kInt64, .valid = true, .i64 = v}; }
  static Value Bool(bool v) {
    return Value{.type = DataType::kBool, .valid = true, .i64 = v ? 1 : 0};
  }
  static Value Timestamp(int64_t micros) {
    return Value{.type = DataType::kTimestamp, .valid = true, .i64 = micros};
  }
  static Value String(std::string_view v) {
    return Value{.type = DataType::kString, .valid = true, .str = v};
  }

  // For numeric steps: a null, or a float64 NaN, counts as missing.
  bool IsMissingNumber() const { return !valid || (type == DataType::kFloat64 && std::isnan(f64)); }
  // kBool, kInt64, kFloat64 as a double (int64 rounds as static_cast does).
  double AsDouble() const { return type == DataType::kFloat64 ? f64 : static_cast<double>(i64); }
};

// The working memory of FittedPipeline::TransformRow: one slot per input
// column, then one per column any step produces. Made by
// FittedPipeline::NewRow(); must not outlive that pipeline (moving the
// pipeline is fine). Reusable: set the
// inputs again and call TransformRow again. Not thread-safe (one Row per
// thread).
class Row {
 public:
  Row() = default;

  int num_inputs() const { return num_inputs_; }
  int num_outputs() const { return num_outputs_; }

  // Input `i` is the pipeline's input_schema().field(i); resolve names to
  // indices once with FittedPipeline::InputIndex.
  void Set(int i, const Value& v) { slots_[i] = v; }
  void SetNull(int i) { slots_[i] = Value::Null(slots_[i].type); }
  void SetFloat64(int i, double v) { slots_[i] = Value::Float64(v); }
  void SetInt64(int i, int64_t v) { slots_[i] = Value::Int64(v); }
  void SetBool(int i, bool v) { slots_[i] = Value::Bool(v); }
  void SetTimestamp(int i, int64_t micros) { slots_[i] = Value::Timestamp(micros); }
  void SetString(int i, std::string_view v) { slots_[i] = Value::String(v); }
  const Value& input(int i) const { return slots_[i]; }

  // Output `j` is the pipeline's output_schema().field(j); valid after a
  // successful TransformRow.
  const Value& output(int j) const { return slots_[output_slots_[j]]; }

 private:
  friend class FittedPipeline;
  int num_inputs_ = 0;
  std::vector<Value> slots_;
  int num_outputs_ = 0;
  const int* output_slots_ = nullptr;  // owned by the pipeline (heap, survives its moves)
};

}  // namespace keel::transform

#endif  // KEEL_TRANSFORM_ROW_H_
