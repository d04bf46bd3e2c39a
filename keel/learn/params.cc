#include "keel/learn/params.h"

#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstdlib>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "keel/base/json_string.h"
#include "keel/base/suggest.h"

namespace keel::learn {
namespace {

[[noreturn]] void Die(std::string_view what, std::string_view name) {
  std::fprintf(stderr, "keel: internal error: %.*s '%.*s'\n", static_cast<int>(what.size()),
               what.data(), static_cast<int>(name.size()), name.data());
  std::abort();
}

std::string_view TypeName(ParamType type) {
  switch (type) {
    case ParamType::kInt:
      return "an integer";
    case ParamType::kFloat:
      return "a number";
    case ParamType::kBool:
      return "true or false";
    case ParamType::kChoice:
      return "one of the listed choices";
  }
  return "";
}

std::string FormatDouble(double value) {
  char buffer[32];
  auto [end, ec] = std::to_chars(buffer, buffer + sizeof(buffer), value);
  return std::string(buffer, end);
}

template <typename T>
bool ParseNumber(std::string_view text, T* value) {
  if (text.empty()) return false;
  if (text.front() == '+') text.remove_prefix(1);
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), *value);
  return ec == std::errc() && end == text.data() + text.size();
}

// Parses `text` as a value of `spec`, or explains why not.
StatusOr<ParamValue> ParseValue(std::string_view learner, const ParamSpec& spec,
                                std::string_view text) {
  auto invalid = [&](std::string_view why) {
    return absl::InvalidArgumentError(absl::StrCat("parameter '", spec.name, "' of ",
                                                   std::string(learner), ": ", std::string(why)));
  };
  auto check_range = [&](double v) -> Status {
    if (std::isnan(v) || v < spec.min || v > spec.max) {
      return invalid(absl::StrCat("value ", std::string(text), " is outside the valid range [",
                                  spec.min, ", ", spec.max, "]"));
    }
    return absl::OkStatus();
  };
  switch (spec.type) {
    case ParamType::kInt: {
      int64_t v = 0;
      if (!ParseNumber(text, &v)) {
        return invalid(
            absl::StrCat("'", std::string(text), "' is not ", std::string(TypeName(spec.type))));
      }
      KEEL_RETURN_IF_ERROR(check_range(static_cast<double>(v)));
      return ParamValue(v);
    }
    case ParamType::kFloat: {
      double v = 0;
      if (!ParseNumber(text, &v)) {
        return invalid(
            absl::StrCat("'", std::string(text), "' is not ", std::string(TypeName(spec.type))));
      }
      KEEL_RETURN_IF_ERROR(check_range(v));
      return ParamValue(v);
    }
    case ParamType::kBool:
      if (text == "true" || text == "1") return ParamValue(true);
      if (text == "false" || text == "0") return ParamValue(false);
      return invalid(absl::StrCat("'", std::string(text), "' is not true or false"));
    case ParamType::kChoice:
      for (const std::string& choice : spec.choices) {
        if (text == choice) return ParamValue(choice);
      }
      return invalid(absl::StrCat("'", std::string(text),
                                  "' is not one of: ", absl::StrJoin(spec.choices, ", "), ".",
                                  DidYouMean(text, spec.choices)));
  }
  return invalid("unknown parameter type");
}

// "eta (number in [0.001, 1], default 0.3)" for messages.
std::string Describe(const ParamSpec& spec) {
  std::string range;
  switch (spec.type) {
    case ParamType::kInt:
      range = absl::StrCat("integer in [", spec.min, ", ", spec.max, "]");
      break;
    case ParamType::kFloat:
      range = absl::StrCat("number in [", spec.min, ", ", spec.max, "]");
      break;
    case ParamType::kBool:
      range = "true or false";
      break;
    case ParamType::kChoice:
      range = absl::StrJoin(spec.choices, "|");
      break;
  }
  return absl::StrCat(spec.name, " (", range, ", default ", spec.default_value, ")");
}

}  // namespace

