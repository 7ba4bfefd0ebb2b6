// The upstream provider interface. One implementation per upstream protocol
// lives under providers/; the dispatcher drives tasks through this interface
// only and never names a provider.
//
// Threading: every method is called from the dispatcher (any thread) and
// must not block. Callbacks run exactly once, on the HTTP client's loop
// thread, on a worker thread of the provider's executor (heavy reply
// decoding), or, for validation errors, possibly inline; they must be short.
#ifndef MEDIAGW_CORE_PROVIDER_H_
#define MEDIAGW_CORE_PROVIDER_H_

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "core/http_client.h"
#include "mediagw/internal/record.pb.h"

namespace mediagw {

using internal::TaskRecord;

enum class UpstreamState {
  kQueued,
  kRunning,
  kSucceeded,  // outputs are ready to fetch
  kFailed,     // `error` says why
  kNotFound,   // the upstream does not know the job (vanished)
};

// One output: a ready-to-send request that downloads it, or its bytes.
struct OutputRef {
  HttpRequest request;
  std::string mime_type;  // best guess; the stored bytes decide
  // The URL came from the upstream's reply (not from our configuration): it
  // is downloaded through the SSRF-checked fetcher.
  bool external = false;
  // Inline bytes (e.g. a decoded b64_json image); no download when set.
  std::string data;
};

struct SubmitResult {
  std::string upstream_id;
  std::string provider_state;  // stored opaque in TaskRecord.provider_state
  // Synchronous upstreams: the results, ready now. The dispatcher stores
  // them at once. A provider keeps what a later Poll needs to report them
  // again (e.g. result URLs) in provider_state, for a restart in between;
  // inline bytes cannot be recovered that way and the Poll then fails.
  std::vector<OutputRef> outputs;
};

// Inputs prepared by the dispatcher before Submit/Resume.
struct SubmitContext {
  // Video tasks: the input image, already stored in the blob store.
  std::string input_image;      // bytes
  std::string input_mime_type;  // e.g. "image/png"
  std::string input_name;       // blob name, e.g. "<id>_input.png"
  std::string input_url;        // our public URL of it (/uploads/...)
  // Where the upstream may POST completion notices for this task
  // (`<public base>/v1/callbacks/<task id>`).
  std::string callback_url;
};

// A completion notice an upstream POSTed to our callback route.
struct CallbackRequest {
  HttpHeaders headers;  // names lower-cased
  std::string body;
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

// What a task of one workflow may ask of a provider. TaskService checks it
// before it stores a task, so a caller hears at once instead of from a task
// that fails later.
struct ProviderLimits {
  int max_outputs = 10;                // n
  bool accepts_workflow_json = false;  // a whole workflow as the prompt
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

  // The limits for tasks of `workflow` on this provider. Thread-safe, cheap;
  // read at every submit.
  virtual ProviderLimits LimitsFor(absl::string_view workflow) const {
    (void)workflow;
    return {};
  }

  // OK when the channel can take work. FAILED_PRECONDITION with a message
  // meant for the caller otherwise (e.g. "Server configuration error: Grok
  // API key missing"). Thread-safe, cheap; checked at submit time.
  virtual absl::Status CheckReady() const { return absl::OkStatus(); }

  // Starts the job. INVALID_ARGUMENT: the request cannot run here (never
  // retried); UNAVAILABLE and other retryable codes: try the next channel.
  // Synchronous upstreams return the results in SubmitResult.outputs.
  virtual void Submit(
      const TaskRecord& record, const SubmitContext& context,
      std::function<void(absl::StatusOr<SubmitResult>)> done) = 0;

  // After a restart, for a record left in SUBMITTING: finds the job upstream
  // (or submits it again with the same preassigned id) and returns where it
  // is. NOT_FOUND when it cannot be recovered without a duplicate charge.
  virtual void Resume(
      const TaskRecord& record, const SubmitContext& context,
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
  // Stops push updates for good: once it returns, no listener is called
  // again (a call in progress has finished). Blocks until the provider's
  // push thread, if any, has stopped; idempotent. Never call it from a
  // listener. Default: nothing to stop.
  virtual void StopPush() {}

  // Checks a completion notice the upstream POSTed for `record`. OK: it is
  // genuine and the dispatcher polls at once (the notice itself is only a
  // hint). UNAUTHENTICATED: bad or missing signature; INVALID_ARGUMENT:
  // malformed or about another job; UNIMPLEMENTED: this provider sends none.
  // Thread-safe, non-blocking.
  virtual absl::Status VerifyCallback(const TaskRecord& record,
                                      const CallbackRequest& request) const {
    (void)record;
    (void)request;
    return absl::UnimplementedError("this provider sends no callbacks");
  }
};

// What TaskService needs to know about a workflow; provider-neutral.
struct WorkflowInfo {
  enum class Kind { kImage, kVideo };
  enum class IdStyle { kUuid, kNumeric, kPrefixedHex };
  std::string name;
  Kind kind = Kind::kImage;
  double default_cfg = 7;
  int default_width = 512;
  int default_height = 512;
  bool accepts_model = false;
  std::string default_model;
  std::vector<std::string> models;  // allowed; empty = any
  absl::Duration deadline = absl::Minutes(10);
  IdStyle id_style = IdStyle::kUuid;
  std::string id_prefix;       // kPrefixedHex
  std::string provider_label;  // Task.provider at submit; empty = none
  // The first channel of a task is chosen by channel weight, not list order.
  bool weighted = false;
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
  virtual absl::StatusOr<WorkflowInfo> Workflow(
      absl::string_view name) const = 0;
  // The ordered channels of `workflow`, or of its route for `model` when
  // the workflow routes that model elsewhere.
  virtual std::vector<Channel> ChannelsFor(
      absl::string_view workflow, absl::string_view model = "") const = 0;
  // Channel by name, or nullopt-equivalent (provider == nullptr).
  virtual Channel FindChannel(absl::string_view name) const = 0;
  // Every configured channel (for shutdown: their providers' StopPush).
  virtual std::vector<Channel> AllChannels() const = 0;
};

}  // namespace mediagw

#endif  // MEDIAGW_CORE_PROVIDER_H_
