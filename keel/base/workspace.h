// A Keel workspace: a folder with keel.yaml (settings) and .keel/ (the
// embedded lake, registry database and online store). Every command that
// works on data opens one; everything it needs is passed from here.
#ifndef KEEL_BASE_WORKSPACE_H_
#define KEEL_BASE_WORKSPACE_H_

#include <string>
#include <string_view>
#include <vector>

#include "keel/base/config.h"
#include "keel/base/status.h"

namespace keel {

inline constexpr char kConfigFileName[] = "keel.yaml";
inline constexpr char kStateDirName[] = ".keel";

class Workspace {
 public:
  // Finds the workspace root: `explicit_dir` (the --workspace flag) when
  // given, else $KEEL_WORKSPACE, else the nearest folder holding keel.yaml
  // from `start_dir` upward. Errors: FailedPrecondition with what was
  // searched and how to fix it (keel init, --workspace).
  static StatusOr<std::string> Locate(const std::string& explicit_dir,
                                      const std::vector<std::string>& environ,
                                      const std::string& start_dir);

  // Loads keel.yaml from `root` and applies the KEEL_* variables in
  // `environ`. Config errors are InvalidArgument naming file:line:column.
  // Warnings (unknown KEEL_* variables) are kept in warnings().
  static StatusOr<Workspace> Open(const std::string& root,
                                  const std::vector<std::string>& environ);

  const std::string& root() const { return root_; }
  const Config& config() const { return config_; }
  Config& mutable_config() { return config_; }
  const std::vector<std::string>& warnings() const { return warnings_; }

  // root/keel.yaml, root/.keel
  std::string config_path() const;
  std::string state_dir() const;
  // `path` as is when absolute, else relative to the root.
  std::string Resolve(std::string_view path) const;
  // The object store URI with a relative file:// path made absolute.
  std::string StorageUri() const;

 private:
  std::string root_;
  Config config_;
  std::vector<std::string> warnings_;
};

struct InitOptions {
  // Project name for keel.yaml; empty: the folder's name (made valid).
  std::string project;
  // Rewrite keel.yaml of an existing workspace. The old file is kept as
  // keel.yaml.bak; nothing under .keel/ is ever removed.
  bool force = false;
};

struct InitResult {
  std::string root;
  std::string project;
  bool rewrote_config = false;     // --force replaced an existing keel.yaml
  std::string backup_path;         // where the old keel.yaml went, if any
  std::vector<std::string> created;  // paths created, for the report
};

// Creates `dir` (if needed), keel.yaml and .keel/ with its sub-folders.
// Errors: AlreadyExists when keel.yaml exists and !force (saying --force
// keeps data); InvalidArgument for a bad project name; I/O errors with paths.
StatusOr<InitResult> InitWorkspace(const std::string& dir, const InitOptions& options);

}  // namespace keel

#endif  // KEEL_BASE_WORKSPACE_H_
