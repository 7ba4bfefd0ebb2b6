// The one path by which a task is created or changed.
//
// Every write of a task goes through TaskWriter: it checks the state machine
// (core/state_machine.h), bumps the version, stamps update_time when callers
// can see the change, asks each TransitionRows hook for the rows that must
// commit with it (ledger entries, webhook outbox rows) and hands record and
// rows to TaskStore as one compare-and-swap. Only after the commit, and only
// for the writer that won it, does it log the change, publish it on the
// EventBus and tell the hooks.
//
// Threading: thread-safe; `done` runs on the store's writer thread (keep it
// short, never block). TaskWriter does not serialise writes of one task:
// the Dispatcher queues a task's changes and issues one at a time.
#ifndef MEDIAGW_CORE_TASK_WRITER_H_
#define MEDIAGW_CORE_TASK_WRITER_H_

#include <functional>
#include <vector>

#include "absl/status/statusor.h"
#include "common/clock.h"
#include "common/metrics.h"
#include "core/event_bus.h"
#include "core/task_store.h"

namespace mediagw {

// What else a transition carries. Implementations: accounts/accounting
// (ledger rows), webhooks/outbox_hook (webhook outbox rows).
class TransitionRows {
 public:
  virtual ~TransitionRows() = default;
  // Rows to commit with `next`; `before` is null for a new task. A hook
  // may also fill the fields of `next` it owns (e.g. the task's held and
  // charged credits), never its state. An error refuses the write
  // (nothing is stored) and reaches the writer's caller. Runs on the
  // caller's thread; must not block.
  virtual absl::Status AddRows(const TaskRecord* before, TaskRecord* next,
                               SideRows* rows) = 0;
  // After `next` committed (winner only), on the store's writer thread.
  virtual void Committed(const TaskRecord* before, const TaskRecord& next) {
    (void)before;
    (void)next;
  }
};

class TaskWriter {
 public:
  using RecordCallback = std::function<void(absl::StatusOr<TaskRecord>)>;

  // `store`, `bus` and `clock` are not owned and must outlive the writer.
  TaskWriter(TaskStore* store, EventBus* bus, const Clock* clock);

  // Hooks run in the order added; add them all before the first write.
  // Not owned; must outlive the writer.
  void AddHook(TransitionRows* hook);

  // Stores a new task (version 1) with its hooks' rows. `done` gets the
  // record, or the store's error (ALREADY_EXISTS for a taken id or
  // idempotency key) or a hook's.
  void Create(TaskRecord record, RecordCallback done);

  // Replaces `current` (as last committed) by `next`: FAILED_PRECONDITION
  // if the state machine forbids current -> next. Otherwise the store's
  // verdict (ABORTED when another writer got there first, UNAVAILABLE when
  // it cannot write) or the committed record.
  void Commit(const TaskRecord& current, TaskRecord next, RecordCallback done);

  // Lifecycle log line of a committed change from `before` (UNSPECIFIED
  // when unknown) to `next`.
  static void LogChange(v1::TaskState before, bool new_upstream_id,
                        const TaskRecord& next);
  // Lists mediagw_tasks_finished_total{workflow,channel,state} in
  // `registry` before the first task finishes (it counts in GlobalMetrics).
  static void RegisterMetrics(MetricsRegistry& registry);

 private:
  absl::Status CollectRows(const TaskRecord* before, TaskRecord* next,
                           SideRows* rows);

  TaskStore* const store_;
  EventBus* const bus_;
  const Clock* const clock_;
  std::vector<TransitionRows*> hooks_;
};

}  // namespace mediagw

#endif  // MEDIAGW_CORE_TASK_WRITER_H_
