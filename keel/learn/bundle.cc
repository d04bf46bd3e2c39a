#include "keel/learn/bundle.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>

#include "absl/strings/str_cat.h"
#include "keel/base/time.h"
#include "keel/lake/lake.h"
#include "keel/learn/bundle_file.h"
#include "keel/learn/linear/register.h"
#include "keel/learn/trees/register.h"
#include "keel/learn/trees/xgboost_model.h"
#include "nlohmann/json.hpp"

namespace keel::learn {
namespace {

using json = nlohmann::json;

constexpr char kManifest[] = "manifest.json";
constexpr char kPipeline[] = "pipeline.json";
constexpr char kModel[] = "model.json";

}  // namespace

const char* KeelLibraryVersion() { return KEEL_PROJECT_VERSION; }

std::optional<SemanticVersion> ParseSemanticVersion(std::string_view text) {
  for (size_t start = 0; start < text.size(); ++start) {
    if (!std::isdigit(static_cast<unsigned char>(text[start])) ||
        (start > 0 && std::isdigit(static_cast<unsigned char>(text[start - 1])))) {
      continue;
    }
    SemanticVersion v;
    int* parts[] = {&v.major, &v.minor, &v.patch};
    size_t at = start;
    bool ok = true;
    for (int i = 0; i < 3 && ok; ++i) {
      if (i > 0) {
        ok = at < text.size() && text[at] == '.';
        ++at;
      }
      if (!ok) break;
      const auto [end, ec] =
          std::from_chars(text.data() + at, text.data() + text.size(), *parts[i]);
      ok = ec == std::errc() && end != text.data() + at;
      at = static_cast<size_t>(end - text.data());
    }
    if (ok) return v;
  }
  return std::nullopt;
}

std::string SemanticVersion::ToString() const {
  return absl::StrCat(major, ".", minor, ".", patch);
}

const LearnerRegistry& BuiltinLearners() {
  static const LearnerRegistry* registry = [] {
    auto* r = new LearnerRegistry();
    RegisterLinearLearners(*r);
    RegisterTreeLearners(*r);
    return r;
  }();
  return *registry;
}

std::string BundleManifest::ToJson() const {
  json metrics_json = json::object();
  for (const auto& [name, value] : metrics) {
    if (std::isfinite(value)) metrics_json[name] = value;
  }
  json j = {
      {"format", "keel.bundle"},
      {"format_version", kBundleFormatVersion},
      {"keel_version", keel_version},
      {"git_revision", git_revision},
      {"created_at", FormatRfc3339(created_at_us)},
      {"created_at_us", created_at_us},
      {"task", std::string(TaskName(task))},
      {"learner", learner},
      {"params", json::parse(params_json.empty() ? "{}" : params_json, nullptr, false)},
      {"target", target},
      {"inputs", json::parse(SchemaToJson(inputs))},
      {"features", features},
      {"metrics", metrics_json},
      {"lineage",
       {{"dataset", dataset},
        {"dataset_version", dataset_version},
        {"transform_spec", transform_spec},
        {"run_id", run_id},
        {"seed", seed}}},
  };
  if (!feature_service.empty()) j["feature_service"] = feature_service;
  if (task == Task::kBinary || task == Task::kMulticlass) {
    j["classes"] = {{"type", std::string(DataTypeName(classes.type))}, {"labels", classes.values}};
  }
  return j.dump(2);
}

StatusOr<BundleManifest> BundleManifest::FromJson(std::string_view text) {
  const json j = json::parse(text, nullptr, /*allow_exceptions=*/false);
  auto corrupt = [](std::string_view why) {
    return absl::DataLossError(
        absl::StrCat("the bundle's manifest.json is not valid: ", std::string(why)));
  };
  if (!j.is_object() || j.value("format", "") != "keel.bundle") {
    return corrupt("not a keel.bundle manifest");
  }
  const int format_version = j.value("format_version", 0);
  const std::string writer = j.value("keel_version", "");
  const std::string writer_named = writer.empty() ? "an unknown keel" : writer;
  if (format_version > kBundleFormatVersion) {
    return absl::FailedPreconditionError(
        absl::StrCat("this model bundle has format version ", format_version, ", written by ",
                     writer_named, "; this keel (", KeelLibraryVersion(), ") reads format version ",
                     kBundleFormatVersion, ": upgrade keel to read it"));
  }
  if (format_version < 1) return corrupt("format_version is missing or not a positive number");
  if (std::optional<SemanticVersion> theirs = ParseSemanticVersion(writer),
      ours = ParseSemanticVersion(KeelLibraryVersion());
      theirs.has_value() && ours.has_value() && *ours < *theirs) {
    return absl::FailedPreconditionError(absl::StrCat(
        "this model bundle was written by ", writer, ", newer than this keel (",
        KeelLibraryVersion(), "): upgrade keel to ", theirs->ToString(), " or later to load it"));
  }
  try {
    BundleManifest m;
    m.keel_version = j.at("keel_version").get<std::string>();
    m.git_revision = j.value("git_revision", "");
    m.created_at_us = j.value("created_at_us", int64_t{0});
    KEEL_ASSIGN_OR_RETURN(m.task, ParseTask(j.at("task").get<std::string>()));
    m.learner = j.at("learner").get<std::string>();
    m.params_json = j.at("params").dump();
    m.target = j.value("target", "");
    StatusOr<Schema> inputs = SchemaFromJson(j.at("inputs").dump());
    if (!inputs.ok()) return corrupt(std::string(inputs.status().message()));
    m.inputs = *std::move(inputs);
    m.features = j.at("features").get<std::vector<std::string>>();
    const json metrics = j.value("metrics", json::object());
    for (const auto& [name, value] : metrics.items()) {
      if (value.is_number()) m.metrics[name] = value.get<double>();
    }
    const json lineage = j.value("lineage", json::object());
    m.dataset = lineage.value("dataset", "");
    m.dataset_version = lineage.value("dataset_version", "");
    m.transform_spec = lineage.value("transform_spec", "");
    m.run_id = lineage.value("run_id", "");
    m.seed = lineage.value("seed", uint64_t{0});
    m.feature_service = j.value("feature_service", "");
    if (j.contains("classes")) {
      StatusOr<DataType> type = ParseDataType(j.at("classes").at("type").get<std::string>());
      if (!type.ok()) return corrupt(std::string(type.status().message()));
      m.classes.type = *type;
      m.classes.values = j.at("classes").at("labels").get<std::vector<std::string>>();
    }
    if ((m.task == Task::kBinary || m.task == Task::kMulticlass) && m.classes.values.size() < 2) {
      return corrupt("a classifier without its class labels");
    }
    return m;
  } catch (const json::exception& e) {
    return corrupt(e.what());
  }
}

Bundle::Bundle(BundleManifest manifest, std::optional<transform::FittedPipeline> pipeline,
               std::unique_ptr<Model> model)
    : manifest_(std::move(manifest)), pipeline_(std::move(pipeline)), model_(std::move(model)) {}

StatusOr<Bundle> Bundle::Load(std::string_view bytes) {
  KEEL_ASSIGN_OR_RETURN(std::vector<BundleSection> sections, ReadBundleFile(bytes));
  KEEL_ASSIGN_OR_RETURN(const BundleSection* manifest_section, FindSection(sections, kManifest));
  KEEL_ASSIGN_OR_RETURN(BundleManifest manifest, BundleManifest::FromJson(manifest_section->bytes));
  std::optional<transform::FittedPipeline> pipeline;
  if (StatusOr<const BundleSection*> p = FindSection(sections, kPipeline); p.ok()) {
    StatusOr<transform::FittedPipeline> fitted = transform::FittedPipeline::FromJson((*p)->bytes);
    if (!fitted.ok()) {
      return absl::DataLossError(absl::StrCat("the bundle's pipeline.json does not load: ",
                                              std::string(fitted.status().message())));
    }
    pipeline = *std::move(fitted);
  }
  KEEL_ASSIGN_OR_RETURN(const BundleSection* model_section, FindSection(sections, kModel));
  KEEL_ASSIGN_OR_RETURN(const Learner* learner, BuiltinLearners().Find(manifest.learner));
  KEEL_ASSIGN_OR_RETURN(std::unique_ptr<Model> model, learner->Load(model_section->bytes));
  if (model->num_features() != static_cast<int64_t>(manifest.features.size())) {
    return absl::DataLossError(absl::StrCat("the bundle's model takes ", model->num_features(),
                                            " features but its manifest lists ",
                                            manifest.features.size()));
  }
  return Bundle(std::move(manifest), std::move(pipeline), std::move(model));
}

StatusOr<std::string> Bundle::Save() const {
  std::vector<BundleSection> sections;
  sections.push_back({kManifest, manifest_.ToJson()});
  if (pipeline_.has_value()) {
    KEEL_ASSIGN_OR_RETURN(std::string pipeline_json, pipeline_->ToJsonString());
    sections.push_back({kPipeline, std::move(pipeline_json)});
  }
  KEEL_ASSIGN_OR_RETURN(std::string payload, model_->Save());
  sections.push_back({kModel, std::move(payload)});
  return WriteBundleFile(sections);
}

StatusOr<Matrix> Bundle::Features(const Table& raw) const {
  if (!pipeline_.has_value()) return MatrixFromTable(raw, manifest_.features);
  if (pipeline_->has_sparse_outputs()) {
    return absl::FailedPreconditionError(
        "this model takes sparse features (its pipeline has steps with output: sparse); "
        "dense feature matrices (explanations, --explain) are not available for it");
  }
  KEEL_ASSIGN_OR_RETURN(Table transformed, pipeline_->Transform(raw));
  return MatrixFromTable(transformed, manifest_.features);
}

StatusOr<transform::SparseMatrix> Bundle::SparseFeatures(const Table& raw) const {
  if (!pipeline_.has_value() || !pipeline_->has_sparse_outputs()) {
    return absl::FailedPreconditionError("this model takes dense features (use Features)");
  }
  return pipeline_->TransformSparse(raw);
}

StatusOr<Matrix> Bundle::Scores(const Table& raw) const {
  Matrix scores;
  if (pipeline_.has_value() && pipeline_->has_sparse_outputs()) {
    KEEL_ASSIGN_OR_RETURN(transform::SparseMatrix x, SparseFeatures(raw));
    KEEL_RETURN_IF_ERROR(model_->PredictSparse(x, &scores));
    return scores;
  }
  KEEL_ASSIGN_OR_RETURN(Matrix x, Features(raw));
  KEEL_RETURN_IF_ERROR(model_->Predict(x, &scores));
  return scores;
}

Schema Bundle::OutputSchema() const {
  std::vector<Field> fields;
  switch (manifest_.task) {
    case Task::kBinary:
      fields.push_back({"prediction", manifest_.classes.type, false});
      fields.push_back({"probability", DataType::kFloat64, false});
      break;
    case Task::kMulticlass:
      fields.push_back({"prediction", manifest_.classes.type, false});
      for (const std::string& label : manifest_.classes.values) {
        fields.push_back({absl::StrCat("probability_", label), DataType::kFloat64, false});
      }
      break;
    case Task::kRegression:
      fields.push_back({"prediction", DataType::kFloat64, false});
      break;
    case Task::kClustering:
      fields.push_back({"cluster", DataType::kInt64, false});
      break;
    case Task::kReduction:
      for (int64_t i = 0; i < model_->num_outputs(); ++i) {
        fields.push_back({absl::StrCat("component_", i + 1), DataType::kFloat64, false});
      }
      break;
  }
  return *Schema::Make(std::move(fields));
}

StatusOr<Table> Bundle::ScoresToTable(const Matrix& scores) const {
  const int64_t n = scores.rows();
  std::vector<Column> columns;
  auto float_column = [&](int64_t c) {
    ColumnBuilder b(DataType::kFloat64);
    b.Reserve(n);
    for (int64_t r = 0; r < n; ++r) b.AppendFloat64(scores.at(r, c));
    return b.Finish();
  };
  switch (manifest_.task) {
    case Task::kBinary:
    case Task::kMulticlass: {
      std::vector<int> classes(static_cast<size_t>(n));
      for (int64_t r = 0; r < n; ++r) {
        if (scores.cols() == 1) {
          classes[r] = scores.at(r, 0) >= 0.5 ? 1 : 0;
        } else {
          std::span<const double> row = scores.row(r);
          classes[r] = static_cast<int>(std::max_element(row.begin(), row.end()) - row.begin());
        }
      }
      KEEL_ASSIGN_OR_RETURN(Column labels, DecodeLabels(classes, manifest_.classes));
      columns.push_back(std::move(labels));
      for (int64_t c = 0; c < scores.cols(); ++c) columns.push_back(float_column(c));
      break;
    }
    case Task::kClustering: {
      ColumnBuilder b(DataType::kInt64);
      b.Reserve(n);
      for (int64_t r = 0; r < n; ++r) b.AppendInt64(static_cast<int64_t>(scores.at(r, 0)));
      columns.push_back(b.Finish());
      break;
    }
    case Task::kRegression:
    case Task::kReduction:
      for (int64_t c = 0; c < scores.cols(); ++c) columns.push_back(float_column(c));
      break;
  }
  return Table::Make(OutputSchema(), std::move(columns));
}

StatusOr<Table> Bundle::Predict(const Table& raw) const {
  KEEL_ASSIGN_OR_RETURN(Matrix scores, Scores(raw));
  return ScoresToTable(scores);
}

StatusOr<Bundle> ImportXGBoostBundle(const std::string& path, std::string keel_version) {
  KEEL_ASSIGN_OR_RETURN(std::unique_ptr<trees::XGBoostModel> model,
                        trees::ImportXGBoostModelFile(path));
  BundleManifest m;
  m.keel_version = std::move(keel_version);
  m.created_at_us = NowMicros();
  m.task = model->task();
  m.learner = "gbdt";
  m.params_json = "{}";
  m.features = model->feature_names();
  if (m.features.empty()) {
    for (int64_t i = 0; i < model->num_features(); ++i) m.features.push_back(absl::StrCat("f", i));
  }
  std::vector<Field> fields;
  for (const std::string& name : m.features) fields.push_back({name, DataType::kFloat64, true});
  KEEL_ASSIGN_OR_RETURN(m.inputs, Schema::Make(std::move(fields)));
  if (m.task == Task::kBinary || m.task == Task::kMulticlass) {
    const int64_t k = m.task == Task::kBinary ? 2 : model->num_outputs();
    m.classes.type = DataType::kInt64;
    for (int64_t c = 0; c < k; ++c) m.classes.values.push_back(absl::StrCat(c));
  }
  return Bundle(std::move(m), std::nullopt, std::move(model));
}

}  // namespace keel::learn
