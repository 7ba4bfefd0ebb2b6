#include "providers/registry.h"

#include <unistd.h>

#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "core/metered_http_client.h"
#include "providers/comfyui/comfyui_provider.h"
#include "providers/http_async/http_async_provider.h"
#include "providers/openai_compat/openai_compat_provider.h"
#include "providers/xai/xai_provider.h"
#include "providers/kie/kie_provider.h"

namespace mediagw {
namespace {

absl::StatusOr<std::string> ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot read ", path));
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

absl::StatusOr<std::shared_ptr<Provider>> CreateComfyUi(
    const config::Channel& channel, const ProviderContext& ctx) {
  comfyui::ComfyUiOptions opts;
  opts.channel_name = channel.name();
  // ComfyUI sends progress only to the client id that queued a prompt; a
  // stable id lets a restarted process keep receiving it for resumed tasks.
  char host[256] = {0};
  gethostname(host, sizeof(host) - 1);
  opts.client_id = absl::StrCat("mediagw-", channel.name(), "-", host);
  opts.base_urls.assign(channel.base_urls().begin(), channel.base_urls().end());
  opts.breakers = ctx.breakers;
  opts.request_timeout =
      absl::Milliseconds(ctx.config->dispatch().request_timeout_ms());
  // Each workflow routed to this channel brings its template.
  for (const auto& wf : ctx.config->workflows()) {
    bool routed = false;
    for (const auto& c : wf.channels()) routed = routed || c == channel.name();
    if (!routed || wf.template_file().empty()) continue;
    auto text = ReadFile(wf.template_file());
    if (!text.ok()) {
      return absl::InvalidArgumentError(absl::StrCat(
          "config: workflow '", wf.name(), "'.template_file: ",
          text.status().message()));
    }
    opts.templates[wf.name()] = *std::move(text);
  }
  auto provider = comfyui::NewComfyUiProvider(std::move(opts), ctx.http);
  if (!provider.ok()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "config: channel '", channel.name(), "': ", provider.status().message()));
  }
  return provider;
}

absl::StatusOr<std::shared_ptr<Provider>> CreateUnmetered(
    const config::Channel& channel, const ProviderContext& context) {
  if (channel.provider() == "comfyui") return CreateComfyUi(channel, context);
  if (channel.provider() == "http_async") {
    return http_async::NewHttpAsyncProvider(channel, context);
  }
  if (channel.provider() == "xai") {
    return xai::CreateXaiProvider(channel, context);
  }
  if (channel.provider() == "openai_compat") {
    return openai_compat::CreateOpenAiCompatProvider(channel, context);
  }
  if (channel.provider() == "kie") {
    return kie::NewKieProviderFromConfig(channel, *context.config, context.http);
  }
  return absl::InvalidArgumentError(absl::StrCat(
      "config: channel '", channel.name(), "': unknown provider '",
      channel.provider(), "'"));
}

// A provider and the client that times its calls, owned together.
struct MeteredProvider {
  std::unique_ptr<MeteredHttpClient> http;  // declared first: outlives it
  std::shared_ptr<Provider> provider;
};

}  // namespace

absl::StatusOr<std::shared_ptr<Provider>> CreateProvider(
    const config::Channel& channel, const ProviderContext& context) {
  if (context.breakers != nullptr) {
    // A ComfyUI pool registers a breaker per member; every other channel
    // has one, named after its (first) base URL.
    const bool pool =
        channel.provider() == "comfyui" && channel.base_urls_size() > 1;
    if (!pool) {
      context.breakers->AddChannel(channel.name(),
                                   channel.base_urls().empty()
                                       ? channel.provider()
                                       : channel.base_urls(0));
    }
  }
  // Every call the channel's provider makes is timed under the channel's
  // name; the provider sees only an HttpClient.
  auto metered = std::make_shared<MeteredProvider>();
  metered->http = std::make_unique<MeteredHttpClient>(context.http,
                                                      channel.name());
  ProviderContext ctx = context;
  ctx.http = metered->http.get();
  auto provider = CreateUnmetered(channel, ctx);
  if (!provider.ok()) return provider.status();
  metered->provider = *std::move(provider);
  // Shares ownership of both; points at the provider.
  Provider* raw = metered->provider.get();
  return std::shared_ptr<Provider>(std::move(metered), raw);
}

}  // namespace mediagw
