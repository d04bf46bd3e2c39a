#include "keel/base/config.h"

#include <cstdlib>
#include <set>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "keel/base/files.h"
#include "keel/base/suggest.h"
#include "yaml-cpp/yaml.h"

extern char** environ;

namespace keel {
namespace {

std::string CheckScheme(std::string_view value, const std::vector<std::string>& schemes,
                        std::string_view example) {
  const size_t sep = value.find("://");
  if (sep != std::string_view::npos) {
    const std::string scheme(value.substr(0, sep));
    for (const std::string& known : schemes) {
      if (scheme == known) return "";
    }
  }
  return absl::StrCat("expected a URI starting with ", absl::StrJoin(schemes, "://, "),
                      "://, such as '", std::string(example), "'");
}

std::vector<SettingSpec> BuildSettings() {
  std::vector<SettingSpec> s;
  s.push_back({.key = "project",
               .help = "Name of the project (letters, digits, '-', '_', '.')",
               .check = [](std::string_view v) -> std::string {
                 if (v.empty()) return "expected a non-empty name";
                 for (const char c : v) {
                   if (!absl::ascii_isalnum(static_cast<unsigned char>(c)) && c != '-' &&
                       c != '_' && c != '.') {
                     return "expected letters, digits, '-', '_' or '.' only";
                   }
                 }
                 return "";
               }});
  s.push_back({.key = "storage.uri",
               .default_value = "file://.keel/lake",
               .help = "Object store for datasets and models: file://PATH (relative to this "
                       "file) or s3://BUCKET/PREFIX",
               .check = [](std::string_view v) {
                 return CheckScheme(v, {"file", "s3"}, "s3://my-bucket/keel");
               }});
  s.push_back({.key = "storage.s3.endpoint",
               .help = "S3 endpoint URL, e.g. http://127.0.0.1:9000; empty: AWS_ENDPOINT_URL "
                       "or AWS itself"});
  s.push_back({.key = "storage.s3.region",
               .help = "S3 region; empty: AWS_REGION, AWS_DEFAULT_REGION or us-east-1"});
  s.push_back({.key = "storage.s3.path_style",
               .type = SettingType::kBool,
               .default_value = "false",
               .help = "Address buckets as ENDPOINT/BUCKET (MinIO and most local servers) "
                       "instead of BUCKET.ENDPOINT"});
  s.push_back(
      {.key = "storage.s3.access_key_id", .help = "S3 access key id; empty: AWS_ACCESS_KEY_ID"});
  s.push_back({.key = "storage.s3.secret_access_key",
               .help = "S3 secret key; empty: AWS_SECRET_ACCESS_KEY (prefer the variable)"});
  s.push_back({.key = "storage.s3.timeout_ms",
               .type = SettingType::kInt,
               .default_value = "60000",
               .help = "Give up on an S3 request that moves no byte for this long (ms)",
               .min = 1});
  s.push_back({.key = "storage.table_compression",
               .type = SettingType::kEnum,
               .default_value = "auto",
               .help = "How the lake stores parsed tables: none (read back zero-copy through a "
                       "memory map; as big as the table in memory), zstd (4-5x smaller, reads "
                       "decompress), auto (none on file://, zstd on s3://)",
               .choices = {"auto", "none", "zstd"}});
  s.push_back({.key = "registry.uri",
               .default_value = "sqlite://.keel/keel.db",
               .help = "Metadata registry: sqlite://PATH or postgresql://USER@HOST:PORT/DB",
               .check = [](std::string_view v) {
                 return CheckScheme(v, {"sqlite", "postgresql", "postgres"},
                                    "postgresql://keel@127.0.0.1:5432/keel");
               }});
  s.push_back({.key = "online_store.type",
               .type = SettingType::kEnum,
               .default_value = "embedded",
               .help = "Online feature store: embedded (a local key-value store) or redis",
               .choices = {"embedded", "redis"}});
  s.push_back({.key = "online_store.path",
               .default_value = ".keel/online",
               .help = "Folder of the embedded online store, relative to this file"});
  s.push_back({.key = "online_store.redis_url",
               .default_value = "redis://127.0.0.1:6379/0",
               .help = "Redis server for online_store.type: redis",
               .check = [](std::string_view v) {
                 return CheckScheme(v, {"redis", "rediss", "unix"}, "redis://127.0.0.1:6379/0");
               }});
  s.push_back({.key = "log.level",
               .type = SettingType::kEnum,
               .default_value = "info",
               .help = "Least severe messages shown",
               .choices = {"trace", "debug", "info", "warn", "error", "off"}});
  s.push_back({.key = "log.format",
               .type = SettingType::kEnum,
               .default_value = "text",
               .help = "text: lines for people; json: one JSON object per line",
               .choices = {"text", "json"}});
  s.push_back({.key = "threads",
               .type = SettingType::kInt,
               .default_value = "0",
               .help = "Worker threads for parallel work; 0: one per core",
               .min = 0,
               .max = 4096});
  return s;
}

const SettingSpec* FindSpec(std::string_view key) {
  for (const SettingSpec& spec : KeelSettings()) {
    if (spec.key == key) return &spec;
  }
  return nullptr;
}

std::string TypeDescription(const SettingSpec& spec) {
  switch (spec.type) {
    case SettingType::kBool:
      return "true or false";
    case SettingType::kEnum:
      return absl::StrCat("one of ", absl::StrJoin(spec.choices, ", "));
    case SettingType::kInt:
      if (spec.max == INT64_MAX) return absl::StrCat("an integer >= ", spec.min);
      return absl::StrCat("an integer from ", spec.min, " to ", spec.max);
    case SettingType::kString:
      return "a string";
  }
  return "";
}

// Returns "" when `value` is valid for `spec`, else what was expected.
std::string Validate(const SettingSpec& spec, std::string_view value) {
  const std::string got = absl::StrCat("; got '", std::string(value), "'");
  switch (spec.type) {
    case SettingType::kBool:
      if (value == "true" || value == "false") return "";
      return absl::StrCat("expected ", TypeDescription(spec), got);
    case SettingType::kEnum:
      for (const std::string& choice : spec.choices) {
        if (value == choice) return "";
      }
      {
        const std::string hint = DidYouMean(value, spec.choices);
        return absl::StrCat("expected ", TypeDescription(spec), got, hint.empty() ? "" : ".", hint);
      }
    case SettingType::kInt: {
      char* end = nullptr;
      const std::string text(value);
      errno = 0;
      const long long n = std::strtoll(text.c_str(), &end, 10);
      if (text.empty() || *end != '\0' || errno == ERANGE || n < spec.min || n > spec.max) {
        return absl::StrCat("expected ", TypeDescription(spec), got);
      }
      return "";
    }
    case SettingType::kString:
      if (spec.check) {
        const std::string problem = spec.check(value);
        if (!problem.empty()) return absl::StrCat(problem, got);
      }
      return "";
  }
  return "";
}

// The keys directly under `prefix` ("" for the top level): settings and
// sections, in template order, without duplicates.
std::vector<std::string> KeysUnder(std::string_view prefix) {
  std::vector<std::string> keys;
  const std::string lead = prefix.empty() ? "" : absl::StrCat(std::string(prefix), ".");
  for (const SettingSpec& spec : KeelSettings()) {
    if (spec.key.compare(0, lead.size(), lead) != 0) continue;
    std::string rest = spec.key.substr(lead.size());
    rest = rest.substr(0, rest.find('.'));
    if (std::find(keys.begin(), keys.end(), rest) == keys.end()) keys.push_back(rest);
  }
  return keys;
}

bool IsSection(std::string_view path) {
  const std::string lead = absl::StrCat(std::string(path), ".");
  for (const SettingSpec& spec : KeelSettings()) {
    if (spec.key.compare(0, lead.size(), lead) == 0) return true;
  }
  return false;
}

std::string NodeKind(const YAML::Node& node) {
  switch (node.Type()) {
    case YAML::NodeType::Map:
      return "a mapping";
    case YAML::NodeType::Sequence:
      return "a list";
    case YAML::NodeType::Scalar:
      return absl::StrCat("'", node.Scalar(), "'");
    default:
      return "nothing";
  }
}

// Parses a YAML mapping against the settings under `prefix`.
class Walker {
 public:
  Walker(std::string_view source, Config* config) : source_(source), config_(config) {}

