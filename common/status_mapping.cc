#include "common/status_mapping.h"

#include <algorithm>
#include <string>

#include "absl/strings/ascii.h"
#include "absl/strings/cord.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "common/utf8.h"

namespace mediagw {

absl::Status UpstreamHttpToStatus(int http_status, absl::string_view provider,
                                  absl::string_view body_hint) {
  std::string msg =
      absl::StrCat(provider, " upstream returned HTTP ", http_status);
  if (!body_hint.empty()) {
    absl::StrAppend(&msg, ": ", SanitizeUpstreamText(body_hint, 300));
  }
  if (http_status >= 200 && http_status < 300) return absl::OkStatus();
  switch (http_status) {
    case 400:
    case 422:
      return absl::InvalidArgumentError(msg);
    case 401:
    case 403:
      // The upstream rejected *our* credentials: an operator problem.
      return WithReason(absl::FailedPreconditionError(msg),
                        Reason::kUpstreamCredentialsRefused);
    case 402:
      // Our account is out of credit: an operator problem, not retried.
      return WithReason(absl::FailedPreconditionError(msg),
                        Reason::kInsufficientBalance);
    case 404:
      return absl::NotFoundError(msg);
    case 429:
      return WithReason(absl::UnavailableError(msg), Reason::kRateLimited);
    case 408:
    case 455:  // kie: service under maintenance
      return absl::UnavailableError(msg);
    default:
      break;
  }
  // A gateway timeout in front of the upstream (504, Cloudflare's 524)
  // means the origin got the request and may still be working on it.
  if (http_status == 504 || http_status == 524) {
    return MarkOutcomeUnknown(absl::UnavailableError(msg));
  }
  if (http_status >= 500) return absl::UnavailableError(msg);
  return absl::UnknownError(msg);
}

bool IsRetryable(const absl::Status& status) {
  if (ReasonOf(status) == Reason::kUpstreamRefusedFinal) return false;
  switch (status.code()) {
    case absl::StatusCode::kUnavailable:
    case absl::StatusCode::kDeadlineExceeded:
    case absl::StatusCode::kResourceExhausted:
    case absl::StatusCode::kAborted:
      return true;
    default:
      return false;
  }
}

namespace {
constexpr absl::string_view kOutcomeUnknownUrl =
    "type.mediagw.dev/outcome-unknown";
constexpr absl::string_view kReasonUrl = "type.mediagw.dev/reason";

constexpr Reason kAllReasons[] = {
    Reason::kUpstreamKeyMissing, Reason::kUpstreamCredentialsRefused,
    Reason::kInsufficientBalance, Reason::kRateLimited,
    Reason::kDiskFull,           Reason::kUpstreamRefusedFinal,
    Reason::kCallerBalanceShort, Reason::kCallerOverLimit,
};
}  // namespace

std::string ReasonName(Reason reason) {
  switch (reason) {
    case Reason::kUpstreamKeyMissing:
      return "UPSTREAM_KEY_MISSING";
    case Reason::kUpstreamCredentialsRefused:
      return "UPSTREAM_CREDENTIALS_REFUSED";
    case Reason::kInsufficientBalance:
      return "INSUFFICIENT_BALANCE";
    case Reason::kRateLimited:
      return "RATE_LIMITED";
    case Reason::kDiskFull:
      return "DISK_FULL";
    case Reason::kCallerBalanceShort:
      return "CALLER_BALANCE_SHORT";
    case Reason::kCallerOverLimit:
      return "CALLER_OVER_LIMIT";
    case Reason::kUpstreamRefusedFinal:
      return "UPSTREAM_REFUSED_FINAL";
  }
  return "UNKNOWN";
}

absl::Status WithReason(absl::Status status, Reason reason) {
  if (!status.ok()) status.SetPayload(kReasonUrl, absl::Cord(ReasonName(reason)));
  return status;
}

std::optional<Reason> ReasonOf(const absl::Status& status) {
  auto payload = status.GetPayload(kReasonUrl);
  if (!payload.has_value()) return std::nullopt;
  for (Reason r : kAllReasons) {
    if (*payload == ReasonName(r)) return r;
  }
  return std::nullopt;
}

absl::Status MarkOutcomeUnknown(absl::Status status) {
  if (!status.ok()) status.SetPayload(kOutcomeUnknownUrl, absl::Cord("1"));
  return status;
}

bool IsOutcomeUnknown(const absl::Status& status) {
  return status.GetPayload(kOutcomeUnknownUrl).has_value();
}

namespace {
constexpr absl::string_view kRetryAfterUrl = "type.mediagw.dev/retry-after-ms";
constexpr absl::Duration kMaxRetryAfter = absl::Hours(1);
}  // namespace

absl::Status WithRetryAfter(absl::Status status, int http_status,
                            absl::string_view header, absl::Time now) {
  if (status.ok() || (http_status != 429 && http_status != 503)) return status;
  header = absl::StripAsciiWhitespace(header);
  if (header.empty() || header.size() > 64) return status;
  absl::Duration wait;
  int64_t seconds = 0;
  if (absl::SimpleAtoi(header, &seconds)) {
    if (seconds < 0) return status;
    wait = absl::Seconds(std::min<int64_t>(seconds, 3600));
  } else {
    absl::Time when;
    std::string err;
    if (!absl::ParseTime("%a, %d %b %Y %H:%M:%S GMT", header,
                         absl::UTCTimeZone(), &when, &err)) {
      return status;
    }
    wait = std::max(when - now, absl::ZeroDuration());
  }
  wait = std::min(wait, kMaxRetryAfter);
  status.SetPayload(kRetryAfterUrl,
                    absl::Cord(absl::StrCat(absl::ToInt64Milliseconds(wait))));
  return status;
}

absl::Status WithRetryAfter(
    absl::Status status, int http_status,
    const std::vector<std::pair<std::string, std::string>>& headers,
    absl::Time now) {
  for (const auto& [name, value] : headers) {
    if (name == "retry-after") {
      return WithRetryAfter(std::move(status), http_status, value, now);
    }
  }
  return status;
}

std::optional<absl::Duration> RetryAfterOf(const absl::Status& status) {
  auto payload = status.GetPayload(kRetryAfterUrl);
  if (!payload.has_value()) return std::nullopt;
  int64_t ms = 0;
  if (!absl::SimpleAtoi(std::string(*payload), &ms) || ms < 0) {
    return std::nullopt;
  }
  return std::min(absl::Milliseconds(ms), kMaxRetryAfter);
}

absl::Status Annotate(const absl::Status& status, absl::string_view prefix) {
  if (status.ok()) return status;
  absl::Status out(status.code(), absl::StrCat(prefix, status.message()));
  status.ForEachPayload([&out](absl::string_view url, const absl::Cord& p) {
    out.SetPayload(url, p);
  });
  return out;
}

grpc::Status ToGrpcStatus(const absl::Status& status) {
  if (status.ok()) return grpc::Status::OK;
  // absl and gRPC canonical codes share their numeric values.
  return grpc::Status(static_cast<grpc::StatusCode>(status.code()),
                      std::string(status.message()));
}

int ToHttpStatus(const absl::Status& status) {
  if (auto reason = ReasonOf(status); reason.has_value()) {
    switch (*reason) {
      case Reason::kDiskFull:
        return 503;
      case Reason::kRateLimited:
        return 429;
      case Reason::kUpstreamKeyMissing:
        return 500;
      case Reason::kUpstreamCredentialsRefused:
      case Reason::kInsufficientBalance:
        return 503;
      case Reason::kCallerBalanceShort:
        return 402;
      case Reason::kCallerOverLimit:
        return 429;
      case Reason::kUpstreamRefusedFinal:
        break;  // the code says it
    }
  }
  return ToHttpStatus(status.code());
}

int ToHttpStatus(absl::StatusCode code) {
  switch (code) {
    case absl::StatusCode::kOk:
      return 200;
    case absl::StatusCode::kInvalidArgument:
    case absl::StatusCode::kOutOfRange:
      return 400;
    case absl::StatusCode::kUnauthenticated:
      return 401;
    case absl::StatusCode::kPermissionDenied:
      return 403;
    case absl::StatusCode::kNotFound:
      return 404;
    case absl::StatusCode::kAlreadyExists:
    case absl::StatusCode::kAborted:
      return 409;
    case absl::StatusCode::kFailedPrecondition:
      return 412;
    case absl::StatusCode::kResourceExhausted:
      return 429;
    case absl::StatusCode::kCancelled:
      return 499;
    case absl::StatusCode::kUnimplemented:
      return 501;
    case absl::StatusCode::kUnavailable:
      return 503;
    case absl::StatusCode::kDeadlineExceeded:
      return 504;
    default:
      return 500;
  }
}

std::string CodeName(absl::StatusCode code) {
  std::string name = absl::StatusCodeToString(code);
  return name.empty() ? "UNKNOWN" : name;
}

}  // namespace mediagw
