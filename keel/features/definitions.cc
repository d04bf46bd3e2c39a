#include "keel/features/definitions.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <map>
#include <set>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "keel/base/suggest.h"
#include "keel/base/yaml_keys.h"
#include "keel/features/derived.h"
#include "keel/features/on_demand.h"
#include "yaml-cpp/yaml.h"

namespace keel::features {
namespace {

template <typename T>
std::vector<std::string> NamesOf(const std::vector<T>& items) {
  std::vector<std::string> out;
  for (const T& item : items) out.push_back(item.name);
  return out;
}

// " Did you mean 'x'? Entities: a, b" (or " No entities are defined.").
std::string Known(const std::string& word, const std::vector<std::string>& names,
                  const std::string& kind_plural) {
  if (names.empty()) return absl::StrCat(" No ", kind_plural, " are defined.");
  std::string label(kind_plural);
  label[0] = static_cast<char>(std::toupper(label[0]));
  return absl::StrCat(DidYouMean(word, names), " ", label, ": ", absl::StrJoin(names, ", "));
}

class Parser {
 public:
  // `text`: the YAML itself, to place errors inside expressions.
  Parser(std::string_view file, std::string_view text) : file_(file), text_(text) {}

  StatusOr<FeatureDefinitions> Parse(const YAML::Node& root) {
    FeatureDefinitions defs;
    if (root.IsNull()) return defs;
    if (!root.IsMap()) return Error(root, "expected a mapping with entities, sources, ...");
    KEEL_RETURN_IF_ERROR(CheckKeys(
        root, {"entities", "sources", "feature_views", "on_demand_views", "services"}, ""));
    KEEL_ASSIGN_OR_RETURN(std::vector<YAML::Node> entities, List(root, "entities"));
    for (const YAML::Node& node : entities) {
      KEEL_ASSIGN_OR_RETURN(Entity e, ParseEntity(node));
      defs.entities.push_back(std::move(e));
    }
    KEEL_ASSIGN_OR_RETURN(std::vector<YAML::Node> sources, List(root, "sources"));
    for (const YAML::Node& node : sources) {
      KEEL_ASSIGN_OR_RETURN(Source s, ParseSource(node));
      defs.sources.push_back(std::move(s));
    }
    KEEL_ASSIGN_OR_RETURN(std::vector<YAML::Node> views, List(root, "feature_views"));
    for (const YAML::Node& node : views) {
      KEEL_ASSIGN_OR_RETURN(FeatureView v, ParseView(node, defs));
      defs.views.push_back(std::move(v));
    }
    KEEL_ASSIGN_OR_RETURN(std::vector<YAML::Node> on_demand, List(root, "on_demand_views"));
    std::vector<std::string> on_demand_names;  // for messages about reading one
    for (const YAML::Node& node : on_demand) {
      if (node["name"] && node["name"].IsScalar()) on_demand_names.push_back(node["name"].Scalar());
    }
    for (const YAML::Node& node : on_demand) {
      KEEL_ASSIGN_OR_RETURN(OnDemandView v, ParseOnDemandView(node, defs, on_demand_names));
      defs.on_demand_views.push_back(std::move(v));
    }
    KEEL_ASSIGN_OR_RETURN(std::vector<YAML::Node> services, List(root, "services"));
    for (const YAML::Node& node : services) {
      KEEL_ASSIGN_OR_RETURN(FeatureService s, ParseService(node, defs));
      defs.services.push_back(std::move(s));
    }
    return defs;
  }

 private:
  std::string Where(const YAML::Node& node) const {
    const YAML::Mark mark = node.Mark();
    if (mark.line < 0) return file_;
    return absl::StrCat(file_, ":", mark.line + 1, ":", mark.column + 1);
  }
  Status Error(const YAML::Node& node, const std::string& message) const {
    return absl::InvalidArgumentError(absl::StrCat(Where(node), ": ", message));
  }
  // "file:line:column" of character `offset` of the scalar `node`'s value
  // (an expression), quotes and folding taken into account.
  std::string PlaceIn(const YAML::Node& node, size_t offset) const {
    const YAML::Mark mark = node.Mark();
    const auto [line, column] = YamlScalarPosition(text_, mark.pos, mark.line, mark.column, offset);
    return absl::StrCat(file_, ":", line, ":", column);
  }

