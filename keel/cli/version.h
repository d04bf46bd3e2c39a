// Keel's version, and the git revision it was built from.
#ifndef KEEL_CLI_VERSION_H_
#define KEEL_CLI_VERSION_H_

#include <string>

namespace keel::cli {

// "keel 0.1.0 (git 1c737b8)".
std::string VersionString();

}  // namespace keel::cli

#endif  // KEEL_CLI_VERSION_H_
