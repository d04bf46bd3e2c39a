#include "keel/datagen/fraud_data.h"

#include <iostream>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "keel/base/files.h"
#include "keel/base/hash.h"
#include "keel/base/testing/subprocess.h"
#include "keel/base/testing/temp_dir.h"
#include "nlohmann/json.hpp"

namespace keel::datagen {
namespace {

using ::testing::ElementsAre;

std::string DigestOf(const std::string& dir) {
  std::string all;
  for (const char* name : {"transactions.csv", "users.csv", "merchants.csv", "user_snapshots.csv"}) {
    all += *Sha256HexOfFile(dir + "/" + name);
  }
  return all;
}

TEST(FraudDataTest, SameSeedSameBytesWhateverTheThreadCount) {
  keel::testing::TempDir tmp;
  FraudDataOptions options{.rows = 150'000, .seed = 7, .threads = 1};
  ASSERT_TRUE(WriteFraudData(tmp.path() + "/a", options, nullptr).ok());
  options.threads = 4;
  ASSERT_TRUE(WriteFraudData(tmp.path() + "/b", options, nullptr).ok());
  options.seed = 8;
  ASSERT_TRUE(WriteFraudData(tmp.path() + "/c", options, nullptr).ok());
  EXPECT_EQ(DigestOf(tmp.path() + "/a"), DigestOf(tmp.path() + "/b"));
  EXPECT_NE(DigestOf(tmp.path() + "/a"), DigestOf(tmp.path() + "/c"));
}

TEST(FraudDataTest, SummaryMatchesFiles) {
  keel::testing::TempDir tmp;
  Progress progress("gen", 1000, "rows", {.mode = ProgressMode::kOff});
  auto summary = WriteFraudData(tmp.path(), {.rows = 1000, .seed = 1}, &progress);
  ASSERT_TRUE(summary.ok()) << summary.status();
  EXPECT_EQ(summary->transactions, 1000);
  EXPECT_EQ(progress.done(), 1000);
  EXPECT_EQ(summary->users, 100);
  EXPECT_EQ(summary->merchants, 50);
  const std::string text = *ReadFile(tmp.path() + "/transactions.csv");
  EXPECT_EQ(static_cast<int64_t>(text.size()), summary->transaction_bytes);
  EXPECT_EQ(std::count(text.begin(), text.end(), '\n'), 1001);
  EXPECT_EQ(text.substr(0, text.find('\n')),
            "transaction_id,event_time,user_id,merchant_id,amount,category,country,device,is_fraud");
}

TEST(FraudDataTest, BadOptionsAreRejected) {
  keel::testing::TempDir tmp;
  EXPECT_EQ(WriteFraudData(tmp.path(), {.rows = 0}, nullptr).status().message(),
            "--rows must be at least 1");
  EXPECT_EQ(WriteFraudData(tmp.path(), {.days = 0}, nullptr).status().message(),
            "--days must be at least 1");
}

// pandas and scikit-learn read the files on their own and check what the
// header promises: types, order, gaps, referential integrity, and a fraud
// label that a plain logistic regression can learn.
TEST(FraudDataTest, PandasAndScikitLearnAgree) {
  keel::testing::TempDir tmp;
  auto summary = WriteFraudData(tmp.path(), {.rows = 200'000, .seed = 42}, nullptr);
  ASSERT_TRUE(summary.ok()) << summary.status();
  const auto run = keel::testing::RunCommand(
      {"/usr/bin/python3",
       std::string(KEEL_SOURCE_DIR) + "/keel/datagen/testdata/check_fraud_data.py", tmp.path()},
      {.timeout_seconds = 240});
  ASSERT_EQ(run.exit_code, 0) << run.err;
  const auto stats = nlohmann::json::parse(run.out);
  std::cout << "statistics from pandas: " << stats.dump() << "\n";
  EXPECT_EQ(stats["rows"], 200'000);
  EXPECT_EQ(stats["dtypes"]["transaction_id"], "int64");
  EXPECT_EQ(stats["dtypes"]["amount"], "float64");
  EXPECT_EQ(stats["dtypes"]["is_fraud"], "int64");
  EXPECT_EQ(stats["dtypes"]["event_time"], "datetime64[ns, UTC]");
  EXPECT_TRUE(stats["ids_sequential"]);
  EXPECT_TRUE(stats["time_ordered"]);
  EXPECT_EQ(stats["unknown_user_ids"], 0);
  EXPECT_EQ(stats["unknown_merchant_ids"], 0);
  EXPECT_EQ(stats["users"], summary->users);
  EXPECT_EQ(stats["snapshots"], summary->snapshots);
  EXPECT_EQ(stats["snapshot_users"], summary->users);
  EXPECT_GT(stats["users_with_unknown_age"].get<int>(), 0);

  // Gaps where promised, and only there.
  EXPECT_NEAR(stats["missing"]["amount"].get<double>() / 200'000, 0.002, 0.001);
  EXPECT_NEAR(stats["missing"]["country"].get<double>() / 200'000, 0.005, 0.0015);
  EXPECT_NEAR(stats["missing"]["device"].get<double>() / 200'000, 0.02, 0.003);
  for (const char* full : {"transaction_id", "event_time", "user_id", "merchant_id", "category", "is_fraud"}) {
    EXPECT_EQ(stats["missing"][full], 0) << full;
  }

  const double rate = stats["fraud_rate"];
  EXPECT_NEAR(rate, static_cast<double>(summary->frauds) / 200'000, 1e-12);
  EXPECT_GT(rate, 0.01);
  EXPECT_LT(rate, 0.05);
  EXPECT_GT(stats["fraud_rate_foreign"].get<double>(), 3 * stats["fraud_rate_domestic"].get<double>());
  EXPECT_GT(stats["fraud_rate_night"].get<double>(), 2 * stats["fraud_rate_day"].get<double>());
  EXPECT_GT(stats["auc"].get<double>(), 0.8);
  EXPECT_LT(stats["auc"].get<double>(), 0.99);  // learnable, not trivial
}

}  // namespace
}  // namespace keel::datagen
