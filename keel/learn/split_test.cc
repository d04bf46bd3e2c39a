#include "keel/learn/split.h"

#include <algorithm>
#include <random>
#include <set>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "keel/base/testing/python.h"

namespace keel::learn {
namespace {

using nlohmann::json;
using ::testing::HasSubstr;

// The test indices of each fold, as sklearn gives them.
constexpr char kSklearnFolds[] = R"PY(
import json, sys
import numpy as np
from sklearn.model_selection import KFold, StratifiedKFold, GroupKFold
d = json.load(sys.stdin)
X = np.zeros((len(d["y"]), 1))
out = {
  "kfold": [t.tolist() for _, t in KFold(5).split(X)],
  "stratified": [t.tolist() for _, t in StratifiedKFold(4).split(X, d["y"])],
  "group": [t.tolist() for _, t in GroupKFold(3).split(X, d["y"], d["groups"])],
}
print(json.dumps(out))
)PY";

json TestIndices(const std::vector<Split>& folds) {
  json out = json::array();
  for (const Split& fold : folds) out.push_back(fold.test);
  return out;
}

TEST(SplitTest, DeterministicFoldsMatchScikitLearn) {
  if (!testing::HavePythonModule("sklearn")) GTEST_SKIP() << "python3-sklearn is not installed";
  std::mt19937_64 rng(3);
  std::vector<double> y;
  std::vector<int64_t> groups;
  // 105 rows (1 + 2 + ... + 14), three unbalanced classes; groups with distinct sizes so that
  // GroupKFold's order does not depend on how numpy breaks ties.
  for (int i = 0; i < 105; ++i) y.push_back(rng() % 10 < 6 ? 0 : (rng() % 3 == 0 ? 2 : 1));
  int group = 0, left = 1;
  for (int i = 0; i < 105; ++i) {
    groups.push_back(group * 7 + 11);
    if (--left == 0) left = ++group + 1;
  }
  StatusOr<json> ref = testing::RunPythonJson(kSklearnFolds, {{"y", y}, {"groups", groups}});
  ASSERT_TRUE(ref.ok()) << ref.status();
  EXPECT_EQ(TestIndices(*KFold(105, 5, false, 0)), (*ref)["kfold"]);
  EXPECT_EQ(TestIndices(*StratifiedKFold(y, 4, false, 0)), (*ref)["stratified"]);
  EXPECT_EQ(TestIndices(*GroupKFold(groups, 3)), (*ref)["group"]);
}

void ExpectPartition(const Split& split, int64_t rows) {
  std::set<int64_t> all(split.train.begin(), split.train.end());
  for (int64_t i : split.test) EXPECT_TRUE(all.insert(i).second) << "row " << i << " on both sides";
  EXPECT_EQ(static_cast<int64_t>(all.size()), rows);
  EXPECT_TRUE(std::is_sorted(split.train.begin(), split.train.end()));
  EXPECT_TRUE(std::is_sorted(split.test.begin(), split.test.end()));
}

TEST(SplitTest, RandomAndStratifiedSplitsPartitionTheRows) {
  StatusOr<Split> random = RandomSplit(1000, 0.25, 9);
  ASSERT_TRUE(random.ok());
  ExpectPartition(*random, 1000);
  EXPECT_EQ(random->test.size(), 250u);
  EXPECT_EQ(RandomSplit(1000, 0.25, 9)->test, random->test);  // reproducible
  EXPECT_NE(RandomSplit(1000, 0.25, 10)->test, random->test);

  std::vector<double> y(1000, 0);
  for (int i = 0; i < 100; ++i) y[i * 10] = 1;  // 10% positives
  StatusOr<Split> stratified = StratifiedSplit(y, 0.2, 1);
  ASSERT_TRUE(stratified.ok());
  ExpectPartition(*stratified, 1000);
  int positives = 0;
  for (int64_t i : stratified->test) positives += y[i] == 1 ? 1 : 0;
  EXPECT_EQ(positives, 20);
  EXPECT_EQ(stratified->test.size(), 200u);
}

TEST(SplitTest, TimeSplitNeverTrainsOnTheFuture) {
  std::vector<int64_t> times = {50, 10, 40, 40, 20, 30, 60, 70, 80, 90};
  StatusOr<Split> split = TimeSplit(times, 0.3);
  ASSERT_TRUE(split.ok());
  ExpectPartition(*split, 10);
  int64_t latest_train = 0, earliest_test = 1000;
  for (int64_t i : split->train) latest_train = std::max(latest_train, times[i]);
  for (int64_t i : split->test) earliest_test = std::min(earliest_test, times[i]);
  EXPECT_LT(latest_train, earliest_test);
  EXPECT_EQ(split->test, (std::vector<int64_t>{7, 8, 9}));
}

TEST(SplitTest, GroupSplitKeepsGroupsWhole) {
  std::vector<int64_t> groups;
  for (int i = 0; i < 200; ++i) groups.push_back(i % 17);
  StatusOr<Split> split = GroupSplit(groups, 0.3, 5);
  ASSERT_TRUE(split.ok());
  ExpectPartition(*split, 200);
  std::set<int64_t> train_groups, test_groups;
  for (int64_t i : split->train) train_groups.insert(groups[i]);
  for (int64_t i : split->test) test_groups.insert(groups[i]);
  for (int64_t g : test_groups) EXPECT_FALSE(train_groups.contains(g)) << "group " << g;
}

TEST(SplitTest, BadArgumentsExplainThemselves) {
  EXPECT_THAT(std::string(RandomSplit(10, 1.5, 0).status().message()),
              HasSubstr("must be strictly between 0 and 1"));
  EXPECT_THAT(std::string(KFold(3, 5, false, 0).status().message()),
              HasSubstr("cannot make 5 folds from 3 rows"));
  EXPECT_THAT(std::string(GroupKFold(std::vector<int64_t>{1, 1, 2}, 3).status().message()),
              HasSubstr("cannot make 3 folds from 2 groups"));
  EXPECT_THAT(std::string(GroupSplit(std::vector<int64_t>{4, 4}, 0.5, 0).status().message()),
              HasSubstr("at least two groups"));
}

}  // namespace
}  // namespace keel::learn
