#include "keel/cli/pipeline_store.h"

#include <algorithm>
#include <set>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "keel/base/hash.h"
#include "keel/base/suggest.h"
#include "keel/base/time.h"

namespace keel::cli {
namespace {

using json = nlohmann::json;

constexpr char kFormat[] = "keel.pipeline_version";

std::string IndexKey(const std::string& name) { return absl::StrCat("pipelines/", name, "/index.json"); }

// The names that have an index, for "did you mean".
std::vector<std::string> PipelineNames(Lake& lake) {
  std::set<std::string> names;
  StatusOr<std::vector<ObjectInfo>> objects = lake.store().List("pipelines/");
  if (!objects.ok()) return {};
  for (const ObjectInfo& o : *objects) {
    const std::string rest = o.key.substr(std::string("pipelines/").size());
    if (rest.find('/') != std::string::npos) names.insert(rest.substr(0, rest.find('/')));
  }
  return {names.begin(), names.end()};
}

}  // namespace

json PipelineVersionRecord::ToJson() const {
  return {{"name", name},
          {"version", version},
          {"key", key},
          {"sha256", sha256},
          {"size_bytes", size_bytes},
          {"created_at_us", created_at_us},
          {"dataset", dataset},
          {"dataset_version", dataset_version},
          {"target", target},
          {"spec_path", spec_path},
          {"run_id", run_id}};
}

StatusOr<PipelineVersionRecord> PipelineVersionRecord::FromJson(const json& j) {
  try {
    PipelineVersionRecord r;
    r.name = j.at("name").get<std::string>();
    r.version = j.at("version").get<int64_t>();
    r.key = j.at("key").get<std::string>();
    r.sha256 = j.at("sha256").get<std::string>();
    r.size_bytes = j.at("size_bytes").get<int64_t>();
    r.created_at_us = j.at("created_at_us").get<int64_t>();
    r.dataset = j.at("dataset").get<std::string>();
    r.dataset_version = j.at("dataset_version").get<std::string>();
    r.target = j.at("target").get<std::string>();
    r.spec_path = j.at("spec_path").get<std::string>();
    r.run_id = j.at("run_id").get<std::string>();
    return r;
  } catch (const json::exception& e) {
    return absl::DataLossError(absl::StrCat("malformed pipeline version entry: ", e.what()));
  }
}

StatusOr<std::vector<PipelineVersionRecord>> ListPipelineVersions(Lake& lake,
                                                                  const std::string& name) {
  const std::string key = IndexKey(name);
  KEEL_ASSIGN_OR_RETURN(bool exists, lake.store().Exists(key));
  if (!exists) {
    const std::vector<std::string> names = PipelineNames(lake);
    return absl::NotFoundError(absl::StrCat(
        "no pipeline named '", name, "'", DidYouMean(name, names),
        names.empty() ? " (none fitted yet: keel transform fit)"
                      : absl::StrCat(" (pipelines: ", absl::StrJoin(names, ", "), ")")));
  }
  KEEL_ASSIGN_OR_RETURN(std::string text, lake.store().Get(key));
  json index = json::parse(text, nullptr, false);
  if (index.is_discarded() || !index.contains("versions") || !index["versions"].is_array()) {
    return absl::DataLossError(absl::StrCat(lake.store().Uri(key), " is not a pipeline index"));
  }
  std::vector<PipelineVersionRecord> versions;
  for (const json& entry : index["versions"]) {
    KEEL_ASSIGN_OR_RETURN(PipelineVersionRecord r, PipelineVersionRecord::FromJson(entry));
    versions.push_back(std::move(r));
  }
  return versions;
}

StatusOr<PipelineVersionRecord> StorePipelineVersion(Lake& lake,
                                                     const transform::FittedPipeline& pipeline,
                                                     const std::string& spec_text,
                                                     PipelineVersionRecord record) {
  std::vector<PipelineVersionRecord> versions;
  if (StatusOr<std::vector<PipelineVersionRecord>> listed = ListPipelineVersions(lake, record.name);
      listed.ok()) {
    versions = *std::move(listed);
  } else if (!absl::IsNotFound(listed.status())) {
    return listed.status();
  }
  record.version = versions.empty() ? 1 : versions.back().version + 1;
  record.created_at_us = NowMicros();
  json object = {{"format", kFormat},
                 {"format_version", 1},
                 {"name", record.name},
                 {"version", record.version},
                 {"created_at_us", record.created_at_us},
                 {"dataset", record.dataset},
                 {"dataset_version", record.dataset_version},
                 {"target", record.target},
                 {"spec_path", record.spec_path},
                 {"run_id", record.run_id},
                 {"spec", spec_text},
                 {"pipeline", pipeline.ToJson()}};
  std::string bytes;
  try {
    bytes = object.dump(1);
  } catch (const json::exception& e) {
    return absl::InvalidArgumentError(
        absl::StrCat("cannot write the fitted pipeline as JSON: ", e.what()));
  }
  record.sha256 = Sha256Hex(bytes);
  record.key = absl::StrCat("pipelines/", record.name, "/", record.sha256, ".json");
  record.size_bytes = static_cast<int64_t>(bytes.size());
  KEEL_RETURN_IF_ERROR(lake.store().Put(record.key, bytes));
  json index = {{"versions", json::array()}};
  for (const PipelineVersionRecord& v : versions) index["versions"].push_back(v.ToJson());
  index["versions"].push_back(record.ToJson());
  KEEL_RETURN_IF_ERROR(lake.store().Put(IndexKey(record.name), index.dump(1)));
  return record;
}

StatusOr<LoadedPipeline> LoadPipelineVersion(Lake& lake, const std::string& ref) {
  const size_t at = ref.find('@');
  const std::string name = ref.substr(0, at);
  int64_t wanted = 0;  // 0: the latest
  if (at != std::string::npos && (!absl::SimpleAtoi(ref.substr(at + 1), &wanted) || wanted < 1)) {
    return absl::InvalidArgumentError(
        absl::StrCat("'", ref, "': expected NAME or NAME@VERSION with a version number >= 1"));
  }
  KEEL_ASSIGN_OR_RETURN(std::vector<PipelineVersionRecord> versions,
                        ListPipelineVersions(lake, name));
  if (versions.empty()) return absl::NotFoundError(absl::StrCat("pipeline '", name, "' has no versions"));
  const PipelineVersionRecord* found = &versions.back();
  if (wanted > 0) {
    auto it = std::find_if(versions.begin(), versions.end(),
                           [&](const PipelineVersionRecord& v) { return v.version == wanted; });
    if (it == versions.end()) {
      std::vector<std::string> numbers;
      for (const PipelineVersionRecord& v : versions) numbers.push_back(absl::StrCat(v.version));
      return absl::NotFoundError(absl::StrCat("pipeline '", name, "' has no version ", wanted,
                                              " (versions: ", absl::StrJoin(numbers, ", "), ")"));
    }
    found = &*it;
  }
  KEEL_ASSIGN_OR_RETURN(std::string bytes, lake.store().Get(found->key));
  if (Sha256Hex(bytes) != found->sha256) {
    return absl::DataLossError(absl::StrCat("pipeline ", name, " version ", found->version, " (",
                                            found->key,
                                            ") does not match the checksum its index holds"));
  }
  json object = json::parse(bytes, nullptr, false);
  if (object.is_discarded() || object.value("format", "") != kFormat ||
      !object.contains("pipeline")) {
    return absl::DataLossError(absl::StrCat(found->key, " is not a stored pipeline"));
  }
  StatusOr<transform::FittedPipeline> pipeline =
      transform::FittedPipeline::FromJson(object["pipeline"].dump());
  if (!pipeline.ok()) {
    return absl::DataLossError(absl::StrCat(found->key, ": ", pipeline.status().message()));
  }
  return LoadedPipeline{*found, object.value("spec", ""), *std::move(pipeline)};
}

}  // namespace keel::cli
