// Train/test splits and cross-validation folds, as row indices.
//
// The deterministic ones (KFold without shuffling, StratifiedKFold without
// shuffling, GroupKFold) give exactly scikit-learn 1.2's folds; split_test.cc
// checks that. Shuffled variants use Keel's own seeded generator, so they
// are reproducible by seed but not equal to sklearn's.
#ifndef KEEL_LEARN_SPLIT_H_
#define KEEL_LEARN_SPLIT_H_

#include <cstdint>
#include <span>
#include <vector>

#include "keel/base/status.h"

namespace keel::learn {

struct Split {
  std::vector<int64_t> train;  // ascending
  std::vector<int64_t> test;   // ascending
};

// Errors for all splits: InvalidArgument when test_fraction is outside
// (0, 1) or either side would be empty.

// A uniformly random test_fraction of the rows (rounded up, as sklearn's
// train_test_split does).
StatusOr<Split> RandomSplit(int64_t rows, double test_fraction, uint64_t seed);

// Same, keeping each class's share in both sides (labels are class
// indices). Each class contributes round(count * test_fraction) rows, at
// least one when it has two or more.
StatusOr<Split> StratifiedSplit(std::span<const double> labels, double test_fraction,
                                uint64_t seed);

// The latest test_fraction of rows by `times` go to test, the rest to train:
// no training row is later than a test row. Ties at the boundary go to
// test.
StatusOr<Split> TimeSplit(std::span<const int64_t> times, double test_fraction);

// Whole groups go to one side: about test_fraction of the rows, by randomly
// ordered groups. Errors also when there are fewer than two groups.
StatusOr<Split> GroupSplit(std::span<const int64_t> groups, double test_fraction, uint64_t seed);

// K folds; fold i is (rows outside fold i, rows in fold i). Errors:
// InvalidArgument when k < 2 or k > rows; stratified, when k exceeds the
// largest class (a smaller class simply misses some folds, where sklearn
// warns).
StatusOr<std::vector<Split>> KFold(int64_t rows, int k, bool shuffle, uint64_t seed);
StatusOr<std::vector<Split>> StratifiedKFold(std::span<const double> labels, int k, bool shuffle,
                                             uint64_t seed);
// sklearn GroupKFold: groups, largest first, each into the fold with the
// fewest rows so far. Errors: k > number of groups.
StatusOr<std::vector<Split>> GroupKFold(std::span<const int64_t> groups, int k);

}  // namespace keel::learn

#endif  // KEEL_LEARN_SPLIT_H_
