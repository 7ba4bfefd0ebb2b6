// The flow shared by the synchronous OpenAI-style image providers (xai and
// openai_compat): one POST <base>/v1/images/generations per task, with the
// images in the reply. Each upstream supplies only its request body.
//
// Behaviour (see core/provider.h for the interface contract):
//  - CheckReady: FAILED_PRECONDITION with `missing_key_message` when the
//    channel's API key is not configured; Submit then fails the same way.
//  - PreassignUpstreamId: "" (the upstream has no caller-chosen ids).
//  - Submit builds the body, sends it with "Authorization: Bearer <key>" to
//    the next base URL of the pool (round robin) and returns the images at
//    once in SubmitResult.outputs: a b64_json result as its decoded bytes
//    (OutputRef.data), a URL result as a GET of that URL with
//    external=true, so the dispatcher fetches it through the SSRF-checked
//    fetcher (never with our key). upstream_id is "<created>-<task id>"
//    ("<task id>" when the reply has no `created`); provider_state keeps
//    the result URLs (and usage counts) for a Poll after a restart.
//  - Poll answers from provider_state without a request: kSucceeded with the
//    same URL outputs; kFailed with DATA_LOSS "inline results were lost in a
//    restart" when any result was inline (a partial set would silently drop
//    images); kNotFound when there is no provider_state; kFailed DATA_LOSS
//    when it is unreadable.
//  - Resume (a record left in SUBMITTING by a crash): the upstream has no
//    idempotency and no way to look a generation up, so it submits again.
//    The upstream may charge us twice; the caller is charged once (the hold
//    is per task).
//  - Cancel: OK; a synchronous call has nothing to cancel upstream.
//  - Watch/Unwatch: no push updates.
//
// Status codes: INVALID_ARGUMENT from the body builder (never retried);
// FAILED_PRECONDITION for a missing key and for an upstream 401/403/402;
// upstream replies as described in openai_images_codec.h; transport codes
// from the HttpClient (UNAVAILABLE, DEADLINE_EXCEEDED), with the client's
// outcome-unknown mark kept when the request had gone out (the dispatcher
// then does not send the generation to another channel).
//
// Threading: every method is thread-safe and non-blocking. Submit/Resume
// callbacks run on `executor` once a reply arrived (parsing and base64
// decoding happen there), on the HttpClient loop thread for transport
// errors (and for every reply when there is no executor), or inline for
// errors found before sending; Poll and Cancel callbacks always run inline.
//
// Ownership: `http` is not owned and must outlive the provider and every
// request it started. Callbacks hold no pointer to the provider.
#ifndef MEDIAGW_PROVIDERS_OPENAI_COMPAT_OPENAI_IMAGES_PROVIDER_H_
#define MEDIAGW_PROVIDERS_OPENAI_COMPAT_OPENAI_IMAGES_PROVIDER_H_

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "core/http_client.h"
#include "core/provider.h"
#include "mediagw/config/config.pb.h"
#include "providers/registry.h"

namespace mediagw::openai_images {

struct EndpointOptions {
  std::string provider;  // Name() and error prefix: "xai", "openai_compat"
  std::string channel_name;
  // Origins (optionally with a path prefix), e.g. "https://api.x.ai"; the
  // endpoint path is appended. A trailing "/" or "/v1" is dropped.
  std::vector<std::string> base_urls;
  std::optional<std::string> api_key;  // nullopt: not configured
  std::string missing_key_message;
  absl::Duration request_timeout = absl::Seconds(60);
  absl::Duration connect_timeout = absl::Seconds(5);
  // The JSON body for one task. INVALID_ARGUMENT when the request cannot run
  // on this upstream. Runs on the caller's thread of Submit/Resume; must be
  // thread-safe.
  std::function<absl::StatusOr<std::string>(const TaskRecord&)> build_body;
  // Where a reply is parsed and its base64 images decoded (several MB each):
  // not on the HTTP loop thread. Not owned; outlives the provider and its
  // requests. Null: on the loop thread.
  Executor* executor = nullptr;
};

// INVALID_ARGUMENT when `http` or build_body is null, base_urls is empty or
// holds an empty URL.
absl::StatusOr<std::shared_ptr<Provider>> NewImagesProvider(
    EndpointOptions options, HttpClient* http);

// The settings every images channel shares: base_urls, the key from the
// environment variable api_key_env (unset or empty: no key), and the
// request timeout (channel.request_timeout_ms, else
// dispatch.request_timeout_ms, else 60 s) and connect timeout
// (dispatch.connect_timeout_ms, else 5 s). provider, missing_key_message and
// build_body are left for the caller.
EndpointOptions EndpointOptionsFromChannel(const config::Channel& channel,
                                           const ProviderContext& context);

// channel.response_format: "" means "url"; "url" and "b64_json" pass;
// anything else is INVALID_ARGUMENT naming the channel.
absl::StatusOr<std::string> ResponseFormatFromChannel(
    const config::Channel& channel);

}  // namespace mediagw::openai_images

#endif  // MEDIAGW_PROVIDERS_OPENAI_COMPAT_OPENAI_IMAGES_PROVIDER_H_
