#include "keel/pipeline/plan.h"

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <map>
#include <set>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "keel/base/suggest.h"

namespace keel::pipeline {
namespace {

std::string FlagText(const std::string& name) { return (name.size() == 1 ? "-" : "--") + name; }

// As `keel predict --data` decides: a URI, a path with a folder, or a name
// with a data file's extension is a file; anything else is a dataset.
bool LooksLikePath(const std::string& value) {
  if (absl::StrContains(value, "://") || absl::StrContains(value, "/")) return true;
  std::string lower = absl::AsciiStrToLower(value);
  for (const char* compression : {".gz", ".zst"}) {
    if (absl::EndsWith(lower, compression)) lower.resize(lower.size() - std::strlen(compression));
  }
  for (const char* ext :
       {".csv", ".tsv", ".txt", ".jsonl", ".ndjson", ".json", ".parquet", ".pq", ".kcol"}) {
    if (absl::EndsWith(lower, ext)) return true;
  }
  return false;
}

// Name and version part of "name@version".
std::string NameOfRef(const std::string& ref) { return ref.substr(0, ref.find('@')); }

class Planner {
 public:
  Planner(const PipelineSpec& spec, const CommandCatalog& catalog, std::string workspace_root,
          std::string pipeline_dir)
      : spec_(spec),
        catalog_(catalog),
        root_(std::filesystem::path(workspace_root).lexically_normal().string()),
        pipeline_dir_(std::move(pipeline_dir)) {
    while (root_.size() > 1 && root_.back() == '/') root_.pop_back();
  }

  StatusOr<Plan> Build() {
    std::vector<PlannedStep> steps;
    for (const StepSpec& step : spec_.steps) {
      KEEL_ASSIGN_OR_RETURN(PlannedStep planned, PlanStep(step));
      steps.push_back(std::move(planned));
    }
    return Order(std::move(steps));
  }

 private:
  Status ErrorAt(const Mark& mark, const StepSpec& step, const std::string& message) const {
    return absl::InvalidArgumentError(
        absl::StrCat(spec_.Where(mark), ": step '", step.name, "': ", message));
  }

  StatusOr<PlannedStep> PlanStep(const StepSpec& step) {
    PlannedStep planned;
    planned.name = step.name;
    planned.kind = FindStepKind(step.run);
    planned.cache = step.cache;
    if (!step.cache) planned.no_cache_reason = "cache: false";
    const std::vector<std::string> command(planned.kind->command.begin(),
                                           planned.kind->command.end());
    std::optional<std::vector<CommandFlag>> flags = catalog_.Flags(command);
    if (!flags.has_value()) {
      return absl::InternalError(absl::StrCat("this keel has no command 'keel ",
                                              absl::StrJoin(command, " "), "' for step kind '",
                                              step.run, "'"));
    }
    KEEL_ASSIGN_OR_RETURN(planned.args, NormaliseArgs(step, command, *flags));

    planned.argv_as_written = command;
    for (const PlannedArg& arg : planned.args) {
      if (arg.positional) {
        planned.argv_as_written.insert(planned.argv_as_written.end(), arg.values.begin(),
                                       arg.values.end());
      } else if (arg.is_switch) {
        planned.argv_as_written.push_back(FlagText(arg.name));
      } else {
        for (const std::string& value : arg.values) {
          planned.argv_as_written.push_back(FlagText(arg.name));
          planned.argv_as_written.push_back(value);
        }
      }
    }
    for (const std::string& word : planned.argv_as_written) {
      planned.argv.push_back(ExpandVariables(word, root_, pipeline_dir_));
    }
    AddResources(&planned);
    return planned;
  }

