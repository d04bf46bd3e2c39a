// The models a server holds: for each model name, the versions loaded, its
// aliases and which version answers by default. Requests take a
// shared_ptr to one version (ref-counted), so a request that started on a
// version finishes on it even when a new version or a moved alias swaps in
// meanwhile; a version is freed when its last request ends.
//
//   ModelManager manager(lake.get());
//   KEEL_RETURN_IF_ERROR(manager.Add("fraud@production"));
//   manager.StartWatching(absl::Seconds(2));   // follow the registry
//   KEEL_ASSIGN_OR_RETURN(auto model, manager.Get("fraud", ""));
//
// Lookups read an immutable snapshot (one shared_ptr copy under a reader
// lock); loads build a new snapshot and swap it in. Thread-safe.
#ifndef KEEL_SERVE_MODEL_MANAGER_H_
#define KEEL_SERVE_MODEL_MANAGER_H_

#include <atomic>
#include <cstdint>
#include <map>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "keel/base/status.h"
#include "keel/lake/lake.h"
#include "keel/serve/served_model.h"

namespace keel::serve {

struct LoadedVersion {
  std::shared_ptr<const ServedModel> model;
  double load_seconds = 0;
};

// One model as served.
struct ModelEntry {
  std::string name;
  std::string selector;   // what the server was asked for: "", "3" or "production"
  int64_t default_version = 0;
  std::map<int64_t, LoadedVersion> versions;  // loaded versions
  std::map<std::string, int64_t> aliases;     // from the registry
  // Canary: this share (0..100) of default requests goes to canary_version.
  int64_t canary_version = 0;
  double canary_percent = 0;
  // Shadow: default requests are also scored by this version; its output is
  // logged, not returned.
  int64_t shadow_version = 0;
};

struct RouteOptions {
  std::string canary;  // "REF=PERCENT" (REF: version or alias), or ""
  std::string shadow;  // REF, or ""
  BatchingOptions batching;  // dynamic batching of each loaded version
};

class ModelManager {
 public:
  // `lake` must outlive the manager; the manager serialises its use.
  explicit ModelManager(Lake* lake);
  ~ModelManager();
  ModelManager(const ModelManager&) = delete;
  ModelManager& operator=(const ModelManager&) = delete;

  // Where models whose bundle names a feature service get their features:
  // called (under the manager's lock) when such a model first loads; it may
  // open the online store then. Unset: such models fail to load, saying to
  // start keel serve with --online-features. Call before Add.
  using FeatureSource = std::function<StatusOr<const FeatureEndpoints*>()>;
  void set_feature_source(FeatureSource source) { feature_source_ = std::move(source); }

  // Serves MODEL[@VERSION|@ALIAS]: loads that version as the default, and
  // the versions the model's aliases point at. Adding a served model again
  // replaces its selector. Errors: the registry's NotFound (did-you-mean);
  // DataLoss for a damaged bundle.
  Status Add(std::string_view ref, const RouteOptions& route = {});
  // Stops serving a model. Errors: NotFound when it is not served.
  Status Unload(std::string_view name);

  // Re-resolves every served model against the registry: loads versions an
  // alias or selector now points at, drops versions nothing points at.
  // Returns whether anything changed. A model whose load fails keeps its old
  // versions (the error is returned after the others are refreshed).
  StatusOr<bool> Refresh();
  // Polls the registry's change counter every `interval` and refreshes when
  // it moved. Stop with StopWatching (or the destructor).
  void StartWatching(absl::Duration interval);
  void StopWatching();

  // The version that answers `name` with `version_or_alias` ("" for the
  // default, with canary routing; "3"; "production"). `shadow` (optional)
  // receives the shadow version for default requests, or null.
  // Errors: NotFound naming the served models, or the loaded versions and
  // aliases of this one.
  StatusOr<std::shared_ptr<const ServedModel>> Get(
      std::string_view name, std::string_view version_or_alias,
      std::shared_ptr<const ServedModel>* shadow = nullptr) const;

  // Every served model, by name.
  std::vector<ModelEntry> List() const;
  // Whether `name` is served.
  bool Has(std::string_view name) const;

 private:
  struct Snapshot {
    absl::flat_hash_map<std::string, ModelEntry> models;
  };
  std::shared_ptr<const Snapshot> snapshot() const;
  void Publish(std::shared_ptr<const Snapshot> next);
  // Builds the entry for `name` served by `selector`, reusing versions
  // already loaded in `previous` (may be null). Requires update_mutex_.
  StatusOr<ModelEntry> Resolve(const std::string& name, const std::string& selector,
                               const RouteOptions& route, const ModelEntry* previous);

  Lake* lake_;
  FeatureSource feature_source_;
  absl::Mutex update_mutex_;  // serialises loads and registry use
  absl::flat_hash_map<std::string, RouteOptions> routes_;  // guarded by update_mutex_
  mutable absl::Mutex snapshot_mutex_;
  std::shared_ptr<const Snapshot> snapshot_;  // guarded by snapshot_mutex_
  mutable std::atomic<uint64_t> canary_counter_{0};

  std::thread watcher_;
  absl::Mutex watch_mutex_;
  bool stop_watching_ = false;  // guarded by watch_mutex_
};

}  // namespace keel::serve

#endif  // KEEL_SERVE_MODEL_MANAGER_H_
