// Defaults and limits of an image request, shared by every surface so that
// gRPC and the legacy REST endpoint accept and reject the same things.
// Pure; thread-safe.
#ifndef MEDIAGW_CORE_REQUEST_NORMALIZER_H_
#define MEDIAGW_CORE_REQUEST_NORMALIZER_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "core/provider.h"
#include "mediagw/v1/media.pb.h"

namespace mediagw {

inline constexpr int kDefaultSize = 512;
inline constexpr int kMinSize = 16;
inline constexpr int kMaxSize = 2048;
inline constexpr int kDefaultSteps = 20;
inline constexpr int kMaxSteps = 50;
inline constexpr int kMaxImages = 10;
inline constexpr size_t kMaxImageUrlChars = 2048;
inline constexpr int kMaxPromptChars = 10000;
inline constexpr int kMaxIdempotencyKeyChars = 128;
inline constexpr size_t kMaxWebhookUrlChars = 2048;
inline constexpr char kDefaultWorkflow[] = "default";
extern const char kBuiltinNegativePrompt[];

// Returns the request with every default applied (width, height, steps, cfg,
// negative prompt, model, workflow) and a random seed chosen for -1/unset.
// INVALID_ARGUMENT names the field: "Missing prompt", "width must be between
// 16 and 2048", "workflow_json must be a JSON object", ...
// `workflow` describes request.workflow() (or the default workflow).
absl::StatusOr<v1::SubmitImageRequest> NormalizeImageRequest(
    const v1::SubmitImageRequest& request, const WorkflowInfo& workflow);

// The generation parameters of a video request (prompt, seed, model and the
// workflow's defaults) as an image request. "Missing prompt" / "Missing
// image" when absent; the image itself is checked by ClassifyImageInput.
absl::StatusOr<v1::SubmitImageRequest> NormalizeVideoRequest(
    const v1::SubmitVideoRequest& request, const WorkflowInfo& workflow);

// An input image as given by a caller: an http(s) URL (fetched later
// through the SSRF-checked fetcher) or inline data (a data: URL or bare
// base64, decoded here). INVALID_ARGUMENT for anything else. Decoding a
// large image is not free: call it off reaction threads.
struct ImageInput {
  std::string url;   // set for a URL
  std::string data;  // decoded bytes otherwise
};
absl::StatusOr<ImageInput> ClassifyImageInput(absl::string_view image);

// A caller's webhook URL: an absolute http:// or https:// URL with a host,
// at most kMaxWebhookUrlChars bytes of printable ASCII (so no spaces,
// controls or raw non-ASCII bytes). INVALID_ARGUMENT names `field`. Where
// it points is checked when something is delivered there, not here.
absl::Status CheckWebhookUrl(absl::string_view url, absl::string_view field);

// The task ends a webhook filter can name, in canonical order.
inline constexpr const char* kWebhookEvents[] = {"completed", "failed",
                                                 "canceled", "timed_out"};
// A request's webhook_events, checked and in canonical order without
// repeats. INVALID_ARGUMENT "webhook_events: ..." for an unknown name or
// more than 64 entries.
absl::StatusOr<std::vector<std::string>> NormalizeWebhookEvents(
    const google::protobuf::RepeatedPtrField<std::string>& events);

}  // namespace mediagw

#endif  // MEDIAGW_CORE_REQUEST_NORMALIZER_H_
