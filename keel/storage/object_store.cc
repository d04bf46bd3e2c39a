#include "keel/storage/object_store.h"

#include <cstdlib>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "keel/base/suggest.h"

namespace keel {
namespace {

constexpr size_t kMaxKeyBytes = 1024;

// Shared by keys and prefixes; `what` is "key" or "prefix".
Status ValidatePath(std::string_view text, std::string_view what, bool allow_trailing_slash) {
  auto bad = [&](std::string_view rule) {
    return absl::InvalidArgumentError(absl::StrCat("invalid object ", std::string(what), " '",
                                                   std::string(text), "': ", std::string(rule)));
  };
  if (text.size() > kMaxKeyBytes) return bad("longer than 1024 bytes");
  for (const char c : text) {
    if (c == '\0') return bad("contains a NUL byte");
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) {
      return bad("contains a control character");
    }
  }
  if (text.front() == '/') return bad("must be relative (no leading '/')");
  if (text.back() == '/' && !allow_trailing_slash) return bad("ends with '/'");
  std::string_view rest = text;
  if (allow_trailing_slash && rest.back() == '/') rest.remove_suffix(1);
  size_t start = 0;
  while (start <= rest.size()) {
    size_t end = rest.find('/', start);
    if (end == std::string_view::npos) end = rest.size();
    const std::string_view segment = rest.substr(start, end - start);
    if (segment.empty()) return bad("has an empty segment ('//')");
    if (segment == "..") return bad("has a '..' segment");
    if (segment == ".") return bad("has a '.' segment");
    start = end + 1;
  }
  return absl::OkStatus();
}

bool IsTrue(std::string_view value) {
  const std::string v = absl::AsciiStrToLower(std::string(value));
  return v == "1" || v == "true" || v == "yes" || v == "on";
}

// Sets `*field` from the variable when it is set and non-empty.
bool FromEnv(const char* name, std::string* field) {
  const char* value = std::getenv(name);
  if (value == nullptr || *value == '\0') return false;
  *field = value;
  return true;
}

}  // namespace

Status ValidateObjectKey(std::string_view key) {
  if (key.empty()) return absl::InvalidArgumentError("invalid object key '': empty");
  return ValidatePath(key, "key", /*allow_trailing_slash=*/false);
}

Status ValidateListPrefix(std::string_view prefix) {
  if (prefix.empty()) return absl::OkStatus();
  return ValidatePath(prefix, "prefix", /*allow_trailing_slash=*/true);
}

ObjectStoreOptions OptionsFromEnv(const ObjectStoreOptions& defaults) {
  ObjectStoreOptions options = defaults;
  FromEnv("AWS_ACCESS_KEY_ID", &options.access_key_id);
  FromEnv("AWS_SECRET_ACCESS_KEY", &options.secret_access_key);
  FromEnv("AWS_SESSION_TOKEN", &options.session_token);
  if (!FromEnv("AWS_REGION", &options.region)) FromEnv("AWS_DEFAULT_REGION", &options.region);
  if (!FromEnv("AWS_ENDPOINT_URL_S3", &options.endpoint)) {
    FromEnv("AWS_ENDPOINT_URL", &options.endpoint);
  }
  std::string path_style;
  if (FromEnv("AWS_S3_USE_PATH_STYLE", &path_style)) options.path_style = IsTrue(path_style);
  return options;
}

ObjectStoreOptions OptionsFromConfig(const Config& config) {
  ObjectStoreOptions options = OptionsFromEnv();
  auto set = [&config](const char* key) { return config.Origin(key) != "default"; };
  if (set("storage.s3.endpoint")) options.endpoint = config.GetString("storage.s3.endpoint");
  if (set("storage.s3.region")) options.region = config.GetString("storage.s3.region");
  if (set("storage.s3.path_style")) options.path_style = config.GetBool("storage.s3.path_style");
  if (set("storage.s3.access_key_id")) {
    options.access_key_id = config.GetString("storage.s3.access_key_id");
  }
  if (set("storage.s3.secret_access_key")) {
    options.secret_access_key = config.GetString("storage.s3.secret_access_key");
  }
  options.idle_timeout_ms = config.GetInt("storage.s3.timeout_ms");
  return options;
}

