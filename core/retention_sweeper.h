// Deletes tasks older than the retention period (storage.retention_days):
// their rows, their outputs and their input files. Only terminal tasks are
// deleted; a task counts as old by its creation time.
//
// It works in bounded batches so that it never holds up submits: a timer
// on the scheduler hands each batch to `executor` (blob deletes and the
// store read block on disk); the batch's rows are deleted by one
// TaskStore::DeleteTerminal write, which the SQLite store group-commits with
// whatever else is queued; the next batch starts `pause` after that write
// is durable, or `interval` later when the last batch was not full (caught
// up). Blobs go first, then the rows: a crash in between leaves rows whose
// files are gone, which the next sweep deletes, never files without a row.
//
// Threading: Start and Stop from one thread (not from a store callback or
// the executor). Stop waits for the batch in flight, if any; after Stop
// nothing runs. The deps must outlive the sweeper.
#ifndef MEDIAGW_CORE_RETENTION_SWEEPER_H_
#define MEDIAGW_CORE_RETENTION_SWEEPER_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "common/clock.h"
#include "common/thread_pool.h"
#include "core/blob_store.h"
#include "core/http_client.h"
#include "core/task_store.h"

namespace mediagw {

struct RetentionOptions {
  absl::Duration retention = absl::Hours(24 * 30);  // <= 0: keep everything
  int batch_size = 500;                             // tasks per transaction
  absl::Duration pause = absl::Milliseconds(200);   // between full batches
  absl::Duration interval = absl::Minutes(10);      // once caught up
  absl::Duration first_delay = absl::Seconds(30);   // after Start
};

class RetentionSweeper {
 public:
  struct Deps {
    TaskStore* store;
    BlobStore* blobs;
    Scheduler* scheduler;  // timers only; nothing blocking runs there
    Executor* executor;    // store reads and blob deletes
    const Clock* clock;
  };
  RetentionSweeper(Deps deps, RetentionOptions options);
  ~RetentionSweeper();  // Stop()s
  RetentionSweeper(const RetentionSweeper&) = delete;
  RetentionSweeper& operator=(const RetentionSweeper&) = delete;

  // Schedules the first batch after options.first_delay; does nothing when
  // retention is not positive.
  void Start();
  // Idempotent.
  void Stop();

  // Totals since Start (for tests and metrics).
  int64_t tasks_deleted() const;
  int64_t blobs_deleted() const;

  // Blob names that belong to `record`: every output (with the
  // "<id>.<ext>" copy of the first one) and the input file. Only names
  // starting with the task id are returned.
  static std::vector<std::string> BlobNames(const TaskRecord& record);

 private:
  // Shared with the timer closures, so that a timer firing while Stop runs
  // finds `stopping` instead of a destroyed sweeper.
  struct State {
    absl::Mutex mu;
    bool stopping ABSL_GUARDED_BY(mu) = false;
    bool in_flight ABSL_GUARDED_BY(mu) = false;  // a batch is running
    bool has_timer ABSL_GUARDED_BY(mu) = false;
    Scheduler::TimerId timer ABSL_GUARDED_BY(mu) = 0;
    int64_t tasks_deleted ABSL_GUARDED_BY(mu) = 0;
    int64_t blobs_deleted ABSL_GUARDED_BY(mu) = 0;
  };

  void ScheduleLocked(absl::Duration after)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(state_->mu);
  void RunBatch();
  void BatchDone(size_t rows, size_t deleted, int64_t blobs,
                 const absl::Status& status);

  const Deps deps_;
  const RetentionOptions options_;
  const std::shared_ptr<State> state_;
};

}  // namespace mediagw

#endif  // MEDIAGW_CORE_RETENTION_SWEEPER_H_
