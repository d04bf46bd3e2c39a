#include "keel/transform/transform.h"

#include <algorithm>
#include <cmath>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "keel/base/suggest.h"

namespace keel::transform {

std::string TypeMaskText(TypeMask mask) {
  std::vector<std::string> names;
  for (DataType t : AllDataTypes()) {
    if (mask & TypeBit(t)) names.emplace_back(DataTypeName(t));
  }
  return absl::StrJoin(names, ", ");
}

namespace {

std::string StepLabel(std::string_view kind, std::string_view name) {
  if (name == kind || name.empty()) return absl::StrCat("step '", std::string(kind), "'");
  return absl::StrCat("step '", std::string(name), "' (", std::string(kind), ")");
}

Status TypeError(std::string_view label, std::string_view column, DataType type, TypeMask accepts) {
  return absl::InvalidArgumentError(
      absl::StrCat(std::string(label), ": cannot take column '", std::string(column), "' of type ",
                   std::string(DataTypeName(type)), "; it takes ", TypeMaskText(accepts),
                   " columns. Change the step's columns (e.g. exclude: [", std::string(column),
                   "]) or convert the column first"));
}

}  // namespace

// ---------------------------------------------------------------- FittedStep

FittedStep::FittedStep(std::string kind, std::string name, TypeMask accepts,
                       std::vector<std::string> inputs)
    : kind_(std::move(kind)),
      name_(std::move(name)),
      accepts_(accepts),
      inputs_(std::move(inputs)) {}

std::string FittedStep::Label() const { return StepLabel(kind_, name_); }

std::string FittedStep::ColumnLabel(int k) const {
  return absl::StrCat(Label(), ": column '", inputs_[k], "'");
}

StatusOr<Table> FittedStep::TransformTable(const Table& table) const {
  const Schema& schema = table.schema();
  // For each table column, the index of the step input it is, or -1.
  std::vector<int> input_of(schema.num_fields(), -1);
  for (size_t k = 0; k < inputs_.size(); ++k) {
    const int c = schema.IndexOf(inputs_[k]);
    if (c < 0) {
      return absl::InvalidArgumentError(
          absl::StrCat(Label(), ": column '", inputs_[k], "' is missing from the input.",
                       DidYouMean(inputs_[k], schema.names()),
                       " Columns: ", absl::StrJoin(schema.names(), ", ")));
    }
    if (!(accepts_ & TypeBit(schema.field(c).type))) {
      return TypeError(Label(), inputs_[k], schema.field(c).type, accepts_);
    }
    input_of[c] = static_cast<int>(k);
  }
  std::vector<std::vector<Column>> joint_outs;
  if (joint()) {
    std::vector<const Column*> ins(inputs_.size());
    for (int c = 0; c < schema.num_fields(); ++c) {
      if (input_of[c] >= 0) ins[input_of[c]] = &table.column(c);
    }
    KEEL_ASSIGN_OR_RETURN(joint_outs, TransformColumnsJoint(ins));
    if (joint_outs.size() != inputs_.size()) {
      return absl::InternalError(absl::StrCat(Label(), ": joint outputs for ", joint_outs.size(),
                                              " inputs, expected ", inputs_.size()));
    }
  }
  std::vector<Field> fields;
  std::vector<Column> columns;
  for (int c = 0; c < schema.num_fields(); ++c) {
    if (input_of[c] < 0) {
      fields.push_back(schema.field(c));
      columns.push_back(table.column(c));
      continue;
    }
    const int k = input_of[c];
    std::vector<Column> outs;
    if (joint()) {
      outs = std::move(joint_outs[k]);
    } else {
      KEEL_ASSIGN_OR_RETURN(outs, TransformColumn(k, table.column(c)));
    }
    std::vector<Field> out_fields = OutputFields(k);
    if (outs.size() != out_fields.size()) {
      return absl::InternalError(absl::StrCat(ColumnLabel(k), ": produced ", outs.size(),
                                              " columns, declared ", out_fields.size()));
    }
    for (size_t j = 0; j < outs.size(); ++j) {
      fields.push_back(out_fields[j]);
      columns.push_back(std::move(outs[j]));
    }
  }
  auto out_schema = Schema::Make(std::move(fields));
  if (!out_schema.ok()) {
    return absl::InvalidArgumentError(absl::StrCat(
        Label(), ": its output clashes with a column already in the table: ",
        std::string(out_schema.status().message()), "; rename the column or drop it first"));
  }
  return Table::Make(*std::move(out_schema), std::move(columns));
}

Status FittedStep::TransformJoint(Value*, const int*, const int*) const {
  return absl::InternalError(absl::StrCat(Label(), ": not a joint step"));
}

StatusOr<std::vector<std::vector<Column>>> FittedStep::TransformColumnsJoint(
    const std::vector<const Column*>&) const {
  return absl::InternalError(absl::StrCat(Label(), ": not a joint step"));
}

Status FittedStep::TransformSparse(int, const Value&,
                                   std::vector<std::pair<int32_t, double>>*) const {
  return absl::InternalError(absl::StrCat(Label(), ": not a sparse step"));
}

nlohmann::json FittedStep::ToJson() const {
  nlohmann::json j;
  j["step"] = kind_;
  j["name"] = name_;
  j["inputs"] = inputs_;
  j["state"] = StateToJson();
  return j;
}

// ---------------------------------------------------------------- Transform

StatusOr<const Column*> RequireTarget(const FitContext& context, std::string_view label) {
  if (context.target != nullptr) return context.target;
  return absl::InvalidArgumentError(absl::StrCat(
      std::string(label),
      " needs the label: fit the pipeline with a target (keel train --target COLUMN; in C++ "
      "Pipeline::Fit(table, {.target = \"COLUMN\"}))"));
}

StatusOr<std::vector<std::string>> Transform::ResolveColumns(const Table& table) const {
  KEEL_ASSIGN_OR_RETURN(std::vector<std::string> columns,
                        spec_.columns.Resolve(table.schema(), spec_.Label()));
  std::vector<std::string> kept;
  for (const std::string& name : columns) {
    const DataType type = table.schema().field(table.schema().IndexOf(name)).type;
    if (accepts_ & TypeBit(type)) {
      kept.push_back(name);
      continue;
    }
    // A selected column of a type the step cannot take is an error, whether
    // named or matched: a selector that silently skips columns hides mistakes.
    std::string where = spec_.columns.where;
    for (size_t i = 0; i < spec_.columns.names.size(); ++i) {
      if (spec_.columns.names[i] == name && i < spec_.columns.name_where.size()) {
        where = spec_.columns.name_where[i];
      }
    }
    return absl::InvalidArgumentError(
        absl::StrCat(where.empty() ? "" : where + ": ",
                     std::string(TypeError(spec_.Label(), name, type, accepts_).message())));
  }
  return kept;
}

StatusOr<std::unique_ptr<FittedStep>> Transform::Fit(const Table& table, FitNotes* notes) const {
  KEEL_ASSIGN_OR_RETURN(std::vector<std::string> columns, ResolveColumns(table));
  FitNotes local;
  return FitImpl(table, columns, notes != nullptr ? notes : &local);
}

StatusOr<Transform::FitResult> Transform::FitTransform(const Table& table, FitNotes* notes) const {
  KEEL_ASSIGN_OR_RETURN(std::vector<std::string> columns, ResolveColumns(table));
  FitNotes local;
  return FitTransformImpl(table, columns, notes != nullptr ? notes : &local);
}

StatusOr<Transform::FitResult> Transform::FitTransformImpl(const Table& table,
                                                           const std::vector<std::string>& columns,
                                                           FitNotes* notes) const {
  FitResult result;
  KEEL_ASSIGN_OR_RETURN(result.step, FitImpl(table, columns, notes));
  if (result.step->sparse()) {
    std::vector<std::string> rest;
    for (const std::string& name : table.schema().names()) {
      if (std::find(columns.begin(), columns.end(), name) == columns.end()) rest.push_back(name);
    }
    KEEL_ASSIGN_OR_RETURN(result.transformed, table.SelectColumns(rest));
    KEEL_ASSIGN_OR_RETURN(result.sparse_inputs, table.SelectColumns(columns));
    return result;
  }
  KEEL_ASSIGN_OR_RETURN(result.transformed, result.step->TransformTable(table));
  return result;
}

// ---------------------------------------------------------------- registry

const TransformRegistry& TransformRegistry::Default() {
  static const TransformRegistry* const kRegistry = [] {
    auto* r = new TransformRegistry;
    RegisterBuiltinTransforms(r);
    return r;
  }();
  return *kRegistry;
}

Status TransformRegistry::Register(StepInfo info) {
  const std::string kind = info.kind;
  if (!steps_.emplace(kind, std::move(info)).second) {
    return absl::AlreadyExistsError(absl::StrCat("step '", kind, "' is already registered"));
  }
  return absl::OkStatus();
}

std::vector<std::string> TransformRegistry::Kinds() const {
  std::vector<std::string> out;
  for (const auto& [kind, info] : steps_) out.push_back(kind);
  return out;
}

StatusOr<const StepInfo*> TransformRegistry::Find(std::string_view kind,
                                                  std::string_view where) const {
  auto it = steps_.find(std::string(kind));
  if (it != steps_.end()) return &it->second;
  return absl::InvalidArgumentError(
      absl::StrCat(where.empty() ? "" : absl::StrCat(std::string(where), ": "), "unknown step '",
                   std::string(kind), "'.", DidYouMean(kind, Kinds()),
                   " Known steps: ", absl::StrJoin(Kinds(), ", ")));
}

StatusOr<std::unique_ptr<Transform>> TransformRegistry::Make(const StepSpec& spec) const {
  KEEL_ASSIGN_OR_RETURN(const StepInfo* info, Find(spec.kind, spec.where));
  StepSpec labelled = spec;
  if (labelled.name.empty()) labelled.name = spec.kind;
  labelled.params.set_label(labelled.Label());
  labelled.params.set_where(labelled.where);
  KEEL_RETURN_IF_ERROR(labelled.params.CheckKeys(info->params));
  KEEL_RETURN_IF_ERROR(ValidateSelector(labelled.columns, labelled.Label()));
  return info->make(labelled);
}

// ---------------------------------------------------------------- JSON

nlohmann::json DoubleToJson(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "Infinity" : "-Infinity";
  return v;
}

StatusOr<double> DoubleFromJson(const nlohmann::json& j) {
  if (j.is_number()) return j.get<double>();
  if (j.is_string()) {
    const std::string s = j.get<std::string>();
    if (s == "NaN") return std::nan("");
    if (s == "Infinity") return HUGE_VAL;
    if (s == "-Infinity") return -HUGE_VAL;
  }
  return absl::InvalidArgumentError(absl::StrCat("expected a number, got ", j.dump()));
}

}  // namespace keel::transform