// ---- ObjectStore: validate, call the back-end, name the URI in errors. ----

ObjectStore::ObjectStore(std::string root_uri) : root_uri_(std::move(root_uri)) {}
ObjectStore::~ObjectStore() = default;

std::string ObjectStore::Uri(std::string_view key) const {
  if (key.empty()) return root_uri_;
  return absl::StrCat(root_uri_, "/", std::string(key));
}

Status ObjectStore::Put(std::string_view key, std::string_view bytes) {
  KEEL_RETURN_IF_ERROR(Annotate(ValidateObjectKey(key), root_uri_));
  return Annotate(PutImpl(std::string(key), bytes), Uri(key));
}

Status ObjectStore::PutFile(std::string_view key, const std::string& local_path) {
  KEEL_RETURN_IF_ERROR(Annotate(ValidateObjectKey(key), root_uri_));
  return Annotate(PutFileImpl(std::string(key), local_path), Uri(key));
}

StatusOr<std::string> ObjectStore::Get(std::string_view key) {
  KEEL_RETURN_IF_ERROR(Annotate(ValidateObjectKey(key), root_uri_));
  StatusOr<std::string> bytes = GetImpl(std::string(key));
  if (!bytes.ok()) return Annotate(bytes.status(), Uri(key));
  return bytes;
}

StatusOr<std::string> ObjectStore::GetRange(std::string_view key, int64_t offset, int64_t length) {
  KEEL_RETURN_IF_ERROR(Annotate(ValidateObjectKey(key), root_uri_));
  if (offset < 0 || length < 0) {
    return absl::InvalidArgumentError(absl::StrCat(Uri(key), ": invalid range: offset ", offset,
                                                   ", length ", length, " (both must be >= 0)"));
  }
  if (length == 0) {
    // Nothing to read, but a missing object is still an error.
    StatusOr<ObjectInfo> info = StatImpl(std::string(key));
    if (!info.ok()) return Annotate(info.status(), Uri(key));
    return std::string();
  }
  StatusOr<std::string> bytes = GetRangeImpl(std::string(key), offset, length);
  if (!bytes.ok()) return Annotate(bytes.status(), Uri(key));
  return bytes;
}

Status ObjectStore::GetToFile(std::string_view key, const std::string& local_path) {
  KEEL_RETURN_IF_ERROR(Annotate(ValidateObjectKey(key), root_uri_));
  return Annotate(GetToFileImpl(std::string(key), local_path), Uri(key));
}

StatusOr<ObjectInfo> ObjectStore::Stat(std::string_view key) {
  KEEL_RETURN_IF_ERROR(Annotate(ValidateObjectKey(key), root_uri_));
  StatusOr<ObjectInfo> info = StatImpl(std::string(key));
  if (!info.ok()) return Annotate(info.status(), Uri(key));
  return info;
}

StatusOr<std::optional<std::string>> ObjectStore::LocalFilePath(std::string_view key,
                                                                bool for_write) {
  KEEL_RETURN_IF_ERROR(Annotate(ValidateObjectKey(key), root_uri_));
  StatusOr<std::optional<std::string>> path = LocalFilePathImpl(std::string(key), for_write);
  if (!path.ok()) return Annotate(path.status(), Uri(key));
  return path;
}

StatusOr<bool> ObjectStore::Exists(std::string_view key) {
  StatusOr<ObjectInfo> info = Stat(key);
  if (info.ok()) return true;
  if (absl::IsNotFound(info.status())) return false;
  return info.status();
}

Status ObjectStore::Delete(std::string_view key) {
  KEEL_RETURN_IF_ERROR(Annotate(ValidateObjectKey(key), root_uri_));
  return Annotate(DeleteImpl(std::string(key)), Uri(key));
}

