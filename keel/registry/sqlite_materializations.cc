// SqliteMetadataStore: finished materialisations of feature views into
// online stores, and the watermark they give.
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <sqlite3.h>

#include "absl/strings/str_cat.h"
#include "keel/base/time.h"
#include "keel/registry/sqlite_metadata_store.h"

namespace keel {
namespace {

constexpr char kColumns[] =
    "id, view, store, start_us, end_us, source_dataset, rows, entities, definitions_version, "
    "finished_at_us";

}  // namespace

StatusOr<MaterializationRecord> SqliteMetadataStore::AddMaterialization(
    const MaterializationRecord& record) {
  MaterializationRecord r = record;
  if (r.finished_at_us == 0) r.finished_at_us = NowMicros();
  KEEL_ASSIGN_OR_RETURN(
      sqlite::Statement insert,
      db_->Prepare("INSERT INTO feature_materializations (view, store, start_us, end_us, "
                   "source_dataset, rows, entities, definitions_version, finished_at_us) "
                   "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"));
  insert.Bind(1, r.view)
      .Bind(2, r.store)
      .Bind(3, r.start_us)
      .Bind(4, r.end_us)
      .Bind(5, r.source_dataset)
      .Bind(6, r.rows)
      .Bind(7, r.entities)
      .Bind(8, r.definitions_version)
      .Bind(9, r.finished_at_us);
  KEEL_RETURN_IF_ERROR(insert.Run());
  r.id = sqlite3_last_insert_rowid(db_->handle());
  return r;
}

StatusOr<std::optional<int64_t>> SqliteMetadataStore::MaterializationWatermark(
    std::string_view store, std::string_view view) {
  KEEL_ASSIGN_OR_RETURN(sqlite::Statement s,
                        db_->Prepare("SELECT MAX(end_us) FROM feature_materializations "
                                     "WHERE store = ? AND view = ?"));
  s.Bind(1, store).Bind(2, view);
  KEEL_ASSIGN_OR_RETURN(bool row, s.Step());
  if (!row || s.ColumnIsNull(0)) return std::nullopt;
  return s.ColumnInt(0);
}

StatusOr<std::vector<MaterializationRecord>> SqliteMetadataStore::ListMaterializations(
    std::string_view view) {
  KEEL_ASSIGN_OR_RETURN(
      sqlite::Statement s,
      db_->Prepare(absl::StrCat("SELECT ", kColumns, " FROM feature_materializations",
                                view.empty() ? "" : " WHERE view = ?", " ORDER BY id DESC")));
  if (!view.empty()) s.Bind(1, view);
  std::vector<MaterializationRecord> out;
  while (true) {
    KEEL_ASSIGN_OR_RETURN(bool row, s.Step());
    if (!row) return out;
    MaterializationRecord r;
    r.id = s.ColumnInt(0);
    r.view = s.ColumnText(1);
    r.store = s.ColumnText(2);
    r.start_us = s.ColumnInt(3);
    r.end_us = s.ColumnInt(4);
    r.source_dataset = s.ColumnText(5);
    r.rows = s.ColumnInt(6);
    r.entities = s.ColumnInt(7);
    r.definitions_version = s.ColumnInt(8);
    r.finished_at_us = s.ColumnInt(9);
    out.push_back(std::move(r));
  }
}

}  // namespace keel
