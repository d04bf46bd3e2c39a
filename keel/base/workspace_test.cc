#include "keel/base/workspace.h"

#include <filesystem>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "keel/base/files.h"
#include "keel/base/testing/temp_dir.h"

namespace keel {
namespace {

using ::testing::HasSubstr;

TEST(WorkspaceTest, InitCreatesConfigAndStateFolders) {
  testing::TempDir tmp;
  const std::string root = tmp.path() + "/fraud detection";
  auto result = InitWorkspace(root, {});
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(result->project, "fraud-detection");  // made valid from the folder name
  EXPECT_TRUE(IsDirectory(root + "/.keel/lake"));
  EXPECT_TRUE(IsDirectory(root + "/.keel/online"));
  auto ws = Workspace::Open(root, {});
  ASSERT_TRUE(ws.ok()) << ws.status();
  EXPECT_EQ(ws->config().GetString("project"), "fraud-detection");
  EXPECT_EQ(ws->StorageUri(), "file://" + root + "/.keel/lake");
  EXPECT_EQ(ws->Resolve(".keel/online"), root + "/.keel/online");
  EXPECT_EQ(ws->Resolve("/abs"), "/abs");
}

TEST(WorkspaceTest, InitRefusesAnExistingWorkspaceAndChangesNothing) {
  testing::TempDir tmp;
  ASSERT_TRUE(InitWorkspace(tmp.path(), {.project = "a"}).ok());
  const std::string custom = "project: a\nlog:\n  level: debug\n";
  ASSERT_TRUE(WriteFileAtomic(tmp.path() + "/keel.yaml", custom).ok());
  auto again = InitWorkspace(tmp.path(), {.project = "b"});
  EXPECT_EQ(again.status().code(), absl::StatusCode::kAlreadyExists);
  EXPECT_THAT(again.status().message(), HasSubstr("already a Keel workspace"));
  EXPECT_THAT(again.status().message(), HasSubstr("--force"));
  EXPECT_EQ(*ReadFile(tmp.path() + "/keel.yaml"), custom);
}

TEST(WorkspaceTest, ForceRewritesConfigKeepsBackupAndData) {
  testing::TempDir tmp;
  ASSERT_TRUE(InitWorkspace(tmp.path(), {.project = "a"}).ok());
  const std::string custom = "project: a\nthreads: 3\n";
  ASSERT_TRUE(WriteFileAtomic(tmp.path() + "/keel.yaml", custom).ok());
  ASSERT_TRUE(WriteFileAtomic(tmp.path() + "/.keel/lake/data.bin", "precious").ok());
  auto result = InitWorkspace(tmp.path(), {.project = "b", .force = true});
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_TRUE(result->rewrote_config);
  EXPECT_EQ(*ReadFile(tmp.path() + "/keel.yaml.bak"), custom);
  EXPECT_EQ(*ReadFile(tmp.path() + "/.keel/lake/data.bin"), "precious");
  EXPECT_EQ(Workspace::Open(tmp.path(), {})->config().GetString("project"), "b");
}

TEST(WorkspaceTest, InvalidProjectNameIsRejected) {
  testing::TempDir tmp;
  auto result = InitWorkspace(tmp.path() + "/x", {.project = "a/b"});
  EXPECT_EQ(result.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(result.status().message(), HasSubstr("--project: project: expected letters"));
  EXPECT_FALSE(PathExists(tmp.path() + "/x"));  // nothing created
}

TEST(WorkspaceTest, LocateSearchesUpwardThenHonoursOverrides) {
  testing::TempDir tmp;
  const std::string root = tmp.path() + "/ws";
  ASSERT_TRUE(InitWorkspace(root, {}).ok());
  ASSERT_TRUE(MakeDirs(root + "/data/raw").ok());
  EXPECT_EQ(*Workspace::Locate("", {}, root + "/data/raw"), root);
  EXPECT_EQ(*Workspace::Locate(root + "/", {}, "/"), root);
  EXPECT_EQ(*Workspace::Locate("", {"KEEL_WORKSPACE=" + root}, "/"), root);

  auto none = Workspace::Locate("", {}, tmp.path());
  EXPECT_EQ(none.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(none.status().message(), HasSubstr("not inside a Keel workspace"));
  EXPECT_THAT(none.status().message(), HasSubstr("keel init"));

  auto bad_flag = Workspace::Locate(tmp.path(), {}, "/");
  EXPECT_THAT(bad_flag.status().message(),
              HasSubstr("(from --workspace) is not a Keel workspace: it has no keel.yaml"));
  auto bad_env = Workspace::Locate("", {"KEEL_WORKSPACE=/nonexistent/ws"}, "/");
  EXPECT_EQ(bad_env.status().message(),
            "workspace folder /nonexistent/ws (from KEEL_WORKSPACE) does not exist");
}

TEST(WorkspaceTest, OpenReportsConfigErrorsWithThePath) {
  testing::TempDir tmp;
  ASSERT_TRUE(WriteFileAtomic(tmp.path() + "/keel.yaml", "project: x\nthreads: many\n").ok());
  auto ws = Workspace::Open(tmp.path(), {});
  EXPECT_EQ(ws.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ws.status().message(), tmp.path() +
                                       "/keel.yaml:2:10: threads: expected an integer from 0 to "
                                       "4096; got 'many'");
}

TEST(WorkspaceTest, EnvironmentOverridesApply) {
  testing::TempDir tmp;
  ASSERT_TRUE(InitWorkspace(tmp.path(), {}).ok());
  auto ws = Workspace::Open(tmp.path(), {"KEEL_STORAGE_URI=s3://bucket/p", "KEEL_LOG_LVL=x"});
  ASSERT_TRUE(ws.ok()) << ws.status();
  EXPECT_EQ(ws->StorageUri(), "s3://bucket/p");
  ASSERT_EQ(ws->warnings().size(), 1u);
  EXPECT_THAT(ws->warnings()[0], HasSubstr("KEEL_LOG_LVL"));
}

}  // namespace
}  // namespace keel
