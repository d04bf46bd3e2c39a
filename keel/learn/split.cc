#include "keel/learn/split.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <numeric>
#include <random>

#include "absl/strings/str_cat.h"

namespace keel::learn {
namespace {

// Fisher-Yates with a fully specified generator, so a seed gives the same
// order on every platform (std::shuffle's algorithm is unspecified).
template <typename T>
void Shuffle(std::vector<T>& v, std::mt19937_64& rng) {
  for (size_t i = v.size(); i > 1; --i) {
    const size_t j = static_cast<size_t>(rng() % i);
    std::swap(v[i - 1], v[j]);
  }
}

Status CheckFraction(double test_fraction) {
  if (!(test_fraction > 0 && test_fraction < 1)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "test fraction ", test_fraction, " must be strictly between 0 and 1 (for example 0.2)"));
  }
  return absl::OkStatus();
}

// Builds a Split from a per-row "is test" flag; both sides must be non-empty.
StatusOr<Split> FromFlags(const std::vector<bool>& is_test, std::string_view what) {
  Split split;
  for (size_t i = 0; i < is_test.size(); ++i) {
    (is_test[i] ? split.test : split.train).push_back(static_cast<int64_t>(i));
  }
  if (split.train.empty() || split.test.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat(std::string(what), " of ", is_test.size(), " rows leaves the ",
                     split.train.empty() ? "training" : "test",
                     " side empty: use more rows or a different test fraction"));
  }
  return split;
}

int64_t TestCount(int64_t rows, double test_fraction) {
  return static_cast<int64_t>(std::ceil(test_fraction * static_cast<double>(rows)));
}

Status CheckFolds(int k, int64_t units, std::string_view unit) {
  if (k < 2 || k > units) {
    return absl::InvalidArgumentError(
        absl::StrCat("cannot make ", k, " folds from ", units, " ", std::string(unit),
                     ": use between 2 and the number of ", std::string(unit), " folds"));
  }
  return absl::OkStatus();
}

std::vector<Split> FoldsFromAssignment(const std::vector<int>& fold_of_row, int k) {
  std::vector<Split> folds(k);
  for (size_t i = 0; i < fold_of_row.size(); ++i) {
    for (int f = 0; f < k; ++f) {
      (fold_of_row[i] == f ? folds[f].test : folds[f].train).push_back(static_cast<int64_t>(i));
    }
  }
  return folds;
}

}  // namespace

StatusOr<Split> RandomSplit(int64_t rows, double test_fraction, uint64_t seed) {
  KEEL_RETURN_IF_ERROR(CheckFraction(test_fraction));
  std::vector<int64_t> order(static_cast<size_t>(rows));
  std::iota(order.begin(), order.end(), 0);
  std::mt19937_64 rng(seed);
  Shuffle(order, rng);
  std::vector<bool> is_test(static_cast<size_t>(rows), false);
  const int64_t test = std::min(rows, TestCount(rows, test_fraction));
  for (int64_t i = 0; i < test; ++i) is_test[order[i]] = true;
  return FromFlags(is_test, "a random split");
}

StatusOr<Split> StratifiedSplit(std::span<const double> labels, double test_fraction,
                                uint64_t seed) {
  KEEL_RETURN_IF_ERROR(CheckFraction(test_fraction));
  std::map<double, std::vector<int64_t>> by_class;
  for (size_t i = 0; i < labels.size(); ++i) by_class[labels[i]].push_back(static_cast<int64_t>(i));
  std::mt19937_64 rng(seed);
  std::vector<bool> is_test(labels.size(), false);
  for (auto& [label, rows] : by_class) {
    Shuffle(rows, rng);
    int64_t take = std::llround(test_fraction * static_cast<double>(rows.size()));
    if (rows.size() >= 2)
      take = std::clamp<int64_t>(take, 1, static_cast<int64_t>(rows.size()) - 1);
    for (int64_t i = 0; i < take; ++i) is_test[rows[i]] = true;
  }
  return FromFlags(is_test, "a stratified split");
}

StatusOr<Split> TimeSplit(std::span<const int64_t> times, double test_fraction) {
  KEEL_RETURN_IF_ERROR(CheckFraction(test_fraction));
  const int64_t rows = static_cast<int64_t>(times.size());
  std::vector<int64_t> order(times.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(),
                   [&](int64_t a, int64_t b) { return times[a] < times[b]; });
  std::vector<bool> is_test(times.size(), false);
  const int64_t first_test = rows - std::min(rows, TestCount(rows, test_fraction));
  if (first_test < rows) {
    const int64_t boundary = times[order[first_test]];
    for (int64_t i = 0; i < rows; ++i) is_test[i] = times[i] >= boundary;
  }
  return FromFlags(is_test, "a time split");
}

