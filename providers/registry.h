// Creates provider instances from configured channels. The only place that
// maps a provider kind ("comfyui", ...) to its implementation.
#ifndef MEDIAGW_PROVIDERS_REGISTRY_H_
#define MEDIAGW_PROVIDERS_REGISTRY_H_

#include <memory>

#include "absl/status/statusor.h"
#include "core/http_client.h"
#include "core/provider.h"
#include "mediagw/config/config.pb.h"

namespace mediagw {

struct ProviderContext {
  HttpClient* http;                      // outlives the providers
  const config::Config* config;          // whole config (templates, ...)
};

// INVALID_ARGUMENT naming the channel for an unknown kind or bad settings.
absl::StatusOr<std::shared_ptr<Provider>> CreateProvider(
    const config::Channel& channel, const ProviderContext& context);

}  // namespace mediagw

#endif  // MEDIAGW_PROVIDERS_REGISTRY_H_
