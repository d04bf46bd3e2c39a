#include "keel/transform/spec.h"

#include <fnmatch.h>

#include <cerrno>
#include <cstdlib>
#include <regex>
#include <set>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "keel/base/files.h"
#include "keel/base/suggest.h"
#include "yaml-cpp/yaml.h"

namespace keel::transform {
namespace {

const std::vector<std::string>& SelectorTypeNames() {
  static const auto* const kNames = new std::vector<std::string>{
      "numeric", "bool", "int64", "float64", "string", "timestamp", "all"};
  return *kNames;
}

bool TypeMatches(std::string_view selector_type, DataType type) {
  if (selector_type == "all") return true;
  if (selector_type == "numeric") return type == DataType::kInt64 || type == DataType::kFloat64;
  return DataTypeName(type) == selector_type;
}

bool Glob(const std::string& pattern, const std::string& name) {
  return ::fnmatch(pattern.c_str(), name.c_str(), 0) == 0;
}

std::string Prefix(std::string_view where, std::string_view label) {
  std::string out;
  if (!where.empty()) absl::StrAppend(&out, std::string(where), ": ");
  if (!label.empty()) absl::StrAppend(&out, std::string(label), ": ");
  return out;
}

}  // namespace

// ---------------------------------------------------------------- selector

ColumnSelector ColumnSelector::Names(std::vector<std::string> names) {
  ColumnSelector s;
  s.names = std::move(names);
  return s;
}

ColumnSelector ColumnSelector::Types(std::vector<std::string> types) {
  ColumnSelector s;
  s.types = std::move(types);
  return s;
}

Status ValidateSelector(const ColumnSelector& selector, std::string_view label) {
  for (const std::string& type : selector.types) {
    const auto& known = SelectorTypeNames();
    if (std::find(known.begin(), known.end(), type) == known.end()) {
      return absl::InvalidArgumentError(
          absl::StrCat(Prefix(selector.where, label), "unknown column type '", type, "'.",
                       DidYouMean(type, known), " Types: ", absl::StrJoin(known, ", ")));
    }
  }
  for (const std::string& regex : selector.regexes) {
    try {
      std::regex re(regex);
    } catch (const std::regex_error& e) {
      return absl::InvalidArgumentError(
          absl::StrCat(Prefix(selector.where, label), "invalid regex '", regex, "': ", e.what()));
    }
  }
  if (selector.names.empty() && selector.types.empty() && selector.patterns.empty() &&
      selector.regexes.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat(Prefix(selector.where, label),
                     "no columns given; write names (columns: [a, b]) or a selector "
                     "(columns: {types: [numeric], pattern: 'amount_*', regex: '...', "
                     "exclude: [id]})"));
  }
  return absl::OkStatus();
}

StatusOr<std::vector<std::string>> ColumnSelector::Resolve(const Schema& schema,
                                                           std::string_view step_label) const {
  KEEL_RETURN_IF_ERROR(ValidateSelector(*this, step_label));
  std::vector<bool> chosen(schema.num_fields(), false);
  for (size_t i = 0; i < names.size(); ++i) {
    const int index = schema.IndexOf(names[i]);
    if (index < 0) {
      const std::string where =
          i < name_where.size() && !name_where[i].empty() ? name_where[i] : this->where;
      return absl::InvalidArgumentError(absl::StrCat(
          Prefix(where, step_label), "column '", names[i], "' is not in the table.",
          DidYouMean(names[i], schema.names()), " Columns: ", absl::StrJoin(schema.names(), ", ")));
    }
    chosen[index] = true;
  }
  std::vector<std::regex> res;
  for (const std::string& r : regexes) res.emplace_back(r);
  for (int c = 0; c < schema.num_fields(); ++c) {
    const Field& f = schema.field(c);
    for (const std::string& t : types) chosen[c] = chosen[c] || TypeMatches(t, f.type);
    for (const std::string& p : patterns) chosen[c] = chosen[c] || Glob(p, f.name);
    for (const std::regex& re : res) chosen[c] = chosen[c] || std::regex_match(f.name, re);
    for (const std::string& x : exclude) {
      if (x == f.name || Glob(x, f.name)) chosen[c] = false;
    }
  }
  std::vector<std::string> out;
  for (int c = 0; c < schema.num_fields(); ++c) {
    if (chosen[c]) out.push_back(schema.field(c).name);
  }
  if (out.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat(Prefix(where, step_label), "the column selector matches no column of the ",
                     "table (", schema.ToString(), "); change it or remove the step"));
  }
  return out;
}

