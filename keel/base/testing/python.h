// Test helper: ask Debian's python3 (pandas, scikit-learn, xgboost) for
// reference values. The script reads one JSON document from stdin (`input`)
// and prints one JSON document, which comes back parsed.
#ifndef KEEL_BASE_TESTING_PYTHON_H_
#define KEEL_BASE_TESTING_PYTHON_H_

#include <string>
#include <string_view>

#include "keel/base/status.h"
#include "nlohmann/json.hpp"

namespace keel::testing {

inline constexpr char kPython[] = "/usr/bin/python3";

// True when `import <module>` works (tests skip with a reason otherwise).
bool HavePythonModule(std::string_view module);

// Runs `script` with `input` as JSON on stdin and parses what it printed.
// Errors: Internal with the exit code and stderr when the script fails or
// prints something that is not JSON.
StatusOr<nlohmann::json> RunPythonJson(std::string_view script, const nlohmann::json& input,
                                       int timeout_seconds = 120);

}  // namespace keel::testing

#endif  // KEEL_BASE_TESTING_PYTHON_H_