  // `label` ("entity 'customer': ") prefixes the message.
  Status CheckKeys(const YAML::Node& map, const std::vector<std::string>& keys,
                   const std::string& label) const {
    return CheckYamlKeys(map, keys, label, [this](const YAML::Node& n) { return Where(n); });
  }

  // The items of the optional list `key` of `map`.
  StatusOr<std::vector<YAML::Node>> List(const YAML::Node& map, const std::string& key) const {
    std::vector<YAML::Node> out;
    const YAML::Node node = map[key];
    if (!node || node.IsNull()) return out;
    if (!node.IsSequence()) return Error(node, absl::StrCat(key, ": expected a list"));
    for (const YAML::Node& item : node) {
      if (!item.IsMap()) return Error(item, absl::StrCat(key, ": each item must be a mapping"));
      out.push_back(item);
    }
    return out;
  }

  // The scalar `key` of `map`; "" when absent and !required.
  StatusOr<std::string> Scalar(const YAML::Node& map, const std::string& key,
                               const std::string& label, bool required = true) const {
    const YAML::Node node = map[key];
    if (!node) {
      if (!required) return std::string();
      return Error(map, absl::StrCat(label, "missing '", key, "'"));
    }
    if (!node.IsScalar() || node.Scalar().empty()) {
      return Error(node, absl::StrCat(label, key, ": expected a non-empty value"));
    }
    return node.Scalar();
  }

  // A name: a letter or '_' then letters, digits or '_' (names become
  // column names and appear in "view:feature").
  Status CheckName(const YAML::Node& node, const std::string& what) const {
    const std::string& name = node.Scalar();
    bool ok =
        !name.empty() && (std::isalpha(static_cast<unsigned char>(name[0])) || name[0] == '_');
    for (char c : name) ok = ok && (std::isalnum(static_cast<unsigned char>(c)) || c == '_');
    if (!ok) {
      return Error(node, absl::StrCat("invalid ", what, " name '", name,
                                      "': use letters, digits and '_', starting with a letter"));
    }
    return absl::OkStatus();
  }

  // The name of an entity/source/view/service, unique within `kind`.
  StatusOr<std::string> Name(const YAML::Node& map, const std::string& kind) {
    KEEL_ASSIGN_OR_RETURN(std::string name, Scalar(map, "name", absl::StrCat(kind, ": ")));
    const YAML::Node node = map["name"];
    KEEL_RETURN_IF_ERROR(CheckName(node, kind));
    auto [it, added] = seen_[std::string(kind)].emplace(name, Where(node));
    if (!added) {
      return Error(node, absl::StrCat("duplicate ", kind, " name '", name, "' (the first is at ",
                                      it->second, ")"));
    }
    return name;
  }

