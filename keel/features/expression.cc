#include "keel/features/expression.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "keel/base/suggest.h"
#include "keel/features/expression_node.h"

namespace keel::features {

namespace {

using Node = Expression::Node;
using NodePtr = std::unique_ptr<const Node>;
using expression_internal::MakeBool;
using expression_internal::MakeFloat;
using expression_internal::MakeInt;
using expression_internal::MakeString;
using expression_internal::NullOf;
using expression_internal::Type;

struct FunctionInfo {
  const char* name;
  Fn fn;
  int min_args;
  int max_args;  // -1: any number
};

constexpr FunctionInfo kFunctions[] = {
    {"abs", Fn::kAbs, 1, 1},
    {"log", Fn::kLog, 1, 1},
    {"log1p", Fn::kLog1p, 1, 1},
    {"exp", Fn::kExp, 1, 1},
    {"sqrt", Fn::kSqrt, 1, 1},
    {"floor", Fn::kFloor, 1, 1},
    {"ceil", Fn::kCeil, 1, 1},
    {"pow", Fn::kPow, 2, 2},
    {"min", Fn::kMin, 1, -1},
    {"max", Fn::kMax, 1, -1},
    {"coalesce", Fn::kCoalesce, 1, -1},
    {"if", Fn::kIf, 3, 3},
    {"is_null", Fn::kIsNull, 1, 1},
    {"hour", Fn::kHour, 1, 1},
    {"dow", Fn::kDow, 1, 1},
    {"lower", Fn::kLower, 1, 1},
    {"upper", Fn::kUpper, 1, 1},
    {"len", Fn::kLen, 1, 1},
};

std::string TypeName(Type t) { return t ? std::string(DataTypeName(*t)) : "null"; }
bool IsNumeric(Type t) { return t == DataType::kInt64 || t == DataType::kFloat64; }

// ---------------------------------------------------------------- lexer

enum class Tok { kNumber, kString, kName, kSymbol, kEnd };

struct Token {
  Tok kind = Tok::kEnd;
  std::string text;  // name, symbol, number as written, or the string's value
  size_t offset = 0;
  FeatureValue value;  // kNumber, kString
};

std::string Describe(const Token& t) {
  switch (t.kind) {
    case Tok::kEnd:
      return "the end of the expression";
    case Tok::kString:
      return "a string";
    default:
      return absl::StrCat("'", t.text, "'");
  }
}

bool IsNameStart(char c) { return std::isalpha(static_cast<unsigned char>(c)) || c == '_'; }
bool IsNameChar(char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; }

class Parser {
 public:
  Parser(std::string_view text, const ExpressionResolver& resolve, const ExpressionLocator& locate)
      : text_(text), resolve_(resolve), locate_(locate) {}

  StatusOr<NodePtr> Run() {
    KEEL_RETURN_IF_ERROR(Lex());
    KEEL_ASSIGN_OR_RETURN(NodePtr root, ParseOr());
    if (Peek().kind != Tok::kEnd) {
      return Error(Peek().offset,
                   absl::StrCat("unexpected ", Describe(Peek()),
                                " after a complete expression; expected an operator or the end"));
    }
    return root;
  }

 private:
  Status Error(size_t offset, const std::string& message) const {
    const std::string where =
        locate_ ? locate_(offset) : absl::StrCat("expression column ", offset + 1);
    return absl::InvalidArgumentError(absl::StrCat(where, ": ", message));
  }

