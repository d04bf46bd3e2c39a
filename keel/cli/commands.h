// One function per subcommand, each in its own <name>_command.cc. Each adds
// its subcommand to `app` and binds a handler in `context`.
#ifndef KEEL_CLI_COMMANDS_H_
#define KEEL_CLI_COMMANDS_H_

#include "CLI/CLI.hpp"
#include "keel/cli/context.h"

namespace keel::cli {

void AddInitCommand(CLI::App& app, CommandContext& context);
void AddConfigCommand(CLI::App& app, CommandContext& context);
void AddDatagenCommand(CLI::App& app, CommandContext& context);
void AddIngestCommand(CLI::App& app, CommandContext& context);
void AddDatasetsCommand(CLI::App& app, CommandContext& context);
void AddTrainCommand(CLI::App& app, CommandContext& context);
void AddEvaluateCommand(CLI::App& app, CommandContext& context);
void AddPredictCommand(CLI::App& app, CommandContext& context);
void AddTransformCommand(CLI::App& app, CommandContext& context);
void AddServeCommand(CLI::App& app, CommandContext& context);
void AddModelsCommand(CLI::App& app, CommandContext& context);
void AddFeaturesCommand(CLI::App& app, CommandContext& context);
void AddPipelineCommand(CLI::App& app, CommandContext& context);

}  // namespace keel::cli

#endif  // KEEL_CLI_COMMANDS_H_
