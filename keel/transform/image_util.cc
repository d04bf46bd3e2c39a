#include "keel/transform/image_util.h"

// clang-format off: jpeglib.h needs <cstdio> (FILE) first.
#include <jpeglib.h>
#include <png.h>

#include <cmath>
#include <csetjmp>
#include <cstdio>
#include <cstring>
// clang-format on

#include "absl/strings/str_cat.h"

namespace keel::transform {
namespace {

// Pillow's rgb2l: ITU-R 601-2 luma in 16-bit fixed point, rounded.
inline uint8_t Luma(const uint8_t* rgb) {
  return static_cast<uint8_t>((rgb[0] * 19595 + rgb[1] * 38470 + rgb[2] * 7471 + 0x8000) >> 16);
}

// Decoded rows: 1 (grey) or 3 (RGB) bytes per pixel, turned into grey.
void ToGrey(const std::vector<uint8_t>& rows, int channels, GreyImage* out) {
  const size_t n = static_cast<size_t>(out->width) * out->height;
  out->pixels.resize(n);
  if (channels == 1) {
    std::memcpy(out->pixels.data(), rows.data(), n);
    return;
  }
  for (size_t i = 0; i < n; ++i) out->pixels[i] = Luma(rows.data() + 3 * i);
}

// ---------------------------------------------------------------- PNG

// Everything the libpng callbacks and the setjmp frame share lives here, in
// the caller's frame, so that no automatic variable of the frame that calls
// setjmp changes between setjmp and longjmp.
struct PngJob {
  const uint8_t* data;
  size_t size;
  size_t pos = 0;
  char error[200] = {0};
  int width = 0;
  int height = 0;
  int channels = 0;
  std::vector<uint8_t>* rows;  // out: decoded rows
  std::vector<png_bytep> row_pointers;
};

void PngRead(png_structp png, png_bytep out, png_size_t length) {
  auto* job = static_cast<PngJob*>(png_get_io_ptr(png));
  if (job->size - job->pos < length) png_error(png, "the data ends early (truncated file)");
  std::memcpy(out, job->data + job->pos, length);
  job->pos += length;
}

void PngError(png_structp png, png_const_charp message) {
  auto* job = static_cast<PngJob*>(png_get_error_ptr(png));
  std::snprintf(job->error, sizeof(job->error), "%s", message);
  png_longjmp(png, 1);
}

void PngWarning(png_structp, png_const_charp) {}

// Returns false with job->error set on failure.
bool DecodePngRows(PngJob* job) {
  png_structp png = png_create_read_struct(PNG_LIBPNG_VER_STRING, job, PngError, PngWarning);
  if (png == nullptr) {
    std::snprintf(job->error, sizeof(job->error), "out of memory");
    return false;
  }
  png_infop info = png_create_info_struct(png);
  if (info == nullptr || setjmp(png_jmpbuf(png))) {
    png_destroy_read_struct(&png, info == nullptr ? nullptr : &info, nullptr);
    if (job->error[0] == 0) std::snprintf(job->error, sizeof(job->error), "out of memory");
    return false;
  }
  png_set_read_fn(png, job, PngRead);
  png_read_info(png, info);
  const png_uint_32 width = png_get_image_width(png, info);
  const png_uint_32 height = png_get_image_height(png, info);
  if (static_cast<int64_t>(width) * height > kMaxImagePixels) {
    png_error(png, "the image has too many pixels");
  }
  const int color_type = png_get_color_type(png, info);
  const int bit_depth = png_get_bit_depth(png, info);
  if (bit_depth == 16) png_set_strip_16(png);  // the high byte, as Pillow's "RGB;16B"
  if (color_type == PNG_COLOR_TYPE_PALETTE) png_set_palette_to_rgb(png);
  if ((color_type & PNG_COLOR_MASK_COLOR) == 0 && bit_depth < 8) {
    png_set_expand_gray_1_2_4_to_8(png);
  }
  png_set_strip_alpha(png);  // convert("L") ignores alpha (and tRNS)
  png_set_interlace_handling(png);
  png_read_update_info(png, info);
  job->width = static_cast<int>(width);
  job->height = static_cast<int>(height);
  job->channels = png_get_channels(png, info);
  if (job->channels != 1 && job->channels != 3) png_error(png, "unexpected channel count");
  const size_t stride = png_get_rowbytes(png, info);
  job->rows->resize(stride * height);
  job->row_pointers.resize(height);
  for (png_uint_32 y = 0; y < height; ++y) job->row_pointers[y] = job->rows->data() + y * stride;
  png_read_image(png, job->row_pointers.data());
  png_read_end(png, nullptr);
  png_destroy_read_struct(&png, &info, nullptr);
  return true;
}

Status DecodePng(std::string_view bytes, GreyImage* out) {
  thread_local std::vector<uint8_t> rows;
  PngJob job{.data = reinterpret_cast<const uint8_t*>(bytes.data()), .size = bytes.size()};
  job.rows = &rows;
  if (!DecodePngRows(&job)) {
    return absl::InvalidArgumentError(absl::StrCat("cannot decode the PNG: ", job.error));
  }
  out->width = job.width;
  out->height = job.height;
  ToGrey(rows, job.channels, out);
  return absl::OkStatus();
}

// ---------------------------------------------------------------- JPEG

struct JpegJob {
  jpeg_error_mgr manager;  // first: libjpeg hands back a pointer to it
  std::jmp_buf jump;
  char error[JMSG_LENGTH_MAX + 64] = {0};
  const uint8_t* data;
  size_t size;
  int width = 0;
  int height = 0;
  int channels = 0;
  std::vector<uint8_t>* rows;
};

void JpegErrorExit(j_common_ptr cinfo) {
  auto* job = reinterpret_cast<JpegJob*>(cinfo->err);
  (*cinfo->err->format_message)(cinfo, job->error);
  std::longjmp(job->jump, 1);
}

void JpegOutputMessage(j_common_ptr) {}

bool DecodeJpegRows(JpegJob* job) {
  jpeg_decompress_struct cinfo;
  cinfo.err = jpeg_std_error(&job->manager);
  job->manager.error_exit = JpegErrorExit;
  job->manager.output_message = JpegOutputMessage;
  if (setjmp(job->jump)) {
    jpeg_destroy_decompress(&cinfo);
    return false;
  }
  jpeg_create_decompress(&cinfo);
  jpeg_mem_src(&cinfo, job->data, static_cast<unsigned long>(job->size));
  jpeg_read_header(&cinfo, TRUE);
  if (cinfo.jpeg_color_space == JCS_CMYK || cinfo.jpeg_color_space == JCS_YCCK) {
    std::snprintf(job->error, sizeof(job->error),
                  "CMYK JPEGs are not supported; convert the image to RGB");
    jpeg_destroy_decompress(&cinfo);
    return false;
  }
  cinfo.out_color_space = cinfo.jpeg_color_space == JCS_GRAYSCALE ? JCS_GRAYSCALE : JCS_RGB;
  if (static_cast<int64_t>(cinfo.image_width) * cinfo.image_height > kMaxImagePixels) {
    std::snprintf(job->error, sizeof(job->error), "the image has too many pixels");
    jpeg_destroy_decompress(&cinfo);
    return false;
  }
  jpeg_start_decompress(&cinfo);
  job->width = static_cast<int>(cinfo.output_width);
  job->height = static_cast<int>(cinfo.output_height);
  job->channels = cinfo.output_components;
  const size_t stride = static_cast<size_t>(job->width) * job->channels;
  job->rows->resize(stride * job->height);
  while (cinfo.output_scanline < cinfo.output_height) {
    JSAMPROW row = job->rows->data() + cinfo.output_scanline * stride;
    jpeg_read_scanlines(&cinfo, &row, 1);
  }
  jpeg_finish_decompress(&cinfo);
  // A corrupt or truncated file is a warning to libjpeg (it fills in grey);
  // here it is an error, as it is to Pillow.
  const bool warned = job->manager.num_warnings > 0;
  if (warned) {
    (*job->manager.format_message)(reinterpret_cast<j_common_ptr>(&cinfo), job->error);
  }
  jpeg_destroy_decompress(&cinfo);
  return !warned;
}

Status DecodeJpeg(std::string_view bytes, GreyImage* out) {
  thread_local std::vector<uint8_t> rows;
  JpegJob job;
  job.data = reinterpret_cast<const uint8_t*>(bytes.data());
  job.size = bytes.size();
  job.rows = &rows;
  if (!DecodeJpegRows(&job)) {
    return absl::InvalidArgumentError(absl::StrCat("cannot decode the JPEG: ", job.error));
  }
  if (job.channels != 1 && job.channels != 3) {
    return absl::InvalidArgumentError("cannot decode the JPEG: unexpected channel count");
  }
  out->width = job.width;
  out->height = job.height;
  ToGrey(rows, job.channels, out);
  return absl::OkStatus();
}

// ---------------------------------------------------------------- resize

constexpr int kPrecisionBits = 32 - 8 - 2;

inline double Triangle(double x) {
  if (x < 0) x = -x;
  return x < 1 ? 1 - x : 0;
}

// Pillow's precompute_coeffs for the bilinear filter over [0, in_size) and
// normalize_coeffs_8bpc. bounds: (first, count) per output pixel; coeffs:
// ksize per output pixel. Returns ksize.
int Coefficients(int in_size, int out_size, std::vector<int>* bounds,
                 std::vector<int32_t>* coeffs) {
  const double in0 = 0, in1 = static_cast<float>(in_size);
  double filterscale = (in1 - in0) / out_size;
  const double scale = filterscale;
  if (filterscale < 1.0) filterscale = 1.0;
  const double support = 1.0 * filterscale;
  const int ksize = static_cast<int>(std::ceil(support)) * 2 + 1;
  std::vector<double> kk(static_cast<size_t>(out_size) * ksize, 0.0);
  bounds->assign(static_cast<size_t>(out_size) * 2, 0);
  for (int xx = 0; xx < out_size; ++xx) {
    const double center = in0 + (xx + 0.5) * scale;
    const double ss = 1.0 / filterscale;
    int xmin = static_cast<int>(center - support + 0.5);
    if (xmin < 0) xmin = 0;
    int xmax = static_cast<int>(center + support + 0.5);
    if (xmax > in_size) xmax = in_size;
    xmax -= xmin;
    double* k = &kk[static_cast<size_t>(xx) * ksize];
    double ww = 0;
    for (int x = 0; x < xmax; ++x) {
      const double w = Triangle((x + xmin - center + 0.5) * ss);
      k[x] = w;
      ww += w;
    }
    for (int x = 0; x < xmax; ++x) {
      if (ww != 0.0) k[x] /= ww;
    }
    (*bounds)[xx * 2] = xmin;
    (*bounds)[xx * 2 + 1] = xmax;
  }
  coeffs->resize(kk.size());
  for (size_t i = 0; i < kk.size(); ++i) {
    const double v = kk[i] * (1 << kPrecisionBits);
    (*coeffs)[i] = static_cast<int32_t>(kk[i] < 0 ? -0.5 + v : 0.5 + v);
  }
  return ksize;
}

inline uint8_t Clip8(int32_t in) {
  if (in >= (1 << kPrecisionBits << 8)) return 255;
  if (in <= 0) return 0;
  return static_cast<uint8_t>(in >> kPrecisionBits);
}

}  // namespace

std::string_view ImageFormat(std::string_view bytes) {
  if (bytes.size() >= 8 && bytes.substr(0, 8) == std::string_view("\x89PNG\r\n\x1a\n", 8)) {
    return "PNG";
  }
  if (bytes.size() >= 3 && bytes.substr(0, 3) == "\xff\xd8\xff") return "JPEG";
  return "";
}

Status DecodeGrey(std::string_view bytes, GreyImage* out) {
  const std::string_view format = ImageFormat(bytes);
  if (format == "PNG") return DecodePng(bytes, out);
  if (format == "JPEG") return DecodeJpeg(bytes, out);
  return absl::InvalidArgumentError(
      absl::StrCat("not a PNG or JPEG image (", bytes.size(), " bytes); convert it first"));
}

void ResizeBilinear(const GreyImage& in, int width, int height, GreyImage* out) {
  if (width == in.width && height == in.height) {
    *out = in;
    return;
  }
  thread_local std::vector<int> bounds_h, bounds_v;
  thread_local std::vector<int32_t> kk_h, kk_v;
  thread_local std::vector<uint8_t> temp;
  const int ksize_h = Coefficients(in.width, width, &bounds_h, &kk_h);
  const int ksize_v = Coefficients(in.height, height, &bounds_v, &kk_v);
  const bool need_h = width != in.width;
  const bool need_v = height != in.height;
  // The rows the vertical pass reads.
  const int y_first = bounds_v[0];
  const int y_last = bounds_v[height * 2 - 2] + bounds_v[height * 2 - 1];
  const uint8_t* src = in.pixels.data();
  int src_width = in.width;
  if (need_h) {
    for (int i = 0; i < height; ++i) bounds_v[i * 2] -= y_first;
    const int rows = y_last - y_first;
    temp.resize(static_cast<size_t>(width) * rows);
    for (int yy = 0; yy < rows; ++yy) {
      const uint8_t* line = in.pixels.data() + static_cast<size_t>(yy + y_first) * in.width;
      for (int xx = 0; xx < width; ++xx) {
        const int xmin = bounds_h[xx * 2];
        const int xmax = bounds_h[xx * 2 + 1];
        const int32_t* k = &kk_h[static_cast<size_t>(xx) * ksize_h];
        int32_t ss = 1 << (kPrecisionBits - 1);
        for (int x = 0; x < xmax; ++x) ss += line[x + xmin] * k[x];
        temp[static_cast<size_t>(yy) * width + xx] = Clip8(ss);
      }
    }
    src = temp.data();
    src_width = width;
  }
  out->width = width;
  out->height = height;
  out->pixels.resize(static_cast<size_t>(width) * height);
  if (!need_v) {
    std::memcpy(out->pixels.data(), src, out->pixels.size());
    return;
  }
  for (int yy = 0; yy < height; ++yy) {
    const int ymin = bounds_v[yy * 2];
    const int ymax = bounds_v[yy * 2 + 1];
    const int32_t* k = &kk_v[static_cast<size_t>(yy) * ksize_v];
    for (int xx = 0; xx < src_width; ++xx) {
      int32_t ss = 1 << (kPrecisionBits - 1);
      for (int y = 0; y < ymax; ++y)
        ss += src[static_cast<size_t>(y + ymin) * src_width + xx] * k[y];
      out->pixels[static_cast<size_t>(yy) * width + xx] = Clip8(ss);
    }
  }
}

}  // namespace keel::transform
