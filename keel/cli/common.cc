#include "keel/cli/common.h"

#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cmath>

#include "absl/strings/str_cat.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_format.h"

namespace keel::cli {

StatusOr<std::unique_ptr<Lake>> OpenLake(CommandContext& context) {
  KEEL_ASSIGN_OR_RETURN(Workspace * workspace, context.workspace());
  return Lake::Open(*workspace);
}

namespace {

std::string HostName() {
  char name[256] = {};
  if (::gethostname(name, sizeof(name) - 1) != 0) return "";
  return name;
}

}  // namespace

std::map<std::string, std::string> RunProcessTags() {
  return {{"keel.host", HostName()}, {"keel.pid", absl::StrCat(::getpid())}};
}

void MarkDeadRuns(MetadataStore& registry) {
  StatusOr<std::vector<RunRecord>> runs = registry.ListRuns("", 0);
  if (!runs.ok()) return;
  const std::string host = HostName();
  for (const RunRecord& run : *runs) {
    if (run.status != RunStatus::kRunning) continue;
    auto h = run.tags.find("keel.host");
    auto p = run.tags.find("keel.pid");
    int pid = 0;
    if (h == run.tags.end() || p == run.tags.end() || h->second != host ||
        !absl::SimpleAtoi(p->second, &pid) || pid <= 0) {
      continue;
    }
    if (::kill(pid, 0) == 0 || errno == EPERM) continue;  // still there
    registry
        .EndRun(run.id, RunStatus::kKilled,
                absl::StrCat("the process running it (pid ", pid, " on ", host,
                             ") ended before the run finished: killed or crashed"))
        .IgnoreError();
  }
}

StatusOr<DatasetVersionRecord> ResolveDatasetArg(Lake& lake, const std::string& text) {
  StatusOr<DatasetRef> ref = ParseDatasetRef(text);
  if (!ref.ok()) return AsUsageError(ref.status());
  return lake.Resolve(*ref);
}

std::string FormatRows(const std::vector<std::vector<std::string>>& rows) {
  std::vector<size_t> width;
  for (const auto& row : rows) {
    if (width.size() < row.size()) width.resize(row.size(), 0);
    for (size_t i = 0; i < row.size(); ++i) width[i] = std::max(width[i], row[i].size());
  }
  std::string out;
  for (const auto& row : rows) {
    std::string line;
    for (size_t i = 0; i < row.size(); ++i) {
      absl::StrAppend(&line, row[i]);
      if (i + 1 < row.size()) line.append(width[i] - row[i].size() + 2, ' ');
    }
    absl::StrAppend(&out, line, "\n");
  }
  if (!out.empty()) out.pop_back();
  return out;
}

std::string FormatNumber(double value) {
  if (std::isnan(value)) return "-";
  return absl::StrFormat("%.4g", value);
}

}  // namespace keel::cli
