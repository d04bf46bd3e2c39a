// From a parsed pipeline.yaml to what runs: each step's `keel` command line
// (arguments checked against the subcommand's flags), what it reads and
// writes, the steps it waits for, and one run order.
#ifndef KEEL_PIPELINE_PLAN_H_
#define KEEL_PIPELINE_PLAN_H_

#include <optional>
#include <string>
#include <vector>

#include "keel/base/status.h"
#include "keel/pipeline/spec.h"
#include "keel/pipeline/step_kinds.h"

namespace keel::pipeline {

// One flag or positional argument of a `keel` subcommand.
struct CommandFlag {
  std::string name;                  // canonical: the first long name, else the short one
  std::vector<std::string> aliases;  // other names it answers to ("p" for "param")
  bool positional = false;           // given without a flag ("keel ingest SOURCE")
  bool takes_value = true;           // false for a switch (--keep-inputs)
  bool required = false;
};

// The flags of `keel` subcommands; the CLI answers from its own definitions
// so a pipeline can never drift from them. Implementations must be
// thread-compatible.
class CommandCatalog {
 public:
  virtual ~CommandCatalog() = default;
  // The flags of `keel <command...>` (e.g. {"features", "apply"}), --help
  // excluded; nullopt when there is no such command.
  virtual std::optional<std::vector<CommandFlag>> Flags(
      const std::vector<std::string>& command) const = 0;
};

// One argument after normalisation: canonical name, values as written.
struct PlannedArg {
  std::string name;  // canonical flag name ("" never)
  bool positional = false;
  bool is_switch = false;
  std::vector<std::string> values;  // as written (${...} not expanded)
};

struct PlannedStep {
  std::string name;
  const StepKind* kind = nullptr;
  std::vector<PlannedArg> args;  // positionals first, then flags sorted by name
  // What follows "keel": the subcommand words, then the arguments, with
  // ${PIPELINE_DIR} and ${WORKSPACE} expanded.
  std::vector<std::string> argv;
  // The same before expansion (moving the workspace keeps cache keys).
  std::vector<std::string> argv_as_written;
  std::vector<Resource> reads;     // sorted, unique
  std::vector<Resource> writes;    // sorted, unique
  std::vector<std::string> after;  // every step it waits for, in run order
  bool cache = true;               // `cache: false` and external reads turn it off
  std::string no_cache_reason;     // why not, when !cache
};

struct Plan {
  std::string pipeline;
  std::vector<PlannedStep> steps;  // in run order

  const PlannedStep* FindStep(const std::string& name) const;
};

// Builds the plan. Relative paths resolve against `workspace_root` (where
// steps run); file resources are named relative to it when inside it.
// `pipeline_dir` is ${PIPELINE_DIR}. A step waits for the steps in its
// `after`, and for every other step writing something it reads (same kind
// and name). The run order is topological; among steps ready at once, the
// one written first in the file goes first.
//
// Errors: InvalidArgument "file:line:column: step 'x': ..." for an unknown
// flag (did-you-mean, listing the command's flags), a switch given a value
// or a flag missing its value, a repeated or extra positional argument, a
// required argument missing; and "pipeline 'p': steps form a cycle: a ->
// b -> a (b reads dataset 'x' that a writes)". Internal when the catalog
// lacks a step kind's command.
StatusOr<Plan> BuildPlan(const PipelineSpec& spec, const CommandCatalog& catalog,
                         const std::string& workspace_root, const std::string& pipeline_dir);

// `text` with ${PIPELINE_DIR} and ${WORKSPACE} replaced.
std::string ExpandVariables(const std::string& text, const std::string& workspace_root,
                            const std::string& pipeline_dir);

}  // namespace keel::pipeline

#endif  // KEEL_PIPELINE_PLAN_H_
