// What changed between two versions of the feature definitions, for
// `keel features diff` and for reviewing an apply before it lands.
#ifndef KEEL_FEATURES_DIFF_H_
#define KEEL_FEATURES_DIFF_H_

#include <string>
#include <vector>

#include "keel/features/definitions.h"

namespace keel::features {

struct DefinitionChange {
  // "entity", "source", "feature_view", "on_demand_view", "service"
  std::string kind;
  std::string name;
  std::string change;  // "added", "removed", "changed"
  // For "changed": one line per difference, e.g. "ttl: 1d -> 7d",
  // "feature spend: float64 -> int64", "feature orders: added".
  std::vector<std::string> details;
};

// The changes from `before` to `after`, kinds in the order above and names
// in `after`'s order (removed ones last). Descriptions and file positions
// are not compared.
std::vector<DefinitionChange> DiffDefinitions(const FeatureDefinitions& before,
                                              const FeatureDefinitions& after);

}  // namespace keel::features

#endif  // KEEL_FEATURES_DIFF_H_
