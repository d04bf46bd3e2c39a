#include "keel/pipeline/step_kinds.h"

#include "absl/strings/str_cat.h"

namespace keel::pipeline {

std::string_view ResourceKindName(ResourceKind kind) {
  switch (kind) {
    case ResourceKind::kDataset:
      return "dataset";
    case ResourceKind::kFile:
      return "file";
    case ResourceKind::kModel:
      return "model";
    case ResourceKind::kTransform:
      return "transform";
    case ResourceKind::kFeatures:
      return "features";
    case ResourceKind::kOnlineStore:
      return "online";
    case ResourceKind::kExternal:
      return "external";
  }
  return "unknown";
}

StatusOr<ResourceKind> ParseResourceKind(std::string_view name) {
  for (ResourceKind k :
       {ResourceKind::kDataset, ResourceKind::kFile, ResourceKind::kModel, ResourceKind::kTransform,
        ResourceKind::kFeatures, ResourceKind::kOnlineStore, ResourceKind::kExternal}) {
    if (ResourceKindName(k) == name) return k;
  }
  return absl::InvalidArgumentError(
      absl::StrCat("unknown resource kind '", std::string(name), "'"));
}

const std::vector<StepKind>& StepKinds() {
  using R = ArgRole;
  static const auto* kinds = new std::vector<StepKind>{
      {.name = "ingest",
       .command = {"ingest"},
       .args = {{"source", R::kReadFile}, {"query-file", R::kReadFile}, {"name", R::kWriteDataset}},
       .json_version_field = "version",
       .summary = "keel ingest SOURCE --name DATASET: a file or SQL result into the lake"},
      {.name = "transform",
       .command = {"transform", "fit"},
       .args = {{"data", R::kReadDatasetOrFile},
                {"spec", R::kReadFile},
                {"name", R::kWriteTransform}},
       .json_version_field = "version",
       .summary = "keel transform fit: fit a preprocessing pipeline (prep.yaml)"},
      {.name = "transform-apply",
       .command = {"transform", "apply"},
       .args = {{"pipeline", R::kReadTransform},
                {"data", R::kReadDatasetOrFile},
                {"out", R::kWriteFile}},
       .summary = "keel transform apply: a fitted pipeline over a dataset, to a file"},
      {.name = "features-apply",
       .command = {"features", "apply"},
       .args = {{"file", R::kReadFile}},
       .writes_features = true,
       .json_version_field = "version",
       .summary = "keel features apply FILE: record feature definitions (features.yaml)"},
      {.name = "get-historical",
       .command = {"features", "get-historical"},
       .args = {{"entities", R::kReadDatasetOrFile}, {"out", R::kWriteFile}},
       .reads_features = true,
       .summary = "keel features get-historical: a point-in-time training set, to a file"},
      {.name = "materialize",
       .command = {"features", "materialize"},
       .reads_features = true,
       .writes_online_store = true,
       .summary = "keel features materialize: feature views into the online store"},
      {.name = "materialize-incremental",
       .command = {"features", "materialize-incremental"},
       .reads_features = true,
       .writes_online_store = true,
       .summary = "keel features materialize-incremental: from each view's watermark"},
      {.name = "train",
       .command = {"train"},
       .args = {{"data", R::kReadDatasetOrFile},
                {"transform", R::kReadFile},
                {"feature-service", R::kReadFeatureService},
                {"name", R::kWriteModel}},
       .json_version_field = "version",
       .summary = "keel train: a new model version"},
      {.name = "predict",
       .command = {"predict"},
       .args = {{"model", R::kReadModel}, {"data", R::kReadDatasetOrFile}, {"out", R::kWriteFile}},
       .summary = "keel predict: batch scores, to a file"},
  };
  return *kinds;
}

const StepKind* FindStepKind(std::string_view name) {
  for (const StepKind& kind : StepKinds()) {
    if (kind.name == name) return &kind;
  }
  return nullptr;
}

std::vector<std::string> StepKindNames() {
  std::vector<std::string> names;
  for (const StepKind& kind : StepKinds()) names.emplace_back(kind.name);
  return names;
}

}  // namespace keel::pipeline
