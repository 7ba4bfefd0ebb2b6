// The OpenAI-compatible image gateway provider: a synchronous
// POST <base>/v1/images/generations with a Bearer key, in the request
// dialect of seed 003 or seed 004 (openai_compat_codec.h). The flow is the
// shared synchronous images flow (openai_images_provider.h: Submit, Poll
// after a restart, Resume, Cancel, status codes, threading).
//
// Without a key the channel loads but CheckReady() and Submit fail with
// FAILED_PRECONDITION "Server configuration error: API key missing for
// channel '<name>'".
//
// Channel configuration: base_urls, api_key_env, dialect ("seed003" or
// "seed004", required), response_format ("url" default, or "b64_json"),
// request_timeout_ms.
#ifndef MEDIAGW_PROVIDERS_OPENAI_COMPAT_OPENAI_COMPAT_PROVIDER_H_
#define MEDIAGW_PROVIDERS_OPENAI_COMPAT_OPENAI_COMPAT_PROVIDER_H_

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "core/http_client.h"
#include "core/provider.h"
#include "mediagw/config/config.pb.h"
#include "providers/openai_compat/openai_compat_codec.h"
#include "providers/registry.h"

namespace mediagw::openai_compat {

struct OpenAiCompatOptions {
  std::string channel_name;
  Dialect dialect = Dialect::kSeed004;
  std::vector<std::string> base_urls;   // at least one
  std::optional<std::string> api_key;   // nullopt: not configured
  std::string response_format = "url";  // or "b64_json"
  absl::Duration request_timeout = absl::Seconds(60);
  absl::Duration connect_timeout = absl::Seconds(5);
  // Replies are parsed and decoded there (see EndpointOptions::executor).
  Executor* executor = nullptr;
};

// "Server configuration error: API key missing for channel '<name>'".
std::string MissingKeyMessage(absl::string_view channel_name);

// INVALID_ARGUMENT for a null `http`, no base_urls or a response_format
// other than "url" and "b64_json".
absl::StatusOr<std::shared_ptr<Provider>> NewOpenAiCompatProvider(
    OpenAiCompatOptions options, HttpClient* http);

// From a configured channel (provider "openai_compat"); a missing or unknown
// dialect is INVALID_ARGUMENT naming the channel.
absl::StatusOr<std::shared_ptr<Provider>> CreateOpenAiCompatProvider(
    const config::Channel& channel, const ProviderContext& context);

}  // namespace mediagw::openai_compat

#endif  // MEDIAGW_PROVIDERS_OPENAI_COMPAT_OPENAI_COMPAT_PROVIDER_H_
