// SqliteMetadataStore: registered models, their numbered versions (with
// lineage to runs and datasets), aliases and the models change counter.
#include <cstdint>
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "keel/base/suggest.h"
#include "keel/base/time.h"
#include "keel/registry/sqlite_metadata_store.h"

namespace keel {
namespace {

constexpr char kModelVersionColumns[] =
    "v.model, v.version, v.created_at_us, v.bundle_key, v.bundle_sha256, v.bundle_size_bytes, "
    "v.learner, v.task, v.run_id, v.dataset, v.dataset_version, v.metrics_json, v.params_json, "
    "v.description";

ModelVersionRecord ReadModelVersion(const sqlite::Statement& s, int first = 0) {
  ModelVersionRecord r;
  r.model = s.ColumnText(first + 0);
  r.version = s.ColumnInt(first + 1);
  r.created_at_us = s.ColumnInt(first + 2);
  r.bundle_key = s.ColumnText(first + 3);
  r.bundle_sha256 = s.ColumnText(first + 4);
  r.bundle_size_bytes = s.ColumnInt(first + 5);
  r.learner = s.ColumnText(first + 6);
  r.task = s.ColumnText(first + 7);
  r.run_id = s.ColumnText(first + 8);
  r.dataset = s.ColumnText(first + 9);
  r.dataset_version = s.ColumnText(first + 10);
  r.metrics_json = s.ColumnText(first + 11);
  r.params_json = s.ColumnText(first + 12);
  r.description = s.ColumnText(first + 13);
  return r;
}

std::vector<std::string> AliasNames(const std::map<std::string, int64_t>& aliases) {
  std::vector<std::string> names;
  for (const auto& entry : aliases) names.push_back(entry.first);
  return names;
}

}  // namespace

Status SqliteMetadataStore::CheckModelExists(std::string_view model) {
  KEEL_ASSIGN_OR_RETURN(sqlite::Statement s, db_->Prepare("SELECT name FROM models ORDER BY name"));
  std::vector<std::string> names;
  while (true) {
    KEEL_ASSIGN_OR_RETURN(bool row, s.Step());
    if (!row) break;
    names.push_back(s.ColumnText(0));
    if (names.back() == model) return absl::OkStatus();
  }
  return absl::NotFoundError(
      absl::StrCat("no model named '", std::string(model), "'.", DidYouMean(model, names),
                   names.empty() ? " No model is registered yet."
                                 : absl::StrCat(" Models: ", absl::StrJoin(names, ", "), ".")));
}

StatusOr<std::map<std::string, int64_t>> SqliteMetadataStore::ReadAliases(std::string_view model) {
  KEEL_ASSIGN_OR_RETURN(sqlite::Statement s,
                        db_->Prepare("SELECT alias, version FROM model_aliases WHERE model = ?"));
  s.Bind(1, model);
  std::map<std::string, int64_t> aliases;
  while (true) {
    KEEL_ASSIGN_OR_RETURN(bool row, s.Step());
    if (!row) return aliases;
    aliases[s.ColumnText(0)] = s.ColumnInt(1);
  }
}

StatusOr<std::string> SqliteMetadataStore::DescribeModel(std::string_view model) {
  KEEL_ASSIGN_OR_RETURN(sqlite::Statement s,
                        db_->Prepare("SELECT version FROM model_versions WHERE model = ? "
                                     "ORDER BY version"));
  s.Bind(1, model);
  std::vector<int64_t> versions;
  while (true) {
    KEEL_ASSIGN_OR_RETURN(bool row, s.Step());
    if (!row) break;
    versions.push_back(s.ColumnInt(0));
  }
  std::string out = " It has ";
  if (versions.size() == 1) {
    absl::StrAppend(&out, "version ", versions.front());
  } else if (versions.size() > 2 &&
             versions.back() - versions.front() + 1 == static_cast<int64_t>(versions.size())) {
    absl::StrAppend(&out, "versions ", versions.front(), " to ", versions.back());
  } else {
    absl::StrAppend(&out, "versions ", absl::StrJoin(versions, ", "));
  }
  KEEL_ASSIGN_OR_RETURN(auto aliases, ReadAliases(model));
  if (aliases.empty()) {
    absl::StrAppend(&out, " and no aliases.");
  } else {
    absl::StrAppend(&out, "; aliases: ",
                    absl::StrJoin(aliases, ", ",
                                  [](std::string* o, const auto& entry) {
                                    absl::StrAppend(o, entry.first, " -> ", entry.second);
                                  }),
                    ".");
  }
  return out;
}

StatusOr<std::vector<ModelVersionRecord>> SqliteMetadataStore::ReadModelVersions(
    sqlite::Statement& select) {
  std::vector<ModelVersionRecord> out;
  while (true) {
    KEEL_ASSIGN_OR_RETURN(bool row, select.Step());
    if (!row) break;
    out.push_back(ReadModelVersion(select));
  }
  KEEL_ASSIGN_OR_RETURN(sqlite::Statement aliases,
                        db_->Prepare("SELECT alias FROM model_aliases WHERE model = ? AND "
                                     "version = ? ORDER BY alias"));
  for (ModelVersionRecord& r : out) {
    aliases.Reset();
    aliases.Bind(1, r.model).Bind(2, r.version);
    while (true) {
      KEEL_ASSIGN_OR_RETURN(bool row, aliases.Step());
      if (!row) break;
      r.aliases.push_back(aliases.ColumnText(0));
    }
  }
  return out;
}

Status SqliteMetadataStore::BumpModelsChangeVersion() {
  return db_->Execute("UPDATE change_counters SET value = value + 1 WHERE name = 'models'");
}

StatusOr<ModelVersionRecord> SqliteMetadataStore::AddModelVersion(
    const ModelVersionRecord& record) {
  KEEL_RETURN_IF_ERROR(ValidateModelName(record.model));
  const std::string where = absl::StrCat("model '", record.model, "'");
  if (record.bundle_key.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat(where, ": a version needs the object key of its bundle (bundle_key)"));
  }
  if (record.dataset.empty() != record.dataset_version.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat(where, ": lineage names dataset '", record.dataset, "' and version '",
                     record.dataset_version, "'; give both or neither"));
  }
  ModelVersionRecord out = record;
  out.aliases.clear();
  if (out.created_at_us == 0) out.created_at_us = NowMicros();

  KEEL_ASSIGN_OR_RETURN(sqlite::Transaction txn, sqlite::Transaction::Begin(db_.get()));
  if (!record.run_id.empty()) {
    Status run = CheckRunExists(record.run_id);
    if (!run.ok()) return Annotate(run, absl::StrCat(where, " lineage"));
  }
  if (!record.dataset.empty()) {
    KEEL_ASSIGN_OR_RETURN(
        sqlite::Statement s,
        db_->Prepare("SELECT 1 FROM dataset_versions WHERE dataset = ? AND version = ?"));
    s.Bind(1, record.dataset).Bind(2, record.dataset_version);
    KEEL_ASSIGN_OR_RETURN(bool found, s.Step());
    if (!found) {
      return absl::NotFoundError(absl::StrCat(
          where, " lineage: dataset '", record.dataset, "' has no version '",
          record.dataset_version, "'; record the full version id of the training data"));
    }
  }
  KEEL_ASSIGN_OR_RETURN(
      sqlite::Statement add_model,
      db_->Prepare("INSERT OR IGNORE INTO models (name, created_at_us) VALUES (?, ?)"));
  add_model.Bind(1, out.model).Bind(2, out.created_at_us);
  KEEL_RETURN_IF_ERROR(add_model.Run());
  {
    // The write lock is held since BEGIN IMMEDIATE, so no other writer can
    // take the same number between this read and the insert.
    KEEL_ASSIGN_OR_RETURN(
        sqlite::Statement next,
        db_->Prepare("SELECT COALESCE(MAX(version), 0) + 1 FROM model_versions WHERE model = ?"));
    next.Bind(1, out.model);
    KEEL_RETURN_IF_ERROR(next.Step().status());
    out.version = next.ColumnInt(0);
  }
  KEEL_ASSIGN_OR_RETURN(
      sqlite::Statement insert,
      db_->Prepare("INSERT INTO model_versions (model, version, created_at_us, bundle_key, "
                   "bundle_sha256, bundle_size_bytes, learner, task, run_id, dataset, "
                   "dataset_version, metrics_json, params_json, description) "
                   "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"));
  insert.Bind(1, out.model)
      .Bind(2, out.version)
      .Bind(3, out.created_at_us)
      .Bind(4, out.bundle_key)
      .Bind(5, out.bundle_sha256)
      .Bind(6, out.bundle_size_bytes)
      .Bind(7, out.learner)
      .Bind(8, out.task)
      .Bind(9, out.run_id)
      .Bind(10, out.dataset)
      .Bind(11, out.dataset_version)
      .Bind(12, out.metrics_json)
      .Bind(13, out.params_json)
      .Bind(14, out.description);
  KEEL_RETURN_IF_ERROR(insert.Run());
  KEEL_RETURN_IF_ERROR(BumpModelsChangeVersion());
  KEEL_RETURN_IF_ERROR(txn.Commit());
  return out;
}

