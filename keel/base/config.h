// keel.yaml: the workspace's settings. One table (KeelSettings) describes
// every setting: its key, type, default and help. The same table validates
// the file, maps KEEL_* environment variables, renders the commented
// template that `keel init` writes, and lists settings for `keel config`.
//
// Precedence, lowest first: default < keel.yaml < KEEL_* variable < a flag.
#ifndef KEEL_BASE_CONFIG_H_
#define KEEL_BASE_CONFIG_H_

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "keel/base/status.h"

namespace keel {

enum class SettingType { kString, kInt, kBool, kEnum };

// One setting of keel.yaml.
struct SettingSpec {
  std::string key;            // dotted path: "registry.uri"
  SettingType type = SettingType::kString;
  std::string default_value;  // as it would be written in YAML
  std::string help;           // one line, shown in the template
  std::vector<std::string> choices;  // kEnum only
  int64_t min = 0;                   // kInt only: inclusive range
  int64_t max = INT64_MAX;
  // Extra check for strings (e.g. a URI scheme); returns an error message
  // ("expected ...") or "" when the value is fine.
  std::function<std::string(std::string_view)> check;
};

// Every setting Keel knows, in the order the template shows them.
const std::vector<SettingSpec>& KeelSettings();

// The environment variable for a setting: "log.level" -> "KEEL_LOG_LEVEL".
std::string EnvVarForKey(std::string_view key);

// Resolved settings. Cheap to copy. Getters take keys from KeelSettings();
// asking for any other key is a programming error and aborts.
class Config {
 public:
  struct Entry {
    std::string key;
    std::string value;
    std::string origin;  // "default", "keel.yaml:7:10", "KEEL_LOG_LEVEL", "--log-level"
  };

  // Every setting at its default.
  Config();

  // Parses keel.yaml text. `source` names the file in messages. Errors
  // (InvalidArgument), each naming source:line:column: invalid YAML, unknown
  // key (with the valid keys at that level and the closest match), a wrong
  // type or bad value (with what was expected), a duplicate key, a missing
  // `project`.
  static StatusOr<Config> Parse(std::string_view yaml_text, std::string_view source);
  // Reads and parses a file. NotFound when it is missing.
  static StatusOr<Config> Load(const std::string& path);

  // Applies KEEL_<KEY> overrides from `environ` (NAME=VALUE strings, as in
  // ::environ). Bad values are InvalidArgument naming the variable. Returns
  // a warning for each KEEL_* variable that matches no setting.
  StatusOr<std::vector<std::string>> ApplyEnvironment(const std::vector<std::string>& environ);

  // Sets one value (validated as the file would be); `origin` is recorded.
  Status Set(std::string_view key, std::string_view value, std::string_view origin);

  const std::string& GetString(std::string_view key) const;
  int64_t GetInt(std::string_view key) const;
  bool GetBool(std::string_view key) const;
  const std::string& Origin(std::string_view key) const;

  // All settings in KeelSettings() order.
  std::vector<Entry> Entries() const;

 private:
  struct Value {
    std::string text;
    std::string origin;
  };
  const Value& Find(std::string_view key) const;

  std::map<std::string, Value, std::less<>> values_;
};

// The keel.yaml that `keel init` writes: `project` set, every other setting
// present as a comment with its default value and help, ready to uncomment.
std::string RenderConfigTemplate(std::string_view project_name);

// The environment of this process as NAME=VALUE strings.
std::vector<std::string> ProcessEnvironment();

}  // namespace keel

#endif  // KEEL_BASE_CONFIG_H_
