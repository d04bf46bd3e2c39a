// SqliteMetadataStore: the outcome of each step of each pipeline run, and
// the cache lookups `keel pipeline run` makes against them.
#include <sqlite3.h>

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "keel/base/time.h"
#include "keel/registry/sqlite_metadata_store.h"

namespace keel {
namespace {

constexpr char kColumns[] =
    "id, pipeline, run_id, step, cache_key, status, started_at_us, finished_at_us, "
    "outputs_json, log_path, message";

StatusOr<std::vector<PipelineStepRunRecord>> ReadStepRuns(sqlite::Statement& s) {
  std::vector<PipelineStepRunRecord> out;
  while (true) {
    KEEL_ASSIGN_OR_RETURN(bool row, s.Step());
    if (!row) return out;
    PipelineStepRunRecord r;
    r.id = s.ColumnInt(0);
    r.pipeline = s.ColumnText(1);
    r.run_id = s.ColumnText(2);
    r.step = s.ColumnText(3);
    r.cache_key = s.ColumnText(4);
    KEEL_ASSIGN_OR_RETURN(r.status, ParsePipelineStepStatus(s.ColumnText(5)));
    r.started_at_us = s.ColumnInt(6);
    r.finished_at_us = s.ColumnInt(7);
    r.outputs_json = s.ColumnText(8);
    r.log_path = s.ColumnText(9);
    r.message = s.ColumnText(10);
    out.push_back(std::move(r));
  }
}

}  // namespace

StatusOr<PipelineStepRunRecord> SqliteMetadataStore::AddPipelineStepRun(
    const PipelineStepRunRecord& record) {
  if (record.pipeline.empty() || record.run_id.empty() || record.step.empty()) {
    return absl::InvalidArgumentError(
        "a pipeline step run needs a pipeline name, a run id and a step name");
  }
  PipelineStepRunRecord r = record;
  if (r.finished_at_us == 0) r.finished_at_us = NowMicros();
  KEEL_ASSIGN_OR_RETURN(
      sqlite::Statement insert,
      db_->Prepare("INSERT INTO pipeline_step_runs (pipeline, run_id, step, cache_key, status, "
                   "started_at_us, finished_at_us, outputs_json, log_path, message) "
                   "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"));
  insert.Bind(1, r.pipeline)
      .Bind(2, r.run_id)
      .Bind(3, r.step)
      .Bind(4, r.cache_key)
      .Bind(5, PipelineStepStatusName(r.status))
      .Bind(6, r.started_at_us)
      .Bind(7, r.finished_at_us)
      .Bind(8, r.outputs_json)
      .Bind(9, r.log_path)
      .Bind(10, r.message);
  KEEL_RETURN_IF_ERROR(insert.Run());
  r.id = sqlite3_last_insert_rowid(db_->handle());
  return r;
}

StatusOr<std::optional<PipelineStepRunRecord>> SqliteMetadataStore::FindSucceededPipelineStep(
    std::string_view pipeline, std::string_view step, std::string_view cache_key) {
  KEEL_ASSIGN_OR_RETURN(
      sqlite::Statement s,
      db_->Prepare(absl::StrCat("SELECT ", kColumns,
                                " FROM pipeline_step_runs WHERE pipeline = ? AND step = ? AND "
                                "cache_key = ? AND status = ? ORDER BY id DESC LIMIT 1")));
  s.Bind(1, pipeline)
      .Bind(2, step)
      .Bind(3, cache_key)
      .Bind(4, PipelineStepStatusName(PipelineStepStatus::kSucceeded));
  KEEL_ASSIGN_OR_RETURN(std::vector<PipelineStepRunRecord> found, ReadStepRuns(s));
  if (found.empty()) return std::nullopt;
  return std::move(found.front());
}

StatusOr<std::vector<PipelineStepRunRecord>> SqliteMetadataStore::ListPipelineStepRuns(
    std::string_view pipeline, int64_t max_runs) {
  // Runs ordered by their first row; then each run's rows in insertion order.
  KEEL_ASSIGN_OR_RETURN(
      sqlite::Statement s,
      db_->Prepare(
          absl::StrCat("WITH runs AS (SELECT run_id, MIN(id) AS first_id FROM pipeline_step_runs "
                       "WHERE pipeline = ?1 GROUP BY run_id ORDER BY first_id DESC LIMIT ?2) "
                       "SELECT ",
                       kColumns,
                       " FROM pipeline_step_runs p JOIN runs USING (run_id) WHERE p.pipeline = ?1 "
                       "ORDER BY runs.first_id DESC, p.id")));
  s.Bind(1, pipeline).Bind(2, max_runs <= 0 ? int64_t{-1} : max_runs);
  return ReadStepRuns(s);
}

StatusOr<std::vector<std::string>> SqliteMetadataStore::ListPipelines() {
  KEEL_ASSIGN_OR_RETURN(
      sqlite::Statement s,
      db_->Prepare("SELECT DISTINCT pipeline FROM pipeline_step_runs ORDER BY pipeline"));
  std::vector<std::string> out;
  while (true) {
    KEEL_ASSIGN_OR_RETURN(bool row, s.Step());
    if (!row) return out;
    out.push_back(s.ColumnText(0));
  }
}

}  // namespace keel
