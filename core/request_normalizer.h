// Defaults and limits of an image request, shared by every surface so that
// gRPC and the legacy REST endpoint accept and reject the same things.
// Pure; thread-safe.
#ifndef MEDIAGW_CORE_REQUEST_NORMALIZER_H_
#define MEDIAGW_CORE_REQUEST_NORMALIZER_H_

#include "absl/status/statusor.h"
#include "core/provider.h"
#include "mediagw/v1/media.pb.h"

namespace mediagw {

inline constexpr int kDefaultSize = 512;
inline constexpr int kMinSize = 16;
inline constexpr int kMaxSize = 2048;
inline constexpr int kDefaultSteps = 20;
inline constexpr int kMaxSteps = 50;
inline constexpr int kMaxImages = 10;
inline constexpr int kMaxPromptChars = 10000;
inline constexpr int kMaxIdempotencyKeyChars = 128;
inline constexpr char kDefaultWorkflow[] = "default";
extern const char kBuiltinNegativePrompt[];

// Returns the request with every default applied (width, height, steps, cfg,
// negative prompt, model, workflow) and a random seed chosen for -1/unset.
// INVALID_ARGUMENT names the field: "Missing prompt", "width must be between
// 16 and 2048", "workflow_json must be a JSON object", ...
// `workflow` describes request.workflow() (or the default workflow).
absl::StatusOr<v1::SubmitImageRequest> NormalizeImageRequest(
    const v1::SubmitImageRequest& request, const WorkflowInfo& workflow);

}  // namespace mediagw

#endif  // MEDIAGW_CORE_REQUEST_NORMALIZER_H_
