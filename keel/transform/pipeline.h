// A pipeline of steps declared in prep.yaml, fitted once on training data
// into a FittedPipeline that transforms tables (training, batch scoring) and
// single rows (online serving) with the same values, and that serialises to
// JSON and reloads bit for bit.
#ifndef KEEL_TRANSFORM_PIPELINE_H_
#define KEEL_TRANSFORM_PIPELINE_H_

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "keel/base/status.h"
#include "keel/table/table.h"
#include "keel/transform/row.h"
#include "keel/transform/sparse_matrix.h"
#include "keel/transform/spec.h"
#include "keel/transform/transform.h"

namespace keel::transform {

// Steps run in order; each replaces the columns it selects, at their place,
// by its outputs, so a later step sees (and may select) earlier outputs.
// Columns of the fitted table that no step selected are kept or dropped at
// the end as `remainder` says. Immutable once built: Transform and
// TransformRow may run on many threads at once (one Row per thread).
class FittedPipeline {
 public:
  FittedPipeline(FittedPipeline&&) = default;
  FittedPipeline& operator=(FittedPipeline&&) = default;

  // The table it was fitted on (every column, also those it drops), less
  // the fit-time target.
  const Schema& input_schema() const { return input_schema_; }
  // The inputs it reads (the others it drops unread under remainder: drop),
  // in input_schema() order: what a caller must provide.
  Schema NeededInputs() const;
  // The label it was fitted with (FitOptions), "" when none; for reports.
  const std::string& target_name() const { return target_name_; }
  const Schema& output_schema() const { return output_schema_; }
  Remainder remainder() const { return remainder_; }
  int num_steps() const { return static_cast<int>(steps_.size()); }
  const FittedStep& step(int i) const { return *steps_[i]; }
  // Notes from fitting (constant columns under scaling, merged bins).
  const std::vector<std::string>& warnings() const { return warnings_; }

  // What the feature selection steps kept and dropped, and why:
  // {"target": name, "steps": [{"step", "name", "criterion", "columns":
  // [{"column", "kept", "reason", and the statistics used: "score",
  // "p_value", "variance", "correlated_with", "correlation", "coefficient",
  // "rank"}]}], "kept": [...], "dropped": [...]} ("kept"/"dropped" over
  // every selection step, in order).
  nlohmann::json SelectionReport() const;

  // The table path. Columns the pipeline does not need are ignored; the
  // output has output_schema(). Errors: InvalidArgument when a needed column
  // is missing or of another type than at fit time, or a step refuses a
  // value (an unseen category under handle_unknown: error).
  StatusOr<Table> Transform(const Table& table) const;

  // True when a step writes sparse outputs (FittedStep::sparse(): the text
  // steps with `output: sparse`).
  bool has_sparse_outputs() const { return has_sparse_; }
  // The sparse path: every output of output_schema(), in that order, as one
  // CSR matrix (feature names: output_schema().names()). Sparse steps store
  // only their non-zeros; the other outputs are entries too (a 0 is not
  // stored, a null or NaN is stored as NaN, bools and timestamps as
  // numbers). The same values, bit for bit, as Transform. Errors: as
  // Transform, and InvalidArgument for a string output column (naming it:
  // encode or drop it).
  StatusOr<SparseMatrix> TransformSparse(const Table& table) const;

  // The row path. Resolve input names once (InputIndex, -1 when unknown),
  // make one Row per thread, then per request: set inputs, TransformRow,
  // read outputs. TransformRow does not allocate unless it fails. Errors:
  // InvalidArgument for a value of another type than the input's, and as
  // Transform for refused values.
  int InputIndex(std::string_view name) const { return input_schema_.IndexOf(name); }
  Row NewRow() const;
  Status TransformRow(Row* row) const;
  // The row path of a pipeline with sparse outputs: like TransformRow, but
  // sparse steps write no output slots; instead `entries` gets the row's
  // non-zero outputs as (output index, value), ascending, with the values
  // TransformSparse gives that row (null as NaN). O(the row's non-zeros),
  // not O(outputs), so a 2^18-slot hashing step costs what its terms cost.
  // Allocation-free once `entries` has grown. Errors: as TransformRow, and
  // InvalidArgument for a string output (as TransformSparse).
  Status TransformRowSparse(Row* row, std::vector<std::pair<int32_t, double>>* entries) const;

  // Serialised form (format "keel.transform.pipeline", version 1): inputs,
  // remainder, each step's fitted state, outputs, warnings. Doubles round-trip
  // exactly. Errors: InvalidArgument when a string is not valid UTF-8.
  nlohmann::json ToJson() const;
  StatusOr<std::string> ToJsonString() const;
  // Errors: InvalidArgument for malformed JSON, an unknown format, version or
  // step kind, or state inconsistent with the inputs.
  static StatusOr<FittedPipeline> FromJson(
      std::string_view text, const TransformRegistry& registry = TransformRegistry::Default());

