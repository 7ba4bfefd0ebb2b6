// The kie.ai provider: image and image-to-video jobs through kie's unified
// jobs API (POST /api/v1/jobs/createTask, GET /api/v1/jobs/recordInfo) and
// its signed completion callbacks. Wire shapes are in kie_codec.h.
//
// Behaviour (see core/provider.h for the interface contract):
//  - CheckReady: FAILED_PRECONDITION "Server configuration error: kie API
//    key missing" when the channel has no API key; Submit and Poll refuse
//    the same way.
//  - Submit sends {model, callBackUrl, input}. The model is
//    record.request().model() (the workflow default is already there), else
//    "grok-imagine/text-to-image" for image tasks and
//    "grok-imagine/image-to-video" for video tasks
//    (record.task().kind() == TASK_KIND_VIDEO). Image input: prompt and the
//    aspect ratio ("1:1", "2:3", "3:2") nearest to width x height; kie makes
//    one image per task, so n > 1 is INVALID_ARGUMENT. Video input: prompt
//    and image_urls [SubmitContext.input_url] (FAILED_PRECONDITION when the
//    dispatcher has no public URL for the input). callBackUrl is
//    SubmitContext.callback_url, sent only when the channel can verify
//    callbacks (a webhook secret is set) and the URL is not empty.
//    Returns the kie taskId as upstream_id; provider_state stays empty.
//  - createTask body codes other than 200 map through CreateTaskCodeToStatus
//    (kie_codec.h): 401/402 FAILED_PRECONDITION, 422 INVALID_ARGUMENT,
//    429/455/5xx (501 and 505 included) UNAVAILABLE (retryable: no job was
//    created). recordInfo body codes map through BodyCodeToStatus: 401/402/505
//    FAILED_PRECONDITION, 501 INTERNAL, 429/455/other 5xx UNAVAILABLE. A 2xx
//    createTask reply that
//    cannot be read is INTERNAL, never retried: kie may have created (and
//    will charge for) the job.
//  - Resume: kie assigns ids, so a record left in SUBMITTING without an
//    upstream id cannot be found again: NOT_FOUND (a blind resubmit would
//    charge twice). With an upstream id, recordInfo confirms the job.
//  - Poll reads recordInfo: waiting/queuing -> kQueued, generating ->
//    kRunning, success -> kSucceeded with each resultUrl as an external
//    OutputRef (downloaded by the dispatcher through the SSRF-checked
//    fetcher, without our API key), fail -> kFailed (FailureToStatus), code
//    404 or no record -> kNotFound. A success without usable result URLs is
//    kFailed INTERNAL. Unknown states and malformed replies are UNAVAILABLE.
//  - Cancel: kie has no cancel call; the job runs to its end upstream.
//    Always OK.
//  - Watch/Unwatch: no push channel besides callbacks; no-ops.
//  - VerifyCallback: UNAUTHENTICATED "callbacks are not configured" without
//    a webhook secret; UNAUTHENTICATED for a missing or malformed
//    X-Webhook-Timestamp / X-Webhook-Signature, a timestamp more than
//    max_callback_skew away from the clock, or a signature other than
//    base64(HMAC-SHA256(secret, taskId + "." + timestamp)) (compared in
//    constant time); INVALID_ARGUMENT for a body that is not a kie callback
//    or names a task other than record.upstream_id(). OK means "poll now".
//
// Threading: all methods are thread-safe and non-blocking. Callbacks run on
// the HttpClient loop thread, or inline on the caller's thread for errors
// found before a request is sent.
//
// Ownership: `http` (and options.clock, when set) are not owned and must
// outlive the provider and every request it started.
#ifndef MEDIAGW_PROVIDERS_KIE_KIE_PROVIDER_H_
#define MEDIAGW_PROVIDERS_KIE_KIE_PROVIDER_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/clock.h"
#include "core/http_client.h"
#include "core/provider.h"
#include "mediagw/config/config.pb.h"

namespace mediagw::kie {

struct KieOptions {
  std::string channel_name;
  // e.g. "https://api.kie.ai"; the API paths are appended.
  std::string base_url;
  // Bearer key. Empty: the channel loads but refuses work (CheckReady).
  std::string api_key;
  // HMAC key of kie's callbacks. Empty: no callBackUrl is sent and every
  // callback is refused; only polling is used.
  std::string webhook_secret;
  absl::Duration request_timeout = absl::Seconds(30);
  // Per result download (videos are large).
  absl::Duration download_timeout = absl::Minutes(2);
  absl::Duration max_callback_skew = absl::Seconds(300);
  // Time source of VerifyCallback; nullptr = the real clock.
  const Clock* clock = nullptr;
};

// INVALID_ARGUMENT naming the channel when base_url is not an http(s) URL
// or `http` is null.
absl::StatusOr<std::shared_ptr<Provider>> NewKieProvider(KieOptions options,
                                                         HttpClient* http);

// The provider of a configured channel: base_urls[0] (exactly one URL),
// the key from the environment variable api_key_env and the webhook secret
// from webhook_secret_env (unset variables leave them empty, see
// KieOptions), request_timeout_ms or else dispatch.request_timeout_ms.
// INVALID_ARGUMENT naming the channel for bad settings.
absl::StatusOr<std::shared_ptr<Provider>> NewKieProviderFromConfig(
    const config::Channel& channel, const config::Config& config,
    HttpClient* http);

}  // namespace mediagw::kie

#endif  // MEDIAGW_PROVIDERS_KIE_KIE_PROVIDER_H_
