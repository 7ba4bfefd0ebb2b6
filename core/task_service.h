// The core's use cases, as the adapters see them: the one interface that the
// gRPC adapter (server/) and the REST gateway (gateway/) are peers over, the
// way google-cloud-cpp clients call a Connection. Neither adapter talks to
// providers or the store directly; each is unit-tested against a mock of
// this interface (tests/fakes/mock_task_service.h). The implementation is
// TaskServiceImpl (core/task_service_impl.h).
//
// Threading: every method is thread-safe and returns at once; `done` runs
// exactly once on an internal thread (the store's writer thread after a
// commit, or a worker) or, for answers known at once, on the caller's
// thread. Callbacks must be short and must not block.
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
#include "core/auth.h"
#include "core/provider.h"
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

  virtual ~TaskService() = default;

  // Validates and normalizes, stores the task durably, then replies with it
  // (state PENDING) and hands it to the dispatcher.
  // Idempotency keys work as Stripe's: a repeat of a request with a key this
  // caller used within the configured time (24 h by default) replies what the
  // first submit replied (the task as it was then, PENDING; GetTask tells where
  // it is now) and starts nothing. The same key with other parameters (compared
  // as a fingerprint of the normalized request) is ALREADY_EXISTS
  // "Idempotency key was already used for a different request". Once the
  // time is over the key submits a new task.
  // FAILED_PRECONDITION when no channel of the workflow can take work (the
  // message is for the caller, e.g. "Server configuration error: Grok API
  // key missing"); INVALID_ARGUMENT for a video workflow.
  virtual void SubmitImage(const Caller& caller, v1::SubmitImageRequest request,
                           Callback<v1::Task> done) = 0;
  // As SubmitImage for an image-to-video workflow (default "video"). Inline
  // image data is decoded, checked and stored as the task's input before
  // the task is; a URL is fetched by the dispatcher (SSRF-checked).
  virtual void SubmitVideo(const Caller& caller, v1::SubmitVideoRequest request,
                           Callback<v1::Task> done) = 0;
  virtual void GetTask(const Caller& caller, const std::string& id,
                       Callback<v1::Task> done) = 0;
  virtual void CancelTask(const Caller& caller, const std::string& id,
                          Callback<v1::Task> done) = 0;
  virtual void ListTasks(const Caller& caller, v1::ListTasksRequest request,
                         Callback<v1::ListTasksResponse> done) = 0;

  // A completion notice an upstream POSTed for task `id` (no caller auth:
  // the task's provider verifies the signature); a genuine one makes the
  // task poll its upstream at once. Answered on the calling thread, without
  // a store read. NOT_FOUND for a task not being driven right now (unknown,
  // finished, or not yet upstream), UNAUTHENTICATED, INVALID_ARGUMENT,
  // UNIMPLEMENTED.
  virtual void HandleCallback(const std::string& id, CallbackRequest request,
                              std::function<void(absl::Status)> done) = 0;

  // Delivers the current snapshot first, then every later change in order
  // (never an older version after a newer one). `on_event` runs on internal
  // threads, one call at a time. `on_error` runs once instead of any event
  // if the task cannot be read (NOT_FOUND for an unknown or foreign task).
  // Delivery continues after a terminal state only until that event.
  virtual std::shared_ptr<TaskWatch> Watch(
      const Caller& caller, const std::string& id,
      std::function<void(const v1::Task&)> on_event,
      std::function<void(absl::Status)> on_error) = 0;
};

}  // namespace mediagw

#endif  // MEDIAGW_CORE_TASK_SERVICE_H_
