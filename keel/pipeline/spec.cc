#include "keel/pipeline/spec.h"

#include <algorithm>
#include <cctype>
#include <map>
#include <set>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "keel/base/files.h"
#include "keel/base/suggest.h"
#include "keel/base/time.h"
#include "keel/base/yaml_keys.h"
#include "keel/pipeline/cron.h"
#include "keel/pipeline/step_kinds.h"
#include "keel/registry/records.h"
#include "yaml-cpp/yaml.h"

namespace keel::pipeline {
namespace {

Mark MarkOf(const YAML::Node& node) {
  const YAML::Mark m = node.Mark();
  if (m.line < 0) return {};
  return {m.line + 1, m.column + 1};
}

bool ValidStepName(const std::string& name) {
  if (name.empty() || name.size() > 64) return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-';
  });
}

class Parser {
 public:
  explicit Parser(PipelineSpec* spec) : spec_(*spec) {}

  Status Parse(const YAML::Node& root) {
    if (!root.IsMap()) return Error(root, "expected a mapping with name and steps");
    KEEL_RETURN_IF_ERROR(CheckKeys(root, {"name", "schedule", "timezone", "steps"}, ""));
    KEEL_ASSIGN_OR_RETURN(spec_.name, Scalar(root, "name", ""));
    if (Status s = ValidateRegistryName("pipeline name", spec_.name); !s.ok()) {
      return Error(root["name"], std::string(s.message()));
    }
    KEEL_ASSIGN_OR_RETURN(spec_.timezone, Scalar(root, "timezone", "", /*required=*/false));
    TimeZone zone;
    if (!spec_.timezone.empty()) {
      StatusOr<TimeZone> loaded = TimeZone::Load(spec_.timezone);
      if (!loaded.ok()) return Error(root["timezone"], std::string(loaded.status().message()));
      zone = *loaded;
    }
    KEEL_ASSIGN_OR_RETURN(spec_.schedule, Scalar(root, "schedule", "", /*required=*/false));
    if (!spec_.schedule.empty()) {
      spec_.schedule_mark = MarkOf(root["schedule"]);
      StatusOr<CronSchedule> cron = CronSchedule::Parse(spec_.schedule, zone);
      if (!cron.ok()) return Error(root["schedule"], std::string(cron.status().message()));
    }
    const YAML::Node steps = root["steps"];
    if (!steps || steps.IsNull()) return Error(root, "missing 'steps' (a list of steps)");
    if (!steps.IsSequence() || steps.size() == 0) {
      return Error(steps, "steps: expected a non-empty list of steps");
    }
    std::map<std::string, Mark> seen;
    for (const YAML::Node& node : steps) {
      KEEL_ASSIGN_OR_RETURN(StepSpec step, ParseStep(node));
      if (const auto it = seen.find(step.name); it != seen.end()) {
        return Error(node["name"],
                     absl::StrCat("step '", step.name, "' is defined twice (first at ",
                                  spec_.Where(it->second), ")"));
      }
      seen[step.name] = step.mark;
      spec_.steps.push_back(std::move(step));
    }
    return CheckAfter();
  }

 private:
  Status Error(const YAML::Node& node, const std::string& message) const {
    return ErrorAt(MarkOf(node), message);
  }
  Status ErrorAt(const Mark& mark, const std::string& message) const {
    return absl::InvalidArgumentError(absl::StrCat(spec_.Where(mark), ": ", message));
  }

  Status CheckKeys(const YAML::Node& map, const std::vector<std::string>& keys,
                   const std::string& label) const {
    return CheckYamlKeys(map, keys, label,
                         [this](const YAML::Node& n) { return spec_.Where(MarkOf(n)); });
  }

  StatusOr<std::string> Scalar(const YAML::Node& map, const std::string& key,
                               const std::string& label, bool required = true) const {
    const YAML::Node node = map[key];
    if (!node || node.IsNull()) {
      if (!required) return std::string();
      return Error(map, absl::StrCat(label, "missing '", key, "'"));
    }
    if (!node.IsScalar() || node.Scalar().empty()) {
      return Error(node, absl::StrCat(label, key, ": expected a non-empty value"));
    }
    return node.Scalar();
  }