  // A list of {name, type} under `key`; `join_key` limits types to int64
  // and string. Items may also have the keys `more_keys` (read by the
  // caller).
  StatusOr<std::vector<TypedName>> Typed(const YAML::Node& map, const std::string& key,
                                         const std::string& label, bool join_key,
                                         const std::vector<std::string>& more_keys = {}) const {
    const YAML::Node list = map[key];
    if (!list) return Error(map, absl::StrCat(label, "missing '", key, "'"));
    if (!list.IsSequence() || list.size() == 0) {
      return Error(list, absl::StrCat(label, key, ": expected a non-empty list of {name, type}"));
    }
    std::vector<TypedName> out;
    std::map<std::string, std::string> seen;
    const std::string what = join_key ? "join key" : "feature";
    for (const YAML::Node& item : list) {
      if (!item.IsMap()) {
        return Error(item, absl::StrCat(label, key, ": each item must be {name: ..., type: ...}"));
      }
      std::vector<std::string> keys = {"name", "type", "description"};
      keys.insert(keys.end(), more_keys.begin(), more_keys.end());
      KEEL_RETURN_IF_ERROR(CheckKeys(item, keys, label));
      TypedName t;
      KEEL_ASSIGN_OR_RETURN(t.name, Scalar(item, "name", label));
      KEEL_RETURN_IF_ERROR(CheckName(item["name"], what));
      t.where = Where(item["name"]);
      auto [it, added] = seen.emplace(t.name, t.where);
      if (!added) {
        return Error(item["name"], absl::StrCat(label, "duplicate ", what, " '", t.name,
                                                "' (the first is at ", it->second, ")"));
      }
      KEEL_ASSIGN_OR_RETURN(std::string type, Scalar(item, "type", label));
      const std::vector<std::string> allowed =
          join_key ? std::vector<std::string>{"int64", "string"}
                   : std::vector<std::string>{"bool", "int64", "float64", "string", "timestamp"};
      if (std::find(allowed.begin(), allowed.end(), type) == allowed.end()) {
        return Error(item["type"], absl::StrCat(label, what, " '", t.name, "': unknown type '",
                                                type, "'.", DidYouMean(type, allowed),
                                                " Types: ", absl::StrJoin(allowed, ", ")));
      }
      KEEL_ASSIGN_OR_RETURN(t.type, ParseDataType(type));
      out.push_back(std::move(t));
    }
    return out;
  }

  StatusOr<Entity> ParseEntity(const YAML::Node& node) {
    Entity e;
    e.where = Where(node);
    KEEL_ASSIGN_OR_RETURN(e.name, Name(node, "entity"));
    const std::string label = absl::StrCat("entity '", e.name, "': ");
    KEEL_RETURN_IF_ERROR(CheckKeys(node, {"name", "join_keys", "description"}, label));
    KEEL_ASSIGN_OR_RETURN(e.join_keys, Typed(node, "join_keys", label, /*join_key=*/true));
    KEEL_ASSIGN_OR_RETURN(e.description, Scalar(node, "description", label, false));
    return e;
  }

  StatusOr<Source> ParseSource(const YAML::Node& node) {
    Source s;
    s.where = Where(node);
    KEEL_ASSIGN_OR_RETURN(s.name, Name(node, "source"));
    const std::string label = absl::StrCat("source '", s.name, "': ");
    KEEL_RETURN_IF_ERROR(CheckKeys(node,
                                   {"name", "push", "dataset", "sql", "query", "timestamp_field",
                                    "created_timestamp_field", "description"},
                                   label));
    KEEL_ASSIGN_OR_RETURN(s.dataset, Scalar(node, "dataset", label, false));
    KEEL_ASSIGN_OR_RETURN(s.sql, Scalar(node, "sql", label, false));
    KEEL_ASSIGN_OR_RETURN(s.query, Scalar(node, "query", label, false));
    KEEL_ASSIGN_OR_RETURN(
        const std::optional<bool> push,
        YamlBool(node, "push", label, [this](const YAML::Node& n) { return Where(n); }));
    s.push = push.value_or(false);
    if (s.push && !s.sql.empty()) {
      return Error(node["sql"],
                   absl::StrCat(label,
                                "a push source cannot read 'sql' (pushed rows are kept in a lake "
                                "dataset); name a 'dataset' for them, or none to keep them "
                                "online only"));
    }
    if (!s.push && s.dataset.empty() == s.sql.empty()) {
      return Error(node, absl::StrCat(label,
                                      "give either 'dataset' (a lake dataset) or 'sql' "
                                      "(sqlite://PATH.db or postgresql://...) with 'query'"));
    }
    if (!s.sql.empty()) {
      if (!s.sql.starts_with("sqlite://") && !s.sql.starts_with("postgresql://") &&
          !s.sql.starts_with("postgres://")) {
        return Error(node["sql"], absl::StrCat(label,
                                               "sql: expected sqlite://PATH.db or "
                                               "postgresql://USER@HOST:PORT/DB, found '",
                                               s.sql, "'"));
      }
      if (s.query.empty()) return Error(node, absl::StrCat(label, "missing 'query' for 'sql'"));
    } else if (!s.query.empty()) {
      return Error(node["query"], absl::StrCat(label, "'query' needs 'sql' (a database URI)"));
    }
    KEEL_ASSIGN_OR_RETURN(s.timestamp_field, Scalar(node, "timestamp_field", label));
    KEEL_ASSIGN_OR_RETURN(s.created_timestamp_field,
                          Scalar(node, "created_timestamp_field", label, false));
    return s;
  }