// ---------------------------------------------------------------- params

void Params::Set(std::string key, std::string value, std::string where) {
  entries_[std::move(key)] = Entry{{std::move(value)}, false, std::move(where)};
}

void Params::SetList(std::string key, std::vector<std::string> values, std::string where) {
  entries_[std::move(key)] = Entry{std::move(values), true, std::move(where)};
}

Status Params::Error(std::string_view key, std::string_view message) const {
  auto it = entries_.find(std::string(key));
  const std::string where =
      it != entries_.end() && !it->second.where.empty() ? it->second.where : where_;
  return absl::InvalidArgumentError(
      absl::StrCat(Prefix(where, label_), std::string(key), ": ", std::string(message)));
}

Status Params::CheckKeys(const std::vector<std::string>& allowed) const {
  for (const auto& [key, entry] : entries_) {
    if (std::find(allowed.begin(), allowed.end(), key) != allowed.end()) continue;
    const std::string where = entry.where.empty() ? where_ : entry.where;
    return absl::InvalidArgumentError(absl::StrCat(
        Prefix(where, label_), "unknown parameter '", key, "'.", DidYouMean(key, allowed),
        " Parameters: ", allowed.empty() ? "none" : absl::StrJoin(allowed, ", ")));
  }
  return absl::OkStatus();
}

StatusOr<const Params::Entry*> Params::Scalar(std::string_view key) const {
  auto it = entries_.find(std::string(key));
  if (it == entries_.end()) return nullptr;
  if (it->second.is_list || it->second.values.size() != 1) {
    return Error(key, "expected one value, got a list");
  }
  return &it->second;
}

StatusOr<std::string> Params::GetString(std::string_view key, std::string_view fallback) const {
  KEEL_ASSIGN_OR_RETURN(const Entry* e, Scalar(key));
  return e == nullptr ? std::string(fallback) : e->values[0];
}

StatusOr<std::string> Params::GetChoice(std::string_view key, std::string_view fallback,
                                        const std::vector<std::string>& choices) const {
  KEEL_ASSIGN_OR_RETURN(std::string v, GetString(key, fallback));
  if (std::find(choices.begin(), choices.end(), v) != choices.end()) return v;
  return Error(key, absl::StrCat("expected one of ", absl::StrJoin(choices, ", "), "; got '", v,
                                 "'.", DidYouMean(v, choices)));
}

StatusOr<double> Params::GetDouble(std::string_view key, double fallback) const {
  KEEL_ASSIGN_OR_RETURN(const Entry* e, Scalar(key));
  if (e == nullptr) return fallback;
  const std::string& text = e->values[0];
  char* end = nullptr;
  errno = 0;
  const double v = std::strtod(text.c_str(), &end);
  if (text.empty() || *end != '\0' || errno == ERANGE || std::isnan(v)) {
    return Error(key, absl::StrCat("expected a number; got '", text, "'"));
  }
  return v;
}

StatusOr<int64_t> Params::GetInt(std::string_view key, int64_t fallback, int64_t min,
                                 int64_t max) const {
  KEEL_ASSIGN_OR_RETURN(const Entry* e, Scalar(key));
  if (e == nullptr) return fallback;
  const std::string& text = e->values[0];
  char* end = nullptr;
  errno = 0;
  const long long v = std::strtoll(text.c_str(), &end, 10);
  if (text.empty() || *end != '\0' || errno == ERANGE || v < min || v > max) {
    return Error(key,
                 absl::StrCat("expected an integer from ", min, " to ", max, "; got '", text, "'"));
  }
  return static_cast<int64_t>(v);
}