const ParamValue& Params::Get(std::string_view name) const {
  auto it = values_.find(name);
  if (it == values_.end()) Die("undeclared parameter", name);
  return it->second;
}

int64_t Params::Int(std::string_view name) const {
  const ParamValue& v = Get(name);
  if (!std::holds_alternative<int64_t>(v)) Die("parameter is not an integer", name);
  return std::get<int64_t>(v);
}

double Params::Float(std::string_view name) const {
  const ParamValue& v = Get(name);
  if (std::holds_alternative<int64_t>(v)) return static_cast<double>(std::get<int64_t>(v));
  if (!std::holds_alternative<double>(v)) Die("parameter is not a number", name);
  return std::get<double>(v);
}

bool Params::Bool(std::string_view name) const {
  const ParamValue& v = Get(name);
  if (!std::holds_alternative<bool>(v)) Die("parameter is not a bool", name);
  return std::get<bool>(v);
}

const std::string& Params::Choice(std::string_view name) const {
  const ParamValue& v = Get(name);
  if (!std::holds_alternative<std::string>(v)) Die("parameter is not a choice", name);
  return std::get<std::string>(v);
}

std::string ParamValueToString(const ParamValue& value) {
  if (const auto* i = std::get_if<int64_t>(&value)) return std::to_string(*i);
  if (const auto* d = std::get_if<double>(&value)) return FormatDouble(*d);
  if (const auto* b = std::get_if<bool>(&value)) return *b ? "true" : "false";
  return std::get<std::string>(value);
}

std::string Params::ToJson() const {
  std::string out = "{";
  bool first = true;
  for (const auto& [name, value] : values_) {
    if (!first) out += ",";
    first = false;
    AppendJsonString(name, &out);
    out += ":";
    if (std::holds_alternative<std::string>(value)) {
      AppendJsonString(std::get<std::string>(value), &out);
    } else if (const auto* d = std::get_if<double>(&value); d != nullptr && !std::isfinite(*d)) {
      AppendJsonString(FormatDouble(*d), &out);
    } else {
      out += ParamValueToString(value);
    }
  }
  out += "}";
  return out;
}

StatusOr<Params> ParseParams(std::string_view learner, std::span<const ParamSpec> specs,
                             const std::vector<std::string>& assignments) {
  std::vector<std::string> names;
  for (const ParamSpec& spec : specs) names.push_back(spec.name);
  Params params;
  for (const ParamSpec& spec : specs) {
    StatusOr<ParamValue> value = ParseValue(learner, spec, spec.default_value);
    if (!value.ok()) Die("bad default for parameter", spec.name);
    params.Set(spec.name, *std::move(value));
  }
  for (const std::string& assignment : assignments) {
    const size_t eq = assignment.find('=');
    if (eq == std::string::npos) {
      return absl::InvalidArgumentError(absl::StrCat(
          "parameter '", assignment, "' of ", std::string(learner),
          " has no value: write it as name=value, for example ",
          specs.empty() ? "name=1" : absl::StrCat(specs[0].name, "=", specs[0].default_value)));
    }
    const std::string_view name = std::string_view(assignment).substr(0, eq);
    const std::string_view text = std::string_view(assignment).substr(eq + 1);
    const ParamSpec* spec = nullptr;
    for (const ParamSpec& candidate : specs) {
      if (candidate.name == name) spec = &candidate;
    }
    if (spec == nullptr) {
      std::vector<std::string> described;
      for (const ParamSpec& s : specs) described.push_back(Describe(s));
      return absl::InvalidArgumentError(absl::StrCat(
          "unknown parameter '", std::string(name), "' for ", std::string(learner), ".",
          DidYouMean(name, names), " Valid parameters: ", absl::StrJoin(described, ", "), "."));
    }
    KEEL_ASSIGN_OR_RETURN(ParamValue value, ParseValue(learner, *spec, text));
    params.Set(spec->name, std::move(value));
  }
  return params;
}

}  // namespace keel::learn
