// Checking the keys of a YAML mapping against the ones a file format allows,
// with the place and a did-you-mean, and reading a boolean: shared by the
// parsers of features.yaml and pipeline.yaml.
#ifndef KEEL_BASE_YAML_KEYS_H_
#define KEEL_BASE_YAML_KEYS_H_

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "keel/base/status.h"
#include "yaml-cpp/yaml.h"

namespace keel {

// OK when every key of `map` is in `allowed` and none appears twice. Else
// InvalidArgument "<where(key)>: <label>unknown key 'k'. Did you mean 'x'?
// Keys: a, b" (or "<label>key 'k' appears twice"), where `where` gives a
// node's place ("file:line:column") and `label` ("entity 'customer': ")
// says what the mapping is.
Status CheckYamlKeys(const YAML::Node& map, const std::vector<std::string>& allowed,
                     std::string_view label,
                     const std::function<std::string(const YAML::Node&)>& where);

// The boolean `map[key]`: nullopt when the key is absent or null; true or
// false for the YAML 1.2 core spellings (true, True, TRUE, false, False,
// FALSE). Else InvalidArgument "<where(value)>: <label><key>: expected true
// or false, found 'x'".
StatusOr<std::optional<bool>> YamlBool(const YAML::Node& map, std::string_view key,
                                       std::string_view label,
                                       const std::function<std::string(const YAML::Node&)>& where);

}  // namespace keel

#endif  // KEEL_BASE_YAML_KEYS_H_
