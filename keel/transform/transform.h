// The two halves of a preprocessing step: a Transform (the spec, fitted once
// on training data) and the FittedStep it yields (immutable state applied
// identically to a table and to one row), plus the registry that creates
// steps by name.
#ifndef KEEL_TRANSFORM_TRANSFORM_H_
#define KEEL_TRANSFORM_TRANSFORM_H_

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "keel/base/status.h"
#include "keel/table/table.h"
#include "keel/transform/row.h"
#include "keel/transform/spec.h"
#include "nlohmann/json.hpp"

namespace keel::transform {

// Column types a step takes, as a bit set over DataType.
using TypeMask = uint32_t;
constexpr TypeMask TypeBit(DataType t) { return 1u << static_cast<int>(t); }
inline constexpr TypeMask kNumericTypes =
    TypeBit(DataType::kBool) | TypeBit(DataType::kInt64) | TypeBit(DataType::kFloat64);
inline constexpr TypeMask kAnyType = 0x1f;
// "bool, int64, float64" for messages.
std::string TypeMaskText(TypeMask mask);

// Fitted state of one step. Each input column k is replaced, at its place in
// the table, by OutputFields(k) (none: dropped; one of the same name:
// replaced). Immutable once built; thread-safe for concurrent const use.
class FittedStep {
 public:
  FittedStep(std::string kind, std::string name, TypeMask accepts, std::vector<std::string> inputs);
  virtual ~FittedStep() = default;
  FittedStep(const FittedStep&) = delete;
  FittedStep& operator=(const FittedStep&) = delete;

  const std::string& kind() const { return kind_; }
  const std::string& name() const { return name_; }
  std::string Label() const;
  TypeMask accepts() const { return accepts_; }
  const std::vector<std::string>& inputs() const { return inputs_; }

  virtual std::vector<Field> OutputFields(int k) const = 0;

  // Replaces every input column by its outputs. Errors: InvalidArgument when
  // an input column is missing or of a type the step cannot take, or a value
  // is refused (an unseen category under handle_unknown: error), naming the
  // step, the column and the value.
  StatusOr<Table> TransformTable(const Table& table) const;

  // The row path: `in` is input k's value, `out` receives OutputFields(k)
  // values. Must give the same values as TransformColumn, bit for bit, and
  // not allocate (except to build an error).
  virtual Status TransformValue(int k, const Value& in, Value* out) const = 0;

  // Sparse steps (the text steps with `output: sparse`) write only their
  // non-zero outputs on the pipeline's sparse path
  // (FittedPipeline::TransformSparse). No later step may read their outputs
  // (FittedPipeline checks it); the table and row paths still give every
  // output, dense.
  virtual bool sparse() const { return false; }
  // The non-zero outputs of input k for `in`, replacing *out's contents:
  // (index into OutputFields(k), value), ascending by index, no zeros; the
  // same bits as TransformValue's non-zero outputs. Does not allocate after
  // warm-up. Default: Internal (only sparse steps implement it).
  virtual Status TransformSparse(int k, const Value& in,
                                 std::vector<std::pair<int32_t, double>>* out) const;

  // {"step": kind, "name": ..., "inputs": [...], "state": StateToJson()}.
  nlohmann::json ToJson() const;

  // Feature selection steps: why each input was kept or dropped, as
  // {"criterion": {...}, "columns": [{"column", "kept", "reason", ...}]}.
  // Null for the other steps.
  virtual nlohmann::json SelectionReport() const { return nullptr; }

  // Joint steps compute the outputs of input k from several inputs
  // (polynomial: a*b). They return true here and implement the two Joint
  // calls; TransformValue and TransformColumn are then never called.
  virtual bool joint() const { return false; }
  // The row path of a joint step: input k's value is slots[in_slots[k]], its
  // outputs go to slots[out_first[k]], slots[out_first[k] + 1], ...
  virtual Status TransformJoint(Value* slots, const int* in_slots, const int* out_first) const;

 protected:
  // The outputs of input column k (already type-checked).
  virtual StatusOr<std::vector<Column>> TransformColumn(int k, const Column& column) const = 0;
  // Joint steps: the outputs of every input k (inputs[k] is input k).
  virtual StatusOr<std::vector<std::vector<Column>>> TransformColumnsJoint(
      const std::vector<const Column*>& inputs) const;
  virtual nlohmann::json StateToJson() const = 0;
  // "<label>: column '<name>'" for messages.
  std::string ColumnLabel(int k) const;

