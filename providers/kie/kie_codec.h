// Pure JSON <-> domain functions for the kie.ai jobs API (see
// docs/PROVIDERS.md "kie.ai jobs" and seed 002): the createTask
// request and reply, the recordInfo reply with its string-encoded
// resultJson, and the body of a completion callback. No I/O, no threads, no
// global state: every function is thread-safe and never aborts on malformed
// input.
//
// kie answers most errors with HTTP 200 and a `code` in the body, so both
// the HTTP status and the body code are checked.
//
// Status codes:
//  - Body codes other than 200: CreateTaskCodeToStatus for createTask,
//    BodyCodeToStatus for recordInfo (below).
//  - Non-2xx HTTP statuses without a kie body: UpstreamHttpToStatus("kie").
//  - Replies without the documented shape: UNAVAILABLE with a message
//    starting "malformed upstream response" (retryable: a broken reply says
//    nothing about the job), except a 2xx createTask reply, which is
//    INTERNAL: kie may have created the job, and a retry would pay twice.
//  - Callback bodies that are not a kie callback: INVALID_ARGUMENT.
#ifndef MEDIAGW_PROVIDERS_KIE_KIE_CODEC_H_
#define MEDIAGW_PROVIDERS_KIE_KIE_CODEC_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace mediagw::kie {

inline constexpr absl::string_view kDefaultImageModel =
    "grok-imagine/text-to-image";
inline constexpr absl::string_view kDefaultVideoModel =
    "grok-imagine/image-to-video";

// The documented aspect ratio ("1:1", "2:3" or "3:2") closest to
// width:height (compared on a log scale). "1:1" for non-positive sizes.
std::string NearestAspectRatio(int width, int height);

// What POST /api/v1/jobs/createTask carries.
struct CreateTaskRequest {
  std::string model;
  std::string callback_url;  // "callBackUrl"; omitted when empty
  std::string prompt;        // input.prompt, always sent
  std::string aspect_ratio;  // input.aspect_ratio; omitted when empty
  std::vector<std::string> image_urls;  // input.image_urls; omitted when empty
};
std::string BuildCreateTaskBody(const CreateTaskRequest& request);

// A kie body code other than 200 (or a recordInfo failCode) as a status:
// 401, 402 and 505 (feature disabled) are FAILED_PRECONDITION (our account
// or configuration), 501 (generation failed) is INTERNAL, every other code
// goes through UpstreamHttpToStatus (422 INVALID_ARGUMENT, 404 NOT_FOUND,
// 429/455/5xx UNAVAILABLE, ...). A 2xx code other than 200 is UNKNOWN.
// The message names kie, the code and `msg`. Used for recordInfo replies
// and failCodes, where the job already exists upstream.
absl::Status BodyCodeToStatus(int64_t code, absl::string_view msg);

// A createTask body code other than 200 as a status: as BodyCodeToStatus,
// except that 501 (generation failed) and 505 (feature disabled) are
// UNAVAILABLE (retryable), with the same message. kie refused before it
// accepted the job, so nothing exists upstream and nothing was charged; with
// 429, 455 and 500 they are the codes worth another try. 401 and 402 stay
// FAILED_PRECONDITION (our key or credits, never UNAUTHENTICATED), 422
// INVALID_ARGUMENT (the caller's input).
absl::Status CreateTaskCodeToStatus(int64_t code, absl::string_view msg);

// Interprets the reply to createTask; returns data.taskId.
absl::StatusOr<std::string> ParseCreateTaskResponse(int http_status,
                                                    absl::string_view body);

// One task as recordInfo (or a callback) describes it.
struct TaskInfo {
  enum class State {
    kWaiting,
    kQueuing,
    kGenerating,
    kSuccess,
    kFail,
    kNotFound,  // kie does not know the task (code 404 or no data)
  };
  State state = State::kWaiting;
  std::string task_id;
  std::string model;
  // kSuccess: the resultUrls from resultJson (http or https).
  std::vector<std::string> result_urls;
  // kSuccess with a resultJson that is absent, malformed or lists no URL:
  // why (result_urls is then empty). A finished job cannot be read again,
  // so this is a failed task rather than a bad reply.
  std::string result_problem;
  // kFail: failCode (a string or a number upstream) and failMsg.
  std::string fail_code;
  std::string fail_msg;
};

// Interprets GET /api/v1/jobs/recordInfo?taskId=`task_id`. A data.taskId
// other than `task_id` is a malformed reply; an unknown state is one too.
absl::StatusOr<TaskInfo> ParseRecordInfo(int http_status,
                                         absl::string_view body,
                                         absl::string_view task_id);

// Parses resultJson: a JSON text {"resultUrls": ["http...", ...]}.
// INVALID_ARGUMENT when it is not such an object, lists a non-string or a
// non-http(s) URL, or lists none.
absl::StatusOr<std::vector<std::string>> ParseResultJson(
    absl::string_view text);

// The error of a failed task: the mapped failCode when it is a 4xx code
// (the request or our account was refused), INTERNAL otherwise; message
// "kie: <failMsg> (failCode <c>)".
absl::Status FailureToStatus(absl::string_view fail_code,
                             absl::string_view fail_msg);

// The task id a callback body is about: data.taskId (or data.task_id).
// INVALID_ARGUMENT when the body is not an object with a data object
// holding a non-empty string id.
absl::StatusOr<std::string> ParseCallbackTaskId(absl::string_view body);

// Best-guess MIME type from a result URL's path extension, else `fallback`.
std::string MimeTypeForUrl(absl::string_view url, absl::string_view fallback);

// Percent-encodes everything outside RFC 3986 unreserved characters.
std::string UrlEncode(absl::string_view s);

}  // namespace mediagw::kie

#endif  // MEDIAGW_PROVIDERS_KIE_KIE_CODEC_H_
