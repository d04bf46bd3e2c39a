// The `image` step: a string column naming or holding PNG/JPEG images
// becomes width x height grey pixels scaled to [0, 1] (then (p - mean) /
// std), one float64 column per pixel. Decoding and resizing match Pillow
// (image_util.h).
#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "keel/base/files.h"
#include "keel/transform/column_util.h"
#include "keel/transform/image_util.h"
#include "keel/transform/steps.h"

namespace keel::transform {
namespace {

constexpr TypeMask kStringOnly = TypeBit(DataType::kString);
constexpr int64_t kMaxPixels = 65536;  // outputs per column (256 x 256)

// How a value reaches the image's bytes.
enum class Source {
  kPath,    // a file path, relative to `root` unless absolute
  kBase64,  // the file's bytes in base64 (standard alphabet, padding optional)
  kBytes,   // the file's bytes themselves
};
const std::vector<std::string>& SourceNames() {
  static const auto* const kNames = new std::vector<std::string>{"path", "base64", "bytes"};
  return *kNames;
}

struct ImageOptions {
  Source source = Source::kPath;
  std::string root;  // for kPath: prefix of relative paths ("" = the working folder)
  int width = 32;
  int height = 32;
  double mean = 0;
  double std = 1;
};

// Per-thread working memory of the kernel: reused across values, so a
// steady stream of same-sized images allocates nothing after the first.
struct Scratch {
  std::string bytes;
  std::string path;
  GreyImage decoded;
  GreyImage resized;
};

// The kernel both paths share: the pixels of one image into out[0..w*h).
// Errors: the bytes cannot be read or decoded (message without the step).
Status ImagePixels(const ImageOptions& o, std::string_view value, Scratch* s, double* out) {
  std::string_view bytes = value;
  if (o.source == Source::kPath) {
    s->path.assign(o.root);
    if (!o.root.empty() && !value.empty() && value[0] != '/') {
      if (s->path.back() != '/') s->path.push_back('/');
      s->path.append(value);
    } else {
      s->path.assign(value);
    }
    KEEL_ASSIGN_OR_RETURN(s->bytes, ReadFile(s->path));
    bytes = s->bytes;
  } else if (o.source == Source::kBase64) {
    if (!absl::Base64Unescape(absl::string_view(value.data(), value.size()), &s->bytes)) {
      return absl::InvalidArgumentError("the value is not valid base64");
    }
    bytes = s->bytes;
  }
  KEEL_RETURN_IF_ERROR(DecodeGrey(bytes, &s->decoded));
  ResizeBilinear(s->decoded, o.width, o.height, &s->resized);
  const size_t n = s->resized.pixels.size();
  for (size_t i = 0; i < n; ++i) {
    out[i] = (s->resized.pixels[i] / 255.0 - o.mean) / o.std;
  }
  return absl::OkStatus();
}

class ImageStep : public FittedStep {
 public:
  ImageStep(std::string name, std::vector<std::string> inputs, ImageOptions options)
      : FittedStep("image", std::move(name), kStringOnly, std::move(inputs)),
        options_(std::move(options)) {}

  std::vector<Field> OutputFields(int k) const override {
    std::vector<Field> out;
    const int n = options_.width * options_.height;
    out.reserve(n);
    for (int i = 0; i < n; ++i) {
      out.push_back(Field{absl::StrCat(inputs()[k], "__pixel_", i), DataType::kFloat64, true});
    }
    return out;
  }

  // Decoding allocates inside libpng/libjpeg; the step's own buffers are
  // per-thread and reused.
  Status TransformValue(int k, const Value& in, Value* out) const override {
    const int n = options_.width * options_.height;
    if (!in.valid) {
      for (int i = 0; i < n; ++i) out[i] = Value::Null(DataType::kFloat64);
      return absl::OkStatus();
    }
    thread_local Scratch scratch;
    thread_local std::vector<double> pixels;
    pixels.resize(n);
    KEEL_RETURN_IF_ERROR(
        Annotate(k, in.str, ImagePixels(options_, in.str, &scratch, pixels.data())));
    for (int i = 0; i < n; ++i) out[i] = Value::Float64(pixels[i]);
    return absl::OkStatus();
  }

