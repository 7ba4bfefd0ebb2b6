// Creates provider instances from configured channels. The only place that
// maps a provider kind ("comfyui", ...) to its implementation.
#ifndef MEDIAGW_PROVIDERS_REGISTRY_H_
#define MEDIAGW_PROVIDERS_REGISTRY_H_

#include <memory>

#include "absl/status/statusor.h"
#include "common/thread_pool.h"
#include "core/breaker_board.h"
#include "core/http_client.h"
#include "core/provider.h"
#include "mediagw/config/config.pb.h"

namespace mediagw {

struct ProviderContext {
  HttpClient* http;              // outlives the providers
  const config::Config* config;  // whole config (templates, ...)
  // Worker pool for heavy reply handling (decoding inline images), so it
  // stays off the HTTP client's loop thread. Outlives the providers and
  // every request they start. Null: that work runs on the loop thread.
  Executor* executor = nullptr;
  // Circuit breakers: CreateProvider registers the channel (a ComfyUI pool:
  // each base URL). Null: no breakers. Outlives the providers.
  BreakerBoard* breakers = nullptr;
};

// INVALID_ARGUMENT naming the channel for an unknown kind or bad settings.
// The provider's HTTP calls go through a MeteredHttpClient named after the
// channel (mediagw_upstream_request_duration_seconds), owned with it.
absl::StatusOr<std::shared_ptr<Provider>> CreateProvider(
    const config::Channel& channel, const ProviderContext& context);

}  // namespace mediagw

#endif  // MEDIAGW_PROVIDERS_REGISTRY_H_
