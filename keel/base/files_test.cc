#include "keel/base/files.h"

#include <sys/resource.h>

#include <csignal>

#include <filesystem>

#include "gtest/gtest.h"
#include "keel/base/testing/temp_dir.h"

namespace keel {
namespace {

TEST(FilesTest, WriteAtomicThenRead) {
  testing::TempDir dir;
  const std::string path = dir.path() + "/a.txt";
  ASSERT_TRUE(WriteFileAtomic(path, "first").ok());
  ASSERT_TRUE(WriteFileAtomic(path, "second version").ok());
  auto contents = ReadFile(path);
  ASSERT_TRUE(contents.ok());
  EXPECT_EQ(*contents, "second version");
  // No temporary files are left behind.
  int entries = 0;
  for ([[maybe_unused]] const auto& e : std::filesystem::directory_iterator(dir.path())) ++entries;
  EXPECT_EQ(entries, 1);
}

TEST(FilesTest, FailedWriteLeavesPreviousVersionIntact) {
  testing::TempDir dir;
  const std::string path = dir.path() + "/a.txt";
  ASSERT_TRUE(WriteFileAtomic(path, "kept").ok());
  // A file-size limit makes the write fail half way, as a full disk would,
  // and works for root too (directory permissions would not).
  std::signal(SIGXFSZ, SIG_IGN);
  struct rlimit old_limit {};
  ::getrlimit(RLIMIT_FSIZE, &old_limit);
  struct rlimit small = old_limit;
  small.rlim_cur = 16;
  ::setrlimit(RLIMIT_FSIZE, &small);
  Status s = WriteFileAtomic(path, std::string(4096, 'x'));
  ::setrlimit(RLIMIT_FSIZE, &old_limit);
  EXPECT_FALSE(s.ok());
  EXPECT_NE(s.message().find("a.txt.tmp-"), std::string::npos) << s;
  EXPECT_EQ(*ReadFile(path), "kept");
  int entries = 0;  // the partial temporary file was removed
  for ([[maybe_unused]] const auto& e : std::filesystem::directory_iterator(dir.path())) ++entries;
  EXPECT_EQ(entries, 1);
}

TEST(FilesTest, StreamingWriterAppearsOnlyOnCommit) {
  testing::TempDir dir;
  const std::string path = dir.path() + "/big.csv";
  ASSERT_TRUE(WriteFileAtomic(path, "old").ok());
  {
    auto writer = AtomicFileWriter::Create(path);
    ASSERT_TRUE(writer.ok()) << writer.status();
    ASSERT_TRUE(writer->Append("a,b\n").ok());
    ASSERT_TRUE(writer->Append("1,2\n").ok());
    EXPECT_EQ(writer->size(), 8);
    EXPECT_EQ(*ReadFile(path), "old");  // not visible before Commit
    ASSERT_TRUE(writer->Commit().ok());
    EXPECT_FALSE(writer->Append("late").ok());
  }
  EXPECT_EQ(*ReadFile(path), "a,b\n1,2\n");
  {
    auto abandoned = AtomicFileWriter::Create(path);
    ASSERT_TRUE(abandoned->Append("partial").ok());
  }  // destroyed without Commit: the old file stays, the temp file is gone
  EXPECT_EQ(*ReadFile(path), "a,b\n1,2\n");
  int entries = 0;
  for ([[maybe_unused]] const auto& e : std::filesystem::directory_iterator(dir.path())) ++entries;
  EXPECT_EQ(entries, 1);
}

TEST(FilesTest, WriterTempNamesAreRecognised) {
  EXPECT_TRUE(IsAtomicTempFileName("a.csv.tmp-123-456"));
  EXPECT_FALSE(IsAtomicTempFileName("a.csv"));
  EXPECT_FALSE(IsAtomicTempFileName("a.tmp-x-1"));
  EXPECT_FALSE(IsAtomicTempFileName("a.tmp-1-"));
}

TEST(FilesTest, WriteIntoMissingDirectoryFailsWithPath) {
  testing::TempDir dir;
  Status s = WriteFileAtomic(dir.path() + "/missing/a.txt", "x");
  EXPECT_EQ(s.code(), absl::StatusCode::kNotFound);
  EXPECT_NE(s.message().find("missing/a.txt"), std::string::npos) << s;
}

TEST(FilesTest, ReadMissingFileIsNotFound) {
  auto r = ReadFile("/nonexistent/keel.yaml");
  EXPECT_EQ(r.status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(r.status().message(), "/nonexistent/keel.yaml: No such file or directory");
}

TEST(FilesTest, MakeDirsCreatesParents) {
  testing::TempDir dir;
  ASSERT_TRUE(MakeDirs(dir.path() + "/a/b/c").ok());
  EXPECT_TRUE(IsDirectory(dir.path() + "/a/b/c"));
  EXPECT_TRUE(MakeDirs(dir.path() + "/a/b/c").ok());  // idempotent
  EXPECT_FALSE(PathExists(dir.path() + "/zzz"));
}

}  // namespace
}  // namespace keel