  // Both argument forms to one list: canonical names, positionals first (in
  // the command's order), then flags sorted by name.
  StatusOr<std::vector<PlannedArg>> NormaliseArgs(const StepSpec& step,
                                                  const std::vector<std::string>& command,
                                                  const std::vector<CommandFlag>& flags) const {
    const std::string keel_command = absl::StrCat("keel ", absl::StrJoin(command, " "));
    std::map<std::string, const CommandFlag*> by_name;
    std::vector<std::string> names;
    std::vector<const CommandFlag*> positionals;
    for (const CommandFlag& flag : flags) {
      by_name[flag.name] = &flag;
      names.push_back(flag.name);
      for (const std::string& alias : flag.aliases) by_name[alias] = &flag;
      if (flag.positional) positionals.push_back(&flag);
    }
    auto unknown = [&](const Mark& mark, const std::string& key) {
      return ErrorAt(
          mark, step,
          absl::StrCat("unknown argument '", key, "' for '", keel_command, "'.",
                       DidYouMean(key, names), " Arguments: ", absl::StrJoin(names, ", ")));
    };
    std::map<std::string, PlannedArg> args;  // by canonical name
    auto add = [&](const CommandFlag& flag, const std::vector<std::string>& values,
                   bool is_switch) {
      PlannedArg& arg = args[flag.name];
      arg.name = flag.name;
      arg.positional = flag.positional;
      arg.is_switch = is_switch;
      arg.values.insert(arg.values.end(), values.begin(), values.end());
    };

    if (step.args_are_tokens) {
      size_t next_positional = 0;
      for (size_t i = 0; i < step.args.size(); ++i) {
        const std::string& token = step.args[i].values[0];
        const Mark& mark = step.args[i].mark;
        if (token.size() > 1 && token[0] == '-') {
          std::string key = token.substr(token[1] == '-' ? 2 : 1);
          std::optional<std::string> inline_value;
          if (const size_t eq = key.find('='); eq != std::string::npos) {
            inline_value = key.substr(eq + 1);
            key.resize(eq);
          }
          const auto it = by_name.find(key);
          if (it == by_name.end() || it->second->positional) return unknown(mark, key);
          const CommandFlag& flag = *it->second;
          if (!flag.takes_value) {
            if (inline_value.has_value()) {
              return ErrorAt(mark, step,
                             absl::StrCat("'", token, "': ", FlagText(flag.name),
                                          " is a switch and takes no value"));
            }
            add(flag, {}, true);
          } else if (inline_value.has_value()) {
            add(flag, {*inline_value}, false);
          } else if (i + 1 < step.args.size()) {
            add(flag, {step.args[++i].values[0]}, false);
          } else {
            return ErrorAt(mark, step, absl::StrCat(token, " needs a value"));
          }
        } else {
          if (next_positional >= positionals.size()) {
            return ErrorAt(
                mark, step,
                absl::StrCat("unexpected argument '", token, "' for '", keel_command, "'"));
          }
          add(*positionals[next_positional++], {token}, false);
        }
      }
    } else {
      for (const StepArg& given : step.args) {
        const auto it = by_name.find(given.key);
        if (it == by_name.end()) return unknown(given.mark, given.key);
        const CommandFlag& flag = *it->second;
        if (flag.positional && (given.is_switch || given.values.size() != 1)) {
          return ErrorAt(given.mark, step,
                         absl::StrCat("'", given.key, "' takes exactly one value"));
        }
        if (!flag.takes_value && !given.is_switch) {
          return ErrorAt(given.mark, step,
                         absl::StrCat("'", given.key, "' is a switch: write '", given.key,
                                      ": true' (or false)"));
        }
        if (flag.takes_value && given.is_switch) {
          return ErrorAt(given.mark, step, absl::StrCat("'", given.key, "' needs a value"));
        }
        if (args.count(flag.name) > 0) {
          return ErrorAt(given.mark, step,
                         absl::StrCat("'", given.key, "' and another name of ", FlagText(flag.name),
                                      " are both given"));
        }
        add(flag, given.values, given.is_switch);
      }
    }

    for (const CommandFlag& flag : flags) {
      if (flag.required && args.count(flag.name) == 0) {
        return ErrorAt(step.mark, step,
                       absl::StrCat("'", keel_command, "' needs '", flag.name, "' in args"));
      }
    }
    std::vector<PlannedArg> out;
    for (const CommandFlag* flag : positionals) {
      if (const auto it = args.find(flag->name); it != args.end()) out.push_back(it->second);
    }
    for (const auto& [name, arg] : args) {  // sorted by name
      if (!arg.positional) out.push_back(arg);
    }
    return out;
  }

