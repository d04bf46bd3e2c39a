#include "keel/base/workspace.h"

#include <filesystem>

#include "absl/strings/str_cat.h"
#include "keel/base/files.h"

namespace keel {
namespace fs = std::filesystem;
namespace {

std::string Absolute(const std::string& path) {
  std::error_code ec;
  fs::path p = fs::absolute(path, ec);
  if (ec) return path;
  return p.lexically_normal().string();
}

std::string WithoutTrailingSlash(std::string path) {
  while (path.size() > 1 && path.back() == '/') path.pop_back();
  return path;
}

Status CheckIsWorkspace(const std::string& dir, std::string_view how_given) {
  if (!IsDirectory(dir)) {
    return absl::FailedPreconditionError(absl::StrCat(
        "workspace folder ", dir, " (from ", std::string(how_given), ") does not exist"));
  }
  if (!PathExists(absl::StrCat(dir, "/", kConfigFileName))) {
    return absl::FailedPreconditionError(
        absl::StrCat(dir, " (from ", std::string(how_given), ") is not a Keel workspace: it has no ",
                     kConfigFileName, ". Run 'keel init ", dir, "' to make it one."));
  }
  return absl::OkStatus();
}

// The folder's name made into a valid project name.
std::string ProjectNameFor(const std::string& root) {
  std::string name = fs::path(root).filename().string();
  for (char& c : name) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_' && c != '.') c = '-';
  }
  return name.empty() ? "keel-project" : name;
}

}  // namespace

StatusOr<std::string> Workspace::Locate(const std::string& explicit_dir,
                                        const std::vector<std::string>& environ,
                                        const std::string& start_dir) {
  if (!explicit_dir.empty()) {
    const std::string dir = WithoutTrailingSlash(Absolute(explicit_dir));
    KEEL_RETURN_IF_ERROR(CheckIsWorkspace(dir, "--workspace"));
    return dir;
  }
  for (const std::string& entry : environ) {
    if (entry.rfind("KEEL_WORKSPACE=", 0) == 0 && entry.size() > 15) {
      const std::string dir = WithoutTrailingSlash(Absolute(entry.substr(15)));
      KEEL_RETURN_IF_ERROR(CheckIsWorkspace(dir, "KEEL_WORKSPACE"));
      return dir;
    }
  }
  fs::path dir = fs::path(Absolute(start_dir));
  while (true) {
    if (PathExists((dir / kConfigFileName).string())) return dir.string();
    if (!dir.has_parent_path() || dir.parent_path() == dir) break;
    dir = dir.parent_path();
  }
  return absl::FailedPreconditionError(absl::StrCat(
      "not inside a Keel workspace: no ", kConfigFileName, " in ", Absolute(start_dir),
      " or any folder above it. Run 'keel init' to create one here, or pass --workspace DIR "
      "(or set KEEL_WORKSPACE)."));
}

StatusOr<Workspace> Workspace::Open(const std::string& root,
                                    const std::vector<std::string>& environ) {
  Workspace ws;
  ws.root_ = WithoutTrailingSlash(Absolute(root));
  KEEL_ASSIGN_OR_RETURN(ws.config_, Config::Load(ws.config_path()));
  KEEL_ASSIGN_OR_RETURN(ws.warnings_, ws.config_.ApplyEnvironment(environ));
  return ws;
}

std::string Workspace::config_path() const { return absl::StrCat(root_, "/", kConfigFileName); }

std::string Workspace::state_dir() const { return absl::StrCat(root_, "/", kStateDirName); }

std::string Workspace::Resolve(std::string_view path) const {
  if (!path.empty() && path.front() == '/') return std::string(path);
  return (fs::path(root_) / std::string(path)).lexically_normal().string();
}

std::string Workspace::StorageUri() const {
  const std::string& uri = config_.GetString("storage.uri");
  constexpr char kFile[] = "file://";
  if (uri.rfind(kFile, 0) == 0) return absl::StrCat(kFile, Resolve(std::string_view(uri).substr(7)));
  return uri;
}

StatusOr<InitResult> InitWorkspace(const std::string& dir, const InitOptions& options) {
  InitResult result;
  result.root = WithoutTrailingSlash(Absolute(dir));
  if (PathExists(result.root) && !IsDirectory(result.root)) {
    return absl::FailedPreconditionError(
        absl::StrCat(result.root, " exists and is not a folder; choose another path"));
  }
  result.project = options.project.empty() ? ProjectNameFor(result.root) : options.project;
  Config check;
  if (Status s = check.Set("project", result.project, "--project"); !s.ok()) {
    return absl::InvalidArgumentError(absl::StrCat("--project: ", s.message()));
  }

  const std::string config_path = absl::StrCat(result.root, "/", kConfigFileName);
  if (PathExists(config_path)) {
    if (!options.force) {
      return absl::AlreadyExistsError(absl::StrCat(
          result.root, " is already a Keel workspace (", config_path,
          " exists). Nothing was changed. Use --force to rewrite keel.yaml with the defaults; "
          "the old file is kept as keel.yaml.bak and data under .keel/ is never touched."));
    }
    KEEL_ASSIGN_OR_RETURN(std::string old_text, ReadFile(config_path));
    result.backup_path = config_path + ".bak";
    KEEL_RETURN_IF_ERROR(WriteFileAtomic(result.backup_path, old_text));
    result.rewrote_config = true;
  }

  if (!IsDirectory(result.root)) result.created.push_back(result.root);
  KEEL_RETURN_IF_ERROR(MakeDirs(result.root));
  const std::string state = absl::StrCat(result.root, "/", kStateDirName);
  for (const std::string& sub : {state, state + "/lake", state + "/online"}) {
    if (!IsDirectory(sub)) {
      KEEL_RETURN_IF_ERROR(MakeDirs(sub));
      result.created.push_back(sub);
    }
  }
  // Keep workspace state out of version control by default.
  const std::string ignore = state + "/.gitignore";
  if (!PathExists(ignore)) KEEL_RETURN_IF_ERROR(WriteFileAtomic(ignore, "*\n"));
  KEEL_RETURN_IF_ERROR(WriteFileAtomic(config_path, RenderConfigTemplate(result.project)));
  if (!result.rewrote_config) result.created.push_back(config_path);
  return result;
}

}  // namespace keel
