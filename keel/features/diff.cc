#include "keel/features/diff.h"

#include <functional>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace keel::features {
namespace {

std::string TypeName(DataType type) { return std::string(DataTypeName(type)); }

// Differences between two lists of typed names ("feature x: added").
void DiffTyped(const std::string& what, const std::vector<TypedName>& before,
               const std::vector<TypedName>& after, std::vector<std::string>* out) {
  for (const TypedName& a : after) {
    const TypedName* b = nullptr;
    for (const TypedName& x : before) {
      if (x.name == a.name) b = &x;
    }
    if (b == nullptr) {
      out->push_back(absl::StrCat(what, " ", a.name, ": added (", TypeName(a.type), ")"));
    } else if (b->type != a.type) {
      out->push_back(
          absl::StrCat(what, " ", a.name, ": ", TypeName(b->type), " -> ", TypeName(a.type)));
    }
  }
  for (const TypedName& b : before) {
    bool kept = false;
    for (const TypedName& a : after) kept = kept || a.name == b.name;
    if (!kept) out->push_back(absl::StrCat(what, " ", b.name, ": removed"));
  }
}

void Field(const std::string& what, const std::string& before, const std::string& after,
           std::vector<std::string>* out) {
  if (before != after) {
    out->push_back(absl::StrCat(what, ": ", before.empty() ? "(none)" : before, " -> ",
                                after.empty() ? "(none)" : after));
  }
}

std::string Refs(const FeatureService& s) {
  std::vector<std::string> refs;
  for (const FeatureRef& r : s.features) refs.push_back(absl::StrCat(r.view, ":", r.feature));
  return absl::StrJoin(refs, ", ");
}

// Adds added/removed/changed entries for one kind; `compare` fills details.
template <typename T>
void DiffKind(const std::string& kind, const std::vector<T>& before, const std::vector<T>& after,
              const std::function<void(const T&, const T&, std::vector<std::string>*)>& compare,
              std::vector<DefinitionChange>* out) {
  for (const T& a : after) {
    const T* b = nullptr;
    for (const T& x : before) {
      if (x.name == a.name) b = &x;
    }
    if (b == nullptr) {
      out->push_back({kind, a.name, "added", {}});
      continue;
    }
    std::vector<std::string> details;
    compare(*b, a, &details);
    if (!details.empty()) out->push_back({kind, a.name, "changed", std::move(details)});
  }
  for (const T& b : before) {
    bool kept = false;
    for (const T& a : after) kept = kept || a.name == b.name;
    if (!kept) out->push_back({kind, b.name, "removed", {}});
  }
}

}  // namespace

std::vector<DefinitionChange> DiffDefinitions(const FeatureDefinitions& before,
                                              const FeatureDefinitions& after) {
  std::vector<DefinitionChange> out;
  DiffKind<Entity>(
      "entity", before.entities, after.entities,
      [](const Entity& b, const Entity& a, std::vector<std::string>* d) {
        DiffTyped("join key", b.join_keys, a.join_keys, d);
      },
      &out);
  DiffKind<Source>(
      "source", before.sources, after.sources,
      [](const Source& b, const Source& a, std::vector<std::string>* d) {
        Field("push", b.push ? "true" : "false", a.push ? "true" : "false", d);
        Field("dataset", b.dataset, a.dataset, d);
        Field("sql", b.sql, a.sql, d);
        Field("query", b.query, a.query, d);
        Field("timestamp_field", b.timestamp_field, a.timestamp_field, d);
        Field("created_timestamp_field", b.created_timestamp_field, a.created_timestamp_field, d);
      },
      &out);
  DiffKind<FeatureView>(
      "feature_view", before.views, after.views,
      [](const FeatureView& b, const FeatureView& a, std::vector<std::string>* d) {
        Field("entities", absl::StrJoin(b.entities, ", "), absl::StrJoin(a.entities, ", "), d);
        Field("source", b.source, a.source, d);
        Field("ttl", b.ttl_us ? b.ttl_text : "0", a.ttl_us ? a.ttl_text : "0", d);
        DiffTyped("feature", b.features, a.features, d);
        for (const DerivedFeature& f : a.derived) {
          const DerivedFeature* was = b.FindDerived(f.name);
          Field(absl::StrCat("feature ", f.name, " expression"), was ? was->expression : "",
                f.expression, d);
        }
        for (const DerivedFeature& f : b.derived) {
          if (a.FindDerived(f.name) == nullptr) {
            Field(absl::StrCat("feature ", f.name, " expression"), f.expression, "", d);
          }
        }
      },
      &out);
  DiffKind<OnDemandView>(
      "on_demand_view", before.on_demand_views, after.on_demand_views,
      [](const OnDemandView& b, const OnDemandView& a, std::vector<std::string>* d) {
        DiffTyped("request field", b.request_fields, a.request_fields, d);
        auto typed = [](const OnDemandView& v) {
          std::vector<TypedName> out;
          for (const OnDemandFeature& f : v.features) out.push_back({f.name, f.type, ""});
          return out;
        };
        DiffTyped("feature", typed(b), typed(a), d);
        for (const OnDemandFeature& f : a.features) {
          const int i = b.FeatureIndex(f.name);
          if (i >= 0) {
            Field(absl::StrCat("feature ", f.name, " expression"), b.features[i].expression,
                  f.expression, d);
          }
        }
      },
      &out);
  DiffKind<FeatureService>(
      "service", before.services, after.services,
      [](const FeatureService& b, const FeatureService& a, std::vector<std::string>* d) {
        Field("features", Refs(b), Refs(a), d);
      },
      &out);
  return out;
}

}  // namespace keel::features
