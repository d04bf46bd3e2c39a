#include "keel/storage/local_store.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <thread>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "keel/base/files.h"
#include "keel/base/testing/temp_dir.h"

namespace keel {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::StartsWith;

class LocalStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto opened = LocalStore::Open(dir_.path() + "/root");
    ASSERT_TRUE(opened.ok()) << opened.status();
    store_ = std::move(*opened);
  }

  std::vector<std::string> Keys(const std::string& prefix = "") {
    std::vector<std::string> keys;
    auto entries = store_->List(prefix);
    EXPECT_TRUE(entries.ok()) << entries.status();
    if (entries.ok()) {
      for (const ObjectInfo& info : *entries) keys.push_back(info.key);
    }
    return keys;
  }

  testing::TempDir dir_;
  std::unique_ptr<LocalStore> store_;
};

TEST_F(LocalStoreTest, PutGetOverwrite) {
  ASSERT_TRUE(store_->Put("a/b/c.txt", "hello").ok());
  EXPECT_EQ(*store_->Get("a/b/c.txt"), "hello");
  ASSERT_TRUE(store_->Put("a/b/c.txt", std::string("bin\0ary", 7)).ok());
  EXPECT_EQ(*store_->Get("a/b/c.txt"), std::string("bin\0ary", 7));
  EXPECT_EQ(*ReadFile(store_->root() + "/a/b/c.txt"), std::string("bin\0ary", 7));
  ASSERT_TRUE(store_->Put("empty", "").ok());
  EXPECT_EQ(*store_->Get("empty"), "");
}

TEST_F(LocalStoreTest, RootUriIsAbsolute) {
  EXPECT_EQ(store_->root_uri(), "file://" + dir_.path() + "/root");
  EXPECT_EQ(store_->Uri("x/y"), "file://" + dir_.path() + "/root/x/y");
}

