#include "keel/base/yaml_keys.h"

#include <algorithm>
#include <set>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "keel/base/suggest.h"

namespace keel {

Status CheckYamlKeys(const YAML::Node& map, const std::vector<std::string>& allowed,
                     std::string_view label,
                     const std::function<std::string(const YAML::Node&)>& where) {
  std::set<std::string> seen;
  for (auto it = map.begin(); it != map.end(); ++it) {
    const std::string key = it->first.Scalar();
    if (std::find(allowed.begin(), allowed.end(), key) == allowed.end()) {
      return absl::InvalidArgumentError(
          absl::StrCat(where(it->first), ": ", std::string(label), "unknown key '", key, "'.",
                       DidYouMean(key, allowed), " Keys: ", absl::StrJoin(allowed, ", ")));
    }
    if (!seen.insert(key).second) {
      return absl::InvalidArgumentError(absl::StrCat(where(it->first), ": ", std::string(label),
                                                     "key '", key, "' appears twice"));
    }
  }
  return absl::OkStatus();
}

}  // namespace keel
