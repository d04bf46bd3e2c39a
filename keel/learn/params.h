// Hyper-parameters: each learner declares its own, so that the CLI
// (--param k=v), the registry and tuning (tune/) can handle any learner the
// same way.
#ifndef KEEL_LEARN_PARAMS_H_
#define KEEL_LEARN_PARAMS_H_

#include <cstdint>
#include <map>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "keel/base/status.h"

namespace keel::learn {

enum class ParamType { kInt, kFloat, kBool, kChoice };

// One hyper-parameter a learner accepts. For kInt and kFloat, [min, max] is
// the valid range (inclusive) and also the default search range for tuning,
// sampled on a log scale when `log_scale`. For kChoice, `choices` lists the
// valid strings.
struct ParamSpec {
  std::string name;
  ParamType type = ParamType::kFloat;
  double min = 0;
  double max = 0;
  // The default, as text in the same syntax the CLI takes ("0.3", "6",
  // "true", "l2").
  std::string default_value;
  bool log_scale = false;
  std::vector<std::string> choices;
  std::string help;
};

using ParamValue = std::variant<int64_t, double, bool, std::string>;

// Validated values for one learner's parameters: every declared parameter
// has a value (the default when not given).
class Params {
 public:
  Params() = default;

  // The value of `name`. The caller asks for the declared type; asking for
  // an undeclared name or the wrong type is a programming error (checked).
  int64_t Int(std::string_view name) const;
  double Float(std::string_view name) const;
  bool Bool(std::string_view name) const;
  const std::string& Choice(std::string_view name) const;

  const std::map<std::string, ParamValue, std::less<>>& values() const { return values_; }
  void Set(std::string name, ParamValue value) { values_[std::move(name)] = std::move(value); }

  // {"eta": 0.3, "max_depth": 6, ...} as a JSON object, keys sorted.
  std::string ToJson() const;

 private:
  const ParamValue& Get(std::string_view name) const;
  std::map<std::string, ParamValue, std::less<>> values_;
};

// Parses "name=value" assignments against `specs`; parameters not given get
// their defaults. Errors (InvalidArgument): a missing '=', an unknown name
// (listing the valid ones, with a did-you-mean), a value that does not parse
// as the declared type, a number outside [min, max], a choice not listed.
// Each message names the parameter and the learner (`learner` is only used
// in messages).
StatusOr<Params> ParseParams(std::string_view learner, std::span<const ParamSpec> specs,
                             const std::vector<std::string>& assignments);

// The text form of a value, as ParseParams would accept it (doubles in
// shortest round-trip form).
std::string ParamValueToString(const ParamValue& value);

}  // namespace keel::learn

#endif  // KEEL_LEARN_PARAMS_H_
