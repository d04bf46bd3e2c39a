// `keel ingest` interrupted: a process killed mid-ingest, and a disk that
// fills up (simulated with a file-size limit, RLIMIT_FSIZE, on the child:
// writes past it fail with EFBIG as on a full disk). Either way the
// dataset's previous version stays whole and readable, no partial version
// is visible, and the next ingest succeeds.
#include <signal.h>

#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "keel/base/files.h"
#include "keel/base/testing/subprocess.h"
#include "keel/base/testing/temp_dir.h"
#include "keel/cli/run_keel_for_test.h"
#include "nlohmann/json.hpp"

namespace keel {
namespace {

using testing::CommandResult;
using ::testing::HasSubstr;
using json = nlohmann::json;

class IngestCrashTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_EQ(Keel({"init", "--project", "t"}).exit_code, 0);
    ASSERT_TRUE(WriteFileAtomic(dir_.path() + "/small.csv", "id,x\n1,2.5\n2,3.5\n").ok());
    ASSERT_EQ(Keel({"ingest", "small.csv", "--name", "d"}).exit_code, 0);
    // A second file large enough that ingesting it takes a while and writes
    // megabytes.
    ASSERT_EQ(Keel({"datagen", "fraud", "--rows", "400000", "--seed", "3", "--out", "big"}).exit_code, 0);
  }

  CommandResult Keel(std::vector<std::string> args) {
    return testing::RunKeel(std::move(args), dir_.path());
  }
  json KeelJson(std::vector<std::string> args) {
    args.push_back("--json");
    CommandResult r = Keel(args);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return json::parse(r.out, nullptr, false);
  }
  // The dataset still has exactly its first version, whole.
  void ExpectOnlyTheFirstVersion() {
    json versions = KeelJson({"datasets", "versions", "d"})["versions"];
    ASSERT_EQ(versions.size(), 1u) << versions.dump();
    json head = KeelJson({"datasets", "show", "d"});
    EXPECT_EQ(head["rows"], 2);
    CommandResult r = Keel({"datasets", "head", "d", "-n", "5"});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    EXPECT_THAT(r.out, HasSubstr("3.5"));
  }

  testing::TempDir dir_;
};

TEST_F(IngestCrashTest, KilledMidIngestLeavesThePreviousVersionWhole) {
  testing::BackgroundProcess ingest({KEEL_BINARY, "ingest", "big/transactions.csv", "--name", "d"},
                                    {.cwd = dir_.path(), .unset_env = {"KEEL_WORKSPACE"}});
  ASSERT_TRUE(ingest.started());
  std::this_thread::sleep_for(std::chrono::milliseconds(150));
  if (!ingest.Running()) GTEST_SKIP() << "the ingest finished before it could be killed";
  EXPECT_EQ(ingest.Stop(SIGKILL), 128 + SIGKILL);
  ExpectOnlyTheFirstVersion();
  // The next ingest works and adds version 2.
  CommandResult r = Keel({"ingest", "big/transactions.csv", "--name", "d"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(KeelJson({"datasets", "versions", "d"})["versions"].size(), 2u);
}

TEST_F(IngestCrashTest, DiskFullFailsClearlyAndKeepsThePreviousVersion) {
  // 2 MB of file per write at most; SIGXFSZ ignored, so writes fail with
  // EFBIG ("File too large") as they would with ENOSPC on a full disk.
  CommandResult r = testing::RunCommand(
      {"bash", "-c",
       absl::StrCat("trap '' XFSZ; ulimit -f 2048; exec ", KEEL_BINARY,
                    " ingest big/transactions.csv --name d")},
      {.cwd = dir_.path(), .unset_env = {"KEEL_WORKSPACE"}});
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  EXPECT_THAT(r.err, HasSubstr("keel: error:"));
  EXPECT_THAT(r.err, HasSubstr("too large"));
  ExpectOnlyTheFirstVersion();
  r = Keel({"ingest", "big/transactions.csv", "--name", "d"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(KeelJson({"datasets", "versions", "d"})["versions"].size(), 2u);
}

}  // namespace
}  // namespace keel
