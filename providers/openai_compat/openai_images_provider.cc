#include "providers/openai_compat/openai_images_provider.h"

#include <algorithm>
#include <atomic>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"
#include "common/config.h"
#include "common/status_mapping.h"
#include "core/image_info.h"
#include "providers/openai_compat/openai_images_codec.h"

namespace mediagw::openai_images {
namespace {

constexpr absl::string_view kEndpoint = "/v1/images/generations";

// From the URL's extension; the stored bytes decide in the end.
std::string MimeTypeForUrl(absl::string_view url) {
  url = url.substr(0, url.find_first_of("?#"));
  const size_t dot = url.rfind('.');
  const std::string ext = dot == absl::string_view::npos
                              ? ""
                              : absl::AsciiStrToLower(url.substr(dot + 1));
  if (ext == "png") return "image/png";
  if (ext == "webp") return "image/webp";
  return "image/jpeg";  // what these upstreams produce
}

OutputRef UrlOutput(const std::string& url) {
  OutputRef ref;
  ref.request.method = "GET";
  ref.request.url = url;
  ref.mime_type = MimeTypeForUrl(url);
  ref.external = true;
  return ref;
}

PollResult Failed(absl::Status error) {
  PollResult r;
  r.state = UpstreamState::kFailed;
  r.error = std::move(error);
  return r;
}

// Turns a reply into the task's outputs and the state a later Poll needs.
absl::StatusOr<SubmitResult> ToSubmitResult(absl::string_view provider,
                                            const std::string& task_id,
                                            const HttpResponse& response) {
  auto reply = ParseImagesReply(response.status, response.body, provider);
  if (!reply.ok()) {
    // A 429 or 503 may say when to come back; the dispatcher's retry waits
    // at least that long.
    return WithRetryAfter(reply.status(), response.status, response.headers,
                          absl::Now());
  }
  SubmitResult result;
  SyncState state;
  state.created = reply->created;
  state.usage = reply->usage;
  for (const ImageResult& image : reply->images) {
    if (image.b64_json.empty()) {
      result.outputs.push_back(UrlOutput(image.url));
      state.results.emplace_back(image.url);
      continue;
    }
    auto bytes = DecodeB64Image(image.b64_json);
    if (!bytes.ok()) return bytes.status();
    OutputRef ref;
    ref.mime_type = SniffMedia(*bytes).mime_type;
    if (ref.mime_type.empty()) ref.mime_type = "image/jpeg";
    ref.data = *std::move(bytes);
    result.outputs.push_back(std::move(ref));
    // A URL sent along with the bytes still serves a Poll after a restart.
    if (image.url.empty()) {
      state.results.emplace_back();
    } else {
      state.results.emplace_back(image.url);
    }
  }
  result.upstream_id = reply->created.has_value()
                           ? absl::StrCat(*reply->created, "-", task_id)
                           : task_id;
  result.provider_state = BuildSyncState(state);
  return result;
}

class ImagesProvider : public Provider {
 public:
  ImagesProvider(EndpointOptions options, std::vector<std::string> endpoints,
                 HttpClient* http)
      : options_(std::move(options)),
        endpoints_(std::move(endpoints)),
        http_(http) {}

  absl::string_view Name() const override { return options_.provider; }

  std::string PreassignUpstreamId(const TaskRecord&) override { return ""; }

  absl::Status CheckReady() const override {
    if (options_.api_key.has_value()) return absl::OkStatus();
    return WithReason(
        absl::FailedPreconditionError(options_.missing_key_message),
        Reason::kUpstreamKeyMissing);
  }

  void Submit(const TaskRecord& record, const SubmitContext&,
              std::function<void(absl::StatusOr<SubmitResult>)> done) override {
    if (absl::Status ready = CheckReady(); !ready.ok()) return done(ready);
    auto body = options_.build_body(record);
    if (!body.ok()) return done(body.status());
    HttpRequest request;
    request.method = "POST";
    request.url = endpoints_[next_.fetch_add(1) % endpoints_.size()];
    request.headers = {
        {"Authorization", absl::StrCat("Bearer ", *options_.api_key)},
        {"Content-Type", "application/json"},
        {"Accept", "application/json"}};
    request.body = *std::move(body);
    request.timeout = options_.request_timeout;
    request.connect_timeout =
        std::min(options_.connect_timeout, options_.request_timeout);
    // The reply comes in one piece once the images exist; silence until then
    // is normal, so only the whole-request timeout applies.
    request.low_speed_time = options_.request_timeout;
    http_->Send(
        std::move(request),
        [provider = options_.provider, task_id = record.task().id(),
         executor = options_.executor,
         done = std::move(done)](absl::StatusOr<HttpResponse> r) mutable {
          if (!r.ok()) {
            return done(Annotate(r.status(),
                                 absl::StrCat(provider, " request failed: ")));
          }
          if (executor == nullptr) {
            return done(ToSubmitResult(provider, task_id, *r));
          }
          auto reply = std::make_shared<HttpResponse>(*std::move(r));
          executor->Schedule(
              [provider, task_id, reply, done = std::move(done)] {
                done(ToSubmitResult(provider, task_id, *reply));
              });
        });
  }

