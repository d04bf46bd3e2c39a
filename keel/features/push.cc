#include "keel/features/push.h"

#include <algorithm>
#include <nlohmann/json.hpp>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "keel/base/suggest.h"
#include "keel/base/time.h"
#include "keel/features/aggregation.h"
#include "keel/features/aggregation_online.h"
#include "keel/features/derived.h"
#include "keel/table/column.h"

namespace keel::features {
namespace {

constexpr PushTo kPushTos[] = {PushTo::kOnline, PushTo::kOffline, PushTo::kOnlineAndOffline};

using json = nlohmann::json;

Status Bad(std::string_view what) {
  return absl::InvalidArgumentError(absl::StrCat("push: ", std::string(what)));
}

// Appends JSON value `v` (df.<name>[row]) to `b` as `type`.
Status AppendTyped(const json& v, DataType type, const std::string& name, size_t row,
                   ColumnBuilder* b) {
  const std::string where = absl::StrCat("df.", name, "[", row, "]");
  if (v.is_null()) {
    b->AppendNull();
    return absl::OkStatus();
  }
  switch (type) {
    case DataType::kBool:
      if (!v.is_boolean()) break;
      b->AppendBool(v.get<bool>());
      return absl::OkStatus();
    case DataType::kInt64:
      if (!v.is_number_integer()) break;
      b->AppendInt64(v.get<int64_t>());
      return absl::OkStatus();
    case DataType::kFloat64:
      if (!v.is_number()) break;
      b->AppendFloat64(v.get<double>());
      return absl::OkStatus();
    case DataType::kString:
      if (!v.is_string()) break;
      b->AppendString(v.get<std::string>());
      return absl::OkStatus();
    case DataType::kTimestamp:
      if (v.is_number_integer()) {
        b->AppendTimestamp(v.get<int64_t>());
        return absl::OkStatus();
      }
      if (v.is_string()) {
        StatusOr<TimestampMicros> t = ParseTimestamp(v.get<std::string>());
        if (!t.ok()) return Bad(absl::StrCat(where, ": ", t.status().message()));
        b->AppendTimestamp(*t);
        return absl::OkStatus();
      }
      break;
  }
  const char* expected = type == DataType::kBool      ? "true or false"
                         : type == DataType::kInt64   ? "an integer"
                         : type == DataType::kFloat64 ? "a number"
                         : type == DataType::kString  ? "a string"
                                                      : "an RFC 3339 time or integer microseconds";
  return Bad(absl::StrCat(where, ": expected ", expected, " (", std::string(DataTypeName(type)),
                          "), found ", v.type_name()));
}

}  // namespace

std::string_view PushToName(PushTo to) {
  switch (to) {
    case PushTo::kOnline:
      return "online";
    case PushTo::kOffline:
      return "offline";
    case PushTo::kOnlineAndOffline:
      return "online_and_offline";
  }
  return "online";
}

StatusOr<PushRequest> ParsePushRequest(const FeatureDefinitions& definitions,
                                       std::string_view body) {
  const json j = json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) return Bad("the body is not a JSON object");
  for (const auto& [key, value] : j.items()) {
    if (key != "feature_view" && key != "df" && key != "to" && key != "event_ids") {
      return Bad(absl::StrCat("unknown field '", key, "'.",
                              DidYouMean(key, {"feature_view", "df", "to", "event_ids"}),
                              " Fields: feature_view, df, to, event_ids"));
    }
  }
  if (!j.contains("feature_view") || !j["feature_view"].is_string()) {
    return Bad("'feature_view' (a string) is missing");
  }
  PushRequest out;
  if (j.contains("to")) {
    const json& to = j["to"];
    const auto named = std::find_if(std::begin(kPushTos), std::end(kPushTos),
                                    [&](PushTo t) { return to == PushToName(t); });
    if (named == std::end(kPushTos)) {
      return Bad(absl::StrCat("'to' is ", to.dump(),
                              "; it must be \"online\" (the default), \"offline\" or "
                              "\"online_and_offline\""));
    }
    out.to = *named;
  }
  out.feature_view = j["feature_view"].get<std::string>();
  const FeatureView* view = definitions.FindView(out.feature_view);
  if (view == nullptr) {
    std::vector<std::string> names;
    for (const FeatureView& v : definitions.views) names.push_back(v.name);
    return absl::NotFoundError(absl::StrCat("push: unknown feature view '", out.feature_view, "'.",
                                            DidYouMean(out.feature_view, names),
                                            " Views: ", absl::StrJoin(names, ", ")));
  }
  if (!j.contains("df") || !j["df"].is_object() || j["df"].empty()) {
    return Bad("'df' must be an object of column -> array of values");
  }
  const json& df = j["df"];
  // The columns a push may carry, typed: join keys, the time, the plain
  // features; for a view with aggregations also the created time and the
  // aggregated columns (the events' values).
  const Source& source = *definitions.FindSource(view->source);
  std::vector<TypedName> allowed = definitions.JoinKeys(*view);
  const size_t required = allowed.size() + 1;
  allowed.push_back({.name = source.timestamp_field, .type = DataType::kTimestamp});
  for (const TypedName& f : view->features) {
    if (view->FindAggregation(f.name) == nullptr) allowed.push_back(f);
  }
  if (!view->aggregations.empty()) {
    if (!source.created_timestamp_field.empty()) {
      allowed.push_back({.name = source.created_timestamp_field, .type = DataType::kTimestamp});
    }
    for (const TypedName& c : AggregatedColumns(*view)) {
      const bool plain = std::any_of(allowed.begin(), allowed.end(),
                                     [&](const TypedName& a) { return a.name == c.name; });
      if (!plain) allowed.push_back(c);
    }
  }
  std::vector<std::string> allowed_names;
  for (const TypedName& a : allowed) allowed_names.push_back(a.name);

