// The HTTP request flows of the ComfyUI provider (submit with pool
// balancing, poll, resume, cancel), kept apart from the websocket and
// listener bookkeeping in comfyui_provider.cc. Internal to providers/comfyui.
//
// Threading: every public method is thread-safe and non-blocking. `done`
// runs exactly once, on the HttpClient loop thread, or inline on the
// caller's thread for errors found before any request is sent. Requests in
// flight hold a shared_ptr to the Flow, so it outlives its callbacks.
//
// Ownership: `http` is not owned and must outlive every request.
#ifndef MEDIAGW_PROVIDERS_COMFYUI_COMFYUI_FLOW_H_
#define MEDIAGW_PROVIDERS_COMFYUI_COMFYUI_FLOW_H_

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "core/breaker_board.h"
#include "core/http_client.h"
#include "core/provider.h"
#include "providers/comfyui/comfyui_codec.h"

namespace mediagw::comfyui {

class Flow : public std::enable_shared_from_this<Flow> {
 public:
  struct Config {
    std::string channel_name;
    std::vector<std::string> servers;  // base urls without a trailing '/'
    std::map<std::string, WorkflowTemplate, std::less<>> templates;
    absl::Duration request_timeout = absl::Seconds(30);
    std::string client_id;
    // Per-server breakers of a pool (ComfyUiOptions::breakers); null for a
    // single server, whose breaker the dispatcher keeps.
    BreakerBoard* breakers = nullptr;
  };
  using SubmitDone = std::function<void(absl::StatusOr<SubmitResult>)>;
  using PollDone = std::function<void(absl::StatusOr<PollResult>)>;
  using StatusDone = std::function<void(absl::Status)>;

  Flow(Config config, HttpClient* http);

  // See comfyui_provider.h for the semantics of each operation.
  void Submit(const TaskRecord& record, const SubmitContext& context,
              SubmitDone done);
  void Resume(const TaskRecord& record, const SubmitContext& context,
              SubmitDone done);
  // `progress` is reported for a running job (the last pushed value).
  void Poll(const TaskRecord& record, double progress, PollDone done);

  // A whole workflow passes through as the prompt; n > 1 needs the
  // workflow's template to have a "batch" slot.
  ProviderLimits LimitsFor(absl::string_view workflow) const;
  void Cancel(const TaskRecord& record, StatusDone done);

  // Servers that may hold the record's job: the one in provider_state, or
  // the whole pool when it is unknown.
  std::vector<std::string> ServersFor(const TaskRecord& record) const;

  int64_t submits() const { return submits_.load(); }
  int64_t uploads() const { return uploads_.load(); }

 private:
  using ServerDone = std::function<void(absl::StatusOr<std::string>)>;
  // nullopt: no reachable server holds the id.
  using LocateDone =
      std::function<void(absl::StatusOr<std::optional<std::string>>)>;
  struct LocateState;
  // What a (re)submit sends: the rendered graph and, for templates that
  // read an input image, the upload that must reach the same server first.
  struct Prepared;
  using PreparedPtr = absl::StatusOr<std::shared_ptr<const Prepared>>;

  // Renders the record (validation errors are INVALID_ARGUMENT) and builds
  // the upload of context.input_image when the template has an image slot.
  PreparedPtr Prepare(const TaskRecord& record,
                      const SubmitContext& context) const;
  void Upload(const std::string& server, const Prepared& prepared,
              std::function<void(absl::StatusOr<std::string>)> done);
  HttpRequest Get(const std::string& url, absl::Duration timeout) const;
  HttpRequest PostJson(const std::string& url, std::string body) const;

  void FetchHistory(const std::string& server, const std::string& id,
                    std::function<void(absl::StatusOr<HistoryEntry>)> done);
  void FetchQueue(const std::string& server,
                  std::function<void(absl::StatusOr<QueueSnapshot>)> done);
  void PostExpectOk(const std::string& url, std::string body, StatusDone done);

  void SubmitFresh(const TaskRecord& record, PreparedPtr prepared,
                   SubmitDone done);
  void SendPrepared(const std::string& server,
                    std::shared_ptr<const Prepared> prepared,
                    const std::string& prompt_id, SubmitDone done);
  void LocateThenSubmit(const TaskRecord& record, PreparedPtr prepared,
                        bool strict, SubmitDone done);
  void PickServer(ServerDone done);
  void Choose(const std::vector<std::optional<size_t>>& depths,
              const absl::Status& last_error, const ServerDone& done);
  void Release(const std::string& server);
  // The pool member's breaker (no-ops without breakers).
  bool Admit(const std::string& server);
  void Report(const std::string& server, const absl::Status& outcome);
  void PostPrompt(const std::string& server, const std::string& workflow,
                  const std::string& prompt_id, SubmitDone done);

  void PollOn(const std::string& server, const std::string& id, double progress,
              bool recheck, PollDone done);
  PollResult ToPollResult(const std::string& server, const HistoryEntry& entry,
                          double progress) const;

  // Looks for `id` on each server in turn (history, queue, history again).
  // `strict`: a server that cannot be asked makes the answer UNAVAILABLE
  // instead of "not found".
  void Locate(std::vector<std::string> servers, const std::string& id,
              bool strict, LocateDone done);
  void LocateStep(std::shared_ptr<LocateState> state);
  void FindOn(const std::string& server, const std::string& id,
              std::function<void(absl::StatusOr<bool>)> done);

  void CancelOn(const std::string& server, const std::string& id, int attempt,
                StatusDone done);

  const Config config_;
  HttpClient* const http_;
  std::atomic<int64_t> submits_{0};
  std::atomic<int64_t> uploads_{0};
  absl::Mutex mu_;
  uint64_t round_robin_ ABSL_GUARDED_BY(mu_) = 0;
  // Submits chosen but not yet answered, per server: keeps a burst of
  // submits from all picking the same "shortest" queue.
  std::map<std::string, size_t> in_flight_ ABSL_GUARDED_BY(mu_);
};

}  // namespace mediagw::comfyui

#endif  // MEDIAGW_PROVIDERS_COMFYUI_COMFYUI_FLOW_H_