  StatusOr<FeatureView> ParseView(const YAML::Node& node, const FeatureDefinitions& defs) {
    FeatureView v;
    v.where = Where(node);
    KEEL_ASSIGN_OR_RETURN(v.name, Name(node, "feature view"));
    const std::string label = absl::StrCat("feature view '", v.name, "': ");
    KEEL_RETURN_IF_ERROR(CheckKeys(
        node, {"name", "entities", "source", "ttl", "features", "aggregations", "description"},
        label));
    const YAML::Node entities = node["entities"];
    if (!entities) return Error(node, absl::StrCat(label, "missing 'entities'"));
    if (!entities.IsSequence() || entities.size() == 0) {
      return Error(entities, absl::StrCat(label, "entities: expected a non-empty list of names"));
    }
    std::set<std::string> keys;
    for (const YAML::Node& item : entities) {
      if (!item.IsScalar()) return Error(item, absl::StrCat(label, "entities: expected a name"));
      const Entity* e = defs.FindEntity(item.Scalar());
      if (e == nullptr) {
        return Error(item, absl::StrCat(label, "unknown entity '", item.Scalar(), "'.",
                                        Known(item.Scalar(), NamesOf(defs.entities), "entities")));
      }
      for (const TypedName& k : e->join_keys) keys.insert(k.name);
      v.entities.push_back(item.Scalar());
    }
    KEEL_ASSIGN_OR_RETURN(v.source, Scalar(node, "source", label));
    if (defs.FindSource(v.source) == nullptr) {
      return Error(node["source"], absl::StrCat(label, "unknown source '", v.source, "'.",
                                                Known(v.source, NamesOf(defs.sources), "sources")));
    }
    KEEL_ASSIGN_OR_RETURN(v.ttl_text, Scalar(node, "ttl", label, false));
    if (v.ttl_text.empty()) v.ttl_text = "0";
    StatusOr<std::optional<int64_t>> ttl = ParseTtl(v.ttl_text);
    if (!ttl.ok()) return Error(node["ttl"], absl::StrCat(label, "ttl: ", ttl.status().message()));
    v.ttl_us = *ttl;
    if (!node["features"] && !node["aggregations"]) {
      return Error(node, absl::StrCat(label, "missing 'features' (or 'aggregations')"));
    }
    std::vector<YAML::Node> expressions;  // of v.derived, in order
    if (node["features"]) {
      KEEL_ASSIGN_OR_RETURN(v.features,
                            Typed(node, "features", label, /*join_key=*/false, {"expression"}));
      for (size_t i = 0; i < v.features.size(); ++i) {
        const YAML::Node item = node["features"][i];
        if (!item["expression"]) continue;
        const TypedName& f = v.features[i];
        DerivedFeature d{.name = f.name, .type = f.type, .where = f.where};
        KEEL_ASSIGN_OR_RETURN(
            d.expression,
            Scalar(item, "expression", absl::StrCat(label, "feature '", f.name, "': ")));
        expressions.push_back(item["expression"]);
        v.derived.push_back(std::move(d));
      }
    }
    KEEL_RETURN_IF_ERROR(
        ParseAggregations(node["aggregations"], *defs.FindSource(v.source), keys, label, &v));
    for (const TypedName& f : v.features) {
      if (keys.count(f.name) > 0) {
        return absl::InvalidArgumentError(
            absl::StrCat(f.where, ": ", label, "feature '", f.name,
                         "' has the name of a join key of its entities; rename it"));
      }
    }
    KEEL_RETURN_IF_ERROR(CompileDerivedFeatures(
        [&](size_t i, size_t offset) { return PlaceIn(expressions[i], offset); }, &v));
    return v;
  }

