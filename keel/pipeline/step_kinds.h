// What a pipeline step can run: the `keel` subcommands a pipeline knows,
// and which of their arguments name things the step reads or writes. Reads
// and writes give the implicit order between steps and the inputs of the
// cache key.
#ifndef KEEL_PIPELINE_STEP_KINDS_H_
#define KEEL_PIPELINE_STEP_KINDS_H_

#include <string>
#include <string_view>
#include <vector>

#include "keel/base/status.h"

namespace keel::pipeline {

// The kinds of things steps read and write.
enum class ResourceKind {
  kDataset,      // a lake dataset; name = dataset name
  kFile,         // a local file; name = its path relative to the workspace
  kModel,        // a registry model; name = model name
  kTransform,    // a fitted transform pipeline (`keel transform fit`)
  kFeatures,     // the applied feature definitions; name = "features"
  kOnlineStore,  // the online store; name = "online"
  kExternal,     // a URI Keel cannot version (s3://, postgresql://...)
};
// "dataset", "file", "model", "transform", "features", "online", "external".
std::string_view ResourceKindName(ResourceKind kind);
// The inverse. Errors: InvalidArgument.
StatusOr<ResourceKind> ParseResourceKind(std::string_view name);

// One thing a step reads or writes.
struct Resource {
  ResourceKind kind = ResourceKind::kDataset;
  std::string name;  // identity: steps meet on (kind, name)
  std::string ref;   // what resolves it: "txns@ab12", "fraud@production", an absolute path

  friend bool operator==(const Resource& a, const Resource& b) {
    return a.kind == b.kind && a.name == b.name;
  }
  friend bool operator<(const Resource& a, const Resource& b) {
    return a.kind != b.kind ? a.kind < b.kind : a.name < b.name;
  }
};

// How a step kind uses the value of one of its arguments.
enum class ArgRole {
  kReadDatasetOrFile,   // NAME[@VERSION], or a path / URI (as `keel predict --data`)
  kReadFile,            // a path or file:// URI (another URI: an external read)
  kReadModel,           // MODEL[@VERSION|@ALIAS]
  kReadTransform,       // PREP[@N]
  kReadFeatureService,  // any value: the step reads the feature definitions (not their data)
  kWriteDataset,
  kWriteFile,
  kWriteModel,
  kWriteTransform,
};

struct ArgUse {
  std::string_view arg;  // the argument's canonical name ("data", "source", "out")
  ArgRole role;
};

// One step kind: `run: <name>` runs `keel <command...>`.
struct StepKind {
  std::string_view name;                  // "features-apply"
  std::vector<std::string_view> command;  // {"features", "apply"}
  std::vector<ArgUse> args;               // arguments naming reads and writes
  bool reads_features = false;            // reads the feature definitions and the data under them
  bool writes_features = false;           // applies feature definitions
  bool writes_online_store = false;
  // Field of the command's --json output holding the version of what it
  // wrote (its non-file output); "" when it has none.
  std::string_view json_version_field;
  std::string_view summary;  // for --help and the README
};

// Every kind, in the order --help lists them.
const std::vector<StepKind>& StepKinds();
// nullptr when unknown.
const StepKind* FindStepKind(std::string_view name);
// The kinds' names.
std::vector<std::string> StepKindNames();

}  // namespace keel::pipeline

#endif  // KEEL_PIPELINE_STEP_KINDS_H_