  Status Lex() {
    size_t i = 0;
    const size_t n = text_.size();
    while (true) {
      while (i < n && std::isspace(static_cast<unsigned char>(text_[i]))) ++i;
      Token t;
      t.offset = i;
      if (i == n) {
        tokens_.push_back(std::move(t));
        return absl::OkStatus();
      }
      const char c = text_[i];
      if (std::isdigit(static_cast<unsigned char>(c)) ||
          (c == '.' && i + 1 < n && std::isdigit(static_cast<unsigned char>(text_[i + 1])))) {
        KEEL_RETURN_IF_ERROR(LexNumber(&i, &t));
      } else if (c == '\'' || c == '"') {
        KEEL_RETURN_IF_ERROR(LexString(&i, &t));
      } else if (IsNameStart(c)) {
        size_t j = i;
        while (j < n && IsNameChar(text_[j])) ++j;
        if (j < n && text_[j] == '.') {
          if (j + 1 >= n || !IsNameStart(text_[j + 1])) {
            return Error(j + 1,
                         absl::StrCat("expected a feature name after '",
                                      std::string(text_.substr(i, j + 1 - i)), "' (view.feature)"));
          }
          ++j;
          while (j < n && IsNameChar(text_[j])) ++j;
          if (j < n && text_[j] == '.') {
            return Error(j, "a name has at most one '.': view.feature");
          }
        }
        t.kind = Tok::kName;
        t.text = std::string(text_.substr(i, j - i));
        i = j;
      } else {
        static const char* const kSymbols[] = {"==", "!=", "<=", ">=", "<", ">", "+",
                                               "-",  "*",  "/",  "%",  "(", ")", ","};
        const std::string_view rest = text_.substr(i);
        for (const char* s : kSymbols) {
          if (rest.substr(0, std::string_view(s).size()) == s) {
            t.text = s;
            break;
          }
        }
        if (t.text.empty()) {
          std::string hint;
          if (c == '=') hint = "; write '==' to compare";
          if (c == '!') hint = "; write 'not' (or '!=')";
          if (c == '&') hint = "; write 'and'";
          if (c == '|') hint = "; write 'or'";
          return Error(i, absl::StrCat("unexpected character '", std::string(1, c), "'", hint));
        }
        t.kind = Tok::kSymbol;
        i += t.text.size();
      }
      tokens_.push_back(std::move(t));
    }
  }

  Status LexNumber(size_t* i, Token* t) {
    const size_t n = text_.size();
    size_t j = *i;
    bool is_float = false;
    while (j < n && std::isdigit(static_cast<unsigned char>(text_[j]))) ++j;
    if (j < n && text_[j] == '.') {
      is_float = true;
      ++j;
      while (j < n && std::isdigit(static_cast<unsigned char>(text_[j]))) ++j;
    }
    if (j < n && (text_[j] == 'e' || text_[j] == 'E')) {
      size_t k = j + 1;
      if (k < n && (text_[k] == '+' || text_[k] == '-')) ++k;
      if (k < n && std::isdigit(static_cast<unsigned char>(text_[k]))) {
        is_float = true;
        j = k;
        while (j < n && std::isdigit(static_cast<unsigned char>(text_[j]))) ++j;
      }
    }
    t->kind = Tok::kNumber;
    t->text = std::string(text_.substr(*i, j - *i));
    if (j < n && (IsNameChar(text_[j]) || text_[j] == '.')) {
      return Error(*i, absl::StrCat("'", t->text, std::string(1, text_[j]),
                                    "...' is not a number; expected digits, one '.' and an "
                                    "optional exponent (1.5e3)"));
    }
    const char* begin = t->text.data();
    const char* end = begin + t->text.size();
    if (is_float) {
      double d = 0;
      const auto r = std::from_chars(begin, end, d);
      if (r.ec != std::errc() || !std::isfinite(d)) {
        return Error(*i, absl::StrCat("number ", t->text, " is out of the float64 range"));
      }
      t->value = MakeFloat(d);
    } else {
      int64_t v = 0;
      const auto r = std::from_chars(begin, end, v);
      if (r.ec != std::errc()) {
        return Error(
            *i, absl::StrCat("integer ", t->text, " is too large for int64; write it as a float (",
                             t->text, ".0)"));
      }
      t->value = MakeInt(DataType::kInt64, v);
    }
    *i = j;
    return absl::OkStatus();
  }

