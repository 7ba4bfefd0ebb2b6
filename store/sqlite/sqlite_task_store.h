// TaskStore on one SQLite file in WAL mode (the embedded default).
//
// Writes: Insert/Update only validate, serialize and enqueue. One writer
// thread owns the write connection; it drains up to `max_batch` queued ops,
// applies them in order inside one BEGIN IMMEDIATE ... COMMIT (one fsync for
// the whole batch), then runs every `done` callback on the writer thread,
// with no store lock held. A failed op (ALREADY_EXISTS, ABORTED, NOT_FOUND,
// INVALID_ARGUMENT) does not affect the other ops of its batch; if the
// COMMIT itself fails every op of the batch gets that error (UNAVAILABLE for
// I/O or lock errors and, with reason kDiskFull, a full disk; INTERNAL
// otherwise) and nothing of the batch is stored. `done` is always called
// exactly once, OK only after the write is durable.
//
// Reads run synchronously on the calling thread over a small pool of
// separate read-only connections, so they never wait for the writer's
// transaction (WAL readers see the last committed state). Records that fail
// to parse: Get returns DATA_LOSS; List skips them; ListNonTerminal and
// ListPending report them as UnreadableRow so that the dispatcher fails
// them. A record that would not parse back (text that is not UTF-8) is
// never written: Insert and Update answer INTERNAL.
//
// Thread-safety: all public methods are thread-safe. The destructor must not
// run concurrently with other calls; it drains the queue, commits, runs the
// remaining callbacks and joins the writer thread.
#ifndef MEDIAGW_STORE_SQLITE_SQLITE_TASK_STORE_H_
#define MEDIAGW_STORE_SQLITE_SQLITE_TASK_STORE_H_

#include <atomic>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "core/task_store.h"
#include "store/sqlite/sqlite_db.h"
#include "store/sqlite/sqlite_ledger.h"

namespace mediagw {

struct SqliteOptions {
  enum class Synchronous {
    // fsync the WAL on every commit: acknowledged writes survive a power
    // loss. The default.
    kFull,
    // fsync only at checkpoints: acknowledged writes survive a process crash
    // (kill -9) but the last commits may be lost on power loss or OS crash.
    kNormal,
  };
  Synchronous synchronous = Synchronous::kFull;
  // How long a connection waits for a lock held by another process.
  absl::Duration busy_timeout = absl::Seconds(5);
  // Most ops committed in one transaction.
  int max_batch = 1024;
  // Read connections in the pool (at least 1).
  int read_connections = 2;
  // When > 0, the most pages the database file may hold (PRAGMA
  // max_page_count on the write connection; never below the size at open).
  // A write that needs a page beyond it fails as on a full disk
  // (UNAVAILABLE, reason kDiskFull) until pages are freed.
  int64_t max_page_count = 0;
};

class SqliteTaskStore : public TaskStore {
 public:
  // Opens or creates the database at `path` (parent directories are created),
  // applies pending schema migrations and starts the writer thread.
  // FAILED_PRECONDITION if the file has a newer schema than this binary or
  // cannot use WAL; UNAVAILABLE if the file or directory cannot be opened;
  // DATA_LOSS if it is not a database. A `path` of ":memory:" is refused
  // (INVALID_ARGUMENT): readers need a shared file.
  static absl::StatusOr<std::unique_ptr<SqliteTaskStore>> Open(
      const std::string& path, SqliteOptions opts = {});
  ~SqliteTaskStore() override;

  // Blocks until every write queued so far, and every write its callbacks
  // queued in turn, is committed and its callback has returned. Must not be
  // called from a store callback.
  void Flush();
  SqliteTaskStore(const SqliteTaskStore&) = delete;
  SqliteTaskStore& operator=(const SqliteTaskStore&) = delete;

  // See core/task_store.h. An insert whose idempotency key is held by a
  // task whose record.idempotency_expire_time is at or before the new
  // task's create_time takes the key over (the old task keeps its record;
  // tasks without an expiry keep their key for ever). Updates never change
  // the key. Additionally INVALID_ARGUMENT (through `done`)
  // for an empty task id, an Insert whose version is not 1, or an Update
  // whose version is below 2.
  // `rows` (ledger entries, store/sqlite/sqlite_ledger.h, and webhook
  // outbox rows, store/sqlite/sqlite_webhook_store.h) apply after the
  // task's row under a savepoint of their own: if one fails, the task's
  // write is undone with it and `done` gets that error, while the rest of
  // the batch commits.
  using TaskStore::Insert;
  using TaskStore::Update;
  void Insert(TaskRecord record, SideRows rows, DoneCallback done) override;
  void Update(TaskRecord record, SideRows rows, DoneCallback done) override;

  absl::StatusOr<TaskRecord> Get(const std::string& id) override;
  // std::nullopt for an empty key.
  absl::StatusOr<std::optional<std::string>> FindByIdempotencyKey(
      const std::string& owner, const std::string& key) override;
  // Oldest first.
  absl::StatusOr<RecordScan> ListNonTerminal() override;
  // Both read the (state, owner, created_at_us) index.
  absl::StatusOr<std::vector<std::pair<std::string, int64_t>>> PendingOwners(
      int limit) override;
  absl::StatusOr<RecordScan> ListPendingOf(const std::string& owner,
                                           int limit) override;
  // Reads the partial index of PENDING rows by deadline (schema 5).
  absl::StatusOr<RecordScan> ListOverduePending(absl::Time now,
                                                int limit) override;
  // page_size <= 0 means 50; above 500 is clamped to 500. Repeated states
  // count once; more than v1::TaskState_ARRAYSIZE distinct ones is
  // INVALID_ARGUMENT. Every states list shares one compiled statement.
  absl::StatusOr<ListPage> List(const ListFilter& filter) override;

