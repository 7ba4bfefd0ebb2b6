// The declarative http_async provider: an asynchronous JSON job API whose
// whole protocol is the channel's configuration (HttpAsyncSpec in
// config.proto; examples in config/vendors/). Adding such a vendor needs a
// channel entry, no code.
//
// Behaviour (see core/provider.h for the interface contract):
//  - PreassignUpstreamId returns "": the vendor assigns job ids.
//  - CheckReady is FAILED_PRECONDITION "Server configuration error: API key
//    missing for channel '<name>'" when a call uses {{api_key}} and the
//    channel's api_key_env variable was unset when the provider was made.
//  - Submit renders the submit call with the task's slots, sends it to the
//    next base URL of the pool (round-robin) and returns the job id read at
//    id_pointer (numbers in textual form) and provider_state {"base_url"}.
//  - Poll renders the poll call ({{id}} = upstream id) against the recorded
//    base URL and maps the reply: state via state_map, progress, result
//    URLs as external OutputRefs (downloaded by the dispatcher through the
//    SSRF-checked fetcher, without our credentials), error text; HTTP 404
//    or a not-found body status is kNotFound.
//  - Resume: a record that already has an upstream id resumes it; otherwise
//    NOT_FOUND (the vendor assigns ids, so a submit cut short by a restart
//    cannot be found again, and a resubmit could charge twice).
//  - Cancel sends the cancel call when one is configured (OK when the
//    vendor no longer knows the job); without one, or before the upstream
//    has an id, it is OK at once: nothing to do.
//  - No push updates (Watch/Unwatch do nothing) and no callback
//    verification (UNIMPLEMENTED); {{callback_url}} only lets a vendor hint.
//
// Status codes: see http_async_reply.h for replies; INVALID_ARGUMENT when
// the task lacks a value a template needs in a path, header or inside a
// longer string; transport codes from the HttpClient unchanged.
//
// Threading: all methods are thread-safe and non-blocking. Callbacks run on
// the HttpClient loop thread (validation errors inline on the caller's).
//
// Ownership: `http` is not owned and must outlive the provider and every
// request it started.
#ifndef MEDIAGW_PROVIDERS_HTTP_ASYNC_HTTP_ASYNC_PROVIDER_H_
#define MEDIAGW_PROVIDERS_HTTP_ASYNC_HTTP_ASYNC_PROVIDER_H_

#include <memory>

#include "absl/status/statusor.h"
#include "core/provider.h"
#include "mediagw/config/config.pb.h"
#include "providers/registry.h"

namespace mediagw::http_async {

// Builds the provider of an http_async channel. The API key is read from
// channel.api_key_env now. The request timeout is channel.request_timeout_ms,
// else context.config->dispatch().request_timeout_ms, else 60 s.
// INVALID_ARGUMENT "config: channel '<name>'.http_async.<field>: ..." for a
// bad spec (see CompileSpec), or when context.http is null.
absl::StatusOr<std::shared_ptr<Provider>> NewHttpAsyncProvider(
    const config::Channel& channel, const ProviderContext& context);

}  // namespace mediagw::http_async

#endif  // MEDIAGW_PROVIDERS_HTTP_ASYNC_HTTP_ASYNC_PROVIDER_H_
