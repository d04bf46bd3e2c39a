#include "keel/transform/pipeline.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <set>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "keel/base/suggest.h"

namespace keel::transform {
namespace {

constexpr char kFormat[] = "keel.transform.pipeline";
constexpr int kVersion = 1;

// The error for a step that reads an output of an earlier sparse step.
Status ReadsSparseOutput(std::string_view reader, std::string_view column,
                         std::string_view sparse_step) {
  return absl::InvalidArgumentError(absl::StrCat(
      std::string(reader), " selects '", std::string(column), "', an output of ",
      std::string(sparse_step),
      " (output: sparse); a sparse step's outputs go to the model as they are and no later "
      "step may read them: exclude them from this step's columns, move this step before ",
      std::string(sparse_step), ", or set output: dense on it"));
}

// The sparse path's error for a string output column.
Status StringOutputError(std::string_view column) {
  return absl::InvalidArgumentError(absl::StrCat(
      "output column '", std::string(column),
      "' is a string; the sparse output holds numbers only: encode it (one_hot, ordinal, "
      "hashing) or drop it (remainder: drop)"));
}

// Before fitting `t` on `current`: does its selector pick an output of an
// earlier sparse step (`sparse`: field -> that step's label)? The selector
// is resolved against the table as it would be with the sparse outputs.
Status CheckNotReadingSparse(const Transform& t, const Table& current,
                             const std::vector<std::pair<Field, std::string>>& sparse) {
  if (sparse.empty()) return absl::OkStatus();
  std::vector<Field> fields = current.schema().fields();
  for (const auto& [field, step] : sparse) fields.push_back(field);
  StatusOr<Schema> schema = Schema::Make(std::move(fields));
  if (!schema.ok()) return absl::OkStatus();  // the fit reports the clash
  StatusOr<std::vector<std::string>> picked = t.spec().columns.Resolve(*schema, t.spec().Label());
  if (!picked.ok()) return absl::OkStatus();  // the fit reports it
  std::map<std::string_view, std::string_view> owner;
  for (const auto& [field, step] : sparse) owner.emplace(field.name, step);
  for (const std::string& name : *picked) {
    auto it = owner.find(name);
    if (it != owner.end()) {
      return ReadsSparseOutput(
          absl::StrCat(t.spec().where.empty() ? "" : t.spec().where + ": ", t.spec().Label()), name,
          it->second);
    }
  }
  return absl::OkStatus();
}

}  // namespace

// ---------------------------------------------------------------- Pipeline

StatusOr<Pipeline> Pipeline::Make(PipelineSpec spec, const TransformRegistry& registry) {
  Pipeline p;
  for (const StepSpec& step : spec.steps) {
    KEEL_ASSIGN_OR_RETURN(std::unique_ptr<transform::Transform> t, registry.Make(step));
    p.transforms_.push_back(std::move(t));
  }
  p.spec_ = std::move(spec);
  return p;
}

StatusOr<Pipeline::FitResult> Pipeline::FitTransform(const Table& table,
                                                     const FitOptions& options) const {
  FitContext context;
  Table inputs = table;
  Column y;
  if (options.y.has_value()) {
    y = *options.y;
    context.target_name = options.target.empty() ? "target" : options.target;
    if (y.length() != table.num_rows()) {
      return absl::InvalidArgumentError(absl::StrCat("the target '", context.target_name, "' has ",
                                                     y.length(), " values but the table has ",
                                                     table.num_rows(), " rows"));
    }
    context.target = &y;
  } else if (!options.target.empty()) {
    const int c = table.schema().IndexOf(options.target);
    if (c < 0) {
      return absl::InvalidArgumentError(
          absl::StrCat("the target column '", options.target, "' is not in the table.",
                       DidYouMean(options.target, table.schema().names()),
                       " Columns: ", absl::StrJoin(table.schema().names(), ", ")));
    }
    y = table.column(c);
    context.target = &y;
    context.target_name = options.target;
    std::vector<std::string> names;
    for (const std::string& name : table.schema().names()) {
      if (name != options.target) names.push_back(name);
    }
    KEEL_ASSIGN_OR_RETURN(inputs, table.SelectColumns(names));
  }
  std::vector<std::unique_ptr<FittedStep>> steps;
  Table current = inputs;
  std::optional<std::vector<int64_t>> kept_rows;  // rows of `table` still in `current`
  // Per step: a sparse step's inputs (rows as `current`), else empty.
  std::vector<Table> sparse_inputs;
  std::vector<std::pair<Field, std::string>> sparse_outputs;  // field, step label
  for (const auto& t : transforms_) {
    KEEL_RETURN_IF_ERROR(CheckNotReadingSparse(*t, current, sparse_outputs));
    KEEL_ASSIGN_OR_RETURN(transform::Transform::FitResult r, t->FitTransform(current, &context));
    if (r.kept_rows.has_value()) {
      const std::vector<int64_t>& kept = *r.kept_rows;
      if (kept.empty()) {
        return absl::InvalidArgumentError(
            absl::StrCat(r.step->Label(), ": drops every one of the ", current.num_rows(),
                         " training rows (too many missing values); raise max_row_missing_rate"));
      }
      // The later steps, and the supervised ones among them, see the kept
      // rows and their labels only.
      if (context.target != nullptr) {
        KEEL_ASSIGN_OR_RETURN(Table labels, Table::Make({"y"}, {y}));
        y = labels.Take(kept).column(0);
      }
      for (Table& inputs_of_step : sparse_inputs) {
        if (inputs_of_step.num_columns() > 0) inputs_of_step = inputs_of_step.Take(kept);
      }
      if (kept_rows.has_value()) {
        for (int64_t& row : *r.kept_rows) row = (*kept_rows)[row];
      }
      kept_rows = std::move(r.kept_rows);
    }
    if (r.step->sparse()) {
      for (size_t k = 0; k < r.step->inputs().size(); ++k) {
        for (Field& f : r.step->OutputFields(static_cast<int>(k))) {
          sparse_outputs.emplace_back(std::move(f), r.step->Label());
        }
      }
    }
    sparse_inputs.push_back(std::move(r.sparse_inputs));
    steps.push_back(std::move(r.step));
    current = std::move(r.transformed);
  }
  KEEL_ASSIGN_OR_RETURN(
      FittedPipeline fitted,
      FittedPipeline::Build(inputs.schema(), spec_.remainder, std::move(steps),
                            std::move(context.warnings),
                            context.target != nullptr ? context.target_name : ""));
  KEEL_ASSIGN_OR_RETURN(Table out, current.SelectColumns(fitted.DenseOutputNames()));
  std::optional<SparseMatrix> sparse;
  if (fitted.has_sparse_outputs()) {
    KEEL_ASSIGN_OR_RETURN(sparse, fitted.AssembleSparse(out, sparse_inputs));
  }
  return FitResult{std::move(fitted), std::move(out), std::move(kept_rows), std::move(sparse)};
}

StatusOr<FittedPipeline> Pipeline::Fit(const Table& table, const FitOptions& options) const {
  KEEL_ASSIGN_OR_RETURN(FitResult r, FitTransform(table, options));
  return std::move(r.pipeline);
}

// ---------------------------------------------------------------- build

StatusOr<FittedPipeline> FittedPipeline::Build(Schema input_schema, Remainder remainder,
                                               std::vector<std::unique_ptr<FittedStep>> steps,
                                               std::vector<std::string> warnings,
                                               std::string target_name) {
  FittedPipeline p;
  const int num_inputs = input_schema.num_fields();
  // The table as it flows through the steps: (field, slot) in column order.
  struct Live {
    Field field;
    int slot;
    int sparse_step = -1;  // the sparse step that wrote it, its input k
    int sparse_k = -1;
    int sparse_in_slot = -1;  // and the slot that input is read from
  };
  std::vector<Live> live;
  std::vector<bool> touched(num_inputs, false);
  for (int i = 0; i < num_inputs; ++i) {
    live.push_back({input_schema.field(i), i});
    p.slot_types_.push_back(input_schema.field(i).type);
  }
  for (int s = 0; s < static_cast<int>(steps.size()); ++s) {
    const FittedStep& step = *steps[s];
    std::vector<int> joint_in, joint_out;
    for (int k = 0; k < static_cast<int>(step.inputs().size()); ++k) {
      const std::string& name = step.inputs()[k];
      auto it = std::find_if(live.begin(), live.end(),
                             [&](const Live& l) { return l.field.name == name; });
      if (it == live.end()) {
        return absl::InvalidArgumentError(
            absl::StrCat(step.Label(), ": input column '", name, "' does not exist at this point"));
      }
      if (!(step.accepts() & TypeBit(it->field.type))) {
        return absl::InvalidArgumentError(
            absl::StrCat(step.Label(), ": input column '", name, "' is ",
                         std::string(DataTypeName(it->field.type)), "; the step takes ",
                         TypeMaskText(step.accepts())));
      }
      if (it->sparse_step >= 0) {
        return ReadsSparseOutput(step.Label(), name, steps[it->sparse_step]->Label());
      }
      if (it->slot < num_inputs) touched[it->slot] = true;
      Binding b{s, k, it->slot, static_cast<int>(p.slot_types_.size())};
      if (step.joint()) {
        joint_in.push_back(b.in_slot);
        joint_out.push_back(b.out_first);
      } else {
        p.plan_.push_back(b);
      }
      std::vector<Live> outs;
      for (const Field& f : step.OutputFields(k)) {
        outs.push_back({f, static_cast<int>(p.slot_types_.size()), step.sparse() ? s : -1, k,
                        step.sparse() ? b.in_slot : -1});
        p.slot_types_.push_back(f.type);
      }
      it = live.erase(it);
      live.insert(it, outs.begin(), outs.end());
    }
    if (step.joint()) {
      const int first = static_cast<int>(p.joint_slots_.size());
      p.joint_slots_.insert(p.joint_slots_.end(), joint_in.begin(), joint_in.end());
      p.joint_slots_.insert(p.joint_slots_.end(), joint_out.begin(), joint_out.end());
      p.plan_.push_back(Binding{s, -1, first, first + static_cast<int>(joint_in.size())});
    }
    std::set<std::string> names;
    for (const Live& l : live) {
      if (!names.insert(l.field.name).second) {
        return absl::InvalidArgumentError(
            absl::StrCat(step.Label(), ": produces column '", l.field.name,
                         "', which is already in the table; rename or drop it first"));
      }
    }
  }
  std::vector<Field> out_fields;
  for (const Live& l : live) {
    if (remainder == Remainder::kDrop && l.slot < num_inputs && !touched[l.slot]) continue;
    const auto column = static_cast<int32_t>(out_fields.size());
    out_fields.push_back(l.field);
    p.output_slots_.push_back(l.slot);
    if (l.slot < num_inputs) touched[l.slot] = true;
    if (l.sparse_step >= 0) {
      p.has_sparse_ = true;
      OutputBlock* last = p.blocks_.empty() ? nullptr : &p.blocks_.back();
      if (last != nullptr && last->step == l.sparse_step && last->k == l.sparse_k) {
        ++last->width;  // a sparse step's outputs for one input are adjacent
        continue;
      }
    }
    p.blocks_.push_back({l.sparse_step, l.sparse_k, column, 1, l.sparse_in_slot});
  }
  for (int i = 0; i < num_inputs; ++i) {
    if (touched[i]) p.needed_inputs_.push_back(i);
  }
  KEEL_ASSIGN_OR_RETURN(p.output_schema_, Schema::Make(std::move(out_fields)));
  p.input_schema_ = std::move(input_schema);
  p.remainder_ = remainder;
  p.steps_ = std::move(steps);
  p.warnings_ = std::move(warnings);
  p.target_name_ = std::move(target_name);
  return p;
}

Schema FittedPipeline::NeededInputs() const {
  std::vector<Field> fields;
  for (int i : needed_inputs_) fields.push_back(input_schema_.field(i));
  StatusOr<Schema> schema = Schema::Make(std::move(fields));
  return schema.ok() ? *std::move(schema) : input_schema_;  // names are unique already
}

// ---------------------------------------------------------------- table path

StatusOr<Table> FittedPipeline::SelectNeeded(const Table& table) const {
  std::vector<std::string> needed;
  for (int i : needed_inputs_) {
    const Field& want = input_schema_.field(i);
    const int c = table.schema().IndexOf(want.name);
    if (c < 0) {
      return absl::InvalidArgumentError(absl::StrCat(
          "column '", want.name, "' is missing from the input; the pipeline needs it (",
          std::string(DataTypeName(want.type)), ").", DidYouMean(want.name, table.schema().names()),
          " Input columns: ", absl::StrJoin(table.schema().names(), ", ")));
    }
    const DataType got = table.schema().field(c).type;
    if (got != want.type) {
      return absl::InvalidArgumentError(absl::StrCat(
          "column '", want.name, "' is ", std::string(DataTypeName(got)),
          " but the pipeline was fitted on ", std::string(DataTypeName(want.type)),
          "; convert it to ", std::string(DataTypeName(want.type)), " or fit the pipeline again"));
    }
    needed.push_back(want.name);
  }
  return table.SelectColumns(needed);
}

StatusOr<Table> FittedPipeline::Transform(const Table& table) const {
  KEEL_ASSIGN_OR_RETURN(Table current, SelectNeeded(table));
  for (const auto& step : steps_) {
    KEEL_ASSIGN_OR_RETURN(current, step->TransformTable(current));
  }
  return current.SelectColumns(output_schema_.names());
}

// ---------------------------------------------------------------- sparse path

std::vector<std::string> FittedPipeline::DenseOutputNames() const {
  std::vector<std::string> names;
  for (const OutputBlock& b : blocks_) {
    if (b.step < 0) names.push_back(output_schema_.field(b.first).name);
  }
  return names;
}

StatusOr<SparseMatrix> FittedPipeline::TransformSparse(const Table& table) const {
  KEEL_ASSIGN_OR_RETURN(Table current, SelectNeeded(table));
  std::vector<Table> sparse_inputs(steps_.size());
  for (size_t s = 0; s < steps_.size(); ++s) {
    const FittedStep& step = *steps_[s];
    if (!step.sparse()) {
      KEEL_ASSIGN_OR_RETURN(current, step.TransformTable(current));
      continue;
    }
    std::vector<std::string> rest;
    for (const std::string& name : current.schema().names()) {
      if (std::find(step.inputs().begin(), step.inputs().end(), name) == step.inputs().end()) {
        rest.push_back(name);
      }
    }
    KEEL_ASSIGN_OR_RETURN(sparse_inputs[s], current.SelectColumns(step.inputs()));
    KEEL_ASSIGN_OR_RETURN(current, current.SelectColumns(rest));
  }
  KEEL_ASSIGN_OR_RETURN(Table dense, current.SelectColumns(DenseOutputNames()));
  return AssembleSparse(dense, sparse_inputs);
}

StatusOr<SparseMatrix> FittedPipeline::AssembleSparse(
    const Table& dense, const std::vector<Table>& sparse_inputs) const {
  // Per block, the column it reads: a dense output, or a sparse step's input.
  std::vector<const Column*> source(blocks_.size());
  for (size_t b = 0; b < blocks_.size(); ++b) {
    const OutputBlock& block = blocks_[b];
    if (block.step >= 0) {
      const Table& inputs = sparse_inputs[block.step];
      source[b] = &inputs.column(inputs.schema().IndexOf(steps_[block.step]->inputs()[block.k]));
      continue;
    }
    const Field& f = output_schema_.field(block.first);
    source[b] = &dense.column(dense.schema().IndexOf(f.name));
    if (f.type == DataType::kString) return StringOutputError(f.name);
  }
  const int64_t rows = dense.num_rows();
  SparseMatrix::Builder out(output_schema_.num_fields());
  std::vector<std::pair<int32_t, double>> entries;
  for (int64_t i = 0; i < rows; ++i) {
    for (size_t b = 0; b < blocks_.size(); ++b) {
      const OutputBlock& block = blocks_[b];
      const Column& c = *source[b];
      if (block.step >= 0) {
        const Value in =
            c.IsNull(i) ? Value::Null(DataType::kString) : Value::String(c.StringAt(i));
        KEEL_RETURN_IF_ERROR(steps_[block.step]->TransformSparse(block.k, in, &entries));
        for (const auto& [j, v] : entries) out.Add(block.first + j, v);
        continue;
      }
      if (c.IsNull(i)) {
        out.Add(block.first, std::nan(""));
        continue;
      }
      switch (c.type()) {
        case DataType::kFloat64:
          out.Add(block.first, c.Float64Values()[i]);
          break;
        case DataType::kInt64:
          out.Add(block.first, static_cast<double>(c.Int64Values()[i]));
          break;
        case DataType::kBool:
          out.Add(block.first, c.BoolValues()[i] != 0 ? 1.0 : 0.0);
          break;
        case DataType::kTimestamp:
          out.Add(block.first, static_cast<double>(c.TimestampValues()[i]));
          break;
        case DataType::kString:
          break;  // refused above
      }
    }
    out.EndRow();
  }
  return std::move(out).Finish();
}

// ---------------------------------------------------------------- row path

Row FittedPipeline::NewRow() const {
  Row row;
  row.num_inputs_ = input_schema_.num_fields();
  row.slots_.resize(slot_types_.size());
  for (size_t i = 0; i < slot_types_.size(); ++i) row.slots_[i] = Value::Null(slot_types_[i]);
  row.num_outputs_ = static_cast<int>(output_slots_.size());
  row.output_slots_ = output_slots_.data();
  return row;
}

Status FittedPipeline::CheckRowInputs(const Value* slots) const {
  for (int i : needed_inputs_) {
    const Value& v = slots[i];
    if (v.type != slot_types_[i] && v.valid) {
      return absl::InvalidArgumentError(
          absl::StrCat("input '", input_schema_.field(i).name, "' is ",
                       std::string(DataTypeName(slot_types_[i])), " in the pipeline; got a ",
                       std::string(DataTypeName(v.type)), " value"));
    }
  }
  return absl::OkStatus();
}

Status FittedPipeline::RunPlan(Value* slots, bool skip_sparse) const {
  for (const Binding& b : plan_) {
    if (b.k < 0) {
      KEEL_RETURN_IF_ERROR(steps_[b.step]->TransformJoint(slots, joint_slots_.data() + b.in_slot,
                                                          joint_slots_.data() + b.out_first));
    } else if (!skip_sparse || !steps_[b.step]->sparse()) {
      KEEL_RETURN_IF_ERROR(
          steps_[b.step]->TransformValue(b.k, slots[b.in_slot], slots + b.out_first));
    }
  }
  return absl::OkStatus();
}

Status FittedPipeline::TransformRow(Row* row) const {
  Value* slots = row->slots_.data();
  KEEL_RETURN_IF_ERROR(CheckRowInputs(slots));
  return RunPlan(slots, /*skip_sparse=*/false);
}

Status FittedPipeline::TransformRowSparse(Row* row,
                                          std::vector<std::pair<int32_t, double>>* entries) const {
  Value* slots = row->slots_.data();
  KEEL_RETURN_IF_ERROR(CheckRowInputs(slots));
  // Every step but the sparse ones (no later step reads their outputs).
  KEEL_RETURN_IF_ERROR(RunPlan(slots, /*skip_sparse=*/true));
  entries->clear();
  thread_local std::vector<std::pair<int32_t, double>> step_entries;
  for (const OutputBlock& block : blocks_) {
    if (block.step >= 0) {
      KEEL_RETURN_IF_ERROR(
          steps_[block.step]->TransformSparse(block.k, slots[block.in_slot], &step_entries));
      for (const auto& [j, v] : step_entries) entries->emplace_back(block.first + j, v);
      continue;
    }
    const Value& v = slots[output_slots_[block.first]];
    if (v.valid && v.type == DataType::kString) {
      return StringOutputError(output_schema_.field(block.first).name);
    }
    // As AssembleSparse: null as NaN, bools and timestamps as numbers.
    const double x = v.valid ? v.AsDouble() : std::nan("");
    if (x != 0) entries->emplace_back(block.first, x);
  }
  return absl::OkStatus();
}

// ---------------------------------------------------------------- JSON

nlohmann::json FittedPipeline::ToJson() const {
  nlohmann::json j;
  j["format"] = kFormat;
  j["version"] = kVersion;
  j["remainder"] = remainder_ == Remainder::kDrop ? "drop" : "passthrough";
  nlohmann::json inputs = nlohmann::json::array();
  for (const Field& f : input_schema_.fields()) {
    inputs.push_back(
        {{"name", f.name}, {"type", std::string(DataTypeName(f.type))}, {"nullable", f.nullable}});
  }
  j["inputs"] = inputs;
  nlohmann::json steps = nlohmann::json::array();
  for (const auto& s : steps_) steps.push_back(s->ToJson());
  j["steps"] = steps;
  nlohmann::json outputs = nlohmann::json::array();
  for (const Field& f : output_schema_.fields()) {
    outputs.push_back({{"name", f.name}, {"type", std::string(DataTypeName(f.type))}});
  }
  j["outputs"] = outputs;
  j["warnings"] = warnings_;
  if (!target_name_.empty()) j["target"] = target_name_;
  return j;
}

nlohmann::json FittedPipeline::SelectionReport() const {
  nlohmann::json report;
  report["target"] = target_name_.empty() ? nlohmann::json(nullptr) : nlohmann::json(target_name_);
  nlohmann::json steps = nlohmann::json::array();
  nlohmann::json kept = nlohmann::json::array();
  nlohmann::json dropped = nlohmann::json::array();
  for (const auto& step : steps_) {
    nlohmann::json r = step->SelectionReport();
    if (r.is_null()) continue;
    r["step"] = step->kind();
    r["name"] = step->name();
    for (const auto& c : r.at("columns")) {
      (c.at("kept").get<bool>() ? kept : dropped).push_back(c.at("column"));
    }
    steps.push_back(std::move(r));
  }
  report["steps"] = std::move(steps);
  report["kept"] = std::move(kept);
  report["dropped"] = std::move(dropped);
  return report;
}

StatusOr<std::string> FittedPipeline::ToJsonString() const {
  try {
    return ToJson().dump(1);
  } catch (const nlohmann::json::exception& e) {
    return absl::InvalidArgumentError(
        absl::StrCat("cannot write the fitted pipeline as JSON: ", e.what()));
  }
}

StatusOr<FittedPipeline> FittedPipeline::FromJson(std::string_view text,
                                                  const TransformRegistry& registry) {
  auto bad = [](std::string_view what) {
    return absl::InvalidArgumentError(
        absl::StrCat("not a valid fitted pipeline: ", std::string(what)));
  };
  try {
    const nlohmann::json j = nlohmann::json::parse(text);
    if (!j.is_object() || j.value("format", "") != kFormat) {
      return bad(absl::StrCat("expected \"format\": \"", kFormat, "\""));
    }
    if (j.at("version").get<int>() != kVersion) {
      return bad(absl::StrCat("version ", j.at("version").dump(),
                              " is not supported (this Keel "
                              "reads version ",
                              kVersion, "); fit the pipeline again"));
    }
    std::vector<Field> fields;
    for (const auto& f : j.at("inputs")) {
      KEEL_ASSIGN_OR_RETURN(DataType type, ParseDataType(f.at("type").get<std::string>()));
      fields.push_back({f.at("name").get<std::string>(), type, f.at("nullable").get<bool>()});
    }
    KEEL_ASSIGN_OR_RETURN(Schema input_schema, Schema::Make(std::move(fields)));
    const std::string remainder = j.at("remainder").get<std::string>();
    std::vector<std::unique_ptr<FittedStep>> steps;
    for (const auto& s : j.at("steps")) {
      const std::string kind = s.at("step").get<std::string>();
      KEEL_ASSIGN_OR_RETURN(const StepInfo* info, registry.Find(kind));
      const std::string name = s.at("name").get<std::string>();
      auto step = info->load(name, s.at("inputs").get<std::vector<std::string>>(), s.at("state"));
      if (!step.ok()) {
        return bad(absl::StrCat("step '", name, "': ", std::string(step.status().message())));
      }
      steps.push_back(*std::move(step));
    }
    KEEL_ASSIGN_OR_RETURN(
        FittedPipeline p,
        Build(std::move(input_schema),
              remainder == "drop" ? Remainder::kDrop : Remainder::kPassthrough, std::move(steps),
              j.at("warnings").get<std::vector<std::string>>(), j.value("target", "")));
    std::vector<std::string> outputs;
    for (const auto& o : j.at("outputs")) outputs.push_back(o.at("name").get<std::string>());
    if (outputs != p.output_schema().names()) {
      return bad("the stored outputs differ from those the steps produce");
    }
    return p;
  } catch (const nlohmann::json::exception& e) {
    return bad(e.what());
  }
}

}  // namespace keel::transform
