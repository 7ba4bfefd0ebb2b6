// The xAI Grok image provider (workflow "grok"): a synchronous
// POST <base>/v1/images/generations with a Bearer key; the body is built by
// xai_codec, the flow is the shared synchronous images flow (see
// providers/openai_compat/openai_images_provider.h for Submit, Poll after a
// restart, Resume, Cancel, status codes and threading).
//
// Without a key, the channel loads but CheckReady() and Submit fail with
// FAILED_PRECONDITION "Server configuration error: Grok API key missing",
// the message the legacy surface documents.
//
// Channel configuration: base_urls (e.g. "https://api.x.ai"), api_key_env,
// response_format ("url" default, or "b64_json"), request_timeout_ms.
#ifndef MEDIAGW_PROVIDERS_XAI_XAI_PROVIDER_H_
#define MEDIAGW_PROVIDERS_XAI_XAI_PROVIDER_H_

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "core/http_client.h"
#include "core/provider.h"
#include "mediagw/config/config.pb.h"
#include "providers/registry.h"

namespace mediagw::xai {

inline constexpr absl::string_view kMissingKeyMessage =
    "Server configuration error: Grok API key missing";

struct XaiOptions {
  std::string channel_name;
  std::vector<std::string> base_urls;   // at least one
  std::optional<std::string> api_key;   // nullopt: not configured
  std::string response_format = "url";  // or "b64_json"
  absl::Duration request_timeout = absl::Seconds(60);
  absl::Duration connect_timeout = absl::Seconds(5);
  // Replies are parsed and decoded there (see EndpointOptions::executor).
  Executor* executor = nullptr;
};

// INVALID_ARGUMENT for a null `http`, no base_urls or a response_format
// other than "url" and "b64_json".
absl::StatusOr<std::shared_ptr<Provider>> NewXaiProvider(XaiOptions options,
                                                         HttpClient* http);

// From a configured channel (provider "xai"); errors name the channel.
absl::StatusOr<std::shared_ptr<Provider>> CreateXaiProvider(
    const config::Channel& channel, const ProviderContext& context);

}  // namespace mediagw::xai

#endif  // MEDIAGW_PROVIDERS_XAI_XAI_PROVIDER_H_
