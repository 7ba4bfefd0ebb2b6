// The request body of xAI's image generation (POST /v1/images/generations,
// see docs/PROVIDERS.md "xAI Grok images"). The reply, error shapes
// and provider_state are shared with the OpenAI-compatible gateways and
// live in providers/openai_compat/openai_images_codec.h.
//
// Pure functions; thread-safe. Errors are INVALID_ARGUMENT (the request
// cannot run on xAI; never retried).
#ifndef MEDIAGW_PROVIDERS_XAI_XAI_CODEC_H_
#define MEDIAGW_PROVIDERS_XAI_XAI_CODEC_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "mediagw/v1/media.pb.h"

namespace mediagw::xai {

inline constexpr absl::string_view kDefaultModel = "grok-imagine-image";

// grok-imagine-image, grok-imagine-image-pro and the legacy grok-2-image.
const std::vector<std::string>& KnownModels();

// {"model", "prompt", "n", "response_format", "aspect_ratio", "resolution"}:
//  - model: request.model(), or kDefaultModel when empty; a name outside
//    KnownModels() is INVALID_ARGUMENT.
//  - n: request.n() (1 when unset); outside 1..10 is INVALID_ARGUMENT.
//  - aspect_ratio: the supported ratio nearest to width:height and
//    resolution "1k" (longer side <= 1536) or "2k"; an unset side is 1024.
//  - size and style are never sent (xAI answers "Argument not supported").
//    negative_prompt, steps, seed and cfg have no xAI equivalent and are
//    dropped.
// An empty prompt ("Missing prompt") or a workflow_json (a ComfyUI graph)
// is INVALID_ARGUMENT.
absl::StatusOr<std::string> BuildGenerationBody(
    const mediagw::v1::SubmitImageRequest& request,
    absl::string_view response_format);

}  // namespace mediagw::xai

#endif  // MEDIAGW_PROVIDERS_XAI_XAI_CODEC_H_
