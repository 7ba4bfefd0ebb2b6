// The per-task writer: a task's changes are queued and applied one at a
// time, in order, through the TaskWriter (the one transition path); failed
// writes are retried; timers are tracked per task; a finished task
// retires.
#include <algorithm>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/logging.h"
#include "common/metrics.h"
#include "common/status_mapping.h"
#include "common/utf8.h"
#include "core/dispatcher.h"
#include "core/dispatcher_internal.h"
#include "core/state_machine.h"
#include "google/protobuf/util/time_util.h"

namespace mediagw {

using google::protobuf::util::TimeUtil;
using v1::TaskState;

void Dispatcher::Fail(std::shared_ptr<Active> a, TaskState state,
                      const absl::Status& error) {
  absl::Time now = deps_.clock->Now();
  std::string code = CodeName(error.code());
  // Messages often carry upstream text; a stored record must stay readable.
  std::string message = SanitizeUpstreamText(error.message(), 2000);
  Mutate(
      a,
      [state, now, code, message](TaskRecord& t) {
        if (!CanTransition(t.task().state(), state)) return Unchanged();
        auto* task = t.mutable_task();
        task->set_state(state);
        task->mutable_error()->set_code(code);
        task->mutable_error()->set_message(message);
        *task->mutable_end_time() = ToProtoTime(now);
        return absl::OkStatus();
      },
      nullptr);
}

void Dispatcher::TaskTimer(const std::shared_ptr<Active>& a, absl::Time at,
                           std::function<void()> fn,
                           std::function<void()> on_drop) {
  uint64_t token;
  bool dropped = false;
  {
    absl::MutexLock l(&a->mu);
    if (stopping_) return;
    if (a->retired) {
      dropped = true;
    } else {
      token = ++a->next_timer_token;
      a->timers[token] = Active::Timer{0, std::move(on_drop)};
    }
  }
  if (dropped) {
    if (on_drop) on_drop();
    return;
  }
  // RunAt may fire on another thread before it returns: the entry is made
  // first, and whoever removes it (the firing, or Retire) decides.
  const Scheduler::TimerId id = deps_.scheduler->RunAt(
      at, [a, token, fn = std::move(fn)] {
        {
          absl::MutexLock l(&a->mu);
          if (a->timers.erase(token) == 0) return;  // cancelled
        }
        fn();
      });
  bool cancel = false;
  {
    absl::MutexLock l(&a->mu);
    auto it = a->timers.find(token);
    if (it != a->timers.end()) {
      it->second.id = id;
    } else {
      cancel = a->retired;  // taken by Retire before its id was known
    }
  }
  if (cancel) deps_.scheduler->Cancel(id);
}

absl::Duration Dispatcher::WriteRetryDelay(int failures) {
  // Full jitter over an exponential ceiling: 50 ms doubling, at most 5 s.
  const int shift = std::min(failures - 1, 7);
  const absl::Duration ceiling =
      std::min(absl::Milliseconds(50) * (1 << shift), absl::Seconds(5));
  absl::MutexLock l(&mu_);
  return ceiling * absl::Uniform<double>(jitter_, 0.0, 1.0);
}

void Dispatcher::Mutate(std::shared_ptr<Active> a, MutateFn fn,
                        RecordCallback after) {
  {
    absl::MutexLock l(&a->mu);
    a->queue.push_back({std::move(fn), std::move(after)});
    if (a->writing) return;
    a->writing = true;
  }
  Drain(std::move(a));
}

// Applies queued mutations of one task in order; at most one store write per
// task is in flight. Continues from the store's completion callback.
void Dispatcher::Drain(std::shared_ptr<Active> a) {
  for (;;) {
    Active::Pending m;
    TaskRecord current;
    {
      absl::MutexLock l(&a->mu);
      if (a->queue.empty()) {
        a->writing = false;
        return;
      }
      m = std::move(a->queue.front());
      a->queue.pop_front();
      current = a->record;
    }
    TaskRecord next = current;
    absl::Status want = m.fn(next);
    if (!want.ok()) {
      if (m.after) m.after(want);
      continue;
    }
    auto after = std::make_shared<RecordCallback>(std::move(m.after));
    MutateFn fn = std::move(m.fn);
    deps_.writer->Commit(current, std::move(next), [this, a, after, fn](
                                                       absl::StatusOr<TaskRecord>
                                                           committed) {
      const absl::Status st = committed.status();
      if (st.ok()) {
        const TaskRecord& next = *committed;
        {
          absl::MutexLock l(&a->mu);
          a->record = next;
          a->write_failures = 0;
        }
        if (*after) (*after)(next);
        if (IsTerminal(next.task().state())) Retire(a);
      } else if (st.code() == absl::StatusCode::kAborted && !stopping_) {
        // Another writer (e.g. a second replica) changed the task: reload it
        // and apply the same mutation to the fresh record.
        deps_.executor->Schedule([this, a, fn, after] {
          auto fresh = deps_.store->Get(a->record_id);
          bool ended = false;
          {
            absl::MutexLock l(&a->mu);
            if (fresh.ok()) {
              a->record = *fresh;
              ended = IsTerminal(fresh->task().state());
            }
            a->queue.push_front({fn, std::move(*after)});
          }
          // The other writer ended it (e.g. the backlog sweep got there
          // before the loader): no commit of ours will, so it retires here
          // or would hold its slots until shutdown. The queued changes are
          // then refused by the state machine, each to its caller.
          if (ended) Retire(a);
          Drain(a);
        });
        return;
      } else if (st.code() == absl::StatusCode::kUnavailable && !stopping_) {
        // The store could not write (locked, I/O error, disk full): the
        // change is not dropped (it may record a paid upstream job, or free
        // a channel slot); it is tried again, in order, with backoff.
        int failures;
        {
          absl::MutexLock l(&a->mu);
          failures = ++a->write_failures;
          a->queue.push_front({fn, std::move(*after)});
        }
        const absl::Duration wait = WriteRetryDelay(failures);
        MG_LOG(Warning, "store update of ", a->record_id, " failed (",
               st.ToString(), "); retry ", failures, " in ",
               absl::FormatDuration(wait));
        // Not a TaskTimer: the write is owed even if the task retires
        // meanwhile (it may record a paid job), so retiring must not cancel
        // it.
        deps_.scheduler->RunAt(deps_.scheduler->Now() + wait,
                               [this, a] { Drain(a); });
        return;
      } else {
        MG_LOG(Error, "store update of ", a->record_id,
               " failed: ", st.ToString());
        if (*after) (*after)(st);
      }
      Drain(a);
    });
    return;
  }
}

void Dispatcher::Retire(std::shared_ptr<Active> a) {
  Scheduler::TimerId poll, deadline;
  std::vector<Scheduler::TimerId> timers;
  std::vector<std::function<void()>> drops;
  const std::string& id = a->record_id;
  std::shared_ptr<Provider> provider;
  {
    absl::MutexLock l(&a->mu);
    if (a->retired) return;
    a->retired = true;
    poll = a->poll_timer;
    deadline = a->deadline_timer;
    a->poll_timer = a->deadline_timer = 0;
    timers = a->TakeTimers(&drops);
    provider = a->channel.provider;
  }
  // Once retired, the task takes no slot and waits for none (both check
  // `retired` under its lock), so what is forgotten here stays forgotten.
  slots_.Forget(id);
  {
    absl::MutexLock l(&mu_);
    active_.erase(id);
  }
  if (poll) deps_.scheduler->Cancel(poll);
  if (deadline) deps_.scheduler->Cancel(deadline);
  for (Scheduler::TimerId t : timers) deps_.scheduler->Cancel(t);
  if (!stopping_) {
    for (auto& drop : drops) drop();
  }
  if (provider) provider->Unwatch(id);
  AdmitNext();
}

}  // namespace mediagw
