// Model versions in a workspace: a bundle stored in the lake's object store
// (content-addressed, models/<name>/<sha256>.keel) and recorded in the
// registry; and loaded back with its checksum checked. Shared by the CLI
// (train, predict, models) and the server.
#ifndef KEEL_LEARN_MODEL_STORE_H_
#define KEEL_LEARN_MODEL_STORE_H_

#include <map>
#include <string>

#include "keel/base/status.h"
#include "keel/lake/lake.h"
#include "keel/learn/bundle.h"
#include "nlohmann/json.hpp"

namespace keel::learn {

// Stores `bundle` and adds a version of `lineage.model` with the lineage
// fields given (run, dataset); the registry assigns the number. Errors: the
// store's and the registry's.
// {"metric": value, ...} as the registry and --json outputs keep metrics.
nlohmann::json MetricsJson(const std::map<std::string, double>& metrics);

StatusOr<ModelVersionRecord> StoreModelVersion(Lake& lake, const Bundle& bundle,
                                               ModelVersionRecord lineage);

struct LoadedModel {
  ModelVersionRecord record;
  Bundle bundle;
};

// MODEL, MODEL@VERSION or MODEL@ALIAS. Errors: NotFound (with the closest
// names); DataLoss when the stored bundle does not match its checksum.
StatusOr<LoadedModel> LoadModelVersion(Lake& lake, const std::string& ref);

}  // namespace keel::learn

#endif  // KEEL_LEARN_MODEL_STORE_H_
