// The simulator's JPEG renderer (used by the simulated image APIs): files
// decode with libjpeg at the exact size, are deterministic, differ per
// input, and bad sizes are refused.
#include <cstdio>
#include <string>
#include <vector>

// jpeglib.h needs FILE and size_t declared first.
// clang-format off
#include <jpeglib.h>
// clang-format on

#include "gtest/gtest.h"
#include "tools/sim/jpeg_render.h"

namespace mediagw::sim {
namespace {

struct Decoded {
  bool ok = false;
  int width = 0;
  int height = 0;
  int components = 0;
};

// Full decode with libjpeg's default error manager: only our own renders
// are decoded here, and any corruption libjpeg tolerates shows up as a
// warning.
Decoded Decode(const std::string& bytes) {
  Decoded out;
  jpeg_decompress_struct cinfo;
  jpeg_error_mgr err;
  cinfo.err = jpeg_std_error(&err);
  jpeg_create_decompress(&cinfo);
  jpeg_mem_src(&cinfo, reinterpret_cast<const unsigned char*>(bytes.data()),
               bytes.size());
  if (jpeg_read_header(&cinfo, TRUE) != JPEG_HEADER_OK) {
    jpeg_destroy_decompress(&cinfo);
    return out;
  }
  jpeg_start_decompress(&cinfo);
  out.width = static_cast<int>(cinfo.output_width);
  out.height = static_cast<int>(cinfo.output_height);
  out.components = cinfo.output_components;
  std::vector<uint8_t> row(static_cast<size_t>(out.width) * out.components);
  while (cinfo.output_scanline < cinfo.output_height) {
    JSAMPROW rows[1] = {row.data()};
    jpeg_read_scanlines(&cinfo, rows, 1);
  }
  jpeg_finish_decompress(&cinfo);
  out.ok = err.num_warnings == 0;
  jpeg_destroy_decompress(&cinfo);
  return out;
}

TEST(JpegRenderTest, DecodesAtTheExactSize) {
  for (auto [w, h] : {std::pair{1024, 1024},
                      {1024, 473},
                      {461, 1024},
                      {1, 1},
                      {17, 9},
                      {2048, 1152}}) {
    auto jpeg = RenderJpeg(w, h, 42, "a lighthouse", 0);
    ASSERT_TRUE(jpeg.ok()) << jpeg.status();
    ASSERT_GE(jpeg->size(), 4u);
    EXPECT_EQ(static_cast<uint8_t>((*jpeg)[0]), 0xFF);
    EXPECT_EQ(static_cast<uint8_t>((*jpeg)[1]), 0xD8);
    Decoded d = Decode(*jpeg);
    EXPECT_TRUE(d.ok) << w << "x" << h;
    EXPECT_EQ(d.width, w);
    EXPECT_EQ(d.height, h);
    EXPECT_EQ(d.components, 3);
  }
}

TEST(JpegRenderTest, DeterministicAndDifferentPerInput) {
  auto a = RenderJpeg(256, 128, 7, "cat", 0);
  auto again = RenderJpeg(256, 128, 7, "cat", 0);
  ASSERT_TRUE(a.ok() && again.ok());
  EXPECT_EQ(*a, *again);
  for (auto other :
       {RenderJpeg(256, 128, 8, "cat", 0), RenderJpeg(256, 128, 7, "dog", 0),
        RenderJpeg(256, 128, 7, "cat", 1)}) {
    ASSERT_TRUE(other.ok());
    EXPECT_NE(*other, *a);
  }
  // Quality changes the encoding, not the picture size.
  auto low = RenderJpeg(256, 128, 7, "cat", 0, 20);
  ASSERT_TRUE(low.ok());
  EXPECT_LT(low->size(), a->size());
  EXPECT_EQ(Decode(*low).width, 256);
}

TEST(JpegRenderTest, RefusesBadSizesAndQuality) {
  for (auto [w, h] :
       {std::pair{0, 10}, {10, 0}, {-1, 5}, {20000, 10}, {4097, 4097}}) {
    auto r = RenderJpeg(w, h, 1, "p");
    ASSERT_FALSE(r.ok()) << w << "x" << h;
    EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
  }
  for (int q : {0, 101}) {
    EXPECT_EQ(RenderJpeg(8, 8, 1, "p", 0, q).status().code(),
              absl::StatusCode::kInvalidArgument);
  }
}

}  // namespace
}  // namespace mediagw::sim
