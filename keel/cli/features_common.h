// What the `keel features` subcommands share (features_command.cc and
// features_online_command.cc).
#ifndef KEEL_CLI_FEATURES_COMMON_H_
#define KEEL_CLI_FEATURES_COMMON_H_

#include <utility>

#include <CLI/CLI.hpp>

#include "keel/base/status.h"
#include "keel/cli/context.h"
#include "keel/features/definitions.h"
#include "keel/lake/lake.h"

namespace keel::cli {

// The latest applied feature definitions, parsed. Errors: FailedPrecondition
// when none were applied (saying to run `keel features apply`).
StatusOr<std::pair<FeatureDefinitionsRecord, features::FeatureDefinitions>>
LoadLatestFeatureDefinitions(Lake& lake);

// The rows of `source`: its lake dataset (the latest version, or the pinned
// one), or the result of its SQL query (a relative sqlite:// path is taken
// from the workspace root). `*described` gets "NAME@VERSION" (12 hex
// digits) or "sql:<redacted URI>". Errors: the lake's or the database's,
// naming the source.
StatusOr<Table> ReadFeatureSource(CommandContext& context, Lake& lake,
                                  const features::Source& source, std::string* described);

// materialize, materialize-incremental, get-online and stream, under `features`.
void AddFeaturesOnlineCommands(CLI::App& features, CommandContext& context);

// stream (features_stream_command.cc), added by AddFeaturesOnlineCommands.
void AddFeaturesStreamCommand(CLI::App& features, CommandContext& context);

}  // namespace keel::cli

#endif  // KEEL_CLI_FEATURES_COMMON_H_