  Status LexString(size_t* i, Token* t) {
    const char quote = text_[*i];
    std::string value;
    size_t j = *i + 1;
    while (true) {
      if (j >= text_.size()) {
        return Error(
            *i, absl::StrCat("unterminated string: expected a closing ", std::string(1, quote)));
      }
      const char c = text_[j];
      if (c == quote) break;
      if (c == '\\') {
        if (j + 1 >= text_.size()) {
          j = text_.size();  // reported as unterminated
          continue;
        }
        const char e = text_[j + 1];
        if (e == 'n') {
          value.push_back('\n');
        } else if (e == 't') {
          value.push_back('\t');
        } else if (e == '\\' || e == '\'' || e == '"') {
          value.push_back(e);
        } else {
          return Error(j, absl::StrCat("unknown escape '\\", std::string(1, e),
                                       "'; expected \\\\, \\', \\\", \\n or \\t"));
        }
        j += 2;
        continue;
      }
      value.push_back(c);
      ++j;
    }
    t->kind = Tok::kString;
    t->text = value;
    t->value = MakeString(std::move(value));
    *i = j + 1;
    return absl::OkStatus();
  }

  const Token& Peek() const { return tokens_[pos_]; }
  bool PeekSymbol(std::string_view s) const {
    return Peek().kind == Tok::kSymbol && Peek().text == s;
  }
  bool PeekWord(std::string_view w) const { return Peek().kind == Tok::kName && Peek().text == w; }
  const Token& Next() { return tokens_[pos_++]; }

  static NodePtr Make(Op op, Type type, std::vector<NodePtr> args) {
    auto n = std::make_unique<Node>();
    n->op = op;
    n->type = type;
    n->args = std::move(args);
    return n;
  }
  static std::vector<NodePtr> Two(NodePtr a, NodePtr b) {
    std::vector<NodePtr> v;
    v.push_back(std::move(a));
    v.push_back(std::move(b));
    return v;
  }

  // Depth guard: deeply nested input must not exhaust the stack.
  Status Enter(size_t offset) {
    if (++depth_ > 200) return Error(offset, "the expression is nested too deeply");
    return absl::OkStatus();
  }

  StatusOr<NodePtr> ParseOr() { return ParseLogical("or", Op::kOr); }

  StatusOr<NodePtr> ParseLogical(std::string_view word, Op op) {
    KEEL_RETURN_IF_ERROR(Enter(Peek().offset));
    KEEL_ASSIGN_OR_RETURN(NodePtr left, op == Op::kOr ? ParseLogical("and", Op::kAnd) : ParseNot());
    while (PeekWord(word)) {
      const size_t at = Next().offset;
      KEEL_ASSIGN_OR_RETURN(NodePtr right,
                            op == Op::kOr ? ParseLogical("and", Op::kAnd) : ParseNot());
      for (const NodePtr* side : {&left, &right}) {
        if ((*side)->type && (*side)->type != DataType::kBool) {
          return Error(at, absl::StrCat("'", std::string(word), "' takes bools, found ",
                                        TypeName(left->type), " and ", TypeName(right->type)));
        }
      }
      left = Make(op, DataType::kBool, Two(std::move(left), std::move(right)));
    }
    --depth_;
    return left;
  }

  StatusOr<NodePtr> ParseNot() {
    if (!PeekWord("not")) return ParseComparison();
    const size_t at = Next().offset;
    KEEL_RETURN_IF_ERROR(Enter(at));
    KEEL_ASSIGN_OR_RETURN(NodePtr arg, ParseNot());
    --depth_;
    if (arg->type && arg->type != DataType::kBool) {
      return Error(at, absl::StrCat("'not' takes a bool, found ", TypeName(arg->type)));
    }
    std::vector<NodePtr> args;
    args.push_back(std::move(arg));
    return Make(Op::kNot, DataType::kBool, std::move(args));
  }

