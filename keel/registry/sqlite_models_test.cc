#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "keel/base/testing/temp_dir.h"
#include "keel/registry/sqlite_metadata_store.h"

namespace keel {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;
using ::testing::Pair;

class SqliteModelsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto store = SqliteMetadataStore::Open(dir_.path() + "/keel.db");
    ASSERT_TRUE(store.ok()) << store.status();
    store_ = std::move(*store);
  }

  static ModelVersionRecord Version(std::string model, std::string description = "") {
    ModelVersionRecord r;
    r.model = std::move(model);
    r.bundle_key = "models/" + r.model + "/bundle.tar";
    r.bundle_sha256 = "ab12";
    r.bundle_size_bytes = 1234;
    r.learner = "gbdt";
    r.task = "binary";
    r.metrics_json = R"({"valid-auc":0.93})";
    r.params_json = R"({"depth":6})";
    r.description = std::move(description);
    return r;
  }

  // Adds `n` versions of `model`.
  void Add(const std::string& model, int n) {
    for (int i = 0; i < n; ++i) {
      StatusOr<ModelVersionRecord> added = store_->AddModelVersion(Version(model));
      ASSERT_TRUE(added.ok()) << added.status();
    }
  }

  static std::string Message(const Status& s) { return std::string(s.message()); }

  testing::TempDir dir_;
  std::unique_ptr<SqliteMetadataStore> store_;
};