  std::string Where(const YAML::Mark& mark) const {
    if (mark.line < 0) return source_;
    return absl::StrCat(source_, ":", mark.line + 1, ":", mark.column + 1);
  }

  Status Error(const YAML::Mark& mark, std::string_view message) const {
    return absl::InvalidArgumentError(absl::StrCat(Where(mark), ": ", std::string(message)));
  }

  Status WalkMap(const YAML::Node& map, const std::string& prefix) {
    std::set<std::string> seen;
    for (auto it = map.begin(); it != map.end(); ++it) {
      const YAML::Node key_node = it->first;
      const YAML::Node value = it->second;
      if (!key_node.IsScalar()) return Error(key_node.Mark(), "expected a plain key name");
      const std::string key = key_node.Scalar();
      const std::string path = prefix.empty() ? key : absl::StrCat(prefix, ".", key);
      if (!seen.insert(key).second) {
        return Error(key_node.Mark(), absl::StrCat("duplicate key '", path, "'"));
      }
      const YAML::Mark value_mark = value.Mark().line >= 0 ? value.Mark() : key_node.Mark();
      if (const SettingSpec* spec = FindSpec(path)) {
        if (value.IsNull()) {
          return Error(
              value_mark,
              absl::StrCat(path, ": no value given; write ", TypeDescription(*spec),
                           ", or remove the line to use the default '", spec->default_value, "'"));
        }
        if (!value.IsScalar()) {
          return Error(value_mark, absl::StrCat(path, ": expected ", TypeDescription(*spec),
                                                ", got ", NodeKind(value)));
        }
        Status s = config_->Set(path, value.Scalar(), Where(value_mark));
        if (!s.ok()) return Error(value_mark, std::string(s.message()));
      } else if (IsSection(path)) {
        if (value.IsNull()) continue;  // "log:" with nothing under it
        if (!value.IsMap()) {
          return Error(value_mark, absl::StrCat(path, ": expected a mapping of settings (",
                                                absl::StrJoin(KeysUnder(path), ", "), "), got ",
                                                NodeKind(value)));
        }
        KEEL_RETURN_IF_ERROR(WalkMap(value, path));
      } else {
        const std::vector<std::string> valid = KeysUnder(prefix);
        return Error(
            key_node.Mark(),
            absl::StrCat("unknown key '", path, "'.", DidYouMean(key, valid), " Valid keys ",
                         prefix.empty() ? std::string("at the top level")
                                        : absl::StrCat("under '", prefix, "'"),
                         ": ", absl::StrJoin(valid, ", "), "."));
      }
    }
    return absl::OkStatus();
  }

