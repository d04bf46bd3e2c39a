// keel init [DIR]: create a workspace (keel.yaml + .keel/).
#include "absl/strings/str_cat.h"
#include "keel/base/workspace.h"
#include "keel/cli/commands.h"

namespace keel::cli {

void AddInitCommand(CLI::App& app, CommandContext& context) {
  struct Args {
    std::string dir = ".";
    std::string project;
    bool force = false;
  };
  auto args = std::make_shared<Args>();
  CLI::App* cmd = app.add_subcommand(
      "init", "Create a workspace: keel.yaml (every setting with its default) and .keel/");
  cmd->add_option("dir", args->dir, "Folder to initialise (created if missing; default: .)")
      ->type_name("DIR");
  cmd->add_option("--project", args->project, "Project name (default: the folder's name)")
      ->type_name("NAME");
  cmd->add_flag("--force", args->force,
                "Rewrite keel.yaml of an existing workspace (old one kept as keel.yaml.bak; "
                "data is never deleted)");

  context.Bind(cmd, [&context, args]() -> Status {
    InitOptions options{.project = args->project, .force = args->force};
    StatusOr<InitResult> result = InitWorkspace(args->dir, options);
    if (!result.ok()) {
      return result.status().code() == absl::StatusCode::kInvalidArgument
                 ? AsUsageError(result.status())
                 : result.status();
    }
    if (context.options().json) {
      context.PrintJson({{"root", result->root},
                         {"project", result->project},
                         {"config", absl::StrCat(result->root, "/", kConfigFileName)},
                         {"created", result->created},
                         {"rewrote_config", result->rewrote_config},
                         {"backup", result->backup_path}});
      return absl::OkStatus();
    }
    context.Print(absl::StrCat(result->rewrote_config ? "Rewrote" : "Initialised",
                               " Keel workspace '", result->project, "' in ", result->root));
    for (const std::string& path : result->created) context.Print("  created " + path);
    if (result->rewrote_config) {
      context.Print("  previous keel.yaml kept as " + result->backup_path);
    }
    context.Print(
        "Settings: keel.yaml lists every setting with its default; 'keel config show' "
        "prints the values in force.");
    return absl::OkStatus();
  });
}

}  // namespace keel::cli