  StatusOr<NodePtr> ParseComparison() {
    static const std::pair<const char*, Op> kOps[] = {{"==", Op::kEq}, {"!=", Op::kNe},
                                                      {"<", Op::kLt},  {"<=", Op::kLe},
                                                      {">", Op::kGt},  {">=", Op::kGe}};
    KEEL_ASSIGN_OR_RETURN(NodePtr left, ParseAdditive());
    for (int round = 0;; ++round) {
      const auto* op = std::find_if(std::begin(kOps), std::end(kOps),
                                    [&](const auto& o) { return PeekSymbol(o.first); });
      if (op == std::end(kOps)) return left;
      const Token& t = Next();
      if (round > 0) {
        return Error(t.offset, "comparisons do not chain; write 'a < b and b < c'");
      }
      KEEL_ASSIGN_OR_RETURN(NodePtr right, ParseAdditive());
      const Type a = left->type, b = right->type;
      const bool equality = op->second == Op::kEq || op->second == Op::kNe;
      const bool ok = !a || !b || (IsNumeric(a) && IsNumeric(b)) ||
                      (a == b && (equality || a != DataType::kBool));
      if (!ok) {
        return Error(t.offset, absl::StrCat("'", t.text, "' compares ",
                                            equality ? "two values of one type (or two numbers)"
                                                     : "numbers, strings or timestamps of one type",
                                            ", found ", TypeName(a), " and ", TypeName(b)));
      }
      left = Make(op->second, DataType::kBool, Two(std::move(left), std::move(right)));
    }
  }

  StatusOr<NodePtr> ParseAdditive() {
    KEEL_ASSIGN_OR_RETURN(NodePtr left, ParseMultiplicative());
    while (PeekSymbol("+") || PeekSymbol("-")) {
      const Token& t = Next();
      KEEL_ASSIGN_OR_RETURN(NodePtr right, ParseMultiplicative());
      KEEL_ASSIGN_OR_RETURN(left, Arithmetic(t, std::move(left), std::move(right)));
    }
    return left;
  }

  StatusOr<NodePtr> ParseMultiplicative() {
    KEEL_ASSIGN_OR_RETURN(NodePtr left, ParseUnary());
    while (PeekSymbol("*") || PeekSymbol("/") || PeekSymbol("%")) {
      const Token& t = Next();
      KEEL_ASSIGN_OR_RETURN(NodePtr right, ParseUnary());
      KEEL_ASSIGN_OR_RETURN(left, Arithmetic(t, std::move(left), std::move(right)));
    }
    return left;
  }

  StatusOr<NodePtr> Arithmetic(const Token& t, NodePtr left, NodePtr right) {
    const Op op = t.text == "+"   ? Op::kAdd
                  : t.text == "-" ? Op::kSub
                  : t.text == "*" ? Op::kMul
                  : t.text == "/" ? Op::kDiv
                                  : Op::kMod;
    const Type a = left->type, b = right->type;
    Type type;
    if (op == Op::kAdd && (a == DataType::kString || b == DataType::kString) &&
        (!a || a == DataType::kString) && (!b || b == DataType::kString)) {
      type = DataType::kString;
    } else if ((a && !IsNumeric(a)) || (b && !IsNumeric(b))) {
      return Error(t.offset, absl::StrCat("'", t.text, "' takes numbers",
                                          op == Op::kAdd ? " (or two strings)" : "", ", found ",
                                          TypeName(a), " and ", TypeName(b)));
    } else if (op == Op::kDiv || a == DataType::kFloat64 || b == DataType::kFloat64) {
      type = DataType::kFloat64;
    } else if (a || b) {
      type = DataType::kInt64;
    }
    return Make(op, type, Two(std::move(left), std::move(right)));
  }

  StatusOr<NodePtr> ParseUnary() {
    if (!PeekSymbol("-")) return ParsePrimary();
    const size_t at = Next().offset;
    KEEL_RETURN_IF_ERROR(Enter(at));
    KEEL_ASSIGN_OR_RETURN(NodePtr arg, ParseUnary());
    --depth_;
    if (arg->type && !IsNumeric(arg->type)) {
      return Error(at, absl::StrCat("'-' takes a number, found ", TypeName(arg->type)));
    }
    const Type type = arg->type;
    std::vector<NodePtr> args;
    args.push_back(std::move(arg));
    return Make(Op::kNeg, type, std::move(args));
  }

