// Waits for one task to reach a terminal state without holding a thread:
// a TaskService watch delivers the task's changes, a scheduler timer
// bounds the wait, and whichever comes first answers, exactly once.
// For surfaces that answer synchronously (OpenAI images).
//
// Threading: Start from any thread; `done` runs once, on a TaskService
// thread (terminal state, watch error), the scheduler's loop (timeout) or
// the thread that calls Abandon, never under a lock of this class. It must
// be short and must not block.
#ifndef MEDIAGW_GATEWAY_SYNC_WAIT_H_
#define MEDIAGW_GATEWAY_SYNC_WAIT_H_

#include <functional>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "core/http_client.h"
#include "core/task_service.h"

namespace mediagw::gateway {

class SyncWait : public std::enable_shared_from_this<SyncWait> {
 public:
  // The task in a terminal state, or DEADLINE_EXCEEDED when `timeout`
  // passed first, or the watch's error (NOT_FOUND...), or CANCELLED after
  // Abandon.
  using Done = std::function<void(absl::StatusOr<v1::Task>)>;

  // Starts waiting for task `id` of `caller`. `tasks` and `timers` must
  // outlive the wait (it ends by `timeout` at the latest). The returned
  // object may be dropped: the watch and the timer keep it alive.
  static std::shared_ptr<SyncWait> Start(TaskService* tasks,
                                         Scheduler* timers,
                                         const Caller& caller,
                                         const std::string& id,
                                         absl::Duration timeout, Done done);

  // Ends the wait now (the client went away): CANCELLED, unless it ended.
  void Abandon();

  SyncWait(Scheduler* timers, Done done)
      : timers_(timers), done_(std::move(done)) {}

 private:
  void Finish(absl::StatusOr<v1::Task> result);

  Scheduler* const timers_;
  Done done_;  // called once, outside mu_
  absl::Mutex mu_;
  bool finished_ ABSL_GUARDED_BY(mu_) = false;
  std::shared_ptr<TaskWatch> watch_ ABSL_GUARDED_BY(mu_);
  bool timer_set_ ABSL_GUARDED_BY(mu_) = false;
  Scheduler::TimerId timer_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace mediagw::gateway

#endif  // MEDIAGW_GATEWAY_SYNC_WAIT_H_
