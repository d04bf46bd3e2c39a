// pipeline.yaml: a named DAG of steps, each one `keel` subcommand with its
// arguments, and an optional cron schedule. Parsing checks the shape,
// names and references; turning arguments into command lines needs the
// commands' flags and happens in plan.h.
//
//   name: daily
//   schedule: "0 2 * * *"          # optional; `keel pipeline schedule`
//   timezone: Europe/Paris         # optional; default UTC
//   steps:
//     - name: ingest
//       run: ingest                 # a step kind (step_kinds.h)
//       args: {source: data/txns.csv, name: txns}
//     - name: train
//       run: train
//       args: {data: txns, target: is_fraud, model: gbdt, name: fraud,
//              param: [n_estimators=50, max_depth=4]}
//       after: [ingest]             # optional; implied here by `data: txns`
//       cache: true                 # optional; false: run every time
#ifndef KEEL_PIPELINE_SPEC_H_
#define KEEL_PIPELINE_SPEC_H_

#include <string>
#include <string_view>
#include <vector>

#include "keel/base/status.h"

namespace keel::pipeline {

// A place in pipeline.yaml; 1-based, 0 when unknown.
struct Mark {
  int line = 0;
  int column = 0;
};

// One argument as written. Mapping form: `key: value` (one value),
// `key: [a, b]` (the flag repeated), `key: true` (a switch), `key: false`
// (left out). List form (`args: [--data, txns]`): one StepArg per token,
// with an empty key.
struct StepArg {
  std::string key;                  // without leading dashes; "" for a token
  std::vector<std::string> values;  // a token's text, or the key's values
  bool is_switch = false;           // `key: true`
  Mark mark;                        // of the key, or of the token
};

struct StepSpec {
  std::string name;  // letters, digits, '_' and '-'
  std::string run;   // a StepKinds() name (checked here)
  std::vector<StepArg> args;
  bool args_are_tokens = false;    // the list form
  std::vector<std::string> after;  // steps (checked to exist here)
  std::vector<Mark> after_marks;
  bool cache = true;
  Mark mark;      // of the step's mapping
  Mark run_mark;  // of its `run` value
};

struct PipelineSpec {
  std::string file;      // as given; prefixes every message
  std::string name;      // [a-z0-9_-], 1 to 64 characters
  std::string schedule;  // cron text; "" when none (checked to parse)
  Mark schedule_mark;
  std::string timezone;         // "" = UTC (checked to load)
  std::vector<StepSpec> steps;  // in file order

  // "file:line:column" (or "file" for an unknown mark).
  std::string Where(const Mark& mark) const;
  // nullptr when there is no such step.
  const StepSpec* FindStep(std::string_view name) const;
};

// Variables that argument values may use; expanded in plan.h.
inline constexpr char kPipelineDirVariable[] = "PIPELINE_DIR";  // the file's folder
inline constexpr char kWorkspaceVariable[] = "WORKSPACE";       // the workspace root

// Parses and validates `yaml_text`; `file` prefixes messages. Errors:
// InvalidArgument "file:line:column: <what>" for invalid YAML, unknown keys
// (did-you-mean), a missing name/run/steps, a value of the wrong shape, an
// invalid or duplicate name (naming where the first is), an unknown step
// kind or `after` step (did-you-mean, listing those that exist), an
// unknown ${VARIABLE}, a cron schedule or time zone that does not parse.
StatusOr<PipelineSpec> ParsePipelineSpec(std::string_view yaml_text, std::string_view file);

// Reads and parses the file at `path`. Errors: as ReadFile, and as above.
StatusOr<PipelineSpec> LoadPipelineSpec(const std::string& path);

}  // namespace keel::pipeline

#endif  // KEEL_PIPELINE_SPEC_H_