  void Resume(const TaskRecord& record, const SubmitContext& context,
              std::function<void(absl::StatusOr<SubmitResult>)> done) override {
    (void)record;
    (void)context;
    // Only called when the request went out before a restart. The upstream
    // answers in one call and keeps no job to look up, so the answer is
    // lost, and sending the request again would be a second charge.
    done(absl::NotFoundError(
        "the upstream answers in one call and keeps no job to look up; "
        "sending it again could charge twice"));
  }

  void Poll(const TaskRecord& record,
            std::function<void(absl::StatusOr<PollResult>)> done) override {
    if (record.provider_state().empty()) {
      PollResult r;
      r.state = UpstreamState::kNotFound;
      return done(r);
    }
    auto state = ParseSyncState(record.provider_state());
    if (!state.ok()) {
      return done(Failed(absl::DataLossError(state.status().message())));
    }
    PollResult r;
    r.state = UpstreamState::kSucceeded;
    r.progress = 1;
    for (const auto& url : state->results) {
      if (!url.has_value()) {
        return done(Failed(
            absl::DataLossError("inline results were lost in a restart")));
      }
      r.outputs.push_back(UrlOutput(*url));
    }
    if (r.outputs.empty()) {
      return done(Failed(absl::DataLossError("no results were recorded")));
    }
    done(std::move(r));
  }

  void Cancel(const TaskRecord&,
              std::function<void(absl::Status)> done) override {
    done(absl::OkStatus());
  }

  void Watch(const TaskRecord&, ProviderListener*) override {}
  void Unwatch(const std::string&) override {}

 private:
  const EndpointOptions options_;
  const std::vector<std::string> endpoints_;  // full generation URLs
  HttpClient* const http_;
  std::atomic<size_t> next_{0};
};

}  // namespace

absl::StatusOr<std::shared_ptr<Provider>> NewImagesProvider(
    EndpointOptions options, HttpClient* http) {
  const std::string who =
      absl::StrCat(options.provider, " channel '", options.channel_name, "'");
  if (http == nullptr) {
    return absl::InvalidArgumentError(
        absl::StrCat(who, " needs an HTTP client"));
  }
  if (!options.build_body) {
    return absl::InvalidArgumentError(
        absl::StrCat(who, " has no body builder"));
  }
  std::vector<std::string> endpoints;
  for (std::string url : options.base_urls) {
    while (absl::EndsWith(url, "/")) url.pop_back();
    if (absl::EndsWith(url, "/v1")) url.resize(url.size() - 3);
    if (url.empty()) {
      return absl::InvalidArgumentError(absl::StrCat(who, ": empty base url"));
    }
    endpoints.push_back(absl::StrCat(url, kEndpoint));
  }
  if (endpoints.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(who, " has no base_urls"));
  }
  return std::shared_ptr<Provider>(std::make_shared<ImagesProvider>(
      std::move(options), std::move(endpoints), http));
}

EndpointOptions EndpointOptionsFromChannel(const config::Channel& channel,
                                           const ProviderContext& context) {
  EndpointOptions o;
  o.channel_name = channel.name();
  o.executor = context.executor;
  o.base_urls.assign(channel.base_urls().begin(), channel.base_urls().end());
  if (!channel.api_key_env().empty()) {
    auto key = SecretFromEnv(channel.api_key_env());
    if (key.ok()) o.api_key = *std::move(key);
  }
  const config::DispatchConfig* dispatch =
      context.config == nullptr ? nullptr : &context.config->dispatch();
  if (channel.request_timeout_ms() > 0) {
    o.request_timeout = absl::Milliseconds(channel.request_timeout_ms());
  } else if (dispatch != nullptr && dispatch->request_timeout_ms() > 0) {
    o.request_timeout = absl::Milliseconds(dispatch->request_timeout_ms());
  }
  if (dispatch != nullptr && dispatch->connect_timeout_ms() > 0) {
    o.connect_timeout = absl::Milliseconds(dispatch->connect_timeout_ms());
  }
  return o;
}

absl::StatusOr<std::string> ResponseFormatFromChannel(
    const config::Channel& channel) {
  const std::string& f = channel.response_format();
  if (f.empty()) return std::string("url");
  if (f == "url" || f == "b64_json") return f;
  return absl::InvalidArgumentError(
      absl::StrCat("config: channel '", channel.name(),
                   "': response_format must be "
                   "\"url\" or \"b64_json\", not '",
                   f, "'"));
}

}  // namespace mediagw::openai_images
