#include "keel/serve/model_manager.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <utility>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "keel/base/suggest.h"
#include "keel/learn/model_store.h"
#include "keel/registry/records.h"
#include "spdlog/spdlog.h"

namespace keel::serve {

namespace {

// "3" -> 3; an alias -> its version in `aliases`; "" -> `latest`.
StatusOr<int64_t> VersionFor(const std::string& model, std::string_view ref,
                             const std::map<std::string, int64_t>& aliases, int64_t latest) {
  if (ref.empty() || ref == "latest") return latest;
  int64_t version = 0;
  if (absl::SimpleAtoi(std::string(ref), &version)) return version;
  auto it = aliases.find(std::string(ref));
  if (it == aliases.end()) {
    std::vector<std::string> names;
    for (const auto& [alias, v] : aliases) names.push_back(alias);
    return absl::NotFoundError(absl::StrCat("model '", model, "' has no alias '", std::string(ref),
                                            "'; aliases: ",
                                            names.empty() ? "none" : absl::StrJoin(names, ", ")));
  }
  return it->second;
}

}  // namespace

ModelManager::ModelManager(Lake* lake) : lake_(lake), snapshot_(std::make_shared<Snapshot>()) {}

ModelManager::~ModelManager() { StopWatching(); }

std::shared_ptr<const ModelManager::Snapshot> ModelManager::snapshot() const {
  absl::ReaderMutexLock lock(&snapshot_mutex_);
  return snapshot_;
}

void ModelManager::Publish(std::shared_ptr<const Snapshot> next) {
  absl::MutexLock lock(&snapshot_mutex_);
  snapshot_ = std::move(next);
}

StatusOr<ModelEntry> ModelManager::Resolve(const std::string& name, const std::string& selector,
                                           const RouteOptions& route, const ModelEntry* previous) {
  KEEL_ASSIGN_OR_RETURN(std::vector<ModelVersionRecord> records,
                        lake_->registry().ListModelVersions(name));
  ModelEntry entry;
  entry.name = name;
  entry.selector = selector;
  const int64_t latest = records.empty() ? 0 : records.front().version;
  for (const ModelVersionRecord& record : records) {
    for (const std::string& alias : record.aliases) entry.aliases[alias] = record.version;
  }
  KEEL_ASSIGN_OR_RETURN(entry.default_version, VersionFor(name, selector, entry.aliases, latest));

  std::vector<int64_t> wanted = {entry.default_version};
  for (const auto& [alias, version] : entry.aliases) wanted.push_back(version);
  if (!route.canary.empty()) {
    std::pair<std::string, std::string> parts = absl::StrSplit(route.canary, absl::MaxSplits('=', 1));
    double percent = 0;
    if (!absl::SimpleAtod(std::string(parts.second), &percent) || percent < 0 || percent > 100) {
      return absl::InvalidArgumentError(absl::StrCat(
          "canary '", route.canary, "': expected REF=PERCENT with PERCENT in 0..100, e.g. staging=10"));
    }
    KEEL_ASSIGN_OR_RETURN(entry.canary_version, VersionFor(name, parts.first, entry.aliases, latest));
    entry.canary_percent = percent;
    wanted.push_back(entry.canary_version);
  }
  if (!route.shadow.empty()) {
    KEEL_ASSIGN_OR_RETURN(entry.shadow_version, VersionFor(name, route.shadow, entry.aliases, latest));
    wanted.push_back(entry.shadow_version);
  }
  for (int64_t version : wanted) {
    if (entry.versions.contains(version)) continue;
    if (previous != nullptr) {
      auto it = previous->versions.find(version);
      if (it != previous->versions.end()) {
        entry.versions.emplace(version, it->second);
        continue;
      }
    }
    const auto start = std::chrono::steady_clock::now();
    KEEL_ASSIGN_OR_RETURN(learn::LoadedModel loaded,
                          learn::LoadModelVersion(*lake_, absl::StrCat(name, "@", version)));
    LoadedVersion v;
    const FeatureEndpoints* features = nullptr;
    if (!loaded.bundle.manifest().feature_service.empty() && feature_source_) {
      KEEL_ASSIGN_OR_RETURN(features, feature_source_());
    }
    KEEL_ASSIGN_OR_RETURN(v.model, ServedModel::Make(std::move(loaded), route.batching, features));
    v.load_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    spdlog::info("loaded model {} version {} in {:.1f} ms", name, version, v.load_seconds * 1e3);
    entry.versions.emplace(version, std::move(v));
  }
  return entry;
}

Status ModelManager::Add(std::string_view ref, const RouteOptions& route) {
  KEEL_ASSIGN_OR_RETURN(ModelRef parsed, ParseModelRef(ref));
  const std::string selector =
      parsed.version > 0 ? absl::StrCat(parsed.version) : parsed.alias;
  absl::MutexLock lock(&update_mutex_);
  std::shared_ptr<const Snapshot> current = snapshot();
  auto it = current->models.find(parsed.model);
  const ModelEntry* previous = it == current->models.end() ? nullptr : &it->second;
  KEEL_ASSIGN_OR_RETURN(ModelEntry entry, Resolve(parsed.model, selector, route, previous));
  auto next = std::make_shared<Snapshot>(*current);
  next->models[parsed.model] = std::move(entry);
  routes_[parsed.model] = route;
  Publish(std::move(next));
  return absl::OkStatus();
}

Status ModelManager::Unload(std::string_view name) {
  absl::MutexLock lock(&update_mutex_);
  std::shared_ptr<const Snapshot> current = snapshot();
  if (!current->models.contains(std::string(name))) {
    return absl::NotFoundError(absl::StrCat("model '", std::string(name), "' is not served"));
  }
  auto next = std::make_shared<Snapshot>(*current);
  next->models.erase(std::string(name));
  routes_.erase(std::string(name));
  Publish(std::move(next));
  spdlog::info("unloaded model {}", name);
  return absl::OkStatus();
}

StatusOr<bool> ModelManager::Refresh() {
  absl::MutexLock lock(&update_mutex_);
  std::shared_ptr<const Snapshot> current = snapshot();
  auto next = std::make_shared<Snapshot>(*current);
  bool changed = false;
  Status first_error;
  for (auto& [name, entry] : next->models) {
    StatusOr<ModelEntry> fresh = Resolve(name, entry.selector, routes_[name], &entry);
    if (!fresh.ok()) {
      spdlog::warn("model {}: keeping the versions served; refresh failed: {}", name,
                   std::string(fresh.status().message()));
      if (first_error.ok()) first_error = fresh.status();
      continue;
    }
    auto same_versions = [](const ModelEntry& a, const ModelEntry& b) {
      if (a.versions.size() != b.versions.size()) return false;
      for (auto i = a.versions.begin(), j = b.versions.begin(); i != a.versions.end(); ++i, ++j) {
        if (i->first != j->first) return false;
      }
      return true;
    };
    if (fresh->default_version != entry.default_version || fresh->aliases != entry.aliases ||
        fresh->canary_version != entry.canary_version || fresh->shadow_version != entry.shadow_version ||
        !same_versions(*fresh, entry)) {
      if (fresh->default_version != entry.default_version) {
        spdlog::info("model {}: version {} now answers (was {})", name, fresh->default_version,
                     entry.default_version);
      }
      entry = std::move(*fresh);
      changed = true;
    }
  }
  if (changed) Publish(std::move(next));
  if (!first_error.ok()) return first_error;
  return changed;
}

void ModelManager::StartWatching(absl::Duration interval) {
  StopWatching();
  {
    absl::MutexLock lock(&watch_mutex_);
    stop_watching_ = false;
  }
  watcher_ = std::thread([this, interval] {
    int64_t seen = -1;
    {
      absl::MutexLock lock(&update_mutex_);
      StatusOr<int64_t> counter = lake_->registry().ModelsChangeVersion();
      if (counter.ok()) seen = *counter;
    }
    absl::MutexLock lock(&watch_mutex_);
    while (!watch_mutex_.AwaitWithTimeout(absl::Condition(&stop_watching_), interval)) {
      watch_mutex_.Unlock();
      StatusOr<int64_t> counter;
      {
        absl::MutexLock update(&update_mutex_);
        counter = lake_->registry().ModelsChangeVersion();
      }
      if (counter.ok() && *counter != seen) {
        StatusOr<bool> refreshed = Refresh();
        // A failed refresh is retried at the next tick.
        if (refreshed.ok()) seen = *counter;
      }
      watch_mutex_.Lock();
    }
  });
}

void ModelManager::StopWatching() {
  {
    absl::MutexLock lock(&watch_mutex_);
    stop_watching_ = true;
  }
  if (watcher_.joinable()) watcher_.join();
}

StatusOr<std::shared_ptr<const ServedModel>> ModelManager::Get(
    std::string_view name, std::string_view version_or_alias,
    std::shared_ptr<const ServedModel>* shadow) const {
  if (shadow != nullptr) shadow->reset();
  std::shared_ptr<const Snapshot> s = snapshot();
  auto it = s->models.find(std::string(name));
  if (it == s->models.end()) {
    std::vector<std::string> names;
    for (const auto& [served, entry] : s->models) names.push_back(served);
    std::sort(names.begin(), names.end());
    return absl::NotFoundError(absl::StrCat("model '", std::string(name), "' is not served; served: ",
                                            names.empty() ? "none" : absl::StrJoin(names, ", "), ".",
                                            DidYouMean(name, names)));
  }
  const ModelEntry& entry = it->second;
  int64_t version = entry.default_version;
  if (!version_or_alias.empty()) {
    StatusOr<int64_t> v = VersionFor(entry.name, version_or_alias, entry.aliases, entry.default_version);
    if (!v.ok()) return v.status();
    version = *v;
  } else {
    if (entry.canary_version > 0 && entry.canary_percent > 0) {
      // Deterministic and evenly spread: request n goes to the canary when
      // floor((n + 1) p) > floor(n p), so 10% is every tenth request.
      const uint64_t n = canary_counter_.fetch_add(1, std::memory_order_relaxed);
      const double p = entry.canary_percent / 100;
      if (std::floor(static_cast<double>(n + 1) * p) > std::floor(static_cast<double>(n) * p)) {
        version = entry.canary_version;
      }
    }
    if (shadow != nullptr && entry.shadow_version > 0) {
      auto sv = entry.versions.find(entry.shadow_version);
      if (sv != entry.versions.end()) *shadow = sv->second.model;
    }
  }
  auto v = entry.versions.find(version);
  if (v == entry.versions.end()) {
    std::vector<std::string> loaded;
    for (const auto& [n, lv] : entry.versions) loaded.push_back(absl::StrCat(n));
    return absl::NotFoundError(absl::StrCat("version ", version, " of model '", entry.name,
                                            "' is not loaded; loaded: ", absl::StrJoin(loaded, ", "),
                                            "; serve it with --model ", entry.name, "@", version,
                                            " or POST /v2/repository/models/", entry.name, "/load"));
  }
  return v->second.model;
}

std::vector<ModelEntry> ModelManager::List() const {
  std::shared_ptr<const Snapshot> s = snapshot();
  std::vector<ModelEntry> out;
  for (const auto& [name, entry] : s->models) out.push_back(entry);
  std::sort(out.begin(), out.end(), [](const ModelEntry& a, const ModelEntry& b) { return a.name < b.name; });
  return out;
}

bool ModelManager::Has(std::string_view name) const {
  return snapshot()->models.contains(std::string(name));
}

}  // namespace keel::serve
