#include "providers/kie/kie_provider.h"

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/config.h"
#include "common/status_mapping.h"
#include "common/crypto.h"
#include "providers/kie/kie_codec.h"

namespace mediagw::kie {
namespace {

constexpr absl::string_view kMissingKey =
    "Server configuration error: kie API key missing";

bool IsVideo(const TaskRecord& record) {
  return record.task().kind() == v1::TASK_KIND_VIDEO;
}

absl::string_view HeaderValue(const HttpHeaders& headers,
                              absl::string_view name) {
  for (const auto& [key, value] : headers) {
    if (absl::EqualsIgnoreCase(key, name)) return value;
  }
  return {};
}

// An error answer with the Retry-After it came with (on a 429 or 503), so
// the dispatcher's retry waits at least that long. kie may say "rate
// limited" as code 429 in a 200 envelope; that counts as a 429.
absl::Status WithUpstreamRetryAfter(absl::Status status,
                                    const HttpResponse& response) {
  int http_status = response.status;
  if (ReasonOf(status) == Reason::kRateLimited) http_status = 429;
  return WithRetryAfter(std::move(status), http_status, response.headers,
                        absl::Now());
}

PollResult StateOnly(UpstreamState state) {
  PollResult r;
  r.state = state;
  return r;
}

PollResult ToPollResult(const TaskInfo& info, bool video,
                        absl::Duration download_timeout) {
  switch (info.state) {
    case TaskInfo::State::kWaiting:
    case TaskInfo::State::kQueuing:
      return StateOnly(UpstreamState::kQueued);
    case TaskInfo::State::kGenerating:
      return StateOnly(UpstreamState::kRunning);
    case TaskInfo::State::kNotFound:
      return StateOnly(UpstreamState::kNotFound);
    case TaskInfo::State::kFail: {
      PollResult r = StateOnly(UpstreamState::kFailed);
      r.error = FailureToStatus(info.fail_code, info.fail_msg);
      return r;
    }
    case TaskInfo::State::kSuccess:
      break;
  }
  if (info.result_urls.empty()) {
    PollResult r = StateOnly(UpstreamState::kFailed);
    r.error = absl::InternalError(absl::StrCat(
        "kie reported success without a usable result: ", info.result_problem));
    return r;
  }
  PollResult r = StateOnly(UpstreamState::kSucceeded);
  r.progress = 1;
  for (const std::string& url : info.result_urls) {
    OutputRef ref;
    ref.request.method = "GET";
    ref.request.url = url;
    ref.request.timeout = download_timeout;
    ref.mime_type = MimeTypeForUrl(url, video ? "video/mp4" : "image/png");
    ref.external = true;
    r.outputs.push_back(std::move(ref));
  }
  return r;
}

class KieProvider : public Provider {
 public:
  KieProvider(KieOptions options, HttpClient* http)
      : options_(std::move(options)),
        http_(http),
        clock_(options_.clock != nullptr ? options_.clock : &real_clock_) {}

  absl::string_view Name() const override { return "kie"; }

  // One image (or video) per job; a prompt is text.
  ProviderLimits LimitsFor(absl::string_view) const override {
    ProviderLimits limits;
    limits.max_outputs = 1;
    return limits;
  }

  // kie chooses the task id.
  std::string PreassignUpstreamId(const TaskRecord&) override { return ""; }

  absl::Status CheckReady() const override {
    if (options_.api_key.empty()) {
      return WithReason(absl::FailedPreconditionError(kMissingKey),
                        Reason::kUpstreamKeyMissing);
    }
    return absl::OkStatus();
  }

  void Submit(const TaskRecord& record, const SubmitContext& context,
              std::function<void(absl::StatusOr<SubmitResult>)> done) override {
    if (absl::Status ready = CheckReady(); !ready.ok()) return done(ready);
    auto body = CreateTaskBody(record, context);
    if (!body.ok()) return done(body.status());
    HttpRequest req = Request("POST", "/api/v1/jobs/createTask");
    req.headers.emplace_back("Content-Type", "application/json");
    req.body = *std::move(body);
    http_->Send(std::move(req),
                [done = std::move(done)](absl::StatusOr<HttpResponse> r) {
                  if (!r.ok()) return done(r.status());
                  auto id = ParseCreateTaskResponse(r->status, r->body);
                  if (!id.ok()) {
                    return done(WithUpstreamRetryAfter(id.status(), *r));
                  }
                  SubmitResult result;
                  result.upstream_id = *std::move(id);
                  done(std::move(result));
                });
  }

