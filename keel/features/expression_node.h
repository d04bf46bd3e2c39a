// Internal to the expression language (expression.cc parses, and
// expression_eval.cc evaluates, this tree); not for other modules.
#ifndef KEEL_FEATURES_EXPRESSION_NODE_H_
#define KEEL_FEATURES_EXPRESSION_NODE_H_

#include <cmath>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "keel/features/expression.h"

namespace keel::features {

enum class Op : uint8_t {
  kLiteral,
  kInput,
  kNeg,
  kNot,
  kAdd,
  kSub,
  kMul,
  kDiv,
  kMod,
  kEq,
  kNe,
  kLt,
  kLe,
  kGt,
  kGe,
  kAnd,
  kOr,
  kCall,
};

enum class Fn : uint8_t {
  kAbs,
  kLog,
  kLog1p,
  kExp,
  kSqrt,
  kFloor,
  kCeil,
  kPow,
  kMin,
  kMax,
  kCoalesce,
  kIf,
  kIsNull,
  kHour,
  kDow,
  kLower,
  kUpper,
  kLen,
};

struct Expression::Node {
  Op op = Op::kLiteral;
  Fn fn = Fn::kAbs;
  std::optional<DataType> type;  // nullopt: always null
  FeatureValue literal;          // kLiteral
  int slot = 0;                  // kInput
  std::vector<std::unique_ptr<const Node>> args;
};

namespace expression_internal {

using Type = std::optional<DataType>;  // nullopt: the type of `null`

inline FeatureValue NullOf(Type t) {
  FeatureValue v;
  v.type = t.value_or(DataType::kFloat64);
  return v;
}
inline FeatureValue MakeInt(DataType type, int64_t i) {
  FeatureValue v;
  v.type = type;
  v.is_null = false;
  v.int_value = i;
  return v;
}
// A float64 that is not finite is null.
inline FeatureValue MakeFloat(double d) {
  FeatureValue v;
  v.type = DataType::kFloat64;
  if (!std::isfinite(d)) return v;
  v.is_null = false;
  v.float_value = d;
  return v;
}
inline FeatureValue MakeBool(bool b) { return MakeInt(DataType::kBool, b ? 1 : 0); }
inline FeatureValue MakeString(std::string s) {
  FeatureValue v;
  v.type = DataType::kString;
  v.is_null = false;
  v.string_value = std::move(s);
  return v;
}

}  // namespace expression_internal
}  // namespace keel::features

#endif  // KEEL_FEATURES_EXPRESSION_NODE_H_
