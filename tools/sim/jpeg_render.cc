#include "tools/sim/jpeg_render.h"

#include <algorithm>
#include <csetjmp>
#include <cstddef>
#include <cstdio>
#include <cstdlib>
#include <vector>

// jpeglib.h needs FILE and size_t declared first.
// clang-format off
#include <jpeglib.h>
// clang-format on

#include "absl/strings/str_cat.h"
#include "tools/sim/png_render.h"

namespace mediagw::sim {
namespace {

// splitmix64, as in png_render.cc.
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
  const uint64_t v = NextRandom(state);
  return Rgb{static_cast<uint8_t>(v), static_cast<uint8_t>(v >> 8),
             static_cast<uint8_t>(v >> 16)};
}

uint8_t Mix(uint8_t a, uint8_t b, int64_t num, int64_t den) {
  return static_cast<uint8_t>((a * (den - num) + b * num) / den);
}

// A stripe across the picture: rows [begin, end) when horizontal, columns
// otherwise.
struct Band {
  bool horizontal;
  int begin;
  int end;
  Rgb color;
};

struct Picture {
  int width;
  int height;
  Rgb from;
  Rgb to;
  std::vector<Band> bands;

  void Row(int y, uint8_t* out) const {
    const int64_t span = int64_t{width} + height;
    for (int x = 0; x < width; ++x) {
      out[x * 3 + 0] = Mix(from.r, to.r, x + y, span);
      out[x * 3 + 1] = Mix(from.g, to.g, x + y, span);
      out[x * 3 + 2] = Mix(from.b, to.b, x + y, span);
    }
    for (const Band& b : bands) {
      const int x0 = b.horizontal ? 0 : b.begin;
      const int x1 = b.horizontal ? width : b.end;
      if (b.horizontal && (y < b.begin || y >= b.end)) continue;
      for (int x = x0; x < x1; ++x) {
        out[x * 3 + 0] = b.color.r;
        out[x * 3 + 1] = b.color.g;
        out[x * 3 + 2] = b.color.b;
      }
    }
  }
};

Picture Compose(int width, int height, int64_t seed, absl::string_view prompt,
                int index) {
  uint64_t state = HashBytes(prompt);
  state = HashBytes(absl::StrCat(seed, "/", index), state);
  Picture p{width, height, RandomColor(state), RandomColor(state), {}};
  const int bands = 2 + static_cast<int>(NextRandom(state) % 3);
  for (int i = 0; i < bands; ++i) {
    Band b;
    b.horizontal = NextRandom(state) % 2 == 0;
    const int extent = b.horizontal ? height : width;
    b.begin = static_cast<int>(NextRandom(state) % extent);
    const int thickness =
        1 + static_cast<int>(NextRandom(state) % (1 + extent / 8));
    b.end = std::min(extent, b.begin + thickness);
    b.color = RandomColor(state);
    p.bands.push_back(b);
  }
  return p;
}

struct ErrorManager {
  jpeg_error_mgr pub;
  std::jmp_buf jump;
  char message[JMSG_LENGTH_MAX];
};

void OnError(j_common_ptr cinfo) {
  auto* err = reinterpret_cast<ErrorManager*>(cinfo->err);
  (*cinfo->err->format_message)(cinfo, err->message);
  std::longjmp(err->jump, 1);
}

void IgnoreMessage(j_common_ptr, int) {}

// Everything with a destructor is created before setjmp, so the jump back
// on a libjpeg error skips none.
absl::StatusOr<std::string> Encode(const Picture& picture, int quality) {
  std::vector<uint8_t> row(static_cast<size_t>(picture.width) * 3);
  jpeg_compress_struct cinfo;
  ErrorManager err;
  unsigned char* out = nullptr;
  unsigned long out_size = 0;  // NOLINT(runtime/int): libjpeg's type
  cinfo.err = jpeg_std_error(&err.pub);
  err.pub.error_exit = OnError;
  err.pub.emit_message = IgnoreMessage;
  if (setjmp(err.jump) != 0) {
    jpeg_destroy_compress(&cinfo);
    std::free(out);
    return absl::InternalError(absl::StrCat("libjpeg: ", err.message));
  }
  jpeg_create_compress(&cinfo);
  jpeg_mem_dest(&cinfo, &out, &out_size);
  cinfo.image_width = static_cast<JDIMENSION>(picture.width);
  cinfo.image_height = static_cast<JDIMENSION>(picture.height);
  cinfo.input_components = 3;
  cinfo.in_color_space = JCS_RGB;
  jpeg_set_defaults(&cinfo);
  jpeg_set_quality(&cinfo, quality, TRUE);
  jpeg_start_compress(&cinfo, TRUE);
  for (int y = 0; y < picture.height; ++y) {
    picture.Row(y, row.data());
    JSAMPROW rows[1] = {row.data()};
    jpeg_write_scanlines(&cinfo, rows, 1);
  }
  jpeg_finish_compress(&cinfo);
  jpeg_destroy_compress(&cinfo);
  std::string bytes(reinterpret_cast<const char*>(out), out_size);
  std::free(out);
  return bytes;
}

}  // namespace

absl::StatusOr<std::string> RenderJpeg(int width, int height, int64_t seed,
                                       absl::string_view prompt, int index,
                                       int quality) {
  if (width < 1 || height < 1 || width > kMaxSide || height > kMaxSide ||
      int64_t{width} * height > kMaxPixels) {
    return absl::InvalidArgumentError(
        absl::StrCat("image size ", width, "x", height, " out of range"));
  }
  if (quality < 1 || quality > 100) {
    return absl::InvalidArgumentError("JPEG quality must be within 1..100");
  }
  return Encode(Compose(width, height, seed, prompt, index), quality);
}

}  // namespace mediagw::sim
