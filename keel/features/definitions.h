// Feature definitions: entities, sources, feature views and feature services
// parsed from features.yaml (format in README.md) and checked against each
// other, with every error naming file:line:column.
#ifndef KEEL_FEATURES_DEFINITIONS_H_
#define KEEL_FEATURES_DEFINITIONS_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "keel/base/status.h"
#include "keel/table/types.h"

namespace keel::features {

// A typed column: a join key (int64 or string) or a feature (any type).
struct TypedName {
  std::string name;
  DataType type = DataType::kString;
  std::string where;  // "file:line:column" of its name, for messages
};

// What a feature row is about (a customer, a card): named join keys.
struct Entity {
  std::string name;
  std::vector<TypedName> join_keys;  // at least one; int64 or string
  std::string description;
  std::string where;
};

// Where feature rows come from: a lake dataset with an event-time column,
// or a SQL query. Exactly one of `dataset` and (`sql`, `query`) is set,
// except for a push source (`push`), whose rows arrive by POST /v1/push and
// `keel features stream`: it may name a `dataset` that keeps the pushed rows
// offline, or none (its rows are then only online), and never `sql`.
struct Source {
  std::string name;
  bool push = false;
  std::string dataset;          // NAME or NAME@VERSION (lake reference)
  std::string sql;              // or a database: sqlite://PATH.db, postgresql://... (keel/sql)
  std::string query;            // with `sql`: the query whose result is the rows
  std::string timestamp_field;  // the rows' event time (timestamp)
  std::string created_timestamp_field;  // optional tie-break ("" = none)
  std::string where;

  // A push source without a dataset: its rows are only ever online.
  bool online_only() const { return push && dataset.empty(); }
};

class Expression;  // expression.h

// A feature of a feature view computed from the view's other plain features
// of the same source row (`expression:` on the feature in features.yaml):
// the view's transform, applied wherever its rows are written or read
// (derived.h). It is in the view's `features` too.
struct DerivedFeature {
  std::string name;
  DataType type = DataType::kFloat64;
  std::string expression;  // as written
  // Parsed over `inputs` (never null once FeatureDefinitions::Parse returns).
  std::shared_ptr<const Expression> compiled;
  std::vector<TypedName> inputs;  // the plain features its slots read, by slot
  std::string where;              // "file:line:column" of its name
};

// A function of a windowed aggregation (aggregation.h computes them).
enum class AggregationFunction { kCount, kSum, kMean, kMin, kMax, kLast };

// "count", "sum", "mean", "min", "max", "last".
std::string_view AggregationFunctionName(AggregationFunction function);

// One (column, function, window) of a feature view's `aggregations`. Its
// value at time t for an entity is `function` over the non-null values of
// `column` in the entity's source rows with event time in (t - window_us, t],
// taken in (event time, created_timestamp_field, source position) order;
// null when there is none (count: 0). See aggregation.h.
struct Aggregation {
  std::string name;  // the feature: "<column>_<function>_<window_text>"
  // The feature's type: int64 for count, float64 for sum and mean, the
  // column's type for min, max and last.
  DataType type = DataType::kInt64;
  std::string column;                         // a source column, not a join key or time
  DataType column_type = DataType::kFloat64;  // as declared (`type:`)
  AggregationFunction function = AggregationFunction::kCount;
  int64_t window_us = 0;    // > 0
  std::string window_text;  // as written ("1h")
  std::string where;        // "file:line:column" of its window, for messages
};

// Typed features of some entities, read from one source.
struct FeatureView {
  std::string name;
  std::vector<std::string> entities;  // names of Entity, at least one
  std::string source;                 // name of a Source
  // Rows older than ttl_us before an entity's event time are not used;
  // nullopt ("0" in YAML): no limit.
  std::optional<int64_t> ttl_us;
  std::string ttl_text;  // as written ("7d")
  // Every feature in declaration order: the plain features (the latest
  // source row's columns), then one per aggregation (in `aggregations` order).
  std::vector<TypedName> features;
  // The windowed aggregations; their features are in `features` too. The TTL
  // does not apply to them: their windows bound them.
  std::vector<Aggregation> aggregations;
  // The features computed from other plain features (DerivedFeature); in
  // `features` too, in declaration order.
  std::vector<DerivedFeature> derived;
  std::string where;

