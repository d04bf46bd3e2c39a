// keel transform fit | apply | show: fit a prep.yaml pipeline on a dataset
// and keep it as a numbered version (pipeline_store.h), apply a version to
// a dataset or file chunk by chunk, and describe one.
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "keel/base/files.h"
#include "keel/cli/batch_io.h"
#include "keel/cli/commands.h"
#include "keel/cli/common.h"
#include "keel/cli/pipeline_store.h"
#include "keel/transform/pipeline.h"
#include "keel/transform/spec.h"

namespace keel::cli {
namespace {

using json = nlohmann::json;

struct FitArgs {
  std::string data;
  std::string spec;
  std::string name;
  std::string target;
};

struct ApplyArgs {
  std::string pipeline;
  std::string data;
  std::string out;
  int64_t chunk_rows = 65536;
  std::string shard;
};

std::string FieldsText(const Schema& schema, size_t max_fields) {
  std::vector<std::string> parts;
  for (const Field& f : schema.fields()) {
    if (parts.size() == max_fields) {
      parts.push_back(absl::StrCat("... (", schema.num_fields(), " in all)"));
      break;
    }
    parts.push_back(absl::StrCat(f.name, " ", std::string(DataTypeName(f.type))));
  }
  return absl::StrJoin(parts, ", ");
}

json FieldsJson(const Schema& schema) {
  json out = json::array();
  for (const Field& f : schema.fields()) {
    out.push_back({{"name", f.name}, {"type", std::string(DataTypeName(f.type))}});
  }
  return out;
}

Status Fit(CommandContext& context, const FitArgs& args) {
  if (Status s = ValidateModelName(args.name); !s.ok()) return AsUsageError(s);
  KEEL_ASSIGN_OR_RETURN(std::string spec_text, ReadFile(args.spec));
  StatusOr<transform::PipelineSpec> spec = transform::PipelineSpec::Parse(spec_text, args.spec);
  if (!spec.ok()) return AsUsageError(spec.status());
  StatusOr<transform::Pipeline> pipeline = transform::Pipeline::Make(*std::move(spec));
  if (!pipeline.ok()) return AsUsageError(pipeline.status());

  KEEL_ASSIGN_OR_RETURN(auto lake, OpenLake(context));
  KEEL_ASSIGN_OR_RETURN(DatasetVersionRecord data, ResolveDatasetArg(*lake, args.data));
  KEEL_ASSIGN_OR_RETURN(Table table, lake->ReadTable(data));
  if (!args.target.empty() && table.schema().IndexOf(args.target) < 0) {
    return AsUsageError(absl::InvalidArgumentError(
        absl::StrCat("--target ", args.target, ": ", data.dataset, " has no such column (",
                     absl::StrJoin(table.schema().names(), ", "), ")")));
  }

  MetadataStore& registry = lake->registry();
  RunRecord request;
  request.experiment = "transform";
  request.name = args.name;
  request.params = {{"dataset", absl::StrCat(data.dataset, "@", data.version)},
                    {"spec", args.spec},
                    {"target", args.target}};
  KEEL_ASSIGN_OR_RETURN(RunRecord run, registry.CreateRun(request));
  auto fail = [&](Status status) {
    (void)registry.EndRun(run.id, RunStatus::kFailed, std::string(status.message()));
    return status;
  };

  transform::FitOptions options;
  options.target = args.target;
  StatusOr<transform::FittedPipeline> fitted = pipeline->Fit(table, options);
  if (!fitted.ok()) return fail(fitted.status());
  PipelineVersionRecord record;
  record.name = args.name;
  record.dataset = data.dataset;
  record.dataset_version = data.version;
  record.target = args.target;
  record.spec_path = args.spec;
  record.run_id = run.id;
  StatusOr<PipelineVersionRecord> stored = StorePipelineVersion(*lake, *fitted, spec_text, record);
  if (!stored.ok()) return fail(stored.status());
  if (Status s = registry.AddArtifact(run.id, stored->key); !s.ok()) return fail(s);
  KEEL_RETURN_IF_ERROR(registry.EndRun(run.id, RunStatus::kFinished));

  if (context.options().json) {
    context.PrintJson({{"name", stored->name},
                       {"version", stored->version},
                       {"key", stored->key},
                       {"run_id", run.id},
                       {"dataset", absl::StrCat(data.dataset, "@", data.version)},
                       {"rows", table.num_rows()},
                       {"inputs", FieldsJson(fitted->input_schema())},
                       {"outputs", FieldsJson(fitted->output_schema())},
                       {"steps", fitted->num_steps()},
                       {"warnings", fitted->warnings()}});
    return absl::OkStatus();
  }
  for (const std::string& w : fitted->warnings()) context.Print(absl::StrCat("warning: ", w));
  context.Print(absl::StrFormat(
      "Fitted pipeline %s version %d on %s@%s (%d rows): %d steps, %d inputs -> %d outputs",
      stored->name, stored->version, data.dataset, data.version.substr(0, 12), table.num_rows(),
      fitted->num_steps(), fitted->input_schema().num_fields(),
      fitted->output_schema().num_fields()));
  return absl::OkStatus();
}

Status Apply(CommandContext& context, const ApplyArgs& args) {
  Shard shard;
  if (!args.shard.empty()) {
    KEEL_ASSIGN_OR_RETURN(shard, ParseShard(args.shard));
  }
  KEEL_ASSIGN_OR_RETURN(BatchOutput output, BatchOutput::Create(args.out));
  KEEL_ASSIGN_OR_RETURN(auto lake, OpenLake(context));
  KEEL_ASSIGN_OR_RETURN(LoadedPipeline loaded, LoadPipelineVersion(*lake, args.pipeline));
  BatchInputOptions input_options;
  input_options.chunk_rows = args.chunk_rows;
  input_options.types = loaded.pipeline.input_schema();
  KEEL_ASSIGN_OR_RETURN(std::unique_ptr<BatchInput> input,
                        BatchInput::Open(context, *lake, args.data, input_options));
  const transform::FittedPipeline& pipeline = loaded.pipeline;
  KEEL_ASSIGN_OR_RETURN(
      BatchSummary summary,
      RunBatch(
          context, absl::StrCat("transform ", loaded.record.name), *input, shard,
          [&](const Table& chunk) { return pipeline.Transform(chunk); }, output));
  if (context.options().json) {
    json result = summary.ToJson(shard, output, args.out);
    result["pipeline"] = loaded.record.name;
    result["version"] = loaded.record.version;
    result["data"] = input->described();
    context.PrintJson(result);
    return absl::OkStatus();
  }
  context.Print(absl::StrFormat("Wrote %s: %d rows, %d columns, from %s through pipeline %s "
                                "version %d",
                                args.out, summary.rows, output.columns().size(),
                                input->described(), loaded.record.name, loaded.record.version));
  return absl::OkStatus();
}

// A step's fitted state in one line: the JSON, cut.
std::string StateSummary(const json& state) {
  std::string text = state.dump();
  if (text.size() > 100) text = text.substr(0, 97) + "...";
  return text;
}

Status Show(CommandContext& context, const std::string& ref) {
  KEEL_ASSIGN_OR_RETURN(auto lake, OpenLake(context));
  KEEL_ASSIGN_OR_RETURN(LoadedPipeline loaded, LoadPipelineVersion(*lake, ref));
  const transform::FittedPipeline& p = loaded.pipeline;
  const PipelineVersionRecord& r = loaded.record;
  if (context.options().json) {
    json steps = json::array();
    for (int i = 0; i < p.num_steps(); ++i) {
      const transform::FittedStep& step = p.step(i);
      json outputs = json::array();
      for (int k = 0; k < static_cast<int>(step.inputs().size()); ++k) {
        for (const Field& f : step.OutputFields(k)) outputs.push_back(f.name);
      }
      json j = step.ToJson();
      j["outputs"] = outputs;
      steps.push_back(std::move(j));
    }
    json record = r.ToJson();
    record["inputs"] = FieldsJson(p.input_schema());
    record["outputs"] = FieldsJson(p.output_schema());
    record["remainder"] = p.remainder() == transform::Remainder::kDrop ? "drop" : "passthrough";
    record["steps"] = steps;
    record["warnings"] = p.warnings();
    record["selection"] = p.SelectionReport();
    record["spec"] = loaded.spec_text;
    context.PrintJson(record);
    return absl::OkStatus();
  }
  context.Print(absl::StrFormat("%s version %d (fitted on %s@%s%s, run %s)", r.name, r.version,
                                r.dataset, r.dataset_version.substr(0, 12),
                                r.target.empty() ? "" : absl::StrCat(", target ", r.target),
                                r.run_id.substr(0, 8)));
  context.Print(absl::StrCat("  inputs   ", FieldsText(p.input_schema(), 20)));
  context.Print(absl::StrCat("  outputs  ", FieldsText(p.output_schema(), 20)));
  std::vector<std::vector<std::string>> rows = {{"STEP", "KIND", "INPUTS", "OUTPUTS", "STATE"}};
  for (int i = 0; i < p.num_steps(); ++i) {
    const transform::FittedStep& step = p.step(i);
    size_t outputs = 0;
    for (int k = 0; k < static_cast<int>(step.inputs().size()); ++k) {
      outputs += step.OutputFields(k).size();
    }
    rows.push_back({step.name(), step.kind(),
                    step.inputs().size() <= 3 ? absl::StrJoin(step.inputs(), ",")
                                              : absl::StrCat(step.inputs().size(), " columns"),
                    absl::StrCat(outputs), StateSummary(step.ToJson().value("state", json()))});
  }
  context.Print(FormatRows(rows));
  for (const std::string& w : p.warnings()) context.Print(absl::StrCat("warning: ", w));
  return absl::OkStatus();
}

}  // namespace

void AddTransformCommand(CLI::App& app, CommandContext& context) {
  CLI::App* cmd = app.add_subcommand("transform", "Fit, apply and show preprocessing pipelines");
  cmd->require_subcommand(1);

  auto fit_args = std::make_shared<FitArgs>();
  CLI::App* fit = cmd->add_subcommand(
      "fit", "Fit a prep.yaml pipeline on a dataset and keep it as a new pipeline version");
  fit->add_option("--data", fit_args->data, "Dataset: NAME or NAME@VERSION")
      ->required()
      ->type_name("NAME[@VERSION]");
  fit->add_option("--spec", fit_args->spec, "The pipeline spec (prep.yaml)")
      ->required()
      ->type_name("FILE");
  fit->add_option("--name", fit_args->name, "Pipeline name; each fit adds a version")
      ->required()
      ->type_name("PREP");
  fit->add_option("--target", fit_args->target,
                  "The label column: supervised steps (target encoding, feature selection) learn "
                  "from it; it is not an input of the fitted pipeline")
      ->type_name("COLUMN");
  context.Bind(fit, [&context, fit_args]() { return Fit(context, *fit_args); });

  auto apply_args = std::make_shared<ApplyArgs>();
  CLI::App* apply = cmd->add_subcommand(
      "apply", "Transform a dataset or file with a fitted pipeline, chunk by chunk");
  apply->add_option("--pipeline", apply_args->pipeline, "PREP (the latest version) or PREP@N")
      ->required()
      ->type_name("PREP[@N]");
  apply
      ->add_option("--data", apply_args->data,
                   "NAME[@VERSION], or a file or URI: .csv/.tsv (streamed), .jsonl, .parquet, "
                   ".kcol (read whole)")
      ->required()
      ->type_name("DATA");
  apply
      ->add_option("--out,-o", apply_args->out,
                   "Output file: .csv or .jsonl (written as rows come), .parquet or .kcol "
                   "(written at the end); appears only once complete")
      ->required()
      ->type_name("FILE");
  apply->add_option("--chunk-rows", apply_args->chunk_rows, "Rows transformed at a time")
      ->capture_default_str()
      ->check(CLI::Range(int64_t{1}, int64_t{1} << 30));
  apply
      ->add_option("--shard", apply_args->shard,
                   "Only the I-th of N contiguous row ranges (as keel predict --shard)")
      ->type_name("I/N");
  context.Bind(apply, [&context, apply_args]() { return Apply(context, *apply_args); });

  auto ref = std::make_shared<std::string>();
  CLI::App* show = cmd->add_subcommand(
      "show", "A pipeline version: inputs, outputs, steps with their fitted state, warnings");
  show->add_option("pipeline", *ref, "PREP or PREP@N")->required()->type_name("PREP[@N]");
  context.Bind(show, [&context, ref]() { return Show(context, *ref); });
}

}  // namespace keel::cli