  // ${NAME} in `text` must name a known variable.
  Status CheckVariables(const YAML::Node& node, const std::string& text,
                        const std::string& label) const {
    static const std::vector<std::string> kKnown = {kPipelineDirVariable, kWorkspaceVariable};
    for (size_t at = text.find("${"); at != std::string::npos; at = text.find("${", at + 2)) {
      const size_t end = text.find('}', at);
      if (end == std::string::npos) {
        return Error(node, absl::StrCat(label, "'${' without a closing '}' in '", text, "'"));
      }
      const std::string name = text.substr(at + 2, end - at - 2);
      if (std::find(kKnown.begin(), kKnown.end(), name) == kKnown.end()) {
        return Error(
            node, absl::StrCat(label, "unknown variable '${", name, "}'.", DidYouMean(name, kKnown),
                               " Variables: ${PIPELINE_DIR}, ${WORKSPACE}"));
      }
    }
    return absl::OkStatus();
  }

  StatusOr<StepSpec> ParseStep(const YAML::Node& node) {
    if (!node.IsMap()) return Error(node, "steps: each step must be a mapping with name and run");
    StepSpec step;
    step.mark = MarkOf(node);
    KEEL_RETURN_IF_ERROR(CheckKeys(node, {"name", "run", "args", "after", "cache"}, "step: "));
    KEEL_ASSIGN_OR_RETURN(step.name, Scalar(node, "name", "step: "));
    if (!ValidStepName(step.name)) {
      return Error(node["name"], absl::StrCat("invalid step name '", step.name,
                                              "': use 1 to 64 letters, digits, '_' and '-'"));
    }
    const std::string label = absl::StrCat("step '", step.name, "': ");
    KEEL_ASSIGN_OR_RETURN(step.run, Scalar(node, "run", label));
    step.run_mark = MarkOf(node["run"]);
    if (FindStepKind(step.run) == nullptr) {
      return Error(node["run"], absl::StrCat(label, "unknown step kind '", step.run, "'.",
                                             DidYouMean(step.run, StepKindNames()),
                                             " Kinds: ", absl::StrJoin(StepKindNames(), ", ")));
    }
    KEEL_RETURN_IF_ERROR(ParseArgs(node["args"], label, &step));
    if (const YAML::Node after = node["after"]; after && !after.IsNull()) {
      if (after.IsScalar()) {
        step.after.push_back(after.Scalar());
        step.after_marks.push_back(MarkOf(after));
      } else if (after.IsSequence()) {
        for (const YAML::Node& item : after) {
          if (!item.IsScalar())
            return Error(item, absl::StrCat(label, "after: expected step names"));
          step.after.push_back(item.Scalar());
          step.after_marks.push_back(MarkOf(item));
        }
      } else {
        return Error(after, absl::StrCat(label, "after: expected a step name or a list of them"));
      }
    }
    KEEL_ASSIGN_OR_RETURN(const std::optional<bool> cache,
                          YamlBool(node, "cache", label,
                                   [this](const YAML::Node& n) { return spec_.Where(MarkOf(n)); }));
    if (cache) step.cache = *cache;
    return step;
  }