  StatusOr<NodePtr> ParsePrimary() {
    const Token& t = Next();
    if (t.kind == Tok::kNumber || t.kind == Tok::kString) {
      auto n = std::make_unique<Node>();
      n->literal = t.value;
      n->type = t.value.type;
      return NodePtr(std::move(n));
    }
    if (t.kind == Tok::kSymbol && t.text == "(") {
      KEEL_RETURN_IF_ERROR(Enter(t.offset));
      KEEL_ASSIGN_OR_RETURN(NodePtr inner, ParseOr());
      --depth_;
      if (!PeekSymbol(")")) {
        return Error(Peek().offset, absl::StrCat("expected ')' to close the '(' at ",
                                                 Where(t.offset), ", found ", Describe(Peek())));
      }
      Next();
      return inner;
    }
    if (t.kind == Tok::kName) {
      if (t.text == "true" || t.text == "false" || t.text == "null") {
        auto n = std::make_unique<Node>();
        n->literal = t.text == "null" ? NullOf(std::nullopt) : MakeBool(t.text == "true");
        if (t.text != "null") n->type = DataType::kBool;
        return NodePtr(std::move(n));
      }
      if (!IsExpressionKeyword(t.text)) {
        if (PeekSymbol("(")) return ParseCall(t);
        StatusOr<ExpressionInput> input =
            resolve_ ? resolve_(t.text)
                     : StatusOr<ExpressionInput>(
                           absl::InvalidArgumentError(absl::StrCat("unknown name '", t.text, "'")));
        if (!input.ok()) return Error(t.offset, std::string(input.status().message()));
        auto n = std::make_unique<Node>();
        n->op = Op::kInput;
        n->slot = input->slot;
        n->type = input->type;
        return NodePtr(std::move(n));
      }
    }
    return Error(t.offset, absl::StrCat("expected a value (a number, a string, a name, a "
                                        "function call or '('), found ",
                                        Describe(t)));
  }

  std::string Where(size_t offset) const {
    return locate_ ? locate_(offset) : absl::StrCat("column ", offset + 1);
  }

  StatusOr<NodePtr> ParseCall(const Token& name) {
    const FunctionInfo* f = nullptr;
    for (const FunctionInfo& x : kFunctions) {
      if (name.text == x.name) f = &x;
    }
    if (f == nullptr) {
      return Error(name.offset,
                   absl::StrCat("unknown function '", name.text, "'.",
                                DidYouMean(name.text, ExpressionFunctionNames()),
                                " Functions: ", absl::StrJoin(ExpressionFunctionNames(), ", ")));
    }
    KEEL_RETURN_IF_ERROR(Enter(name.offset));
    Next();  // '('
    std::vector<NodePtr> args;
    if (!PeekSymbol(")")) {
      while (true) {
        KEEL_ASSIGN_OR_RETURN(NodePtr arg, ParseOr());
        args.push_back(std::move(arg));
        if (PeekSymbol(")")) break;
        if (!PeekSymbol(",")) {
          return Error(Peek().offset, absl::StrCat("expected ',' or ')' in the arguments of ",
                                                   name.text, ", found ", Describe(Peek())));
        }
        Next();
      }
    }
    Next();  // ')'
    --depth_;
    const int count = static_cast<int>(args.size());
    if (count < f->min_args || (f->max_args >= 0 && count > f->max_args)) {
      const std::string wanted =
          f->max_args < 0 ? absl::StrCat("at least ", f->min_args) : absl::StrCat(f->min_args);
      return Error(name.offset, absl::StrCat(name.text, "() takes ", wanted, " argument",
                                             f->min_args == 1 && f->max_args == 1 ? "" : "s",
                                             ", given ", count));
    }
    KEEL_ASSIGN_OR_RETURN(Type type, CallType(name, *f, args));
    auto n = std::make_unique<Node>();
    n->op = Op::kCall;
    n->fn = f->fn;
    n->type = type;
    n->args = std::move(args);
    return NodePtr(std::move(n));
  }