StatusOr<std::vector<ModelRecord>> SqliteMetadataStore::ListModels() {
  KEEL_ASSIGN_OR_RETURN(
      sqlite::Statement s,
      db_->Prepare(absl::StrCat(
          "SELECT m.name, m.created_at_us, (SELECT COUNT(*) FROM model_versions c WHERE "
          "c.model = m.name), ",
          kModelVersionColumns,
          " FROM models m JOIN model_versions v ON v.model = m.name AND v.version = (SELECT "
          "MAX(x.version) FROM model_versions x WHERE x.model = m.name) ORDER BY m.name")));
  std::vector<ModelRecord> out;
  while (true) {
    KEEL_ASSIGN_OR_RETURN(bool row, s.Step());
    if (!row) break;
    ModelRecord m;
    m.name = s.ColumnText(0);
    m.created_at_us = s.ColumnInt(1);
    m.version_count = s.ColumnInt(2);
    m.latest = ReadModelVersion(s, 3);
    out.push_back(std::move(m));
  }
  for (ModelRecord& m : out) {
    KEEL_ASSIGN_OR_RETURN(m.aliases, ReadAliases(m.name));
    for (const auto& [alias, version] : m.aliases) {
      if (version == m.latest.version) m.latest.aliases.push_back(alias);
    }
  }
  return out;
}

