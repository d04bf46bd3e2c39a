#include "keel/cli/common.h"

#include <algorithm>
#include <cmath>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace keel::cli {

StatusOr<std::unique_ptr<Lake>> OpenLake(CommandContext& context) {
  KEEL_ASSIGN_OR_RETURN(Workspace * workspace, context.workspace());
  return Lake::Open(*workspace);
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
