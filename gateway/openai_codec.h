// JSON <-> domain for the OpenAI-compatible images surface
// (POST /v1/images/generations, GET /v1/models; seeds 003 and 004 and
// OpenAI's own shape). Pure functions; thread-safe.
//
// Lenient, as a server should be: only `prompt` and `model` are required,
// unknown members are ignored, and both seeds' dialects are read (seed 003's
// array-valued aspect_ratio/quality/resolution such as [null,"1:1"], and
// its "b64_json " with a trailing space).
#ifndef MEDIAGW_GATEWAY_OPENAI_CODEC_H_
#define MEDIAGW_GATEWAY_OPENAI_CODEC_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "gateway/model_table.h"
#include "mediagw/v1/media.pb.h"

namespace mediagw::gateway {

inline constexpr size_t kOpenAiMaxUserChars = 256;

struct OpenAiImageRequest {
  std::string model;  // as sent; the handler looks it up
  // prompt, n, and width/height when size, aspect_ratio or resolution gave
  // them; workflow and model are the handler's.
  v1::SubmitImageRequest submit;
  bool b64_json = false;  // response_format
  std::string user;       // seed 004's end-user id (logged, not stored)
};

// The body of POST /v1/images/generations. INVALID_ARGUMENT with the
// message for the caller, and `*param` set to the member at fault ("" for
// the body as a whole). Ranges checked here: n 1..10, size WxH with both
// edges 16..2048 (or "auto"), aspect_ratio "w:h" within 1:4..4:1 (or
// "auto"), resolution 1k/2k, quality low/medium/high/standard/hd/auto,
// response_format url/b64_json, user at most 256 bytes.
// The picture's size: `size` when given; else aspect_ratio on a long edge
// of 1024 (1k, the default) or 2048 (2k), edges rounded to multiples of 8;
// resolution alone is square; nothing leaves it to the workflow.
absl::StatusOr<OpenAiImageRequest> DecodeOpenAiImageRequest(
    absl::string_view body, std::string* param);

// OpenAI's error object: {"error":{"message","type","param","code"}}.
struct OpenAiError {
  int http_status = 500;
  std::string message;
  std::string type;   // invalid_request_error, server_error, ...
  std::string param;  // "" -> null
  std::string code;   // "" -> null
};

// The error for a status from TaskService (or the handler), with the HTTP
// status OpenAI uses: 400, 401, 403, 404, 409, 429, 500 or 503. `param` is the
// member at fault when the message starts with one we know. The caller's
// own balance short is 429 with type and code "insufficient_quota"; over
// one of its limits 429 "rate_limit_exceeded".
OpenAiError OpenAiErrorFor(const absl::Status& status);
std::string EncodeOpenAiError(const OpenAiError& error);

// One image of the reply: its URL or its bytes (base64-encoded here).
struct OpenAiImage {
  std::string url;
  std::string bytes;
  bool b64 = false;
};
// {"created": <unix seconds>, "data": [{"url"} | {"b64_json"}]}
std::string EncodeOpenAiImages(int64_t created,
                               const std::vector<OpenAiImage>& images);

// The 202 reply to `Prefer: respond-async`: {"id", "object":
// "image.generation.task", "status": <lower-case state>, "status_url"}.
std::string EncodeOpenAiAccepted(const v1::Task& task,
                                 absl::string_view status_url);

// GET /v1/models: {"object":"list","data":[{"id","object":"model",
// "created":0,"owned_by":"mediagw"}, ...]} in table order.
std::string EncodeOpenAiModels(const ModelTable& models);

}  // namespace mediagw::gateway

#endif  // MEDIAGW_GATEWAY_OPENAI_CODEC_H_