TEST_F(LocalStoreTest, MissingObjectIsNotFoundNamingTheUri) {
  auto bytes = store_->Get("no/such.csv");
  EXPECT_EQ(bytes.status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(bytes.status().message(), store_->Uri("no/such.csv") + ": no such object");
  EXPECT_EQ(store_->Stat("no/such.csv").status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(store_->GetRange("no/such.csv", 0, 0).status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(store_->GetToFile("no/such.csv", dir_.path() + "/out").code(),
            absl::StatusCode::kNotFound);
  EXPECT_FALSE(PathExists(dir_.path() + "/out"));
  EXPECT_FALSE(*store_->Exists("no/such.csv"));
}

TEST_F(LocalStoreTest, BadKeysAreRefusedBeforeTouchingTheDisk) {
  for (const std::string key : {"../escape", "/etc/passwd", "a/../../b", "a//b", ""}) {
    const Status status = store_->Put(key, "x");
    EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << key;
    EXPECT_THAT(std::string(status.message()),
                StartsWith(store_->root_uri() + ": invalid object key"))
        << key;
    EXPECT_EQ(store_->Get(key).status().code(), absl::StatusCode::kInvalidArgument);
  }
  EXPECT_FALSE(PathExists(dir_.path() + "/escape"));
  EXPECT_THAT(std::string(store_->Put(std::string("a\0b", 3), "x").message()), HasSubstr("NUL"));
  EXPECT_THAT(std::string(store_->Put("x.tmp-12-34", "x").message()), HasSubstr("temporary files"));
}

TEST_F(LocalStoreTest, RangedReads) {
  ASSERT_TRUE(store_->Put("r", "0123456789").ok());
  EXPECT_EQ(*store_->GetRange("r", 2, 3), "234");
  EXPECT_EQ(*store_->GetRange("r", 8, 100), "89");
  EXPECT_EQ(*store_->GetRange("r", 0, 0), "");
  auto past_end = store_->GetRange("r", 10, 1);
  EXPECT_EQ(past_end.status().code(), absl::StatusCode::kOutOfRange);
  EXPECT_THAT(std::string(past_end.status().message()), HasSubstr("the object has 10 bytes"));
  EXPECT_EQ(store_->GetRange("r", -1, 2).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(store_->GetRange("r", 0, -2).status().code(), absl::StatusCode::kInvalidArgument);
}

TEST_F(LocalStoreTest, StatReportsSizeAndAChangingEtag) {
  ASSERT_TRUE(store_->Put("s", "abc").ok());
  auto first = store_->Stat("s");
  ASSERT_TRUE(first.ok()) << first.status();
  EXPECT_EQ(first->key, "s");
  EXPECT_EQ(first->size_bytes, 3);
  EXPECT_GT(first->mtime_us, 0);
  ASSERT_TRUE(store_->Put("s", "abcd").ok());
  auto second = store_->Stat("s");
  EXPECT_EQ(second->size_bytes, 4);
  EXPECT_NE(second->etag, first->etag);
}

TEST_F(LocalStoreTest, DeleteIsIdempotent) {
  ASSERT_TRUE(store_->Put("d/x", "1").ok());
  EXPECT_TRUE(*store_->Exists("d/x"));
  EXPECT_TRUE(store_->Delete("d/x").ok());
  EXPECT_FALSE(*store_->Exists("d/x"));
  EXPECT_TRUE(store_->Delete("d/x").ok());
  EXPECT_TRUE(store_->Delete("d").ok());  // a directory is not an object
}

TEST_F(LocalStoreTest, ListIsRecursiveSortedAndAStringPrefix) {
  for (const char* key : {"b/2", "a/1", "a/b/c", "ab", "a.csv", "z"}) {
    ASSERT_TRUE(store_->Put(key, key).ok());
  }
  EXPECT_THAT(Keys(), ElementsAre("a.csv", "a/1", "a/b/c", "ab", "b/2", "z"));
  EXPECT_THAT(Keys("a/"), ElementsAre("a/1", "a/b/c"));
  EXPECT_THAT(Keys("a"), ElementsAre("a.csv", "a/1", "a/b/c", "ab"));
  EXPECT_THAT(Keys("a/b"), ElementsAre("a/b/c"));
  EXPECT_THAT(Keys("nothing/"), ElementsAre());
  auto entries = store_->List("b/");
  ASSERT_TRUE(entries.ok());
  EXPECT_EQ((*entries)[0].size_bytes, 3);
  EXPECT_EQ(store_->List("../").status().code(), absl::StatusCode::kInvalidArgument);
}

TEST_F(LocalStoreTest, KeyCannotBeBothObjectAndDirectory) {
  ASSERT_TRUE(store_->Put("p/q", "1").ok());
  EXPECT_EQ(store_->Put("p", "2").code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(store_->Get("p").status().code(), absl::StatusCode::kNotFound);
  ASSERT_TRUE(store_->Put("f", "1").ok());
  EXPECT_EQ(store_->Put("f/g", "2").code(), absl::StatusCode::kFailedPrecondition);
}

TEST_F(LocalStoreTest, PutFileAndGetToFileStream) {
  std::string big(3 << 20, '\0');
  for (size_t i = 0; i < big.size(); ++i) big[i] = static_cast<char>(i * 7919 % 251);
  const std::string source = dir_.path() + "/source.bin";
  ASSERT_TRUE(WriteFileAtomic(source, big).ok());
  ASSERT_TRUE(store_->PutFile("files/big.bin", source).ok());
  EXPECT_EQ(store_->Stat("files/big.bin")->size_bytes, static_cast<int64_t>(big.size()));
  const std::string copy = dir_.path() + "/copy.bin";
  ASSERT_TRUE(store_->GetToFile("files/big.bin", copy).ok());
  EXPECT_TRUE(*ReadFile(copy) == big) << "copied bytes differ";
}

TEST_F(LocalStoreTest, FailedPutFileLeavesPreviousObject) {
  ASSERT_TRUE(store_->Put("keep", "old").ok());
  const Status missing = store_->PutFile("keep", dir_.path() + "/does-not-exist");
  EXPECT_EQ(missing.code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(std::string(missing.message()), HasSubstr(store_->Uri("keep")));
  EXPECT_THAT(std::string(missing.message()), HasSubstr(dir_.path() + "/does-not-exist"));
  EXPECT_THAT(std::string(store_->PutFile("keep", dir_.path()).message()),
              HasSubstr("is a directory"));
  EXPECT_EQ(*store_->Get("keep"), "old");
  EXPECT_THAT(Keys(), ElementsAre("keep"));
}

// A writer killed halfway (SIGKILL, no chance to clean up) leaves the previous
// object whole; its temporary file is not listed. The child streams from a
// FIFO, so it is certainly mid-write when it dies.
TEST_F(LocalStoreTest, CrashMidWriteLeavesPreviousObject) {
  ASSERT_TRUE(store_->Put("model.bin", "old model").ok());
  const std::string fifo = dir_.path() + "/fifo";
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    (void)store_->PutFile("model.bin", fifo);
    ::_exit(0);
  }
  const int fd = ::open(fifo.c_str(), O_WRONLY);
  ASSERT_GE(fd, 0);
  const std::string half(1 << 20, 'n');
  ASSERT_EQ(::write(fd, half.data(), half.size()), static_cast<ssize_t>(half.size()));
  // Wait until the child's temporary file holds those bytes, then kill it.
  bool mid_write = false;
  for (int i = 0; i < 1000 && !mid_write; ++i) {
    for (const auto& entry : std::filesystem::directory_iterator(store_->root())) {
      if (IsAtomicTempFileName(entry.path().filename().native()) &&
          entry.file_size() >= half.size()) {
        mid_write = true;
      }
    }
    if (!mid_write) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  ::kill(child, SIGKILL);
  ::waitpid(child, nullptr, 0);
  ::close(fd);
  ASSERT_TRUE(mid_write) << "the child never started writing";

  EXPECT_EQ(*store_->Get("model.bin"), "old model");
  EXPECT_THAT(Keys(), ElementsAre("model.bin"));
  ASSERT_TRUE(store_->Put("model.bin", "new model").ok());
  EXPECT_EQ(*store_->Get("model.bin"), "new model");
}

TEST_F(LocalStoreTest, ConcurrentReadersSeeWholeObjects) {
  const std::string a(1 << 20, 'a');
  const std::string b(1 << 19, 'b');
  ASSERT_TRUE(store_->Put("hot", a).ok());
  std::atomic<bool> stop{false};
  std::atomic<int> torn{0};
  std::thread writer([&] {
    for (int i = 0; i < 50; ++i) (void)store_->Put("hot", i % 2 ? a : b);
    stop = true;
  });
  std::vector<std::thread> readers;
  for (int r = 0; r < 2; ++r) {
    readers.emplace_back([&] {
      while (!stop) {
        auto bytes = store_->Get("hot");
        if (!bytes.ok() || (*bytes != a && *bytes != b)) ++torn;
      }
    });
  }
  writer.join();
  for (auto& reader : readers) reader.join();
  EXPECT_EQ(torn, 0);
}

TEST(LocalStoreOpenTest, RootThatIsAFileIsRefused) {
  testing::TempDir dir;
  ASSERT_TRUE(WriteFileAtomic(dir.path() + "/file", "x").ok());
  auto store = LocalStore::Open(dir.path() + "/file");
  EXPECT_EQ(store.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(std::string(store.status().message()), HasSubstr("is not a directory"));
}

}  // namespace
}  // namespace keel
