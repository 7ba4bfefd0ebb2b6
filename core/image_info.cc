#include "core/image_info.h"

#include <cstdint>

namespace mediagw {
namespace {

uint32_t Be32(absl::string_view b, size_t at) {
  return (uint32_t{static_cast<uint8_t>(b[at])} << 24) |
         (uint32_t{static_cast<uint8_t>(b[at + 1])} << 16) |
         (uint32_t{static_cast<uint8_t>(b[at + 2])} << 8) |
         uint32_t{static_cast<uint8_t>(b[at + 3])};
}
uint16_t Be16(absl::string_view b, size_t at) {
  return static_cast<uint16_t>((static_cast<uint8_t>(b[at]) << 8) |
                               static_cast<uint8_t>(b[at + 1]));
}
uint16_t Le16(absl::string_view b, size_t at) {
  return static_cast<uint16_t>(static_cast<uint8_t>(b[at]) |
                               (static_cast<uint8_t>(b[at + 1]) << 8));
}

void JpegSize(absl::string_view b, MediaInfo* info) {
  size_t i = 2;
  while (i + 9 < b.size()) {
    if (static_cast<uint8_t>(b[i]) != 0xFF) return;
    uint8_t marker = static_cast<uint8_t>(b[i + 1]);
    if (marker == 0xFF) {  // fill byte
      ++i;
      continue;
    }
    uint16_t len = Be16(b, i + 2);
    if (len < 2) return;
    // SOF0..SOF15 except DHT(C4), JPG(C8), DAC(CC) carry the frame size.
    if (marker >= 0xC0 && marker <= 0xCF && marker != 0xC4 && marker != 0xC8 &&
        marker != 0xCC) {
      info->height = Be16(b, i + 5);
      info->width = Be16(b, i + 7);
      return;
    }
    i += 2 + len;
  }
}

// ISO BMFF boxes in [begin, end): calls `fn(type, content_begin,
// content_end)` for each; stops at the first malformed size. 64-bit sizes
// and "to the end" (0) are handled; nothing is read out of bounds.
template <typename Fn>
void ForEachBox(absl::string_view b, size_t begin, size_t end, Fn&& fn) {
  size_t at = begin;
  while (at + 8 <= end) {
    uint64_t size = Be32(b, at);
    size_t header = 8;
    if (size == 1) {
      if (at + 16 > end) return;
      size = (uint64_t{Be32(b, at + 8)} << 32) | Be32(b, at + 12);
      header = 16;
    } else if (size == 0) {
      size = end - at;
    }
    if (size < header || size > end - at) return;
    if (!fn(b.substr(at + 4, 4), at + header, at + static_cast<size_t>(size))) {
      return;
    }
    at += static_cast<size_t>(size);
  }
}

// Display size of the first video track: moov/trak/tkhd, whose last 8
// bytes are width and height in 16.16 fixed point.
void Mp4Size(absl::string_view b, MediaInfo* info) {
  ForEachBox(b, 0, b.size(), [&](absl::string_view type, size_t s, size_t e) {
    if (type != "moov") return true;
    ForEachBox(b, s, e, [&](absl::string_view t, size_t ts, size_t te) {
      if (t != "trak") return true;
      ForEachBox(b, ts, te, [&](absl::string_view k, size_t ks, size_t ke) {
        if (k != "tkhd" || ke - ks < 84) return true;
        const size_t wat = static_cast<uint8_t>(b[ks]) == 1 ? ks + 88 : ks + 76;
        if (wat + 8 > ke) return false;
        const uint32_t w = Be32(b, wat) >> 16, h = Be32(b, wat + 4) >> 16;
        if (w > 0 && h > 0 && w <= 1u << 16 && h <= 1u << 16) {
          info->width = static_cast<int>(w);
          info->height = static_cast<int>(h);
        }
        return false;
      });
      return info->width == 0;  // audio tracks have no size: try the next
    });
    return false;
  });
}

}  // namespace

MediaInfo SniffMedia(absl::string_view b) {
  MediaInfo info;
  info.extension = "bin";
  if (b.size() >= 24 && b.substr(0, 8) == absl::string_view("\x89PNG\r\n\x1a\n", 8) &&
      b.substr(12, 4) == "IHDR") {
    info.mime_type = "image/png";
    info.extension = "png";
    uint32_t w = Be32(b, 16), h = Be32(b, 20);
    if (w <= 1u << 20 && h <= 1u << 20) {
      info.width = static_cast<int>(w);
      info.height = static_cast<int>(h);
    }
  } else if (b.size() >= 3 && static_cast<uint8_t>(b[0]) == 0xFF &&
             static_cast<uint8_t>(b[1]) == 0xD8 &&
             static_cast<uint8_t>(b[2]) == 0xFF) {
    info.mime_type = "image/jpeg";
    info.extension = "jpg";
    JpegSize(b, &info);
  } else if (b.size() >= 10 && (b.substr(0, 6) == "GIF87a" || b.substr(0, 6) == "GIF89a")) {
    info.mime_type = "image/gif";
    info.extension = "gif";
    info.width = Le16(b, 6);
    info.height = Le16(b, 8);
  } else if (b.size() >= 12 && b.substr(0, 4) == "RIFF" && b.substr(8, 4) == "WEBP") {
    info.mime_type = "image/webp";
    info.extension = "webp";
  } else if (b.size() >= 12 && b.substr(4, 4) == "ftyp") {
    info.mime_type = "video/mp4";
    info.extension = "mp4";
    Mp4Size(b, &info);
  } else if (b.size() >= 4 && b.substr(0, 4) == absl::string_view("\x1a\x45\xdf\xa3", 4)) {
    info.mime_type = "video/webm";
    info.extension = "webm";
  }
  return info;
}

}  // namespace mediagw
