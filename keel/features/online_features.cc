#include "keel/features/online_features.h"

#include <charconv>
#include <map>

#include <nlohmann/json.hpp>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "keel/base/json_string.h"
#include "keel/base/suggest.h"
#include "keel/base/time.h"
#include "keel/features/aggregation_online.h"

namespace keel::features {
namespace {

using json = nlohmann::json;

constexpr char kEpoch[] = "1970-01-01T00:00:00Z";

Status BadRequest(std::string_view what) {
  return absl::InvalidArgumentError(absl::StrCat("get-online-features: ", std::string(what)));
}

void AppendValue(const FeatureValue& v, std::string* out) {
  if (v.is_null) {
    out->append("null");
    return;
  }
  char buf[32];
  switch (v.type) {
    case DataType::kBool:
      out->append(v.int_value != 0 ? "true" : "false");
      return;
    case DataType::kInt64: {
      const auto r = std::to_chars(buf, buf + sizeof(buf), v.int_value);
      out->append(buf, r.ptr);
      return;
    }
    case DataType::kFloat64: {
      if (!std::isfinite(v.float_value)) {
        out->append("null");  // JSON has no NaN or infinity
        return;
      }
      const auto r = std::to_chars(buf, buf + sizeof(buf), v.float_value);
      out->append(buf, r.ptr);
      // "2350.0", not "2350": clients that type by the JSON text (Python's
      // json) then see a float for a float64 feature.
      if (std::string_view(buf, r.ptr - buf).find_first_of(".e") == std::string_view::npos) {
        out->append(".0");
      }
      return;
    }
    case DataType::kString:
      AppendJsonString(v.string_value, out);
      return;
    case DataType::kTimestamp:
      AppendJsonString(FormatRfc3339(v.int_value), out);
      return;
  }
}

// One output column: its name, and per entity row the value, status and time.
struct ResultColumn {
  std::string name;
  std::vector<FeatureValue> values;
  std::vector<const char*> statuses;
  std::vector<int64_t> times;  // INT64_MIN: the epoch
};

}  // namespace

StatusOr<OnlineFeaturesRequest> ParseOnlineFeaturesRequest(std::string_view body) {
  json j = json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) return BadRequest("the body is not a JSON object");
  OnlineFeaturesRequest r;
  for (const auto& [key, value] : j.items()) {
    if (key == "feature_service") {
      if (!value.is_string()) return BadRequest("'feature_service' must be a string");
      r.feature_service = value.get<std::string>();
    } else if (key == "features") {
      if (!value.is_array()) return BadRequest("'features' must be an array of \"view:feature\"");
      for (const json& f : value) {
        if (!f.is_string()) return BadRequest("'features' must be an array of \"view:feature\"");
        r.features.push_back(f.get<std::string>());
      }
    } else if (key == "full_feature_names") {
      if (!value.is_boolean()) return BadRequest("'full_feature_names' must be true or false");
      r.full_feature_names = value.get<bool>();
    } else if (key == "entities") {
      if (!value.is_object() || value.empty()) {
        return BadRequest(
            "'entities' must be an object of join key -> array of values, e.g. "
            "{\"customer_id\": [1, 2]}");
      }
      for (const auto& [name, values] : value.items()) {
        if (!values.is_array()) {
          return BadRequest(absl::StrCat("entities.", name, " must be an array of values"));
        }
        OnlineFeaturesRequest::EntityColumn c{.name = name, .numbers = true};
        for (size_t i = 0; i < values.size(); ++i) {
          const json& v = values[i];
          if (v.is_number_integer()) {
            c.values.push_back(v.dump());
          } else if (v.is_string()) {
            c.values.push_back(v.get<std::string>());
            c.numbers = false;
          } else if (v.is_number()) {
            c.values.push_back(v.dump());
          } else {
            return BadRequest(absl::StrCat("entities.", name, "[", i, "]: expected a number or a ",
                                           "string, found ", v.type_name()));
          }
        }
        if (!r.entities.empty() && c.values.size() != r.entities[0].values.size()) {
          return BadRequest(absl::StrCat("entities.", name, " has ", c.values.size(),
                                         " values, entities.", r.entities[0].name, " has ",
                                         r.entities[0].values.size(), "; they must match"));
        }
        r.entities.push_back(std::move(c));
      }
    } else {
      return BadRequest(absl::StrCat(
          "unknown field '", key, "'.",
          DidYouMean(key, {"feature_service", "features", "entities", "full_feature_names"}),
          " Fields: feature_service or features, entities, full_feature_names"));
    }
  }
  if (r.feature_service.empty() == r.features.empty()) {
    return BadRequest("give exactly one of 'feature_service' and 'features'");
  }
  if (r.entities.empty()) return BadRequest("'entities' is missing");
  if (r.entities[0].values.empty()) return BadRequest("'entities' has no rows");
  return r;
}

