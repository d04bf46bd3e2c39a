// SqliteMetadataStore: the applied versions of the feature definitions.
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "keel/base/hash.h"
#include "keel/base/time.h"
#include "keel/registry/sqlite_metadata_store.h"

namespace keel {
namespace {

constexpr char kColumns[] = "version, yaml_text, sha256, source, applied_at_us";

FeatureDefinitionsRecord ReadRecord(const sqlite::Statement& s) {
  FeatureDefinitionsRecord r;
  r.version = s.ColumnInt(0);
  r.yaml_text = s.ColumnText(1);
  r.sha256 = s.ColumnText(2);
  r.source = s.ColumnText(3);
  r.applied_at_us = s.ColumnInt(4);
  return r;
}

StatusOr<std::vector<FeatureDefinitionsRecord>> ReadRecords(sqlite::Statement& s) {
  std::vector<FeatureDefinitionsRecord> out;
  while (true) {
    KEEL_ASSIGN_OR_RETURN(bool row, s.Step());
    if (!row) return out;
    out.push_back(ReadRecord(s));
  }
}

}  // namespace

StatusOr<MetadataStore::AppliedFeatureDefinitions> SqliteMetadataStore::AddFeatureDefinitions(
    const FeatureDefinitionsRecord& record) {
  FeatureDefinitionsRecord r = record;
  r.sha256 = Sha256Hex(r.yaml_text);
  if (r.applied_at_us == 0) r.applied_at_us = NowMicros();
  KEEL_ASSIGN_OR_RETURN(sqlite::Transaction txn, sqlite::Transaction::Begin(db_.get()));
  KEEL_ASSIGN_OR_RETURN(
      sqlite::Statement latest,
      db_->Prepare(absl::StrCat("SELECT ", kColumns,
                                " FROM feature_definitions ORDER BY version DESC LIMIT 1")));
  KEEL_ASSIGN_OR_RETURN(bool has_latest, latest.Step());
  r.version = 1;
  if (has_latest) {
    FeatureDefinitionsRecord previous = ReadRecord(latest);
    if (previous.sha256 == r.sha256 && previous.yaml_text == r.yaml_text) {
      return AppliedFeatureDefinitions{std::move(previous), false};
    }
    r.version = previous.version + 1;
  }
  KEEL_ASSIGN_OR_RETURN(
      sqlite::Statement insert,
      db_->Prepare("INSERT INTO feature_definitions (version, yaml_text, sha256, source, "
                   "applied_at_us) VALUES (?, ?, ?, ?, ?)"));
  insert.Bind(1, r.version)
      .Bind(2, r.yaml_text)
      .Bind(3, r.sha256)
      .Bind(4, r.source)
      .Bind(5, r.applied_at_us);
  KEEL_RETURN_IF_ERROR(insert.Run());
  KEEL_RETURN_IF_ERROR(txn.Commit());
  return AppliedFeatureDefinitions{std::move(r), true};
}

StatusOr<std::optional<FeatureDefinitionsRecord>> SqliteMetadataStore::LatestFeatureDefinitions() {
  KEEL_ASSIGN_OR_RETURN(
      sqlite::Statement s,
      db_->Prepare(absl::StrCat("SELECT ", kColumns,
                                " FROM feature_definitions ORDER BY version DESC LIMIT 1")));
  KEEL_ASSIGN_OR_RETURN(std::vector<FeatureDefinitionsRecord> records, ReadRecords(s));
  if (records.empty()) return std::nullopt;
  return std::move(records[0]);
}

StatusOr<std::vector<FeatureDefinitionsRecord>> SqliteMetadataStore::ListFeatureDefinitions() {
  KEEL_ASSIGN_OR_RETURN(
      sqlite::Statement s,
      db_->Prepare(
          absl::StrCat("SELECT ", kColumns, " FROM feature_definitions ORDER BY version DESC")));
  return ReadRecords(s);
}

}  // namespace keel