  void Resume(const TaskRecord& record, const SubmitContext& context,
              std::function<void(absl::StatusOr<SubmitResult>)> done) override {
    (void)context;
    if (record.upstream_id().empty()) {
      return done(absl::NotFoundError(
          "kie assigns task ids: a job whose createTask reply was lost cannot "
          "be found again, and submitting it again would charge twice"));
    }
    Poll(record, [id = record.upstream_id(),
                  done = std::move(done)](absl::StatusOr<PollResult> r) {
      if (!r.ok()) return done(r.status());
      if (r->state == UpstreamState::kNotFound) {
        return done(
            absl::NotFoundError(absl::StrCat("kie does not know task ", id)));
      }
      SubmitResult result;
      result.upstream_id = id;
      done(std::move(result));
    });
  }

  void Poll(const TaskRecord& record,
            std::function<void(absl::StatusOr<PollResult>)> done) override {
    if (absl::Status ready = CheckReady(); !ready.ok()) return done(ready);
    if (record.upstream_id().empty()) {
      return done(StateOnly(UpstreamState::kNotFound));
    }
    HttpRequest req =
        Request("GET", absl::StrCat("/api/v1/jobs/recordInfo?taskId=",
                                    UrlEncode(record.upstream_id())));
    http_->Send(std::move(req),
                [id = record.upstream_id(), video = IsVideo(record),
                 timeout = options_.download_timeout,
                 done = std::move(done)](absl::StatusOr<HttpResponse> r) {
                  if (!r.ok()) return done(r.status());
                  auto info = ParseRecordInfo(r->status, r->body, id);
                  if (!info.ok()) {
                    return done(WithUpstreamRetryAfter(info.status(), *r));
                  }
                  done(ToPollResult(*info, video, timeout));
                });
  }

  void Cancel(const TaskRecord& record,
              std::function<void(absl::Status)> done) override {
    (void)record;
    done(absl::OkStatus());
  }

  void Watch(const TaskRecord&, ProviderListener*) override {}
  void Unwatch(const std::string&) override {}

  absl::Status VerifyCallback(const TaskRecord& record,
                              const CallbackRequest& request) const override {
    if (options_.webhook_secret.empty()) {
      return absl::UnauthenticatedError("callbacks are not configured");
    }
    const std::string timestamp = std::string(absl::StripAsciiWhitespace(
        HeaderValue(request.headers, "x-webhook-timestamp")));
    const std::string signature = std::string(absl::StripAsciiWhitespace(
        HeaderValue(request.headers, "x-webhook-signature")));
    if (timestamp.empty() || signature.empty()) {
      return absl::UnauthenticatedError(
          "kie callback: missing X-Webhook-Timestamp or X-Webhook-Signature");
    }
    int64_t seconds = 0;
    if (!absl::SimpleAtoi(timestamp, &seconds)) {
      return absl::UnauthenticatedError(
          "kie callback: X-Webhook-Timestamp is not unix seconds");
    }
    const int64_t now = absl::ToUnixSeconds(clock_->Now());
    // Bounded so that the sums below cannot overflow.
    const int64_t skew = std::clamp<int64_t>(
        absl::ToInt64Seconds(options_.max_callback_skew), 0, int64_t{1} << 32);
    if (seconds > now + skew || seconds < now - skew) {
      return absl::UnauthenticatedError(absl::StrCat(
          "kie callback: timestamp is more than ", skew, " s away from now"));
    }
    auto task_id = ParseCallbackTaskId(request.body);
    if (!task_id.ok()) return task_id.status();
    const std::string expected = absl::Base64Escape(HmacSha256(
        options_.webhook_secret, absl::StrCat(*task_id, ".", timestamp)));
    if (!ConstantTimeEquals(expected, signature)) {
      return absl::UnauthenticatedError("kie callback: bad signature");
    }
    if (*task_id != record.upstream_id()) {
      return absl::InvalidArgumentError(
          "kie callback: it is about another task");
    }
    return absl::OkStatus();
  }

