// Drives tasks through their lifecycle on upstream providers.
//
// Every change to a task is a compare-and-swap in the TaskStore; changes to
// one task are applied one at a time, in order, and each committed change is
// published on the EventBus. Polls run on Scheduler timers (the curl loop's
// deadline heap), not on a thread per task. At most `max_active` tasks are
// driven at once; the others wait as PENDING rows in the store and are
// loaded as slots free, shared among the accounts that wait by weighted
// deficit round robin (core/fair_queue.h), each account's oldest first, so
// memory does not grow with the backlog and no account's queue holds back
// another's.
//
// Threading: public methods are thread-safe and never block. Internal work
// runs on the HttpClient/Scheduler loop (provider callbacks, timers), on the
// store's writer thread (after commits; kept short) and on the Executor
// (blob writes, store reads).
#ifndef MEDIAGW_CORE_DISPATCHER_H_
#define MEDIAGW_CORE_DISPATCHER_H_

#include <atomic>
#include <deque>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/random/random.h"
#include "absl/synchronization/mutex.h"
#include "common/clock.h"
#include "common/metrics.h"
#include "common/thread_pool.h"
#include "core/blob_store.h"
#include "core/breaker_board.h"
#include "core/channel_slots.h"
#include "core/event_bus.h"
#include "core/fair_queue.h"
#include "core/http_client.h"
#include "core/provider.h"
#include "core/public_urls.h"
#include "core/retry_budget.h"
#include "core/slot_queue.h"
#include "core/task_store.h"
#include "core/task_writer.h"

namespace mediagw {

struct DispatcherOptions {
  absl::Duration poll_interval = absl::Seconds(1);
  absl::Duration max_poll_backoff = absl::Seconds(15);
  absl::Duration fetch_timeout = absl::Seconds(120);
  int max_attempts = 3;     // submit attempts before a task fails
  int max_active = 256;     // tasks driven upstream at once
  int not_found_limit = 3;  // consecutive "vanished" polls before failing
  // Consecutive non-retryable poll errors before failing (retryable ones
  // go on until the deadline).
  int poll_error_limit = 3;
  int fetch_attempts = 3;  // per output download
  // Bounds on what one task may bring home (config fetch.*). More outputs
  // than max_outputs fail the task before anything is downloaded; outputs
  // totalling more than max_task_bytes fail it part way, and whatever of it
  // was stored is removed.
  int max_outputs = 16;
  int64_t max_task_bytes = int64_t{1} << 30;
  // Output downloads in flight per task and in the whole process. A body is
  // held in memory from its download until it is written to the blob store,
  // and its slot is only freed then, so output bodies in memory never exceed
  // fetch_parallel times the per-file cap (fetch.max_bytes).
  int fetch_parallel_per_task = 4;
  int fetch_parallel = 16;
  // Progress of a RUNNING task is written at most once per interval (the
  // latest value when it is over); zero writes every update.
  absl::Duration progress_interval = absl::ZeroDuration();
  // While tasks wait in the store (the backlog), it is read every
  // interval, at most `backlog_sweep_batch` rows at a time, for PENDING
  // tasks past their deadline, which end TIMED_OUT there and then instead
  // of when a slot frees and they are loaded (TaskStore::ListOverduePending).
  // Zero turns the sweep off.
  absl::Duration backlog_sweep_interval = absl::Seconds(1);
  int backlog_sweep_batch = 256;
  // Our public URLs of outputs, input images and callbacks (not owned;
  // must be set and outlive the dispatcher).
  const PublicUrls* urls = nullptr;
  // An account's fair-queueing weight (at least 1); null = 1 for all.
  FairQueue::WeightFn weight_of;
};

struct DispatcherDeps {
  TaskStore* store;
  BlobStore* blobs;
  const Router* router;
  HttpClient* http;  // configured upstreams
  // URLs we did not configure (upstream results marked external, caller
  // input images): the SSRF-checked fetcher.
  HttpClient* fetcher;
  Scheduler* scheduler;
  Executor* executor;
  // The one path every change of a task takes (core/task_writer.h).
  TaskWriter* writer;
  const Clock* clock;
  // Optional, not owned (null = none). Channels whose breaker is open are
  // skipped when a task picks one; every submit's and poll's outcome feeds
  // the channel's breaker (core/breaker_board.h). Polls of jobs already
  // running on an ejected channel go on.
  BreakerBoard* breakers = nullptr;
  // Failover submits, resumes after an unanswered submit and repeated
  // output downloads go only when the budget has room; a task's first
  // submit and each output's first download are counted as calls
  // (core/retry_budget.h).
  RetryBudget* retry_budget = nullptr;
};

class Dispatcher : public ProviderListener {
 public:
  using RecordCallback = std::function<void(absl::StatusOr<TaskRecord>)>;

