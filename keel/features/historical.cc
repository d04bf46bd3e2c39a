#include "keel/features/historical.h"

#include <algorithm>
#include <map>
#include <set>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "keel/base/suggest.h"
#include "keel/features/aggregation.h"
#include "keel/features/derived.h"
#include "keel/features/on_demand.h"
#include "keel/features/point_in_time.h"

namespace keel::features {
namespace {

// InvalidArgument unless `schema` has `column` of `type`. `what` says where
// the column was expected ("the entity rows", "source 's' (dataset d)"),
// `role` what it is for ("join key of view 'v'").
Status CheckColumn(const Schema& schema, const std::string& column, DataType type,
                   const std::string& what, const std::string& role) {
  const int index = schema.IndexOf(column);
  if (index < 0) {
    return absl::InvalidArgumentError(absl::StrCat(
        what, " have no column '", column, "' (", role, ").", DidYouMean(column, schema.names()),
        " Columns: ", absl::StrJoin(schema.names(), ", ")));
  }
  const DataType found = schema.field(index).type;
  if (found != type) {
    return absl::InvalidArgumentError(absl::StrCat(what, ": column '", column, "' (", role,
                                                   "): expected ", std::string(DataTypeName(type)),
                                                   ", found ", std::string(DataTypeName(found))));
  }
  return absl::OkStatus();
}

}  // namespace

Status CheckSourceTable(const FeatureDefinitions& definitions, const FeatureView& view,
                        const Table& rows, const std::vector<std::string>& features) {
  const Source& source = *definitions.FindSource(view.source);
  const std::string from = absl::StrCat("feature view '", view.name, "': source '", source.name,
                                        "' (dataset ", source.dataset, ")");
  KEEL_RETURN_IF_ERROR(CheckColumn(rows.schema(), source.timestamp_field, DataType::kTimestamp,
                                   from, "timestamp_field"));
  for (const TypedName& k : definitions.JoinKeys(view)) {
    KEEL_RETURN_IF_ERROR(CheckColumn(rows.schema(), k.name, k.type, from, "join key"));
  }
  std::set<std::string> checked;
  for (const TypedName& declared : view.features) {
    if (!features.empty() &&
        std::find(features.begin(), features.end(), declared.name) == features.end()) {
      continue;
    }
    // An aggregated feature needs its column.
    const Aggregation* a = view.FindAggregation(declared.name);
    const std::string& column = a == nullptr ? declared.name : a->column;
    if (!checked.insert(column).second) continue;
    KEEL_RETURN_IF_ERROR(
        CheckColumn(rows.schema(), column, a == nullptr ? declared.type : a->column_type, from,
                    a == nullptr ? absl::StrCat("feature declared at ", declared.where)
                                 : absl::StrCat("aggregated column declared at ", a->where)));
  }
  return absl::OkStatus();
}

std::string FeatureColumnName(std::string_view view, std::string_view feature) {
  return absl::StrCat(std::string(view), "__", std::string(feature));
}

StatusOr<Table> GetHistoricalFeatures(const FeatureDefinitions& definitions,
                                      std::string_view service, const Table& entities,
                                      std::string_view entity_time, const SourceReader& read) {
  const FeatureService* s = definitions.FindService(service);
  if (s == nullptr) {
    std::vector<std::string> names;
    for (const FeatureService& x : definitions.services) names.push_back(x.name);
    return absl::NotFoundError(absl::StrCat("unknown feature service '", std::string(service), "'.",
                                            DidYouMean(std::string(service), names), " Services: ",
                                            names.empty() ? "(none)" : absl::StrJoin(names, ", ")));
  }
  const std::string time(entity_time);
  KEEL_RETURN_IF_ERROR(CheckColumn(entities.schema(), time, DataType::kTimestamp, "the entity rows",
                                   "the event time"));
  // The service's features grouped by view, views in first-use order;
  // on-demand views apart, and the features they read joined too.
  KEEL_ASSIGN_OR_RETURN(FeatureReads reads, PlanFeatureReads(definitions, s->features));
  const std::vector<std::string>& view_order = reads.view_order;
  std::map<std::string, std::vector<std::string>>& by_view = reads.by_view;
  const auto& on_demand = reads.on_demand;
  for (const auto& [computed, names] : on_demand) {
    for (const TypedName& field : computed->request_fields) {
      const int index = entities.schema().IndexOf(field.name);
      // An int64 column serves a float64 field (CSV may infer one).
      if (index < 0 || !(entities.schema().field(index).type == DataType::kInt64 &&
                         field.type == DataType::kFloat64)) {
        KEEL_RETURN_IF_ERROR(
            CheckColumn(entities.schema(), field.name, field.type, "the entity rows",
                        absl::StrCat("request field of on-demand view '", computed->name, "'")));
      }
    }
  }
  // (view, feature) -> the joined column.
  std::map<std::pair<std::string, std::string>, Column> joined;
  for (const std::string& view_name : view_order) {
    const FeatureView& view = *definitions.FindView(view_name);
    const Source& source = *definitions.FindSource(view.source);
    const std::string role_suffix = absl::StrCat("of feature view '", view.name, "'");
    std::vector<std::string> keys;
    for (const TypedName& k : definitions.JoinKeys(view)) {
      KEEL_RETURN_IF_ERROR(CheckColumn(entities.schema(), k.name, k.type, "the entity rows",
                                       absl::StrCat("join key ", role_suffix)));
      keys.push_back(k.name);
    }
    StatusOr<Table> read_rows = read(source);
    if (!read_rows.ok()) {
      return absl::Status(read_rows.status().code(),
                          absl::StrCat("feature view '", view.name, "': source '", source.name,
                                       "': ", read_rows.status().message()));
    }
    KEEL_ASSIGN_OR_RETURN(const Table rows, AddDerivedFeatures(view, *read_rows));
    KEEL_RETURN_IF_ERROR(CheckSourceTable(definitions, view, rows, by_view[view_name]));
    std::vector<std::string> left_columns = keys;
    left_columns.push_back(time);
    KEEL_ASSIGN_OR_RETURN(Table left, entities.SelectColumns(left_columns));
    // Plain features by the point-in-time join, aggregated ones over windows.
    std::vector<std::string> plain;
    std::vector<std::string> aggregated;
    for (const std::string& f : by_view[view_name]) {
      (view.FindAggregation(f) == nullptr ? plain : aggregated).push_back(f);
    }
    if (!plain.empty()) {
      PointInTimeOptions options;
      options.join_keys = keys;
      options.entity_time = time;
      options.feature_time = source.timestamp_field;
      options.created_time = source.created_timestamp_field;
      options.ttl_us = view.ttl_us;
      options.features = plain;
      StatusOr<Table> out = PointInTimeJoin(left, rows, options);
      if (!out.ok()) {
        return absl::Status(out.status().code(), absl::StrCat("feature view '", view.name,
                                                              "': ", out.status().message()));
      }
      for (size_t i = 0; i < plain.size(); ++i) {
        joined.emplace(std::make_pair(view_name, plain[i]),
                       out->column(static_cast<int>(left_columns.size() + i)));
      }
    }
    if (!aggregated.empty()) {
      KEEL_ASSIGN_OR_RETURN(
          std::vector<Column> out,
          ComputeHistoricalAggregates(definitions, view, left, time, rows, aggregated));
      for (size_t i = 0; i < aggregated.size(); ++i) {
        joined.emplace(std::make_pair(view_name, aggregated[i]), std::move(out[i]));
      }
    }
  }
  // On-demand features from the request fields and the joined features.
  for (const auto& [computed, names] : on_demand) {
    std::vector<Column> inputs;
    for (const TypedName& field : computed->request_fields) {
      KEEL_ASSIGN_OR_RETURN(Column c, entities.ColumnByName(field.name));
      inputs.push_back(std::move(c));
    }
    for (const FeatureRef& in : computed->feature_inputs) {
      inputs.push_back(joined.at({in.view, in.feature}));
    }
    KEEL_ASSIGN_OR_RETURN(std::vector<Column> out,
                          ComputeOnDemandColumns(*computed, names, inputs, entities.num_rows()));
    for (size_t i = 0; i < names.size(); ++i) {
      joined.emplace(std::make_pair(computed->name, names[i]), std::move(out[i]));
    }
  }
  std::vector<Field> fields = entities.schema().fields();
  std::vector<Column> columns = entities.columns();
  for (const FeatureRef& ref : s->features) {
    const Column& column = joined.at({ref.view, ref.feature});
    fields.push_back(Field{FeatureColumnName(ref.view, ref.feature), column.type(), true});
    columns.push_back(column);
  }
  KEEL_ASSIGN_OR_RETURN(Schema schema, Schema::Make(std::move(fields)));
  return Table::Make(std::move(schema), std::move(columns));
}

}  // namespace keel::features
