#include "keel/registry/sqlite_metadata_store.h"

#include <utility>

#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"

namespace keel {
namespace {

constexpr char kVersionColumns[] =
    "v.dataset, v.version, v.created_at_us, v.source, v.raw_keys, v.raw_size_bytes, "
    "v.raw_sha256, v.format, v.row_count, v.schema_json, v.parse_options_json, v.table_key, "
    "v.partition_column";

DatasetVersionRecord ReadVersion(const sqlite::Statement& s, int first = 0) {
  DatasetVersionRecord r;
  r.dataset = s.ColumnText(first + 0);
  r.version = s.ColumnText(first + 1);
  r.created_at_us = s.ColumnInt(first + 2);
  r.source = s.ColumnText(first + 3);
  const std::string keys = s.ColumnText(first + 4);
  if (!keys.empty()) r.raw_keys = absl::StrSplit(keys, '\n');
  r.raw_size_bytes = s.ColumnInt(first + 5);
  r.raw_sha256 = s.ColumnText(first + 6);
  r.format = s.ColumnText(first + 7);
  r.row_count = s.ColumnInt(first + 8);
  r.schema_json = s.ColumnText(first + 9);
  r.parse_options_json = s.ColumnText(first + 10);
  r.table_key = s.ColumnText(first + 11);
  r.partition_column = s.ColumnText(first + 12);
  return r;
}

StatusOr<std::vector<DatasetVersionRecord>> ReadVersions(sqlite::Statement& s) {
  std::vector<DatasetVersionRecord> out;
  while (true) {
    KEEL_ASSIGN_OR_RETURN(bool row, s.Step());
    if (!row) return out;
    out.push_back(ReadVersion(s));
  }
}

}  // namespace

const std::vector<sqlite::Migration>& RegistryMigrations() {
  static const auto* migrations = new std::vector<sqlite::Migration>{
      {1, "datasets and dataset versions",
       R"sql(
CREATE TABLE datasets (
  name TEXT PRIMARY KEY,
  created_at_us INTEGER NOT NULL
);
CREATE TABLE dataset_versions (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  dataset TEXT NOT NULL REFERENCES datasets(name),
  version TEXT NOT NULL,
  created_at_us INTEGER NOT NULL,
  source TEXT NOT NULL,
  raw_keys TEXT NOT NULL,
  raw_size_bytes INTEGER NOT NULL,
  raw_sha256 TEXT NOT NULL,
  format TEXT NOT NULL,
  row_count INTEGER NOT NULL,
  schema_json TEXT NOT NULL,
  parse_options_json TEXT NOT NULL,
  table_key TEXT NOT NULL,
  partition_column TEXT NOT NULL DEFAULT '',
  UNIQUE (dataset, version)
);
CREATE INDEX dataset_versions_by_dataset ON dataset_versions (dataset, id);
)sql"},
      {2, "experiments, runs, models, model versions and aliases",
       R"sql(
CREATE TABLE experiments (
  name TEXT PRIMARY KEY,
  created_at_us INTEGER NOT NULL
);
CREATE TABLE runs (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  id TEXT NOT NULL UNIQUE,
  experiment TEXT NOT NULL REFERENCES experiments(name),
  name TEXT NOT NULL,
  status TEXT NOT NULL,
  start_us INTEGER NOT NULL,
  end_us INTEGER NOT NULL,
  error TEXT NOT NULL
);
CREATE INDEX runs_by_start ON runs (start_us, seq);
CREATE INDEX runs_by_experiment ON runs (experiment, start_us, seq);
CREATE TABLE run_params (
  run_id TEXT NOT NULL REFERENCES runs(id),
  key TEXT NOT NULL,
  value TEXT NOT NULL,
  PRIMARY KEY (run_id, key)
);
CREATE TABLE run_tags (
  run_id TEXT NOT NULL REFERENCES runs(id),
  key TEXT NOT NULL,
  value TEXT NOT NULL,
  PRIMARY KEY (run_id, key)
);
CREATE TABLE run_metrics (
  run_id TEXT NOT NULL REFERENCES runs(id),
  key TEXT NOT NULL,
  step INTEGER NOT NULL,
  value REAL,
  timestamp_us INTEGER NOT NULL,
  PRIMARY KEY (run_id, key, step)
);
CREATE TABLE run_artifacts (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  run_id TEXT NOT NULL REFERENCES runs(id),
  key TEXT NOT NULL,
  UNIQUE (run_id, key)
);
CREATE TABLE models (
  name TEXT PRIMARY KEY,
  created_at_us INTEGER NOT NULL
);
CREATE TABLE model_versions (
  model TEXT NOT NULL REFERENCES models(name),
  version INTEGER NOT NULL,
  created_at_us INTEGER NOT NULL,
  bundle_key TEXT NOT NULL,
  bundle_sha256 TEXT NOT NULL,
  bundle_size_bytes INTEGER NOT NULL,
  learner TEXT NOT NULL,
  task TEXT NOT NULL,
  run_id TEXT NOT NULL,
  dataset TEXT NOT NULL,
  dataset_version TEXT NOT NULL,
  metrics_json TEXT NOT NULL,
  params_json TEXT NOT NULL,
  description TEXT NOT NULL,
  PRIMARY KEY (model, version)
);
CREATE INDEX model_versions_by_run ON model_versions (run_id);
CREATE TABLE model_aliases (
  model TEXT NOT NULL,
  alias TEXT NOT NULL,
  version INTEGER NOT NULL,
  updated_at_us INTEGER NOT NULL,
  PRIMARY KEY (model, alias),
  FOREIGN KEY (model, version) REFERENCES model_versions(model, version)
);
CREATE TABLE change_counters (
  name TEXT PRIMARY KEY,
  value INTEGER NOT NULL
);
INSERT INTO change_counters (name, value) VALUES ('models', 0);
)sql"},
      {3, "applied feature definitions",
       R"sql(
CREATE TABLE feature_definitions (
  version INTEGER PRIMARY KEY,
  yaml_text TEXT NOT NULL,
  sha256 TEXT NOT NULL,
  source TEXT NOT NULL,
  applied_at_us INTEGER NOT NULL
);
)sql"},
      {4, "feature materialisations (watermarks)",
       R"sql(
CREATE TABLE feature_materializations (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  view TEXT NOT NULL,
  store TEXT NOT NULL,
  start_us INTEGER NOT NULL,
  end_us INTEGER NOT NULL,
  source_dataset TEXT NOT NULL,
  rows INTEGER NOT NULL,
  entities INTEGER NOT NULL,
  definitions_version INTEGER NOT NULL,
  finished_at_us INTEGER NOT NULL
);
CREATE INDEX feature_materializations_by_view ON feature_materializations(store, view, end_us);
)sql"},
      {5, "pipeline step runs (keel pipeline: cache keys and outcomes)",
       R"sql(
CREATE TABLE pipeline_step_runs (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  pipeline TEXT NOT NULL,
  run_id TEXT NOT NULL,
  step TEXT NOT NULL,
  cache_key TEXT NOT NULL,
  status TEXT NOT NULL,
  started_at_us INTEGER NOT NULL,
  finished_at_us INTEGER NOT NULL,
  outputs_json TEXT NOT NULL,
  log_path TEXT NOT NULL,
  message TEXT NOT NULL
);
CREATE INDEX pipeline_step_runs_by_key ON pipeline_step_runs (pipeline, step, cache_key, id);
CREATE INDEX pipeline_step_runs_by_run ON pipeline_step_runs (pipeline, run_id, id);
)sql"},
  };
  return *migrations;
}

StatusOr<std::unique_ptr<SqliteMetadataStore>> SqliteMetadataStore::Open(const std::string& path) {
  return Open(path, RegistryMigrations());
}

StatusOr<std::unique_ptr<SqliteMetadataStore>> SqliteMetadataStore::Open(
    const std::string& path, const std::vector<sqlite::Migration>& migrations) {
  KEEL_ASSIGN_OR_RETURN(std::unique_ptr<sqlite::Database> db, sqlite::Database::Open(path));
  KEEL_ASSIGN_OR_RETURN(int version, sqlite::Migrate(db.get(), migrations));
  return std::unique_ptr<SqliteMetadataStore>(new SqliteMetadataStore(std::move(db), version));
}

StatusOr<bool> SqliteMetadataStore::AddDatasetVersion(const DatasetVersionRecord& r) {
  KEEL_ASSIGN_OR_RETURN(sqlite::Transaction txn, sqlite::Transaction::Begin(db_.get()));
  KEEL_ASSIGN_OR_RETURN(
      sqlite::Statement dataset,
      db_->Prepare("INSERT OR IGNORE INTO datasets (name, created_at_us) VALUES (?, ?)"));
  dataset.Bind(1, r.dataset).Bind(2, r.created_at_us);
  KEEL_RETURN_IF_ERROR(dataset.Run());
  KEEL_ASSIGN_OR_RETURN(
      sqlite::Statement insert,
      db_->Prepare("INSERT OR IGNORE INTO dataset_versions (dataset, version, created_at_us, "
                   "source, raw_keys, raw_size_bytes, raw_sha256, format, row_count, schema_json, "
                   "parse_options_json, table_key, partition_column) "
                   "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"));
  insert.Bind(1, r.dataset)
      .Bind(2, r.version)
      .Bind(3, r.created_at_us)
      .Bind(4, r.source)
      .Bind(5, absl::StrJoin(r.raw_keys, "\n"))
      .Bind(6, r.raw_size_bytes)
      .Bind(7, r.raw_sha256)
      .Bind(8, r.format)
      .Bind(9, r.row_count)
      .Bind(10, r.schema_json)
      .Bind(11, r.parse_options_json)
      .Bind(12, r.table_key)
      .Bind(13, r.partition_column);
  KEEL_RETURN_IF_ERROR(insert.Run());
  const bool added = insert.Changes() > 0;
  KEEL_RETURN_IF_ERROR(txn.Commit());
  return added;
}

StatusOr<std::vector<DatasetRecord>> SqliteMetadataStore::ListDatasets() {
  KEEL_ASSIGN_OR_RETURN(
      sqlite::Statement s,
      db_->Prepare(absl::StrCat(
          "SELECT d.name, d.created_at_us, (SELECT COUNT(*) FROM dataset_versions c WHERE "
          "c.dataset = d.name), ",
          kVersionColumns,
          " FROM datasets d JOIN dataset_versions v ON v.id = (SELECT MAX(id) FROM "
          "dataset_versions m WHERE m.dataset = d.name) ORDER BY d.name")));
  std::vector<DatasetRecord> out;
  while (true) {
    KEEL_ASSIGN_OR_RETURN(bool row, s.Step());
    if (!row) return out;
    DatasetRecord d;
    d.name = s.ColumnText(0);
    d.created_at_us = s.ColumnInt(1);
    d.version_count = s.ColumnInt(2);
    d.latest = ReadVersion(s, 3);
    out.push_back(std::move(d));
  }
}

StatusOr<std::vector<DatasetVersionRecord>> SqliteMetadataStore::ListDatasetVersions(
    std::string_view dataset) {
  KEEL_ASSIGN_OR_RETURN(sqlite::Statement s,
                        db_->Prepare(absl::StrCat("SELECT ", kVersionColumns,
                                                  " FROM dataset_versions v WHERE v.dataset = ? "
                                                  "ORDER BY v.id DESC")));
  s.Bind(1, dataset);
  return ReadVersions(s);
}

StatusOr<std::vector<DatasetVersionRecord>> SqliteMetadataStore::FindDatasetVersions(
    std::string_view dataset, std::string_view prefix) {
  KEEL_ASSIGN_OR_RETURN(
      sqlite::Statement s,
      db_->Prepare(absl::StrCat("SELECT ", kVersionColumns,
                                " FROM dataset_versions v WHERE v.dataset = ? AND "
                                "substr(v.version, 1, length(?2)) = ?2 ORDER BY v.id DESC")));
  s.Bind(1, dataset).Bind(2, prefix);
  return ReadVersions(s);
}

}  // namespace keel
