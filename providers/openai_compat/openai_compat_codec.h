// Request bodies of the OpenAI-compatible image gateways (POST
// /v1/images/generations) in the two dialects of the seeds; replies and
// errors are shared with xAI (openai_images_codec.h).
//
// seed004: {"model", "prompt", "n" (1..10), "response_format",
//   "aspect_ratio" (the supported ratio nearest to width:height; "auto" is
//   never sent since we always know the wanted size), "resolution" ("1k"
//   when the longer side is at most 1536, else "2k"), "user" (the task's
//   owner, omitted when empty)}.
//
// seed003: {"model", "prompt" (at most 1000 characters), "size" (of 960x960,
//   720x1280, 1280x720, 1168x784, 784x1168 the one nearest to width:height,
//   by log aspect ratio), "n", "aspect_ratio", "quality", "resolution",
//   "response_format"}. aspect_ratio, quality and resolution are arrays
//   whose length follows n (参数数量和n同步) in the shape of the seed's
//   example ([null, "1:1"] for n = 2): n entries, the first null when n >= 2
//   and every other one our value, so n = 1 -> ["1:1"], n = 2 ->
//   [null, "1:1"], n = 3 -> [null, "1:1", "1:1"]. The values: aspect_ratio is
//   the ratio of the chosen size (so the two never disagree), quality is
//   "high", resolution as in seed004. The example's trailing space in
//   "b64_json " is a typo we do not copy.
//
// Default models (request.model() empty): seed003 "grok-3-image" (the seed's
// example), seed004 "grok-imagine-image".
//
// Pure functions; thread-safe. Errors are INVALID_ARGUMENT: an unknown
// dialect, or a request that cannot run (missing prompt, a ComfyUI
// workflow_json, n out of range, a seed003 prompt over 1000 characters).
#ifndef MEDIAGW_PROVIDERS_OPENAI_COMPAT_OPENAI_COMPAT_CODEC_H_
#define MEDIAGW_PROVIDERS_OPENAI_COMPAT_OPENAI_COMPAT_CODEC_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "mediagw/internal/record.pb.h"

namespace mediagw::openai_compat {

enum class Dialect { kSeed003, kSeed004 };

// "seed003" | "seed004".
absl::StatusOr<Dialect> ParseDialect(absl::string_view name);
absl::string_view DefaultModel(Dialect dialect);

struct ImageSize {
  int width = 0;
  int height = 0;
};

// The seed 003 size list, in the seed's order.
const std::vector<ImageSize>& Seed003Sizes();
// The listed size nearest to width:height (non-positive sides count as 1).
ImageSize NearestSeed003Size(int width, int height);
// "960x960".
std::string SizeName(ImageSize size);

// The body for `record` (its request, n, width, height, model and owner).
absl::StatusOr<std::string> BuildGenerationBody(
    Dialect dialect, const internal::TaskRecord& record,
    absl::string_view response_format);

}  // namespace mediagw::openai_compat

#endif  // MEDIAGW_PROVIDERS_OPENAI_COMPAT_OPENAI_COMPAT_CODEC_H_