  Resource FileResource(const std::string& value) const {
    std::string path = value;
    if (absl::StartsWith(path, "file://")) path = path.substr(7);
    if (absl::StrContains(path, "://")) return {ResourceKind::kExternal, value, value};
    std::filesystem::path absolute(path);
    if (absolute.is_relative()) absolute = std::filesystem::path(root_) / absolute;
    absolute = absolute.lexically_normal();
    std::string name = absolute.lexically_relative(root_).string();
    if (name.empty() || absl::StartsWith(name, "..")) name = absolute.string();
    return {ResourceKind::kFile, name, absolute.string()};
  }

  void AddResources(PlannedStep* step) const {
    std::set<Resource> reads, writes;
    std::map<std::string, const PlannedArg*> args;
    for (const PlannedArg& arg : step->args) args[arg.name] = &arg;
    for (const ArgUse& use : step->kind->args) {
      const auto it = args.find(std::string(use.arg));
      if (it == args.end()) continue;
      for (const std::string& written : it->second->values) {
        const std::string value = ExpandVariables(written, root_, pipeline_dir_);
        switch (use.role) {
          case ArgRole::kReadDatasetOrFile:
            if (LooksLikePath(value)) {
              reads.insert(FileResource(value));
            } else {
              reads.insert({ResourceKind::kDataset, NameOfRef(value), value});
            }
            break;
          case ArgRole::kReadFile:
            reads.insert(FileResource(value));
            break;
          case ArgRole::kReadModel:
            reads.insert({ResourceKind::kModel, NameOfRef(value), value});
            break;
          case ArgRole::kReadTransform:
            reads.insert({ResourceKind::kTransform, NameOfRef(value), value});
            break;
          case ArgRole::kReadFeatureService:
            reads.insert({ResourceKind::kFeatures, "features", "features"});
            break;
          case ArgRole::kWriteDataset:
            writes.insert({ResourceKind::kDataset, value, value});
            break;
          case ArgRole::kWriteFile:
            writes.insert(FileResource(value));
            break;
          case ArgRole::kWriteModel:
            writes.insert({ResourceKind::kModel, value, value});
            break;
          case ArgRole::kWriteTransform:
            writes.insert({ResourceKind::kTransform, value, value});
            break;
        }
      }
    }
    if (step->kind->reads_features) reads.insert({ResourceKind::kFeatures, "features", "features"});
    if (step->kind->writes_features) {
      writes.insert({ResourceKind::kFeatures, "features", "features"});
    }
    if (step->kind->writes_online_store) {
      writes.insert({ResourceKind::kOnlineStore, "online", "online"});
    }
    for (const Resource& r : reads) {
      if (r.kind == ResourceKind::kExternal && step->cache) {
        step->cache = false;
        step->no_cache_reason = "reads a source Keel cannot version (a URI); it runs every time";
      }
    }
    step->reads.assign(reads.begin(), reads.end());
    step->writes.assign(writes.begin(), writes.end());
  }

