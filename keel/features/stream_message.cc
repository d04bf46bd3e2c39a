#include "keel/features/stream_message.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <nlohmann/json.hpp>
#include <optional>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "keel/base/suggest.h"
#include "keel/base/time.h"
#include "keel/features/aggregation.h"

namespace keel::features {
namespace {

using json = nlohmann::json;

// The columns a message of one view may carry, typed: the join keys and the
// timestamp field (required), then the plain features and the columns that
// aggregations read.
struct ViewColumns {
  const FeatureView* view = nullptr;
  std::vector<TypedName> columns;
  size_t required = 0;  // the first `required` columns must have a value
  std::vector<std::string> names;
};

ViewColumns ColumnsOf(const FeatureDefinitions& definitions, const FeatureView& view) {
  ViewColumns c;
  c.view = &view;
  c.columns = definitions.JoinKeys(view);
  c.columns.push_back(
      {.name = definitions.FindSource(view.source)->timestamp_field, .type = DataType::kTimestamp});
  c.required = c.columns.size();
  auto add = [&c](const std::string& name, DataType type) {
    for (const TypedName& known : c.columns) {
      if (known.name == name) return;
    }
    c.columns.push_back({.name = name, .type = type});
  };
  for (const TypedName& f : view.features) {
    if (view.FindAggregation(f.name) == nullptr) add(f.name, f.type);
  }
  if (!view.aggregations.empty()) {  // the events' created time and values, as push takes them
    const std::string& created = definitions.FindSource(view.source)->created_timestamp_field;
    if (!created.empty()) add(created, DataType::kTimestamp);
    for (const TypedName& column : AggregatedColumns(view)) add(column.name, column.type);
  }
  for (const TypedName& t : c.columns) c.names.push_back(t.name);
  return c;
}

// `text` quoted for a message, cut after 60 characters.
std::string Quoted(std::string_view text) {
  constexpr size_t kMax = 60;
  if (text.size() <= kMax) return absl::StrCat("'", std::string(text), "'");
  return absl::StrCat("'", std::string(text.substr(0, kMax)), "...' (", text.size(), " bytes)");
}

template <typename T>
bool ParseWhole(std::string_view text, T* out) {
  const char* end = text.data() + text.size();
  const auto [ptr, ec] = std::from_chars(text.data(), end, *out);
  return ec == std::errc() && ptr == end && !text.empty();
}

// `text` as the JSON value ParsePushRequest takes for `type`, the time also
// in *time_us. Errors: InvalidArgument naming the field, its value and what
// was expected.
StatusOr<json> TypedValue(const TypedName& column, std::string_view text, int64_t* time_us) {
  auto bad = [&](std::string_view expected) {
    return absl::InvalidArgumentError(absl::StrCat("field '", column.name, "' = ", Quoted(text),
                                                   " is not ", std::string(expected)));
  };
  switch (column.type) {
    case DataType::kInt64: {
      int64_t v = 0;
      if (!ParseWhole(text, &v)) return bad("an integer (int64)");
      return json(v);
    }
    case DataType::kFloat64: {
      double v = 0;
      if (!ParseWhole(text, &v) || !std::isfinite(v)) return bad("a finite number (float64)");
      return json(v);
    }
    case DataType::kBool: {
      const std::string lower = absl::AsciiStrToLower(std::string(text));
      if (lower == "true" || lower == "1") return json(true);
      if (lower == "false" || lower == "0") return json(false);
      return bad("a bool (true, false, 1 or 0)");
    }
    case DataType::kString:
      return json(std::string(text));
    case DataType::kTimestamp: {
      int64_t v = 0;
      if (text.find_first_not_of("-0123456789") == std::string_view::npos && ParseWhole(text, &v)) {
        *time_us = v;
        return json(v);
      }
      StatusOr<TimestampMicros> t = ParseTimestamp(text);
      if (!t.ok()) {
        return absl::InvalidArgumentError(
            absl::StrCat("field '", column.name, "' = ", Quoted(text),
                         " is not a time (RFC 3339, e.g. 2024-01-02T03:04:05Z, or integer "
                         "microseconds since the epoch): ",
                         t.status().message()));
      }
      *time_us = *t;
      return json(*t);
    }
  }
  return bad("of a known type");
}

// One good message: its values in ViewColumns order (null where not given).
struct Row {
  size_t message = 0;
  int64_t event_time_us = 0;
  std::vector<json> values;
};

// The row of `message`. Errors: what is wrong with it.
StatusOr<Row> ParseRow(const ViewColumns& c, const StreamMessage& message, size_t index) {
  Row row{.message = index, .values = std::vector<json>(c.columns.size())};
  std::vector<bool> given(c.columns.size(), false);
  for (const auto& [name, text] : message.fields) {
    if (name == kFeatureViewField) continue;
    const auto it = std::find(c.names.begin(), c.names.end(), name);
    if (const Aggregation* a = c.view->FindAggregation(name); a != nullptr) {
      return absl::InvalidArgumentError(
          absl::StrCat("field '", name, "' is an aggregation of feature view '", c.view->name,
                       "', computed from the events: send field '", a->column, "' instead"));
    }
    if (it == c.names.end()) {
      return absl::InvalidArgumentError(absl::StrCat(
          "field '", name,
          "' is not a join key, the timestamp field or a feature of feature view '", c.view->name,
          "'.", DidYouMean(name, c.names), " Fields: ", absl::StrJoin(c.names, ", ")));
    }
    const size_t i = it - c.names.begin();
    if (given[i]) {
      return absl::InvalidArgumentError(absl::StrCat("field '", name, "' is given twice"));
    }
    given[i] = true;
    if (text.empty()) continue;  // null; refused below for keys and the time
    int64_t time_us = 0;
    KEEL_ASSIGN_OR_RETURN(row.values[i], TypedValue(c.columns[i], text, &time_us));
    if (i + 1 == c.required) row.event_time_us = time_us;
  }
  for (size_t i = 0; i < c.required; ++i) {
    if (row.values[i].is_null()) {
      return absl::InvalidArgumentError(
          absl::StrCat(given[i] ? "empty" : "missing", " field '", c.names[i], "' (",
                       i + 1 < c.required ? "a join key" : "the timestamp field",
                       " of feature view '", c.view->name, "')"));
    }
  }
  return row;
}

// The push body of `rows`: only the columns some row gives.
std::string PushBody(const ViewColumns& c, std::span<const Row> rows) {
  json df = json::object();
  for (size_t i = 0; i < c.columns.size(); ++i) {
    bool any = i < c.required;
    for (const Row& r : rows) any = any || !r.values[i].is_null();
    if (!any) continue;
    json values = json::array();
    for (const Row& r : rows) values.push_back(r.values[i]);
    df[c.names[i]] = std::move(values);
  }
  return json{{"feature_view", c.view->name}, {"df", std::move(df)}}.dump();
}

ParsedStreamBatch::ViewRows MakeViewRows(PushRequest request, std::span<const Row> rows) {
  ParsedStreamBatch::ViewRows out{.request = std::move(request)};
  for (const Row& r : rows) {
    out.messages.push_back(r.message);
    out.event_times.push_back(r.event_time_us);
  }
  return out;
}

}  // namespace

ParsedStreamBatch ParseStreamMessages(const FeatureDefinitions& definitions,
                                      std::string_view default_view,
                                      std::span<const StreamMessage> messages) {
  ParsedStreamBatch out;
  std::vector<ViewColumns> views;  // in order of first appearance
  std::vector<std::vector<Row>> rows;
  std::vector<std::string> all_views;
  for (const FeatureView& v : definitions.views) all_views.push_back(v.name);

  for (size_t m = 0; m < messages.size(); ++m) {
    std::optional<std::string> name;
    for (const auto& [field, text] : messages[m].fields) {
      if (field == kFeatureViewField) name = text;
    }
    if (!name && default_view.empty()) {
      out.bad.push_back(
          {m, absl::StrCat("no '", kFeatureViewField,
                           "' field, and the consumer has no default view (--view)")});
      continue;
    }
    if (!name) name = std::string(default_view);
    size_t v = 0;
    while (v < views.size() && views[v].view->name != *name) ++v;
    if (v == views.size()) {
      const FeatureView* view = definitions.FindView(*name);
      if (view == nullptr) {
        out.bad.push_back({m, absl::StrCat("unknown feature view ", Quoted(*name), ".",
                                           DidYouMean(*name, all_views),
                                           " Views: ", absl::StrJoin(all_views, ", "))});
        continue;
      }
      views.push_back(ColumnsOf(definitions, *view));
      rows.emplace_back();
    }
    StatusOr<Row> row = ParseRow(views[v], messages[m], m);
    if (!row.ok()) {
      out.bad.push_back({m, std::string(row.status().message())});
      continue;
    }
    rows[v].push_back(*std::move(row));
  }

  for (size_t v = 0; v < views.size(); ++v) {
    if (rows[v].empty()) continue;
    StatusOr<PushRequest> request = ParsePushRequest(definitions, PushBody(views[v], rows[v]));
    if (request.ok()) {
      out.views.push_back(MakeViewRows(*std::move(request), rows[v]));
      continue;
    }
    // Something the checks above let through: find the messages push
    // refuses, one at a time, and keep the others.
    std::vector<Row> good;
    for (Row& r : rows[v]) {
      StatusOr<PushRequest> one =
          ParsePushRequest(definitions, PushBody(views[v], std::span<const Row>(&r, 1)));
      if (one.ok()) {
        good.push_back(std::move(r));
      } else {
        out.bad.push_back({r.message, std::string(one.status().message())});
      }
    }
    if (good.empty()) continue;
    request = ParsePushRequest(definitions, PushBody(views[v], good));
    if (request.ok()) {
      out.views.push_back(MakeViewRows(*std::move(request), good));
    } else {
      for (const Row& r : good)
        out.bad.push_back({r.message, std::string(request.status().message())});
    }
  }
  std::sort(out.bad.begin(), out.bad.end(),
            [](const auto& a, const auto& b) { return a.message < b.message; });
  return out;
}

}  // namespace keel::features