  static StatusOr<std::unique_ptr<FittedStep>> Load(const std::string& name,
                                                    std::vector<std::string> inputs,
                                                    const nlohmann::json& state) {
    ImageOptions o;
    const std::string source = state.at("source").get<std::string>();
    const auto& names = SourceNames();
    auto it = std::find(names.begin(), names.end(), source);
    if (it == names.end()) return absl::InvalidArgumentError("unknown image source");
    o.source = static_cast<Source>(it - names.begin());
    o.root = state.at("root").get<std::string>();
    o.width = state.at("width").get<int>();
    o.height = state.at("height").get<int>();
    KEEL_ASSIGN_OR_RETURN(o.mean, DoubleFromJson(state.at("mean")));
    KEEL_ASSIGN_OR_RETURN(o.std, DoubleFromJson(state.at("std")));
    if (o.width < 1 || o.height < 1 || int64_t{o.width} * o.height > kMaxPixels || !(o.std > 0)) {
      return absl::InvalidArgumentError("bad image size or std");
    }
    return std::make_unique<ImageStep>(name, std::move(inputs), std::move(o));
  }

 protected:
  StatusOr<std::vector<Column>> TransformColumn(int k, const Column& column) const override {
    const int64_t rows = column.length();
    const int n = options_.width * options_.height;
    std::vector<Float64Writer> w;
    w.reserve(n);
    for (int i = 0; i < n; ++i) w.emplace_back(rows);
    Scratch scratch;
    std::vector<double> pixels(n);
    for (int64_t r = 0; r < rows; ++r) {
      if (column.IsNull(r)) {
        for (Float64Writer& x : w) x.SetNull(r);
        continue;
      }
      const std::string_view value = column.StringAt(r);
      KEEL_RETURN_IF_ERROR(
          Annotate(k, value, ImagePixels(options_, value, &scratch, pixels.data())));
      for (int i = 0; i < n; ++i) w[i].Set(r, pixels[i]);
    }
    std::vector<Column> out;
    out.reserve(n);
    for (Float64Writer& x : w) out.push_back(x.Finish());
    return out;
  }

  nlohmann::json StateToJson() const override {
    return {{"source", SourceNames()[static_cast<int>(options_.source)]},
            {"root", options_.root},
            {"width", options_.width},
            {"height", options_.height},
            {"mean", DoubleToJson(options_.mean)},
            {"std", DoubleToJson(options_.std)}};
  }

 private:
  // "<step>: column 'x': image 'path': <error>" (a path is shown, bytes not).
  Status Annotate(int k, std::string_view value, Status status) const {
    if (status.ok()) return status;
    const std::string what = options_.source == Source::kPath
                                 ? absl::StrCat("image ", QuoteValue(value))
                                 : absl::StrCat("an image of ", value.size(), " characters");
    return Status(status.code(),
                  absl::StrCat(ColumnLabel(k), ": ", what, ": ", std::string(status.message())));
  }

  ImageOptions options_;
};

class ImageTransform : public Transform {
 public:
  using Transform::Transform;

 protected:
  StatusOr<std::unique_ptr<FittedStep>> FitImpl(const Table&,
                                                const std::vector<std::string>& columns,
                                                FitNotes*) const override {
    const Params& params = spec().params;
    ImageOptions o;
    KEEL_ASSIGN_OR_RETURN(std::string source, params.GetChoice("source", "path", SourceNames()));
    o.source = static_cast<Source>(std::find(SourceNames().begin(), SourceNames().end(), source) -
                                   SourceNames().begin());
    KEEL_ASSIGN_OR_RETURN(o.root, params.GetString("root", ""));
    if (!o.root.empty() && o.source != Source::kPath) {
      return params.Error("root", "only applies to source: path");
    }
    KEEL_ASSIGN_OR_RETURN(int64_t width, params.GetInt("width", 32, 1, 4096));
    KEEL_ASSIGN_OR_RETURN(int64_t height, params.GetInt("height", 32, 1, 4096));
    if (width * height > kMaxPixels) {
      return params.Error("width", absl::StrCat("width x height is ", width * height,
                                                " outputs per column; at most ", kMaxPixels));
    }
    o.width = static_cast<int>(width);
    o.height = static_cast<int>(height);
    KEEL_ASSIGN_OR_RETURN(o.mean, params.GetDouble("mean", 0));
    KEEL_ASSIGN_OR_RETURN(o.std, params.GetDouble("std", 1));
    if (!std::isfinite(o.mean)) return params.Error("mean", "expected a finite number");
    if (!(o.std > 0) || !std::isfinite(o.std)) {
      return params.Error("std", "expected a positive number");
    }
    return std::make_unique<ImageStep>(spec().name, columns, std::move(o));
  }
};

}  // namespace

void RegisterImageSteps(TransformRegistry* registry) {
  (void)registry->Register(
      {.kind = "image",
       .help = "PNG/JPEG images (paths, base64 or bytes) to width x height grey pixels in [0, 1]",
       .accepts = kStringOnly,
       .params = {"source", "root", "width", "height", "mean", "std"},
       .make = MakeFactory<ImageTransform>(kStringOnly),
       .load = ImageStep::Load});
}

}  // namespace keel::transform