  // The result type of a call, or an error naming the argument.
  StatusOr<Type> CallType(const Token& name, const FunctionInfo& f,
                          const std::vector<NodePtr>& args) const {
    auto bad = [&](size_t i, const std::string& wanted) {
      return Error(name.offset,
                   absl::StrCat(name.text, "() takes ", wanted, ", found ", TypeName(args[i]->type),
                                args.size() > 1 ? absl::StrCat(" (argument ", i + 1, ")") : ""));
    };
    switch (f.fn) {
      case Fn::kAbs:
        if (args[0]->type && !IsNumeric(args[0]->type)) return bad(0, "a number");
        return args[0]->type;
      case Fn::kLog:
      case Fn::kLog1p:
      case Fn::kExp:
      case Fn::kSqrt:
      case Fn::kFloor:
      case Fn::kCeil:
      case Fn::kPow:
        for (size_t i = 0; i < args.size(); ++i) {
          if (args[i]->type && !IsNumeric(args[i]->type)) return bad(i, "numbers");
        }
        return Type(DataType::kFloat64);
      case Fn::kIsNull:
        return Type(DataType::kBool);
      case Fn::kHour:
      case Fn::kDow:
        if (args[0]->type && args[0]->type != DataType::kTimestamp) return bad(0, "a timestamp");
        return Type(DataType::kInt64);
      case Fn::kLower:
      case Fn::kUpper:
      case Fn::kLen:
        if (args[0]->type && args[0]->type != DataType::kString) return bad(0, "a string");
        return Type(f.fn == Fn::kLen ? DataType::kInt64 : DataType::kString);
      case Fn::kIf:
        if (args[0]->type && args[0]->type != DataType::kBool) return bad(0, "a bool condition");
        return Common(name, args, 1);
      case Fn::kMin:
      case Fn::kMax: {
        KEEL_ASSIGN_OR_RETURN(Type t, Common(name, args, 0));
        if (t == DataType::kBool) return bad(0, "numbers, strings or timestamps");
        return t;
      }
      case Fn::kCoalesce:
        return Common(name, args, 0);
    }
    return Type();
  }

  // The one type of args[from..]: equal types, int64 with float64 giving
  // float64; null goes with anything.
  StatusOr<Type> Common(const Token& name, const std::vector<NodePtr>& args, size_t from) const {
    Type out;
    for (size_t i = from; i < args.size(); ++i) {
      const Type t = args[i]->type;
      if (!t || t == out) continue;
      if (!out) {
        out = t;
      } else if (IsNumeric(out) && IsNumeric(t)) {
        out = DataType::kFloat64;
      } else {
        return Error(name.offset,
                     absl::StrCat(name.text, "(): arguments of types ", TypeName(out), " and ",
                                  TypeName(t), " do not mix; give values of one type"));
      }
    }
    return out;
  }

  std::string_view text_;
  const ExpressionResolver& resolve_;
  const ExpressionLocator& locate_;
  std::vector<Token> tokens_;
  size_t pos_ = 0;
  int depth_ = 0;
};

}  // namespace

const std::vector<std::string>& ExpressionFunctionNames() {
  static const std::vector<std::string>* names = [] {
    auto* out = new std::vector<std::string>();
    for (const FunctionInfo& f : kFunctions) out->push_back(f.name);
    return out;
  }();
  return *names;
}

bool IsExpressionKeyword(std::string_view word) {
  return word == "true" || word == "false" || word == "null" || word == "and" || word == "or" ||
         word == "not";
}

StatusOr<Expression> Expression::Parse(std::string_view text, const ExpressionResolver& resolve,
                                       const ExpressionLocator& locate) {
  Parser parser(text, resolve, locate);
  KEEL_ASSIGN_OR_RETURN(NodePtr root, parser.Run());
  const Type type = root->type;
  return Expression(std::shared_ptr<const Node>(std::move(root)), type, std::string(text));
}

}  // namespace keel::features
