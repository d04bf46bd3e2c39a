// The image step and its decoding and resizing against Pillow 9 (Debian's
// python3-pil), which writes the test images (grey, RGB, RGBA, palette and
// 1-bit PNGs; RGB and grey JPEGs): DecodeGrey equals
// Image.open(f).convert("L") exactly, ResizeBilinear equals
// .resize((w, h), Image.BILINEAR) exactly (down, up and mixed), and the
// step's outputs are those bytes / 255 exactly. Skipped without python3-pil.
#include <cmath>
#include <string>
#include <vector>

#include "absl/strings/escaping.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "keel/base/files.h"
#include "keel/base/testing/python.h"
#include "keel/base/testing/temp_dir.h"
#include "keel/transform/image_util.h"
#include "keel/transform/pipeline.h"
#include "keel/transform/test_util.h"
#include "nlohmann/json.hpp"

namespace keel::transform {
namespace {

using nlohmann::json;
using ::testing::HasSubstr;
using testutil::Strings;

// Writes the images into d["dir"] and answers, per file, Pillow's grey
// pixels and its bilinear resizes to each of d["sizes"].
constexpr char kScript[] = R"PY(
import json, sys
import numpy as np
from PIL import Image
d = json.load(sys.stdin)
rng = np.random.default_rng(5)
def pattern(w, h, channels):
    y, x = np.mgrid[0:h, 0:w]
    base = (x * 255.0 / max(w - 1, 1) * 0.6 + y * 255.0 / max(h - 1, 1) * 0.4)
    planes = [np.clip(base * (0.5 + 0.25 * c) + rng.normal(0, 40, (h, w)), 0, 255)
              for c in range(channels)]
    return np.stack(planes, axis=-1).astype(np.uint8)
files = {}
def save(name, image, **kw):
    image.save(d["dir"] + "/" + name, **kw)
    files[name] = None
save("grey.png", Image.fromarray(pattern(37, 23, 1)[:, :, 0], "L"))
save("rgb.png", Image.fromarray(pattern(40, 30, 3), "RGB"))
save("rgba.png", Image.fromarray(pattern(20, 25, 4), "RGBA"))
save("palette.png", Image.fromarray(pattern(33, 17, 3), "RGB").convert("P", palette=Image.ADAPTIVE, colors=50))
save("bits.png", Image.fromarray(pattern(19, 21, 1)[:, :, 0], "L").convert("1"))
save("rgb.jpg", Image.fromarray(pattern(48, 36, 3), "RGB"), quality=90)
save("grey.jpg", Image.fromarray(pattern(30, 30, 1)[:, :, 0], "L"), quality=85)
out = {}
for name in files:
    im = Image.open(d["dir"] + "/" + name)
    mode = im.mode
    grey = im.convert("L")
    entry = {"mode": mode, "width": grey.width, "height": grey.height,
             "grey": list(grey.getdata()), "resized": {}}
    for w, h in d["sizes"]:
        entry["resized"]["%dx%d" % (w, h)] = list(grey.resize((w, h), Image.BILINEAR).getdata())
    out[name] = entry
print(json.dumps(out))
)PY";

const std::vector<std::pair<int, int>>& Sizes() {
  static const auto* const kSizes = new std::vector<std::pair<int, int>>{
      {16, 12}, {8, 8}, {5, 3}, {50, 40}, {20, 40}, {1, 1}, {64, 7}};
  return *kSizes;
}

class ImageTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    if (!testing::HavePythonModule("PIL")) return;
    dir_ = new testing::TempDir;
    json sizes = json::array();
    for (auto [w, h] : Sizes()) sizes.push_back({w, h});
    auto ref = testing::RunPythonJson(kScript, {{"dir", dir_->path()}, {"sizes", sizes}});
    ASSERT_TRUE(ref.ok()) << ref.status();
    ASSERT_EQ(ref->size(), 7u) << ref->dump();
    reference_ = new json(*std::move(ref));
  }
  static void TearDownTestSuite() {
    delete dir_;
    dir_ = nullptr;
  }

  void SetUp() override {
    if (reference_ == nullptr) GTEST_SKIP() << "python3-pil is not installed";
  }

  static std::string Bytes(const std::string& name) { return *ReadFile(dir_->path() + "/" + name); }

  static StatusOr<FittedPipeline> FitYaml(const std::string& yaml, const Table& table) {
    KEEL_ASSIGN_OR_RETURN(PipelineSpec spec, PipelineSpec::Parse(yaml, "prep.yaml"));
    KEEL_ASSIGN_OR_RETURN(Pipeline pipeline, Pipeline::Make(std::move(spec)));
    return pipeline.Fit(table);
  }

  static testing::TempDir* dir_;
  static json* reference_;
};

