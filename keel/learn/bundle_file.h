// The file format of a model bundle: named sections, each with its size and
// SHA-256, in one object. Text header, binary-safe body:
//
//   keel-bundle 1\n
//   <section name> <size in bytes> <sha256 hex>\n     (one line per section)
//   \n
//   <section bytes, concatenated in header order>
//
// A reader checks every section's size and hash, so a truncated or altered
// bundle is refused (DataLoss) rather than half-loaded. Section names are
// file names ("manifest.json", "pipeline.json", "model.json"): `keel models
// export` writes each section as a file of that name.
#ifndef KEEL_LEARN_BUNDLE_FILE_H_
#define KEEL_LEARN_BUNDLE_FILE_H_

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "keel/base/status.h"

namespace keel::learn {

struct BundleSection {
  std::string name;  // [A-Za-z0-9._-]+
  std::string bytes;
};

// Errors: InvalidArgument for an invalid or repeated section name.
StatusOr<std::string> WriteBundleFile(const std::vector<BundleSection>& sections);

// Errors: DataLoss naming what is wrong (not a bundle, an unknown format
// version, a truncated body, a section whose hash does not match).
StatusOr<std::vector<BundleSection>> ReadBundleFile(std::string_view bytes);

// The section called `name`, or NotFound listing the sections there are.
StatusOr<const BundleSection*> FindSection(const std::vector<BundleSection>& sections,
                                           std::string_view name);

}  // namespace keel::learn

#endif  // KEEL_LEARN_BUNDLE_FILE_H_