  // Appends `list`'s aggregations (absent: none) to view->aggregations and
  // their features to view->features (after the plain ones, which are
  // parsed). `keys`: the view's join keys (the caller checks that no
  // feature is named like one).
  Status ParseAggregations(const YAML::Node& list, const Source& source,
                           const std::set<std::string>& keys, const std::string& label,
                           FeatureView* view) {
    if (!list) return absl::OkStatus();
    if (!list.IsSequence() || list.size() == 0) {
      return Error(list, absl::StrCat(label,
                                      "aggregations: expected a non-empty list of {column, type, "
                                      "function, windows}"));
    }
    static const std::vector<std::string> kTypes = {"bool", "int64", "float64", "string",
                                                    "timestamp"};
    static const std::vector<std::string> kFunctions = {"count", "sum", "mean",
                                                        "min",   "max", "last"};
    std::map<std::string, std::string> taken;  // feature -> where it is
    // column -> (declared type, where); a plain feature of the same name
    // (pushed as one column) must have the same type.
    std::map<std::string, std::pair<DataType, std::string>> columns;
    for (const TypedName& f : view->features) {
      taken.emplace(f.name, f.where);
      columns.emplace(f.name, std::make_pair(f.type, f.where));
    }
    for (const YAML::Node& item : list) {
      if (!item.IsMap()) {
        return Error(item, absl::StrCat(label,
                                        "aggregations: each item must be {column: ..., type: ..., "
                                        "function: ..., windows: [...]}"));
      }
      KEEL_RETURN_IF_ERROR(
          CheckKeys(item, {"column", "type", "function", "windows", "description"}, label));
      Aggregation a;
      KEEL_ASSIGN_OR_RETURN(a.column, Scalar(item, "column", label));
      KEEL_RETURN_IF_ERROR(CheckName(item["column"], "column"));
      if (keys.count(a.column) > 0) {
        return Error(item["column"], absl::StrCat(label, "aggregation column '", a.column,
                                                  "' is a join key; aggregate another column"));
      }
      if (a.column == source.timestamp_field || a.column == source.created_timestamp_field) {
        return Error(item["column"],
                     absl::StrCat(label, "aggregation column '", a.column, "' is the source's ",
                                  a.column == source.timestamp_field ? "timestamp_field"
                                                                     : "created_timestamp_field",
                                  "; aggregate another column"));
      }
      KEEL_ASSIGN_OR_RETURN(std::string type, Scalar(item, "type", label));
      if (std::find(kTypes.begin(), kTypes.end(), type) == kTypes.end()) {
        return Error(
            item["type"],
            absl::StrCat(label, "aggregation column '", a.column, "': unknown type '", type, "'.",
                         DidYouMean(type, kTypes), " Types: ", absl::StrJoin(kTypes, ", ")));
      }
      KEEL_ASSIGN_OR_RETURN(a.column_type, ParseDataType(type));
      auto [col, added_column] =
          columns.emplace(a.column, std::make_pair(a.column_type, Where(item["type"])));
      if (!added_column && col->second.first != a.column_type) {
        return Error(item["type"],
                     absl::StrCat(label, "column '", a.column, "' is declared ", type, " here but ",
                                  std::string(DataTypeName(col->second.first)), " at ",
                                  col->second.second, "; a column has one type"));
      }
      KEEL_ASSIGN_OR_RETURN(std::string function, Scalar(item, "function", label));
      const auto f = std::find(kFunctions.begin(), kFunctions.end(), function);
      if (f == kFunctions.end()) {
        return Error(item["function"],
                     absl::StrCat(label, "unknown aggregation function '", function, "'.",
                                  DidYouMean(function, kFunctions),
                                  " Functions: ", absl::StrJoin(kFunctions, ", ")));
      }
      a.function = static_cast<AggregationFunction>(f - kFunctions.begin());
      const bool numeric = a.column_type == DataType::kInt64 || a.column_type == DataType::kFloat64;
      if ((a.function == AggregationFunction::kSum || a.function == AggregationFunction::kMean) &&
          !numeric) {
        return Error(item["function"],
                     absl::StrCat(label, function, " of column '", a.column, "' (", type,
                                  "): ", function, " takes an int64 or float64 column"));
      }
      switch (a.function) {
        case AggregationFunction::kCount:
          a.type = DataType::kInt64;
          break;
        case AggregationFunction::kSum:
        case AggregationFunction::kMean:
          a.type = DataType::kFloat64;
          break;
        default:
          a.type = a.column_type;
      }
      const YAML::Node windows = item["windows"];
      if (!windows) return Error(item, absl::StrCat(label, "missing 'windows'"));
      if (!windows.IsSequence() || windows.size() == 0) {
        return Error(windows, absl::StrCat(label,
                                           "windows: expected a non-empty list of durations, "
                                           "e.g. [1h, 1d, 7d]"));
      }
      for (const YAML::Node& w : windows) {
        const std::string text = w.IsScalar() ? w.Scalar() : "";
        StatusOr<std::optional<int64_t>> us = ParseTtl(text);
        if (!us.ok() || !us->has_value() || **us <= 0) {
          return Error(w, absl::StrCat(label, "window '", text,
                                       "' is not a duration longer than 0; write a whole number "
                                       "with a unit s, m, h, d or w (\"1h\", \"7d\")"));
        }
        Aggregation out = a;
        out.window_us = **us;
        out.window_text = text;
        out.where = Where(w);
        out.name = absl::StrCat(a.column, "_", function, "_", text);
        auto [it, added] = taken.emplace(out.name, out.where);
        if (!added) {
          return Error(w, absl::StrCat(label, "duplicate feature '", out.name,
                                       "' (the first is at ", it->second, ")"));
        }
        view->features.push_back({.name = out.name, .type = out.type, .where = out.where});
        view->aggregations.push_back(std::move(out));
      }
    }
    return absl::OkStatus();
  }

