// FeatureDefinitions and its parts: lookups by name and the columns a view
// or service needs (parsing is in definitions.cc).
#include <algorithm>

#include "keel/features/definitions.h"
#include "keel/features/on_demand.h"

namespace keel::features {
namespace {

template <typename T>
const T* FindByName(const std::vector<T>& items, std::string_view name) {
  for (const T& item : items) {
    if (item.name == name) return &item;
  }
  return nullptr;
}

}  // namespace

std::string_view AggregationFunctionName(AggregationFunction function) {
  switch (function) {
    case AggregationFunction::kCount:
      return "count";
    case AggregationFunction::kSum:
      return "sum";
    case AggregationFunction::kMean:
      return "mean";
    case AggregationFunction::kMin:
      return "min";
    case AggregationFunction::kMax:
      return "max";
    case AggregationFunction::kLast:
      return "last";
  }
  return "?";
}

const Aggregation* FeatureView::FindAggregation(std::string_view name) const {
  for (const Aggregation& a : aggregations) {
    if (a.name == name) return &a;
  }
  return nullptr;
}

const DerivedFeature* FeatureView::FindDerived(std::string_view name) const {
  for (const DerivedFeature& d : derived) {
    if (d.name == name) return &d;
  }
  return nullptr;
}

int64_t FeatureView::MaxWindowUs() const {
  int64_t out = 0;
  for (const Aggregation& a : aggregations) out = std::max(out, a.window_us);
  return out;
}

const Entity* FeatureDefinitions::FindEntity(std::string_view name) const {
  return FindByName(entities, name);
}
const Source* FeatureDefinitions::FindSource(std::string_view name) const {
  return FindByName(sources, name);
}
const FeatureView* FeatureDefinitions::FindView(std::string_view name) const {
  return FindByName(views, name);
}
const OnDemandView* FeatureDefinitions::FindOnDemandView(std::string_view name) const {
  return FindByName(on_demand_views, name);
}
const FeatureService* FeatureDefinitions::FindService(std::string_view name) const {
  return FindByName(services, name);
}

int OnDemandView::FeatureIndex(std::string_view name) const {
  for (size_t i = 0; i < features.size(); ++i) {
    if (features[i].name == name) return static_cast<int>(i);
  }
  return -1;
}

std::vector<TypedName> FeatureDefinitions::JoinKeys(const FeatureView& view) const {
  std::vector<TypedName> out;
  for (const std::string& name : view.entities) {
    const Entity* e = FindEntity(name);
    if (e == nullptr) continue;
    for (const TypedName& k : e->join_keys) {
      const bool seen =
          std::any_of(out.begin(), out.end(), [&](const TypedName& o) { return o.name == k.name; });
      if (!seen) out.push_back(k);
    }
  }
  return out;
}

std::vector<TypedName> FeatureDefinitions::EntityColumns(const FeatureService& service) const {
  std::vector<TypedName> out;
  auto add = [&](const TypedName& column) {
    for (const TypedName& o : out) {
      if (o.name == column.name) return;
    }
    out.push_back(column);
  };
  auto add_keys = [&](std::string_view view_name) {
    if (const FeatureView* view = FindView(view_name)) {
      for (const TypedName& k : JoinKeys(*view)) add(k);
    }
  };
  std::vector<const OnDemandView*> on_demand;
  for (const FeatureRef& ref : service.features) {
    add_keys(ref.view);
    const OnDemandView* v = FindOnDemandView(ref.view);
    if (v != nullptr && std::find(on_demand.begin(), on_demand.end(), v) == on_demand.end()) {
      on_demand.push_back(v);
      for (const FeatureRef& input : v->feature_inputs) add_keys(input.view);
    }
  }
  for (const OnDemandView* v : on_demand) {
    for (const TypedName& field : v->request_fields) add(field);
  }
  return out;
}

}  // namespace keel::features