StatusOr<Split> GroupSplit(std::span<const int64_t> groups, double test_fraction, uint64_t seed) {
  KEEL_RETURN_IF_ERROR(CheckFraction(test_fraction));
  std::map<int64_t, int64_t> sizes;
  for (int64_t g : groups) ++sizes[g];
  if (sizes.size() < 2) {
    return absl::InvalidArgumentError(absl::StrCat(
        "a group split needs at least two groups; the group column has ", sizes.size()));
  }
  std::vector<int64_t> order;
  for (const auto& [group, size] : sizes) order.push_back(group);
  std::mt19937_64 rng(seed);
  Shuffle(order, rng);
  const int64_t want = TestCount(static_cast<int64_t>(groups.size()), test_fraction);
  std::map<int64_t, bool> group_is_test;
  int64_t taken = 0;
  // At least one group goes to each side.
  for (size_t i = 0; i < order.size(); ++i) {
    const bool test = i == 0 || (taken < want && i + 1 < order.size());
    group_is_test[order[i]] = test;
    if (test) taken += sizes[order[i]];
  }
  std::vector<bool> is_test(groups.size());
  for (size_t i = 0; i < groups.size(); ++i) is_test[i] = group_is_test[groups[i]];
  return FromFlags(is_test, "a group split");
}

StatusOr<std::vector<Split>> KFold(int64_t rows, int k, bool shuffle, uint64_t seed) {
  KEEL_RETURN_IF_ERROR(CheckFolds(k, rows, "rows"));
  std::vector<int64_t> order(static_cast<size_t>(rows));
  std::iota(order.begin(), order.end(), 0);
  if (shuffle) {
    std::mt19937_64 rng(seed);
    Shuffle(order, rng);
  }
  // Folds of rows/k, the first rows%k of them one larger (sklearn KFold).
  std::vector<int> fold_of_row(static_cast<size_t>(rows));
  int64_t next = 0;
  for (int f = 0; f < k; ++f) {
    const int64_t size = rows / k + (f < rows % k ? 1 : 0);
    for (int64_t i = 0; i < size; ++i) fold_of_row[order[next++]] = f;
  }
  return FoldsFromAssignment(fold_of_row, k);
}

StatusOr<std::vector<Split>> StratifiedKFold(std::span<const double> labels, int k, bool shuffle,
                                             uint64_t seed) {
  const int64_t rows = static_cast<int64_t>(labels.size());
  // Classes numbered by first appearance, as sklearn encodes them.
  std::map<double, int> code_of;
  std::vector<int> encoded(labels.size());
  for (size_t i = 0; i < labels.size(); ++i) {
    auto [it, inserted] = code_of.emplace(labels[i], static_cast<int>(code_of.size()));
    encoded[i] = it->second;
  }
  const int classes = static_cast<int>(code_of.size());
  std::vector<int64_t> counts(classes, 0);
  for (int c : encoded) ++counts[c];
  const int64_t largest = counts.empty() ? 0 : *std::max_element(counts.begin(), counts.end());
  KEEL_RETURN_IF_ERROR(CheckFolds(k, largest, "rows in the largest class"));
  // Deal the rows, sorted by class, round-robin over the folds; that fixes
  // how many rows of each class each fold gets.
  std::vector<int> sorted = encoded;
  std::sort(sorted.begin(), sorted.end());
  std::vector<std::vector<int64_t>> allocation(k, std::vector<int64_t>(classes, 0));
  for (int64_t i = 0; i < rows; ++i) ++allocation[i % k][sorted[i]];
  std::mt19937_64 rng(seed);
  std::vector<int> fold_of_row(labels.size());
  for (int c = 0; c < classes; ++c) {
    std::vector<int> folds_for_class;
    for (int f = 0; f < k; ++f) folds_for_class.insert(folds_for_class.end(), allocation[f][c], f);
    if (shuffle) Shuffle(folds_for_class, rng);
    size_t next = 0;
    for (int64_t i = 0; i < rows; ++i) {
      if (encoded[i] == c) fold_of_row[i] = folds_for_class[next++];
    }
  }
  return FoldsFromAssignment(fold_of_row, k);
}

StatusOr<std::vector<Split>> GroupKFold(std::span<const int64_t> groups, int k) {
  std::map<int64_t, int64_t> sizes;
  for (int64_t g : groups) ++sizes[g];
  KEEL_RETURN_IF_ERROR(CheckFolds(k, static_cast<int64_t>(sizes.size()), "groups"));
  std::vector<std::pair<int64_t, int64_t>> by_size(sizes.begin(), sizes.end());  // group, size
  std::stable_sort(by_size.begin(), by_size.end(),
                   [](const auto& a, const auto& b) { return a.second > b.second; });
  std::vector<int64_t> fold_rows(k, 0);
  std::map<int64_t, int> fold_of_group;
  for (const auto& [group, size] : by_size) {
    const int lightest =
        static_cast<int>(std::min_element(fold_rows.begin(), fold_rows.end()) - fold_rows.begin());
    fold_rows[lightest] += size;
    fold_of_group[group] = lightest;
  }
  std::vector<int> fold_of_row(groups.size());
  for (size_t i = 0; i < groups.size(); ++i) fold_of_row[i] = fold_of_group[groups[i]];
  return FoldsFromAssignment(fold_of_row, k);
}

}  // namespace keel::learn