 private:
  std::string source_;
  Config* config_;
};

bool NeedsQuotes(std::string_view v) {
  if (v.empty()) return true;
  if (v.find(": ") != std::string_view::npos || v.find(" #") != std::string_view::npos) {
    return true;
  }
  return std::string_view("!&*-?{}[],#|>@`\"'%").find(v.front()) != std::string_view::npos;
}

}  // namespace

const std::vector<SettingSpec>& KeelSettings() {
  static const std::vector<SettingSpec>* settings = new std::vector<SettingSpec>(BuildSettings());
  return *settings;
}

std::string EnvVarForKey(std::string_view key) {
  std::string name = "KEEL_";
  for (const char c : key) {
    name += c == '.' ? '_' : absl::ascii_toupper(static_cast<unsigned char>(c));
  }
  return name;
}

Config::Config() {
  for (const SettingSpec& spec : KeelSettings()) {
    values_[spec.key] = Value{spec.default_value, "default"};
  }
}

StatusOr<Config> Config::Parse(std::string_view yaml_text, std::string_view source) {
  YAML::Node root;
  try {
    root = YAML::Load(std::string(yaml_text));
  } catch (const YAML::Exception& e) {
    return absl::InvalidArgumentError(absl::StrCat(std::string(source), ":", e.mark.line + 1, ":",
                                                   e.mark.column + 1, ": invalid YAML: ", e.msg));
  }
  Config config;
  Walker walker(source, &config);
  if (root.IsNull()) {
    return absl::InvalidArgumentError(absl::StrCat(
        std::string(source), ": the file has no settings; it needs at least 'project: NAME'"));
  }
  if (!root.IsMap()) {
    return walker.Error(
        root.Mark(), absl::StrCat("expected a mapping of settings (",
                                  absl::StrJoin(KeysUnder(""), ", "), "), got ", NodeKind(root)));
  }
  try {
    KEEL_RETURN_IF_ERROR(walker.WalkMap(root, ""));
  } catch (const YAML::Exception& e) {
    return walker.Error(e.mark, absl::StrCat("invalid YAML: ", e.msg));
  }
  if (config.GetString("project").empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat(std::string(source),
                     ": missing required key 'project' (the project's name, e.g. "
                     "'project: fraud-detection')"));
  }
  return config;
}

StatusOr<Config> Config::Load(const std::string& path) {
  KEEL_ASSIGN_OR_RETURN(std::string text, ReadFile(path));
  return Parse(text, path);
}

