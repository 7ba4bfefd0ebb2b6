#include "providers/http_async/http_async_reply.h"

#include <algorithm>
#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "common/status_mapping.h"
#include "common/utf8.h"
#include "providers/http_async/http_async_codec.h"

namespace mediagw::http_async {
namespace {

// Outputs (videos especially) can take much longer than API replies.
constexpr absl::Duration kMinDownloadTimeout = absl::Minutes(2);
constexpr size_t kBodyHint = 200;

bool Is2xx(int status) { return status >= 200 && status < 300; }

absl::Status Malformed(const Spec& spec, absl::string_view what) {
  return absl::UnavailableError(absl::StrCat(
      "malformed upstream response from channel '", spec.channel, "': ", what));
}

absl::Status HttpError(const Spec& spec, const HttpResponse& r) {
  return WithRetryAfter(UpstreamHttpToStatus(
                            r.status, spec.channel,
                            SanitizeUpstreamText(r.body, kBodyHint)),
                        r.status, r.headers, absl::Now());
}

bool Contains(const std::vector<std::string>& list, absl::string_view v) {
  return std::find(list.begin(), list.end(), v) != list.end();
}

absl::StatusOr<JsonReply> ParseBody(const Spec& spec, const HttpResponse& r) {
  auto reply = JsonReply::Parse(r.body);
  if (!reply.ok()) return Malformed(spec, reply.status().message());
  return reply;
}

// The body-level status check (status_pointer / status_ok).
absl::Status CheckStatus(const Spec& spec, const JsonReply& reply) {
  if (spec.status_pointer.empty()) return absl::OkStatus();
  auto value = reply.Scalar(spec.status_pointer);
  if (!value.ok()) return Malformed(spec, value.status().message());
  if (!value->has_value()) {
    return Malformed(spec,
                     absl::StrCat("no status at '", spec.status_pointer, "'"));
  }
  const std::string& code = **value;
  if (Contains(spec.status_ok, code)) return absl::OkStatus();
  std::string message = absl::StrCat(
      spec.channel, " upstream refused the request: status ", code);
  if (!spec.status_message_pointer.empty()) {
    if (auto text = reply.Message(spec.status_message_pointer)) {
      absl::StrAppend(&message, ": ", SanitizeUpstreamText(*text, 300));
    }
  }
  if (Contains(spec.status_not_found, code)) {
    return absl::NotFoundError(message);
  }
  int http_like = 0;
  if (absl::SimpleAtoi(code, &http_like) && http_like >= 400 &&
      http_like <= 599) {
    return absl::Status(
        UpstreamHttpToStatus(http_like, spec.channel, "").code(), message);
  }
  return absl::UnknownError(message);
}

// scheme://authority of `base` ("" when it has none).
absl::string_view Origin(absl::string_view base) {
  const size_t scheme_end = base.find("://");
  if (scheme_end == absl::string_view::npos) return "";
  const size_t path = base.find('/', scheme_end + 3);
  return path == absl::string_view::npos ? base : base.substr(0, path);
}

absl::StatusOr<std::string> ResolveUrl(absl::string_view base,
                                       const std::string& url) {
  const std::string lower = absl::AsciiStrToLower(url.substr(0, 8));
  if (absl::StartsWith(lower, "http://") ||
      absl::StartsWith(lower, "https://")) {
    return url;
  }
  if (absl::StartsWith(url, "//")) {
    const size_t colon = base.find(':');
    if (colon == absl::string_view::npos) {
      return absl::InvalidArgumentError("no scheme to resolve " + url);
    }
    return absl::StrCat(base.substr(0, colon + 1), url);
  }
  if (absl::StartsWith(url, "/") && !Origin(base).empty()) {
    return absl::StrCat(Origin(base), url);
  }
  return absl::InvalidArgumentError(absl::StrCat(
      "result URL '", SanitizeUpstreamText(url, 100), "' is not an http(s) URL"));
}

std::string FailureText(const Spec& spec, const JsonReply& reply,
                        absl::string_view state) {
  for (const std::string& pointer : spec.error_pointers) {
    if (auto text = reply.Message(pointer)) {
      return SanitizeUpstreamText(*text, 1000);
    }
  }
  return absl::StrCat("the upstream reported state '", state, "'");
}

}  // namespace

std::string MimeTypeForUrl(absl::string_view url) {
  url = url.substr(0, url.find_first_of("?#"));
  const size_t dot = url.rfind('.');
  const size_t slash = url.rfind('/');
  if (dot == absl::string_view::npos ||
      (slash != absl::string_view::npos && dot < slash)) {
    return "application/octet-stream";
  }
  const std::string ext = absl::AsciiStrToLower(url.substr(dot + 1));
  if (ext == "png") return "image/png";
  if (ext == "jpg" || ext == "jpeg") return "image/jpeg";
  if (ext == "webp") return "image/webp";
  if (ext == "gif") return "image/gif";
  if (ext == "mp4") return "video/mp4";
  if (ext == "webm") return "video/webm";
  return "application/octet-stream";
}

absl::StatusOr<std::string> ReadSubmitReply(const Spec& spec,
                                            const HttpResponse& response) {
  if (!Is2xx(response.status)) return HttpError(spec, response);
  MG_ASSIGN_OR_RETURN(JsonReply reply, ParseBody(spec, response));
  MG_RETURN_IF_ERROR(CheckStatus(spec, reply));
  auto id = reply.Scalar(spec.id_pointer);
  if (!id.ok()) return Malformed(spec, id.status().message());
  if (!id->has_value() || (*id)->empty()) {
    return Malformed(spec,
                     absl::StrCat("no job id at '", spec.id_pointer, "'"));
  }
  return **std::move(id);
}

absl::StatusOr<PollResult> ReadPollReply(const Spec& spec,
                                         absl::string_view base_url,
                                         const HttpResponse& response) {
  PollResult out;
  if (response.status == 404) {
    out.state = UpstreamState::kNotFound;
    return out;
  }
  if (!Is2xx(response.status)) return HttpError(spec, response);
  MG_ASSIGN_OR_RETURN(JsonReply reply, ParseBody(spec, response));
  absl::Status status = CheckStatus(spec, reply);
  if (absl::IsNotFound(status)) {
    out.state = UpstreamState::kNotFound;
    return out;
  }
  MG_RETURN_IF_ERROR(status);

  auto state = reply.Scalar(spec.state_pointer);
  if (!state.ok()) return Malformed(spec, state.status().message());
  if (!state->has_value()) {
    return Malformed(
        spec, absl::StrCat("no job state at '", spec.state_pointer, "'"));
  }
  const std::string& upstream_state = **state;
  auto mapped = spec.state_map.find(upstream_state);
  if (mapped == spec.state_map.end()) {
    return absl::FailedPreconditionError(
        absl::StrCat("channel '", spec.channel, "': upstream state '",
                     SanitizeUpstreamText(upstream_state, 100), "' at '",
                     spec.state_pointer, "' is not in http_async.state_map"));
  }
  out.state = mapped->second;

  if (!spec.progress_pointer.empty()) {
    auto progress = reply.Number(spec.progress_pointer);
    if (progress.ok() && progress->has_value()) {
      out.progress = std::clamp(**progress / spec.progress_scale, 0.0, 1.0);
    }
  }

  if (out.state == UpstreamState::kFailed) {
    out.error = absl::InternalError(absl::StrCat(
        "channel '", spec.channel,
        "': the job failed: ", FailureText(spec, reply, upstream_state)));
    return out;
  }
  if (out.state != UpstreamState::kSucceeded) return out;

  out.progress = 1;
  for (const std::string& pointer : spec.result_url_pointers) {
    auto urls = reply.Strings(pointer);
    if (!urls.ok()) return Malformed(spec, urls.status().message());
    for (const std::string& raw : *urls) {
      auto url = ResolveUrl(base_url, raw);
      if (!url.ok()) return Malformed(spec, url.status().message());
      OutputRef ref;
      ref.request.method = "GET";
      ref.request.url = *std::move(url);
      ref.request.timeout = std::max(spec.request_timeout, kMinDownloadTimeout);
      ref.request.connect_timeout = absl::Seconds(5);
      ref.mime_type = MimeTypeForUrl(ref.request.url);
      ref.external = true;
      out.outputs.push_back(std::move(ref));
    }
  }
  if (out.outputs.empty()) {
    out.state = UpstreamState::kFailed;
    out.error = absl::InternalError(absl::StrCat(
        "channel '", spec.channel, "': the upstream reported state '",
        upstream_state, "' without any result URL"));
  }
  return out;
}

absl::Status ReadCancelReply(const Spec& spec, const HttpResponse& response) {
  if (response.status == 404) return absl::OkStatus();
  if (!Is2xx(response.status)) return HttpError(spec, response);
  if (absl::StripAsciiWhitespace(response.body).empty()) {
    return absl::OkStatus();
  }
  MG_ASSIGN_OR_RETURN(JsonReply reply, ParseBody(spec, response));
  absl::Status status = CheckStatus(spec, reply);
  return absl::IsNotFound(status) ? absl::OkStatus() : status;
}

}  // namespace mediagw::http_async