  Status ParseArgs(const YAML::Node& args, const std::string& label, StepSpec* step) const {
    if (!args || args.IsNull()) return absl::OkStatus();
    if (args.IsSequence()) {
      step->args_are_tokens = true;
      for (const YAML::Node& item : args) {
        if (!item.IsScalar()) {
          return Error(item, absl::StrCat(label,
                                          "args: a list holds the command's words, each a "
                                          "plain value"));
        }
        KEEL_RETURN_IF_ERROR(CheckVariables(item, item.Scalar(), label));
        step->args.push_back({.key = "", .values = {item.Scalar()}, .mark = MarkOf(item)});
      }
      return absl::OkStatus();
    }
    if (!args.IsMap()) {
      return Error(args, absl::StrCat(label, "args: expected a mapping (flag: value) or a list"));
    }
    std::set<std::string> seen;
    for (auto it = args.begin(); it != args.end(); ++it) {
      StepArg arg;
      arg.key = it->first.Scalar();
      arg.mark = MarkOf(it->first);
      while (!arg.key.empty() && arg.key[0] == '-') arg.key.erase(0, 1);
      if (arg.key.empty()) return Error(it->first, absl::StrCat(label, "args: empty flag name"));
      if (!seen.insert(arg.key).second) {
        return Error(it->first, absl::StrCat(label, "args: '", arg.key, "' appears twice"));
      }
      const YAML::Node& value = it->second;
      const std::string what = absl::StrCat(label, "args: ", arg.key, ": ");
      if (value.IsScalar()) {
        const std::string& text = value.Scalar();
        if (value.Tag() == "?" && (text == "true" || text == "false")) {
          if (text == "false") continue;  // a switch left off
          arg.is_switch = true;
        } else {
          KEEL_RETURN_IF_ERROR(CheckVariables(value, text, label));
          arg.values.push_back(text);
        }
      } else if (value.IsSequence()) {
        for (const YAML::Node& item : value) {
          if (!item.IsScalar()) return Error(item, what + "a list holds plain values only");
          KEEL_RETURN_IF_ERROR(CheckVariables(item, item.Scalar(), label));
          arg.values.push_back(item.Scalar());
        }
        if (arg.values.empty()) continue;
      } else if (value.IsNull()) {
        return Error(it->first, what + "expected a value (true for a flag without one)");
      } else {
        return Error(value, what + "expected a value or a list of values, not a mapping");
      }
      step->args.push_back(std::move(arg));
    }
    return absl::OkStatus();
  }

  Status CheckAfter() const {
    std::vector<std::string> names;
    for (const StepSpec& s : spec_.steps) names.push_back(s.name);
    for (const StepSpec& step : spec_.steps) {
      for (size_t i = 0; i < step.after.size(); ++i) {
        const std::string& dep = step.after[i];
        if (dep == step.name) {
          return ErrorAt(
              step.after_marks[i],
              absl::StrCat("step '", step.name, "': after: a step cannot wait for itself"));
        }
        if (spec_.FindStep(dep) == nullptr) {
          return ErrorAt(
              step.after_marks[i],
              absl::StrCat("step '", step.name, "': after: unknown step '", dep, "'.",
                           DidYouMean(dep, names), " Steps: ", absl::StrJoin(names, ", ")));
        }
      }
    }
    return absl::OkStatus();
  }

  PipelineSpec& spec_;
};

}  // namespace

std::string PipelineSpec::Where(const Mark& mark) const {
  if (mark.line <= 0) return file;
  return absl::StrCat(file, ":", mark.line, ":", mark.column);
}

const StepSpec* PipelineSpec::FindStep(std::string_view step_name) const {
  for (const StepSpec& step : steps) {
    if (step.name == step_name) return &step;
  }
  return nullptr;
}

StatusOr<PipelineSpec> ParsePipelineSpec(std::string_view yaml_text, std::string_view file) {
  PipelineSpec spec;
  spec.file = std::string(file);
  YAML::Node root;
  try {
    root = YAML::Load(std::string(yaml_text));
  } catch (const YAML::Exception& e) {
    return absl::InvalidArgumentError(absl::StrCat(spec.file, ":", e.mark.line + 1, ":",
                                                   e.mark.column + 1, ": invalid YAML: ", e.msg));
  }
  Parser parser(&spec);
  KEEL_RETURN_IF_ERROR(parser.Parse(root));
  return spec;
}

StatusOr<PipelineSpec> LoadPipelineSpec(const std::string& path) {
  KEEL_ASSIGN_OR_RETURN(std::string text, ReadFile(path));
  return ParsePipelineSpec(text, path);
}

}  // namespace keel::pipeline
