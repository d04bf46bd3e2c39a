// Evaluation of parsed expressions (expression.h): one row at a time,
// nulls and non-finite floats as the header describes.
#include <cmath>
#include <cstdint>
#include <span>
#include <string>
#include <utility>

#include "keel/features/expression.h"
#include "keel/features/expression_node.h"

namespace keel::features {
namespace {

using expression_internal::MakeBool;
using expression_internal::MakeFloat;
using expression_internal::MakeInt;
using expression_internal::MakeString;
using expression_internal::NullOf;
using expression_internal::Type;
using Node = Expression::Node;
using NodePtr = std::unique_ptr<const Node>;

double AsDouble(const FeatureValue& v) {
  return v.type == DataType::kFloat64 ? v.float_value : static_cast<double>(v.int_value);
}
// `v` as the static type `t`: an int64 where a float64 is expected becomes one.
FeatureValue CastTo(FeatureValue v, Type t) {
  if (!t || v.type == *t) return v;
  if (v.is_null) return NullOf(t);
  if (*t == DataType::kFloat64 && v.type == DataType::kInt64) return MakeFloat(AsDouble(v));
  return v;
}
// <0, 0, >0; both non-null and comparable (checked when parsed).
int Compare(const FeatureValue& a, const FeatureValue& b) {
  if (a.type == DataType::kString) return a.string_value.compare(b.string_value);
  if (a.type != DataType::kFloat64 && b.type != DataType::kFloat64) {
    return a.int_value < b.int_value ? -1 : a.int_value > b.int_value ? 1 : 0;
  }
  const double x = AsDouble(a), y = AsDouble(b);
  return x < y ? -1 : x > y ? 1 : 0;
}
int64_t FloorMod(int64_t a, int64_t b) {
  if (b == -1) return 0;  // INT64_MIN % -1 overflows
  int64_t r = a % b;
  if (r != 0 && ((r < 0) != (b < 0))) r += b;
  return r;
}

constexpr int64_t kMicrosPerHour = 3'600'000'000;
constexpr int64_t kMicrosPerDay = 86'400'000'000;

FeatureValue Eval(const Node& n, std::span<const FeatureValue> inputs);

FeatureValue EvalArithmetic(const Node& n, const FeatureValue& a, const FeatureValue& b) {
  if (a.is_null || b.is_null) return NullOf(n.type);
  if (n.type == DataType::kString) return MakeString(a.string_value + b.string_value);
  if (n.op == Op::kDiv) {
    const double y = AsDouble(b);
    return y == 0 ? NullOf(n.type) : MakeFloat(AsDouble(a) / y);
  }
  if (n.type == DataType::kInt64) {
    int64_t out = 0;
    bool overflow = false;
    switch (n.op) {
      case Op::kAdd:
        overflow = __builtin_add_overflow(a.int_value, b.int_value, &out);
        break;
      case Op::kSub:
        overflow = __builtin_sub_overflow(a.int_value, b.int_value, &out);
        break;
      case Op::kMul:
        overflow = __builtin_mul_overflow(a.int_value, b.int_value, &out);
        break;
      default:  // kMod
        if (b.int_value == 0) return NullOf(n.type);
        out = FloorMod(a.int_value, b.int_value);
    }
    return overflow ? NullOf(n.type) : MakeInt(DataType::kInt64, out);
  }
  const double x = AsDouble(a), y = AsDouble(b);
  switch (n.op) {
    case Op::kAdd:
      return MakeFloat(x + y);
    case Op::kSub:
      return MakeFloat(x - y);
    case Op::kMul:
      return MakeFloat(x * y);
    default: {  // kMod, with the sign of the divisor (as Python and pandas)
      if (y == 0) return NullOf(n.type);
      double r = std::fmod(x, y);
      if (r != 0 && ((r < 0) != (y < 0))) r += y;
      return MakeFloat(r);
    }
  }
}

FeatureValue EvalCall(const Node& n, std::span<const FeatureValue> inputs) {
  switch (n.fn) {
    case Fn::kCoalesce:
      for (const NodePtr& arg : n.args) {
        FeatureValue v = Eval(*arg, inputs);
        if (!v.is_null) return CastTo(std::move(v), n.type);
      }
      return NullOf(n.type);
    case Fn::kIf: {
      const FeatureValue c = Eval(*n.args[0], inputs);
      const bool yes = !c.is_null && c.int_value != 0;
      return CastTo(Eval(*n.args[yes ? 1 : 2], inputs), n.type);
    }
    case Fn::kIsNull:
      return MakeBool(Eval(*n.args[0], inputs).is_null);
    case Fn::kMin:
    case Fn::kMax: {
      FeatureValue best = NullOf(n.type);
      for (const NodePtr& arg : n.args) {
        FeatureValue v = Eval(*arg, inputs);
        if (v.is_null) continue;
        const int c = best.is_null ? 0 : Compare(v, best);
        if (best.is_null || (n.fn == Fn::kMin ? c < 0 : c > 0)) best = std::move(v);
      }
      return CastTo(std::move(best), n.type);
    }
    case Fn::kPow: {
      const FeatureValue a = Eval(*n.args[0], inputs);
      const FeatureValue b = Eval(*n.args[1], inputs);
      if (a.is_null || b.is_null) return NullOf(n.type);
      return MakeFloat(std::pow(AsDouble(a), AsDouble(b)));
    }
    default:
      break;
  }
  // One argument; null in, null out.
  const FeatureValue a = Eval(*n.args[0], inputs);
  if (a.is_null) return NullOf(n.type);
  switch (n.fn) {
    case Fn::kAbs:
      if (a.type == DataType::kInt64) {
        if (a.int_value == INT64_MIN) return NullOf(n.type);
        return MakeInt(DataType::kInt64, a.int_value < 0 ? -a.int_value : a.int_value);
      }
      return MakeFloat(std::fabs(a.float_value));
    case Fn::kLog:
      return MakeFloat(std::log(AsDouble(a)));
    case Fn::kLog1p:
      return MakeFloat(std::log1p(AsDouble(a)));
    case Fn::kExp:
      return MakeFloat(std::exp(AsDouble(a)));
    case Fn::kSqrt:
      return MakeFloat(std::sqrt(AsDouble(a)));
    case Fn::kFloor:
      return MakeFloat(std::floor(AsDouble(a)));
    case Fn::kCeil:
      return MakeFloat(std::ceil(AsDouble(a)));
    case Fn::kHour: {
      const int64_t in_day = ((a.int_value % kMicrosPerDay) + kMicrosPerDay) % kMicrosPerDay;
      return MakeInt(DataType::kInt64, in_day / kMicrosPerHour);
    }
    case Fn::kDow: {  // 0 = Monday; 1970-01-01 was a Thursday (3)
      int64_t days = a.int_value / kMicrosPerDay;
      if (a.int_value % kMicrosPerDay < 0) --days;
      return MakeInt(DataType::kInt64, (((days + 3) % 7) + 7) % 7);
    }
    case Fn::kLower:
    case Fn::kUpper: {
      std::string s = a.string_value;
      for (char& c : s) {
        if (n.fn == Fn::kLower && c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
        if (n.fn == Fn::kUpper && c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
      }
      return MakeString(std::move(s));
    }
    case Fn::kLen: {
      int64_t count = 0;  // UTF-8 code points: bytes that do not continue one
      for (char c : a.string_value) count += (static_cast<unsigned char>(c) & 0xC0) != 0x80;
      return MakeInt(DataType::kInt64, count);
    }
    default:
      return NullOf(n.type);
  }
}

FeatureValue Eval(const Node& n, std::span<const FeatureValue> inputs) {
  switch (n.op) {
    case Op::kLiteral:
      return n.literal;
    case Op::kInput: {
      const FeatureValue& v = inputs[n.slot];
      if (v.is_null) return NullOf(n.type);
      if (n.type == DataType::kFloat64) return MakeFloat(AsDouble(v));  // NaN, inf: null
      return v;
    }
    case Op::kNeg: {
      const FeatureValue a = Eval(*n.args[0], inputs);
      if (a.is_null) return NullOf(n.type);
      if (a.type == DataType::kInt64) {
        return a.int_value == INT64_MIN ? NullOf(n.type) : MakeInt(DataType::kInt64, -a.int_value);
      }
      return MakeFloat(-a.float_value);
    }
    case Op::kNot: {
      const FeatureValue a = Eval(*n.args[0], inputs);
      return a.is_null ? NullOf(n.type) : MakeBool(a.int_value == 0);
    }
    case Op::kAnd:
    case Op::kOr: {
      // Three-valued: false and null = false, true or null = true.
      const bool decisive = n.op == Op::kOr;
      const FeatureValue a = Eval(*n.args[0], inputs);
      if (!a.is_null && (a.int_value != 0) == decisive) return MakeBool(decisive);
      const FeatureValue b = Eval(*n.args[1], inputs);
      if (!b.is_null && (b.int_value != 0) == decisive) return MakeBool(decisive);
      if (a.is_null || b.is_null) return NullOf(n.type);
      return MakeBool(!decisive);
    }
    case Op::kEq:
    case Op::kNe:
    case Op::kLt:
    case Op::kLe:
    case Op::kGt:
    case Op::kGe: {
      const FeatureValue a = Eval(*n.args[0], inputs);
      const FeatureValue b = Eval(*n.args[1], inputs);
      if (a.is_null || b.is_null) return NullOf(n.type);
      const int c = Compare(a, b);
      switch (n.op) {
        case Op::kEq:
          return MakeBool(c == 0);
        case Op::kNe:
          return MakeBool(c != 0);
        case Op::kLt:
          return MakeBool(c < 0);
        case Op::kLe:
          return MakeBool(c <= 0);
        case Op::kGt:
          return MakeBool(c > 0);
        default:
          return MakeBool(c >= 0);
      }
    }
    case Op::kCall:
      return EvalCall(n, inputs);
    default:  // + - * / %
      return EvalArithmetic(n, Eval(*n.args[0], inputs), Eval(*n.args[1], inputs));
  }
}

}  // namespace

FeatureValue Expression::Evaluate(std::span<const FeatureValue> inputs) const {
  return Eval(*root_, inputs);
}

}  // namespace keel::features