StatusOr<std::vector<std::string>> Config::ApplyEnvironment(
    const std::vector<std::string>& environ_entries) {
  std::vector<std::string> warnings;
  std::vector<std::string> known_vars;
  for (const SettingSpec& spec : KeelSettings()) known_vars.push_back(EnvVarForKey(spec.key));
  // Variables that are not settings but are Keel's own.
  const std::vector<std::string> non_settings = {"KEEL_WORKSPACE"};
  for (const std::string& entry : environ_entries) {
    if (entry.rfind("KEEL_", 0) != 0) continue;
    const size_t eq = entry.find('=');
    if (eq == std::string::npos) continue;
    const std::string name = entry.substr(0, eq);
    const std::string value = entry.substr(eq + 1);
    if (std::find(non_settings.begin(), non_settings.end(), name) != non_settings.end()) continue;
    const SettingSpec* match = nullptr;
    for (const SettingSpec& spec : KeelSettings()) {
      if (EnvVarForKey(spec.key) == name) match = &spec;
    }
    if (match == nullptr) {
      std::vector<std::string> candidates = known_vars;
      candidates.insert(candidates.end(), non_settings.begin(), non_settings.end());
      warnings.push_back(absl::StrCat("environment variable ", name,
                                      " matches no setting and is ignored.",
                                      DidYouMean(name, candidates)));
      continue;
    }
    Status s = Set(match->key, value, name);
    if (!s.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat("environment variable ", name, ": ", s.message()));
    }
  }
  return warnings;
}

Status Config::Set(std::string_view key, std::string_view value, std::string_view origin) {
  const SettingSpec* spec = FindSpec(key);
  if (spec == nullptr) {
    std::vector<std::string> keys;
    for (const SettingSpec& s : KeelSettings()) keys.push_back(s.key);
    return absl::InvalidArgumentError(
        absl::StrCat("unknown setting '", std::string(key), "'.", DidYouMean(key, keys)));
  }
  const std::string problem = Validate(*spec, value);
  if (!problem.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(spec->key, ": ", problem));
  }
  values_[spec->key] = Value{std::string(value), std::string(origin)};
  return absl::OkStatus();
}

const Config::Value& Config::Find(std::string_view key) const {
  auto it = values_.find(key);
  if (it == values_.end()) {
    std::fprintf(stderr, "keel: internal error: unknown setting '%.*s'\n",
                 static_cast<int>(key.size()), key.data());
    std::abort();
  }
  return it->second;
}

const std::string& Config::GetString(std::string_view key) const { return Find(key).text; }

int64_t Config::GetInt(std::string_view key) const {
  return std::strtoll(Find(key).text.c_str(), nullptr, 10);
}

bool Config::GetBool(std::string_view key) const { return Find(key).text == "true"; }

const std::string& Config::Origin(std::string_view key) const { return Find(key).origin; }

std::vector<Config::Entry> Config::Entries() const {
  std::vector<Entry> entries;
  for (const SettingSpec& spec : KeelSettings()) {
    const Value& v = Find(spec.key);
    entries.push_back({spec.key, v.text, v.origin});
  }
  return entries;
}

std::string RenderConfigTemplate(std::string_view project_name) {
  std::string out = absl::StrCat(
      "# Keel workspace settings for project '", std::string(project_name), "'.\n",
      "# Every setting is shown below, commented out, with its default value:\n",
      "# uncomment a line (and the section line above it) to change it.\n",
      "# A variable KEEL_<SECTION>_<KEY> overrides this file (for example\n",
      "# KEEL_LOG_LEVEL=debug) and a command-line flag overrides both.\n",
      "# Run 'keel config show' to see the values in force and where each came from.\n\n",
      "project: ", std::string(project_name), "\n");
  std::vector<std::string> open_sections;
  for (const SettingSpec& spec : KeelSettings()) {
    if (spec.key == "project") continue;
    std::vector<std::string> parts;
    for (size_t start = 0;;) {
      const size_t dot = spec.key.find('.', start);
      parts.push_back(spec.key.substr(start, dot - start));
      if (dot == std::string::npos) break;
      start = dot + 1;
    }
    // Open the sections this key needs that are not open yet.
    size_t common = 0;
    while (common < open_sections.size() && common + 1 < parts.size() &&
           open_sections[common] == parts[common]) {
      ++common;
    }
    open_sections.resize(common);
    if (common == 0) out += "\n";
    for (size_t i = common; i + 1 < parts.size(); ++i) {
      absl::StrAppend(&out, "# ", std::string(2 * i, ' '), parts[i], ":\n");
      open_sections.push_back(parts[i]);
    }
    const std::string indent(2 * (parts.size() - 1), ' ');
    std::string value = spec.default_value;
    if (spec.type == SettingType::kString && NeedsQuotes(value))
      value = absl::StrCat("\"", value, "\"");
    absl::StrAppend(&out, "# ", indent, "# ", spec.help, "\n");
    absl::StrAppend(&out, "# ", indent, parts.back(), ": ", value, "\n");
  }
  return out;
}

std::vector<std::string> ProcessEnvironment() {
  std::vector<std::string> entries;
  for (char** e = environ; e != nullptr && *e != nullptr; ++e) entries.emplace_back(*e);
  return entries;
}

}  // namespace keel
