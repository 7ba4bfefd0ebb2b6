// Sniffs the media type and pixel size of fetched output bytes (PNG, JPEG,
// GIF, MP4 from its first video track; WebP and WebM by signature only).
// Pure; safe on any input.
#ifndef MEDIAGW_CORE_IMAGE_INFO_H_
#define MEDIAGW_CORE_IMAGE_INFO_H_

#include <string>

#include "absl/strings/string_view.h"

namespace mediagw {

struct MediaInfo {
  std::string mime_type;  // empty when unknown
  std::string extension;  // "png", "jpg", ... ("bin" when unknown)
  int width = 0;          // 0 when unknown
  int height = 0;
};

MediaInfo SniffMedia(absl::string_view bytes);

}  // namespace mediagw

#endif  // MEDIAGW_CORE_IMAGE_INFO_H_
