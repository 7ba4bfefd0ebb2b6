// The overdue backlog: a task that waits in the store because max_active
// tasks are being driven has no timer of its own (it is not loaded, so
// memory does not grow with the backlog). Without this sweep it would only
// be timed out once a slot freed and the backlog reached it, which behind a
// long backlog is long after its deadline. While there is a backlog, the
// sweep asks the store for PENDING rows past their deadline (an indexed
// read, at most backlog_sweep_batch rows) and ends each TIMED_OUT through
// the TaskWriter, as CancelWaiting ends a waiting task. Nothing went
// upstream for such a task, so nothing is cancelled there.
#include <algorithm>
#include <atomic>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "common/logging.h"
#include "common/metrics.h"
#include "core/dispatcher.h"
#include "core/dispatcher_internal.h"

namespace mediagw {

void Dispatcher::StartOverdueSweep() {
  if (options_.backlog_sweep_interval <= absl::ZeroDuration()) return;
  {
    absl::MutexLock l(&mu_);
    if (stopping_ || overdue_sweeping_ || overdue_unsupported_) return;
    overdue_sweeping_ = true;
  }
  ArmOverdueSweep(options_.backlog_sweep_interval);
}

void Dispatcher::ArmOverdueSweep(absl::Duration delay) {
  if (stopping_ || options_.backlog_sweep_interval <= absl::ZeroDuration()) {
    return;
  }
  const Scheduler::TimerId id = deps_.scheduler->RunAt(
      deps_.scheduler->Now() + delay, [this] { SweepOverdue(); });
  bool drop = false;
  {
    absl::MutexLock l(&mu_);
    // Shutdown takes the timer under mu_ after setting stopping_: one set
    // after that is cancelled here.
    if (stopping_) {
      drop = true;
    } else {
      overdue_timer_ = id;
    }
  }
  if (drop) deps_.scheduler->Cancel(id);
}

void Dispatcher::SweepOverdue() {
  bool backlog;
  {
    absl::MutexLock l(&mu_);
    overdue_timer_ = 0;
    if (stopping_) return;
    backlog = backlog_;
    // Without a backlog every PENDING task is driven, with its own deadline
    // timer: the sweep stops until the next backlog starts it. Decided
    // under mu_, where backlog_ is set before StartOverdueSweep is called.
    if (!backlog) overdue_sweeping_ = false;
  }
  if (!backlog) return;
  // A store read is not for the timer's thread.
  deps_.executor->Schedule([this] { SweepOverdueBatch(); });
}

void Dispatcher::SweepOverdueBatch() {
  if (stopping_) return;
  const absl::Time now = deps_.clock->Now();
  const int batch = std::max(1, options_.backlog_sweep_batch);
  auto scan = deps_.store->ListOverduePending(now, batch);
  if (!scan.ok()) {
    if (scan.status().code() == absl::StatusCode::kUnimplemented) {
      MG_LOG(Warning, "overdue backlog sweep off: ", scan.status().ToString());
      absl::MutexLock l(&mu_);
      overdue_unsupported_ = true;  // such tasks time out when loaded
      overdue_sweeping_ = false;
      return;
    }
    MG_LOG(Warning, "cannot read the overdue backlog: ",
           scan.status().ToString());
    return ArmOverdueSweep(options_.backlog_sweep_interval);
  }
  // Tasks loaded meanwhile have their own deadline timer. Unreadable rows
  // are the backlog loader's to fail (FailUnreadable), with their count.
  std::vector<TaskRecord> due;
  for (TaskRecord& rec : scan->records) {
    if (Find(rec.task().id()) == nullptr) due.push_back(std::move(rec));
  }
  // A full batch of rows still to end: go on at once; otherwise (or if
  // what was read is being driven already) wait an interval.
  const absl::Duration next =
      scan->rows() >= static_cast<size_t>(batch) && !due.empty()
          ? absl::ZeroDuration()
          : options_.backlog_sweep_interval;
  if (due.empty()) return ArmOverdueSweep(next);
  static std::atomic<int64_t>* const timed_out = GlobalMetrics().Counter(
      "mediagw_backlog_timed_out_total",
      "Tasks that reached their deadline while waiting in the backlog");
  // The next read waits for this batch's writes, so it cannot see (and
  // write again) rows whose change is still in flight.
  auto left = std::make_shared<std::atomic<size_t>>(due.size());
  for (const TaskRecord& rec : due) {
    TaskRecord next_rec = rec;
    v1::Task* task = next_rec.mutable_task();
    task->set_state(v1::TASK_STATE_TIMED_OUT);
    SetStopError(v1::TASK_STATE_TIMED_OUT, task);
    *task->mutable_end_time() = ToProtoTime(now);
    deps_.writer->Commit(
        rec, std::move(next_rec),
        [this, left, next](absl::StatusOr<TaskRecord> committed) {
          if (committed.ok()) {
            waiting_.fetch_sub(1, std::memory_order_relaxed);
            timed_out->fetch_add(1, std::memory_order_relaxed);
          } else {
            // ABORTED: loaded (and timed out there) or cancelled meanwhile;
            // UNAVAILABLE: the next sweep finds it again.
            MG_LOG(Info, "overdue backlog: ", committed.status().ToString());
          }
          if (left->fetch_sub(1) == 1) ArmOverdueSweep(next);
        });
  }
}

}  // namespace mediagw
