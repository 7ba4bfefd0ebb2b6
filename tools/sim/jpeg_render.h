// Deterministic placeholder JPEG images for the simulated image APIs (xAI
// and the OpenAI-compatible gateways answer with JPEG files).
//
// RenderJpeg draws a diagonal two-colour gradient crossed by a few bands
// whose colours and positions come from a hash of (seed, prompt, index):
// the same inputs always give byte-identical files, a different seed, prompt
// or index a different picture. The content is kept simple so that even a
// 2048x2048 image costs only a few tens of milliseconds. Encoding uses
// libjpeg (baseline, 4:2:0, no metadata).
//
// Thread-safe (pure function). Errors: INVALID_ARGUMENT for a size outside
// [1, kMaxSide] or over kMaxPixels (png_render.h) or a quality outside
// 1..100; INTERNAL if libjpeg fails.
#ifndef MEDIAGW_TOOLS_SIM_JPEG_RENDER_H_
#define MEDIAGW_TOOLS_SIM_JPEG_RENDER_H_

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace mediagw::sim {

// `index` distinguishes the images of one batch.
absl::StatusOr<std::string> RenderJpeg(int width, int height, int64_t seed,
                                       absl::string_view prompt, int index = 0,
                                       int quality = 85);

}  // namespace mediagw::sim

#endif  // MEDIAGW_TOOLS_SIM_JPEG_RENDER_H_