 private:
  std::string kind_;
  std::string name_;
  TypeMask accepts_;
  std::vector<std::string> inputs_;
};

// What a step sees while fitting besides the table: the label, for
// supervised steps (target encoding, univariate selection), and a place for
// notes. The label is fit-only: it is not a column of the table, and a
// fitted step never reads it again.
struct FitContext {
  // One value per row of the table being fitted, or nullptr when the
  // pipeline is fitted without a target (see FitOptions in pipeline.h).
  const Column* target = nullptr;
  std::string target_name;  // for messages and reports ("target" if unnamed)
  // Notes from fitting that are not errors (a constant column under standard
  // scaling, quantile bins merged), for the user to read.
  std::vector<std::string> warnings;
};
// The name the steps were first written against.
using FitNotes = FitContext;

// The fit-time label for `label`'s step. Errors: InvalidArgument saying how
// to give one when the pipeline is fitted without a target.
StatusOr<const Column*> RequireTarget(const FitContext& context, std::string_view label);

// A step as specified, not fitted. Fit is non-virtual: it resolves the
// selector against the table, checks the types once and calls FitImpl.
class Transform {
 public:
  Transform(StepSpec spec, TypeMask accepts) : spec_(std::move(spec)), accepts_(accepts) {}
  virtual ~Transform() = default;

  const StepSpec& spec() const { return spec_; }
  TypeMask accepts() const { return accepts_; }

  // Errors: InvalidArgument for a selected column that is missing, a type
  // the step cannot take, or data it cannot be fitted on (all values
  // missing), naming the step and the column.
  StatusOr<std::unique_ptr<FittedStep>> Fit(const Table& table, FitNotes* notes = nullptr) const;

  // Fits, and transforms the same table. Equal to Fit + TransformTable except
  // for steps that must not see a row's own label (target encoding, which
  // gives out-of-fold values on the training table), and for fit-time row
  // filters (drop_missing with max_row_missing_rate), whose `transformed`
  // holds only the rows listed in `kept_rows`.
  struct FitResult {
    std::unique_ptr<FittedStep> step;
    Table transformed;
    // The rows of the fitted table that `transformed` holds, ascending;
    // nullopt when it holds every row. Fit-only: the fitted step maps every
    // row to one row (serving cannot drop a request).
    std::optional<std::vector<int64_t>> kept_rows;
    // A sparse step (FittedStep::sparse()) is not applied to the table:
    // `transformed` is the table without the step's inputs, and
    // `sparse_inputs` holds those inputs (the pipeline builds its CSR
    // output from them). Empty for the other steps.
    Table sparse_inputs;
  };
  StatusOr<FitResult> FitTransform(const Table& table, FitNotes* notes = nullptr) const;

 protected:
  virtual StatusOr<std::unique_ptr<FittedStep>> FitImpl(const Table& table,
                                                        const std::vector<std::string>& columns,
                                                        FitNotes* notes) const = 0;
  // Default: FitImpl, then TransformTable.
  virtual StatusOr<FitResult> FitTransformImpl(const Table& table,
                                               const std::vector<std::string>& columns,
                                               FitNotes* notes) const;

 private:
  StatusOr<std::vector<std::string>> ResolveColumns(const Table& table) const;

  StepSpec spec_;
  TypeMask accepts_;
};

// What the registry knows about one step kind.
struct StepInfo {
  std::string kind;
  std::string help;  // one line
  TypeMask accepts = kAnyType;
  std::vector<std::string> params;  // allowed keys besides step, name, columns
  using Factory = std::function<StatusOr<std::unique_ptr<Transform>>(const StepSpec&)>;
  using Loader = std::function<StatusOr<std::unique_ptr<FittedStep>>(
      const std::string& name, std::vector<std::string> inputs, const nlohmann::json& state)>;
  // Builds a Transform from a spec whose keys are already checked against
  // `params`. Errors: InvalidArgument for a bad parameter value.
  Factory make;
  // Rebuilds a fitted step from FittedStep::ToJson's "name", "inputs" and
  // "state". May throw nlohmann::json::exception on malformed state (the
  // caller catches it).
  Loader load;
};

// Step kinds by name. Not thread-safe while registering; read-only use
// afterwards is.
class TransformRegistry {
 public:
  // A registry holding every built-in step (register_builtins.cc), built on
  // first use.
  static const TransformRegistry& Default();

  // Errors: AlreadyExists when the kind is registered.
  Status Register(StepInfo info);
  // Errors: InvalidArgument "unknown step 'x'. Did you mean 'y'? Known
  // steps: ..." (prefixed by `where` when given).
  StatusOr<const StepInfo*> Find(std::string_view kind, std::string_view where = "") const;
  std::vector<std::string> Kinds() const;

  // Checks the spec's keys and builds the Transform.
  StatusOr<std::unique_ptr<Transform>> Make(const StepSpec& spec) const;

 private:
  std::map<std::string, StepInfo> steps_;
};

void RegisterBuiltinTransforms(TransformRegistry* registry);

// Exact doubles in JSON: finite values as JSON numbers (written shortest
// round-trip, read back bit for bit), NaN and infinities as strings.
nlohmann::json DoubleToJson(double v);
StatusOr<double> DoubleFromJson(const nlohmann::json& j);

}  // namespace keel::transform

#endif  // KEEL_TRANSFORM_TRANSFORM_H_