TEST_F(SqliteModelsTest, AddModelVersionNumbersFromOne) {
  StatusOr<ModelVersionRecord> v1 = store_->AddModelVersion(Version("fraud", "first"));
  ASSERT_TRUE(v1.ok()) << v1.status();
  EXPECT_EQ(v1->version, 1);
  EXPECT_GT(v1->created_at_us, 1'600'000'000'000'000);
  ModelVersionRecord in = Version("fraud", "second");
  in.created_at_us = 77;
  in.aliases = {"ignored"};
  ModelVersionRecord v2 = *store_->AddModelVersion(in);
  EXPECT_EQ(v2.version, 2);
  EXPECT_EQ(v2.created_at_us, 77);
  EXPECT_THAT(v2.aliases, IsEmpty());
  EXPECT_EQ(store_->AddModelVersion(Version("churn"))->version, 1);

  ModelVersionRecord read = *store_->GetModelVersion("fraud", 2);
  EXPECT_EQ(read.model, "fraud");
  EXPECT_EQ(read.description, "second");
  EXPECT_EQ(read.bundle_key, "models/fraud/bundle.tar");
  EXPECT_EQ(read.bundle_sha256, "ab12");
  EXPECT_EQ(read.bundle_size_bytes, 1234);
  EXPECT_EQ(read.learner, "gbdt");
  EXPECT_EQ(read.task, "binary");
  EXPECT_EQ(read.metrics_json, R"({"valid-auc":0.93})");
  EXPECT_EQ(read.params_json, R"({"depth":6})");
  EXPECT_EQ(read.created_at_us, 77);
}

TEST_F(SqliteModelsTest, AddModelVersionValidates) {
  StatusOr<ModelVersionRecord> bad = store_->AddModelVersion(Version("Fraud"));
  EXPECT_EQ(bad.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(Message(bad.status()),
            "model name 'Fraud': character 'F' at position 1 is not allowed; use lowercase "
            "letters, digits, '_' and '-' (not first), e.g. 'fraud'");
  ModelVersionRecord no_bundle = Version("fraud");
  no_bundle.bundle_key = "";
  EXPECT_EQ(Message(store_->AddModelVersion(no_bundle).status()),
            "model 'fraud': a version needs the object key of its bundle (bundle_key)");
  ModelVersionRecord half = Version("fraud");
  half.dataset = "txns";
  EXPECT_EQ(Message(store_->AddModelVersion(half).status()),
            "model 'fraud': lineage names dataset 'txns' and version ''; give both or neither");
  EXPECT_THAT(*store_->ListModels(), IsEmpty());
}

TEST_F(SqliteModelsTest, LineageMustPointAtRealRunsAndDatasets) {
  DatasetVersionRecord data;
  data.dataset = "txns";
  data.version = std::string(64, 'a');
  data.created_at_us = 1;
  ASSERT_TRUE(store_->AddDatasetVersion(data).ok());
  RunRecord run = *store_->CreateRun(RunRecord{});

  ModelVersionRecord r = Version("fraud");
  r.run_id = run.id;
  r.dataset = "txns";
  r.dataset_version = data.version;
  ModelVersionRecord added = *store_->AddModelVersion(r);
  EXPECT_EQ(store_->GetModelVersion("fraud", added.version)->run_id, run.id);
  EXPECT_EQ(store_->GetModelVersion("fraud", added.version)->dataset_version, data.version);

  ModelVersionRecord ghost_run = r;
  ghost_run.run_id = std::string(32, '0');
  StatusOr<ModelVersionRecord> no_run = store_->AddModelVersion(ghost_run);
  EXPECT_EQ(no_run.status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(Message(no_run.status()),
            "model 'fraud' lineage: no run with id '00000000000000000000000000000000'");
  ModelVersionRecord ghost_data = r;
  ghost_data.dataset_version = std::string(64, 'b');
  EXPECT_EQ(Message(store_->AddModelVersion(ghost_data).status()),
            "model 'fraud' lineage: dataset 'txns' has no version '" + std::string(64, 'b') +
                "'; record the full version id of the training data");
  EXPECT_EQ(store_->ListModelVersions("fraud")->size(), 1u);
}

TEST_F(SqliteModelsTest, ListModelsAndVersions) {
  Add("fraud", 3);
  Add("churn", 1);
  ASSERT_TRUE(store_->SetAlias("fraud", "production", 2).ok());
  ASSERT_TRUE(store_->SetAlias("fraud", "staging", 3).ok());
  ASSERT_TRUE(store_->SetAlias("fraud", "canary", 3).ok());

  std::vector<ModelRecord> models = *store_->ListModels();
  ASSERT_EQ(models.size(), 2u);
  EXPECT_EQ(models[0].name, "churn");
  EXPECT_EQ(models[0].version_count, 1);
  EXPECT_THAT(models[0].aliases, IsEmpty());
  EXPECT_EQ(models[1].name, "fraud");
  EXPECT_EQ(models[1].version_count, 3);
  EXPECT_EQ(models[1].latest.version, 3);
  EXPECT_THAT(models[1].latest.aliases, ElementsAre("canary", "staging"));
  EXPECT_THAT(models[1].aliases,
              ElementsAre(Pair("canary", 3), Pair("production", 2), Pair("staging", 3)));

  std::vector<ModelVersionRecord> versions = *store_->ListModelVersions("fraud");
  ASSERT_EQ(versions.size(), 3u);
  EXPECT_EQ(versions[0].version, 3);
  EXPECT_THAT(versions[0].aliases, ElementsAre("canary", "staging"));
  EXPECT_EQ(versions[1].version, 2);
  EXPECT_THAT(versions[1].aliases, ElementsAre("production"));
  EXPECT_EQ(versions[2].version, 1);
  EXPECT_THAT(versions[2].aliases, IsEmpty());

  StatusOr<std::vector<ModelVersionRecord>> unknown = store_->ListModelVersions("frad");
  EXPECT_EQ(unknown.status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(Message(unknown.status()),
            "no model named 'frad'. Did you mean 'fraud'? Models: churn, fraud.");
}

TEST_F(SqliteModelsTest, GetModelVersionNotFoundNamesWhatExists) {
  EXPECT_EQ(Message(store_->GetModelVersion("fraud", 1).status()),
            "no model named 'fraud'. No model is registered yet.");
  Add("fraud", 3);
  StatusOr<ModelVersionRecord> missing = store_->GetModelVersion("fraud", 7);
  EXPECT_EQ(missing.status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(Message(missing.status()),
            "model 'fraud' has no version 7. It has versions 1 to 3 and no aliases.");
  ASSERT_TRUE(store_->SetAlias("fraud", "production", 2).ok());
  EXPECT_EQ(Message(store_->GetModelVersion("fraud", 0).status()),
            "model 'fraud' has no version 0. It has versions 1 to 3; aliases: production -> 2.");
  Add("one", 1);
  EXPECT_EQ(Message(store_->GetModelVersion("one", 2).status()),
            "model 'one' has no version 2. It has version 1 and no aliases.");
}

TEST_F(SqliteModelsTest, ResolveModelByLatestVersionAndAlias) {
  Add("fraud", 3);
  ASSERT_TRUE(store_->SetAlias("fraud", "production", 2).ok());
  EXPECT_EQ(store_->ResolveModel("fraud")->version, 3);
  EXPECT_EQ(store_->ResolveModel("fraud@latest")->version, 3);
  EXPECT_EQ(store_->ResolveModel("fraud@1")->version, 1);
  ModelVersionRecord production = *store_->ResolveModel("fraud@production");
  EXPECT_EQ(production.version, 2);
  EXPECT_THAT(production.aliases, ElementsAre("production"));

  StatusOr<ModelVersionRecord> alias = store_->ResolveModel("fraud@prodution");
  EXPECT_EQ(alias.status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(Message(alias.status()),
            "model 'fraud' has no alias 'prodution'. Did you mean 'production'? It has versions "
            "1 to 3; aliases: production -> 2.");
  EXPECT_EQ(Message(store_->ResolveModel("fraud@9").status()),
            "model 'fraud' has no version 9. It has versions 1 to 3; aliases: production -> 2.");
  EXPECT_EQ(Message(store_->ResolveModel("frau@production").status()),
            "no model named 'frau'. Did you mean 'fraud'? Models: fraud.");
  StatusOr<ModelVersionRecord> malformed = store_->ResolveModel("fraud@");
  EXPECT_EQ(malformed.status().code(), absl::StatusCode::kInvalidArgument);
}

TEST_F(SqliteModelsTest, SetAliasCreatesAndMoves) {
  Add("fraud", 2);
  ASSERT_TRUE(store_->SetAlias("fraud", "production", 1).ok());
  EXPECT_EQ(store_->ResolveModel("fraud@production")->version, 1);
  ASSERT_TRUE(store_->SetAlias("fraud", "production", 2).ok());  // move
  EXPECT_EQ(store_->ResolveModel("fraud@production")->version, 2);
  EXPECT_THAT(store_->GetModelVersion("fraud", 1)->aliases, IsEmpty());
  EXPECT_THAT(store_->ListModels()->front().aliases, ElementsAre(Pair("production", 2)));

  Status bad_version = store_->SetAlias("fraud", "staging", 5);
  EXPECT_EQ(bad_version.code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(Message(bad_version),
            "model 'fraud' has no version 5, so alias 'staging' cannot point at it. It has "
            "versions 1, 2; aliases: production -> 2.");
  EXPECT_EQ(Message(store_->SetAlias("fruad", "staging", 1)),
            "no model named 'fruad'. Did you mean 'fraud'? Models: fraud.");
  Status digits = store_->SetAlias("fraud", "42", 1);
  EXPECT_EQ(digits.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(Message(digits),
            "alias '42' must be 1 to 64 characters of a-z, 0-9, _ and -, starting with a letter "
            "(e.g. 'production', 'staging')");
  EXPECT_EQ(store_->SetAlias("fraud", "latest", 1).code(), absl::StatusCode::kInvalidArgument);
}

TEST_F(SqliteModelsTest, DeleteAlias) {
  Add("fraud", 1);
  ASSERT_TRUE(store_->SetAlias("fraud", "staging", 1).ok());
  ASSERT_TRUE(store_->DeleteAlias("fraud", "staging").ok());
  EXPECT_THAT(store_->GetModelVersion("fraud", 1)->aliases, IsEmpty());
  Status again = store_->DeleteAlias("fraud", "staging");
  EXPECT_EQ(again.code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(Message(again),
            "model 'fraud' has no alias 'staging'. It has version 1 and no aliases.");
  ASSERT_TRUE(store_->SetAlias("fraud", "production", 1).ok());
  EXPECT_EQ(Message(store_->DeleteAlias("fraud", "prod")),
            "model 'fraud' has no alias 'prod'. Did you mean 'production'? It has version 1; "
            "aliases: production -> 1.");
  EXPECT_EQ(Message(store_->DeleteAlias("nope", "production")),
            "no model named 'nope'. Models: fraud.");
}

TEST_F(SqliteModelsTest, ChangeVersionMovesWithEveryModelChange) {
  auto counter = [&] { return *store_->ModelsChangeVersion(); };
  EXPECT_EQ(counter(), 0);
  Add("fraud", 2);
  EXPECT_EQ(counter(), 2);
  ASSERT_TRUE(store_->SetAlias("fraud", "production", 1).ok());
  EXPECT_EQ(counter(), 3);
  ASSERT_TRUE(store_->SetAlias("fraud", "production", 1).ok());  // unchanged: no bump
  EXPECT_EQ(counter(), 3);
  ASSERT_TRUE(store_->SetAlias("fraud", "production", 2).ok());
  EXPECT_EQ(counter(), 4);
  ASSERT_TRUE(store_->DeleteAlias("fraud", "production").ok());
  EXPECT_EQ(counter(), 5);
  EXPECT_FALSE(store_->DeleteAlias("fraud", "production").ok());  // failed: no bump
  EXPECT_FALSE(store_->SetAlias("fraud", "x", 9).ok());
  EXPECT_EQ(counter(), 5);
  // Runs and datasets do not move it.
  ASSERT_TRUE(store_->CreateRun(RunRecord{}).ok());
  EXPECT_EQ(counter(), 5);

  // Another connection (a model server in another process) sees the change.
  auto server = SqliteMetadataStore::Open(dir_.path() + "/keel.db");
  ASSERT_TRUE(server.ok());
  EXPECT_EQ(*(*server)->ModelsChangeVersion(), 5);
  Add("fraud", 1);
  EXPECT_EQ(*(*server)->ModelsChangeVersion(), 6);
}

}  // namespace
}  // namespace keel
