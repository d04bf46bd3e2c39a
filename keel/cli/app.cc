#include "keel/cli/app.h"

#include <iostream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "keel/base/suggest.h"
#include "keel/cli/commands.h"
#include "keel/cli/version.h"

namespace keel::cli {
namespace {

// "keel config show" for a command deep in the tree.
std::string CommandPath(const CLI::App* command) {
  std::vector<std::string> names;
  for (const CLI::App* c = command; c != nullptr; c = c->get_parent()) {
    names.insert(names.begin(), c->get_parent() == nullptr ? "keel" : c->get_name());
  }
  return absl::StrJoin(names, " ");
}

// The deepest subcommand that the arguments reached.
CLI::App* DeepestParsed(CLI::App* app) {
  for (CLI::App* sub : app->get_subcommands([](CLI::App*) { return true; })) {
    if (sub->parsed()) return DeepestParsed(sub);
  }
  return app;
}

std::vector<std::string> SubcommandNames(CLI::App* command) {
  std::vector<std::string> names;
  for (CLI::App* sub : command->get_subcommands([](CLI::App*) { return true; })) {
    names.push_back(sub->get_name());
  }
  return names;
}

// Long flags valid at `command`: its own and, through fallthrough, its
// parents'.
std::vector<std::string> FlagNames(CLI::App* command) {
  std::vector<std::string> names;
  for (CLI::App* c = command; c != nullptr; c = c->get_parent()) {
    for (const CLI::Option* option : c->get_options()) {
      for (const std::string& name : option->get_lnames()) names.push_back("--" + name);
    }
  }
  return names;
}

// Turns CLI11's parse error into one message that names the offending
// argument and the closest valid names.
std::string DescribeParseError(CLI::App& app, const CLI::ParseError& error) {
  CLI::App* command = DeepestParsed(&app);
  const std::string help = absl::StrCat("Run '", CommandPath(command), " --help' for usage.");
  const std::vector<std::string> extras = app.remaining();
  if (!extras.empty()) {
    const std::string& arg = extras.front();
    if (arg.size() > 1 && arg[0] == '-') {
      const std::string flag = arg.substr(0, arg.find('='));
      return absl::StrCat("unknown flag '", flag, "' for '", CommandPath(command), "'.",
                          DidYouMean(flag, FlagNames(command)), " ", help);
    }
    const std::vector<std::string> subs = SubcommandNames(command);
    if (!subs.empty()) {
      return absl::StrCat("unknown command '", arg, "' for '", CommandPath(command), "'.",
                          DidYouMean(arg, subs), " Commands: ", absl::StrJoin(subs, ", "), ". ",
                          help);
    }
    return absl::StrCat("unexpected argument '", arg, "' for '", CommandPath(command), "'. ", help);
  }
  if (error.get_name() == "RequiredError" && !SubcommandNames(command).empty() &&
      std::string(error.what()).find("subcommand") != std::string::npos) {
    return absl::StrCat("'", CommandPath(command),
                        "' needs a command: ", absl::StrJoin(SubcommandNames(command), ", "), ". ",
                        help);
  }
  return absl::StrCat(error.what(), ". ", help);
}

void PrintError(const CommandContext& context, const Status& status) {
  std::cerr << "keel: error: " << status.message() << std::endl;
  if (context.options().json) {
    nlohmann::json error = {{"error",
                             {{"code", absl::StatusCodeToString(status.code())},
                              {"message", std::string(status.message())}}}};
    std::cout << error.dump(2) << std::endl;
  }
}

}  // namespace

int Main(int argc, char** argv) {
  CommandContext context;
  GlobalOptions& options = context.options();

  CLI::App app{
      "Keel: machine-learning infrastructure in one program. Data lake, feature store,\n"
      "training, tuning, registry and serving, embedded or scaled out.",
      "keel"};
  app.fallthrough();  // global flags work after the subcommand too
  app.set_version_flag("--version", VersionString(), "Print the version and exit");
  app.add_option("--workspace,-C", options.workspace,
                 "Workspace folder (default: nearest folder with keel.yaml; or KEEL_WORKSPACE)")
      ->type_name("DIR");
  app.add_flag("--json", options.json, "Machine-readable JSON on stdout");
  app.add_option("--log-level", options.log_level, "trace, debug, info, warn, error, off")
      ->type_name("LEVEL");
  app.add_option("--log-format", options.log_format, "text (for people) or json (JSON lines)")
      ->type_name("FORMAT");
  app.add_option("--progress", options.progress,
                 "Progress display: auto (bar on a terminal, lines otherwise), bar, lines, off")
      ->check(CLI::IsMember({"auto", "bar", "lines", "off"}))
      ->type_name("MODE");
  app.add_flag("--quiet,-q", options.quiet, "Only warnings and errors; no progress");
  app.footer("Run 'keel COMMAND --help' for a command's options. Docs: README.md, docs/.");

  AddInitCommand(app, context);
  AddConfigCommand(app, context);
  AddDatagenCommand(app, context);
  AddIngestCommand(app, context);
  AddDatasetsCommand(app, context);
  AddTrainCommand(app, context);
  AddEvaluateCommand(app, context);
  AddPredictCommand(app, context);
  AddTransformCommand(app, context);
  AddModelsCommand(app, context);
  AddFeaturesCommand(app, context);
  AddPipelineCommand(app, context);
  AddServeCommand(app, context);

  if (argc <= 1) {
    std::cout << app.help();
    return kExitOk;
  }
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp&) {
    std::cout << DeepestParsed(&app)->help();
    return kExitOk;
  } catch (const CLI::CallForAllHelp&) {
    std::cout << app.help("", CLI::AppFormatMode::All);
    return kExitOk;
  } catch (const CLI::CallForVersion&) {
    std::cout << VersionString() << "\n";
    return kExitOk;
  } catch (const CLI::ParseError& error) {
    PrintError(context, absl::InvalidArgumentError(DescribeParseError(app, error)));
    return kExitUsage;
  }

  if (Status s = context.InitLogging(); !s.ok()) {
    PrintError(context, s);
    return kExitUsage;
  }
  CLI::App* command = DeepestParsed(&app);
  const CommandContext::Handler* handler = context.HandlerFor(command);
  if (handler == nullptr) {
    std::cout << command->help();
    return kExitUsage;
  }
  Status status = (*handler)();
  if (status.ok()) return kExitOk;
  PrintError(context, status);
  return IsUsageError(status) ? kExitUsage : kExitFailure;
}

}  // namespace keel::cli
