// SqliteMetadataStore: experiments and runs (params, tags, per-step metrics,
// artifacts, status and times).
#include <algorithm>
#include <cstdint>
#include <random>
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "keel/base/suggest.h"
#include "keel/base/time.h"
#include "keel/registry/sqlite_metadata_store.h"

namespace keel {
namespace {

constexpr char kRunColumns[] = "id, experiment, name, status, start_us, end_us, error";
constexpr size_t kRunIdLength = 32;

// 128 random bits as 32 lowercase hex characters.
std::string NewRunId() {
  static constexpr char kHex[] = "0123456789abcdef";
  std::random_device random;
  std::string id;
  id.reserve(kRunIdLength);
  for (int word = 0; word < 4; ++word) {
    uint32_t bits = random();
    for (int i = 0; i < 8; ++i, bits >>= 4) id.push_back(kHex[bits & 0xf]);
  }
  return id;
}

bool IsLowerHex(std::string_view text) {
  for (char c : text) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

// InvalidArgument when a key of `values` (params or tags) is empty.
Status CheckKeys(std::string_view what, const std::map<std::string, std::string>& values) {
  if (values.count("") > 0) {
    return absl::InvalidArgumentError(absl::StrCat("a run ", std::string(what),
                                                   " has an empty key; give every ",
                                                   std::string(what), " a name"));
  }
  return absl::OkStatus();
}

Status InsertPairs(sqlite::Database* db, const char* table, std::string_view run_id,
                   const std::map<std::string, std::string>& values) {
  if (values.empty()) return absl::OkStatus();
  KEEL_ASSIGN_OR_RETURN(sqlite::Statement insert,
                        db->Prepare(absl::StrCat("INSERT OR REPLACE INTO ", table,
                                                 " (run_id, key, value) VALUES (?, ?, ?)")));
  for (const auto& [key, value] : values) {
    insert.Bind(1, run_id).Bind(2, key).Bind(3, value);
    KEEL_RETURN_IF_ERROR(insert.Run());
    insert.Reset();
  }
  return absl::OkStatus();
}

}  // namespace

Status SqliteMetadataStore::CheckRunExists(std::string_view id) {
  KEEL_ASSIGN_OR_RETURN(sqlite::Statement s, db_->Prepare("SELECT 1 FROM runs WHERE id = ?"));
  s.Bind(1, id);
  KEEL_ASSIGN_OR_RETURN(bool found, s.Step());
  if (!found) {
    return absl::NotFoundError(absl::StrCat("no run with id '", std::string(id), "'"));
  }
  return absl::OkStatus();
}

StatusOr<std::string> SqliteMetadataStore::ResolveRunId(std::string_view prefix) {
  if (prefix.empty() || prefix.size() > kRunIdLength || !IsLowerHex(prefix)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "'", std::string(prefix),
        "' is not a run id: ids are 32 lowercase hex characters; give one or a unique prefix"));
  }
  // The prefix is hex, so it holds no GLOB wildcard.
  KEEL_ASSIGN_OR_RETURN(sqlite::Statement s,
                        db_->Prepare("SELECT id FROM runs WHERE id GLOB ? ORDER BY seq DESC"));
  s.Bind(1, absl::StrCat(std::string(prefix), "*"));
  std::vector<std::string> ids;
  while (true) {
    KEEL_ASSIGN_OR_RETURN(bool row, s.Step());
    if (!row) break;
    ids.push_back(s.ColumnText(0));
  }
  if (ids.size() == 1) return ids.front();
  if (ids.empty()) {
    return absl::NotFoundError(absl::StrCat(
        prefix.size() == kRunIdLength ? "no run with id '" : "no run whose id starts with '",
        std::string(prefix), "'"));
  }
  const size_t total = ids.size();
  if (ids.size() > 5) {
    ids.resize(5);
    ids.push_back("...");
  }
  return absl::InvalidArgumentError(
      absl::StrCat("run id prefix '", std::string(prefix), "' is ambiguous: it matches ", total,
                   " runs (newest first: ", absl::StrJoin(ids, ", "), "); give more of the id"));
}

