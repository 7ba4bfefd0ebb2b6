// Test helper: decodes a PNG with libpng's simplified API.
#ifndef MEDIAGW_TESTS_TOOLS_SIM_PNG_TEST_UTIL_H_
#define MEDIAGW_TESTS_TOOLS_SIM_PNG_TEST_UTIL_H_

#include <png.h>

#include <cstring>
#include <string>
#include <vector>

namespace mediagw::sim::testing {

struct DecodedPng {
  bool ok = false;
  int width = 0;
  int height = 0;
  std::vector<unsigned char> rgb;
};

inline DecodedPng DecodePng(const std::string& bytes) {
  DecodedPng out;
  png_image image;
  std::memset(&image, 0, sizeof(image));
  image.version = PNG_IMAGE_VERSION;
  if (!png_image_begin_read_from_memory(&image, bytes.data(), bytes.size())) {
    return out;
  }
  image.format = PNG_FORMAT_RGB;
  out.rgb.resize(PNG_IMAGE_SIZE(image));
  if (!png_image_finish_read(&image, nullptr, out.rgb.data(), 0, nullptr)) {
    png_image_free(&image);
    return out;
  }
  out.ok = true;
  out.width = static_cast<int>(image.width);
  out.height = static_cast<int>(image.height);
  return out;
}

}  // namespace mediagw::sim::testing

#endif  // MEDIAGW_TESTS_TOOLS_SIM_PNG_TEST_UTIL_H_