  size_t rows = 0;
  bool first = true;
  for (const auto& [name, values] : df.items()) {
    if (const DerivedFeature* d = view->FindDerived(name); d != nullptr) {
      return Bad(absl::StrCat("df.", name, " is computed by its expression '", d->expression, "' (",
                              d->where, ") from the row's other features; leave it out"));
    }
    if (const Aggregation* a = view->FindAggregation(name); a != nullptr) {
      return Bad(absl::StrCat("df.", name, " is an aggregation of feature view '", view->name,
                              "', computed from the pushed events: push column '", a->column,
                              "' instead"));
    }
    if (std::find(allowed_names.begin(), allowed_names.end(), name) == allowed_names.end()) {
      return Bad(absl::StrCat("df.", name, " is not a join key, the timestamp field or a feature ",
                              "of feature view '", view->name, "'.",
                              DidYouMean(name, allowed_names),
                              " Columns: ", absl::StrJoin(allowed_names, ", ")));
    }
    if (!values.is_array()) return Bad(absl::StrCat("df.", name, " must be an array"));
    if (first) rows = values.size();
    if (values.size() != rows) {
      return Bad(absl::StrCat("df.", name, " has ", values.size(), " values, the first column ",
                              rows, "; every column needs one value per row"));
    }
    first = false;
  }
  if (rows == 0) return Bad("'df' has no rows");
  if (j.contains("event_ids")) {
    const json& ids = j["event_ids"];
    if (!ids.is_array() || ids.size() != rows) {
      return Bad(absl::StrCat("'event_ids' must be an array of ", rows,
                              " strings, one per row of df (ids that make a retried push "
                              "count once in windowed aggregates)"));
    }
    for (size_t r = 0; r < rows; ++r) {
      if (!ids[r].is_string() || ids[r].get<std::string>().empty() ||
          ids[r].get<std::string>().size() > 1024) {
        return Bad(absl::StrCat("event_ids[", r, "]: expected a non-empty string of at most ",
                                "1024 bytes"));
      }
      out.event_ids.push_back(absl::StrCat("push/", ids[r].get<std::string>()));
    }
  }
  std::vector<std::string> names;
  std::vector<Column> columns;
  for (size_t i = 0; i < allowed.size(); ++i) {
    const TypedName& a = allowed[i];
    if (!df.contains(a.name)) {
      if (i < required) {
        return Bad(absl::StrCat("df has no column '", a.name, "' (",
                                i + 1 < required ? "a join key" : "the timestamp field",
                                " of feature view '", view->name, "')"));
      }
      continue;
    }
    ColumnBuilder b(a.type);
    const json& values = df[a.name];
    for (size_t r = 0; r < rows; ++r) {
      if (i < required && values[r].is_null()) {
        return Bad(absl::StrCat("df.", a.name, "[", r, "] is null; join keys and the timestamp ",
                                "need a value"));
      }
      KEEL_RETURN_IF_ERROR(AppendTyped(values[r], a.type, a.name, r, &b));
    }
    names.push_back(a.name);
    columns.push_back(b.Finish());
  }
  KEEL_ASSIGN_OR_RETURN(out.rows, Table::Make(names, std::move(columns)));
  return out;
}

StatusOr<int64_t> PushToOnlineStore(const FeatureDefinitions& definitions,
                                    const PushRequest& request, OnlineStore& store) {
  const FeatureView& view = *definitions.FindView(request.feature_view);
  const OnlineView online = OnlineView::From(definitions, view);
  // The rows with the view's computed features, from the pushed ones
  // (absent: null).
  Table rows = request.rows;
  if (!view.derived.empty()) {
    std::vector<TypedName> inputs;
    for (const DerivedFeature& d : view.derived) {
      inputs.insert(inputs.end(), d.inputs.begin(), d.inputs.end());
    }
    KEEL_ASSIGN_OR_RETURN(Table with_inputs, WithNullColumns(rows, inputs));
    KEEL_ASSIGN_OR_RETURN(rows, AddDerivedFeatures(view, with_inputs));
  }
  int64_t written = 0;
  if (!online.features.empty() || view.aggregations.empty()) {
    KEEL_ASSIGN_OR_RETURN(std::vector<std::string> keys, EncodeEntityKeys(rows, online.join_keys));
    const Source& source = *definitions.FindSource(view.source);
    KEEL_ASSIGN_OR_RETURN(Column time, rows.ColumnByName(source.timestamp_field));
    const std::span<const int64_t> times = time.TimestampValues();
    KEEL_ASSIGN_OR_RETURN(
        written, store.Write(online, {.keys = keys, .event_times = times, .values = &rows}));
  }
  if (!view.aggregations.empty()) {
    KEEL_ASSIGN_OR_RETURN(
        const int64_t events,
        AppendEventsToOnlineStore(definitions, view, rows, store, request.event_ids));
    if (online.features.empty()) written = events;
  }
  return written;
}

}  // namespace keel::features
