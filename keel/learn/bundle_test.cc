// Bundles that this keel must refuse with a message a user can act on, and
// training data a stratified split cannot take.
#include "keel/learn/bundle.h"

#include <string>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "keel/learn/bundle_file.h"
#include "keel/learn/train.h"
#include "nlohmann/json.hpp"

namespace keel::learn {
namespace {

using ::testing::HasSubstr;
using json = nlohmann::json;

Table SmallTable(const std::vector<std::string>& labels) {
  ColumnBuilder x(DataType::kFloat64), y(DataType::kString);
  for (size_t i = 0; i < labels.size(); ++i) {
    x.AppendFloat64(static_cast<double>(i % 7));
    y.AppendString(labels[i]);
  }
  return *Table::Make(std::vector<std::string>{"x", "label"}, {x.Finish(), y.Finish()});
}

// A trained bundle's bytes with its manifest changed by `edit`.
std::string EditedBundle(const std::function<void(json&)>& edit) {
  std::vector<std::string> labels;
  for (int i = 0; i < 40; ++i) labels.push_back(i % 2 == 0 ? "a" : "b");
  TrainSpec spec{.learner = "logistic", .target = "label", .keel_version = "keel 0.1.0 (git x)"};
  StatusOr<TrainOutcome> outcome = Train(SmallTable(labels), spec);
  EXPECT_TRUE(outcome.ok()) << outcome.status();
  StatusOr<std::string> bytes = outcome->bundle.Save();
  EXPECT_TRUE(bytes.ok());
  StatusOr<std::vector<BundleSection>> sections = ReadBundleFile(*bytes);
  EXPECT_TRUE(sections.ok());
  for (BundleSection& s : *sections) {
    if (s.name != "manifest.json") continue;
    json manifest = json::parse(s.bytes);
    edit(manifest);
    s.bytes = manifest.dump();
  }
  return *WriteBundleFile(*sections);
}

TEST(BundleTest, SemanticVersions) {
  EXPECT_EQ(ParseSemanticVersion("keel 0.1.0 (git 1c737b8)")->ToString(), "0.1.0");
  EXPECT_EQ(ParseSemanticVersion("12.3.45-rc1")->ToString(), "12.3.45");
  EXPECT_FALSE(ParseSemanticVersion("test").has_value());
  EXPECT_FALSE(ParseSemanticVersion("1.2").has_value());
  EXPECT_LT(*ParseSemanticVersion("0.9.9"), *ParseSemanticVersion("0.10.0"));
  EXPECT_TRUE(ParseSemanticVersion(KeelLibraryVersion()).has_value());
}

TEST(BundleTest, SameVersionLoads) {
  StatusOr<Bundle> b = Bundle::Load(EditedBundle([](json&) {}));
  ASSERT_TRUE(b.ok()) << b.status();
}

TEST(BundleTest, BundleFromNewerKeelNamesBothVersions) {
  StatusOr<Bundle> b =
      Bundle::Load(EditedBundle([](json& m) { m["keel_version"] = "keel 99.2.0 (git abc)"; }));
  ASSERT_EQ(b.status().code(), absl::StatusCode::kFailedPrecondition) << b.status();
  EXPECT_THAT(b.status().message(), HasSubstr("written by keel 99.2.0 (git abc)"));
  EXPECT_THAT(b.status().message(),
              HasSubstr(absl::StrCat("newer than this keel (", KeelLibraryVersion(), ")")));
  EXPECT_THAT(b.status().message(), HasSubstr("upgrade keel to 99.2.0 or later"));
}

TEST(BundleTest, BundleOfNewerFormatNamesBothFormats) {
  StatusOr<Bundle> b = Bundle::Load(EditedBundle([](json& m) { m["format_version"] = 2; }));
  ASSERT_EQ(b.status().code(), absl::StatusCode::kFailedPrecondition) << b.status();
  EXPECT_THAT(b.status().message(), HasSubstr("format version 2, written by keel 0.1.0"));
  EXPECT_THAT(b.status().message(), HasSubstr("reads format version 1: upgrade keel"));

  b = Bundle::Load(EditedBundle([](json& m) { m.erase("format_version"); }));
  EXPECT_EQ(b.status().code(), absl::StatusCode::kDataLoss);
}

TEST(TrainTest, ClassTooSmallForStratifiedSplitIsNamed) {
  std::vector<std::string> labels;
  for (int i = 0; i < 30; ++i) labels.push_back(i % 2 == 0 ? "a" : "b");
  labels.push_back("rare");
  TrainSpec spec{.learner = "logistic", .target = "label"};
  StatusOr<TrainOutcome> outcome = Train(SmallTable(labels), spec);
  ASSERT_EQ(outcome.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(outcome.status().message(),
              HasSubstr("class 'rare' of target column 'label' has only 1 row; a stratified split "
                        "needs at least 2 rows of every class"));
  EXPECT_THAT(outcome.status().message(), HasSubstr("--split random"));
  // A random split, or no split, takes it.
  spec.split = "random";
  EXPECT_TRUE(Train(SmallTable(labels), spec).ok());
}

}  // namespace
}  // namespace keel::learn
