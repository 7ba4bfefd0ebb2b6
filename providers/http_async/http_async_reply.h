// Reads a vendor's HTTP replies the way a channel's Spec describes them:
// the job id of a submit, the state/progress/results/error of a poll, the
// outcome of a cancel. Pure functions; thread-safe.
//
// Status codes:
//  - Non-2xx HTTP statuses: UpstreamHttpToStatus(status, <channel>, body),
//    e.g. 400/422 INVALID_ARGUMENT, 401/403 FAILED_PRECONDITION, 5xx
//    UNAVAILABLE. A poll answered 404 is the state kNotFound instead.
//  - A body-level refusal (value at status_pointer outside status_ok): an
//    HTTP-like integer value 400..599 maps like that HTTP status; a value in
//    status_not_found is NOT_FOUND; anything else is UNKNOWN. The message
//    carries the value and the text at status_message_pointer.
//  - Replies without the configured shape (not JSON, no id, no state, a
//    result pointer at a non-string): UNAVAILABLE starting "malformed
//    upstream response" (retryable: it says nothing about the request).
//  - A state missing from state_map: FAILED_PRECONDITION naming the state
//    and the pointer (the poll fails and is retried; the map needs it).
#ifndef MEDIAGW_PROVIDERS_HTTP_ASYNC_HTTP_ASYNC_REPLY_H_
#define MEDIAGW_PROVIDERS_HTTP_ASYNC_HTTP_ASYNC_REPLY_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "core/http_client.h"
#include "core/provider.h"
#include "providers/http_async/http_async_spec.h"

namespace mediagw::http_async {

// The upstream job id of a submit reply, in textual form (numbers too).
absl::StatusOr<std::string> ReadSubmitReply(const Spec& spec,
                                            const HttpResponse& response);

// A poll reply. kSucceeded carries one external OutputRef per result URL
// (URLs starting with '/' are resolved against the origin of `base_url`;
// other non-http(s) URLs are malformed); a success without any URL is
// kFailed (INTERNAL). kFailed carries INTERNAL with the text found at the
// error pointers, or the upstream state when there is none. Progress is
// value / progress_scale clamped to 0..1 (1 on success); a progress value
// that is not a number is ignored.
absl::StatusOr<PollResult> ReadPollReply(const Spec& spec,
                                         absl::string_view base_url,
                                         const HttpResponse& response);

// A cancel reply. OK also when the upstream no longer knows the job (HTTP
// 404, NOT_FOUND refusals) and for 2xx replies without a body.
absl::Status ReadCancelReply(const Spec& spec, const HttpResponse& response);

// Best-guess MIME type of a result URL from its extension (query ignored);
// application/octet-stream when unknown.
std::string MimeTypeForUrl(absl::string_view url);

}  // namespace mediagw::http_async

#endif  // MEDIAGW_PROVIDERS_HTTP_ASYNC_HTTP_ASYNC_REPLY_H_
