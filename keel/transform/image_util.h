// Internal: images for the `image` step. PNG and JPEG bytes decoded to 8-bit
// grey exactly as Pillow 9's Image.open(...).convert("L") gives them, and
// resized exactly as Pillow's Image.resize(size, Image.BILINEAR). libpng and
// libjpeg stay inside image_util.cc.
#ifndef KEEL_TRANSFORM_IMAGE_UTIL_H_
#define KEEL_TRANSFORM_IMAGE_UTIL_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "keel/base/status.h"

namespace keel::transform {

// Row-major 8-bit grey pixels, width * height of them.
struct GreyImage {
  int width = 0;
  int height = 0;
  std::vector<uint8_t> pixels;
};

// Images larger than this many pixels are refused (a decompression bomb).
inline constexpr int64_t kMaxImagePixels = int64_t{1} << 28;

// Decodes a PNG or JPEG (told apart by their first bytes) into `out`
// (reusing its buffer). Grey is ITU-R BT.601 luma in Pillow's fixed point,
// L = (19595 R + 38470 G + 7471 B + 2^15) >> 16; grey images keep their
// values; alpha is ignored (as convert("L")); palettes are expanded; 16-bit
// samples keep their high byte. JPEGs are decoded by libjpeg-turbo to RGB
// (or grey for grey JPEGs) with its defaults, as Pillow does. Errors:
// InvalidArgument for other formats, CMYK JPEGs, images over
// kMaxImagePixels, and corrupt or truncated data (with the library's
// message).
Status DecodeGrey(std::string_view bytes, GreyImage* out);

// Pillow's ImagingResample with the bilinear (triangle) filter: the filter
// support grows with the reduction factor (so downscaling averages every
// source pixel, as an antialiased area filter), two passes (horizontal,
// then vertical) with coefficients in 22-bit fixed point and the
// intermediate rounded to 8 bits. The same size is a copy. width, height
// >= 1.
void ResizeBilinear(const GreyImage& in, int width, int height, GreyImage* out);

// "PNG", "JPEG" or "" from the first bytes.
std::string_view ImageFormat(std::string_view bytes);

}  // namespace keel::transform

#endif  // KEEL_TRANSFORM_IMAGE_UTIL_H_
