#include "keel/transform/categories.h"

#include <algorithm>

#include "absl/strings/str_cat.h"

namespace keel::transform {

Counts CountCategories(const Column& column) {
  absl::flat_hash_map<absl::string_view, int64_t> counts;
  Counts out;
  for (int64_t i = 0; i < column.length(); ++i) {
    if (column.IsNull(i)) {
      ++out.missing;
    } else {
      ++counts[AsAbsl(column.StringAt(i))];
    }
  }
  for (const auto& [k, v] : counts) out.categories.emplace_back(k.data(), k.size());
  std::sort(out.categories.begin(), out.categories.end());
  for (const std::string& c : out.categories) out.counts.push_back(counts[AsAbsl(c)]);
  return out;
}

Status UnknownError(const std::string& label, std::string_view value, std::string_view fix) {
  return absl::InvalidArgumentError(absl::StrCat(label, " has the value ", QuoteValue(value),
                                                 ", not seen during fit; ", std::string(fix)));
}
}  // namespace keel::transform