  // Retention (store/sqlite/sqlite_retention.cc). ListExpired reads the
  // (state, created_at_us) index; limit <= 0 gives an empty scan.
  // DeleteTerminal is one queued write, committed with the batch it lands
  // in; ids of tasks that are absent or not terminal are skipped.
  absl::StatusOr<RecordScan> ListExpired(absl::Time created_before,
                                         int limit) override;
  void DeleteTerminal(std::vector<std::string> ids,
                      DoneCallback done) override;

  // For other stores on the same file (store/sqlite/sqlite_account_store):
  // `apply` runs on the writer thread inside a batch's transaction, under a
  // savepoint of its own (an error undoes what it wrote, and the rest of
  // the batch commits); `done` as for Insert. `now_us` is the wall clock
  // when the op was queued.
  using CustomWrite = std::function<absl::Status(
      store::SqliteDb& db, store::LedgerBatch& ledger, int64_t now_us)>;
  void EnqueueCustom(CustomWrite apply, DoneCallback done);
  // Runs `read` on a leased read connection (blocks while none is free).
  absl::Status WithReader(const std::function<absl::Status(store::SqliteDb&)>&
                              read);

  // Statements compiled and cached on the read connections not leased
  // right now (all of them when the store is idle); for tests and
  // diagnostics.
  size_t CachedReadStatements();

  // Write transactions committed successfully since Open. With concurrent
  // writers this is well below the number of acknowledged writes.
  absl::Status WriteHealth() const override;

  uint64_t commit_count() const {
    return commit_count_.load(std::memory_order_relaxed);
  }
  // Schema version of the open file.
  int64_t schema_version() const { return schema_version_; }

 private:
  // One queued Insert or Update, with its columns extracted and the record
  // serialized on the caller's thread.
  struct WriteOp {
    enum class Kind { kInsert, kUpdate, kDelete, kCustom };
    Kind kind = Kind::kInsert;
    absl::Status precheck;  // non-OK: reported without touching the DB
    std::string id;
    std::string owner;
    std::string idempotency_key;  // empty: stored as NULL
    int64_t idempotency_expires_at_us = 0;  // 0: NULL (kept for ever)
    std::optional<int64_t> deadline_us;     // inserts only; unset: NULL
    std::string blob;             // serialized TaskRecord
    int64_t state = 0;
    int64_t version = 0;
    int64_t created_at_us = 0;
    int64_t updated_at_us = 0;
    std::vector<std::string> delete_ids;  // kDelete
    SideRows rows;  // commit with the task's row, or not at all
    CustomWrite custom;  // kCustom
    DoneCallback done;
  };
  class ReaderLease;

  SqliteTaskStore(SqliteOptions opts, std::unique_ptr<store::SqliteDb> writer,
                  std::vector<std::unique_ptr<store::SqliteDb>> readers,
                  int64_t schema_version);

  void Enqueue(WriteOp op);
  void WriterLoop();
  // Runs on the writer thread: applies `batch` in one transaction and
  // returns one status per op.
  std::vector<absl::Status> ExecuteBatch(const std::vector<WriteOp>& batch);
  absl::Status ApplyInsert(const WriteOp& op);
  absl::Status ApplyUpdate(const WriteOp& op);
  absl::Status ApplyDelete(const WriteOp& op);
  // The op and its side rows (in `ledger`, the batch's): the rows first,
  // undone if the op then fails.
  absl::Status ApplyOp(const WriteOp& op, store::LedgerBatch& ledger);

  bool HasWorkOrStopping() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // A small real write, on the writer thread while it is idle and the last
  // write failed, so that health comes back without waiting for traffic.
  absl::Status ProbeWrite();
  // With max_page_count set: kDiskFull while the file is at its cap with no
  // free page (the next write that needs a page would fail).
  absl::Status CheckRoom();
  bool HasIdleReader() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(read_mu_);

  const SqliteOptions opts_;
  const int64_t schema_version_;
  // Used only by the writer thread (and by Open before it starts).
  const std::unique_ptr<store::SqliteDb> writer_db_;
  std::atomic<uint64_t> commit_count_{0};

  mutable absl::Mutex mu_;
  std::deque<WriteOp> queue_ ABSL_GUARDED_BY(mu_);
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  bool writing_ ABSL_GUARDED_BY(mu_) = false;  // a batch is being committed
  absl::Status write_health_ ABSL_GUARDED_BY(mu_);

  // The pool owns the read connections; idle_readers_ lists those free to
  // lease. A leased connection is used by one thread only.
  const std::vector<std::unique_ptr<store::SqliteDb>> readers_;
  absl::Mutex read_mu_;
  std::vector<store::SqliteDb*> idle_readers_ ABSL_GUARDED_BY(read_mu_);

  std::thread writer_thread_;
};

}  // namespace mediagw

#endif  // MEDIAGW_STORE_SQLITE_SQLITE_TASK_STORE_H_
