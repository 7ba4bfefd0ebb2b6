// The upstream provider interface. One implementation per upstream protocol
// lives under providers/; the dispatcher drives tasks through this interface
// only and never names a provider.
//
// Threading: every method is called from the dispatcher (any thread) and
// must not block. Callbacks run exactly once, on the HTTP client's loop
// thread (or, for validation errors, possibly inline); they must be short.
#ifndef MEDIAGW_CORE_PROVIDER_H_
#define MEDIAGW_CORE_PROVIDER_H_

#include <functional>
#include <memory>
#include <string>
#include "absl/strings/string_view.h"
#include <vector>

#include "absl/status/statusor.h"
#include "core/http_client.h"
#include "mediagw/internal/record.pb.h"

namespace mediagw {

using internal::TaskRecord;

struct SubmitResult {
  std::string upstream_id;
  std::string provider_state;  // stored opaque in TaskRecord.provider_state
};

enum class UpstreamState {
  kQueued,
  kRunning,
  kSucceeded,  // outputs are ready to fetch
  kFailed,     // `error` says why
  kNotFound,   // the upstream does not know the job (vanished)
};

// A ready-to-send request that downloads one output.
struct OutputRef {
  HttpRequest request;
  std::string mime_type;  // best guess; the fetched bytes decide
};

struct PollResult {
  UpstreamState state = UpstreamState::kQueued;
  double progress = 0;  // 0..1
  std::vector<OutputRef> outputs;
  absl::Status error;  // set when state == kFailed
};

// Receives pushed updates (e.g. ComfyUI websocket). Implemented by the
// dispatcher. Methods are thread-safe, short and non-blocking; they may be
// called from any provider-owned thread.
class ProviderListener {
 public:
  virtual ~ProviderListener() = default;
  virtual void OnProgress(const std::string& task_id, double progress) = 0;
  // The job probably changed state: poll it now instead of waiting.
  virtual void OnHint(const std::string& task_id) = 0;
};

class Provider {
 public:
  virtual ~Provider() = default;
  // Stable provider kind, e.g. "comfyui". Shown to callers as Task.provider.
  virtual absl::string_view Name() const = 0;

  // For upstreams that accept a caller-chosen job id (ComfyUI prompt_id):
  // returns the id to store *before* Submit so a resubmit after a crash is
  // idempotent. Empty when the upstream assigns ids.
  virtual std::string PreassignUpstreamId(const TaskRecord& record) = 0;

  // Starts the job. INVALID_ARGUMENT: the request cannot run here (never
  // retried); UNAVAILABLE and other retryable codes: try the next channel.
  virtual void Submit(const TaskRecord& record,
                      std::function<void(absl::StatusOr<SubmitResult>)> done) = 0;

  // After a restart, for a record left in SUBMITTING: finds the job upstream
  // (or submits it again with the same preassigned id) and returns where it
  // is. NOT_FOUND when it cannot be recovered without a duplicate charge.
  virtual void Resume(const TaskRecord& record,
                      std::function<void(absl::StatusOr<SubmitResult>)> done) = 0;

  virtual void Poll(const TaskRecord& record,
                    std::function<void(absl::StatusOr<PollResult>)> done) = 0;

  // Deletes a pending job or interrupts a running one upstream.
  virtual void Cancel(const TaskRecord& record,
                      std::function<void(absl::Status)> done) = 0;

  // Push updates for this task go to `listener` until Unwatch. Providers
  // without push support do nothing. Thread-safe.
  virtual void Watch(const TaskRecord& record, ProviderListener* listener) = 0;
  virtual void Unwatch(const std::string& task_id) = 0;
};

// What TaskService needs to know about a workflow; provider-neutral.
struct WorkflowInfo {
  std::string name;
  double default_cfg = 7;
  bool accepts_model = false;
  std::string default_model;
  absl::Duration deadline = absl::Minutes(10);
};

// A channel: one provider instance with its credentials and limits.
struct Channel {
  std::string name;
  std::shared_ptr<Provider> provider;
  int weight = 1;
  int max_concurrency = 0;  // 0 = unlimited
};

// Maps workflow names to their settings and ordered channels. Immutable
// after construction; thread-safe.
class Router {
 public:
  virtual ~Router() = default;
  // NOT_FOUND for an unknown workflow (message names it).
  virtual absl::StatusOr<WorkflowInfo> Workflow(absl::string_view name) const = 0;
  virtual std::vector<Channel> ChannelsFor(absl::string_view workflow) const = 0;
  // Channel by name, or nullopt-equivalent (provider == nullptr).
  virtual Channel FindChannel(absl::string_view name) const = 0;
};

}  // namespace mediagw

#endif  // MEDIAGW_CORE_PROVIDER_H_
