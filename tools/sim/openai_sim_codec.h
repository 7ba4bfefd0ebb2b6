// JSON of the simulated OpenAI-style image APIs: xAI Grok images and the
// OpenAI-compatible gateways of seeds 003 and 004 (see
// docs/PROVIDERS.md). Request validation follows each vendor:
//
//  - kXai: model in grok-imagine-image | grok-imagine-image-pro |
//    grok-2-image, prompt, n 1..10, response_format url | b64_json,
//    aspect_ratio (1:1 ... 9:20, auto), resolution 1k | 2k; `size` and
//    `style` are refused ("Argument not supported: size").
//  - kSeed003: model and prompt (at most 1000 characters) required; size
//    from 960x960, 720x1280, 1280x720, 1168x784, 784x1168; aspect_ratio,
//    quality (low | medium | high) and resolution as a string or as an array
//    with one entry per image (n entries; null = default), like the seed's
//    [null, "1:1"] with n = 2; response_format is trimmed, so the example's
//    "b64_json " passes.
//  - kSeed004: model and prompt required; n 1..10; response_format (default
//    url); aspect_ratio incl. auto; resolution 1k | 2k; user.
// Unknown members are ignored (apart from xAI's size and style).
//
// Image sizes: `size` when given (seed 003); otherwise the aspect ratio
// ("auto" and unset mean 1:1) with the longer side 1024 ("1k", default) or
// 2048 ("2k").
//
// Thread-safe (pure functions); never aborts on malformed input.
#ifndef MEDIAGW_TOOLS_SIM_OPENAI_SIM_CODEC_H_
#define MEDIAGW_TOOLS_SIM_OPENAI_SIM_CODEC_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace mediagw::sim {

enum class OpenAiDialect { kXai, kSeed003, kSeed004 };

// "/xai", "/oai3", "/oai4": where SimServer serves each dialect.
absl::string_view OpenAiPrefix(OpenAiDialect dialect);

struct ImageDims {
  int width = 0;
  int height = 0;
};

struct ImagesRequest {
  std::string model;
  std::string prompt;
  int n = 1;
  bool b64 = false;             // response_format b64_json
  std::vector<ImageDims> dims;  // n entries, one per image
  std::string user;             // seed 004; "" when absent
};

// Parses a POST /v1/images/generations body. INVALID_ARGUMENT carries the
// message the vendor's 400 shows.
absl::StatusOr<ImagesRequest> ParseImagesRequest(OpenAiDialect dialect,
                                                 absl::string_view body);

// Width and height for an aspect ratio name and "1k"/"2k": the longer side
// is 1024 or 2048, the other rounded to keep the ratio. nullopt for names
// outside the lists (auto counts as 1:1).
std::optional<ImageDims> DimsFor(absl::string_view aspect_ratio,
                                 absl::string_view resolution);

struct GeneratedImage {
  std::string url;       // set for response_format url
  std::string b64_json;  // set for b64_json
};

// The success reply: xAI {"data": [{"url"|"b64_json", "revised_prompt"}]};
// seed 004 {"created", "data": [...]}; seed 003 adds "usage"
// {"generated_images", "output_tokens", "total_tokens"}.
std::string ImagesReplyJson(OpenAiDialect dialect, int64_t created,
                            const std::vector<GeneratedImage>& images,
                            absl::string_view prompt);

// The vendor's error body for `status`. xAI answers 4xx as {"code": "<what
// failed>", "error": message} and 5xx in the OpenAI shape; the gateways
// always use the OpenAI shape {"error": {"message", "type", "code"}}.
std::string OpenAiErrorJson(OpenAiDialect dialect, int status,
                            absl::string_view message);

}  // namespace mediagw::sim

#endif  // MEDIAGW_TOOLS_SIM_OPENAI_SIM_CODEC_H_