StatusOr<bool> Params::GetBool(std::string_view key, bool fallback) const {
  KEEL_ASSIGN_OR_RETURN(const Entry* e, Scalar(key));
  if (e == nullptr) return fallback;
  if (e->values[0] == "true") return true;
  if (e->values[0] == "false") return false;
  return Error(key, absl::StrCat("expected true or false; got '", e->values[0], "'"));
}

StatusOr<std::vector<std::string>> Params::GetList(std::string_view key,
                                                   const std::vector<std::string>& fallback) const {
  auto it = entries_.find(std::string(key));
  if (it == entries_.end()) return fallback;
  return it->second.values;
}

std::string StepSpec::Label() const {
  if (name == kind || name.empty()) return absl::StrCat("step '", kind, "'");
  return absl::StrCat("step '", name, "' (", kind, ")");
}

// ---------------------------------------------------------------- YAML

namespace {

class SpecParser {
 public:
  explicit SpecParser(std::string_view source) : source_(source) {}

  std::string Where(const YAML::Mark& mark) const {
    if (mark.line < 0) return source_;
    return absl::StrCat(source_, ":", mark.line + 1, ":", mark.column + 1);
  }
  Status Error(const YAML::Node& node, std::string_view message) const {
    return absl::InvalidArgumentError(absl::StrCat(Where(node.Mark()), ": ", std::string(message)));
  }

  // A scalar or a list of scalars.
  StatusOr<std::vector<std::string>> Strings(const YAML::Node& node, std::string_view what) const {
    std::vector<std::string> out;
    if (node.IsScalar()) {
      out.push_back(node.Scalar());
      return out;
    }
    if (node.IsSequence()) {
      for (const YAML::Node& item : node) {
        if (!item.IsScalar()) {
          return Error(item, absl::StrCat(std::string(what), ": expected a plain value"));
        }
        out.push_back(item.Scalar());
      }
      return out;
    }
    return Error(node, absl::StrCat(std::string(what), ": expected a value or a list of values"));
  }

  StatusOr<ColumnSelector> Selector(const YAML::Node& node, std::string_view label) const {
    ColumnSelector s;
    s.where = Where(node.Mark());
    if (node.IsScalar() || node.IsSequence()) {
      KEEL_ASSIGN_OR_RETURN(s.names, Strings(node, "columns"));
      if (node.IsScalar()) {
        s.name_where.push_back(Where(node.Mark()));
      } else {
        for (const YAML::Node& item : node) s.name_where.push_back(Where(item.Mark()));
      }
    } else if (node.IsMap()) {
      static const std::vector<std::string> kKeys = {"names", "types", "pattern", "regex",
                                                     "exclude"};
      for (auto it = node.begin(); it != node.end(); ++it) {
        const std::string key = it->first.Scalar();
        const YAML::Node value = it->second;
        std::vector<std::string>* target = nullptr;
        if (key == "names") target = &s.names;
        if (key == "types") target = &s.types;
        if (key == "pattern") target = &s.patterns;
        if (key == "regex") target = &s.regexes;
        if (key == "exclude") target = &s.exclude;
        if (target == nullptr) {
          return Error(it->first,
                       absl::StrCat(std::string(label), ": columns: unknown key '", key, "'.",
                                    DidYouMean(key, kKeys), " Keys: ", absl::StrJoin(kKeys, ", ")));
        }
        KEEL_ASSIGN_OR_RETURN(*target, Strings(value, absl::StrCat("columns.", key)));
        if (key == "names") {
          if (value.IsScalar()) s.name_where.push_back(Where(value.Mark()));
          for (const YAML::Node& item : value) s.name_where.push_back(Where(item.Mark()));
        }
      }
    } else {
      return Error(node, absl::StrCat(std::string(label),
                                      ": columns: expected a name, a list of names or a "
                                      "selector mapping"));
    }
    KEEL_RETURN_IF_ERROR(ValidateSelector(s, label));
    return s;
  }

