#include "keel/features/online_features.h"

#include <algorithm>
#include <charconv>
#include <map>
#include <nlohmann/json.hpp>
#include <set>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "keel/base/json_string.h"
#include "keel/base/suggest.h"
#include "keel/base/time.h"
#include "keel/features/aggregation_online.h"
#include "keel/features/on_demand.h"

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

// Request field `field` of `view` for each of `rows` rows: from
// request_context, else from the entity columns, as the field's type.
StatusOr<std::vector<FeatureValue>> RequestFieldValues(const OnlineFeaturesRequest& request,
                                                       const OnDemandView& view,
                                                       const TypedName& field, size_t rows) {
  std::vector<FeatureValue> out;
  out.reserve(rows);
  const std::string type(DataTypeName(field.type));
  for (const auto& c : request.request_context) {
    if (c.name != field.name) continue;
    for (size_t r = 0; r < rows; ++r) {
      FeatureValue v = c.values[r];
      if (field.type == DataType::kTimestamp && !v.is_null && v.type == DataType::kString) {
        StatusOr<TimestampMicros> t = ParseTimestamp(v.string_value);
        if (!t.ok()) {
          return BadRequest(
              absl::StrCat("request_context.", c.name, "[", r, "]: ", t.status().message()));
        }
        v = FeatureValue{.type = DataType::kTimestamp, .is_null = false, .int_value = *t};
      } else if (field.type == DataType::kTimestamp && v.type == DataType::kInt64) {
        v.type = DataType::kTimestamp;  // microseconds since the epoch
      }
      StatusOr<FeatureValue> typed = ToInputType(std::move(v), field.type);
      if (!typed.ok()) {
        return BadRequest(absl::StrCat("request_context.", c.name, "[", r,
                                       "]: ", typed.status().message(),
                                       " (request field of "
                                       "on-demand view '",
                                       view.name, "')"));
      }
      out.push_back(*std::move(typed));
    }
    return out;
  }
  for (const auto& e : request.entities) {
    if (e.name != field.name) continue;
    for (size_t r = 0; r < rows; ++r) {
      const std::string& text = e.values[r];
      FeatureValue v{.type = field.type, .is_null = false};
      bool ok = true;
      const char* end = text.data() + text.size();
      switch (field.type) {
        case DataType::kBool:
          ok = text == "true" || text == "false";
          v.int_value = text == "true";
          break;
        case DataType::kInt64: {
          const auto res = std::from_chars(text.data(), end, v.int_value);
          ok = res.ec == std::errc() && res.ptr == end;
          break;
        }
        case DataType::kFloat64: {
          const auto res = std::from_chars(text.data(), end, v.float_value);
          ok = res.ec == std::errc() && res.ptr == end;
          break;
        }
        case DataType::kString:
          v.string_value = text;
          break;
        case DataType::kTimestamp: {
          if (e.numbers) {
            const auto res = std::from_chars(text.data(), end, v.int_value);
            ok = res.ec == std::errc() && res.ptr == end;
          } else {
            StatusOr<TimestampMicros> t = ParseTimestamp(text);
            ok = t.ok();
            if (ok) v.int_value = *t;
          }
          break;
        }
      }
      if (!ok) {
        return BadRequest(absl::StrCat("entities.", e.name, "[", r, "]: '", text, "' is not a ",
                                       type, " (request field of on-demand view '", view.name,
                                       "')"));
      }
      out.push_back(std::move(v));
    }
    return out;
  }
  return BadRequest(absl::StrCat("request field '", field.name, "' (", type,
                                 ") of on-demand view '", view.name,
                                 "' is missing; send it in \"request_context\": {\"", field.name,
                                 "\": [...]} (or in \"entities\")"));
}

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
    } else if (key == "request_context") {
      if (!value.is_object()) {
        return BadRequest(
            "'request_context' must be an object of request field -> array of values, e.g. "
            "{\"amount\": [12.5, 3]}");
      }
      for (const auto& [name, values] : value.items()) {
        if (!values.is_array()) {
          return BadRequest(absl::StrCat("request_context.", name, " must be an array of values"));
        }
        OnlineFeaturesRequest::RequestColumn c{.name = name};
        for (size_t i = 0; i < values.size(); ++i) {
          const json& v = values[i];
          FeatureValue f;
          f.is_null = v.is_null();
          if (v.is_boolean()) {
            f = {.type = DataType::kBool, .is_null = false, .int_value = v.get<bool>()};
          } else if (v.is_number_integer() && !v.is_number_unsigned()) {
            f = {.type = DataType::kInt64, .is_null = false, .int_value = v.get<int64_t>()};
          } else if (v.is_number()) {
            f = {.type = DataType::kFloat64, .is_null = false, .float_value = v.get<double>()};
          } else if (v.is_string()) {
            f = {.type = DataType::kString, .is_null = false, .string_value = v.get<std::string>()};
          } else if (!v.is_null()) {
            return BadRequest(absl::StrCat("request_context.", name, "[", i,
                                           "]: expected a number, string, bool or null, found ",
                                           v.type_name()));
          }
          c.values.push_back(std::move(f));
        }
        r.request_context.push_back(std::move(c));
      }
    } else {
      return BadRequest(
          absl::StrCat("unknown field '", key, "'.",
                       DidYouMean(key, {"feature_service", "features", "entities",
                                        "full_feature_names", "request_context"}),
                       " Fields: feature_service or features, entities, request_context, "
                       "full_feature_names"));
    }
  }
  if (r.feature_service.empty() == r.features.empty()) {
    return BadRequest("give exactly one of 'feature_service' and 'features'");
  }
  if (r.entities.empty() && r.request_context.empty()) return BadRequest("'entities' is missing");
  const auto& first_name = r.entities.empty() ? r.request_context[0].name : r.entities[0].name;
  const size_t rows =
      r.entities.empty() ? r.request_context[0].values.size() : r.entities[0].values.size();
  if (rows == 0) return BadRequest("'entities' has no rows");
  for (const auto& c : r.request_context) {
    if (c.values.size() != rows) {
      return BadRequest(absl::StrCat("request_context.", c.name, " has ", c.values.size(),
                                     " values, ",
                                     r.entities.empty() ? "request_context." : "entities.",
                                     first_name, " has ", rows, "; they must match"));
    }
  }
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
  // The features on-demand views read are read too (not shown unless asked for).
  KEEL_ASSIGN_OR_RETURN(FeatureReads reads, PlanFeatureReads(definitions, refs));
  std::vector<std::string>& view_order = reads.view_order;
  std::map<std::string, std::vector<std::string>>& by_view = reads.by_view;
  const auto& on_demand = reads.on_demand;
  std::set<std::string> request_fields;
  for (const auto& [computed, names] : on_demand) {
    for (const TypedName& f : computed->request_fields) request_fields.insert(f.name);
  }

  const size_t rows = request.entities.empty() ? request.request_context[0].values.size()
                                               : request.entities[0].values.size();
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

  // On-demand features, row by row from the request fields and what was read.
  for (const auto& [computed, names] : on_demand) {
    const OnDemandView& view = *computed;
    KEEL_ASSIGN_OR_RETURN(std::vector<int> indices, OnDemandFeatureIndices(view, names));
    std::vector<std::vector<FeatureValue>> fields;
    for (const TypedName& f : view.request_fields) {
      KEEL_ASSIGN_OR_RETURN(std::vector<FeatureValue> values,
                            RequestFieldValues(request, view, f, rows));
      fields.push_back(std::move(values));
    }
    std::vector<const std::vector<FeatureValue>*> slots;
    for (const auto& values : fields) slots.push_back(&values);
    for (const FeatureRef& in : view.feature_inputs) {
      slots.push_back(&columns[where.at({in.view, in.feature})].values);
    }
    const size_t first = columns.size();
    for (const std::string& name : names) {
      ResultColumn c{.name =
                         request.full_feature_names ? absl::StrCat(view.name, "__", name) : name};
      c.values.resize(rows);
      c.statuses.resize(rows);
      c.times.assign(rows, INT64_MIN);
      columns.push_back(std::move(c));
    }
    std::vector<FeatureValue> inputs(slots.size());
    std::vector<FeatureValue> out(indices.size());
    for (size_t r = 0; r < rows; ++r) {
      for (size_t s = 0; s < slots.size(); ++s) inputs[s] = (*slots[s])[r];
      KEEL_RETURN_IF_ERROR(
          EvaluateOnDemandRow(view, indices, inputs, static_cast<int64_t>(r), out));
      for (size_t f = 0; f < out.size(); ++f) {
        ResultColumn& c = columns[first + f];
        c.statuses[r] = out[f].is_null ? "NULL_VALUE" : "PRESENT";
        c.values[r] = std::move(out[f]);
      }
    }
    for (size_t f = 0; f < names.size(); ++f) where[{view.name, names[f]}] = first + f;
  }

  // Render: entity columns first (less request fields that are not join
  // keys), then the features in request order.
  std::set<std::string> join_keys;
  for (const std::string& view_name : view_order) {
    for (const TypedName& k : definitions.JoinKeys(*definitions.FindView(view_name))) {
      join_keys.insert(k.name);
    }
  }
  std::vector<size_t> order;
  for (size_t i = 0; i < request.entities.size(); ++i) {
    const std::string& name = request.entities[i].name;
    if (request_fields.count(name) > 0 && join_keys.count(name) == 0) continue;
    order.push_back(i);
  }
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
