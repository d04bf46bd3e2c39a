#include "keel/lake/objects.h"

#include <filesystem>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "keel/base/files.h"
#include "keel/base/hash.h"
#include "keel/base/testing/temp_dir.h"

namespace keel {
namespace {

using ::testing::HasSubstr;

std::string Bytes(std::initializer_list<int> values) {
  std::string out;
  for (int v : values) out.push_back(static_cast<char>(v));
  return out;
}

// A PNG signature and IHDR chunk for a 640 x 480 image (enough to sniff).
std::string PngHeader() {
  return Bytes({0x89, 'P', 'N', 'G',  '\r', '\n', 0x1a, '\n', 0,    0, 0, 13, 'I', 'H', 'D',
                'R',  0,   0,   0x02, 0x80, 0,    0,    0x01, 0xE0, 8, 2, 0,  0,   0});
}

// SOI, an APP1 segment of 300 bytes (metadata before the frame), then SOF2
// (progressive) for 1024 x 768.
std::string JpegHeader() {
  std::string out = Bytes({0xFF, 0xD8, 0xFF, 0xE1, 0x01, 0x2C});
  out += std::string(298, 'x');
  out += Bytes({0xFF, 0xC2, 0x00, 0x11, 0x08, 0x03, 0x00, 0x04, 0x00, 0x03});
  return out;
}

TEST(SniffContentTest, ImagesWithTheirSizes) {
  ContentInfo png = SniffContent(PngHeader(), "a.bin");
  EXPECT_EQ(png.content_type, "image/png");
  EXPECT_EQ(png.width, 640);
  EXPECT_EQ(png.height, 480);

  ContentInfo jpeg = SniffContent(JpegHeader(), "photo.jpg");
  EXPECT_EQ(jpeg.content_type, "image/jpeg");
  EXPECT_EQ(jpeg.width, 1024);
  EXPECT_EQ(jpeg.height, 768);

  ContentInfo gif = SniffContent("GIF89a" + Bytes({0x20, 0x01, 0x10, 0x00}), "x");
  EXPECT_EQ(gif.content_type, "image/gif");
  EXPECT_EQ(gif.width, 288);
  EXPECT_EQ(gif.height, 16);

  std::string bmp =
      "BM" + std::string(12, '\0') + Bytes({40, 0, 0, 0, 3, 0, 0, 0, 0xFE, 0xFF, 0xFF, 0xFF});
  ContentInfo b = SniffContent(bmp, "x.bmp");
  EXPECT_EQ(b.content_type, "image/bmp");
  EXPECT_EQ(b.width, 3);
  EXPECT_EQ(b.height, 2);  // negative height: a top-down bitmap

  std::string webp = "RIFF" + std::string(4, '\0') + "WEBPVP8X" + std::string(8, '\0') +
                     Bytes({0x7F, 0x02, 0x00, 0xDF, 0x01, 0x00});
  ContentInfo w = SniffContent(webp, "x.webp");
  EXPECT_EQ(w.content_type, "image/webp");
  EXPECT_EQ(w.width, 640);
  EXPECT_EQ(w.height, 480);
}

TEST(SniffContentTest, TextBinaryAndExtensions) {
  EXPECT_EQ(SniffContent("héllo\nworld\n", "notes").content_type, "text/plain");
  EXPECT_EQ(SniffContent(Bytes({0, 1, 2, 0xFF}), "blob").content_type, "application/octet-stream");
  EXPECT_EQ(SniffContent("{\"a\": 1}", "doc.JSON").content_type, "application/json");
  EXPECT_EQ(SniffContent("%PDF-1.7 ...", "x").content_type, "application/pdf");
  ContentInfo truncated = SniffContent(Bytes({0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'}), "t");
  EXPECT_EQ(truncated.content_type, "image/png");
  EXPECT_EQ(truncated.width, -1);
}

class ObjectsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(InitWorkspace(dir_.path() + "/ws", {.project = "t"}).ok());
    auto ws = Workspace::Open(dir_.path() + "/ws", {});
    ASSERT_TRUE(ws.ok()) << ws.status();
    workspace_ = std::make_unique<Workspace>(*std::move(ws));
    auto lake = Lake::Open(*workspace_);
    ASSERT_TRUE(lake.ok()) << lake.status();
    lake_ = *std::move(lake);
    images_ = dir_.path() + "/images";
    Write("cats/1.png", PngHeader() + "pixels-1");
    Write("cats/2.jpg", JpegHeader() + "pixels-2");
    Write("dogs/copy-of-1.png", PngHeader() + "pixels-1");  // same bytes as cats/1.png
    Write("README.txt", "labels come from the folder names\n");
    Write(".DS_Store", "junk");
    Write(".cache/skipped.png", PngHeader());
  }

  void Write(const std::string& relative, const std::string& bytes) {
    const std::string path = images_ + "/" + relative;
    ASSERT_TRUE(MakeDirs(std::filesystem::path(path).parent_path().string()).ok());
    ASSERT_TRUE(WriteFileAtomic(path, bytes).ok());
  }

  testing::TempDir dir_;
  std::string images_;
  std::unique_ptr<Workspace> workspace_;
  std::unique_ptr<Lake> lake_;
};

TEST_F(ObjectsTest, FolderBecomesADatasetOfObjects) {
  StatusOr<IngestResult> r = IngestObjects(*lake_, images_, "pets", {});
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_FALSE(r->unchanged);
  EXPECT_EQ(r->version.format, "objects");
  EXPECT_EQ(r->version.row_count, 4);
  EXPECT_EQ(r->schema.ToString(),
            "path: string, size_bytes: int64, content_type: string, sha256: string, key: string, "
            "width: int64, height: int64");
  // Three distinct contents: the copy is stored once.
  EXPECT_EQ(r->version.raw_keys.size(), 3u);

  StatusOr<Table> table = lake_->ReadTable(r->version);
  ASSERT_TRUE(table.ok()) << table.status();
  const Column path = *table->ColumnByName("path");
  const Column type = *table->ColumnByName("content_type");
  const Column width = *table->ColumnByName("width");
  const Column sha = *table->ColumnByName("sha256");
  ASSERT_EQ(path.length(), 4);
  EXPECT_EQ(path.StringAt(0), "README.txt");
  EXPECT_EQ(type.StringAt(0), "text/plain");
  EXPECT_TRUE(width.IsNull(0));
  EXPECT_EQ(path.StringAt(1), "cats/1.png");
  EXPECT_EQ(type.StringAt(1), "image/png");
  EXPECT_EQ(width.ValueToString(1), "640");
  EXPECT_EQ(path.StringAt(2), "cats/2.jpg");
  EXPECT_EQ(width.ValueToString(2), "1024");
  EXPECT_EQ(path.StringAt(3), "dogs/copy-of-1.png");
  EXPECT_EQ(sha.StringAt(3), sha.StringAt(1));
  EXPECT_EQ(sha.StringAt(1), Sha256Hex(PngHeader() + "pixels-1"));

  StatusOr<std::string> bytes = ReadObject(*lake_, r->version, "cats/2.jpg");
  ASSERT_TRUE(bytes.ok()) << bytes.status();
  EXPECT_EQ(*bytes, JpegHeader() + "pixels-2");
  StatusOr<std::string> missing = ReadObject(*lake_, r->version, "cats/3.jpg");
  EXPECT_EQ(missing.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(std::string(missing.status().message()), HasSubstr("Did you mean 'cats/2.jpg'"));
}

TEST_F(ObjectsTest, SameFilesSameVersionAndAChangeMakesANewOne) {
  StatusOr<IngestResult> first = IngestObjects(*lake_, images_, "pets", {});
  ASSERT_TRUE(first.ok()) << first.status();
  StatusOr<IngestResult> again = IngestObjects(*lake_, images_ + "/", "pets", {});
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_TRUE(again->unchanged);
  EXPECT_EQ(again->version.version, first->version.version);

  Write("cats/2.jpg", JpegHeader() + "retouched");
  StatusOr<IngestResult> changed = IngestObjects(*lake_, images_, "pets", {});
  ASSERT_TRUE(changed.ok()) << changed.status();
  EXPECT_FALSE(changed->unchanged);
  EXPECT_NE(changed->version.version, first->version.version);
  // The first version still reads back as it was.
  StatusOr<std::string> old = ReadObject(*lake_, first->version, "cats/2.jpg");
  ASSERT_TRUE(old.ok());
  EXPECT_EQ(*old, JpegHeader() + "pixels-2");
  EXPECT_EQ(lake_->Versions("pets")->size(), 2u);
}

TEST_F(ObjectsTest, OneFileAndBadSources) {
  StatusOr<IngestResult> one = IngestObjects(*lake_, images_ + "/cats/1.png", "one", {});
  ASSERT_TRUE(one.ok()) << one.status();
  EXPECT_EQ(one->version.row_count, 1);

  ASSERT_TRUE(MakeDirs(dir_.path() + "/empty/.hidden").ok());
  StatusOr<IngestResult> empty = IngestObjects(*lake_, dir_.path() + "/empty", "e", {});
  EXPECT_EQ(empty.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(empty.status().message()), HasSubstr("holds no files"));

  StatusOr<IngestResult> missing = IngestObjects(*lake_, dir_.path() + "/nope", "e", {});
  EXPECT_EQ(missing.status().code(), absl::StatusCode::kNotFound);

  StatusOr<IngestResult> bad_name = IngestObjects(*lake_, images_, "Bad Name", {});
  EXPECT_EQ(bad_name.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(lake_->List()->size() == 1u);  // only "one"
}

}  // namespace
}  // namespace keel