  Dispatcher(DispatcherDeps deps, DispatcherOptions options);
  ~Dispatcher() override;

  // Takes a PENDING task that has just been committed.
  void Enqueue(const TaskRecord& record);

  // Picks up every non-terminal task after a restart. Blocks on store reads:
  // call once at start-up, before serving.
  absl::Status Recover();

  // Cancels upstream (deletes a queued job, interrupts a running one) and
  // marks the task CANCELED. FAILED_PRECONDITION if already finished,
  // NOT_FOUND if unknown. `done` runs on an internal thread.
  void Cancel(const std::string& task_id, RecordCallback done);

  // Stops starting new work; in-flight callbacks become no-ops. Stops every
  // provider's push updates first (Provider::StopPush), so no provider
  // event reaches the dispatcher after it returns. Blocks briefly; call it
  // from the main thread, never from a provider or store callback.
  void Shutdown();

  // A completion notice POSTed by an upstream for `task_id`. The task's
  // provider verifies it; a genuine one makes the task poll at once.
  // `done` gets NOT_FOUND for a task not driven right now (no store read),
  // or the provider's verdict (OK, UNAUTHENTICATED, INVALID_ARGUMENT,
  // UNIMPLEMENTED). Runs `done` on the calling thread before returning.
  void OnCallback(const std::string& task_id, CallbackRequest request,
                  std::function<void(absl::Status)> done);

  // ProviderListener.
  void OnProgress(const std::string& task_id, double progress) override;
  void OnHint(const std::string& task_id) override;

  size_t ActiveCount() const;
  size_t WaitingCount() const;
  // Tasks holding a concurrency slot of each channel that ever had one
  // (running or being submitted there), by channel name.
  std::vector<std::pair<std::string, int>> ChannelActiveCounts() const;
  // Admitted tasks waiting because no channel of their workflow can take
  // them now (all at max_concurrency or not ready), by workflow name.
  std::vector<std::pair<std::string, int>> WaitingForChannelCounts() const;
  // Registers the dispatcher's gauges in `registry` (docs/OPERATIONS.md):
  // mediagw_active_tasks, mediagw_waiting_tasks,
  // mediagw_channel_active_tasks{channel} and
  // mediagw_workflow_waiting_tasks{workflow}. They read this dispatcher at
  // render time: it must outlive every later render.
  void RegisterMetrics(MetricsRegistry& registry);

 private:
  struct Active;
  // Returns OK to write the mutated record, or a status to skip it (passed
  // to the callback; FAILED_PRECONDITION for "nothing to do").
  using MutateFn = std::function<absl::Status(TaskRecord&)>;

