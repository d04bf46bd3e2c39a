#include "keel/registry/records.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace keel {
namespace {

TEST(RecordsTest, RunStatusNamesRoundTrip) {
  for (RunStatus s :
       {RunStatus::kRunning, RunStatus::kFinished, RunStatus::kFailed, RunStatus::kKilled}) {
    EXPECT_EQ(*ParseRunStatus(RunStatusName(s)), s);
  }
  EXPECT_EQ(RunStatusName(RunStatus::kKilled), "killed");
  StatusOr<RunStatus> bad = ParseRunStatus("done");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(std::string(bad.status().message()),
            "unknown run status 'done'; known: running, finished, failed, killed");
}

TEST(RecordsTest, ModelNamesFollowTheDatasetRule) {
  EXPECT_TRUE(ValidateModelName("fraud").ok());
  EXPECT_TRUE(ValidateModelName("fraud_v2-x").ok());
  EXPECT_TRUE(ValidateModelName("2024model").ok());
  Status upper = ValidateModelName("Fraud");
  EXPECT_EQ(upper.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(std::string(upper.message()),
            "model name 'Fraud': character 'F' at position 1 is not allowed; use lowercase "
            "letters, digits, '_' and '-' (not first), e.g. 'fraud'");
  EXPECT_EQ(std::string(ValidateModelName("").message()),
            "model name '' must be 1 to 64 characters of a-z, 0-9, _ and -");
  EXPECT_FALSE(ValidateModelName("_x").ok());
  EXPECT_FALSE(ValidateModelName(std::string(65, 'a')).ok());
  EXPECT_EQ(std::string(ValidateExperimentName("my exp").message()),
            "experiment name 'my exp': character ' ' at position 3 is not allowed; use "
            "lowercase letters, digits, '_' and '-' (not first), e.g. 'my exp'");
}

TEST(RecordsTest, AliasNamesStartWithALetterAndLatestIsReserved) {
  EXPECT_TRUE(ValidateAliasName("production").ok());
  EXPECT_TRUE(ValidateAliasName("canary-2_b").ok());
  EXPECT_EQ(std::string(ValidateAliasName("3").message()),
            "alias '3' must be 1 to 64 characters of a-z, 0-9, _ and -, starting with a letter "
            "(e.g. 'production', 'staging')");
  EXPECT_FALSE(ValidateAliasName("").ok());
  EXPECT_FALSE(ValidateAliasName("-x").ok());
  EXPECT_EQ(std::string(ValidateAliasName("prod.1").message()),
            "alias 'prod.1': character '.' at position 5 is not allowed; use lowercase letters, "
            "digits, '_' and '-'");
  EXPECT_EQ(std::string(ValidateAliasName("latest").message()),
            "alias 'latest' is reserved: 'model@latest' always means the highest version; "
            "choose another name");
}

TEST(RecordsTest, ParsesModelReferences) {
  ModelRef plain = *ParseModelRef("fraud");
  EXPECT_EQ(plain.model, "fraud");
  EXPECT_EQ(plain.version, 0);
  EXPECT_EQ(plain.alias, "");
  EXPECT_EQ(ParseModelRef("fraud@12")->version, 12);
  EXPECT_EQ(ParseModelRef("fraud@production")->alias, "production");
  ModelRef latest = *ParseModelRef("fraud@latest");
  EXPECT_EQ(latest.version, 0);
  EXPECT_EQ(latest.alias, "");

  EXPECT_EQ(std::string(ParseModelRef("fraud@").status().message()),
            "model reference 'fraud@' ends with '@'; write 'name' (latest), 'name@3' (a "
            "version) or 'name@production' (an alias)");
  EXPECT_EQ(std::string(ParseModelRef("fraud@0").status().message()),
            "model reference 'fraud@0': '0' is not a version number; versions are 1, 2, 3...");
  EXPECT_FALSE(ParseModelRef("fraud@3a").ok());
  EXPECT_FALSE(ParseModelRef("fraud@99999999999999999999").ok());
  EXPECT_FALSE(ParseModelRef("@3").ok());
  StatusOr<ModelRef> bad_alias = ParseModelRef("fraud@Prod");
  EXPECT_EQ(bad_alias.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(bad_alias.status().message()),
              ::testing::StartsWith("model reference 'fraud@Prod': alias 'Prod' must be"));
}

}  // namespace
}  // namespace keel
