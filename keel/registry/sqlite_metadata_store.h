// The SQLite back-end of MetadataStore: one database file in WAL mode, so
// readers never block the writer and several processes can share it.
#ifndef KEEL_REGISTRY_SQLITE_METADATA_STORE_H_
#define KEEL_REGISTRY_SQLITE_METADATA_STORE_H_

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "keel/registry/metadata_store.h"
#include "keel/registry/sqlite.h"

namespace keel {

// The migrations of the registry schema, in order (exposed for tests).
const std::vector<sqlite::Migration>& RegistryMigrations();

class SqliteMetadataStore final : public MetadataStore {
 public:
  // Opens or creates the database at `path` (its folder must exist) and
  // migrates it. Errors: as sqlite::Database::Open and sqlite::Migrate.
  static StatusOr<std::unique_ptr<SqliteMetadataStore>> Open(const std::string& path);
  // As above, applying only `migrations` (a prefix of RegistryMigrations()):
  // for tests that need a registry at an older schema.
  static StatusOr<std::unique_ptr<SqliteMetadataStore>> Open(
      const std::string& path, const std::vector<sqlite::Migration>& migrations);

  const std::string& uri() const override { return uri_; }
  int schema_version() const override { return schema_version_; }

  StatusOr<bool> AddDatasetVersion(const DatasetVersionRecord& record) override;
  StatusOr<std::vector<DatasetRecord>> ListDatasets() override;
  StatusOr<std::vector<DatasetVersionRecord>> ListDatasetVersions(
      std::string_view dataset) override;
  StatusOr<std::vector<DatasetVersionRecord>> FindDatasetVersions(std::string_view dataset,
                                                                  std::string_view prefix) override;

  // Runs (sqlite_runs.cc).
  StatusOr<RunRecord> CreateRun(const RunRecord& run) override;
  Status LogParams(std::string_view run_id,
                   const std::map<std::string, std::string>& params) override;
  Status SetTags(std::string_view run_id, const std::map<std::string, std::string>& tags) override;
  Status LogMetrics(std::string_view run_id, const std::vector<MetricPoint>& points) override;
  Status AddArtifact(std::string_view run_id, std::string_view key) override;
  // Same default as MetadataStore::EndRun, so calls through either type agree.
  Status EndRun(std::string_view run_id, RunStatus status, std::string_view error = "") override;
  StatusOr<RunRecord> GetRun(std::string_view run_id_or_unique_prefix) override;
  StatusOr<std::vector<RunRecord>> ListRuns(std::string_view experiment, int64_t limit) override;
  StatusOr<std::vector<MetricPoint>> GetMetricHistory(std::string_view run_id,
                                                      std::string_view key) override;
  StatusOr<std::vector<std::string>> ListExperiments() override;

  // Models (sqlite_models.cc).
  StatusOr<ModelVersionRecord> AddModelVersion(const ModelVersionRecord& record) override;
  StatusOr<std::vector<ModelRecord>> ListModels() override;
  StatusOr<std::vector<ModelVersionRecord>> ListModelVersions(std::string_view model) override;
  StatusOr<ModelVersionRecord> GetModelVersion(std::string_view model, int64_t version) override;
  StatusOr<ModelVersionRecord> ResolveModel(std::string_view ref) override;
  Status SetAlias(std::string_view model, std::string_view alias, int64_t version) override;
  Status DeleteAlias(std::string_view model, std::string_view alias) override;
  StatusOr<int64_t> ModelsChangeVersion() override;

  // Feature definitions (sqlite_features.cc).
  StatusOr<AppliedFeatureDefinitions> AddFeatureDefinitions(
      const FeatureDefinitionsRecord& record) override;
  StatusOr<std::optional<FeatureDefinitionsRecord>> LatestFeatureDefinitions() override;
  StatusOr<std::vector<FeatureDefinitionsRecord>> ListFeatureDefinitions() override;
  StatusOr<MaterializationRecord> AddMaterialization(const MaterializationRecord& record) override;
  StatusOr<std::optional<int64_t>> MaterializationWatermark(std::string_view store,
                                                            std::string_view view) override;

  // Pipeline runs (sqlite_pipelines.cc).
  StatusOr<PipelineStepRunRecord> AddPipelineStepRun(const PipelineStepRunRecord& record) override;
  StatusOr<std::optional<PipelineStepRunRecord>> FindSucceededPipelineStep(
      std::string_view pipeline, std::string_view step, std::string_view cache_key) override;
  StatusOr<std::vector<PipelineStepRunRecord>> ListPipelineStepRuns(std::string_view pipeline,
                                                                    int64_t max_runs) override;
  StatusOr<std::vector<std::string>> ListPipelines() override;
  StatusOr<std::vector<MaterializationRecord>> ListMaterializations(
      std::string_view view) override;

 private:
  SqliteMetadataStore(std::unique_ptr<sqlite::Database> db, int schema_version)
      : db_(std::move(db)), uri_("sqlite://" + db_->path()), schema_version_(schema_version) {}

  // Runs: NotFound unless run `id` (a full id) exists.
  Status CheckRunExists(std::string_view id);
  // The full id of the one run whose id starts with `prefix`.
  StatusOr<std::string> ResolveRunId(std::string_view prefix);
  // Reads the runs `select` yields (columns: kRunColumns) with their params,
  // tags, latest metrics and artifacts.
  StatusOr<std::vector<RunRecord>> ReadRuns(sqlite::Statement& select);

  // Models: NotFound (did-you-mean, the models that exist) unless `model`
  // exists.
  Status CheckModelExists(std::string_view model);
  // The aliases of `model`, alias -> version.
  StatusOr<std::map<std::string, int64_t>> ReadAliases(std::string_view model);
  // " It has versions 1 to 3; aliases: production -> 2." for messages.
  StatusOr<std::string> DescribeModel(std::string_view model);
  // Reads the versions `select` yields (columns: kModelVersionColumns), with
  // their aliases.
  StatusOr<std::vector<ModelVersionRecord>> ReadModelVersions(sqlite::Statement& select);
  Status BumpModelsChangeVersion();

  std::unique_ptr<sqlite::Database> db_;
  std::string uri_;
  int schema_version_;
};

}  // namespace keel

#endif  // KEEL_REGISTRY_SQLITE_METADATA_STORE_H_