  // Stops the task in `state` (CANCELED or TIMED_OUT). With no request
  // upstream it ends at once. Otherwise the stop is recorded durably
  // (cancel_requested): a submit in flight ends it when its answer comes
  // (OnSubmitted), a job known upstream is cancelled there first
  // (CancelUpstreamThenStop). `done` gets the task as it then stands.
  void RequestStop(std::shared_ptr<Active> a, v1::TaskState state,
                   RecordCallback done);
  void CancelUpstreamThenStop(std::shared_ptr<Active> a, RecordCallback done);
  // `upstream_cancelled`: the provider confirmed it deleted or interrupted
  // the job (recorded: a job stopped before it ran is not billed).
  void FinishStop(std::shared_ptr<Active> a, bool upstream_cancelled,
                  RecordCallback done);
  // False if the task is already being driven.
  bool Admit(TaskRecord record);
  void AdmitNext();
  // Loads up to `want` waiting tasks, shared fairly among their accounts;
  // on the executor, with refilling_ set. `gen`: backlog_gen_ when it
  // started.
  void Refill(int want, uint64_t gen);
  // Admitted tasks still PENDING (their rows are still in the backlog), by
  // account.
  absl::flat_hash_map<std::string, int> AdmittedPending() const;
  // Ends a row whose stored record cannot be parsed as FAILED with
  // "INTERNAL: stored record unreadable", from its columns alone, and
  // counts it; `then` runs once the write is done (on the store's thread).
  void FailUnreadable(const UnreadableRow& row, std::function<void()> then);
  void Resume(std::shared_ptr<Active> a);
  void Start(std::shared_ptr<Active> a);
  void PrepareAndSubmit(std::shared_ptr<Active> a, bool resume);
  void FetchInput(std::shared_ptr<Active> a, const std::string& url,
                  bool resume);
  // Records that the submit is going out (not for a resume), then
  // Transmits it.
  void Send(std::shared_ptr<Active> a, SubmitContext ctx, bool resume);
  void Transmit(std::shared_ptr<Active> a, SubmitContext ctx, bool resume);
  // Counts the task against the channel's concurrency limit; false when
  // the channel is full or the task is retired. Moves the task's slot from
  // any earlier channel.
  bool TakeChannelSlot(std::shared_ptr<Active> a, const Channel& channel);
  void ReleaseChannelSlot(std::shared_ptr<Active> a);
  bool IsRetired(const std::shared_ptr<Active>& a);
  // Upstream health (dispatcher_channels.cc): the hooks into the circuit
  // breakers and the retry budget; each is a no-op without them.
  bool ChannelLooksHealthy(const Channel& channel) const;
  // Takes the channel's call (a half-open breaker's probe) and its
  // concurrency slot, or neither.
  bool AdmitToChannel(std::shared_ptr<Active> a, const Channel& channel);
  void RecordSubmitOutcome(const std::string& channel,
                           const absl::Status& status);
  // A poll's outcome on the channel's breaker (a pool's provider feeds its
  // members' itself). Polls themselves are never held back by a breaker.
  void RecordPollOutcome(const std::string& channel,
                         const absl::Status& status);
  void CountFirstCall();
  bool TakeRetry();
  // How long a retry waits: full jitter over poll_interval x 2^attempt,
  // capped by max_poll_backoff, never sooner than the upstream's
  // Retry-After.
  absl::Duration RetryBackoff(int attempt, const absl::Status& status) const;
  // Pushed or polled "running at `progress`": QUEUED -> RUNNING at once,
  // progress throttled by options_.progress_interval.
  void ReportRunning(std::shared_ptr<Active> a, double progress);
  // `resumed`: the answer of Provider::Resume rather than Submit.
  void OnSubmitted(std::shared_ptr<Active> a,
                   absl::StatusOr<SubmitResult> result, bool resumed);
  // Whether a failed submit moves to the next channel: retryable codes, and
  // our own credential or credit problems while channels that have not
  // refused the task remain (the refusing one is remembered and skipped).
  bool CanFailOver(const std::shared_ptr<Active>& a, const absl::Status& status,
                   int attempts);
  // A submit whose request went out but got no answer (or a failed lookup
  // after one): resumed on the same channel, with backoff until the task's
  // deadline, when the upstream takes our job id; else the task fails. A
  // non-retryable answer fails the task.
  void OnOutcomeUnknown(std::shared_ptr<Active> a, const absl::Status& status,
                        const std::string& upstream_id);
  void SchedulePoll(std::shared_ptr<Active> a, absl::Duration delay);
  void DoPoll(std::shared_ptr<Active> a);
  void OnPolled(std::shared_ptr<Active> a, absl::StatusOr<PollResult> result);
  // Output collection (dispatcher_outputs.cc): checks the count, downloads
  // under the per-task and global limits, writes each body to the blob store
  // as it arrives, then commits SUCCEEDED; on any failure fails the task and
  // removes what was stored.
  struct FetchState;
  void FetchOutputs(std::shared_ptr<Active> a, std::vector<OutputRef> refs);
  void StartFetches(std::shared_ptr<Active> a, std::shared_ptr<FetchState> f);
  void FetchOne(std::shared_ptr<Active> a, std::shared_ptr<FetchState> f,
                size_t i, int attempt);
  // Download `attempt` of output `i` after `error`: waits RetryBackoff(round)
  // without a download slot, then goes if the retry budget has room, else
  // waits another round.
  void RetryFetch(std::shared_ptr<Active> a, std::shared_ptr<FetchState> f,
                  size_t i, int attempt, const absl::Status& error, int round);
  void StoreOne(std::shared_ptr<Active> a, std::shared_ptr<FetchState> f,
                size_t i, std::shared_ptr<std::string> body);
  void OutputDone(std::shared_ptr<Active> a, std::shared_ptr<FetchState> f,
                  const absl::Status& status);
  void CommitOutputs(std::shared_ptr<Active> a, std::shared_ptr<FetchState> f);
  void RemoveStored(std::shared_ptr<FetchState> f);
  void Fail(std::shared_ptr<Active> a, v1::TaskState state,
            const absl::Status& error);
  void CancelWaiting(const std::string& task_id, RecordCallback done);

