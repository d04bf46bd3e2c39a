#include "keel/pipeline/process.h"

#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "keel/base/files.h"
#include "keel/base/testing/temp_dir.h"

namespace keel::pipeline {
namespace {

TEST(ProcessTest, ExitCodeAndOutputsGoToTheirFiles) {
  testing::TempDir dir;
  const std::string out = dir.path() + "/out.txt", err = dir.path() + "/err.txt";
  StatusOr<int> code = RunProcess({"/bin/sh", "-c", "pwd; echo oops >&2; exit 3"},
                                  {.cwd = dir.path(), .stdout_path = out, .stderr_path = err});
  ASSERT_TRUE(code.ok()) << code.status();
  EXPECT_EQ(*code, 3);
  EXPECT_EQ(*ReadFile(out), dir.path() + "\n");
  EXPECT_EQ(*ReadFile(err), "oops\n");
}

TEST(ProcessTest, ASignalGives128PlusItsNumber) {
  StatusOr<int> code = RunProcess({"/bin/sh", "-c", "kill -9 $$"}, {});
  ASSERT_TRUE(code.ok()) << code.status();
  EXPECT_EQ(*code, 128 + 9);
}

TEST(ProcessTest, AProgramThatCannotStartIsAnError) {
  StatusOr<int> code = RunProcess({"/no/such/keel", "--version"}, {});
  EXPECT_EQ(code.status().code(), absl::StatusCode::kInternal);
  EXPECT_THAT(std::string(code.status().message()), ::testing::HasSubstr("/no/such/keel"));
}

}  // namespace
}  // namespace keel::pipeline