StatusOr<std::vector<RunRecord>> SqliteMetadataStore::ReadRuns(sqlite::Statement& select) {
  std::vector<RunRecord> runs;
  while (true) {
    KEEL_ASSIGN_OR_RETURN(bool row, select.Step());
    if (!row) break;
    RunRecord r;
    r.id = select.ColumnText(0);
    r.experiment = select.ColumnText(1);
    r.name = select.ColumnText(2);
    KEEL_ASSIGN_OR_RETURN(r.status, ParseRunStatus(select.ColumnText(3)));
    r.start_us = select.ColumnInt(4);
    r.end_us = select.ColumnInt(5);
    r.error = select.ColumnText(6);
    runs.push_back(std::move(r));
  }
  if (runs.empty()) return runs;
  KEEL_ASSIGN_OR_RETURN(sqlite::Statement params,
                        db_->Prepare("SELECT key, value FROM run_params WHERE run_id = ?"));
  KEEL_ASSIGN_OR_RETURN(sqlite::Statement tags,
                        db_->Prepare("SELECT key, value FROM run_tags WHERE run_id = ?"));
  KEEL_ASSIGN_OR_RETURN(
      sqlite::Statement metrics,
      db_->Prepare(
          "SELECT m.key, m.value FROM run_metrics m WHERE m.run_id = ?1 AND m.step = "
          "(SELECT MAX(x.step) FROM run_metrics x WHERE x.run_id = ?1 AND x.key = m.key)"));
  KEEL_ASSIGN_OR_RETURN(
      sqlite::Statement artifacts,
      db_->Prepare("SELECT key FROM run_artifacts WHERE run_id = ? ORDER BY seq"));
  for (RunRecord& r : runs) {
    for (auto [statement, out] : {std::pair{&params, &r.params}, std::pair{&tags, &r.tags}}) {
      statement->Reset();
      statement->Bind(1, r.id);
      while (true) {
        KEEL_ASSIGN_OR_RETURN(bool row, statement->Step());
        if (!row) break;
        (*out)[statement->ColumnText(0)] = statement->ColumnText(1);
      }
    }
    metrics.Reset();
    metrics.Bind(1, r.id);
    while (true) {
      KEEL_ASSIGN_OR_RETURN(bool row, metrics.Step());
      if (!row) break;
      r.latest_metrics[metrics.ColumnText(0)] = metrics.ColumnDouble(1);
    }
    artifacts.Reset();
    artifacts.Bind(1, r.id);
    while (true) {
      KEEL_ASSIGN_OR_RETURN(bool row, artifacts.Step());
      if (!row) break;
      r.artifacts.push_back(artifacts.ColumnText(0));
    }
  }
  return runs;
}

StatusOr<RunRecord> SqliteMetadataStore::CreateRun(const RunRecord& run) {
  const std::string experiment =
      run.experiment.empty() ? std::string(kDefaultExperiment) : run.experiment;
  KEEL_RETURN_IF_ERROR(ValidateExperimentName(experiment));
  KEEL_RETURN_IF_ERROR(CheckKeys("param", run.params));
  KEEL_RETURN_IF_ERROR(CheckKeys("tag", run.tags));
  for (const std::string& key : run.artifacts) {
    if (key.empty()) return absl::InvalidArgumentError("a run artifact has an empty object key");
  }
  const int64_t now = NowMicros();
  const std::string id = NewRunId();
  {
    KEEL_ASSIGN_OR_RETURN(sqlite::Transaction txn, sqlite::Transaction::Begin(db_.get()));
    KEEL_ASSIGN_OR_RETURN(
        sqlite::Statement add_experiment,
        db_->Prepare("INSERT OR IGNORE INTO experiments (name, created_at_us) VALUES (?, ?)"));
    add_experiment.Bind(1, experiment).Bind(2, now);
    KEEL_RETURN_IF_ERROR(add_experiment.Run());
    KEEL_ASSIGN_OR_RETURN(
        sqlite::Statement insert,
        db_->Prepare("INSERT INTO runs (id, experiment, name, status, start_us, end_us, error) "
                     "VALUES (?, ?, ?, ?, ?, 0, '')"));
    insert.Bind(1, id)
        .Bind(2, experiment)
        .Bind(3, run.name)
        .Bind(4, RunStatusName(RunStatus::kRunning))
        .Bind(5, run.start_us != 0 ? run.start_us : now);
    KEEL_RETURN_IF_ERROR(insert.Run());
    KEEL_RETURN_IF_ERROR(InsertPairs(db_.get(), "run_params", id, run.params));
    KEEL_RETURN_IF_ERROR(InsertPairs(db_.get(), "run_tags", id, run.tags));
    KEEL_ASSIGN_OR_RETURN(
        sqlite::Statement artifact,
        db_->Prepare("INSERT OR IGNORE INTO run_artifacts (run_id, key) VALUES (?, ?)"));
    for (const std::string& key : run.artifacts) {
      artifact.Bind(1, id).Bind(2, key);
      KEEL_RETURN_IF_ERROR(artifact.Run());
      artifact.Reset();
    }
    KEEL_RETURN_IF_ERROR(txn.Commit());
  }
  return GetRun(id);
}

