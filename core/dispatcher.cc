#include "core/dispatcher.h"

#include <algorithm>
#include <utility>

#include "absl/random/random.h"
#include "absl/strings/str_cat.h"
#include "common/logging.h"
#include "common/status_mapping.h"
#include "common/utf8.h"
#include "core/dispatcher_internal.h"
#include "core/image_info.h"
#include "core/state_machine.h"
#include "google/protobuf/util/time_util.h"

namespace mediagw {

using google::protobuf::util::TimeUtil;
using v1::TaskState;

Dispatcher::Dispatcher(DispatcherDeps deps, DispatcherOptions options)
    : deps_(deps),
      options_(std::move(options)),
      fetch_slots_(options_.fetch_parallel, deps_.executor) {}

Dispatcher::~Dispatcher() { Shutdown(); }

void Dispatcher::Shutdown() {
  if (stopping_.exchange(true)) return;
  std::vector<Scheduler::TimerId> timers;
  {
    absl::MutexLock l(&mu_);
    for (auto& [id, a] : active_) {
      absl::MutexLock task_lock(&a->mu);
      if (a->poll_timer) timers.push_back(a->poll_timer);
      if (a->deadline_timer) timers.push_back(a->deadline_timer);
      a->poll_timer = a->deadline_timer = 0;
      for (Scheduler::TimerId t : a->TakeTimers()) timers.push_back(t);
    }
  }
  for (auto t : timers) deps_.scheduler->Cancel(t);
}

size_t Dispatcher::ActiveCount() const {
  absl::MutexLock l(&mu_);
  return active_.size();
}

size_t Dispatcher::WaitingCount() const {
  int64_t n = waiting_.load(std::memory_order_relaxed);
  return n > 0 ? static_cast<size_t>(n) : 0;
}

std::shared_ptr<Dispatcher::Active> Dispatcher::Find(
    const std::string& task_id) const {
  absl::MutexLock l(&mu_);
  auto it = active_.find(task_id);
  return it == active_.end() ? nullptr : it->second;
}

void Dispatcher::Enqueue(const TaskRecord& record) {
  if (stopping_) return;
  bool direct = false;
  {
    absl::MutexLock l(&mu_);
    if (backlog_ ||
        active_.size() >= static_cast<size_t>(options_.max_active)) {
      // It waits in the store; FIFO order comes from there.
      backlog_ = true;
      ++backlog_gen_;
      waiting_.fetch_add(1, std::memory_order_relaxed);
    } else {
      direct = true;
    }
  }
  if (direct) {
    Admit(record);
  } else {
    AdmitNext();
  }
}

void Dispatcher::AdmitNext() {
  int want, limit;
  uint64_t gen;
  {
    absl::MutexLock l(&mu_);
    if (stopping_ || !backlog_ || refilling_ ||
        active_.size() >= static_cast<size_t>(options_.max_active)) {
      return;
    }
    refilling_ = true;
    want = options_.max_active - static_cast<int>(active_.size());
    // Rows of tasks admitted but not yet past PENDING come back too.
    limit = want + static_cast<int>(active_.size());
    gen = backlog_gen_;
  }
  deps_.executor->Schedule([this, want, limit, gen] {
    auto scan = deps_.store->ListPending(limit);
    int admitted = 0;
    bool left_behind = false;  // rows read but not admitted for lack of room
    if (scan.ok()) {
      for (auto& rec : scan->records) {
        if (admitted >= want) {
          left_behind = true;
          break;
        }
        if (Admit(std::move(rec))) {
          ++admitted;
          waiting_.fetch_sub(1, std::memory_order_relaxed);
        }
      }
    } else {
      MG_LOG(Warning, "cannot load the backlog: ", scan.status().ToString());
    }
    const size_t unreadable = scan.ok() ? scan->unreadable.size() : 0;
    {
      absl::MutexLock l(&mu_);
      refilling_ = false;
      // The store had nothing beyond what was read and all of it was
      // taken: the backlog is empty unless more arrived meanwhile.
      if (scan.ok() && static_cast<int>(scan->rows()) < limit &&
          !left_behind && unreadable == 0 && gen == backlog_gen_) {
        backlog_ = false;
        waiting_.store(0, std::memory_order_relaxed);
      }
    }
    if (!scan.ok()) {
      deps_.scheduler->RunAt(deps_.scheduler->Now() + options_.poll_interval,
                             [this] { AdmitNext(); });
      return;
    }
    if (unreadable > 0) {
      // Rows that cannot be read must not hold the head of the backlog:
      // once they are failed, the next read goes past them.
      auto left = std::make_shared<std::atomic<size_t>>(unreadable);
      for (const UnreadableRow& row : scan->unreadable) {
        waiting_.fetch_sub(1, std::memory_order_relaxed);
        FailUnreadable(row, [this, left] {
          if (left->fetch_sub(1) == 1) {
            deps_.executor->Schedule([this] { AdmitNext(); });
          }
        });
      }
    } else if (admitted > 0) {
      AdmitNext();  // more slots may have freed meanwhile
    }
  });
}

bool Dispatcher::Admit(TaskRecord record) {
  const std::string id = record.task().id();
  auto a = std::make_shared<Active>(id);
  TaskState state = record.task().state();
  absl::Time deadline =
      absl::FromUnixNanos(TimeUtil::TimestampToNanoseconds(record.deadline()));
  bool has_deadline = record.has_deadline();
  {
    absl::MutexLock l(&a->mu);
    if (!record.channel().empty()) {
      a->channel = deps_.router->FindChannel(record.channel());
    }
    a->record = std::move(record);
  }
  {
    absl::MutexLock l(&mu_);
    if (active_.contains(id)) return false;
    active_[id] = a;
  }
  if (has_deadline && deadline <= deps_.clock->Now()) {
    // It waited in the store past its deadline: it ends now, and nothing is
    // sent upstream for it (a job started now would be paid for and lost).
    RequestStop(a, v1::TASK_STATE_TIMED_OUT, nullptr);
    return true;
  }
  if (has_deadline) {
    auto timer = deps_.scheduler->RunAt(deadline, [this, a] {
      RequestStop(a, v1::TASK_STATE_TIMED_OUT, nullptr);
    });
    absl::MutexLock l(&a->mu);
    a->deadline_timer = timer;
  }
  if (state == v1::TASK_STATE_PENDING) {
    Start(a);
  } else {
    Resume(a);
  }
  return true;
}

void Dispatcher::SchedulePoll(std::shared_ptr<Active> a, absl::Duration delay) {
  if (stopping_) return;
  Scheduler::TimerId old;
  {
    absl::MutexLock l(&a->mu);
    if (a->retired) return;
    old = a->poll_timer;
    a->poll_timer = 0;
  }
  if (old) deps_.scheduler->Cancel(old);
  auto id = deps_.scheduler->RunAt(deps_.scheduler->Now() + delay,
                                   [this, a] { DoPoll(a); });
  bool drop = false;
  {
    absl::MutexLock l(&a->mu);
    if (a->retired) {
      drop = true;
    } else {
      a->poll_timer = id;
    }
  }
  if (drop) deps_.scheduler->Cancel(id);
}

void Dispatcher::DoPoll(std::shared_ptr<Active> a) {
  if (stopping_) return;
  TaskRecord rec;
  std::shared_ptr<Provider> provider;
  {
    absl::MutexLock l(&a->mu);
    a->poll_timer = 0;
    if (a->retired || a->poll_in_flight || a->fetching) return;
    a->poll_in_flight = true;
    rec = a->record;
    provider = a->channel.provider;
  }
  provider->Poll(rec, [this, a](absl::StatusOr<PollResult> result) {
    {
      absl::MutexLock l(&a->mu);
      a->poll_in_flight = false;
    }
    OnPolled(a, std::move(result));
  });
}

void Dispatcher::OnPolled(std::shared_ptr<Active> a,
                          absl::StatusOr<PollResult> result) {
  if (stopping_) return;
  if (!result.ok()) {
    int errors;
    int refusals;
    const bool retryable = IsRetryable(result.status());
    {
      absl::MutexLock l(&a->mu);
      errors = ++a->poll_errors;
      a->poll_refusals = retryable ? 0 : a->poll_refusals + 1;
      refusals = a->poll_refusals;
    }
    MG_LOG(Warning, "poll failed: ", result.status().ToString());
    // A refusal that will not go away (our key revoked, a reply we cannot
    // read) fails the task with its reason instead of ending it TIMED_OUT
    // at the deadline; a few in a row, so one odd reply is forgiven.
    if (refusals >= options_.poll_error_limit) {
      Fail(a, v1::TASK_STATE_FAILED,
           Annotate(result.status(), "polling the upstream failed: "));
      return;
    }
    absl::Duration backoff =
        std::min(options_.poll_interval * (1 << std::min(errors, 5)),
                 options_.max_poll_backoff);
    SchedulePoll(a, backoff);  // the deadline timer bounds the retries
    return;
  }
  PollResult r = *std::move(result);
  {
    absl::MutexLock l(&a->mu);
    a->poll_errors = 0;
    a->poll_refusals = 0;
    if (r.state != UpstreamState::kNotFound) a->not_found = 0;
  }
  switch (r.state) {
    case UpstreamState::kQueued:
    case UpstreamState::kRunning: {
      // Polls that show nothing new back off (up to max_poll_backoff), so
      // long jobs cost few requests; pushed hints still poll at once.
      absl::Duration next;
      {
        absl::MutexLock l(&a->mu);
        const bool moved = r.state != a->last_polled_state ||
                           r.progress > a->last_polled_progress + 1e-6;
        a->last_polled_state = r.state;
        a->last_polled_progress = r.progress;
        a->idle_polls = moved ? 0 : a->idle_polls + 1;
        next = std::min(
            options_.poll_interval * (1 + a->idle_polls / 4),
            std::max(options_.poll_interval, options_.max_poll_backoff));
      }
      if (r.state == UpstreamState::kRunning) {
        ReportRunning(a, r.progress);
      }
      SchedulePoll(a, next);
      return;
    }
    case UpstreamState::kSucceeded: {
      auto refs =
          std::make_shared<std::vector<OutputRef>>(std::move(r.outputs));
      {
        absl::MutexLock l(&a->mu);
        if (a->fetching) return;
        a->fetching = true;
      }
      Mutate(
          a,
          [](TaskRecord& t) {
            auto s = t.task().state();
            if (s == v1::TASK_STATE_FINALIZING) return Unchanged();
            if (!CanTransition(s, v1::TASK_STATE_FINALIZING)) {
              return absl::FailedPreconditionError("task already finished");
            }
            t.mutable_task()->set_state(v1::TASK_STATE_FINALIZING);
            return absl::OkStatus();
          },
          [this, a, refs](absl::StatusOr<TaskRecord> t) {
            bool resumed = !t.ok() && IsUnchanged(t.status());
            if (t.ok() || resumed) {
              FetchOutputs(a, std::move(*refs));
              return;
            }
            if (t.status().code() != absl::StatusCode::kFailedPrecondition) {
              // The write failed (storage trouble): poll again later rather
              // than leaving the task stuck until its deadline.
              {
                absl::MutexLock l(&a->mu);
                a->fetching = false;
              }
              SchedulePoll(a, options_.poll_interval);
            }
          });
      return;
    }
    case UpstreamState::kFailed:
      Fail(a, v1::TASK_STATE_FAILED,
           r.error.ok() ? absl::UnknownError("upstream reported a failure")
                        : r.error);
      return;
    case UpstreamState::kNotFound: {
      int misses;
      {
        absl::MutexLock l(&a->mu);
        misses = ++a->not_found;
      }
      if (misses >= options_.not_found_limit) {
        Fail(a, v1::TASK_STATE_FAILED,
             absl::UnavailableError(
                 "the upstream lost the job: it is neither queued nor in its "
                 "history"));
      } else {
        SchedulePoll(a, options_.poll_interval);
      }
      return;
    }
  }
}

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
                           std::function<void()> fn) {
  uint64_t token;
  {
    absl::MutexLock l(&a->mu);
    if (a->retired || stopping_) return;
    token = ++a->next_timer_token;
    a->timers[token] = 0;
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
      it->second = id;
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
          {
            absl::MutexLock l(&a->mu);
            if (fresh.ok()) a->record = *fresh;
            a->queue.push_front({fn, std::move(*after)});
          }
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
  const std::string& id = a->record_id;
  std::shared_ptr<Provider> provider;
  {
    absl::MutexLock l(&a->mu);
    if (a->retired) return;
    a->retired = true;
    poll = a->poll_timer;
    deadline = a->deadline_timer;
    a->poll_timer = a->deadline_timer = 0;
    timers = a->TakeTimers();
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
  if (provider) provider->Unwatch(id);
  AdmitNext();
}

}  // namespace mediagw
