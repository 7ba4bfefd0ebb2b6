// Deterministic small videos for the provider simulator, encoded with
// Debian's libavcodec and muxed into MP4 in memory by libavformat.
//
// RenderMp4 draws `frames` pictures (a two-colour gradient with a disc that
// moves across it) whose colours and path come from a hash of (seed,
// prompt), encodes them with H.264 (libx264) when libavcodec has it, and
// otherwise with MPEG-4 part 2 ("mpeg4", built into libavcodec), and
// returns a complete MP4 file (ftyp, mdat, moov). The same inputs always
// give byte-identical files on one machine; a different seed or prompt
// gives a different video.
//
// ProbeMp4 reads such a file back: it opens it with libavformat from
// memory, decodes every frame of the first video stream and reports what it
// found. Used by the tests of everything that hands videos around.
//
// Thread-safe (no shared state besides libav's own, which is thread-safe
// for these calls). The first call lowers libav's log level to errors, so
// encoder banners do not flood the simulator's output.
//
// Errors: RenderMp4 returns INVALID_ARGUMENT for a width or height that is
// odd or outside [2, kMaxVideoSide], or a frame count outside [1,
// kMaxVideoFrames], or fps outside [1, 120]; INTERNAL when libav fails.
// ProbeMp4 returns INVALID_ARGUMENT for bytes that are not a decodable
// video.
#ifndef MEDIAGW_TOOLS_SIM_VIDEO_RENDER_H_
#define MEDIAGW_TOOLS_SIM_VIDEO_RENDER_H_

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace mediagw::sim {

inline constexpr int kMaxVideoSide = 2048;
inline constexpr int kMaxVideoFrames = 64;

absl::StatusOr<std::string> RenderMp4(int width, int height, int frames,
                                      int64_t seed, absl::string_view prompt,
                                      int fps = 8);

struct VideoInfo {
  std::string format;  // libavformat's name, e.g. "mov,mp4,m4a,3gp,3g2,mj2"
  std::string codec;   // e.g. "h264", "mpeg4"
  int width = 0;
  int height = 0;
  int frames = 0;  // frames actually decoded
  double fps = 0;  // average frame rate of the stream, 0 when unknown
};

absl::StatusOr<VideoInfo> ProbeMp4(absl::string_view bytes);

}  // namespace mediagw::sim

#endif  // MEDIAGW_TOOLS_SIM_VIDEO_RENDER_H_
