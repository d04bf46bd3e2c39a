#include "keel/base/testing/python.h"

#include "absl/strings/str_cat.h"
#include "keel/base/testing/subprocess.h"

namespace keel::testing {

bool HavePythonModule(std::string_view module) {
  return RunCommand({kPython, "-c", absl::StrCat("import ", std::string(module))}).exit_code == 0;
}

StatusOr<nlohmann::json> RunPythonJson(std::string_view script, const nlohmann::json& input,
                                       int timeout_seconds) {
  CommandOptions options;
  options.stdin_text = input.dump();
  options.timeout_seconds = timeout_seconds;
  CommandResult result = RunCommand({kPython, "-c", std::string(script)}, options);
  if (result.exit_code != 0) {
    return absl::InternalError(
        absl::StrCat("python3 exited with ", result.exit_code, ": ", result.err));
  }
  nlohmann::json out = nlohmann::json::parse(result.out, nullptr, /*allow_exceptions=*/false);
  if (out.is_discarded()) {
    return absl::InternalError(absl::StrCat("python3 printed something that is not JSON: ",
                                            result.out.substr(0, 500), "\nstderr: ", result.err));
  }
  return out;
}

}  // namespace keel::testing