 private:
  HttpRequest Request(absl::string_view method, absl::string_view path) const {
    HttpRequest r;
    r.method = std::string(method);
    r.url = absl::StrCat(options_.base_url, path);
    r.timeout = options_.request_timeout;
    r.connect_timeout = std::min(options_.request_timeout, absl::Seconds(5));
    r.headers.emplace_back("Authorization",
                           absl::StrCat("Bearer ", options_.api_key));
    return r;
  }

  absl::StatusOr<std::string> CreateTaskBody(
      const TaskRecord& record, const SubmitContext& context) const {
    const v1::SubmitImageRequest& request = record.request();
    CreateTaskRequest body;
    body.model = request.model();
    body.prompt = request.prompt();
    if (IsVideo(record)) {
      if (body.model.empty()) body.model = record.video().model();
      if (body.model.empty()) body.model = std::string(kDefaultVideoModel);
      if (body.prompt.empty()) body.prompt = record.video().prompt();
      if (context.input_url.empty()) {
        return absl::FailedPreconditionError(
            "kie image-to-video needs a public URL of the input image");
      }
      body.image_urls.push_back(context.input_url);
    } else {
      if (body.model.empty()) body.model = std::string(kDefaultImageModel);
      if (request.has_n() && request.n() > 1) {
        return absl::InvalidArgumentError(
            "kie makes one image per task: n must be 1");
      }
      body.aspect_ratio = NearestAspectRatio(request.width(), request.height());
    }
    if (!options_.webhook_secret.empty()) {
      body.callback_url = context.callback_url;
    }
    return BuildCreateTaskBody(body);
  }

  const KieOptions options_;
  HttpClient* const http_;
  RealClock real_clock_;
  const Clock* const clock_;
};

}  // namespace

absl::StatusOr<std::shared_ptr<Provider>> NewKieProvider(KieOptions options,
                                                         HttpClient* http) {
  if (http == nullptr) {
    return absl::InvalidArgumentError("kie provider needs an HTTP client");
  }
  std::string base = options.base_url;
  while (absl::EndsWith(base, "/")) base.pop_back();
  const std::string lower = absl::AsciiStrToLower(base);
  if (!(absl::StartsWith(lower, "http://") ||
        absl::StartsWith(lower, "https://")) ||
      base.find_first_of("?# \t\r\n") != std::string::npos) {
    return absl::InvalidArgumentError(
        absl::StrCat("kie channel '", options.channel_name,
                     "': base url must be an http(s) URL, got '", base, "'"));
  }
  options.base_url = std::move(base);
  return std::shared_ptr<Provider>(
      std::make_shared<KieProvider>(std::move(options), http));
}

absl::StatusOr<std::shared_ptr<Provider>> NewKieProviderFromConfig(
    const config::Channel& channel, const config::Config& config,
    HttpClient* http) {
  if (channel.base_urls_size() != 1) {
    return absl::InvalidArgumentError(absl::StrCat(
        "config: channel '", channel.name(),
        "': a kie channel takes exactly one base URL (kie tracks a task on "
        "the host that created it)"));
  }
  KieOptions options;
  options.channel_name = channel.name();
  options.base_url = channel.base_urls(0);
  // An unset variable leaves the channel loaded but refusing work.
  if (!channel.api_key_env().empty()) {
    options.api_key = SecretFromEnv(channel.api_key_env()).value_or("");
  }
  if (!channel.webhook_secret_env().empty()) {
    options.webhook_secret =
        SecretFromEnv(channel.webhook_secret_env()).value_or("");
  }
  const uint32_t timeout_ms = channel.request_timeout_ms() != 0
                                  ? channel.request_timeout_ms()
                                  : config.dispatch().request_timeout_ms();
  if (timeout_ms != 0) options.request_timeout = absl::Milliseconds(timeout_ms);
  auto provider = NewKieProvider(std::move(options), http);
  if (!provider.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("config: ", provider.status().message()));
  }
  return provider;
}

}  // namespace mediagw::kie
