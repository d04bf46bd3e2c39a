#include "keel/registry/records.h"

#include <string>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace keel {
namespace {

constexpr size_t kMaxNameLength = 64;

bool IsLower(char c) { return c >= 'a' && c <= 'z'; }
bool IsDigit(char c) { return c >= '0' && c <= '9'; }

}  // namespace

std::string_view RunStatusName(RunStatus status) {
  switch (status) {
    case RunStatus::kRunning:
      return "running";
    case RunStatus::kFinished:
      return "finished";
    case RunStatus::kFailed:
      return "failed";
    case RunStatus::kKilled:
      return "killed";
  }
  return "unknown";
}

StatusOr<RunStatus> ParseRunStatus(std::string_view name) {
  for (RunStatus s :
       {RunStatus::kRunning, RunStatus::kFinished, RunStatus::kFailed, RunStatus::kKilled}) {
    if (RunStatusName(s) == name) return s;
  }
  return absl::InvalidArgumentError(absl::StrCat("unknown run status '", std::string(name),
                                                 "'; known: running, finished, failed, killed"));
}

std::string_view PipelineStepStatusName(PipelineStepStatus status) {
  switch (status) {
    case PipelineStepStatus::kSucceeded:
      return "succeeded";
    case PipelineStepStatus::kFailed:
      return "failed";
    case PipelineStepStatus::kCached:
      return "cached";
    case PipelineStepStatus::kSkipped:
      return "skipped";
  }
  return "unknown";
}

StatusOr<PipelineStepStatus> ParsePipelineStepStatus(std::string_view name) {
  for (PipelineStepStatus s : {PipelineStepStatus::kSucceeded, PipelineStepStatus::kFailed,
                               PipelineStepStatus::kCached, PipelineStepStatus::kSkipped}) {
    if (PipelineStepStatusName(s) == name) return s;
  }
  return absl::InvalidArgumentError(absl::StrCat("unknown pipeline step status '",
                                                 std::string(name),
                                                 "'; known: succeeded, failed, cached, skipped"));
}

Status ValidateRegistryName(std::string_view what, std::string_view name) {
  if (name.empty() || name.size() > kMaxNameLength) {
    return absl::InvalidArgumentError(absl::StrCat(std::string(what), " '", std::string(name),
                                                   "' must be 1 to 64 characters of a-z, 0-9, _ "
                                                   "and -"));
  }
  for (size_t i = 0; i < name.size(); ++i) {
    const char c = name[i];
    const bool ok = IsLower(c) || IsDigit(c) || (i > 0 && (c == '_' || c == '-'));
    if (!ok) {
      return absl::InvalidArgumentError(absl::StrCat(
          std::string(what), " '", std::string(name), "': character '", std::string(1, c),
          "' at position ", i + 1,
          " is not allowed; use lowercase letters, digits, '_' and '-' (not first), e.g. '",
          absl::AsciiStrToLower(std::string(name)), "'"));
    }
  }
  return absl::OkStatus();
}

Status ValidateAliasName(std::string_view alias) {
  if (alias.empty() || alias.size() > kMaxNameLength || !IsLower(alias.front())) {
    return absl::InvalidArgumentError(
        absl::StrCat("alias '", std::string(alias),
                     "' must be 1 to 64 characters of a-z, 0-9, _ and -, starting with a letter "
                     "(e.g. 'production', 'staging')"));
  }
  for (size_t i = 1; i < alias.size(); ++i) {
    const char c = alias[i];
    if (!(IsLower(c) || IsDigit(c) || c == '_' || c == '-')) {
      return absl::InvalidArgumentError(absl::StrCat(
          "alias '", std::string(alias), "': character '", std::string(1, c), "' at position ",
          i + 1, " is not allowed; use lowercase letters, digits, '_' and '-'"));
    }
  }
  if (alias == kLatestAlias) {
    return absl::InvalidArgumentError(
        "alias 'latest' is reserved: 'model@latest' always means the highest version; choose "
        "another name");
  }
  return absl::OkStatus();
}

StatusOr<ModelRef> ParseModelRef(std::string_view text) {
  ModelRef ref;
  const size_t at = text.find('@');
  ref.model = std::string(text.substr(0, at));
  KEEL_RETURN_IF_ERROR(ValidateModelName(ref.model));
  if (at == std::string_view::npos) return ref;
  const std::string_view tail = text.substr(at + 1);
  if (tail.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "model reference '", std::string(text),
        "' ends with '@'; write 'name' (latest), 'name@3' (a version) or 'name@production' "
        "(an alias)"));
  }
  if (tail == kLatestAlias) return ref;
  if (IsDigit(tail.front())) {
    int64_t version = 0;
    if (!absl::SimpleAtoi(std::string(tail), &version) || version <= 0) {
      return absl::InvalidArgumentError(
          absl::StrCat("model reference '", std::string(text), "': '", std::string(tail),
                       "' is not a version number; versions are 1, 2, 3..."));
    }
    ref.version = version;
    return ref;
  }
  Status alias = ValidateAliasName(tail);
  if (!alias.ok())
    return Annotate(alias, absl::StrCat("model reference '", std::string(text), "'"));
  ref.alias = std::string(tail);
  return ref;
}

}  // namespace keel
