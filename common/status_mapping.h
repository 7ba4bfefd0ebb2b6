// The one place where status codes are translated between worlds:
// upstream HTTP -> absl, absl -> gRPC, absl -> legacy REST HTTP status.
#ifndef MEDIAGW_COMMON_STATUS_MAPPING_H_
#define MEDIAGW_COMMON_STATUS_MAPPING_H_

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "grpcpp/support/status.h"

namespace mediagw {

// Why a status happened, where one absl code covers several causes (a
// missing upstream key and an exhausted balance are both
// FAILED_PRECONDITION; a full disk must not read as a rate limit). Carried
// as a payload, so Annotate and other code-preserving copies keep it.
enum class Reason {
  kUpstreamKeyMissing,          // no API key configured for the channel
  kUpstreamCredentialsRefused,  // the upstream refused our key (401/403)
  kInsufficientBalance,         // our upstream account is out of credit (402)
  kRateLimited,                 // the upstream throttles us (429)
  kDiskFull,                    // our own storage is full (SQLite, blobs)
  // The upstream's refusal stands for this task: it is never sent to
  // another channel, whatever the code says.
  kUpstreamRefusedFinal,
  // The caller's own account (docs/ACCOUNTS.md): its balance cannot cover
  // the task's price (legacy 402 "Insufficient balance"), or it is over
  // one of its limits (429 with Retry-After).
  kCallerBalanceShort,
  kCallerOverLimit,
};

// `status` with `reason` attached (replacing any earlier one); OK stays OK.
absl::Status WithReason(absl::Status status, Reason reason);
// The attached reason, if any (unknown names, e.g. from a newer build, are
// std::nullopt).
std::optional<Reason> ReasonOf(const absl::Status& status);
// Stable name, e.g. "DISK_FULL"; also the payload's content.
std::string ReasonName(Reason reason);

// Maps an upstream's HTTP status to our code. An upstream 401/403 is our own
// credential problem (FAILED_PRECONDITION, reason
// kUpstreamCredentialsRefused), never the caller's UNAUTHENTICATED; 402 (our
// account is out of credit) is FAILED_PRECONDITION too (reason
// kInsufficientBalance); 408/429/455/5xx are UNAVAILABLE (retryable; 429
// with reason kRateLimited), 504 and 524 (a proxy timed out waiting for the
// origin) with the outcome-unknown mark below. `body_hint` is appended to
// the message.
absl::Status UpstreamHttpToStatus(int http_status, absl::string_view provider,
                                  absl::string_view body_hint);

// True for errors that may be retried on another channel before an upstream
// accepted the job. Never for reason kUpstreamRefusedFinal.
bool IsRetryable(const absl::Status& status);

// A transport failure after the request went out (reset, truncated or
// missing reply, timeout while waiting): the upstream may have acted on it.
// The mark is a payload, so it survives code-preserving copies of the
// status; a submit that fails this way is never sent to another channel.
absl::Status MarkOutcomeUnknown(absl::Status status);
bool IsOutcomeUnknown(const absl::Status& status);

// `status` with the upstream's Retry-After attached, when the answer was a
// 429 or 503 and `header` (the Retry-After value: delay-seconds, or an
// HTTP-date read against `now`) parses; the wait is capped at one hour and
// a date in the past is no wait. Anything else returns `status` unchanged.
// Carried as a payload, so Annotate keeps it.
absl::Status WithRetryAfter(absl::Status status, int http_status,
                            absl::string_view header, absl::Time now);
// The same, finding Retry-After in an upstream response's headers (names
// lower-cased, as HttpResponse::headers).
absl::Status WithRetryAfter(
    absl::Status status, int http_status,
    const std::vector<std::pair<std::string, std::string>>& headers,
    absl::Time now);
// The attached Retry-After wait, if any.
std::optional<absl::Duration> RetryAfterOf(const absl::Status& status);

// `status` with `prefix` put before its message; code and payloads (such as
// the mark above) are kept.
absl::Status Annotate(const absl::Status& status, absl::string_view prefix);

grpc::Status ToGrpcStatus(const absl::Status& status);

// HTTP status for the legacy/REST envelopes. The reason decides first:
// kDiskFull 503, kRateLimited 429, kUpstreamKeyMissing 500 (our
// configuration), kUpstreamCredentialsRefused and kInsufficientBalance 503
// (our upstream account: not the caller's doing, may come back);
// otherwise the code (the overload below).
int ToHttpStatus(const absl::Status& status);
int ToHttpStatus(absl::StatusCode code);

// Canonical upper-case name ("NOT_FOUND"); "UNKNOWN" for codes outside the
// canonical set.
std::string CodeName(absl::StatusCode code);

}  // namespace mediagw

#endif  // MEDIAGW_COMMON_STATUS_MAPPING_H_
