#include "keel/cli/pipeline_resolver.h"

#include <utility>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "keel/base/files.h"
#include "keel/base/hash.h"
#include "keel/cli/pipeline_store.h"
#include "keel/features/definitions.h"

namespace keel::cli {
namespace {

using pipeline::Resource;
using pipeline::ResourceKind;

// Lookups that fail because the thing is not there (or the reference is
// malformed, which the step itself will report) mean "absent"; anything else
// (a locked registry, a broken store) is an error.
bool IsAbsent(const Status& status) {
  return absl::IsNotFound(status) || absl::IsInvalidArgument(status);
}

const CLI::App* FindSubcommand(const CLI::App& parent, const std::string& name) {
  for (const CLI::App* sub : parent.get_subcommands({})) {
    if (sub->get_name() == name) return sub;
  }
  return nullptr;
}

}  // namespace

std::optional<std::vector<pipeline::CommandFlag>> CliCommandCatalog::Flags(
    const std::vector<std::string>& command) const {
  const CLI::App* app = &root_;
  for (const std::string& word : command) {
    app = FindSubcommand(*app, word);
    if (app == nullptr) return std::nullopt;
  }
  std::vector<pipeline::CommandFlag> flags;
  for (const CLI::Option* option : app->get_options()) {
    if (option == app->get_help_ptr() || option == app->get_help_all_ptr()) continue;
    pipeline::CommandFlag flag;
    flag.positional = option->get_positional();
    std::vector<std::string> names;
    if (flag.positional) names.push_back(option->get_name(/*positional=*/true));
    for (const std::string& n : option->get_lnames()) names.push_back(n);
    for (const std::string& n : option->get_snames()) names.push_back(n);
    if (names.empty() || names[0].empty()) continue;
    flag.name = names[0];
    flag.aliases.assign(names.begin() + 1, names.end());
    flag.takes_value = option->get_items_expected_max() > 0;
    flag.required = option->get_required();
    flags.push_back(std::move(flag));
  }
  return flags;
}

StatusOr<std::string> WorkspaceResolver::CurrentVersion(const Resource& r) {
  switch (r.kind) {
    case ResourceKind::kDataset: {
      StatusOr<DatasetVersionRecord> v = lake_.Resolve(r.ref);
      if (!v.ok()) return IsAbsent(v.status()) ? StatusOr<std::string>("") : v.status();
      return v->version;
    }
    case ResourceKind::kModel: {
      StatusOr<ModelVersionRecord> v = lake_.registry().ResolveModel(r.ref);
      if (!v.ok()) return IsAbsent(v.status()) ? StatusOr<std::string>("") : v.status();
      return absl::StrCat(v->version);
    }
    case ResourceKind::kTransform: {
      StatusOr<std::vector<PipelineVersionRecord>> versions = ListPipelineVersions(lake_, r.name);
      if (!versions.ok()) {
        return IsAbsent(versions.status()) ? StatusOr<std::string>("") : versions.status();
      }
      if (versions->empty()) return std::string();
      const size_t at = r.ref.find('@');
      if (at == std::string::npos) return absl::StrCat(versions->back().version);
      int64_t wanted = 0;
      if (!absl::SimpleAtoi(r.ref.substr(at + 1), &wanted)) return std::string();
      for (const PipelineVersionRecord& v : *versions) {
        if (v.version == wanted) return absl::StrCat(wanted);
      }
      return std::string();
    }
    case ResourceKind::kFile: {
      if (!PathExists(r.ref) || IsDirectory(r.ref)) return std::string();
      return Sha256HexOfFile(r.ref);
    }
    case ResourceKind::kFeatures: {
      KEEL_ASSIGN_OR_RETURN(std::optional<FeatureDefinitionsRecord> latest,
                            lake_.registry().LatestFeatureDefinitions());
      return latest.has_value() ? absl::StrCat(latest->version) : std::string();
    }
    case ResourceKind::kOnlineStore:
    case ResourceKind::kExternal:
      return std::string();
  }
  return std::string();
}

StatusOr<bool> WorkspaceResolver::StillHolds(const Resource& r, const std::string& version) {
  switch (r.kind) {
    case ResourceKind::kDataset: {
      if (version.empty()) return false;
      KEEL_ASSIGN_OR_RETURN(std::vector<DatasetVersionRecord> found,
                            lake_.registry().FindDatasetVersions(r.name, version));
      return !found.empty();
    }
    case ResourceKind::kModel: {
      int64_t number = 0;
      if (!absl::SimpleAtoi(version, &number)) return false;
      StatusOr<ModelVersionRecord> v = lake_.registry().GetModelVersion(r.name, number);
      if (!v.ok()) return IsAbsent(v.status()) ? StatusOr<bool>(false) : v.status();
      return true;
    }
    case ResourceKind::kTransform: {
      int64_t number = 0;
      if (!absl::SimpleAtoi(version, &number)) return false;
      StatusOr<std::vector<PipelineVersionRecord>> versions = ListPipelineVersions(lake_, r.name);
      if (!versions.ok()) {
        return IsAbsent(versions.status()) ? StatusOr<bool>(false) : versions.status();
      }
      for (const PipelineVersionRecord& v : *versions) {
        if (v.version == number) return true;
      }
      return false;
    }
    case ResourceKind::kFile:
    case ResourceKind::kFeatures: {
      // The file as written; the definitions still the ones in force.
      KEEL_ASSIGN_OR_RETURN(std::string now, CurrentVersion(r));
      return !now.empty() && now == version;
    }
    case ResourceKind::kOnlineStore:
      return true;
    case ResourceKind::kExternal:
      return false;
  }
  return false;
}

StatusOr<std::vector<Resource>> WorkspaceResolver::Underlying(const Resource& r) {
  std::vector<Resource> out;
  if (r.kind != ResourceKind::kFeatures) return out;
  KEEL_ASSIGN_OR_RETURN(std::optional<FeatureDefinitionsRecord> latest,
                        lake_.registry().LatestFeatureDefinitions());
  if (!latest.has_value()) return out;
  // Definitions this build cannot parse read nothing it can name; the step
  // itself will say what is wrong with them.
  StatusOr<features::FeatureDefinitions> defs =
      features::FeatureDefinitions::Parse(latest->yaml_text, latest->source);
  if (!defs.ok()) return out;
  for (const features::Source& source : defs->sources) {
    if (!source.sql.empty()) {  // a database Keel cannot version: never cached
      out.push_back({ResourceKind::kExternal, source.sql, source.sql});
      continue;
    }
    if (source.online_only()) continue;
    out.push_back({ResourceKind::kDataset, source.dataset.substr(0, source.dataset.find('@')),
                   source.dataset});
  }
  return out;
}

}  // namespace keel::cli