  // Topological order; among ready steps the earliest in the file first.
  StatusOr<Plan> Order(std::vector<PlannedStep> steps) const {
    const size_t n = steps.size();
    std::map<std::string, size_t> index;
    for (size_t i = 0; i < n; ++i) index[steps[i].name] = i;
    // deps[b][a] = why b waits for a.
    std::vector<std::map<size_t, std::string>> deps(n);
    for (size_t b = 0; b < n; ++b) {
      const StepSpec& spec = spec_.steps[b];
      for (const std::string& a : spec.after) deps[b][index.at(a)] = "after";
      for (const Resource& r : steps[b].reads) {
        for (size_t a = 0; a < n; ++a) {
          if (a == b || deps[b].count(a) > 0) continue;
          if (std::find(steps[a].writes.begin(), steps[a].writes.end(), r) !=
              steps[a].writes.end()) {
            deps[b][a] = absl::StrCat("reads ", std::string(ResourceKindName(r.kind)), " '", r.name,
                                      "' that ", steps[a].name, " writes");
          }
        }
      }
    }
    std::vector<bool> placed(n, false);
    std::vector<size_t> order;
    while (order.size() < n) {
      size_t next = n;
      for (size_t i = 0; i < n && next == n; ++i) {
        if (placed[i]) continue;
        bool ready = true;
        for (const auto& [a, why] : deps[i]) ready = ready && placed[a];
        if (ready) next = i;
      }
      if (next == n) return CycleError(steps, deps, placed);
      placed[next] = true;
      order.push_back(next);
    }
    std::vector<size_t> position(n);
    for (size_t i = 0; i < n; ++i) position[order[i]] = i;
    for (size_t i = 0; i < n; ++i) {
      std::vector<size_t> after;
      for (const auto& [a, why] : deps[i]) after.push_back(a);
      std::sort(after.begin(), after.end(),
                [&](size_t x, size_t y) { return position[x] < position[y]; });
      for (size_t a : after) steps[i].after.push_back(steps[a].name);
    }
    Plan plan;
    plan.pipeline = spec_.name;
    for (size_t i : order) plan.steps.push_back(std::move(steps[i]));
    return plan;
  }

  Status CycleError(const std::vector<PlannedStep>& steps,
                    const std::vector<std::map<size_t, std::string>>& deps,
                    const std::vector<bool>& placed) const {
    // Every unplaced step waits for some unplaced step: walk those waits
    // until a step repeats.
    size_t at = 0;
    while (placed[at]) ++at;
    std::vector<size_t> walk;
    std::vector<int> seen_at(steps.size(), -1);
    while (seen_at[at] < 0) {
      seen_at[at] = static_cast<int>(walk.size());
      walk.push_back(at);
      for (const auto& [a, why] : deps[at]) {
        if (!placed[a]) {
          at = a;
          break;
        }
      }
    }
    // walk[k] waits for walk[k+1]; the cycle is walk[seen_at[at]..], reversed
    // so that each step comes before the one waiting for it.
    std::vector<size_t> cycle(walk.begin() + seen_at[at], walk.end());
    std::reverse(cycle.begin(), cycle.end());
    std::vector<std::string> names, reasons;
    for (size_t k = 0; k < cycle.size(); ++k) {
      const size_t from = cycle[k], to = cycle[(k + 1) % cycle.size()];
      names.push_back(steps[from].name);
      reasons.push_back(
          absl::StrCat(steps[to].name, " waits for ", steps[from].name, ": ", deps[to].at(from)));
    }
    names.push_back(steps[cycle[0]].name);
    const StepSpec* first = spec_.FindStep(steps[cycle[0]].name);
    return absl::InvalidArgumentError(absl::StrCat(
        spec_.Where(first->mark), ": pipeline '", spec_.name, "': steps form a cycle: ",
        absl::StrJoin(names, " -> "), " (", absl::StrJoin(reasons, "; "), ")"));
  }

  const PipelineSpec& spec_;
  const CommandCatalog& catalog_;
  std::string root_;
  std::string pipeline_dir_;
};

}  // namespace

const PlannedStep* Plan::FindStep(const std::string& step_name) const {
  for (const PlannedStep& step : steps) {
    if (step.name == step_name) return &step;
  }
  return nullptr;
}

std::string ExpandVariables(const std::string& text, const std::string& workspace_root,
                            const std::string& pipeline_dir) {
  if (text.find("${") == std::string::npos) return text;
  return absl::StrReplaceAll(text, {{absl::StrCat("${", kPipelineDirVariable, "}"), pipeline_dir},
                                    {absl::StrCat("${", kWorkspaceVariable, "}"), workspace_root}});
}

StatusOr<Plan> BuildPlan(const PipelineSpec& spec, const CommandCatalog& catalog,
                         const std::string& workspace_root, const std::string& pipeline_dir) {
  return Planner(spec, catalog, workspace_root, pipeline_dir).Build();
}

}  // namespace keel::pipeline
