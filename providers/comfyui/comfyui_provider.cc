#include "providers/comfyui/comfyui_provider.h"

#include <algorithm>
#include <atomic>
#include <utility>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "common/ids.h"
#include "common/logging.h"
#include "providers/comfyui/comfyui_codec.h"
#include "providers/comfyui/comfyui_flow.h"
#include "providers/comfyui/comfyui_ws.h"

namespace mediagw::comfyui {
namespace {

class ComfyUiProvider : public Provider {
 public:
  ComfyUiProvider(std::shared_ptr<Flow> flow, std::string client_id,
                  bool use_websocket)
      : flow_(std::move(flow)) {
    if (use_websocket) {
      WsHub::Options ws;
      ws.client_id = std::move(client_id);
      // The hub is destroyed first (declared last), so `this` outlives it.
      hub_ = std::make_unique<WsHub>(
          std::move(ws),
          [this](const std::string& server, absl::string_view text) {
            OnWsMessage(server, text);
          });
    }
  }

  absl::string_view Name() const override { return "comfyui"; }

  ProviderLimits LimitsFor(absl::string_view workflow) const override {
    return flow_->LimitsFor(workflow);
  }

  std::string PreassignUpstreamId(const TaskRecord&) override {
    return NewUuid();
  }

  void Submit(const TaskRecord& record, const SubmitContext& context,
              std::function<void(absl::StatusOr<SubmitResult>)> done) override {
    flow_->Submit(record, context, std::move(done));
  }

  void Resume(const TaskRecord& record, const SubmitContext& context,
              std::function<void(absl::StatusOr<SubmitResult>)> done) override {
    flow_->Resume(record, context, std::move(done));
  }

  void Poll(const TaskRecord& record,
            std::function<void(absl::StatusOr<PollResult>)> done) override {
    double progress = 0;
    {
      absl::MutexLock lock(&mu_);
      auto it = watches_.find(record.upstream_id());
      if (it != watches_.end()) progress = it->second.progress;
    }
    flow_->Poll(record, progress, std::move(done));
  }

  void Cancel(const TaskRecord& record,
              std::function<void(absl::Status)> done) override {
    flow_->Cancel(record, std::move(done));
  }

  void Watch(const TaskRecord& record, ProviderListener* listener) override {
    if (hub_ == nullptr || listener == nullptr ||
        record.upstream_id().empty()) {
      return;
    }
    {
      absl::MutexLock lock(&mu_);
      auto old = task_to_prompt_.find(record.task().id());
      if (old != task_to_prompt_.end() && old->second != record.upstream_id()) {
        watches_.erase(old->second);
      }
      watches_[record.upstream_id()] = {record.task().id(), listener, 0};
      task_to_prompt_[record.task().id()] = record.upstream_id();
    }
    for (const std::string& server : flow_->ServersFor(record)) {
      absl::Status st = hub_->Connect(server);
      if (!st.ok()) {
        MG_LOG(Debug, "comfyui progress push unavailable: ", st.message());
      }
    }
  }

  void StopPush() override {
    if (hub_ != nullptr) hub_->Stop();
  }

  void Unwatch(const std::string& task_id) override {
    absl::MutexLock lock(&mu_);
    auto it = task_to_prompt_.find(task_id);
    if (it == task_to_prompt_.end()) return;
    watches_.erase(it->second);
    task_to_prompt_.erase(it);
  }

  ComfyUiStats Stats() const {
    ComfyUiStats s;
    if (hub_ != nullptr) {
      WsHub::Stats ws = hub_->GetStats();
      s.ws_connects = ws.connects;
      s.ws_disconnects = ws.disconnects;
      s.ws_messages = ws.text_messages;
      s.ws_binary_messages = ws.binary_messages;
    }
    s.ws_malformed = ws_malformed_.load();
    s.submits = flow_->submits();
    s.uploads = flow_->uploads();
    return s;
  }

 private:
  struct Watched {
    std::string task_id;
    ProviderListener* listener = nullptr;
    double progress = 0;  // highest fraction forwarded so far
  };

  // Runs on the hub thread.
  void OnWsMessage(const std::string& server, absl::string_view text) {
    auto ev = ParseWsMessage(text);
    if (!ev.ok()) {
      ws_malformed_.fetch_add(1);
      MG_LOG(Debug, "comfyui ws ", server,
             ": ignored message: ", ev.status().message());
      return;
    }
    if (ev->kind == WsEvent::Kind::kIgnored) return;
    std::string task_id;
    ProviderListener* listener = nullptr;
    double progress = -1;
    {
      absl::MutexLock lock(&mu_);
      auto it = watches_.find(ev->prompt_id);
      if (it == watches_.end()) return;
      task_id = it->second.task_id;
      listener = it->second.listener;
      if (ev->kind == WsEvent::Kind::kProgress) {
        if (!(ev->max > 0)) return;
        double fraction = std::clamp(ev->value / ev->max, 0.0, 1.0);
        // Each sampler node restarts at 0; the task's progress never does.
        if (fraction <= it->second.progress) return;
        it->second.progress = fraction;
        progress = fraction;
      }
    }
    if (progress >= 0) {
      listener->OnProgress(task_id, progress);
    } else {
      listener->OnHint(task_id);
    }
  }

  const std::shared_ptr<Flow> flow_;
  std::atomic<int64_t> ws_malformed_{0};
  absl::Mutex mu_;
  absl::flat_hash_map<std::string, Watched> watches_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_map<std::string, std::string> task_to_prompt_
      ABSL_GUARDED_BY(mu_);
  std::unique_ptr<WsHub> hub_;  // last: stops before the maps go away
};

}  // namespace

absl::StatusOr<std::shared_ptr<Provider>> NewComfyUiProvider(
    ComfyUiOptions options, HttpClient* http) {
  if (http == nullptr) {
    return absl::InvalidArgumentError("comfyui provider needs an HTTP client");
  }
  Flow::Config config;
  config.channel_name = options.channel_name;
  config.request_timeout = options.request_timeout;
  config.client_id = options.client_id.empty() ? NewUuid() : options.client_id;
  for (std::string url : options.base_urls) {
    while (absl::EndsWith(url, "/")) url.pop_back();
    if (url.empty()) {
      return absl::InvalidArgumentError(absl::StrCat(
          "comfyui channel '", options.channel_name, "': empty base url"));
    }
    config.servers.push_back(std::move(url));
  }
  if (config.servers.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "comfyui channel '", options.channel_name, "' has no base_urls"));
  }
  for (const auto& [name, text] : options.templates) {
    auto tmpl = WorkflowTemplate::Parse(name, text);
    if (!tmpl.ok()) return tmpl.status();
    config.templates.emplace(name, *std::move(tmpl));
  }
  if (options.breakers != nullptr && config.servers.size() > 1) {
    for (const std::string& url : config.servers) {
      options.breakers->AddPoolMember(options.channel_name, url);
    }
    config.breakers = options.breakers;
  }
  std::string client_id = config.client_id;
  auto flow = std::make_shared<Flow>(std::move(config), http);
  return std::shared_ptr<Provider>(std::make_shared<ComfyUiProvider>(
      std::move(flow), std::move(client_id), options.use_websocket));
}

ComfyUiStats GetComfyUiStats(const Provider& provider) {
  const auto* comfy = dynamic_cast<const ComfyUiProvider*>(&provider);
  return comfy == nullptr ? ComfyUiStats{} : comfy->Stats();
}

}  // namespace mediagw::comfyui
