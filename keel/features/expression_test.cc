#include "keel/features/expression.h"

#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "keel/base/time.h"

namespace keel::features {
namespace {

using ::testing::HasSubstr;

// Inputs: i (int64), x (float64), s (string), b (bool), t (timestamp),
// v.f (float64).
const std::vector<std::pair<std::string, DataType>>& Names() {
  static const auto* names = new std::vector<std::pair<std::string, DataType>>{
      {"i", DataType::kInt64}, {"x", DataType::kFloat64},   {"s", DataType::kString},
      {"b", DataType::kBool},  {"t", DataType::kTimestamp}, {"v.f", DataType::kFloat64}};
  return *names;
}

StatusOr<ExpressionInput> Resolve(std::string_view name) {
  for (size_t i = 0; i < Names().size(); ++i) {
    if (Names()[i].first == name) return ExpressionInput{static_cast<int>(i), Names()[i].second};
  }
  return absl::InvalidArgumentError(absl::StrCat("unknown name '", std::string(name), "'"));
}

FeatureValue Null(DataType t) { return FeatureValue{.type = t}; }
FeatureValue Int(int64_t v) { return {.type = DataType::kInt64, .is_null = false, .int_value = v}; }
FeatureValue Float(double v) {
  return {.type = DataType::kFloat64, .is_null = false, .float_value = v};
}
FeatureValue Bool(bool v) { return {.type = DataType::kBool, .is_null = false, .int_value = v}; }
FeatureValue Str(std::string v) {
  return {.type = DataType::kString, .is_null = false, .string_value = std::move(v)};
}
FeatureValue Time(const std::string& text) {
  return {.type = DataType::kTimestamp, .is_null = false, .int_value = *ParseTimestamp(text)};
}

// Default inputs: i = 7, x = 2.5, s = "Héllo", b = true,
// t = 2024-01-01T13:30:00Z (a Monday), v.f = null.
std::vector<FeatureValue> Inputs() {
  return {Int(7),
          Float(2.5),
          Str("Héllo"),
          Bool(true),
          Time("2024-01-01T13:30:00Z"),
          Null(DataType::kFloat64)};
}

FeatureValue Eval(const std::string& text, std::vector<FeatureValue> inputs = Inputs()) {
  StatusOr<Expression> e = Expression::Parse(text, Resolve);
  EXPECT_TRUE(e.ok()) << text << ": " << e.status();
  if (!e.ok()) return Null(DataType::kFloat64);
  FeatureValue v = e->Evaluate(inputs);
  if (e->type()) {
    EXPECT_EQ(v.type, *e->type()) << text;
  }
  return v;
}

std::string ErrorOf(const std::string& text) {
  StatusOr<Expression> e = Expression::Parse(text, Resolve);
  return e.ok() ? "ok" : std::string(e.status().message());
}

TEST(ExpressionTest, Arithmetic) {
  EXPECT_EQ(Eval("1 + 2 * 3"), Int(7));
  EXPECT_EQ(Eval("(1 + 2) * 3"), Int(9));
  EXPECT_EQ(Eval("-2 * 3 - -1"), Int(-5));
  EXPECT_EQ(Eval("i / 2"), Float(3.5));  // / is always float64
  EXPECT_EQ(Eval("i * x"), Float(17.5));
  EXPECT_EQ(Eval("i - 0.5"), Float(6.5));
  EXPECT_EQ(Eval("1e3 + .5"), Float(1000.5));
  // % takes the divisor's sign, as Python and pandas.
  EXPECT_EQ(Eval("7 % 3"), Int(1));
  EXPECT_EQ(Eval("-7 % 3"), Int(2));
  EXPECT_EQ(Eval("7 % -3"), Int(-2));
  EXPECT_EQ(Eval("-7.5 % 2"), Float(0.5));
  EXPECT_EQ(Eval("'ab' + s"), Str("abHéllo"));
}

TEST(ExpressionTest, WhatCannotBeComputedIsNull) {
  EXPECT_EQ(Eval("i / 0"), Null(DataType::kFloat64));
  EXPECT_EQ(Eval("x / 0.0"), Null(DataType::kFloat64));
  EXPECT_EQ(Eval("i % 0"), Null(DataType::kInt64));
  EXPECT_EQ(Eval("9223372036854775807 + i"), Null(DataType::kInt64));
  EXPECT_EQ(Eval("-9223372036854775807 - 2"), Null(DataType::kInt64));
  EXPECT_EQ(Eval("log(0)"), Null(DataType::kFloat64));
  EXPECT_EQ(Eval("sqrt(-1)"), Null(DataType::kFloat64));
  EXPECT_EQ(Eval("exp(1000)"), Null(DataType::kFloat64));
  EXPECT_EQ(Eval("1e308 * 10"), Null(DataType::kFloat64));
  // A NaN or infinite input is null too.
  std::vector<FeatureValue> in = Inputs();
  in[1] = Float(std::numeric_limits<double>::quiet_NaN());
  EXPECT_EQ(Eval("x", in), Null(DataType::kFloat64));
  EXPECT_EQ(Eval("is_null(x)", in), Bool(true));
  in[1] = Float(std::numeric_limits<double>::infinity());
  EXPECT_EQ(Eval("x > 0", in), Null(DataType::kBool));
}

TEST(ExpressionTest, NullPropagatesThroughArithmeticAndComparisons) {
  EXPECT_EQ(Eval("v.f + 1"), Null(DataType::kFloat64));
  EXPECT_EQ(Eval("-v.f"), Null(DataType::kFloat64));
  EXPECT_EQ(Eval("i + null"), Null(DataType::kInt64));
  EXPECT_EQ(Eval("v.f > 1"), Null(DataType::kBool));
  EXPECT_EQ(Eval("v.f == v.f"), Null(DataType::kBool));
  EXPECT_EQ(Eval("abs(v.f)"), Null(DataType::kFloat64));
  EXPECT_EQ(Eval("log1p(v.f)"), Null(DataType::kFloat64));
  EXPECT_EQ(Eval("pow(2, v.f)"), Null(DataType::kFloat64));
  EXPECT_EQ(Eval("not (v.f > 1)"), Null(DataType::kBool));
  EXPECT_EQ(Eval("null"), Null(DataType::kFloat64));
}

TEST(ExpressionTest, AndOrAreThreeValued) {
  const std::string unknown = "(v.f > 0)";
  EXPECT_EQ(Eval(unknown + " and false"), Bool(false));
  EXPECT_EQ(Eval("false and " + unknown), Bool(false));
  EXPECT_EQ(Eval(unknown + " and true"), Null(DataType::kBool));
  EXPECT_EQ(Eval(unknown + " or true"), Bool(true));
  EXPECT_EQ(Eval("true or " + unknown), Bool(true));
  EXPECT_EQ(Eval(unknown + " or false"), Null(DataType::kBool));
  EXPECT_EQ(Eval("true and not false"), Bool(true));
  EXPECT_EQ(Eval("not i > 3 or b"), Bool(true));  // (not (i > 3)) or b
  EXPECT_EQ(Eval("null or null"), Null(DataType::kBool));
}

TEST(ExpressionTest, FunctionsThatHandleNulls) {
  EXPECT_EQ(Eval("coalesce(v.f, i, 0)"), Float(7));  // float64: the common type
  EXPECT_EQ(Eval("coalesce(v.f, null)"), Null(DataType::kFloat64));
  EXPECT_EQ(Eval("is_null(v.f)"), Bool(true));
  EXPECT_EQ(Eval("is_null(i)"), Bool(false));
  EXPECT_EQ(Eval("if(i > 3, 'big', 'small')"), Str("big"));
  EXPECT_EQ(Eval("if(v.f > 3, 1, 2)"), Int(2));  // a null condition takes the else
  EXPECT_EQ(Eval("if(b, i, x)"), Float(7));
  EXPECT_EQ(Eval("if(b, null, 1)"), Null(DataType::kInt64));
  // min and max skip nulls.
  EXPECT_EQ(Eval("min(v.f, i, 3)"), Float(3));
  EXPECT_EQ(Eval("max(i, 3)"), Int(7));
  EXPECT_EQ(Eval("max(v.f, null)"), Null(DataType::kFloat64));
  EXPECT_EQ(Eval("max('a', s)"), Str("a"));  // "H" < "a" bytewise
}

TEST(ExpressionTest, NumericFunctions) {
  EXPECT_EQ(Eval("abs(-3)"), Int(3));
  EXPECT_EQ(Eval("abs(-x)"), Float(2.5));
  EXPECT_EQ(Eval("log(1)"), Float(0));
  EXPECT_EQ(Eval("log1p(x)"), Float(std::log1p(2.5)));
  EXPECT_EQ(Eval("exp(1)"), Float(std::exp(1.0)));
  EXPECT_EQ(Eval("sqrt(16)"), Float(4));
  EXPECT_EQ(Eval("pow(2, 10)"), Float(1024));
  EXPECT_EQ(Eval("floor(-x)"), Float(-3));
  EXPECT_EQ(Eval("ceil(x)"), Float(3));
}

TEST(ExpressionTest, TimesAndStrings) {
  EXPECT_EQ(Eval("hour(t)"), Int(13));
  EXPECT_EQ(Eval("dow(t)"), Int(0));  // Monday = 0, as pandas' dayofweek
  std::vector<FeatureValue> in = Inputs();
  in[4] = Time("1969-12-31T23:00:00Z");  // a Wednesday, before the epoch
  EXPECT_EQ(Eval("hour(t)", in), Int(23));
  EXPECT_EQ(Eval("dow(t)", in), Int(2));
  EXPECT_EQ(Eval("lower(s)"), Str("héllo"));
  EXPECT_EQ(Eval("upper(s)"), Str("HéLLO"));  // ASCII letters only
  EXPECT_EQ(Eval("len(s)"), Int(5));          // code points
  EXPECT_EQ(Eval("s == 'Héllo' and 'abc' < \"abd\""), Bool(true));
  EXPECT_EQ(Eval(R"('it\'s' + "\"q\"")"), Str("it's\"q\""));
  EXPECT_EQ(Eval("t > t"), Bool(false));
  EXPECT_EQ(Eval("b == true"), Bool(true));
}

TEST(ExpressionTest, TypesAreInferred) {
  auto type = [](const std::string& text) {
    StatusOr<Expression> e = Expression::Parse(text, Resolve);
    EXPECT_TRUE(e.ok()) << e.status();
    return e.ok() ? e->type() : std::nullopt;
  };
  EXPECT_EQ(type("i + 1"), DataType::kInt64);
  EXPECT_EQ(type("i / 1"), DataType::kFloat64);
  EXPECT_EQ(type("i > x"), DataType::kBool);
  EXPECT_EQ(type("coalesce(i, 0)"), DataType::kInt64);
  EXPECT_EQ(type("max(i, x)"), DataType::kFloat64);
  EXPECT_EQ(type("hour(t)"), DataType::kInt64);
  EXPECT_EQ(type("null"), std::nullopt);
  EXPECT_EQ(type("if(b, null, null)"), std::nullopt);
}

TEST(ExpressionTest, SyntaxErrorsSayWhereAndWhatWasExpected) {
  EXPECT_EQ(ErrorOf("i +"),
            "expression column 4: expected a value (a number, a string, a name, a function "
            "call or '('), found the end of the expression");
  EXPECT_THAT(ErrorOf("(i + 1"), HasSubstr("column 7: expected ')' to close the '(' at column 1"));
  EXPECT_THAT(ErrorOf("i = 1"), HasSubstr("column 3: unexpected character '='; write '=='"));
  EXPECT_THAT(ErrorOf("i && b"), HasSubstr("write 'and'"));
  EXPECT_THAT(ErrorOf("i x"), HasSubstr("column 3: unexpected 'x' after a complete expression"));
  EXPECT_THAT(ErrorOf("1 < i < 3"), HasSubstr("column 7: comparisons do not chain"));
  EXPECT_THAT(ErrorOf("s + 'abc"), HasSubstr("column 5: unterminated string"));
  EXPECT_THAT(ErrorOf("'abc\\"), HasSubstr("unterminated string"));
  EXPECT_THAT(ErrorOf("1.2.3"), HasSubstr("is not a number"));
  EXPECT_THAT(ErrorOf("99999999999999999999"), HasSubstr("too large for int64"));
  EXPECT_THAT(ErrorOf("v."), HasSubstr("expected a feature name after 'v.'"));
  EXPECT_THAT(ErrorOf("a.b.c"), HasSubstr("at most one '.'"));
  EXPECT_THAT(ErrorOf("max(i,"), HasSubstr("expected a value"));
  EXPECT_THAT(ErrorOf("max(i x)"), HasSubstr("expected ',' or ')' in the arguments of max"));
  EXPECT_THAT(ErrorOf(std::string(500, '(') + "1" + std::string(500, ')')),
              HasSubstr("nested too deeply"));
  EXPECT_THAT(ErrorOf("and"), HasSubstr("found 'and'"));
}

TEST(ExpressionTest, NamesFunctionsAndTypesAreChecked) {
  EXPECT_EQ(ErrorOf("i + amount"), "expression column 5: unknown name 'amount'");
  EXPECT_THAT(ErrorOf("lg(x)"),
              HasSubstr("column 1: unknown function 'lg'. Did you mean 'log'? Functions: abs,"));
  EXPECT_THAT(ErrorOf("log(x, 2)"), HasSubstr("log() takes 1 argument, given 2"));
  EXPECT_THAT(ErrorOf("if(b, 1)"), HasSubstr("if() takes 3 arguments, given 2"));
  EXPECT_THAT(ErrorOf("coalesce()"), HasSubstr("takes at least 1 argument"));
  EXPECT_THAT(ErrorOf("s * 2"), HasSubstr("column 3: '*' takes numbers, found string and int64"));
  EXPECT_THAT(ErrorOf("s + 2"), HasSubstr("'+' takes numbers (or two strings)"));
  EXPECT_THAT(ErrorOf("b + 1"), HasSubstr("found bool and int64"));
  EXPECT_THAT(ErrorOf("-s"), HasSubstr("'-' takes a number, found string"));
  EXPECT_THAT(ErrorOf("s > 1"), HasSubstr("'>' compares numbers, strings or timestamps"));
  EXPECT_THAT(ErrorOf("b < true"), HasSubstr("found bool and bool"));
  EXPECT_THAT(ErrorOf("i and b"), HasSubstr("'and' takes bools, found int64 and bool"));
  EXPECT_THAT(ErrorOf("not s"), HasSubstr("'not' takes a bool, found string"));
  EXPECT_THAT(ErrorOf("log(s)"), HasSubstr("log() takes numbers, found string"));
  EXPECT_THAT(ErrorOf("hour(i)"), HasSubstr("hour() takes a timestamp, found int64"));
  EXPECT_THAT(ErrorOf("len(i)"), HasSubstr("len() takes a string"));
  EXPECT_THAT(ErrorOf("if(i, 1, 2)"), HasSubstr("if() takes a bool condition, found int64"));
  EXPECT_THAT(ErrorOf("coalesce(s, 1)"),
              HasSubstr("coalesce(): arguments of types string and int64 do not mix"));
  EXPECT_THAT(ErrorOf("max(b, b)"), HasSubstr("max() takes numbers, strings or timestamps"));
}

TEST(ExpressionTest, TheLocatorPlacesErrors) {
  StatusOr<Expression> e = Expression::Parse(
      "x + nope", Resolve, [](size_t offset) { return absl::StrCat("f.yaml:3:", 20 + offset); });
  ASSERT_FALSE(e.ok());
  EXPECT_EQ(e.status().message(), "f.yaml:3:24: unknown name 'nope'");
}

TEST(ExpressionTest, CopiesShareTheTreeAndEvaluateAlike) {
  StatusOr<Expression> e = Expression::Parse("coalesce(v.f, x) * i", Resolve);
  ASSERT_TRUE(e.ok());
  const Expression copy = *e;
  EXPECT_EQ(copy.text(), "coalesce(v.f, x) * i");
  EXPECT_EQ(copy.Evaluate(Inputs()), e->Evaluate(Inputs()));
  EXPECT_EQ(copy.Evaluate(Inputs()), Float(17.5));
}

}  // namespace
}  // namespace keel::features
