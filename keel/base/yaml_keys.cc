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

StatusOr<std::optional<bool>> YamlBool(const YAML::Node& map, std::string_view key,
                                       std::string_view label,
                                       const std::function<std::string(const YAML::Node&)>& where) {
  const YAML::Node value = map[std::string(key)];
  if (!value || value.IsNull()) return std::optional<bool>();
  if (value.IsScalar()) {
    const std::string& text = value.Scalar();
    if (text == "true" || text == "True" || text == "TRUE") return std::optional<bool>(true);
    if (text == "false" || text == "False" || text == "FALSE") return std::optional<bool>(false);
  }
  return absl::InvalidArgumentError(absl::StrCat(
      where(value), ": ", std::string(label), std::string(key), ": expected true or false, found '",
      value.IsScalar() ? value.Scalar() : std::string(value.IsSequence() ? "a list" : "a mapping"),
      "'"));
}

}  // namespace keel