 private:
  friend class Pipeline;
  FittedPipeline() = default;
  static StatusOr<FittedPipeline> Build(Schema input_schema, Remainder remainder,
                                        std::vector<std::unique_ptr<FittedStep>> steps,
                                        std::vector<std::string> warnings, std::string target_name);

  // Row plan: step `step` maps slot `in_slot` (its input k) to the slots
  // [out_first, out_first + OutputFields(k).size()). A joint step has one
  // binding with k = -1: its input slots are joint_slots_[in_slot...] and
  // the first slots of its outputs joint_slots_[out_first...], one per input.
  struct Binding {
    int step;
    int k;
    int in_slot;
    int out_first;
  };
  // The sparse path's plan: output columns [first, first + width) are one
  // dense output (step -1, width 1) or every output of a sparse step's input
  // k, read from slot in_slot (-1 for a dense output).
  struct OutputBlock {
    int step;
    int k;
    int32_t first;
    int32_t width;
    int in_slot;
  };

  // The row's needed inputs have their input's type (or are null).
  Status CheckRowInputs(const Value* slots) const;
  // Runs the row plan over `slots`; `skip_sparse` leaves out the sparse
  // steps (whose outputs no later step reads).
  Status RunPlan(Value* slots, bool skip_sparse) const;
  // The needed inputs of `table`, type-checked (Transform's errors).
  StatusOr<Table> SelectNeeded(const Table& table) const;
  // The CSR output from `dense` (the dense outputs) and, per sparse step s,
  // sparse_inputs[s] (that step's input columns, rows as `dense`).
  StatusOr<SparseMatrix> AssembleSparse(const Table& dense,
                                        const std::vector<Table>& sparse_inputs) const;
  // output_schema() names less those of sparse steps.
  std::vector<std::string> DenseOutputNames() const;

  Schema input_schema_;
  Schema output_schema_;
  Remainder remainder_ = Remainder::kPassthrough;
  std::vector<std::unique_ptr<FittedStep>> steps_;
  std::vector<std::string> warnings_;
  std::string target_name_;
  std::vector<int> joint_slots_;
  std::vector<int> needed_inputs_;  // indices into input_schema_
  std::vector<Binding> plan_;
  std::vector<DataType> slot_types_;
  std::vector<int> output_slots_;
  bool has_sparse_ = false;
  std::vector<OutputBlock> blocks_;
};

// How to fit a pipeline. The target (the label) is fit-only: supervised
// steps (target encoding, select_k_best, select_from_model) learn from it,
// and the fitted pipeline neither needs nor reads it, so serving does not
// need the label.
struct FitOptions {
  // The label column's name. Without `y`, it is taken from the fitted table
  // and removed from the pipeline's inputs. Empty: no label (a supervised
  // step then fails, saying how to give one).
  std::string target;
  // The label given apart from the table, one value per row (keel train
  // passes it this way); `target` names it (default "target").
  std::optional<Column> y;
};

// A pipeline as specified. Cheap to copy (the transforms are shared and
// immutable).
class Pipeline {
 public:
  // Builds every step from the registry. Errors: InvalidArgument naming the
  // file:line:column of an unknown step kind (with the known kinds), an
  // unknown parameter or a bad parameter value.
  static StatusOr<Pipeline> Make(PipelineSpec spec,
                                 const TransformRegistry& registry = TransformRegistry::Default());

  const PipelineSpec& spec() const { return spec_; }

  // Fits every step in order on `table` (each on the previous one's output,
  // less the rows a fit-time row filter dropped). Errors: as the steps'
  // fits, and InvalidArgument when options.target is not a column of the
  // table, `y` has another length than the table, a row filter drops
  // every row, or a step selects an output of an earlier sparse step (naming
  // both steps).
  StatusOr<FittedPipeline> Fit(const Table& table, const FitOptions& options = {}) const;

  // Fits and returns the transformed training table too (out-of-fold values
  // for target encoding; without the target column). A step that drops rows
  // at fit time (drop_missing with max_row_missing_rate) leaves them out of
  // `transformed` and out of the later steps' fitting (their statistics and
  // the target they see); `kept_rows` then lists the rows of `table` that
  // `transformed` holds, in order, so a caller gathers its labels with it.
  // The fitted pipeline itself keeps every row (Transform, TransformRow).
  // A pipeline with sparse outputs (FittedPipeline::has_sparse_outputs)
  // does not materialise them densely: `transformed` then holds only the
  // dense outputs and `sparse` every output, as TransformSparse would give
  // (out-of-fold values included), for the same rows.
  struct FitResult {
    FittedPipeline pipeline;
    Table transformed;
    // nullopt: every row of `table`, in order.
    std::optional<std::vector<int64_t>> kept_rows;
    std::optional<SparseMatrix> sparse;
  };
  StatusOr<FitResult> FitTransform(const Table& table, const FitOptions& options = {}) const;

 private:
  PipelineSpec spec_;
  std::vector<std::shared_ptr<const transform::Transform>> transforms_;
};

}  // namespace keel::transform

#endif  // KEEL_TRANSFORM_PIPELINE_H_
