// The expression language of on-demand features (features.yaml
// `on_demand_views`, README.md): a small typed language over request fields
// and other features, parsed once and evaluated one row at a time by the
// same code for training sets and for requests.
//
//   amount / user_profile.credit_limit
//   if(is_null(x), 0, log1p(x)) + 2 * coalesce(v.count_7d, 0)
//
// Values are FeatureValues: null or a bool, int64, float64, string or
// timestamp. Null semantics: arithmetic, comparisons and most functions of a
// null are null; and/or are three-valued; coalesce, is_null, if, min and max
// handle nulls. A float64 is always finite or null: a NaN or infinite input,
// a division by zero and a result that is not finite (log(0), sqrt(-1),
// overflow) are null, as is an int64 result that overflows.
#ifndef KEEL_FEATURES_EXPRESSION_H_
#define KEEL_FEATURES_EXPRESSION_H_

#include <cstddef>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "keel/base/status.h"
#include "keel/features/online_store.h"
#include "keel/table/types.h"

namespace keel::features {

// What a name of an expression stands for: the slot of Evaluate's inputs
// it reads, and the type of the values there.
struct ExpressionInput {
  int slot = 0;
  DataType type = DataType::kFloat64;
};

// Resolves a name: a plain one ("amount") or a dotted one
// ("user_profile.credit_limit"). Errors: a message saying why the name is
// not known (with did-you-mean); Expression::Parse puts the position of the
// name in front of it.
using ExpressionResolver = std::function<StatusOr<ExpressionInput>(std::string_view name)>;

// The place of character `offset` of the expression's text, for messages
// ("features.yaml:12:40"). Without one, messages say "expression column N".
using ExpressionLocator = std::function<std::string(size_t offset)>;

// The function names expressions know, in the order messages list them.
const std::vector<std::string>& ExpressionFunctionNames();
// The words that are not names: true, false, null, and, or, not.
bool IsExpressionKeyword(std::string_view word);

// A parsed, type-checked expression. Immutable; copies share the parsed
// tree; thread-safe.
class Expression {
 public:
  // Parses and type-checks `text`. Errors: InvalidArgument "<where>: <what
  // was wrong>; <what was expected>", <where> from `locate` at the offending
  // character: a syntax error, an unknown name (the resolver's message), an
  // unknown function (did-you-mean) or a wrong number of arguments, and
  // operands of types an operator or function does not take ("'+' takes
  // numbers or strings, found bool and int64").
  static StatusOr<Expression> Parse(std::string_view text, const ExpressionResolver& resolve,
                                    const ExpressionLocator& locate = {});

  // The type of every non-null result; nullopt when there is none (the
  // expression is always null: `null`, `if(c, null, null)`).
  std::optional<DataType> type() const { return type_; }
  const std::string& text() const { return text_; }

  // The value for one row: inputs[slot] holds each name's value, null or of
  // the name's type (an int64 where a float64 is expected is read as one).
  // Never fails: a value the expression cannot compute is null (see the
  // file comment). The result is null or of type(); a null result has
  // type() (float64 when type() is nullopt).
  FeatureValue Evaluate(std::span<const FeatureValue> inputs) const;

  struct Node;  // the parsed tree (expression.cc)

 private:
  Expression(std::shared_ptr<const Node> root, std::optional<DataType> type, std::string text)
      : root_(std::move(root)), type_(type), text_(std::move(text)) {}

  std::shared_ptr<const Node> root_;
  std::optional<DataType> type_;
  std::string text_;
};

}  // namespace keel::features

#endif  // KEEL_FEATURES_EXPRESSION_H_
