// Private to the Dispatcher implementation files.
#ifndef MEDIAGW_CORE_DISPATCHER_INTERNAL_H_
#define MEDIAGW_CORE_DISPATCHER_INTERNAL_H_

#include <deque>
#include <functional>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/status/status.h"
#include "absl/strings/cord.h"
#include "absl/strings/string_view.h"
#include "common/status_mapping.h"
#include "core/dispatcher.h"
#include "google/protobuf/util/time_util.h"

namespace mediagw {

// One task driven by the Dispatcher. Lock order: Dispatcher::mu_, then a
// task's `mu`, then ChannelSlots'; never two tasks' at once.
struct Dispatcher::Active {
  struct Pending {
    MutateFn fn;
    RecordCallback after;
  };
  Active(std::string id, std::string owner_id)
      : record_id(std::move(id)), owner(std::move(owner_id)) {}
  const std::string record_id;
  const std::string owner;  // the account (fair queueing)
  mutable absl::Mutex mu;
  TaskRecord record ABSL_GUARDED_BY(mu);  // as last committed
  Channel channel ABSL_GUARDED_BY(mu);
  // Changes waiting to be written, one store write in flight at a time.
  bool writing ABSL_GUARDED_BY(mu) = false;
  std::deque<Pending> queue ABSL_GUARDED_BY(mu);
  Scheduler::TimerId poll_timer ABSL_GUARDED_BY(mu) = 0;
  Scheduler::TimerId deadline_timer ABSL_GUARDED_BY(mu) = 0;
  bool poll_in_flight ABSL_GUARDED_BY(mu) = false;
  bool fetching ABSL_GUARDED_BY(mu) = false;
  bool retired ABSL_GUARDED_BY(mu) = false;
  int not_found ABSL_GUARDED_BY(mu) = 0;
  int poll_errors ABSL_GUARDED_BY(mu) = 0;
  int poll_refusals ABSL_GUARDED_BY(mu) = 0;  // non-retryable, in a row
  // Progress throttling (DispatcherOptions::progress_interval).
  absl::Time last_progress_write ABSL_GUARDED_BY(mu) = absl::InfinitePast();
  double pending_progress ABSL_GUARDED_BY(mu) = 0;
  bool progress_flush_scheduled ABSL_GUARDED_BY(mu) = false;
  // Submits that went out without an answer.
  int unknown_outcomes ABSL_GUARDED_BY(mu) = 0;
  int write_failures ABSL_GUARDED_BY(mu) = 0;  // store writes failed in a row
  // Timers set through Dispatcher::TaskTimer that have not fired: token ->
  // scheduler id (0 until RunAt returned) and what to run instead if the
  // task retires first. Retire and Shutdown cancel them.
  struct Timer {
    Scheduler::TimerId id = 0;
    std::function<void()> on_drop;
  };
  uint64_t next_timer_token ABSL_GUARDED_BY(mu) = 0;
  absl::flat_hash_map<uint64_t, Timer> timers ABSL_GUARDED_BY(mu);
  // Channels that refused this task for our credentials or credit.
  absl::flat_hash_set<std::string> refused_channels ABSL_GUARDED_BY(mu);
  // Poll backoff: consecutive polls that showed no change.
  UpstreamState last_polled_state ABSL_GUARDED_BY(mu) = UpstreamState::kQueued;
  double last_polled_progress ABSL_GUARDED_BY(mu) = 0;
  int idle_polls ABSL_GUARDED_BY(mu) = 0;

  // Takes the pending timers; the caller cancels them and, unless null,
  // gets their drop hooks in `drops` to run once no lock is held.
  std::vector<Scheduler::TimerId> TakeTimers(
      std::vector<std::function<void()>>* drops = nullptr)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu) {
    std::vector<Scheduler::TimerId> ids;
    for (auto& [token, t] : timers) {
      if (t.id != 0) ids.push_back(t.id);
      if (drops != nullptr && t.on_drop) drops->push_back(std::move(t.on_drop));
    }
    timers.clear();
    return ids;
  }
};

inline google::protobuf::Timestamp ToProtoTime(absl::Time t) {
  return google::protobuf::util::TimeUtil::NanosecondsToTimestamp(
      absl::ToUnixNanos(t));
}

// The error a task stopped in `state` carries (none for CANCELED).
inline void SetStopError(v1::TaskState state, v1::Task* task) {
  if (state == v1::TASK_STATE_TIMED_OUT) {
    task->mutable_error()->set_code(
        CodeName(absl::StatusCode::kDeadlineExceeded));
    task->mutable_error()->set_message(
        "task did not finish before its deadline");
  }
}

// What a mutation returns when there is nothing to write: a status with a
// payload of its own, so that no message text decides it.
inline constexpr absl::string_view kUnchangedUrl =
    "type.mediagw.dev/dispatcher.unchanged";

inline absl::Status Unchanged() {
  absl::Status status = absl::FailedPreconditionError("nothing to write");
  status.SetPayload(kUnchangedUrl, absl::Cord("1"));
  return status;
}

// Whether a mutation was skipped because there was nothing to write (as
// opposed to refused, e.g. because the task had already finished).
inline bool IsUnchanged(const absl::Status& status) {
  return status.GetPayload(kUnchangedUrl).has_value();
}

// The mutation for "the upstream is running it, at `progress`": QUEUED
// becomes RUNNING (start time `now`) and progress only ever rises. It is
// clamped first: 1.0 is reserved for SUCCEEDED, and an upstream that keeps
// reporting 100% must not rewrite the task.
inline std::function<absl::Status(TaskRecord&)> MarkRunning(absl::Time now,
                                                            double progress) {
  const double p = progress < 0.99 ? progress : 0.99;
  return [now, p](TaskRecord& t) {
    auto* task = t.mutable_task();
    bool changed = false;
    if (task->state() == v1::TASK_STATE_QUEUED) {
      task->set_state(v1::TASK_STATE_RUNNING);
      *task->mutable_start_time() = ToProtoTime(now);
      changed = true;
    }
    if (task->state() == v1::TASK_STATE_RUNNING &&
        p > task->progress() + 1e-6) {
      task->set_progress(p);
      changed = true;
    }
    return changed ? absl::OkStatus() : Unchanged();
  };
}

}  // namespace mediagw

#endif  // MEDIAGW_CORE_DISPATCHER_INTERNAL_H_
