#include "keel/learn/model_store.h"

#include "absl/strings/str_cat.h"
#include "keel/base/hash.h"

namespace keel::learn {

nlohmann::json MetricsJson(const std::map<std::string, double>& metrics) {
  nlohmann::json out = nlohmann::json::object();
  for (const auto& [name, value] : metrics) out[name] = value;
  return out;
}

StatusOr<ModelVersionRecord> StoreModelVersion(Lake& lake, const Bundle& bundle,
                                               ModelVersionRecord record) {
  KEEL_ASSIGN_OR_RETURN(std::string bytes, bundle.Save());
  const BundleManifest& m = bundle.manifest();
  record.bundle_sha256 = Sha256Hex(bytes);
  record.bundle_key = absl::StrCat("models/", record.model, "/", record.bundle_sha256, ".keel");
  record.bundle_size_bytes = static_cast<int64_t>(bytes.size());
  record.learner = m.learner;
  record.task = std::string(TaskName(m.task));
  record.metrics_json = MetricsJson(m.metrics).dump();
  record.params_json = m.params_json;
  // The bundle first: a crash before the registry commit leaves an
  // unreferenced object, never a version without its bundle.
  KEEL_RETURN_IF_ERROR(lake.store().Put(record.bundle_key, bytes));
  if (!record.run_id.empty()) {
    KEEL_RETURN_IF_ERROR(lake.registry().AddArtifact(record.run_id, record.bundle_key));
  }
  return lake.registry().AddModelVersion(record);
}

StatusOr<LoadedModel> LoadModelVersion(Lake& lake, const std::string& ref) {
  KEEL_ASSIGN_OR_RETURN(ModelVersionRecord record, lake.registry().ResolveModel(ref));
  KEEL_ASSIGN_OR_RETURN(std::string bytes, lake.store().Get(record.bundle_key));
  if (Sha256Hex(bytes) != record.bundle_sha256) {
    return absl::DataLossError(absl::StrCat("the bundle of ", record.model, " version ",
                                            record.version, " (", record.bundle_key,
                                            ") does not match the checksum the registry holds"));
  }
  KEEL_ASSIGN_OR_RETURN(Bundle bundle, Bundle::Load(bytes));
  return LoadedModel{std::move(record), std::move(bundle)};
}

}  // namespace keel::learn