testing::TempDir* ImageTest::dir_ = nullptr;
json* ImageTest::reference_ = nullptr;

std::vector<int> AsInts(const std::vector<uint8_t>& v) { return {v.begin(), v.end()}; }

TEST_F(ImageTest, DecodeGreyEqualsPillowConvertL) {
  for (const auto& [name, want] : reference_->items()) {
    SCOPED_TRACE(name + " (" + want["mode"].get<std::string>() + ")");
    GreyImage image;
    ASSERT_TRUE(DecodeGrey(Bytes(name), &image).ok());
    EXPECT_EQ(image.width, want["width"].get<int>());
    EXPECT_EQ(image.height, want["height"].get<int>());
    EXPECT_EQ(AsInts(image.pixels), want["grey"].get<std::vector<int>>());
  }
}

TEST_F(ImageTest, ResizeEqualsPillowBilinear) {
  for (const auto& [name, want] : reference_->items()) {
    GreyImage image;
    ASSERT_TRUE(DecodeGrey(Bytes(name), &image).ok());
    for (auto [w, h] : Sizes()) {
      const std::string size = std::to_string(w) + "x" + std::to_string(h);
      SCOPED_TRACE(name + " to " + size);
      GreyImage resized;
      ResizeBilinear(image, w, h, &resized);
      EXPECT_EQ(AsInts(resized.pixels), want["resized"][size].get<std::vector<int>>());
    }
  }
}

TEST_F(ImageTest, StepGivesPillowPixelsOverBothPaths) {
  std::vector<std::optional<std::string>> paths;
  for (const auto& [name, want] : reference_->items()) paths.push_back(name);
  paths.push_back(std::nullopt);
  paths.push_back(dir_->path() + "/rgb.png");  // absolute: root is not prefixed
  const Table table = *Table::Make({"photo"}, {Strings(paths)});
  auto fitted = FitYaml(
      "steps:\n  - {step: image, columns: [photo], width: 16, height: 12, "
      "root: '" +
          dir_->path() + "'}\n",
      table);
  ASSERT_TRUE(fitted.ok()) << fitted.status();
  ASSERT_EQ(fitted->output_schema().num_fields(), 16 * 12);
  EXPECT_EQ(fitted->output_schema().field(0).name, "photo__pixel_0");
  EXPECT_EQ(fitted->output_schema().field(191).name, "photo__pixel_191");
  auto out = fitted->Transform(table);
  ASSERT_TRUE(out.ok()) << out.status();
  for (int64_t r = 0; r < table.num_rows(); ++r) {
    if (!paths[r].has_value()) {
      for (int j = 0; j < out->num_columns(); ++j) EXPECT_TRUE(out->column(j).IsNull(r));
      continue;
    }
    const std::string name = r + 1 == table.num_rows() ? "rgb.png" : *paths[r];
    const std::vector<int> want = (*reference_)[name]["resized"]["16x12"];
    for (int j = 0; j < out->num_columns(); ++j) {
      ASSERT_EQ(out->column(j).Float64Values()[r], want[j] / 255.0) << name << " pixel " << j;
    }
  }
  testutil::ExpectRowPathMatchesTable(*fitted, table);
  testutil::ExpectJsonRoundTrip(*fitted, table);
}

