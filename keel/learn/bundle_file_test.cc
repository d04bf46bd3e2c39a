#include "keel/learn/bundle_file.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace keel::learn {
namespace {

using ::testing::HasSubstr;

std::vector<BundleSection> Sample() {
  return {{"manifest.json", "{\"task\":\"binary\"}"},
          {"model.json", std::string("binary\0bytes\n\n", 14)},
          {"empty", ""}};
}

TEST(BundleFileTest, RoundTrip) {
  StatusOr<std::string> bytes = WriteBundleFile(Sample());
  ASSERT_TRUE(bytes.ok()) << bytes.status();
  EXPECT_THAT(*bytes, ::testing::StartsWith("keel-bundle 1\nmanifest.json 17 "));
  StatusOr<std::vector<BundleSection>> back = ReadBundleFile(*bytes);
  ASSERT_TRUE(back.ok()) << back.status();
  ASSERT_EQ(back->size(), 3u);
  for (size_t i = 0; i < 3; ++i) {
    EXPECT_EQ((*back)[i].name, Sample()[i].name);
    EXPECT_EQ((*back)[i].bytes, Sample()[i].bytes);
  }
  EXPECT_EQ((*FindSection(*back, "model.json"))->bytes.size(), 14u);
  EXPECT_EQ(std::string(FindSection(*back, "pipeline.json").status().message()),
            "the bundle has no section 'pipeline.json'; it has: manifest.json, model.json, empty");
}

TEST(BundleFileTest, DamageIsDetected) {
  const std::string good = *WriteBundleFile(Sample());
  std::string flipped = good;
  flipped[flipped.size() - 3] ^= 1;
  EXPECT_THAT(std::string(ReadBundleFile(flipped).status().message()),
              HasSubstr("section model.json does not match its checksum"));
  EXPECT_THAT(std::string(ReadBundleFile(good.substr(0, good.size() - 5)).status().message()),
              HasSubstr("section model.json is cut short"));
  EXPECT_THAT(std::string(ReadBundleFile(good + "x").status().message()),
              HasSubstr("1 bytes follow the last section"));
  EXPECT_EQ(ReadBundleFile("{\"learner\": {}}").status().code(), absl::StatusCode::kDataLoss);
  EXPECT_THAT(std::string(ReadBundleFile("keel-bundle 2\n\n").status().message()),
              HasSubstr("newer keel"));
}

TEST(BundleFileTest, BadSectionNames) {
  EXPECT_FALSE(WriteBundleFile({{"a/b", "x"}}).ok());
  EXPECT_FALSE(WriteBundleFile({{"a", "x"}, {"a", "y"}}).ok());
  EXPECT_FALSE(WriteBundleFile({{"..", "x"}}).ok());
}

}  // namespace
}  // namespace keel::learn
