// TaskService over the store, the router and the dispatcher: validation
// and normalization, durable submits with idempotency keys, reads, cancels,
// upstream callbacks and watches. Contract: core/task_service.h.
#ifndef MEDIAGW_CORE_TASK_SERVICE_IMPL_H_
#define MEDIAGW_CORE_TASK_SERVICE_IMPL_H_

#include <functional>
#include <memory>
#include <string>

#include "absl/time/time.h"
#include "common/clock.h"
#include "common/thread_pool.h"
#include "core/blob_store.h"
#include "core/caller_limits.h"
#include "core/dispatcher.h"
#include "core/event_bus.h"
#include "core/task_service.h"
#include "core/task_store.h"
#include "core/task_writer.h"

namespace mediagw {

class TaskServiceImpl final : public TaskService {
 public:
  struct Deps {
    TaskStore* store;
    BlobStore* blobs;  // input images of video tasks
    const Router* router;
    Dispatcher* dispatcher;
    Executor* executor;
    EventBus* bus;
    const Clock* clock;
    TaskWriter* writer;  // creates tasks (core/task_writer.h)
    // How long an idempotency key stays bound to its task.
    absl::Duration idempotency_ttl = absl::Hours(24);
    // Per-account limits checked before a task is stored; null = none.
    CallerLimits* limits = nullptr;
  };
  // Every pointer must outlive the service.
  explicit TaskServiceImpl(Deps deps);

  void SubmitImage(const Caller& caller, v1::SubmitImageRequest request,
                   Callback<v1::Task> done) override;
  void SubmitVideo(const Caller& caller, v1::SubmitVideoRequest request,
                   Callback<v1::Task> done) override;
  void GetTask(const Caller& caller, const std::string& id,
               Callback<v1::Task> done) override;
  void CancelTask(const Caller& caller, const std::string& id,
                  Callback<v1::Task> done) override;
  void ListTasks(const Caller& caller, v1::ListTasksRequest request,
                 Callback<v1::ListTasksResponse> done) override;
  void HandleCallback(const std::string& id, CallbackRequest request,
                      std::function<void(absl::Status)> done) override;
  std::shared_ptr<TaskWatch> Watch(
      const Caller& caller, const std::string& id,
      std::function<void(const v1::Task&)> on_event,
      std::function<void(absl::Status)> on_error) override;

 private:
  // Our task ids are short UTF-8 (ASCII); anything else cannot name a task
  // and need not cost a store read or a dispatcher lookup.
  static bool PlausibleId(absl::string_view id);
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

#endif  // MEDIAGW_CORE_TASK_SERVICE_IMPL_H_
