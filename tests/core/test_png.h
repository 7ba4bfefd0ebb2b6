// Encodes a real PNG in memory with libpng, for tests that need output bytes.
#ifndef MEDIAGW_TESTS_CORE_TEST_PNG_H_
#define MEDIAGW_TESTS_CORE_TEST_PNG_H_

#include <png.h>

#include <string>
#include <vector>

namespace mediagw::testing {

// A `width` x `height` RGB PNG (a gradient), or "" if libpng fails.
inline std::string MakePng(int width, int height) {
  std::string out;
  png_structp png =
      png_create_write_struct(PNG_LIBPNG_VER_STRING, nullptr, nullptr, nullptr);
  if (png == nullptr) return "";
  png_infop info = png_create_info_struct(png);
  if (info == nullptr || setjmp(png_jmpbuf(png))) {
    png_destroy_write_struct(&png, &info);
    return "";
  }
  png_set_write_fn(
      png, &out,
      [](png_structp p, png_bytep data, png_size_t len) {
        static_cast<std::string*>(png_get_io_ptr(p))
            ->append(reinterpret_cast<const char*>(data), len);
      },
      nullptr);
  png_set_IHDR(png, info, width, height, 8, PNG_COLOR_TYPE_RGB,
               PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT,
               PNG_FILTER_TYPE_DEFAULT);
  png_write_info(png, info);
  std::vector<png_byte> row(static_cast<size_t>(width) * 3);
  for (int y = 0; y < height; ++y) {
    for (int x = 0; x < width; ++x) {
      row[x * 3] = static_cast<png_byte>(x);
      row[x * 3 + 1] = static_cast<png_byte>(y);
      row[x * 3 + 2] = 128;
    }
    png_write_row(png, row.data());
  }
  png_write_end(png, nullptr);
  png_destroy_write_struct(&png, &info);
  return out;
}

}  // namespace mediagw::testing

#endif  // MEDIAGW_TESTS_CORE_TEST_PNG_H_
