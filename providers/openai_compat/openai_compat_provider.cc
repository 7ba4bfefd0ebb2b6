#include "providers/openai_compat/openai_compat_provider.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "providers/openai_compat/openai_images_provider.h"

namespace mediagw::openai_compat {

std::string MissingKeyMessage(absl::string_view channel_name) {
  return absl::StrCat(
      "Server configuration error: API key missing for channel '", channel_name,
      "'");
}

absl::StatusOr<std::shared_ptr<Provider>> NewOpenAiCompatProvider(
    OpenAiCompatOptions options, HttpClient* http) {
  if (options.response_format != "url" &&
      options.response_format != "b64_json") {
    return absl::InvalidArgumentError(
        absl::StrCat("openai_compat channel '", options.channel_name,
                     "': response_format must be \"url\" or \"b64_json\""));
  }
  openai_images::EndpointOptions e;
  e.provider = "openai_compat";
  e.missing_key_message = MissingKeyMessage(options.channel_name);
  e.channel_name = std::move(options.channel_name);
  e.base_urls = std::move(options.base_urls);
  e.api_key = std::move(options.api_key);
  e.request_timeout = options.request_timeout;
  e.connect_timeout = options.connect_timeout;
  e.executor = options.executor;
  e.build_body = [dialect = options.dialect,
                  format = options.response_format](const TaskRecord& record) {
    return BuildGenerationBody(dialect, record, format);
  };
  return openai_images::NewImagesProvider(std::move(e), http);
}

absl::StatusOr<std::shared_ptr<Provider>> CreateOpenAiCompatProvider(
    const config::Channel& channel, const ProviderContext& context) {
  auto error = [&channel](absl::string_view msg) {
    return absl::InvalidArgumentError(
        absl::StrCat("config: channel '", channel.name(), "': ", msg));
  };
  if (channel.dialect().empty()) {
    return error(
        "provider openai_compat needs dialect \"seed003\" or \"seed004\"");
  }
  auto dialect = ParseDialect(channel.dialect());
  if (!dialect.ok()) return error(dialect.status().message());
  auto format = openai_images::ResponseFormatFromChannel(channel);
  if (!format.ok()) return format.status();
  openai_images::EndpointOptions e =
      openai_images::EndpointOptionsFromChannel(channel, context);
  OpenAiCompatOptions o;
  o.channel_name = std::move(e.channel_name);
  o.dialect = *dialect;
  o.base_urls = std::move(e.base_urls);
  o.api_key = std::move(e.api_key);
  o.response_format = *std::move(format);
  o.request_timeout = e.request_timeout;
  o.connect_timeout = e.connect_timeout;
  o.executor = e.executor;
  auto provider = NewOpenAiCompatProvider(std::move(o), context.http);
  if (!provider.ok()) return error(provider.status().message());
  return provider;
}

}  // namespace mediagw::openai_compat
