// Pure JSON <-> domain functions shared by the synchronous OpenAI-style image
// APIs (POST /v1/images/generations): xAI Grok and the OpenAI-compatible
// gateways of seeds 003 and 004 (see docs/PROVIDERS.md). The request
// bodies differ per upstream and live in xai_codec / openai_compat_codec;
// the reply, the error shapes, the size mapping and our provider_state are
// the same for all of them.
//
// No I/O, no threads, no global state: every function is thread-safe and
// never aborts on malformed input.
//
// Status codes:
//  - A 2xx reply without the documented shape (not JSON, no `data` array,
//    an entry with neither `url` nor `b64_json`, undecodable base64):
//    UNAVAILABLE, message starting "malformed upstream response".
//  - A 2xx reply that carries only an `error` object: UNAVAILABLE with the
//    upstream message (some gateways report failures with HTTP 200).
//  - A 2xx reply with an empty `data` array: INTERNAL ("no images"), not
//    retried: the upstream ran the request and filtered every image.
//  - Non-2xx: UpstreamHttpToStatus(<provider>, status, <upstream message>),
//    where the message is read from {"error": {"message", ...}},
//    {"code", "error": "<text>"} or {"error": "<text>"}, else the raw body.
#ifndef MEDIAGW_PROVIDERS_OPENAI_COMPAT_OPENAI_IMAGES_CODEC_H_
#define MEDIAGW_PROVIDERS_OPENAI_COMPAT_OPENAI_IMAGES_CODEC_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace mediagw::openai_images {

// The aspect ratios xAI and the seed 004 gateway accept (besides "auto"),
// in the order of the xAI documentation.
const std::vector<std::string>& AspectRatios();

// The ratio of AspectRatios() closest to width:height, comparing log ratios
// (so 2:1 and 1:2 are equally far from 1:1). Non-positive sizes count as 1.
std::string NearestAspectRatio(int width, int height);

// "1k" when the longer side is at most 1536 pixels, otherwise "2k".
std::string ResolutionFor(int width, int height);

struct ImageResult {
  std::string url;  // at least one of url and b64_json is non-empty
  std::string b64_json;
};

// Token and image counts some gateways return (seed 003). Absent counts are
// nullopt.
struct Usage {
  std::optional<int64_t> generated_images;
  std::optional<int64_t> input_tokens;
  std::optional<int64_t> output_tokens;
  std::optional<int64_t> total_tokens;
};

struct ImagesReply {
  std::optional<int64_t> created;   // unix seconds; xAI omits it
  std::vector<ImageResult> images;  // never empty on success
  std::optional<Usage> usage;
};

// Interprets the reply to POST /v1/images/generations. `provider` names the
// upstream in error messages ("xai", "openai_compat").
absl::StatusOr<ImagesReply> ParseImagesReply(int http_status,
                                             absl::string_view body,
                                             absl::string_view provider);

// The upstream's error text from a body in any of the error shapes above;
// "" when the body has none of them.
std::string ErrorMessage(absl::string_view body);

// Decodes a b64_json value (standard base64; padding optional; a
// "data:<mime>;base64," prefix is accepted). UNAVAILABLE "malformed upstream
// response" when it is not base64 or decodes to nothing.
absl::StatusOr<std::string> DecodeB64Image(absl::string_view b64);

// What a later Poll needs after a restart: the result URLs in output order,
// with nullopt where the result was inline (and is lost), and the usage.
// Stored opaque in TaskRecord.provider_state as
//   {"created": N, "results": ["<url>", null, ...], "usage": {...}}.
struct SyncState {
  std::optional<int64_t> created;
  std::vector<std::optional<std::string>> results;
  std::optional<Usage> usage;
};

std::string BuildSyncState(const SyncState& state);
// INVALID_ARGUMENT when `state` is not one of ours (empty text included).
absl::StatusOr<SyncState> ParseSyncState(absl::string_view state);

}  // namespace mediagw::openai_images

#endif  // MEDIAGW_PROVIDERS_OPENAI_COMPAT_OPENAI_IMAGES_CODEC_H_