  StatusOr<FeatureService> ParseService(const YAML::Node& node, const FeatureDefinitions& defs) {
    FeatureService s;
    s.where = Where(node);
    KEEL_ASSIGN_OR_RETURN(s.name, Name(node, "service"));
    const std::string label = absl::StrCat("service '", s.name, "': ");
    KEEL_RETURN_IF_ERROR(CheckKeys(node, {"name", "features", "description"}, label));
    const YAML::Node list = node["features"];
    if (!list) return Error(node, absl::StrCat(label, "missing 'features'"));
    if (!list.IsSequence() || list.size() == 0) {
      return Error(list, absl::StrCat(label,
                                      "features: expected a non-empty list of "
                                      "\"view:feature\" or \"view:*\""));
    }
    std::set<std::pair<std::string, std::string>> seen;
    for (const YAML::Node& item : list) {
      const std::string text = item.IsScalar() ? item.Scalar() : "";
      const size_t colon = text.find(':');
      if (colon == std::string::npos || colon == 0 || colon + 1 == text.size()) {
        return Error(item, absl::StrCat(label,
                                        "features: expected \"view:feature\" or "
                                        "\"view:*\"; got '",
                                        text, "'"));
      }
      const std::string view_name = text.substr(0, colon);
      const std::string feature = text.substr(colon + 1);
      const FeatureView* view = defs.FindView(view_name);
      const OnDemandView* on_demand = view == nullptr ? defs.FindOnDemandView(view_name) : nullptr;
      if (view == nullptr && on_demand == nullptr) {
        std::vector<std::string> views = NamesOf(defs.views);
        for (const OnDemandView& v : defs.on_demand_views) views.push_back(v.name);
        return Error(item, absl::StrCat(label, "unknown feature view '", view_name, "'.",
                                        Known(view_name, views, "feature views")));
      }
      const std::vector<std::string> all =
          view != nullptr ? NamesOf(view->features) : NamesOf(on_demand->features);
      std::vector<std::string> names;
      if (feature == "*") {
        names = all;
      } else if (std::find(all.begin(), all.end(), feature) == all.end()) {
        return Error(
            item,
            absl::StrCat(label, view != nullptr ? "feature view '" : "on-demand view '", view_name,
                         "' has no feature '", feature, "'.", Known(feature, all, "features")));
      } else {
        names.push_back(feature);
      }
      for (const std::string& name : names) {
        if (!seen.emplace(view_name, name).second) {
          return Error(item,
                       absl::StrCat(label, "feature '", view_name, ":", name, "' is listed twice"));
        }
        s.features.push_back({view_name, name});
      }
    }
    return s;
  }