StatusOr<std::vector<ModelVersionRecord>> SqliteMetadataStore::ListModelVersions(
    std::string_view model) {
  KEEL_RETURN_IF_ERROR(CheckModelExists(model));
  KEEL_ASSIGN_OR_RETURN(sqlite::Statement s,
                        db_->Prepare(absl::StrCat("SELECT ", kModelVersionColumns,
                                                  " FROM model_versions v WHERE v.model = ? "
                                                  "ORDER BY v.version DESC")));
  s.Bind(1, model);
  return ReadModelVersions(s);
}

StatusOr<ModelVersionRecord> SqliteMetadataStore::GetModelVersion(std::string_view model,
                                                                  int64_t version) {
  KEEL_RETURN_IF_ERROR(CheckModelExists(model));
  KEEL_ASSIGN_OR_RETURN(sqlite::Statement s,
                        db_->Prepare(absl::StrCat("SELECT ", kModelVersionColumns,
                                                  " FROM model_versions v WHERE v.model = ? "
                                                  "AND v.version = ?")));
  s.Bind(1, model).Bind(2, version);
  KEEL_ASSIGN_OR_RETURN(std::vector<ModelVersionRecord> found, ReadModelVersions(s));
  if (found.empty()) {
    KEEL_ASSIGN_OR_RETURN(std::string existing, DescribeModel(model));
    return absl::NotFoundError(
        absl::StrCat("model '", std::string(model), "' has no version ", version, ".", existing));
  }
  return std::move(found.front());
}

