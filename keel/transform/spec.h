// What a pipeline step is asked to do, as written in prep.yaml: the step's
// kind, its columns (a selector) and its parameters, each remembering where
// in the file it was written so errors can say file:line:column.
#ifndef KEEL_TRANSFORM_SPEC_H_
#define KEEL_TRANSFORM_SPEC_H_

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "keel/base/status.h"
#include "keel/table/schema.h"

namespace keel::transform {

// Which columns a step takes. A column is selected when it matches any of
// `names`, `types`, `patterns` or `regexes`, and no entry of `exclude`
// (exact names or glob patterns). Resolved against the table the step is
// fitted on (after the steps before it), in the table's column order.
struct ColumnSelector {
  std::vector<std::string> names;       // exact; each must exist
  std::vector<std::string> types;       // bool, int64, float64, string, timestamp, numeric, all
  std::vector<std::string> patterns;    // glob (fnmatch): "amount_*"
  std::vector<std::string> regexes;     // ECMAScript, whole name must match
  std::vector<std::string> exclude;     // exact names or globs
  std::vector<std::string> name_where;  // "file:line:col" of each name ("" if built in code)
  std::string where;                    // of the whole selector

  static ColumnSelector Names(std::vector<std::string> names);
  static ColumnSelector Types(std::vector<std::string> types);

  // Errors (message starts with `where`, then `step_label`): InvalidArgument
  // when a named column is absent (with the closest names and the table's
  // columns), when nothing is selected, or a type name is unknown.
  StatusOr<std::vector<std::string>> Resolve(const Schema& schema,
                                             std::string_view step_label) const;
};

// Checks a selector's type names and regexes; `label` prefixes messages.
Status ValidateSelector(const ColumnSelector& selector, std::string_view label);

// A step's parameters: key -> one scalar or a list of scalars, as text, with
// where each was written. Getters convert and validate, and their errors say
// where, which step, which key, what was expected and what was found.
class Params {
 public:
  struct Entry {
    std::vector<std::string> values;
    bool is_list = false;
    std::string where;  // "prep.yaml:7:15", or "" when set in code
  };

  void Set(std::string key, std::string value, std::string where = "");
  void SetList(std::string key, std::vector<std::string> values, std::string where = "");
  bool Has(std::string_view key) const { return entries_.count(std::string(key)) > 0; }
  const std::map<std::string, Entry>& entries() const { return entries_; }

  // `label` ("step 'scale' (scale)") is put in messages by the getters.
  void set_label(std::string label) { label_ = std::move(label); }
  void set_where(std::string where) { where_ = std::move(where); }

  // Errors: InvalidArgument naming an unknown key, with the closest allowed.
  Status CheckKeys(const std::vector<std::string>& allowed) const;

  StatusOr<std::string> GetString(std::string_view key, std::string_view fallback) const;
  // One of `choices`, with a did-you-mean on a typo.
  StatusOr<std::string> GetChoice(std::string_view key, std::string_view fallback,
                                  const std::vector<std::string>& choices) const;
  StatusOr<double> GetDouble(std::string_view key, double fallback) const;
  StatusOr<int64_t> GetInt(std::string_view key, int64_t fallback, int64_t min, int64_t max) const;
  StatusOr<bool> GetBool(std::string_view key, bool fallback) const;
  // A scalar is a list of one.
  StatusOr<std::vector<std::string>> GetList(std::string_view key,
                                             const std::vector<std::string>& fallback) const;

  // InvalidArgument "<where>: <label>: <key>: <message>".
  Status Error(std::string_view key, std::string_view message) const;

 private:
  StatusOr<const Entry*> Scalar(std::string_view key) const;

  std::map<std::string, Entry> entries_;
  std::string label_;
  std::string where_;
};

// One step of a pipeline.
struct StepSpec {
  std::string kind;  // registry name: "impute", "scale", "one_hot", ...
  std::string name;  // unique in the pipeline; defaults to the kind (kind_2, ... on repeats)
  ColumnSelector columns;
  Params params;
  std::string where;  // of the step in the file

  // "step 'fill' (impute)" for messages.
  std::string Label() const;
};

enum class Remainder { kPassthrough, kDrop };

// A whole prep.yaml:
//
//   remainder: passthrough        # or drop: columns no step selected
//   steps:
//     - step: impute
//       name: fill                # optional
//       columns: {types: [numeric], exclude: [id]}
//       strategy: median
//       add_indicator: true
//     - step: one_hot
//       columns: [city, device]
//       handle_unknown: bucket
struct PipelineSpec {
  Remainder remainder = Remainder::kPassthrough;
  std::vector<StepSpec> steps;
  std::string source;  // file name used in messages

  // Errors: InvalidArgument "<source>:<line>:<col>: ..." for invalid YAML,
  // an unknown key, a wrong shape, an invalid selector or duplicate names.
  // Step kinds and parameters are checked by Pipeline::Make (registry).
  static StatusOr<PipelineSpec> Parse(std::string_view yaml_text, std::string_view source);
  // Errors: as Parse, and NotFound when the file cannot be read.
  static StatusOr<PipelineSpec> ReadFile(const std::string& path);
};

}  // namespace keel::transform

#endif  // KEEL_TRANSFORM_SPEC_H_
