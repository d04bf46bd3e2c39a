// Model versions in a workspace: a bundle stored in the lake's object store
// (content-addressed, models/<name>/<sha256>.keel) and recorded in the
// registry; and loaded back with its checksum checked.
#ifndef KEEL_CLI_MODEL_STORE_H_
#define KEEL_CLI_MODEL_STORE_H_

#include <string>

#include "keel/base/status.h"
#include "keel/lake/lake.h"
#include "keel/learn/bundle.h"

namespace keel::cli {

// Stores `bundle` and adds a version of `lineage.model` with the lineage
// fields given (run, dataset); the registry assigns the number. Errors: the
// store's and the registry's.
StatusOr<ModelVersionRecord> StoreModelVersion(Lake& lake, const learn::Bundle& bundle,
                                               ModelVersionRecord lineage);

struct LoadedModel {
  ModelVersionRecord record;
  learn::Bundle bundle;
};

// MODEL, MODEL@VERSION or MODEL@ALIAS. Errors: NotFound (with the closest
// names); DataLoss when the stored bundle does not match its checksum.
StatusOr<LoadedModel> LoadModelVersion(Lake& lake, const std::string& ref);

}  // namespace keel::cli

#endif  // KEEL_CLI_MODEL_STORE_H_
