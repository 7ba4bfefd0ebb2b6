// Deterministic placeholder images for the provider simulator.
//
// RenderPng draws an RGB picture (a two-colour gradient with a few discs and
// bars) whose colours and shapes are derived from a hash of (seed, prompt,
// index). The same inputs always give byte-identical PNG files; a different
// seed, prompt or index gives a different picture. Encoding uses libpng.
//
// Thread-safe (pure function). Errors: INVALID_ARGUMENT for a size outside
// [1, kMaxSide] or over kMaxPixels; INTERNAL if libpng fails.
#ifndef MEDIAGW_TOOLS_SIM_PNG_RENDER_H_
#define MEDIAGW_TOOLS_SIM_PNG_RENDER_H_

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace mediagw::sim {

inline constexpr int kMaxSide = 16384;
inline constexpr int64_t kMaxPixels = int64_t{4096} * 4096;

// `index` distinguishes the images of one batch.
absl::StatusOr<std::string> RenderPng(int width, int height, int64_t seed,
                                      absl::string_view prompt, int index = 0);

// 64-bit FNV-1a of `data` continued from `hash`; exposed for the engine,
// which mixes upload contents into image seeds.
uint64_t HashBytes(absl::string_view data,
                   uint64_t hash = 1469598103934665603ULL);

}  // namespace mediagw::sim

#endif  // MEDIAGW_TOOLS_SIM_PNG_RENDER_H_