StatusOr<std::vector<ObjectInfo>> ObjectStore::List(std::string_view prefix) {
  KEEL_RETURN_IF_ERROR(Annotate(ValidateListPrefix(prefix), root_uri_));
  StatusOr<std::vector<ObjectInfo>> entries = ListImpl(std::string(prefix));
  if (!entries.ok()) {
    return Annotate(entries.status(), absl::StrCat("listing ", Uri(prefix)));
  }
  return entries;
}

// ---- URIs and the registry. ----

StatusOr<StorageUri> ParseStorageUri(std::string_view uri) {
  StorageUri parsed;
  parsed.text = std::string(uri);
  if (uri.empty()) return absl::InvalidArgumentError("empty storage URI");
  const size_t sep = uri.find("://");
  std::string_view rest;
  if (sep == std::string_view::npos) {
    parsed.scheme = "file";
    rest = uri;
  } else {
    const std::string_view scheme = uri.substr(0, sep);
    bool valid = !scheme.empty() && absl::ascii_isalpha(static_cast<unsigned char>(scheme[0]));
    for (const char c : scheme) {
      valid = valid && (absl::ascii_isalnum(static_cast<unsigned char>(c)) || c == '+' ||
                        c == '-' || c == '.');
    }
    if (!valid) {
      return absl::InvalidArgumentError(absl::StrCat("malformed storage URI '", parsed.text,
                                                     "': bad scheme '", std::string(scheme), "'"));
    }
    parsed.scheme = absl::AsciiStrToLower(std::string(scheme));
    rest = uri.substr(sep + 3);
  }
  if (parsed.scheme != "file") {
    const size_t slash = rest.find('/');
    parsed.authority = std::string(rest.substr(0, slash));
    rest = slash == std::string_view::npos ? std::string_view() : rest.substr(slash + 1);
    if (parsed.authority.empty()) {
      return absl::InvalidArgumentError(absl::StrCat("storage URI '", parsed.text,
                                                     "' names no bucket (expected ", parsed.scheme,
                                                     "://BUCKET/optional/prefix)"));
    }
  } else if (rest.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("storage URI '", parsed.text,
                     "' names no directory (expected file:///absolute/dir or a path)"));
  }
  while (rest.size() > 1 && rest.back() == '/') rest.remove_suffix(1);
  if (parsed.scheme != "file" && rest == "/") rest = {};
  parsed.path = std::string(rest);
  return parsed;
}

void ObjectStoreRegistry::Register(std::string scheme, ObjectStoreFactory factory) {
  factories_[std::move(scheme)] = std::move(factory);
}

std::vector<std::string> ObjectStoreRegistry::Schemes() const {
  std::vector<std::string> schemes;
  for (const auto& [scheme, factory] : factories_) schemes.push_back(scheme);
  return schemes;
}

StatusOr<std::unique_ptr<ObjectStore>> ObjectStoreRegistry::Open(
    std::string_view uri, const ObjectStoreOptions& options) const {
  KEEL_ASSIGN_OR_RETURN(StorageUri parsed, ParseStorageUri(uri));
  const auto it = factories_.find(parsed.scheme);
  if (it == factories_.end()) {
    const std::vector<std::string> known = Schemes();
    return absl::InvalidArgumentError(absl::StrCat(
        "unknown storage scheme '", parsed.scheme, "' in '", parsed.text,
        "'; known: ", absl::StrJoin(known, ", "), ".", DidYouMean(parsed.scheme, known)));
  }
  return it->second(parsed, options);
}

const ObjectStoreRegistry& ObjectStoreRegistry::Builtins() {
  // Built on first use (thread-safe static); never destroyed.
  static const ObjectStoreRegistry* const registry = [] {
    auto* r = new ObjectStoreRegistry();
    RegisterBuiltinObjectStores(*r);
    return r;
  }();
  return *registry;
}

StatusOr<std::unique_ptr<ObjectStore>> OpenObjectStore(std::string_view uri,
                                                       const ObjectStoreOptions& options) {
  return ObjectStoreRegistry::Builtins().Open(uri, options);
}

}  // namespace keel
