#include "tools/sim/png_render.h"

#include <png.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "absl/strings/str_cat.h"

namespace mediagw::sim {
namespace {

// splitmix64: cheap, well-distributed stream from one 64-bit state.
uint64_t NextRandom(uint64_t& state) {
  uint64_t z = (state += 0x9E3779B97F4A7C15ULL);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}

struct Rgb {
  uint8_t r, g, b;
};

Rgb RandomColor(uint64_t& state) {
  uint64_t v = NextRandom(state);
  return Rgb{static_cast<uint8_t>(v), static_cast<uint8_t>(v >> 8),
             static_cast<uint8_t>(v >> 16)};
}

uint8_t Mix(uint8_t a, uint8_t b, int64_t num, int64_t den) {
  return static_cast<uint8_t>((a * (den - num) + b * num) / den);
}

}  // namespace

uint64_t HashBytes(absl::string_view data, uint64_t hash) {
  for (unsigned char c : data) {
    hash ^= c;
    hash *= 1099511628211ULL;
  }
  return hash;
}

absl::StatusOr<std::string> RenderPng(int width, int height, int64_t seed,
                                      absl::string_view prompt, int index) {
  if (width < 1 || height < 1 || width > kMaxSide || height > kMaxSide ||
      int64_t{width} * height > kMaxPixels) {
    return absl::InvalidArgumentError(
        absl::StrCat("image size ", width, "x", height, " out of range"));
  }
  uint64_t state = HashBytes(prompt);
  state = HashBytes(absl::StrCat(seed, "/", index), state);

  const Rgb top_left = RandomColor(state);
  const Rgb bottom_right = RandomColor(state);
  std::vector<uint8_t> pixels(static_cast<size_t>(width) * height * 3);
  const int64_t span = int64_t{width} + height;
  for (int y = 0; y < height; ++y) {
    uint8_t* row = pixels.data() + static_cast<size_t>(y) * width * 3;
    for (int x = 0; x < width; ++x) {
      const int64_t t = x + y;
      row[x * 3 + 0] = Mix(top_left.r, bottom_right.r, t, span);
      row[x * 3 + 1] = Mix(top_left.g, bottom_right.g, t, span);
      row[x * 3 + 2] = Mix(top_left.b, bottom_right.b, t, span);
    }
  }

  // A few shapes make different seeds visibly different, not only in tint.
  const int shapes = 3 + static_cast<int>(NextRandom(state) % 4);
  for (int s = 0; s < shapes; ++s) {
    const Rgb color = RandomColor(state);
    const int64_t cx = static_cast<int64_t>(NextRandom(state) % width);
    const int64_t cy = static_cast<int64_t>(NextRandom(state) % height);
    const int64_t radius =
        1 + static_cast<int64_t>(NextRandom(state) %
                                 (1 + std::min(width, height) / 3));
    const bool disc = NextRandom(state) % 2 == 0;
    const int64_t y0 = std::max<int64_t>(0, cy - radius);
    const int64_t y1 = std::min<int64_t>(height - 1, cy + radius);
    const int64_t x0 = std::max<int64_t>(0, cx - radius);
    const int64_t x1 = std::min<int64_t>(width - 1, cx + radius);
    for (int64_t y = y0; y <= y1; ++y) {
      for (int64_t x = x0; x <= x1; ++x) {
        const int64_t dx = x - cx, dy = y - cy;
        if (disc && dx * dx + dy * dy > radius * radius) continue;
        if (!disc && std::abs(dy) > radius / 3) continue;
        uint8_t* p = pixels.data() + (static_cast<size_t>(y) * width + x) * 3;
        p[0] = color.r;
        p[1] = color.g;
        p[2] = color.b;
      }
    }
  }

  png_image image;
  std::memset(&image, 0, sizeof(image));
  image.version = PNG_IMAGE_VERSION;
  image.width = static_cast<png_uint_32>(width);
  image.height = static_cast<png_uint_32>(height);
  image.format = PNG_FORMAT_RGB;
  png_alloc_size_t size = 0;
  // First call sizes the buffer, second call encodes into it.
  if (!png_image_write_to_memory(&image, nullptr, &size, 0, pixels.data(), 0,
                                 nullptr)) {
    std::string message = image.message;
    png_image_free(&image);
    return absl::InternalError(absl::StrCat("libpng: ", message));
  }
  std::string out(size, '\0');
  if (!png_image_write_to_memory(&image, out.data(), &size, 0, pixels.data(),
                                 0, nullptr)) {
    std::string message = image.message;
    png_image_free(&image);
    return absl::InternalError(absl::StrCat("libpng: ", message));
  }
  png_image_free(&image);
  out.resize(size);
  return out;
}

}  // namespace mediagw::sim
