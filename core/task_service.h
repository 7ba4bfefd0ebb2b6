// Protocol-agnostic use cases: the one core that the gRPC adapter and the
// REST gateway are peers over. Neither adapter talks to providers or the
// store directly.
//
// Threading: every method is thread-safe and returns at once; `done` runs
// exactly once on an internal thread (the store's writer thread after a
// commit, or a worker). Callbacks must be short and must not block.
// Codes: INVALID_ARGUMENT (bad request, message names the field),
// NOT_FOUND (unknown task, or another caller's), FAILED_PRECONDITION
// (cancel of a finished task), ALREADY_EXISTS (an idempotency key reused
// for another request), UNAVAILABLE / INTERNAL (storage).
#ifndef MEDIAGW_CORE_TASK_SERVICE_H_
#define MEDIAGW_CORE_TASK_SERVICE_H_

#include <functional>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "common/clock.h"
#include "common/thread_pool.h"
#include "core/auth.h"
#include "core/blob_store.h"
#include "core/dispatcher.h"
#include "core/event_bus.h"
#include "core/provider.h"
#include "core/task_store.h"
#include "mediagw/v1/media.pb.h"

namespace mediagw {

// A live subscription to one task. Destroying it (or Stop) ends delivery.
class TaskWatch {
 public:
  virtual ~TaskWatch() = default;
  // Thread-safe; after it returns no callback starts (one already running
  // may finish).
  virtual void Stop() = 0;
};

class TaskService {
 public:
  template <typename T>
  using Callback = std::function<void(absl::StatusOr<T>)>;

  struct Deps {
    TaskStore* store;
    BlobStore* blobs;  // input images of video tasks
    const Router* router;
    Dispatcher* dispatcher;
    Executor* executor;
    EventBus* bus;
    const Clock* clock;
    // How long an idempotency key stays bound to its task.
    absl::Duration idempotency_ttl = absl::Hours(24);
  };
  explicit TaskService(Deps deps);

  // Validates and normalizes, stores the task durably, then replies with it
  // (state PENDING) and hands it to the dispatcher.
  // Idempotency keys work as Stripe's: a repeat of a request with a key this
  // caller used within Deps::idempotency_ttl replies what the first submit
  // replied (the task as it was then, PENDING; GetTask tells where it is
  // now) and starts nothing. The same key with other parameters (compared
  // as a fingerprint of the normalized request) is ALREADY_EXISTS
  // "Idempotency key was already used for a different request". Once the
  // time is over the key submits a new task.
  // FAILED_PRECONDITION when no channel of the workflow can take work (the
  // message is for the caller, e.g. "Server configuration error: Grok API
  // key missing"); INVALID_ARGUMENT for a video workflow.
  void SubmitImage(const Caller& caller, v1::SubmitImageRequest request,
                   Callback<v1::Task> done);
  // As SubmitImage for an image-to-video workflow (default "video"). Inline
  // image data is decoded, checked and stored as the task's input before
  // the task is; a URL is fetched by the dispatcher (SSRF-checked).
  void SubmitVideo(const Caller& caller, v1::SubmitVideoRequest request,
                   Callback<v1::Task> done);
  void GetTask(const Caller& caller, const std::string& id,
               Callback<v1::Task> done);
  void CancelTask(const Caller& caller, const std::string& id,
                  Callback<v1::Task> done);
  void ListTasks(const Caller& caller, v1::ListTasksRequest request,
                 Callback<v1::ListTasksResponse> done);

  // A completion notice an upstream POSTed for task `id` (no caller auth:
  // the task's provider verifies the signature). OK also when the task has
  // finished; NOT_FOUND, UNAUTHENTICATED, INVALID_ARGUMENT, UNIMPLEMENTED.
  void HandleCallback(const std::string& id, CallbackRequest request,
                      std::function<void(absl::Status)> done);

  // Delivers the current snapshot first, then every later change in order
  // (never an older version after a newer one). `on_event` runs on internal
  // threads, one call at a time. `on_error` runs once instead of any event
  // if the task cannot be read (NOT_FOUND for an unknown or foreign task).
  // Delivery continues after a terminal state only until that event.
  std::shared_ptr<TaskWatch> Watch(
      const Caller& caller, const std::string& id,
      std::function<void(const v1::Task&)> on_event,
      std::function<void(absl::Status)> on_error);

 private:
  void ReplyExisting(const Caller& caller, const std::string& key,
                     const std::string& fingerprint, Callback<v1::Task> done);
  // The task as the first submit of `rec` replied it.
  v1::Task FirstReply(const TaskRecord& rec) const;
  // Binds rec's idempotency key (if any) to the request it came with (a
  // video's `image` included) and to the time it is kept for.
  void SetIdempotency(TaskRecord& rec, bool random_seed,
                      absl::string_view image) const;
  // The PENDING record of a new task (id in the workflow's style).
  TaskRecord NewRecord(const Caller& caller, const WorkflowInfo& workflow,
                       v1::SubmitImageRequest params, v1::TaskKind kind);
  // First channel of the workflow that can take work, or why none can.
  absl::Status CheckChannels(const WorkflowInfo& workflow,
                             const std::string& model) const;
  // INVALID_ARGUMENT when a channel the normalized request routes to cannot
  // run it (Provider::LimitsFor: n, a whole workflow as prompt).
  absl::Status CheckRouteLimits(const v1::SubmitImageRequest& request) const;
  void Store(const Caller& caller, TaskRecord rec, Callback<v1::Task> done);
  Deps deps_;
};

}  // namespace mediagw

#endif  // MEDIAGW_CORE_TASK_SERVICE_H_