Status SqliteMetadataStore::LogParams(std::string_view run_id,
                                      const std::map<std::string, std::string>& params) {
  KEEL_RETURN_IF_ERROR(CheckKeys("param", params));
  KEEL_ASSIGN_OR_RETURN(sqlite::Transaction txn, sqlite::Transaction::Begin(db_.get()));
  KEEL_RETURN_IF_ERROR(CheckRunExists(run_id));
  KEEL_ASSIGN_OR_RETURN(sqlite::Statement existing,
                        db_->Prepare("SELECT value FROM run_params WHERE run_id = ? AND key = ?"));
  KEEL_ASSIGN_OR_RETURN(
      sqlite::Statement insert,
      db_->Prepare("INSERT OR IGNORE INTO run_params (run_id, key, value) VALUES (?, ?, ?)"));
  for (const auto& [key, value] : params) {
    existing.Bind(1, run_id).Bind(2, key);
    KEEL_ASSIGN_OR_RETURN(bool found, existing.Step());
    if (found && existing.ColumnText(0) != value) {
      return absl::InvalidArgumentError(
          absl::StrCat("run ", std::string(run_id), ": param '", key, "' is already '",
                       existing.ColumnText(0), "'; params are write-once, so it cannot become '",
                       value, "'. Log the new value under another key or start a new run"));
    }
    existing.Reset();
    insert.Bind(1, run_id).Bind(2, key).Bind(3, value);
    KEEL_RETURN_IF_ERROR(insert.Run());
    insert.Reset();
  }
  return txn.Commit();
}

Status SqliteMetadataStore::SetTags(std::string_view run_id,
                                    const std::map<std::string, std::string>& tags) {
  KEEL_RETURN_IF_ERROR(CheckKeys("tag", tags));
  KEEL_ASSIGN_OR_RETURN(sqlite::Transaction txn, sqlite::Transaction::Begin(db_.get()));
  KEEL_RETURN_IF_ERROR(CheckRunExists(run_id));
  KEEL_RETURN_IF_ERROR(InsertPairs(db_.get(), "run_tags", run_id, tags));
  return txn.Commit();
}

Status SqliteMetadataStore::LogMetrics(std::string_view run_id,
                                       const std::vector<MetricPoint>& points) {
  for (const MetricPoint& p : points) {
    if (p.key.empty()) {
      return absl::InvalidArgumentError(
          absl::StrCat("run ", std::string(run_id), ": a metric point at step ", p.step,
                       " has an empty key; nothing was recorded. Give every metric a name"));
    }
  }
  const int64_t now = NowMicros();
  KEEL_ASSIGN_OR_RETURN(sqlite::Transaction txn, sqlite::Transaction::Begin(db_.get()));
  KEEL_RETURN_IF_ERROR(CheckRunExists(run_id));
  KEEL_ASSIGN_OR_RETURN(sqlite::Statement insert,
                        db_->Prepare("INSERT OR REPLACE INTO run_metrics (run_id, key, step, "
                                     "value, timestamp_us) VALUES (?, ?, ?, ?, ?)"));
  for (const MetricPoint& p : points) {
    insert.Bind(1, run_id)
        .Bind(2, p.key)
        .Bind(3, p.step)
        .BindDouble(4, p.value)
        .Bind(5, p.timestamp_us != 0 ? p.timestamp_us : now);
    KEEL_RETURN_IF_ERROR(insert.Run());
    insert.Reset();
  }
  return txn.Commit();
}

Status SqliteMetadataStore::AddArtifact(std::string_view run_id, std::string_view key) {
  if (key.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("run ", std::string(run_id), ": an artifact needs a non-empty object key"));
  }
  KEEL_ASSIGN_OR_RETURN(sqlite::Transaction txn, sqlite::Transaction::Begin(db_.get()));
  KEEL_RETURN_IF_ERROR(CheckRunExists(run_id));
  KEEL_ASSIGN_OR_RETURN(
      sqlite::Statement insert,
      db_->Prepare("INSERT OR IGNORE INTO run_artifacts (run_id, key) VALUES (?, ?)"));
  insert.Bind(1, run_id).Bind(2, key);
  KEEL_RETURN_IF_ERROR(insert.Run());
  return txn.Commit();
}

