#include "core/image_info.h"

#include <string>

#include "absl/random/random.h"
#include "gtest/gtest.h"
#include "tests/core/test_png.h"

namespace mediagw {
namespace {

std::string Bytes(std::initializer_list<int> b) {
  std::string s;
  for (int c : b) s.push_back(static_cast<char>(c));
  return s;
}

// SOI, APP0 (JFIF, 16 bytes), SOF0 with height 600 and width 800, EOI.
std::string Jpeg(int sof_marker = 0xC0) {
  std::string s = Bytes({0xFF, 0xD8});
  s += Bytes({0xFF, 0xE0, 0x00, 0x10});
  s += std::string("JFIF\0", 5) + Bytes({1, 1, 0, 0, 1, 0, 1, 0, 0});
  s += Bytes({0xFF, sof_marker, 0x00, 0x11, 0x08, 0x02, 0x58, 0x03, 0x20, 0x03,
              0x01, 0x22, 0x00, 0x02, 0x11, 0x01, 0x03, 0x11, 0x01});
  s += Bytes({0xFF, 0xD9});
  return s;
}

TEST(SniffMediaTest, RealPng) {
  std::string png = testing::MakePng(37, 21);
  ASSERT_FALSE(png.empty());
  MediaInfo info = SniffMedia(png);
  EXPECT_EQ(info.mime_type, "image/png");
  EXPECT_EQ(info.extension, "png");
  EXPECT_EQ(info.width, 37);
  EXPECT_EQ(info.height, 21);
}

TEST(SniffMediaTest, PngWithAbsurdSizeKeepsTypeButNoSize) {
  std::string png = testing::MakePng(1, 1);
  png[16] = static_cast<char>(0x7f);  // width 0x7f000001
  MediaInfo info = SniffMedia(png);
  EXPECT_EQ(info.mime_type, "image/png");
  EXPECT_EQ(info.width, 0);
  EXPECT_EQ(info.height, 0);
}

TEST(SniffMediaTest, JpegBaselineAndProgressive) {
  for (int marker : {0xC0, 0xC2}) {
    MediaInfo info = SniffMedia(Jpeg(marker));
    EXPECT_EQ(info.mime_type, "image/jpeg");
    EXPECT_EQ(info.extension, "jpg");
    EXPECT_EQ(info.width, 800);
    EXPECT_EQ(info.height, 600);
  }
}

TEST(SniffMediaTest, JpegSkipsDhtAndFillBytes) {
  std::string s = Bytes({0xFF, 0xD8});
  s += Bytes({0xFF, 0xC4, 0x00, 0x04, 0xAA, 0xBB});  // DHT, not a frame
  s += Bytes({0xFF});                                // fill byte
  s += Bytes({0xFF, 0xC0, 0x00, 0x0B, 0x08, 0x00, 0x10, 0x00, 0x20, 0x01, 0x01,
              0x11, 0x00, 0xFF, 0xD9});
  MediaInfo info = SniffMedia(s);
  EXPECT_EQ(info.width, 32);
  EXPECT_EQ(info.height, 16);
}

TEST(SniffMediaTest, Gif) {
  std::string s = "GIF89a" + Bytes({0x40, 0x01, 0xF0, 0x00, 0, 0, 0});
  MediaInfo info = SniffMedia(s);
  EXPECT_EQ(info.mime_type, "image/gif");
  EXPECT_EQ(info.extension, "gif");
  EXPECT_EQ(info.width, 320);
  EXPECT_EQ(info.height, 240);
  EXPECT_EQ(SniffMedia("GIF87a" + Bytes({1, 0, 2, 0})).height, 2);
}

TEST(SniffMediaTest, WebpMp4Webm) {
  EXPECT_EQ(SniffMedia(std::string("RIFF\x10\0\0\0WEBPVP8 ", 16)).mime_type, "image/webp");
  EXPECT_EQ(SniffMedia(std::string("\0\0\0\x18" "ftypisom\0\0\0\0", 16))
                .extension,
            "mp4");
  EXPECT_EQ(SniffMedia(Bytes({0x1a, 0x45, 0xdf, 0xa3, 0x01})).mime_type,
            "video/webm");
}

// A box: 32-bit size, type, content.
std::string Box(const std::string& type, const std::string& content) {
  uint32_t n = static_cast<uint32_t>(8 + content.size());
  std::string out = {static_cast<char>(n >> 24), static_cast<char>(n >> 16),
                     static_cast<char>(n >> 8), static_cast<char>(n)};
  return out + type + content;
}

// tkhd version 0 (or 1) whose width/height are `w` x `h` in 16.16.
std::string Tkhd(int version, uint16_t w, uint16_t h) {
  std::string c(version == 1 ? 88 : 76, '\0');
  c[0] = static_cast<char>(version);
  for (uint16_t v : {w, h}) {
    c += Bytes({static_cast<uint8_t>(v >> 8), static_cast<uint8_t>(v), 0, 0});
  }
  return Box("tkhd", c);
}

TEST(SniffMediaTest, Mp4SizeComesFromTheFirstVideoTrack) {
  const std::string ftyp = Box("ftyp", "isom\0\0\0\0");
  std::string audio = Box("trak", Tkhd(0, 0, 0));
  std::string video = Box("trak", Box("edts", "") + Tkhd(0, 640, 360));
  MediaInfo info = SniffMedia(ftyp + Box("mdat", "xxxx") +
                              Box("moov", Box("mvhd", std::string(100, '\0')) +
                                              audio + video));
  EXPECT_EQ(info.mime_type, "video/mp4");
  EXPECT_EQ(info.width, 640);
  EXPECT_EQ(info.height, 360);
  MediaInfo v1 = SniffMedia(ftyp + Box("moov", Box("trak", Tkhd(1, 1280, 720))));
  EXPECT_EQ(v1.width, 1280);
  EXPECT_EQ(v1.height, 720);
}

TEST(SniffMediaTest, MalformedMp4BoxesGiveNoSize) {
  const std::string ftyp = Box("ftyp", "isom\0\0\0\0");
  std::string moov = Box("moov", Box("trak", Tkhd(0, 640, 360)));
  // Size larger than what is left, smaller than a header, a 64-bit size
  // running past the end, and a short tkhd.
  std::string too_big = moov;
  too_big[3] = static_cast<char>(0xFF);
  std::string too_small = moov;
  too_small[0] = too_small[1] = too_small[2] = 0;
  too_small[3] = 4;
  std::string huge = Bytes({0, 0, 0, 1}) + "moov" +
                     Bytes({0xFF, 0xFF, 0xFF, 0xFF, 0, 0, 0, 0});
  std::string short_tkhd = Box("moov", Box("trak", Box("tkhd", std::string(1, 1) + "abc")));
  for (const std::string& tail : {too_big, too_small, huge, short_tkhd}) {
    MediaInfo info = SniffMedia(ftyp + tail);
    EXPECT_EQ(info.mime_type, "video/mp4");
    EXPECT_EQ(info.width, 0);
    EXPECT_EQ(info.height, 0);
  }
}

TEST(SniffMediaTest, UnknownIsBin) {
  for (absl::string_view s : {absl::string_view(""), absl::string_view("hello"),
                              absl::string_view("<html>not an image</html>")}) {
    MediaInfo info = SniffMedia(s);
    EXPECT_EQ(info.mime_type, "");
    EXPECT_EQ(info.extension, "bin");
    EXPECT_EQ(info.width, 0);
  }
}

// Every prefix of every format must be handled without reading past the end
// (run under ASan to make this bite) and never claim a size it cannot read.
TEST(SniffMediaTest, TruncatedInputsNeverCrash) {
  std::string gif = "GIF89a" + Bytes({0x40, 0x01, 0xF0, 0x00, 0, 0, 0});
  for (const std::string& full : {testing::MakePng(8, 8), Jpeg(), gif}) {
    for (size_t n = 0; n <= full.size(); ++n) {
      std::string prefix = full.substr(0, n);  // own buffer: exact bounds
      MediaInfo info = SniffMedia(prefix);
      EXPECT_GE(info.width, 0);
      EXPECT_FALSE(info.extension.empty());
    }
  }
  // A truncated PNG signature is not a PNG.
  EXPECT_EQ(SniffMedia(testing::MakePng(8, 8).substr(0, 23)).mime_type, "");
}

TEST(SniffMediaTest, JpegWithBogusSegmentLengthsNeverCrashes) {
  for (int len_hi : {0x00, 0x7F, 0xFF}) {
    for (int len_lo : {0x00, 0x01, 0x02, 0xFF}) {
      std::string s = Bytes({0xFF, 0xD8, 0xFF, 0xE0, len_hi, len_lo});
      s += std::string(12, '\xFF');
      MediaInfo info = SniffMedia(s);
      EXPECT_EQ(info.mime_type, "image/jpeg");
    }
  }
}

TEST(SniffMediaTest, RandomGarbageNeverCrashes) {
  absl::BitGen gen;  // contents do not matter for the assertion
  for (int i = 0; i < 2000; ++i) {
    std::string s(absl::Uniform<size_t>(gen, 0, 64), '\0');
    for (char& c : s) c = static_cast<char>(absl::Uniform<int>(gen, 0, 256));
    if (i % 3 == 0 && s.size() >= 3) s.replace(0, 3, Bytes({0xFF, 0xD8, 0xFF}));
    MediaInfo info = SniffMedia(s);
    EXPECT_GE(info.width, 0);
    EXPECT_GE(info.height, 0);
  }
}

}  // namespace
}  // namespace mediagw
