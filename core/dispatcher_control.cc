// Cancellation, pushed progress and restart recovery.
#include <algorithm>

#include "absl/strings/str_cat.h"
#include "common/logging.h"
#include "common/metrics.h"
#include "common/status_mapping.h"
#include "core/dispatcher.h"
#include "core/dispatcher_internal.h"
#include "core/state_machine.h"
#include "google/protobuf/util/time_util.h"

namespace mediagw {

using google::protobuf::util::TimeUtil;

void Dispatcher::Cancel(const std::string& task_id, RecordCallback done) {
  auto a = Find(task_id);
  if (a == nullptr) {
    CancelWaiting(task_id, std::move(done));
    return;
  }
  RequestStop(a, v1::TASK_STATE_CANCELED, std::move(done));
}

void Dispatcher::RequestStop(std::shared_ptr<Active> a, v1::TaskState state,
                             RecordCallback done) {
  const absl::Time now = deps_.clock->Now();
  // Decided on the fresh record, in the task's write order: whether a
  // submit request is out is only known there.
  Mutate(
      a,
      [state, now](TaskRecord& t) {
        const v1::TaskState s = t.task().state();
        if (IsTerminal(s)) {
          return absl::FailedPreconditionError("task already finished");
        }
        const bool upstream_may_have_it =
            (s == v1::TASK_STATE_SUBMITTING && t.submit_sent()) ||
            s == v1::TASK_STATE_QUEUED || s == v1::TASK_STATE_RUNNING;
        if (upstream_may_have_it) {
          if (t.cancel_requested()) return Unchanged();
          t.set_cancel_requested(true);
          t.set_cancel_state(state);
          return absl::OkStatus();
        }
        t.mutable_task()->set_state(state);
        SetStopError(state, t.mutable_task());
        *t.mutable_task()->mutable_end_time() = ToProtoTime(now);
        return absl::OkStatus();
      },
      [this, a, done = std::move(done)](absl::StatusOr<TaskRecord> r) {
        if (!r.ok() && !IsUnchanged(r.status())) {
          if (done) done(r);
          return;
        }
        TaskRecord rec;
        {
          absl::MutexLock l(&a->mu);
          rec = a->record;
        }
        if (IsTerminal(rec.task().state()) ||
            rec.task().state() == v1::TASK_STATE_SUBMITTING) {
          // Done, or the submit's answer finishes it (OnSubmitted).
          if (done) done(rec);
          return;
        }
        CancelUpstreamThenStop(a, std::move(done));
      });
}

void Dispatcher::CancelUpstreamThenStop(std::shared_ptr<Active> a,
                                        RecordCallback done) {
  TaskRecord rec;
  std::shared_ptr<Provider> provider;
  {
    absl::MutexLock l(&a->mu);
    rec = a->record;
    provider = a->channel.provider;
  }
  auto shared_done = std::make_shared<RecordCallback>(std::move(done));
  auto stop = [this, a, shared_done](absl::Status st, bool asked) {
    if (!st.ok()) {
      MG_LOG(Warning, "task ", a->record_id,
             ": upstream cancel failed: ", st.ToString());
    }
    FinishStop(a, /*upstream_cancelled=*/asked && st.ok(),
               std::move(*shared_done));
  };
  if (provider == nullptr || rec.upstream_id().empty()) {
    stop(absl::OkStatus(), false);
    return;
  }
  provider->Cancel(rec, [stop = std::move(stop)](absl::Status st) {
    stop(std::move(st), true);
  });
}

void Dispatcher::FinishStop(std::shared_ptr<Active> a, bool upstream_cancelled,
                            RecordCallback done) {
  const absl::Time now = deps_.clock->Now();
  Mutate(
      a,
      [now, upstream_cancelled](TaskRecord& t) {
        if (IsTerminal(t.task().state())) {
          return absl::FailedPreconditionError("task already finished");
        }
        const v1::TaskState state = t.cancel_state() == v1::TASK_STATE_TIMED_OUT
                                        ? v1::TASK_STATE_TIMED_OUT
                                        : v1::TASK_STATE_CANCELED;
        t.mutable_task()->set_state(state);
        SetStopError(state, t.mutable_task());
        *t.mutable_task()->mutable_end_time() = ToProtoTime(now);
        t.set_upstream_cancelled(upstream_cancelled);
        return absl::OkStatus();
      },
      [done = std::move(done)](absl::StatusOr<TaskRecord> r) {
        if (done) done(r);
      });
}

void Dispatcher::CancelWaiting(const std::string& task_id,
                               RecordCallback done) {
  absl::Time now = deps_.clock->Now();
  deps_.executor->Schedule([this, task_id, now, done = std::move(done)] {
    auto rec = deps_.store->Get(task_id);
    if (!rec.ok()) {
      done(rec.status());
      return;
    }
    if (IsTerminal(rec->task().state())) {
      done(absl::FailedPreconditionError("task already finished"));
      return;
    }
    if (Find(task_id) != nullptr) {
      // Admitted meanwhile: cancel it through its active entry.
      Cancel(task_id, done);
      return;
    }
    const bool was_waiting = rec->task().state() == v1::TASK_STATE_PENDING;
    TaskRecord next = *rec;
    next.mutable_task()->set_state(v1::TASK_STATE_CANCELED);
    *next.mutable_task()->mutable_end_time() = ToProtoTime(now);
    deps_.writer->Commit(
        *rec, std::move(next),
        [this, done, was_waiting](absl::StatusOr<TaskRecord> committed) {
          if (committed.ok() && was_waiting) {
            waiting_.fetch_sub(1, std::memory_order_relaxed);
          }
          done(std::move(committed));
        });
  });
}

void Dispatcher::OnProgress(const std::string& task_id, double progress) {
  auto a = Find(task_id);
  if (a == nullptr || stopping_) return;
  ReportRunning(a, progress);
}

void Dispatcher::ReportRunning(std::shared_ptr<Active> a, double progress) {
  const absl::Time now = deps_.clock->Now();
  bool write = false;
  bool schedule = false;
  absl::Time flush_at;
  double latest;
  {
    absl::MutexLock l(&a->mu);
    if (a->retired) return;
    a->pending_progress = std::max(a->pending_progress, progress);
    latest = a->pending_progress;
    // Every stored progress is a commit and a stream event: at most one per
    // interval for a task that is already RUNNING. The move to RUNNING is
    // never held back.
    const bool running = a->record.task().state() == v1::TASK_STATE_RUNNING;
    if (!running ||
        now - a->last_progress_write >= options_.progress_interval) {
      a->last_progress_write = now;
      write = true;
    } else if (!a->progress_flush_scheduled) {
      a->progress_flush_scheduled = true;
      flush_at = a->last_progress_write + options_.progress_interval;
      schedule = true;
    }
  }
  if (write) Mutate(a, MarkRunning(now, latest), nullptr);
  if (schedule) {
    // The latest value is written when the interval is over, so a job
    // that goes quiet does not show a stale figure.
    TaskTimer(a, flush_at, [this, a] {
      double p;
      {
        absl::MutexLock l(&a->mu);
        a->progress_flush_scheduled = false;
        p = a->pending_progress;
      }
      if (!stopping_) ReportRunning(a, p);
    });
  }
}

void Dispatcher::OnHint(const std::string& task_id) {
  auto a = Find(task_id);
  if (a != nullptr) SchedulePoll(a, absl::ZeroDuration());
}

void Dispatcher::OnCallback(const std::string& task_id, CallbackRequest request,
                            std::function<void(absl::Status)> done) {
  // Only a task driven right now can use a notice (a finished one has its
  // result, a waiting one has nothing upstream yet), and its record is in
  // memory: a flood of notices for other ids costs no store read and no
  // turn on the pool that drives tasks. Checking a signature is a small
  // HMAC, fine on the calling thread.
  auto a = Find(task_id);
  TaskRecord rec;
  std::shared_ptr<Provider> provider;
  if (a != nullptr) {
    absl::MutexLock l(&a->mu);
    rec = a->record;
    provider = a->channel.provider;
  }
  if (a == nullptr || provider == nullptr || rec.upstream_id().empty()) {
    done(absl::NotFoundError(
        absl::StrCat("task ", task_id, " is not waiting for a notice")));
    return;
  }
  absl::Status verdict = provider->VerifyCallback(rec, request);
  if (verdict.ok()) OnHint(task_id);
  done(verdict);
}

}  // namespace mediagw