  // The overdue backlog (dispatcher_overdue.cc): PENDING tasks in the store
  // past their deadline end TIMED_OUT without being loaded.
  // StartOverdueSweep runs the sweep (if not running) once a backlog
  // exists; it stops by itself when the backlog is gone. ArmOverdueSweep
  // sets its one timer; SweepOverdue runs on it; SweepOverdueBatch reads
  // and ends one batch on the Executor.
  void StartOverdueSweep();
  void ArmOverdueSweep(absl::Duration delay);
  void SweepOverdue();
  void SweepOverdueBatch();

  // Observability (dispatcher_metrics.cc). Marks `a` as waiting for a
  // channel of `workflow`, or as no longer waiting when it is empty.
  void SetWaitingForChannel(const std::shared_ptr<Active>& a,
                            const std::string& workflow);

  void Mutate(std::shared_ptr<Active> a, MutateFn fn, RecordCallback after);
  // Runs `fn` at `at` unless the task retires (or the dispatcher stops)
  // first: every timer of a task goes through here, so none outlives it.
  // If the task retires first, `on_drop` (when set) runs instead, outside
  // every lock, so work that holds something (a download's place in its
  // task's output collection) can let it go; not when the dispatcher stops.
  void TaskTimer(const std::shared_ptr<Active>& a, absl::Time at,
                 std::function<void()> fn,
                 std::function<void()> on_drop = nullptr);
  // Wait before retrying a write that failed `failures` times in a row.
  absl::Duration WriteRetryDelay(int failures);
  void Drain(std::shared_ptr<Active> a);
  void Retire(std::shared_ptr<Active> a);
  std::shared_ptr<Active> Find(const std::string& task_id) const;

  const DispatcherDeps deps_;
  const DispatcherOptions options_;
  std::atomic<bool> stopping_{false};

  mutable absl::Mutex mu_;
  absl::BitGen jitter_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_map<std::string, std::shared_ptr<Active>> active_
      ABSL_GUARDED_BY(mu_);
  // PENDING tasks may be waiting in the store. `backlog_gen_` changes with
  // every task sent there, so a refill that came back short only clears
  // `backlog_` if nothing arrived meanwhile.
  bool backlog_ ABSL_GUARDED_BY(mu_) = false;
  uint64_t backlog_gen_ ABSL_GUARDED_BY(mu_) = 0;
  bool refilling_ ABSL_GUARDED_BY(mu_) = false;
  // Used only by the refill in progress (refilling_ serialises them).
  FairQueue fair_;
  Scheduler::TimerId overdue_timer_ ABSL_GUARDED_BY(mu_) = 0;
  bool overdue_sweeping_ ABSL_GUARDED_BY(mu_) = false;
  bool overdue_unsupported_ ABSL_GUARDED_BY(mu_) = false;
  ChannelSlots slots_;  // channel concurrency and waiters
  std::atomic<int64_t> waiting_{0};  // approximate, for metrics
  SlotQueue fetch_slots_;  // output downloads in the whole process
};

}  // namespace mediagw

#endif  // MEDIAGW_CORE_DISPATCHER_H_
