#include "keel/table/input_stream.h"

#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "keel/base/files.h"
#include "keel/base/testing/temp_dir.h"
#include "keel/table/testing/compress.h"

namespace keel {
namespace {

using ::testing::HasSubstr;

std::string Drain(InputStream& stream, size_t step) {
  std::string out;
  std::string buffer(step, '\0');
  while (true) {
    auto n = stream.Read(buffer.data(), buffer.size());
    EXPECT_TRUE(n.ok()) << n.status();
    if (!n.ok() || *n == 0) break;
    out.append(buffer.data(), *n);
    if (*n < step) break;
  }
  return out;
}

std::string Sample() {
  std::string text;
  for (int i = 0; i < 20000; ++i) text += "row " + std::to_string(i) + ",value\n";
  return text;
}

TEST(InputStreamTest, DetectsCompressionByMagicBytes) {
  const std::string text = Sample();
  for (size_t step : {size_t{1} << 20, size_t{4096}, size_t{7}}) {
    auto plain = OpenInputString(text, "plain");
    EXPECT_EQ(plain->compression(), Compression::kNone);
    EXPECT_EQ(Drain(*plain, step), text);

    const std::string gz = testing::GzipCompress(text);
    auto gzip = OpenInputString(gz, "x.gz");
    EXPECT_EQ(gzip->compression(), Compression::kGzip);
    EXPECT_EQ(Drain(*gzip, step), text);

    const std::string zst = testing::ZstdCompress(text);
    auto zstd = OpenInputString(zst, "x.zst");
    EXPECT_EQ(zstd->compression(), Compression::kZstd);
    EXPECT_EQ(Drain(*zstd, step), text);
  }
}

TEST(InputStreamTest, ConcatenatedMembersAndFramesAreOneStream) {
  const std::string gz = testing::GzipCompress("first\n") + testing::GzipCompress("second\n");
  EXPECT_EQ(Drain(*OpenInputString(gz, "x.gz"), 64), "first\nsecond\n");
  const std::string zst = testing::ZstdCompress("first\n") + testing::ZstdCompress("second\n");
  EXPECT_EQ(Drain(*OpenInputString(zst, "x.zst"), 64), "first\nsecond\n");
}

TEST(InputStreamTest, TruncatedGzipIsDataLoss) {
  const std::string gz = testing::GzipCompress(Sample());
  auto stream = OpenInputString(std::string_view(gz).substr(0, gz.size() / 2), "cut.csv.gz");
  std::string buffer(1 << 16, '\0');
  Status status;
  while (true) {
    auto n = stream->Read(buffer.data(), buffer.size());
    if (!n.ok()) {
      status = n.status();
      break;
    }
    ASSERT_GT(*n, 0u) << "reached the end without noticing the truncation";
  }
  EXPECT_EQ(status.code(), absl::StatusCode::kDataLoss);
  EXPECT_THAT(std::string(status.message()), HasSubstr("cut.csv.gz: truncated gzip data"));
}

TEST(InputStreamTest, OpensFilesAndReportsMissingOnes) {
  testing::TempDir dir;
  const std::string path = dir.path() + "/data.csv";
  ASSERT_TRUE(WriteFileAtomic(path, "a,b\n").ok());
  auto stream = OpenInputFile(path);
  ASSERT_TRUE(stream.ok());
  EXPECT_EQ(Drain(**stream, 100), "a,b\n");
  EXPECT_EQ((*stream)->name(), path);

  auto missing = OpenInputFile(dir.path() + "/nope.csv");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(std::string(missing.status().message()), HasSubstr("nope.csv"));
}

}  // namespace
}  // namespace keel
