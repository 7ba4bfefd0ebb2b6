// Durable task records. Implementations: store/sqlite (embedded default).
//
// Writes are asynchronous and group-committed: many Insert/Update calls made
// concurrently share one transaction and one fsync. `done` runs once the
// write is durable (or has failed), on the store's writer thread: keep it
// short, do not block, and do not call back into the store synchronously
// from it (asynchronous writes are fine).
// Reads are synchronous and may block on disk: call them from a worker
// thread, never from the curl loop or a gRPC reaction.
#ifndef MEDIAGW_CORE_TASK_STORE_H_
#define MEDIAGW_CORE_TASK_STORE_H_

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "mediagw/internal/record.pb.h"

namespace mediagw {

using internal::TaskRecord;

struct ListFilter {
  std::string owner;  // empty = any
  std::vector<v1::TaskState> states;  // empty = any
  int page_size = 50;
  std::string page_token;  // opaque, from ListPage::next_page_token
};

// A stored row whose record cannot be parsed, as far as its columns tell.
// It is reported, not skipped, so that the task is failed loudly instead of
// being hidden (or, ahead of good rows, blocking the backlog).
struct UnreadableRow {
  std::string id;
  std::string owner;
  v1::TaskState state = v1::TASK_STATE_UNSPECIFIED;
  int64_t version = 0;
  int64_t created_at_us = 0;
};

// The rows a scan read, in scan order within each list.
struct RecordScan {
  std::vector<TaskRecord> records;
  std::vector<UnreadableRow> unreadable;
  size_t rows() const { return records.size() + unreadable.size(); }
};

// A ledger entry that commits with a task write (the accounts ledger,
// docs/ACCOUNTS.md). Amounts are integer credits.
struct LedgerEntry {
  enum class Kind {
    kHold = 1,    // moves `amount` from the balance to held; refused with
                  // FAILED_PRECONDITION "Insufficient balance" (reason
                  // kInsufficientBalance) when the balance is short
    kSettle = 2,  // releases the task's hold, charging `amount` of it
    kRefund = 3,  // releases the task's hold, charging nothing
    kTopUp = 4,   // adds `amount` to the balance (no task)
  };
  std::string account_id;
  std::string task_id;  // empty for a top-up
  Kind kind = Kind::kHold;
  int64_t amount = 0;
  std::string note;
};

// A webhook delivery that commits with the transition it reports (the
// outbox, docs/API.md "Webhooks"); the sender (webhooks/) delivers it.
struct OutboxRow {
  std::string id;  // the webhook-id header; unique
  std::string task_id;
  std::string account_id;
  std::string url;
  std::string event;  // "completed", "failed", "canceled" or "timed_out"
  bool kie_format = false;
  std::string body;  // the payload, sent as is on every attempt
  int64_t created_at_us = 0;
  int64_t give_up_at_us = 0;  // no attempt starts after it
};

// Rows that must commit in the same transaction as a task's insert or
// compare-and-swap, or not at all.
struct SideRows {
  std::vector<LedgerEntry> ledger;
  std::vector<OutboxRow> outbox;
  bool empty() const { return ledger.empty() && outbox.empty(); }
};

struct ListPage {
  std::vector<TaskRecord> records;  // newest first
  std::string next_page_token;      // empty on the last page
};

class TaskStore {
 public:
  using DoneCallback = std::function<void(absl::Status)>;
  virtual ~TaskStore() = default;

  // Inserts a new record; its version must be 1. ALREADY_EXISTS if the id
  // exists, or if record.request.idempotency_key is non-empty and the same
  // owner already has a task with that key (use FindByIdempotencyKey) whose
  // record.idempotency_expire_time is unset or after the new record's
  // task.create_time; an expired key passes to the new task.
  // Update never changes which task holds a key.
  // `rows` commit in the same transaction; if one of them fails (e.g. a
  // hold the balance cannot cover), the task is not stored and `done` gets
  // that row's error.
  virtual void Insert(TaskRecord record, SideRows rows, DoneCallback done) = 0;
  void Insert(TaskRecord record, DoneCallback done) {
    Insert(std::move(record), SideRows{}, std::move(done));
  }

  // Compare-and-swap: stores `record` only if the stored version equals
  // record.version() - 1. ABORTED if another writer got there first,
  // NOT_FOUND if the id does not exist.
  // `rows` as for Insert: they commit with the swap or not at all.
  virtual void Update(TaskRecord record, SideRows rows, DoneCallback done) = 0;
  void Update(TaskRecord record, DoneCallback done) {
    Update(std::move(record), SideRows{}, std::move(done));
  }

  // NOT_FOUND if absent; DATA_LOSS if the stored record cannot be parsed.
  virtual absl::StatusOr<TaskRecord> Get(const std::string& id) = 0;
  // Task id of the owner's task with this key, if any.
  virtual absl::StatusOr<std::optional<std::string>> FindByIdempotencyKey(
      const std::string& owner, const std::string& key) = 0;
  // Every row whose state is not terminal (for restart recovery).
  virtual absl::StatusOr<RecordScan> ListNonTerminal() = 0;
  // The dispatcher's backlog, which lives only here, read for fair
  // queueing (core/fair_queue.h): the owners that have PENDING rows,
  // with how many each (at most `limit` owners, by owner), and up to
  // `limit` PENDING rows of one owner, oldest first (unreadable rows count
  // towards `limit`).
  virtual absl::StatusOr<std::vector<std::pair<std::string, int64_t>>>
  PendingOwners(int limit) = 0;
  virtual absl::StatusOr<RecordScan> ListPendingOf(const std::string& owner,
                                                   int limit) = 0;
  // Up to `limit` PENDING rows whose record.deadline is at or before `now`,
  // earliest deadline first (unreadable rows count towards `limit`): the
  // backlog's tasks that must end TIMED_OUT without waiting to be loaded.
  // Tasks without a deadline never match. Default: UNIMPLEMENTED.
  virtual absl::StatusOr<RecordScan> ListOverduePending(absl::Time now,
                                                        int limit) {
    (void)now;
    (void)limit;
    return absl::UnimplementedError("this task store cannot list by deadline");
  }
  // OK while the store can write; otherwise the error of its last failed
  // write (UNAVAILABLE: locked, I/O error, disk full) until a write, or the
  // store's own probe, succeeds again. Cheap, thread-safe; for readiness.
  virtual absl::Status WriteHealth() const { return absl::OkStatus(); }
  // INVALID_ARGUMENT for a malformed page token.
  virtual absl::StatusOr<ListPage> List(const ListFilter& filter) = 0;

  // Retention (core/retention_sweeper.h). Up to `limit` terminal tasks
  // created before `created_before`, in no particular order; unreadable
  // rows count towards `limit`. Default: UNIMPLEMENTED.
  virtual absl::StatusOr<RecordScan> ListExpired(absl::Time created_before,
                                                 int limit) {
    (void)created_before;
    (void)limit;
    return absl::UnimplementedError("this task store does not delete tasks");
  }
  // Deletes those of `ids` that are terminal (others are left alone) as one
  // write queued behind the writes before it; `done` as for Insert. Default:
  // `done` gets UNIMPLEMENTED at once.
  virtual void DeleteTerminal(std::vector<std::string> ids, DoneCallback done) {
    (void)ids;
    done(absl::UnimplementedError("this task store does not delete tasks"));
  }
};

}  // namespace mediagw

#endif  // MEDIAGW_CORE_TASK_STORE_H_
