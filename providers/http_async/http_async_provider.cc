#include "providers/http_async/http_async_provider.h"

#include <algorithm>
#include <atomic>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/status_mapping.h"
#include "common/config.h"
#include "common/logging.h"
#include "providers/http_async/http_async_codec.h"
#include "providers/http_async/http_async_reply.h"
#include "providers/http_async/http_async_spec.h"

namespace mediagw::http_async {
namespace {

bool HasHeader(const HttpHeaders& headers, absl::string_view name) {
  for (const auto& h : headers) {
    if (absl::EqualsIgnoreCase(h.first, name)) return true;
  }
  return false;
}

class HttpAsyncProvider : public Provider {
 public:
  HttpAsyncProvider(std::shared_ptr<const Spec> spec, HttpClient* http)
      : spec_(std::move(spec)), http_(http) {}

  absl::string_view Name() const override { return "http_async"; }

  // A vendor makes several images per job only when its submit call takes
  // the task's n; it never takes a whole ComfyUI workflow.
  ProviderLimits LimitsFor(absl::string_view) const override {
    ProviderLimits limits;
    if (!spec_->submit.Uses("n")) limits.max_outputs = 1;
    return limits;
  }

  std::string PreassignUpstreamId(const TaskRecord&) override { return ""; }

  absl::Status CheckReady() const override {
    if (spec_->needs_api_key && spec_->api_key.empty()) {
      return WithReason(
          absl::FailedPreconditionError(absl::StrCat(
              "Server configuration error: API key missing for channel '",
              spec_->channel, "'")),
          Reason::kUpstreamKeyMissing);
    }
    return absl::OkStatus();
  }

  void Submit(const TaskRecord& record, const SubmitContext& context,
              std::function<void(absl::StatusOr<SubmitResult>)> done) override {
    if (absl::Status ready = CheckReady(); !ready.ok()) return done(ready);
    auto call = spec_->submit.Render(TaskSlots(*spec_, record, context));
    if (!call.ok()) return done(call.status());
    const std::string& base =
        spec_->base_urls[next_base_.fetch_add(1) % spec_->base_urls.size()];
    http_->Send(Build(base, *std::move(call)),
                [spec = spec_, base,
                 done = std::move(done)](absl::StatusOr<HttpResponse> r) {
                  if (!r.ok()) return done(r.status());
                  auto id = ReadSubmitReply(*spec, *r);
                  if (!id.ok()) return done(id.status());
                  SubmitResult result;
                  result.upstream_id = *std::move(id);
                  result.provider_state = BuildProviderState(base);
                  done(std::move(result));
                });
  }

  void Resume(const TaskRecord& record, const SubmitContext& context,
              std::function<void(absl::StatusOr<SubmitResult>)> done) override {
    (void)context;
    if (!record.upstream_id().empty()) {
      SubmitResult result;
      result.upstream_id = record.upstream_id();
      result.provider_state = record.provider_state();
      return done(std::move(result));
    }
    done(absl::NotFoundError(absl::StrCat(
        "channel '", spec_->channel,
        "': the vendor assigns job ids, so a submit interrupted by a restart "
        "cannot be found again (a resubmit could charge twice)")));
  }

  void Poll(const TaskRecord& record,
            std::function<void(absl::StatusOr<PollResult>)> done) override {
    auto call = spec_->poll.Render(TaskSlots(*spec_, record, SubmitContext{}));
    if (!call.ok()) return done(call.status());
    std::string base = BaseFor(record);
    http_->Send(Build(base, *std::move(call)),
                [spec = spec_, base,
                 done = std::move(done)](absl::StatusOr<HttpResponse> r) {
                  if (!r.ok()) return done(r.status());
                  done(ReadPollReply(*spec, base, *r));
                });
  }

  void Cancel(const TaskRecord& record,
              std::function<void(absl::Status)> done) override {
    if (!spec_->cancel.has_value() || record.upstream_id().empty()) {
      return done(absl::OkStatus());
    }
    auto call =
        spec_->cancel->Render(TaskSlots(*spec_, record, SubmitContext{}));
    if (!call.ok()) return done(call.status());
    http_->Send(
        Build(BaseFor(record), *std::move(call)),
        [spec = spec_, done = std::move(done)](absl::StatusOr<HttpResponse> r) {
          if (!r.ok()) return done(r.status());
          done(ReadCancelReply(*spec, *r));
        });
  }

  void Watch(const TaskRecord&, ProviderListener*) override {}
  void Unwatch(const std::string&) override {}

 private:
  // The pool member that holds the job: the recorded one while it is still
  // configured (only configured URLs get our credentials), else the first.
  std::string BaseFor(const TaskRecord& record) const {
    auto recorded = ParseProviderState(record.provider_state());
    if (recorded.ok() && !recorded->empty()) {
      for (const std::string& url : spec_->base_urls) {
        if (url == *recorded) return url;
      }
    }
    if (!recorded.ok() || !recorded->empty()) {
      MG_LOG(Warning, "task ", record.task().id(), " on channel '",
             spec_->channel, "': recorded base URL unusable (",
             recorded.ok() ? *recorded : recorded.status().ToString(),
             "); using ", spec_->base_urls.front());
    }
    return spec_->base_urls.front();
  }

  HttpRequest Build(absl::string_view base, RenderedCall call) const {
    HttpRequest r;
    r.method = std::move(call.method);
    r.url = absl::StrCat(base, call.path);
    r.timeout = spec_->request_timeout;
    r.connect_timeout = std::min(spec_->request_timeout, absl::Seconds(5));
    r.headers = std::move(call.headers);
    if (!HasHeader(r.headers, "accept")) {
      r.headers.emplace_back("Accept", "application/json");
    }
    if (call.has_body) {
      if (!HasHeader(r.headers, "content-type")) {
        r.headers.emplace_back("Content-Type", "application/json");
      }
      r.body = std::move(call.body);
    }
    return r;
  }

  const std::shared_ptr<const Spec> spec_;
  HttpClient* const http_;
  std::atomic<uint64_t> next_base_{0};
};

}  // namespace

absl::StatusOr<std::shared_ptr<Provider>> NewHttpAsyncProvider(
    const config::Channel& channel, const ProviderContext& context) {
  if (context.http == nullptr) {
    return absl::InvalidArgumentError(
        absl::StrCat("config: channel '", channel.name(), "': no HTTP client"));
  }
  absl::Duration timeout = absl::Seconds(60);
  if (context.config != nullptr &&
      context.config->dispatch().request_timeout_ms() > 0) {
    timeout =
        absl::Milliseconds(context.config->dispatch().request_timeout_ms());
  }
  std::string api_key;
  if (!channel.api_key_env().empty()) {
    // Unset is not an error here: CheckReady refuses work with a message.
    api_key = SecretFromEnv(channel.api_key_env()).value_or("");
  }
  auto spec = CompileSpec(channel, timeout, std::move(api_key));
  if (!spec.ok()) return spec.status();
  return std::shared_ptr<Provider>(std::make_shared<HttpAsyncProvider>(
      std::make_shared<const Spec>(*std::move(spec)), context.http));
}

}  // namespace mediagw::http_async