  // The aggregation that yields feature `name`; nullptr for a plain feature
  // (or no such feature).
  const Aggregation* FindAggregation(std::string_view name) const;
  // The derived feature `name`; nullptr for any other name.
  const DerivedFeature* FindDerived(std::string_view name) const;
  // The largest window of `aggregations` (0 when there is none).
  int64_t MaxWindowUs() const;
};

// One feature of a view, as a service names it.
struct FeatureRef {
  std::string view;
  std::string feature;
};

// A feature of an on-demand view: its expression's value, of `type`.
struct OnDemandFeature {
  std::string name;
  DataType type = DataType::kFloat64;
  std::string expression;  // as written
  // Parsed and type-checked over the view's `inputs` (never null once
  // FeatureDefinitions::Parse returns).
  std::shared_ptr<const Expression> compiled;
  std::string where;  // "file:line:column" of its name
};

// Features computed when asked for (on_demand.h), from request fields sent
// with each request (columns of the entity rows offline) and features of
// feature views (never of other on-demand views, so there are no cycles).
struct OnDemandView {
  std::string name;  // unique among feature views and on-demand views
  std::vector<TypedName> request_fields;
  std::vector<OnDemandFeature> features;
  // The features of feature views the expressions read, in first-use order.
  std::vector<FeatureRef> feature_inputs;
  // What Expression::Evaluate reads, slot by slot: the request fields, then
  // feature_inputs as "view.feature", each with its type.
  std::vector<TypedName> inputs;
  std::string description;
  std::string where;

  // Index of feature `name` in `features`, or -1.
  int FeatureIndex(std::string_view name) const;
};

// A named set of features for a model.
struct FeatureService {
  std::string name;
  // "view:*" expanded to the view's features in declaration order; no
  // duplicates (a feature named twice is an error). `view` may name a
  // feature view or an on-demand view.
  std::vector<FeatureRef> features;
  std::string where;
};

// A whole features.yaml, validated: every name is unique within its kind,
// every reference resolves, types and TTLs are valid. Immutable once parsed.
struct FeatureDefinitions {
  std::vector<Entity> entities;
  std::vector<Source> sources;
  std::vector<FeatureView> views;
  std::vector<OnDemandView> on_demand_views;
  std::vector<FeatureService> services;

  // Parses and validates `yaml_text`; `file` prefixes every message.
  // Errors: InvalidArgument "file:line:column: <what>. <did-you-mean>" for
  // invalid YAML, unknown or missing keys, a value of the wrong shape, an
  // invalid name, an unknown type (join keys: int64 or string only), a bad
  // TTL, a duplicate name (naming where the first is), and an unknown
  // entity, source, view or feature (listing those that exist); in
  // `aggregations`: an unknown function (did-you-mean), a bad or zero
  // window, a column type the function does not take (sum of a string), a
  // column declared with two types, a column that is a join key or a time
  // field, and an output name that is taken; in `on_demand_views`: a name
  // taken by a feature view, a request field named like a join key, a
  // keyword or one of the view's features, or declared with another type
  // by another on-demand view, and an expression that does not parse or
  // type-check (at its character; unknown names with did-you-mean), reads
  // an on-demand view, or gives a type the feature cannot hold.
  static StatusOr<FeatureDefinitions> Parse(std::string_view yaml_text, std::string_view file);

  // nullptr when there is no such name.
  const Entity* FindEntity(std::string_view name) const;
  const Source* FindSource(std::string_view name) const;
  const FeatureView* FindView(std::string_view name) const;
  const OnDemandView* FindOnDemandView(std::string_view name) const;
  const FeatureService* FindService(std::string_view name) const;

  // The join keys of `view`: its entities' keys, in order (entities are
  // checked to exist by Parse).
  std::vector<TypedName> JoinKeys(const FeatureView& view) const;
  // The columns entity rows need for `service`: the join keys of every
  // feature view it reads (also through its on-demand views), then the
  // request fields of its on-demand views; each name once.
  std::vector<TypedName> EntityColumns(const FeatureService& service) const;
};

// "0" -> nullopt (no limit); "<n><unit>" with unit s, m, h, d or w and n a
// non-negative integer -> microseconds. Errors: InvalidArgument saying what
// is accepted.
StatusOr<std::optional<int64_t>> ParseTtl(std::string_view text);

}  // namespace keel::features

#endif  // KEEL_FEATURES_DEFINITIONS_H_
