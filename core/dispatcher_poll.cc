// The poll phase: asking the upstream how a submitted job is doing, with
// backoff while nothing changes, until it finishes, fails or vanishes.
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
  std::string channel;
  {
    absl::MutexLock l(&a->mu);
    a->poll_timer = 0;
    if (a->retired || a->poll_in_flight || a->fetching) return;
    a->poll_in_flight = true;
    rec = a->record;
    provider = a->channel.provider;
    channel = a->channel.name;
  }
  // Polls are not gated by the breaker: the job is paid for and runs there,
  // so it is asked after (with backoff on errors) even while the channel
  // is ejected for new tasks. Their outcomes still count.
  provider->Poll(rec, [this, a, channel](absl::StatusOr<PollResult> result) {
    {
      absl::MutexLock l(&a->mu);
      a->poll_in_flight = false;
    }
    if (stopping_) return;
    RecordPollOutcome(channel, result.status());
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

}  // namespace mediagw