StatusOr<std::string> GetOnlineFeaturesJson(const FeatureDefinitions& definitions,
                                            OnlineStore& store,
                                            const OnlineFeaturesRequest& request,
                                            int64_t now_us) {
  // The features, grouped by view in first-use order.
  std::vector<FeatureRef> refs;
  if (!request.feature_service.empty()) {
    const FeatureService* s = definitions.FindService(request.feature_service);
    if (s == nullptr) {
      std::vector<std::string> names;
      for (const FeatureService& x : definitions.services) names.push_back(x.name);
      return absl::NotFoundError(absl::StrCat(
          "unknown feature service '", request.feature_service, "'.",
          DidYouMean(request.feature_service, names),
          " Services: ", names.empty() ? "(none)" : absl::StrJoin(names, ", ")));
    }
    refs = s->features;
  } else {
    for (const std::string& text : request.features) {
      const size_t colon = text.find(':');
      if (colon == std::string::npos) {
        return absl::InvalidArgumentError(
            absl::StrCat("feature '", text, "': expected \"view:feature\""));
      }
      refs.push_back({text.substr(0, colon), text.substr(colon + 1)});
    }
  }
  std::vector<std::string> view_order;
  std::map<std::string, std::vector<std::string>> by_view;
  for (const FeatureRef& ref : refs) {
    const FeatureView* view = definitions.FindView(ref.view);
    if (view == nullptr) {
      std::vector<std::string> names;
      for (const FeatureView& v : definitions.views) names.push_back(v.name);
      return absl::NotFoundError(absl::StrCat("unknown feature view '", ref.view, "'.",
                                              DidYouMean(ref.view, names),
                                              " Views: ", absl::StrJoin(names, ", ")));
    }
    if (by_view.count(ref.view) == 0) view_order.push_back(ref.view);
    by_view[ref.view].push_back(ref.feature);
  }

  const size_t rows = request.entities[0].values.size();
  std::vector<ResultColumn> columns;
  for (const auto& e : request.entities) {
    ResultColumn c{.name = e.name};
    c.statuses.assign(rows, "PRESENT");
    c.times.assign(rows, INT64_MIN);
    columns.push_back(std::move(c));
  }
  // (view, feature) -> index into columns
  std::map<std::pair<std::string, std::string>, size_t> where;
  // int64 join keys as canonical decimal text ("042" -> "42"), checked once.
  std::map<std::string, std::vector<std::string>> int_keys;
  std::vector<OnlineRow> read;
  for (const std::string& view_name : view_order) {
    const FeatureView& view = *definitions.FindView(view_name);
    const OnlineView online = OnlineView::From(definitions, view);
    // Each row's key from the request's entity columns.
    std::vector<const std::vector<std::string>*> key_columns;
    for (const TypedName& k : online.join_keys) {
      const OnlineFeaturesRequest::EntityColumn* found = nullptr;
      for (const auto& e : request.entities) {
        if (e.name == k.name) found = &e;
      }
      if (found == nullptr) {
        return absl::InvalidArgumentError(
            absl::StrCat("entities: no join key '", k.name, "', needed by feature view '",
                         view.name, "'"));
      }
      if (k.type == DataType::kInt64 && int_keys.count(k.name) == 0) {
        std::vector<std::string>& canonical = int_keys[k.name];
        for (size_t r = 0; r < rows; ++r) {
          const std::string& text = found->values[r];
          int64_t value = 0;
          const auto res = std::from_chars(text.data(), text.data() + text.size(), value);
          if (res.ec != std::errc() || res.ptr != text.data() + text.size()) {
            return absl::InvalidArgumentError(absl::StrCat(
                "entities.", k.name, "[", r, "]: '", text, "' is not an int64 (the join key's type)"));
          }
          canonical.push_back(absl::StrCat(value));
        }
      }
      if (k.type == DataType::kInt64) found = nullptr;  // keys from the canonical text
      key_columns.push_back(found != nullptr ? &found->values : &int_keys.at(k.name));
    }
    std::vector<std::string> keys(rows);
    std::vector<std::string> values(key_columns.size());
    for (size_t r = 0; r < rows; ++r) {
      for (size_t j = 0; j < key_columns.size(); ++j) values[j] = (*key_columns[j])[r];
      keys[r] = EncodeEntityKey(online.join_keys, values);
    }
    // Plain features are read as stored, aggregated ones computed at now_us.
    std::vector<std::string> plain;
    std::vector<std::string> aggregated;
    for (const std::string& name : by_view[view_name]) {
      if (view.FindAggregation(name) != nullptr) {
        aggregated.push_back(name);
      } else if (online.FeatureIndex(name) >= 0) {
        plain.push_back(name);
      } else {
        std::vector<std::string> all;
        for (const TypedName& f : view.features) all.push_back(f.name);
        return absl::NotFoundError(absl::StrCat("feature view '", view.name, "' has no feature '",
                                                name, "'.", DidYouMean(name, all),
                                                " Features: ", absl::StrJoin(all, ", ")));
      }
    }
    for (const std::vector<std::string>* names : {&plain, &aggregated}) {
      if (names->empty()) continue;
      const Status s = names == &plain ? store.Read(online, keys, *names, now_us, &read)
                                       : ReadAggregatedFeatures(store, definitions, view, keys,
                                                                *names, now_us, &read);
      if (!s.ok()) {
        return absl::Status(
            s.code() == absl::StatusCode::kInvalidArgument ? absl::StatusCode::kNotFound : s.code(),
            s.message());
      }
      for (size_t f = 0; f < names->size(); ++f) {
        const std::string& name = (*names)[f];
        ResultColumn c{.name =
                           request.full_feature_names ? absl::StrCat(view_name, "__", name) : name};
        c.values.resize(rows);
        c.statuses.resize(rows);
        c.times.resize(rows);
        for (size_t r = 0; r < rows; ++r) {
          const OnlineRow& row = read[r];
          c.values[r] = row.values[f];
          c.times[r] = row.found ? row.event_time : INT64_MIN;
          c.statuses[r] = row.found     ? (row.values[f].is_null ? "NULL_VALUE" : "PRESENT")
                          : row.expired ? "OUTSIDE_MAX_AGE"
                                        : "NOT_FOUND";
        }
        where[{view_name, name}] = columns.size();
        columns.push_back(std::move(c));
      }
    }
  }

  // Render: entity columns first, then the features in request order.
  std::vector<size_t> order;
  for (size_t i = 0; i < request.entities.size(); ++i) order.push_back(i);
  for (const FeatureRef& ref : refs) order.push_back(where.at({ref.view, ref.feature}));
  std::string out = "{\"metadata\":{\"feature_names\":[";
  for (size_t i = 0; i < order.size(); ++i) {
    if (i > 0) out.push_back(',');
    AppendJsonString(columns[order[i]].name, &out);
  }
  out.append("]},\"results\":[");
  for (size_t i = 0; i < order.size(); ++i) {
    const ResultColumn& c = columns[order[i]];
    if (i > 0) out.push_back(',');
    out.append("{\"values\":[");
    for (size_t r = 0; r < rows; ++r) {
      if (r > 0) out.push_back(',');
      if (order[i] < request.entities.size()) {
        const auto& e = request.entities[order[i]];
        const auto canonical = int_keys.find(e.name);
        if (canonical != int_keys.end()) {
          out.append(canonical->second[r]);
        } else if (e.numbers) {
          out.append(e.values[r]);
        } else {
          AppendJsonString(e.values[r], &out);
        }
      } else {
        AppendValue(c.values[r], &out);
      }
    }
    out.append("],\"statuses\":[");
    for (size_t r = 0; r < rows; ++r) {
      if (r > 0) out.push_back(',');
      AppendJsonString(c.statuses[r], &out);
    }
    out.append("],\"event_timestamps\":[");
    for (size_t r = 0; r < rows; ++r) {
      if (r > 0) out.push_back(',');
      AppendJsonString(c.times[r] == INT64_MIN ? std::string(kEpoch) : FormatRfc3339(c.times[r]),
                       &out);
    }
    out.append("]}");
  }
  out.append("]}");
  return out;
}

}  // namespace keel::features
