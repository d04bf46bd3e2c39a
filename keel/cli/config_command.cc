// keel config show | get KEY | check: the workspace's settings in force.
#include <algorithm>
#include <iostream>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "keel/base/suggest.h"
#include "keel/cli/commands.h"

namespace keel::cli {
namespace {

bool IsSecret(const std::string& key) { return key.find("secret") != std::string::npos; }

std::string Shown(const Config::Entry& entry) {
  if (IsSecret(entry.key) && !entry.value.empty()) return "********";
  return entry.value;
}

}  // namespace

void AddConfigCommand(CLI::App& app, CommandContext& context) {
  CLI::App* cmd = app.add_subcommand("config", "Show and check the workspace's settings");
  cmd->require_subcommand(1);

  CLI::App* show = cmd->add_subcommand(
      "show", "Every setting in force, with where it came from (default, keel.yaml, KEEL_*)");
  context.Bind(show, [&context]() -> Status {
    KEEL_ASSIGN_OR_RETURN(Workspace * ws, context.workspace());
    const std::vector<Config::Entry> entries = ws->config().Entries();
    if (context.options().json) {
      nlohmann::json settings = nlohmann::json::object();
      for (const Config::Entry& e : entries) {
        settings[e.key] = {{"value", Shown(e)}, {"origin", e.origin}};
      }
      context.PrintJson({{"workspace", ws->root()}, {"settings", settings}});
      return absl::OkStatus();
    }
    size_t width = 0;
    for (const Config::Entry& e : entries) width = std::max(width, e.key.size());
    context.Print(absl::StrCat("# workspace ", ws->root()));
    for (const Config::Entry& e : entries) {
      const std::string value = Shown(e).empty() ? "\"\"" : Shown(e);
      context.Print(
          absl::StrFormat("%-*s  %-28s  (%s)", static_cast<int>(width), e.key, value, e.origin));
    }
    return absl::OkStatus();
  });

  auto key = std::make_shared<std::string>();
  CLI::App* get = cmd->add_subcommand("get", "Print one setting's value (for scripts)");
  get->add_option("key", *key, "Setting, e.g. registry.uri")->required()->type_name("KEY");
  context.Bind(get, [&context, key]() -> Status {
    KEEL_ASSIGN_OR_RETURN(Workspace * ws, context.workspace());
    for (const Config::Entry& e : ws->config().Entries()) {
      if (e.key != *key) continue;
      if (context.options().json) {
        context.PrintJson({{"key", e.key}, {"value", e.value}, {"origin", e.origin}});
      } else {
        std::cout << e.value << "\n";
      }
      return absl::OkStatus();
    }
    std::vector<std::string> keys;
    for (const SettingSpec& spec : KeelSettings()) keys.push_back(spec.key);
    return AsUsageError(absl::InvalidArgumentError(
        absl::StrCat("unknown setting '", *key, "'.", DidYouMean(*key, keys),
                     " Run 'keel config show' for the list.")));
  });

  CLI::App* check = cmd->add_subcommand("check", "Validate keel.yaml and KEEL_* variables");
  context.Bind(check, [&context]() -> Status {
    KEEL_ASSIGN_OR_RETURN(Workspace * ws, context.workspace());
    if (context.options().json) {
      context.PrintJson(
          {{"config", ws->config_path()}, {"valid", true}, {"warnings", ws->warnings()}});
    } else {
      context.Print(ws->config_path() + ": valid");
    }
    return absl::OkStatus();
  });
}

}  // namespace keel::cli