  // An on-demand view: names and types as for a view's features, then each
  // expression compiled against `defs` (CompileOnDemandView).
  StatusOr<OnDemandView> ParseOnDemandView(const YAML::Node& node, const FeatureDefinitions& defs,
                                           const std::vector<std::string>& on_demand_names) {
    OnDemandView v;
    v.where = Where(node);
    KEEL_ASSIGN_OR_RETURN(v.name, Name(node, "on-demand view"));
    const std::string label = absl::StrCat("on-demand view '", v.name, "': ");
    if (const FeatureView* clash = defs.FindView(v.name)) {
      return Error(node["name"],
                   absl::StrCat(label, "a feature view has this name (at ", clash->where,
                                "); services name both as view:feature, so the "
                                "names must differ"));
    }
    KEEL_RETURN_IF_ERROR(
        CheckKeys(node, {"name", "request_fields", "features", "description"}, label));
    if (node["request_fields"]) {
      KEEL_ASSIGN_OR_RETURN(v.request_fields,
                            Typed(node, "request_fields", label, /*join_key=*/false));
    }
    KEEL_ASSIGN_OR_RETURN(std::vector<TypedName> typed,
                          Typed(node, "features", label, /*join_key=*/false, {"expression"}));
    std::vector<YAML::Node> expressions;
    for (size_t i = 0; i < typed.size(); ++i) {
      const YAML::Node item = node["features"][i];
      OnDemandFeature f{.name = typed[i].name, .type = typed[i].type, .where = typed[i].where};
      KEEL_ASSIGN_OR_RETURN(f.expression, Scalar(item, "expression",
                                                 absl::StrCat(label, "feature '", f.name, "': ")));
      expressions.push_back(item["expression"]);
      v.features.push_back(std::move(f));
    }
    KEEL_ASSIGN_OR_RETURN(v.description, Scalar(node, "description", label, false));
    KEEL_RETURN_IF_ERROR(CompileOnDemandView(
        defs, on_demand_names,
        [&](size_t feature, size_t offset) { return PlaceIn(expressions[feature], offset); }, &v));
    return v;
  }

  std::string file_;
  std::string_view text_;
  // kind -> name -> where it was first defined.
  std::map<std::string, std::map<std::string, std::string>> seen_;
};

}  // namespace

StatusOr<std::optional<int64_t>> ParseTtl(std::string_view text) {
  if (text == "0") return std::nullopt;
  static const std::map<char, int64_t> kUnitUs = {{'s', 1'000'000},
                                                  {'m', 60'000'000},
                                                  {'h', 3'600'000'000},
                                                  {'d', 86'400'000'000},
                                                  {'w', 604'800'000'000}};
  int64_t n = -1;
  const char* end = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(text.data(), end, n);
  auto unit = ptr + 1 == end ? kUnitUs.find(*ptr) : kUnitUs.end();
  if (ec != std::errc() || n < 0 || unit == kUnitUs.end()) {
    return absl::InvalidArgumentError(
        absl::StrCat("'", std::string(text),
                     "' is not a duration; write a whole number with a unit s, m, h, d or w "
                     "(\"90m\", \"7d\"), or 0 for no limit"));
  }
  if (n > INT64_MAX / unit->second) {
    return absl::InvalidArgumentError(absl::StrCat("'", std::string(text), "' is too long"));
  }
  return n * unit->second;
}

StatusOr<FeatureDefinitions> FeatureDefinitions::Parse(std::string_view yaml_text,
                                                       std::string_view file) {
  Parser parser(file, yaml_text);
  try {
    return parser.Parse(YAML::Load(std::string(yaml_text)));
  } catch (const YAML::Exception& e) {
    return absl::InvalidArgumentError(absl::StrCat(std::string(file), ":", e.mark.line + 1, ":",
                                                   e.mark.column + 1, ": invalid YAML: ", e.msg));
  }
}

}  // namespace keel::features
