#include "gateway/sync_wait.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "core/state_machine.h"

namespace mediagw::gateway {

std::shared_ptr<SyncWait> SyncWait::Start(TaskService* tasks,
                                          Scheduler* timers,
                                          const Caller& caller,
                                          const std::string& id,
                                          absl::Duration timeout, Done done) {
  auto self = std::make_shared<SyncWait>(timers, std::move(done));
  // The timer first: whatever the watch does, the wait has an end.
  Scheduler::TimerId timer =
      timers->RunAt(timers->Now() + timeout, [self, id, timeout] {
        self->Finish(absl::DeadlineExceededError(absl::StrCat(
            "task ", id, " did not finish within ",
            absl::FormatDuration(timeout))));
      });
  {
    absl::MutexLock l(&self->mu_);
    self->timer_ = timer;
    self->timer_set_ = true;
  }
  // The watch holds `self` until the wait ends; Finish stops the watch,
  // which breaks that cycle.
  std::shared_ptr<TaskWatch> watch = tasks->Watch(
      caller, id,
      [self](const v1::Task& task) {
        if (IsTerminal(task.state())) self->Finish(task);
      },
      [self](absl::Status st) { self->Finish(std::move(st)); });
  bool stop_now = false;
  {
    absl::MutexLock l(&self->mu_);
    // The watch may have delivered a finished task already.
    if (self->finished_) {
      stop_now = true;
    } else {
      self->watch_ = watch;
    }
  }
  if (stop_now) watch->Stop();
  return self;
}

void SyncWait::Abandon() {
  Finish(absl::CancelledError("the client went away"));
}

void SyncWait::Finish(absl::StatusOr<v1::Task> result) {
  std::shared_ptr<TaskWatch> watch;
  bool cancel_timer = false;
  Scheduler::TimerId timer = 0;
  Done done;
  {
    absl::MutexLock l(&mu_);
    if (finished_) return;
    finished_ = true;
    watch = std::move(watch_);
    cancel_timer = timer_set_;
    timer = timer_;
    done = std::move(done_);
  }
  if (watch) watch->Stop();
  if (cancel_timer) timers_->Cancel(timer);
  done(std::move(result));
}

}  // namespace mediagw::gateway
