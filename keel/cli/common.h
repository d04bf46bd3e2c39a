// Helpers shared by the lake and model subcommands.
#ifndef KEEL_CLI_COMMON_H_
#define KEEL_CLI_COMMON_H_

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "keel/base/status.h"
#include "keel/cli/context.h"
#include "keel/lake/lake.h"
#include "keel/learn/model_store.h"
#include "nlohmann/json.hpp"

namespace keel::cli {

StatusOr<std::unique_ptr<Lake>> OpenLake(CommandContext& context);

// NAME[@VERSION] to a dataset version; a malformed reference is the
// invocation's fault (exit 2).
StatusOr<DatasetVersionRecord> ResolveDatasetArg(Lake& lake, const std::string& text);

// Left-aligned columns separated by two spaces; the first row is the header.
std::string FormatRows(const std::vector<std::vector<std::string>>& rows);

// The model store lives in learn/ (the server loads models too).
using learn::LoadedModel;
using learn::LoadModelVersion;
using learn::MetricsJson;
using learn::StoreModelVersion;

// Tags for a new run naming the process that runs it (keel.host,
// keel.pid), so that a later command can tell when that process died.
std::map<std::string, std::string> RunProcessTags();

// Marks as killed every run still "running" whose process (from
// RunProcessTags) was on this host and no longer exists: a `keel train`
// killed or crashed mid-run. Runs from other hosts are left alone. Called
// by `keel runs` and `keel train`; best effort (errors are ignored).
void MarkDeadRuns(MetadataStore& registry);

// A metric or statistic for people: 4 significant digits ("0.9731",
// "1.234e+06"), "-" for NaN.
std::string FormatNumber(double value);

}  // namespace keel::cli

#endif  // KEEL_CLI_COMMON_H_