TEST_F(ImageTest, Base64AndBytesSourcesAndNormalisation) {
  const std::string png = Bytes("rgb.png"), jpg = Bytes("rgb.jpg");
  const Table encoded =
      *Table::Make({"img"}, {Strings({absl::Base64Escape(png), absl::Base64Escape(jpg)})});
  const Table raw = *Table::Make({"img"}, {Strings({png, jpg})});
  auto b64 = FitYaml(
      "steps:\n  - {step: image, columns: img, source: base64, width: 8, height: 8, "
      "mean: 0.5, std: 0.25}\n",
      encoded);
  auto bytes = FitYaml(
      "steps:\n  - {step: image, columns: img, source: bytes, width: 8, height: 8, "
      "mean: 0.5, std: 0.25}\n",
      raw);
  ASSERT_TRUE(b64.ok()) << b64.status();
  ASSERT_TRUE(bytes.ok()) << bytes.status();
  auto a = b64->Transform(encoded);
  auto b = bytes->Transform(raw);
  ASSERT_TRUE(a.ok()) << a.status();
  ASSERT_TRUE(b.ok()) << b.status();
  const char* names[] = {"rgb.png", "rgb.jpg"};
  for (int r = 0; r < 2; ++r) {
    const std::vector<int> want = (*reference_)[names[r]]["resized"]["8x8"];
    for (int j = 0; j < 64; ++j) {
      const double expected = (want[j] / 255.0 - 0.5) / 0.25;
      ASSERT_EQ(a->column(j).Float64Values()[r], expected) << names[r] << " pixel " << j;
      ASSERT_EQ(b->column(j).Float64Values()[r], expected) << names[r] << " pixel " << j;
    }
  }
  testutil::ExpectRowPathMatchesTable(*b64, encoded);
  testutil::ExpectJsonRoundTrip(*b64, encoded);
  testutil::ExpectRowPathMatchesTable(*bytes, raw);
}

TEST_F(ImageTest, BadImagesAndParametersAreErrors) {
  const std::string png = Bytes("rgb.png"), jpg = Bytes("rgb.jpg");
  const std::string spec = "steps:\n  - {step: image, columns: img, source: bytes}\n";
  auto error = [&](const std::string& yaml, const std::string& value) {
    auto fitted = FitYaml(yaml, *Table::Make({"img"}, {Strings({value})}));
    return fitted.ok() ? "OK" : std::string(fitted.status().message());
  };
  EXPECT_EQ(error(spec, "hello"),
            "step 'image': column 'img': an image of 5 characters: not a PNG or JPEG image (5 "
            "bytes); convert it first");
  EXPECT_THAT(error(spec, png.substr(0, png.size() / 2)), HasSubstr("cannot decode the PNG: "));
  EXPECT_THAT(error(spec, jpg.substr(0, jpg.size() / 2)), HasSubstr("cannot decode the JPEG: "));
  std::string corrupt = png;
  corrupt[60] ^= 0x55;  // inside the image data: the CRC check fails
  EXPECT_THAT(error(spec, corrupt), HasSubstr("cannot decode the PNG: "));
  EXPECT_THAT(error("steps:\n  - {step: image, columns: img, root: /nowhere}\n", "a.png"),
              HasSubstr("step 'image': column 'img': image 'a.png': "));
  EXPECT_THAT(error("steps:\n  - {step: image, columns: img, root: /nowhere}\n", "a.png"),
              HasSubstr("/nowhere/a.png"));
  EXPECT_EQ(error("steps:\n  - {step: image, columns: img, source: base64}\n", "*"),
            "step 'image': column 'img': an image of 1 characters: the value is not valid base64");
  EXPECT_EQ(error("steps:\n  - step: image\n    columns: img\n    source: bas64\n", ""),
            "prep.yaml:4:5: step 'image': source: expected one of path, base64, bytes; got "
            "'bas64'. Did you mean 'base64'?");
  EXPECT_EQ(
      error("steps:\n  - step: image\n    columns: img\n    source: bytes\n    root: /x\n", ""),
      "prep.yaml:5:5: step 'image': root: only applies to source: path");
  EXPECT_EQ(error("steps:\n  - step: image\n    columns: img\n    widht: 8\n", ""),
            "prep.yaml:4:5: step 'image': unknown parameter 'widht'. Did you mean 'width'? "
            "Parameters: source, root, width, height, mean, std");
  EXPECT_EQ(error("steps:\n  - step: image\n    columns: img\n    std: 0\n", ""),
            "prep.yaml:4:5: step 'image': std: expected a positive number");
}

}  // namespace
}  // namespace keel::transform