StatusOr<ModelVersionRecord> SqliteMetadataStore::ResolveModel(std::string_view text) {
  KEEL_ASSIGN_OR_RETURN(ModelRef ref, ParseModelRef(text));
  KEEL_RETURN_IF_ERROR(CheckModelExists(ref.model));
  int64_t version = ref.version;
  if (!ref.alias.empty()) {
    KEEL_ASSIGN_OR_RETURN(auto aliases, ReadAliases(ref.model));
    auto it = aliases.find(ref.alias);
    if (it == aliases.end()) {
      KEEL_ASSIGN_OR_RETURN(std::string existing, DescribeModel(ref.model));
      return absl::NotFoundError(absl::StrCat("model '", ref.model, "' has no alias '", ref.alias,
                                              "'.", DidYouMean(ref.alias, AliasNames(aliases)),
                                              existing));
    }
    version = it->second;
  } else if (version == 0) {
    KEEL_ASSIGN_OR_RETURN(sqlite::Statement s,
                          db_->Prepare("SELECT MAX(version) FROM model_versions WHERE model = ?"));
    s.Bind(1, ref.model);
    KEEL_RETURN_IF_ERROR(s.Step().status());
    version = s.ColumnInt(0);
  }
  return GetModelVersion(ref.model, version);
}

Status SqliteMetadataStore::SetAlias(std::string_view model, std::string_view alias,
                                     int64_t version) {
  KEEL_RETURN_IF_ERROR(ValidateModelName(model));
  KEEL_RETURN_IF_ERROR(ValidateAliasName(alias));
  KEEL_ASSIGN_OR_RETURN(sqlite::Transaction txn, sqlite::Transaction::Begin(db_.get()));
  KEEL_RETURN_IF_ERROR(CheckModelExists(model));
  {
    KEEL_ASSIGN_OR_RETURN(
        sqlite::Statement s,
        db_->Prepare("SELECT 1 FROM model_versions WHERE model = ? AND version = ?"));
    s.Bind(1, model).Bind(2, version);
    KEEL_ASSIGN_OR_RETURN(bool found, s.Step());
    if (!found) {
      KEEL_ASSIGN_OR_RETURN(std::string existing, DescribeModel(model));
      return absl::NotFoundError(absl::StrCat("model '", std::string(model), "' has no version ",
                                              version, ", so alias '", std::string(alias),
                                              "' cannot point at it.", existing));
    }
  }
  KEEL_ASSIGN_OR_RETURN(auto aliases, ReadAliases(model));
  auto it = aliases.find(std::string(alias));
  if (it != aliases.end() && it->second == version) return absl::OkStatus();  // unchanged
  KEEL_ASSIGN_OR_RETURN(sqlite::Statement upsert,
                        db_->Prepare("INSERT OR REPLACE INTO model_aliases (model, alias, "
                                     "version, updated_at_us) VALUES (?, ?, ?, ?)"));
  upsert.Bind(1, model).Bind(2, alias).Bind(3, version).Bind(4, NowMicros());
  KEEL_RETURN_IF_ERROR(upsert.Run());
  KEEL_RETURN_IF_ERROR(BumpModelsChangeVersion());
  return txn.Commit();
}

Status SqliteMetadataStore::DeleteAlias(std::string_view model, std::string_view alias) {
  KEEL_ASSIGN_OR_RETURN(sqlite::Transaction txn, sqlite::Transaction::Begin(db_.get()));
  KEEL_RETURN_IF_ERROR(CheckModelExists(model));
  KEEL_ASSIGN_OR_RETURN(sqlite::Statement s,
                        db_->Prepare("DELETE FROM model_aliases WHERE model = ? AND alias = ?"));
  s.Bind(1, model).Bind(2, alias);
  KEEL_RETURN_IF_ERROR(s.Run());
  if (s.Changes() == 0) {
    KEEL_ASSIGN_OR_RETURN(auto aliases, ReadAliases(model));
    KEEL_ASSIGN_OR_RETURN(std::string existing, DescribeModel(model));
    return absl::NotFoundError(absl::StrCat("model '", std::string(model), "' has no alias '",
                                            std::string(alias), "'.",
                                            DidYouMean(alias, AliasNames(aliases)), existing));
  }
  KEEL_RETURN_IF_ERROR(BumpModelsChangeVersion());
  return txn.Commit();
}

StatusOr<int64_t> SqliteMetadataStore::ModelsChangeVersion() {
  KEEL_ASSIGN_OR_RETURN(sqlite::Statement s,
                        db_->Prepare("SELECT value FROM change_counters WHERE name = 'models'"));
  KEEL_ASSIGN_OR_RETURN(bool found, s.Step());
  if (!found) return absl::InternalError("the registry has no 'models' change counter");
  return s.ColumnInt(0);
}

}  // namespace keel
