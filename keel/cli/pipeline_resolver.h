// What `keel pipeline` needs from the rest of Keel: the flags of the `keel`
// subcommands (read from the CLI's own definitions) and the versions of
// what steps read and write (from the lake and the registry).
#ifndef KEEL_CLI_PIPELINE_RESOLVER_H_
#define KEEL_CLI_PIPELINE_RESOLVER_H_

#include <optional>
#include <string>
#include <vector>

#include "CLI/CLI.hpp"
#include "keel/lake/lake.h"
#include "keel/pipeline/plan.h"
#include "keel/pipeline/runner.h"

namespace keel::cli {

// The flags of the subcommands under `root` (the `keel` app). Borrows
// `root`, which must outlive it.
class CliCommandCatalog final : public pipeline::CommandCatalog {
 public:
  explicit CliCommandCatalog(const CLI::App& root) : root_(root) {}
  std::optional<std::vector<pipeline::CommandFlag>> Flags(
      const std::vector<std::string>& command) const override;

 private:
  const CLI::App& root_;
};

// Versions as the workspace holds them:
//   dataset    NAME[@PREFIX] -> the version id (64 hex)
//   model      MODEL[@N|@ALIAS] -> the version number
//   transform  PREP[@N] -> the version number
//   file       PATH -> SHA-256 of its bytes ("" for a folder or none)
//   features   -> the latest applied definitions' version number; reading
//                 them also reads the datasets their sources name
//   online     -> "" (the online store is not versioned)
// Borrows `lake`. Not thread-safe.
class WorkspaceResolver final : public pipeline::ResourceResolver {
 public:
  explicit WorkspaceResolver(Lake& lake) : lake_(lake) {}
  StatusOr<std::string> CurrentVersion(const pipeline::Resource& r) override;
  StatusOr<bool> StillHolds(const pipeline::Resource& r, const std::string& version) override;
  StatusOr<std::vector<pipeline::Resource>> Underlying(const pipeline::Resource& r) override;

 private:
  Lake& lake_;
};

}  // namespace keel::cli

#endif  // KEEL_CLI_PIPELINE_RESOLVER_H_
