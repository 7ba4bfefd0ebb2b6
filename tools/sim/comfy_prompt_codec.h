// Parses and validates a ComfyUI `POST /prompt` body the way ComfyUI's
// validate_prompt does, and produces ComfyUI's exact 400 error bodies.
//
// Accepted node types: the text-to-image set (CheckpointLoaderSimple,
// EmptyLatentImage, CLIPTextEncode, KSampler, VAEDecode, SaveImage), common
// loaders/adapters (UNETLoader, CLIPLoader, VAELoader, LoraLoader,
// EmptySD3LatentImage, ...), LoadImage/VAEEncode for image inputs and an
// image-to-video path (ImageOnlyCheckpointLoader, CLIPVisionLoader,
// SVD_img2vid_Conditioning, WanImageToVideo, VideoLinearCFGGuidance, and
// the outputs VHS_VideoCombine or CreateVideo + SaveVideo).
// `KnownClassTypes()` lists them all. A video's size comes from the
// width/height of its conditioning node (or the latent), its frame count
// from video_frames/length (else the image batch), its rate from
// VHS_VideoCombine.frame_rate or CreateVideo.fps.
//
// LoadImage.image names an upload ("name", "subfolder/name", optionally
// annotated "name [input]"); an unknown one fails validation with
// ComfyUI's "Invalid image file" node error.
//
// Errors (all as PromptRejection bodies, HTTP 400):
//   no_prompt                        body without a "prompt" member
//   invalid_prompt                   bad JSON, prompt not an object, node
//                                    without class_type, unknown class_type
//   prompt_no_outputs                no output node (SaveImage, ...)
//   prompt_outputs_failed_validation missing required input, dangling or
//                                    malformed link, value out of range,
//                                    LoadImage of an unknown upload;
//                                    "node_errors" then names each node.
// Thread-safe (pure functions).
#ifndef MEDIAGW_TOOLS_SIM_COMFY_PROMPT_CODEC_H_
#define MEDIAGW_TOOLS_SIM_COMFY_PROMPT_CODEC_H_

#include <functional>
#include <string>
#include <variant>
#include <vector>

#include "absl/strings/string_view.h"
#include "tools/sim/comfy_types.h"

namespace mediagw::sim {

// Complete JSON body of a 400 answer to POST /prompt.
struct PromptRejection {
  std::string body;
};

// Returns true when an uploaded input named "subfolder/name" (or "name")
// exists; used to validate LoadImage.image. May be empty: then any name is
// accepted.
using InputExists = std::function<bool(absl::string_view)>;

std::variant<ParsedPrompt, PromptRejection> ParsePromptRequest(
    absl::string_view body, const InputExists& input_exists = nullptr);

// The 400 body for a request refused without looking at it (fault
// injection): type "invalid_prompt" with `message`.
std::string InvalidPromptBody(absl::string_view message,
                              absl::string_view details = "");

std::vector<std::string> KnownClassTypes();

}  // namespace mediagw::sim

#endif  // MEDIAGW_TOOLS_SIM_COMFY_PROMPT_CODEC_H_
