#include "providers/xai/xai_provider.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "providers/openai_compat/openai_images_provider.h"
#include "providers/xai/xai_codec.h"

namespace mediagw::xai {

absl::StatusOr<std::shared_ptr<Provider>> NewXaiProvider(XaiOptions options,
                                                         HttpClient* http) {
  if (options.response_format != "url" &&
      options.response_format != "b64_json") {
    return absl::InvalidArgumentError(
        absl::StrCat("xai channel '", options.channel_name,
                     "': response_format must be \"url\" or \"b64_json\""));
  }
  openai_images::EndpointOptions e;
  e.provider = "xai";
  e.channel_name = std::move(options.channel_name);
  e.base_urls = std::move(options.base_urls);
  e.api_key = std::move(options.api_key);
  e.missing_key_message = std::string(kMissingKeyMessage);
  e.request_timeout = options.request_timeout;
  e.connect_timeout = options.connect_timeout;
  e.executor = options.executor;
  e.build_body = [format = options.response_format](const TaskRecord& record) {
    return BuildGenerationBody(record.request(), format);
  };
  return openai_images::NewImagesProvider(std::move(e), http);
}

absl::StatusOr<std::shared_ptr<Provider>> CreateXaiProvider(
    const config::Channel& channel, const ProviderContext& context) {
  auto format = openai_images::ResponseFormatFromChannel(channel);
  if (!format.ok()) return format.status();
  openai_images::EndpointOptions e =
      openai_images::EndpointOptionsFromChannel(channel, context);
  XaiOptions o;
  o.channel_name = std::move(e.channel_name);
  o.base_urls = std::move(e.base_urls);
  o.api_key = std::move(e.api_key);
  o.response_format = *std::move(format);
  o.request_timeout = e.request_timeout;
  o.connect_timeout = e.connect_timeout;
  o.executor = e.executor;
  auto provider = NewXaiProvider(std::move(o), context.http);
  if (!provider.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("config: channel '", channel.name(),
                     "': ", provider.status().message()));
  }
  return provider;
}

}  // namespace mediagw::xai
