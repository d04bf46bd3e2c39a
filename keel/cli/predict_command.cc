// keel predict: score a dataset or file with a model version, chunk by chunk
// (CSV input is streamed, so memory stays flat on inputs larger than RAM),
// optionally one shard of it.
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "keel/cli/batch_io.h"
#include "keel/cli/commands.h"
#include "keel/cli/common.h"
#include "keel/learn/bundle.h"
#include "keel/learn/explain.h"

namespace keel::cli {
namespace {

using json = nlohmann::json;

struct PredictArgs {
  std::string model;
  std::string data;
  std::string out;
  bool keep_inputs = false;
  bool explain = false;
  int64_t chunk_rows = 65536;
  std::string shard;
};

// The input columns of a model without a pipeline are all needed; name
// every one the input lacks (a pipeline names its own missing columns).
Status CheckInputs(const learn::Bundle& bundle, const Schema& schema) {
  if (bundle.pipeline() != nullptr) return absl::OkStatus();
  std::vector<std::string> missing;
  for (const Field& field : bundle.manifest().inputs.fields()) {
    if (schema.IndexOf(field.name) < 0) {
      missing.push_back(absl::StrCat(field.name, " (", std::string(DataTypeName(field.type)), ")"));
    }
  }
  if (missing.empty()) return absl::OkStatus();
  return absl::InvalidArgumentError(absl::StrCat(
      "lacks column", missing.size() > 1 ? "s" : "", " the model needs: ",
      absl::StrJoin(missing, ", "), "; it has: ", absl::StrJoin(schema.names(), ", ")));
}

// The predictions, after the input columns when `keep_inputs` (a prediction
// column whose name an input has is prefixed with "keel_").
StatusOr<Table> OutputChunk(const Table& input, const Table& predicted, bool keep_inputs) {
  if (!keep_inputs) return predicted;
  std::vector<Field> fields = input.schema().fields();
  std::vector<Column> columns = input.columns();
  for (int c = 0; c < predicted.num_columns(); ++c) {
    Field field = predicted.schema().field(c);
    if (input.schema().IndexOf(field.name) >= 0) field.name = "keel_" + field.name;
    fields.push_back(field);
    columns.push_back(predicted.column(c));
  }
  KEEL_ASSIGN_OR_RETURN(Schema schema, Schema::Make(std::move(fields)));
  return Table::Make(std::move(schema), std::move(columns));
}

// The predictions of `chunk`, followed with `explain` by each row's SHAP
// contributions (shap_<feature>..., shap_bias).
StatusOr<Table> Score(const learn::Bundle& bundle, const Table& chunk, bool explain) {
  if (!explain) return bundle.Predict(chunk);
  KEEL_ASSIGN_OR_RETURN(learn::Matrix x, bundle.Features(chunk));
  learn::Matrix scores;
  KEEL_RETURN_IF_ERROR(bundle.model().Predict(x, &scores));
  KEEL_ASSIGN_OR_RETURN(Table predicted, bundle.ScoresToTable(scores));
  KEEL_ASSIGN_OR_RETURN(Table shap, learn::ContributionsTable(bundle, x));
  std::vector<Field> fields = predicted.schema().fields();
  std::vector<Column> columns = predicted.columns();
  for (int c = 0; c < shap.num_columns(); ++c) {
    fields.push_back(shap.schema().field(c));
    columns.push_back(shap.column(c));
  }
  KEEL_ASSIGN_OR_RETURN(Schema schema, Schema::Make(std::move(fields)));
  return Table::Make(std::move(schema), std::move(columns));
}

Status Predict(CommandContext& context, const PredictArgs& args) {
  Shard shard;
  if (!args.shard.empty()) {
    KEEL_ASSIGN_OR_RETURN(shard, ParseShard(args.shard));
  }
  KEEL_ASSIGN_OR_RETURN(BatchOutput output, BatchOutput::Create(args.out));
  KEEL_ASSIGN_OR_RETURN(auto lake, OpenLake(context));
  KEEL_ASSIGN_OR_RETURN(LoadedModel model, LoadModelVersion(*lake, args.model));
  const learn::Bundle& bundle = model.bundle;
  if (args.explain) {
    if (Status s = learn::CheckContributions(bundle); !s.ok()) {
      return AsUsageError(absl::Status(s.code(), absl::StrCat("--explain: ", s.message())));
    }
  }
  BatchInputOptions input_options;
  input_options.chunk_rows = args.chunk_rows;
  input_options.types = bundle.manifest().inputs;
  KEEL_ASSIGN_OR_RETURN(std::unique_ptr<BatchInput> input,
                        BatchInput::Open(context, *lake, args.data, input_options));

  bool checked = false;
  KEEL_ASSIGN_OR_RETURN(BatchSummary summary,
                        RunBatch(
                            context, absl::StrCat("predict ", model.record.model), *input, shard,
                            [&](const Table& chunk) -> StatusOr<Table> {
                              if (!checked) {
                                KEEL_RETURN_IF_ERROR(CheckInputs(bundle, chunk.schema()));
                                checked = true;
                              }
                              KEEL_ASSIGN_OR_RETURN(Table predicted,
                                                    Score(bundle, chunk, args.explain));
                              return OutputChunk(chunk, predicted, args.keep_inputs);
                            },
                            output));

  if (context.options().json) {
    json result = summary.ToJson(shard, output, args.out);
    result["model"] = model.record.model;
    result["version"] = model.record.version;
    result["data"] = input->described();
    context.PrintJson(result);
    return absl::OkStatus();
  }
  context.Print(absl::StrFormat(
      "Wrote %s: %d predictions of %s version %d for %s%s", args.out, summary.rows,
      model.record.model, model.record.version, input->described(),
      shard.count > 1 ? absl::StrFormat(" (shard %d/%d: rows %d to %d)", shard.index, shard.count,
                                        summary.first_row, summary.end_row)
                      : ""));
  return absl::OkStatus();
}

}  // namespace

void AddPredictCommand(CLI::App& app, CommandContext& context) {
  auto args = std::make_shared<PredictArgs>();
  CLI::App* predict = app.add_subcommand("predict", "Score a dataset or file with a model version");
  predict->add_option("--model", args->model, "MODEL, MODEL@VERSION or MODEL@ALIAS")
      ->required()
      ->type_name("MODEL[@REF]");
  predict
      ->add_option("--data", args->data,
                   "NAME[@VERSION], or a file or URI: .csv/.tsv (streamed), .jsonl, .parquet, "
                   ".kcol (read whole)")
      ->required()
      ->type_name("DATA");
  predict
      ->add_option("--out,-o", args->out,
                   "Output file: .csv or .jsonl (written as rows are scored), .parquet or .kcol "
                   "(written at the end); appears only once complete")
      ->required()
      ->type_name("FILE");
  predict->add_flag("--keep-inputs", args->keep_inputs,
                    "Write the input columns before the predictions (CSV columns the model does "
                    "not use are copied as text)");
  predict->add_flag("--explain", args->explain,
                    "Also write each row's SHAP contributions (tree models): shap_<feature> per "
                    "feature and shap_bias, in margin units (log-odds for binary; "
                    "shap_<class>_<feature> per class for multiclass); a row's sum is its raw "
                    "score, as XGBoost's pred_contribs");
  predict->add_option("--chunk-rows", args->chunk_rows, "Rows scored at a time")
      ->capture_default_str()
      ->check(CLI::Range(int64_t{1}, int64_t{1} << 30));
  predict
      ->add_option("--shard", args->shard,
                   "Score only the I-th of N contiguous row ranges (sizes differ by at most one "
                   "row), so that N processes split one input; the N outputs concatenated in "
                   "order are the unsharded output. CSV input is counted first (one extra pass)")
      ->type_name("I/N");
  context.Bind(predict, [&context, args]() { return Predict(context, *args); });
}

}  // namespace keel::cli