  StatusOr<StepSpec> Step(const YAML::Node& node) const {
    if (!node.IsMap()) return Error(node, "a step must be a mapping with 'step: <kind>'");
    StepSpec step;
    step.where = Where(node.Mark());
    const YAML::Node kind = node["step"];
    if (!kind || !kind.IsScalar()) {
      return Error(node, "a step needs 'step: <kind>' (impute, scale, one_hot, ...)");
    }
    step.kind = kind.Scalar();
    step.where = Where(kind.Mark());
    if (const YAML::Node name = node["name"]) {
      if (!name.IsScalar() || name.Scalar().empty()) {
        return Error(name, "name: expected a non-empty step name");
      }
      step.name = name.Scalar();
    }
    const std::string label =
        absl::StrCat("step '", step.name.empty() ? step.kind : step.name, "'");
    const YAML::Node columns = node["columns"];
    if (!columns) return Error(node, absl::StrCat(label, ": missing 'columns'"));
    KEEL_ASSIGN_OR_RETURN(step.columns, Selector(columns, label));
    for (auto it = node.begin(); it != node.end(); ++it) {
      const std::string key = it->first.Scalar();
      if (key == "step" || key == "name" || key == "columns") continue;
      const YAML::Node value = it->second;
      KEEL_ASSIGN_OR_RETURN(std::vector<std::string> values, Strings(value, key));
      if (value.IsSequence()) {
        step.params.SetList(key, std::move(values), Where(it->first.Mark()));
      } else {
        step.params.Set(key, std::move(values[0]), Where(it->first.Mark()));
      }
    }
    return step;
  }

  StatusOr<PipelineSpec> Parse(const YAML::Node& root) const {
    PipelineSpec spec;
    spec.source = source_;
    if (!root.IsMap()) return Error(root, "expected a mapping with 'steps:'");
    for (auto it = root.begin(); it != root.end(); ++it) {
      const std::string key = it->first.Scalar();
      if (key != "steps" && key != "remainder") {
        return Error(it->first, absl::StrCat("unknown key '", key, "'.",
                                             DidYouMean(key, {"steps", "remainder"}),
                                             " Keys: steps, remainder"));
      }
    }
    if (const YAML::Node r = root["remainder"]) {
      const std::string v = r.IsScalar() ? r.Scalar() : "";
      if (v == "passthrough") {
        spec.remainder = Remainder::kPassthrough;
      } else if (v == "drop") {
        spec.remainder = Remainder::kDrop;
      } else {
        return Error(r, absl::StrCat("remainder: expected passthrough or drop; got '", v, "'.",
                                     DidYouMean(v, {"passthrough", "drop"})));
      }
    }
    const YAML::Node steps = root["steps"];
    if (!steps || !steps.IsSequence() || steps.size() == 0) {
      return Error(steps ? steps : root, "expected 'steps:' with a list of steps");
    }
    std::map<std::string, int> kind_count;
    std::set<std::string> names;
    for (const YAML::Node& node : steps) {
      KEEL_ASSIGN_OR_RETURN(StepSpec step, Step(node));
      if (step.name.empty()) {
        const int n = ++kind_count[step.kind];
        step.name = n == 1 ? step.kind : absl::StrCat(step.kind, "_", n);
      }
      if (!names.insert(step.name).second) {
        return Error(node, absl::StrCat("two steps are named '", step.name,
                                        "'; give each a different 'name:'"));
      }
      step.params.set_label(step.Label());
      step.params.set_where(step.where);
      spec.steps.push_back(std::move(step));
    }
    return spec;
  }

 private:
  std::string source_;
};

}  // namespace

StatusOr<PipelineSpec> PipelineSpec::Parse(std::string_view yaml_text, std::string_view source) {
  SpecParser parser(source);
  try {
    const YAML::Node root = YAML::Load(std::string(yaml_text));
    return parser.Parse(root);
  } catch (const YAML::Exception& e) {
    return absl::InvalidArgumentError(absl::StrCat(std::string(source), ":", e.mark.line + 1, ":",
                                                   e.mark.column + 1, ": invalid YAML: ", e.msg));
  }
}

StatusOr<PipelineSpec> PipelineSpec::ReadFile(const std::string& path) {
  KEEL_ASSIGN_OR_RETURN(std::string text, keel::ReadFile(path));
  return Parse(text, path);
}

}  // namespace keel::transform
