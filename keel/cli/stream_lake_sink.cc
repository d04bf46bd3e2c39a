#include "keel/cli/stream_lake_sink.h"

#include <algorithm>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "keel/lake/partition.h"

namespace keel::cli {
namespace {

// `tables` one after the other, with the union of their columns (in order
// of first appearance); a column a table lacks is null in its rows.
// Errors: FailedPrecondition for a column with two types.
StatusOr<Table> UnionByName(const std::vector<Table>& tables, const std::string& dataset,
                            const std::string& view) {
  std::vector<std::string> names;
  std::vector<DataType> types;
  for (size_t t = 0; t < tables.size(); ++t) {
    const Schema& schema = tables[t].schema();
    for (int c = 0; c < schema.num_fields(); ++c) {
      const Field& f = schema.field(c);
      const auto it = std::find(names.begin(), names.end(), f.name);
      if (it == names.end()) {
        names.push_back(f.name);
        types.push_back(f.type);
      } else if (types[it - names.begin()] != f.type) {
        return absl::FailedPreconditionError(absl::StrCat(
            "dataset '", dataset, "' column '", f.name, "' is ",
            std::string(DataTypeName(types[it - names.begin()])), " but the streamed events of ",
            "feature view '", view, "' have ", std::string(DataTypeName(f.type)),
            "; make the declared type in features.yaml match the dataset, or stream into "
            "another dataset (--offline-dataset)"));
      }
    }
  }
  std::vector<Table> aligned;
  for (const Table& t : tables) {
    std::vector<Column> columns;
    for (size_t i = 0; i < names.size(); ++i) {
      const int index = t.schema().IndexOf(names[i]);
      columns.push_back(index >= 0 ? t.column(index) : NullColumn(types[i], t.num_rows()));
    }
    KEEL_ASSIGN_OR_RETURN(Table table, Table::Make(names, std::move(columns)));
    aligned.push_back(std::move(table));
  }
  return ConcatTables(aligned);
}

}  // namespace

StatusOr<std::string> LakeEventSink::DatasetFor(const features::FeatureView& view) const {
  if (!dataset_.empty()) return dataset_;
  const features::Source& source = *definitions_.FindSource(view.source);
  if (!source.sql.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "feature view '", view.name, "' reads a SQL query (source '", source.name,
        "'), which streamed events cannot be appended to; give --offline-dataset NAME to keep "
        "them in the lake, or --offline-dataset none"));
  }
  if (source.online_only()) {
    return absl::FailedPreconditionError(absl::StrCat(
        "feature view '", view.name, "' reads push source '", source.name,
        "', which names no dataset to keep its rows offline; add `dataset: NAME` to the source "
        "in features.yaml (or give --offline-dataset NAME, or --offline-dataset none for online "
        "only)"));
  }
  KEEL_ASSIGN_OR_RETURN(DatasetRef ref, ParseDatasetRef(source.dataset));
  if (!ref.version.empty()) {
    return absl::FailedPreconditionError(absl::StrCat(
        "feature view '", view.name, "' reads dataset '", source.dataset, "' (source '",
        source.name,
        "' pins a version), so streamed events appended as a new version would not "
        "be seen; give --offline-dataset NAME to append them elsewhere, or --offline-dataset "
        "none to keep them online only"));
  }
  return ref.name;
}

Status LakeEventSink::Append(const features::OfflineEvents& events) {
  KEEL_ASSIGN_OR_RETURN(const std::string name, DatasetFor(*events.view));
  std::vector<Table> parts;
  std::string extends = "a new dataset";
  IngestOptions options;
  StatusOr<DatasetVersionRecord> latest = lake_.Resolve(name);
  if (latest.ok()) {
    KEEL_ASSIGN_OR_RETURN(Table rows, lake_.ReadTable(*latest));
    parts.push_back(std::move(rows));
    extends = absl::StrCat(name, "@", latest->version.substr(0, 12));
    options.partition_by = latest->partition_column;
  } else if (!absl::IsNotFound(latest.status())) {
    return latest.status();
  }
  parts.insert(parts.end(), events.batches.begin(), events.batches.end());
  KEEL_ASSIGN_OR_RETURN(Table table, UnionByName(parts, name, events.view->name));
  const TableSource source{
      .format = events.format,
      .source =
          absl::StrCat(origin_, " ids ", events.first_id, "..", events.last_id, ": ", events.rows,
                       " events of feature view '", events.view->name, "' appended to ", extends),
      .raw_name =
          absl::StrCat(events.format == "push" ? "push-" : "stream-", events.first_id,
                       events.first_id == events.last_id ? "" : "-" + events.last_id, ".jsonl"),
      .raw_bytes = events.raw_jsonl};
  KEEL_ASSIGN_OR_RETURN(IngestResult result, lake_.IngestTable(table, source, name, options));
  written_[name] = result.version.version;
  return absl::OkStatus();
}

}  // namespace keel::cli
