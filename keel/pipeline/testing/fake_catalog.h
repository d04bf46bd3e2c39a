// Test helper: the flags of the `keel` subcommands that pipeline steps run,
// as the CLI declares them (a subset), so plans can be built without the
// CLI.
#ifndef KEEL_PIPELINE_TESTING_FAKE_CATALOG_H_
#define KEEL_PIPELINE_TESTING_FAKE_CATALOG_H_

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/str_join.h"
#include "keel/pipeline/plan.h"

namespace keel::pipeline::testing {

class FakeCatalog final : public CommandCatalog {
 public:
  FakeCatalog() {
    const CommandFlag data{.name = "data"};
    commands_["ingest"] = {{.name = "source", .positional = true, .required = true},
                           {.name = "name", .aliases = {"n"}, .required = true},
                           {.name = "format"},
                           {.name = "query-file"},
                           {.name = "no-header", .takes_value = false}};
    commands_["transform fit"] = {data, {.name = "spec"}, {.name = "name"}, {.name = "target"}};
    commands_["transform apply"] = {{.name = "pipeline"}, data, {.name = "out", .aliases = {"o"}}};
    commands_["train"] = {data,
                          {.name = "target"},
                          {.name = "model"},
                          {.name = "name"},
                          {.name = "transform"},
                          {.name = "feature-service"},
                          {.name = "param", .aliases = {"p"}}};
    commands_["predict"] = {{.name = "model", .required = true},
                            data,
                            {.name = "out", .aliases = {"o"}},
                            {.name = "keep-inputs", .takes_value = false}};
    commands_["features apply"] = {{.name = "file", .positional = true, .required = true}};
    commands_["features get-historical"] = {{.name = "entities"},
                                            {.name = "service"},
                                            {.name = "out", .aliases = {"o"}},
                                            {.name = "timestamp-column"}};
    commands_["features materialize"] = {
        {.name = "start", .required = true}, {.name = "end"}, {.name = "view"}};
    commands_["features materialize-incremental"] = {{.name = "end"}, {.name = "view"}};
  }

  std::optional<std::vector<CommandFlag>> Flags(
      const std::vector<std::string>& command) const override {
    const auto it = commands_.find(absl::StrJoin(command, " "));
    if (it == commands_.end()) return std::nullopt;
    return it->second;
  }

 private:
  std::map<std::string, std::vector<CommandFlag>> commands_;
};

}  // namespace keel::pipeline::testing

#endif  // KEEL_PIPELINE_TESTING_FAKE_CATALOG_H_