Status SqliteMetadataStore::EndRun(std::string_view run_id, RunStatus status,
                                   std::string_view error) {
  if (status == RunStatus::kRunning) {
    return absl::InvalidArgumentError(
        absl::StrCat("run ", std::string(run_id),
                     ": a run cannot end as 'running'; end it as finished, failed or killed"));
  }
  KEEL_ASSIGN_OR_RETURN(sqlite::Transaction txn, sqlite::Transaction::Begin(db_.get()));
  KEEL_RETURN_IF_ERROR(CheckRunExists(run_id));
  KEEL_ASSIGN_OR_RETURN(sqlite::Statement current,
                        db_->Prepare("SELECT status FROM runs WHERE id = ?"));
  current.Bind(1, run_id);
  KEEL_RETURN_IF_ERROR(current.Step().status());
  const std::string was = current.ColumnText(0);
  current.Reset();
  if (was != RunStatusName(RunStatus::kRunning)) {
    return absl::FailedPreconditionError(
        absl::StrCat("run ", std::string(run_id), " already ended (", was, "); cannot mark it ",
                     std::string(RunStatusName(status)), ". Start a new run"));
  }
  KEEL_ASSIGN_OR_RETURN(
      sqlite::Statement update,
      db_->Prepare("UPDATE runs SET status = ?, end_us = ?, error = ? WHERE id = ?"));
  update.Bind(1, RunStatusName(status)).Bind(2, NowMicros()).Bind(3, error).Bind(4, run_id);
  KEEL_RETURN_IF_ERROR(update.Run());
  return txn.Commit();
}

StatusOr<RunRecord> SqliteMetadataStore::GetRun(std::string_view run_id_or_unique_prefix) {
  KEEL_ASSIGN_OR_RETURN(std::string id, ResolveRunId(run_id_or_unique_prefix));
  KEEL_ASSIGN_OR_RETURN(sqlite::Statement s, db_->Prepare(absl::StrCat("SELECT ", kRunColumns,
                                                                       " FROM runs WHERE id = ?")));
  s.Bind(1, id);
  KEEL_ASSIGN_OR_RETURN(std::vector<RunRecord> runs, ReadRuns(s));
  if (runs.empty()) return absl::NotFoundError(absl::StrCat("no run with id '", id, "'"));
  return std::move(runs.front());
}

StatusOr<std::vector<RunRecord>> SqliteMetadataStore::ListRuns(std::string_view experiment,
                                                               int64_t limit) {
  if (!experiment.empty()) {
    KEEL_ASSIGN_OR_RETURN(std::vector<std::string> names, ListExperiments());
    if (std::find(names.begin(), names.end(), experiment) == names.end()) {
      return absl::NotFoundError(absl::StrCat(
          "no experiment named '", std::string(experiment), "'.", DidYouMean(experiment, names),
          names.empty() ? " There are no runs yet."
                        : absl::StrCat(" Experiments: ", absl::StrJoin(names, ", "), ".")));
    }
  }
  KEEL_ASSIGN_OR_RETURN(sqlite::Statement s,
                        db_->Prepare(absl::StrCat("SELECT ", kRunColumns,
                                                  " FROM runs WHERE ?1 = '' OR experiment = ?1 "
                                                  "ORDER BY start_us DESC, seq DESC LIMIT ?2")));
  s.Bind(1, experiment).Bind(2, limit > 0 ? limit : int64_t{-1});
  return ReadRuns(s);
}

StatusOr<std::vector<MetricPoint>> SqliteMetadataStore::GetMetricHistory(std::string_view run_id,
                                                                         std::string_view key) {
  KEEL_ASSIGN_OR_RETURN(std::string id, ResolveRunId(run_id));
  KEEL_ASSIGN_OR_RETURN(sqlite::Statement s,
                        db_->Prepare("SELECT key, step, value, timestamp_us FROM run_metrics "
                                     "WHERE run_id = ? AND key = ? ORDER BY step"));
  s.Bind(1, id).Bind(2, key);
  std::vector<MetricPoint> points;
  while (true) {
    KEEL_ASSIGN_OR_RETURN(bool row, s.Step());
    if (!row) return points;
    points.push_back({s.ColumnText(0), s.ColumnInt(1), s.ColumnDouble(2), s.ColumnInt(3)});
  }
}

StatusOr<std::vector<std::string>> SqliteMetadataStore::ListExperiments() {
  KEEL_ASSIGN_OR_RETURN(sqlite::Statement s,
                        db_->Prepare("SELECT name FROM experiments ORDER BY name"));
  std::vector<std::string> names;
  while (true) {
    KEEL_ASSIGN_OR_RETURN(bool row, s.Step());
    if (!row) return names;
    names.push_back(s.ColumnText(0));
  }
}

}  // namespace keel
