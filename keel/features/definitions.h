// Feature definitions: entities, sources, feature views and feature services
// parsed from features.yaml (format in README.md) and checked against each
// other, with every error naming file:line:column.
#ifndef KEEL_FEATURES_DEFINITIONS_H_
#define KEEL_FEATURES_DEFINITIONS_H_

#include <cstdint>
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

// Where feature rows come from: a lake dataset with an event-time column.
struct Source {
  std::string name;
  std::string dataset;                  // NAME or NAME@VERSION (lake reference)
  std::string timestamp_field;          // the rows' event time (timestamp)
  std::string created_timestamp_field;  // optional tie-break ("" = none)
  std::string where;
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
  std::vector<TypedName> features;
  std::string where;
};

// One feature of a view, as a service names it.
struct FeatureRef {
  std::string view;
  std::string feature;
};

// A named set of features for a model.
struct FeatureService {
  std::string name;
  // "view:*" expanded to the view's features in declaration order; no
  // duplicates (a feature named twice is an error).
  std::vector<FeatureRef> features;
  std::string where;
};

// A whole features.yaml, validated: every name is unique within its kind,
// every reference resolves, types and TTLs are valid. Immutable once parsed.
struct FeatureDefinitions {
  std::vector<Entity> entities;
  std::vector<Source> sources;
  std::vector<FeatureView> views;
  std::vector<FeatureService> services;

  // Parses and validates `yaml_text`; `file` prefixes every message.
  // Errors: InvalidArgument "file:line:column: <what>. <did-you-mean>" for
  // invalid YAML, unknown or missing keys, a value of the wrong shape, an
  // invalid name, an unknown type (join keys: int64 or string only), a bad
  // TTL, a duplicate name (naming where the first is), and an unknown
  // entity, source, view or feature (listing those that exist).
  static StatusOr<FeatureDefinitions> Parse(std::string_view yaml_text, std::string_view file);

  // nullptr when there is no such name.
  const Entity* FindEntity(std::string_view name) const;
  const Source* FindSource(std::string_view name) const;
  const FeatureView* FindView(std::string_view name) const;
  const FeatureService* FindService(std::string_view name) const;

  // The join keys of `view`: its entities' keys, in order (entities are
  // checked to exist by Parse).
  std::vector<TypedName> JoinKeys(const FeatureView& view) const;
};

// "0" -> nullopt (no limit); "<n><unit>" with unit s, m, h, d or w and n a
// non-negative integer -> microseconds. Errors: InvalidArgument saying what
// is accepted.
StatusOr<std::optional<int64_t>> ParseTtl(std::string_view text);

}  // namespace keel::features

#endif  // KEEL_FEATURES_DEFINITIONS_H_
