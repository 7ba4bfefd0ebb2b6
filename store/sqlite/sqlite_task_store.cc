#include "store/sqlite/sqlite_task_store.h"

#include <algorithm>
#include <filesystem>
#include <optional>
#include <system_error>
#include <utility>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/logging.h"
#include "common/status_macros.h"
#include "common/status_mapping.h"
#include "common/utf8.h"
#include "store/sqlite/schema.h"
#include "store/sqlite/sqlite_ledger.h"
#include "store/sqlite/sqlite_webhook_store.h"

namespace mediagw {

using store::SqliteDb;
using store::Statement;

namespace {

constexpr char kInsertSql[] =
    "INSERT INTO tasks(id, owner, state, version, created_at_us, "
    "updated_at_us, idempotency_key, record, idempotency_expires_at_us, "
    "deadline_us) VALUES(?, ?, ?, ?, ?, ?, ?, ?, ?, ?)";
// An expired key is let go by the insert that wants it: one lookup in the
// (owner, idempotency_key) index, no sweeping. The task keeps its record.
constexpr char kReleaseKeySql[] =
    "UPDATE tasks SET idempotency_key = NULL WHERE owner = ? AND "
    "idempotency_key = ? AND idempotency_expires_at_us <= ?";
// The key column is written once, by the insert: an update of an old task
// must not take back a key that expired and went to a newer one.
constexpr char kUpdateSql[] =
    "UPDATE tasks SET owner = ?, state = ?, version = ?, updated_at_us = ?, "
    "record = ? WHERE id = ? AND version = ?";
constexpr char kVersionSql[] = "SELECT version FROM tasks WHERE id = ?";

int64_t ToMicros(const google::protobuf::Timestamp& ts) {
  return ts.seconds() * 1000000 + ts.nanos() / 1000;
}

absl::Status ApplyConnectionPragmas(SqliteDb& db, const SqliteOptions& opts) {
  int rc = sqlite3_busy_timeout(
      db.raw(), static_cast<int>(absl::ToInt64Milliseconds(opts.busy_timeout)));
  if (rc != SQLITE_OK) {
    return store::SqliteError(rc, "busy_timeout", sqlite3_errmsg(db.raw()));
  }
  MG_RETURN_IF_ERROR(db.Exec("PRAGMA foreign_keys = ON"));
  return db.Exec(opts.synchronous == SqliteOptions::Synchronous::kFull
                     ? "PRAGMA synchronous = FULL"
                     : "PRAGMA synchronous = NORMAL");
}

absl::StatusOr<std::unique_ptr<SqliteDb>> OpenWriter(
    const std::string& path, const SqliteOptions& opts) {
  MG_ASSIGN_OR_RETURN(auto db, SqliteDb::Open(path, /*read_only=*/false));
  MG_RETURN_IF_ERROR(ApplyConnectionPragmas(*db, opts));
  if (opts.max_page_count > 0) {
    // Per connection: only the writer allocates pages.
    MG_RETURN_IF_ERROR(db->Exec(
        absl::StrCat("PRAGMA max_page_count = ", opts.max_page_count)));
  }
  MG_ASSIGN_OR_RETURN(std::string mode,
                      db->QueryText("PRAGMA journal_mode = WAL"));
  if (mode != "wal") {
    return absl::FailedPreconditionError(
        absl::StrCat("cannot enable WAL on ", path, " (mode ", mode, ")"));
  }
  return db;
}

absl::StatusOr<std::unique_ptr<SqliteDb>> OpenReader(
    const std::string& path, const SqliteOptions& opts) {
  // Read-write open plus query_only: a read-only open cannot create the WAL
  // index if it is missing, and query_only still refuses any write.
  MG_ASSIGN_OR_RETURN(auto db, SqliteDb::Open(path, /*read_only=*/false));
  MG_RETURN_IF_ERROR(ApplyConnectionPragmas(*db, opts));
  MG_RETURN_IF_ERROR(db->Exec("PRAGMA query_only = ON"));
  return db;
}

// The last guard against a record that could never be read back: protobuf
// serializes a `string` field that is not UTF-8 but refuses to parse it,
// so every record is parsed back before it is written.
absl::Status Serialize(const TaskRecord& record, std::string* blob) {
  if (!record.SerializeToString(blob)) {
    return absl::InternalError("cannot serialize task record");
  }
  TaskRecord check;
  if (!check.ParseFromString(*blob)) {
    absl::Status why = ValidateUtf8Fields(record);
    return absl::InternalError(absl::StrCat(
        "task record not stored, it could not be read back",
        why.ok() ? "" : ": ", why.message()));
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::unique_ptr<SqliteTaskStore>> SqliteTaskStore::Open(
    const std::string& path, SqliteOptions opts) {
  if (path.empty() || path == ":memory:") {
    return absl::InvalidArgumentError(
        absl::StrCat("SQLite task store needs a file path, got '", path, "'"));
  }
  opts.max_batch = std::max(1, opts.max_batch);
  opts.read_connections = std::max(1, opts.read_connections);
  std::filesystem::path parent = std::filesystem::path(path).parent_path();
  if (!parent.empty()) {
    std::error_code ec;
    std::filesystem::create_directories(parent, ec);
    if (ec) {
      return absl::UnavailableError(absl::StrCat(
          "cannot create directory ", parent.string(), ": ", ec.message()));
    }
  }
  MG_ASSIGN_OR_RETURN(auto writer, OpenWriter(path, opts));
  MG_ASSIGN_OR_RETURN(
      int64_t version,
      store::ApplyMigrations(*writer, store::TaskStoreMigrations()));
  std::vector<std::unique_ptr<SqliteDb>> readers;
  for (int i = 0; i < opts.read_connections; ++i) {
    MG_ASSIGN_OR_RETURN(auto reader, OpenReader(path, opts));
    readers.push_back(std::move(reader));
  }
  return std::unique_ptr<SqliteTaskStore>(new SqliteTaskStore(
      opts, std::move(writer), std::move(readers), version));
}

SqliteTaskStore::SqliteTaskStore(SqliteOptions opts,
                                 std::unique_ptr<SqliteDb> writer,
                                 std::vector<std::unique_ptr<SqliteDb>> readers,
                                 int64_t schema_version)
    : opts_(opts),
      schema_version_(schema_version),
      writer_db_(std::move(writer)),
      readers_(std::move(readers)) {
  {
    absl::MutexLock lock(&read_mu_);
    for (const auto& r : readers_) idle_readers_.push_back(r.get());
  }
  writer_thread_ = std::thread([this] { WriterLoop(); });
}

SqliteTaskStore::~SqliteTaskStore() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
  }
  writer_thread_.join();
}

bool SqliteTaskStore::HasWorkOrStopping() const {
  return stopping_ || !queue_.empty();
}

bool SqliteTaskStore::HasIdleReader() const { return !idle_readers_.empty(); }

void SqliteTaskStore::Insert(TaskRecord record, SideRows rows,
                             DoneCallback done) {
  WriteOp op;
  op.rows = std::move(rows);
  op.kind = WriteOp::Kind::kInsert;
  op.done = std::move(done);
  op.id = record.task().id();
  if (op.id.empty()) {
    op.precheck = absl::InvalidArgumentError("task id is empty");
  } else if (record.version() != 1) {
    op.precheck = absl::InvalidArgumentError(
        absl::StrCat("inserted task ", op.id, " must have version 1, got ",
                     record.version()));
  }
  op.owner = record.owner();
  op.idempotency_key = record.request().idempotency_key();
  if (record.has_idempotency_expire_time()) {
    op.idempotency_expires_at_us = ToMicros(record.idempotency_expire_time());
  }
  if (record.has_deadline()) op.deadline_us = ToMicros(record.deadline());
  op.state = record.task().state();
  op.version = record.version();
  int64_t now_us = absl::ToUnixMicros(absl::Now());
  op.created_at_us = record.task().has_create_time()
                         ? ToMicros(record.task().create_time())
                         : now_us;
  op.updated_at_us = record.task().has_update_time()
                         ? ToMicros(record.task().update_time())
                         : now_us;
  if (op.precheck.ok()) op.precheck = Serialize(record, &op.blob);
  Enqueue(std::move(op));
}

void SqliteTaskStore::Update(TaskRecord record, SideRows rows,
                             DoneCallback done) {
  WriteOp op;
  op.rows = std::move(rows);
  op.kind = WriteOp::Kind::kUpdate;
  op.done = std::move(done);
  op.id = record.task().id();
  if (op.id.empty()) {
    op.precheck = absl::InvalidArgumentError("task id is empty");
  } else if (record.version() < 2) {
    op.precheck = absl::InvalidArgumentError(
        absl::StrCat("updated task ", op.id, " must have version >= 2, got ",
                     record.version()));
  }
  op.owner = record.owner();
  op.state = record.task().state();
  op.version = record.version();
  op.updated_at_us = record.task().has_update_time()
                         ? ToMicros(record.task().update_time())
                         : absl::ToUnixMicros(absl::Now());
  if (op.precheck.ok()) op.precheck = Serialize(record, &op.blob);
  Enqueue(std::move(op));
}

void SqliteTaskStore::EnqueueCustom(CustomWrite apply, DoneCallback done) {
  WriteOp op;
  op.kind = WriteOp::Kind::kCustom;
  op.custom = std::move(apply);
  op.done = std::move(done);
  op.updated_at_us = absl::ToUnixMicros(absl::Now());
  Enqueue(std::move(op));
}

void SqliteTaskStore::Enqueue(WriteOp op) {
  absl::MutexLock lock(&mu_);
  queue_.push_back(std::move(op));
}

void SqliteTaskStore::WriterLoop() {
  while (true) {
    std::vector<WriteOp> batch;
    bool probe = false;
    {
      absl::MutexLock lock(&mu_);
      if (write_health_.ok()) {
        mu_.Await(absl::Condition(this, &SqliteTaskStore::HasWorkOrStopping));
      } else {
        probe = !mu_.AwaitWithTimeout(
            absl::Condition(this, &SqliteTaskStore::HasWorkOrStopping),
            absl::Seconds(1));
      }
    }
    if (probe) {
      absl::Status st = ProbeWrite();
      absl::MutexLock lock(&mu_);
      write_health_ = st;
      continue;
    }
    {
      absl::MutexLock lock(&mu_);
      // Stop only once everything queued (including writes issued from
      // callbacks of the previous batch) has been committed.
      if (queue_.empty()) return;
      writing_ = true;
      size_t n = std::min(queue_.size(), static_cast<size_t>(opts_.max_batch));
      batch.reserve(n);
      for (size_t i = 0; i < n; ++i) {
        batch.push_back(std::move(queue_.front()));
        queue_.pop_front();
      }
    }
    std::vector<absl::Status> results = ExecuteBatch(batch);
    // A batch that hit an unavailable database says the store cannot
    // write; one that committed anything says it can.
    std::optional<absl::Status> health;
    for (const absl::Status& r : results) {
      if (r.code() == absl::StatusCode::kUnavailable) {
        health = r;
        break;
      }
      if (r.ok()) health = absl::OkStatus();
    }
    if (health.has_value()) {
      absl::MutexLock lock(&mu_);
      write_health_ = *health;
    }
    for (size_t i = 0; i < batch.size(); ++i) {
      if (batch[i].done) batch[i].done(std::move(results[i]));
    }
    absl::MutexLock lock(&mu_);
    writing_ = false;
  }
}

absl::Status SqliteTaskStore::WriteHealth() const {
  absl::MutexLock lock(&mu_);
  return write_health_;
}

absl::Status SqliteTaskStore::ProbeWrite() {
  if (!writer_db_->InAutocommit()) writer_db_->Exec("ROLLBACK").IgnoreError();
  // Rewriting a row appends a page to the WAL, so a full disk or a held
  // lock fails it just as a task write would.
  absl::Status st = writer_db_->Exec(
      "BEGIN IMMEDIATE; UPDATE schema_migrations SET applied_at = applied_at "
      "WHERE version = (SELECT MAX(version) FROM schema_migrations); COMMIT");
  if (!st.ok() && !writer_db_->InAutocommit()) {
    writer_db_->Exec("ROLLBACK").IgnoreError();
  }
  if (!st.ok() || opts_.max_page_count <= 0) return st;
  // The rewrite above fits in a page the row already has, so under a size
  // cap it succeeds even when the next task write cannot get a page.
  return CheckRoom();
}

absl::Status SqliteTaskStore::CheckRoom() {
  int64_t pages = 0;
  int64_t free_pages = 0;
  int64_t cap = 0;
  for (auto [sql, out] : {std::pair{"PRAGMA page_count", &pages},
                          std::pair{"PRAGMA freelist_count", &free_pages},
                          std::pair{"PRAGMA max_page_count", &cap}}) {
    absl::StatusOr<std::string> text = writer_db_->QueryText(sql);
    if (!text.ok()) return text.status();
    if (!absl::SimpleAtoi(*text, out)) {
      return absl::InternalError(absl::StrCat(sql, " gave '", *text, "'"));
    }
  }
  if (pages < cap || free_pages > 0) return absl::OkStatus();
  return WithReason(
      absl::UnavailableError(absl::StrCat(
          "database or disk is full: ", pages, " pages of at most ", cap,
          " used and none free")),
      Reason::kDiskFull);
}

void SqliteTaskStore::Flush() {
  absl::MutexLock lock(&mu_);
  mu_.Await(absl::Condition(
      +[](SqliteTaskStore* s) ABSL_EXCLUSIVE_LOCKS_REQUIRED(s->mu_) {
        return s->queue_.empty() && !s->writing_;
      },
      this));
}

std::vector<absl::Status> SqliteTaskStore::ExecuteBatch(
    const std::vector<WriteOp>& batch) {
  std::vector<absl::Status> results;
  results.reserve(batch.size());
  bool any_write = false;
  for (const WriteOp& op : batch) {
    results.push_back(op.precheck);
    any_write = any_write || op.precheck.ok();
  }
  if (!any_write) return results;

  // Everything that reached the database shares the batch's fate if the
  // transaction as a whole cannot be committed.
  auto fail_all = [&](const absl::Status& error) {
    for (size_t i = 0; i < batch.size(); ++i) {
      if (batch[i].precheck.ok()) results[i] = error;
    }
  };

  // A transaction left open by an earlier failed ROLLBACK would make every
  // later BEGIN fail; close it so the writer heals instead.
  if (!writer_db_->InAutocommit()) writer_db_->Exec("ROLLBACK").IgnoreError();
  absl::Status begin = writer_db_->Exec("BEGIN IMMEDIATE");
  if (!begin.ok()) {
    MG_LOG(Error, "task store: BEGIN failed: ", begin.ToString());
    fail_all(begin);
    return results;
  }
  store::LedgerBatch ledger(writer_db_.get());
  for (size_t i = 0; i < batch.size(); ++i) {
    const WriteOp& op = batch[i];
    if (!op.precheck.ok()) continue;
    results[i] = ApplyOp(op, ledger);
    if (!results[i].ok() && writer_db_->InAutocommit()) {
      // SQLite rolled the whole transaction back (e.g. disk full or I/O
      // error): the ops applied before this one are gone too.
      MG_LOG(Error, "task store: transaction aborted: ", results[i].ToString());
      fail_all(results[i]);
      return results;
    }
  }
  // The accounts the batch's ledger rows moved, once each.
  absl::Status commit = ledger.Flush();
  if (commit.ok()) commit = writer_db_->Exec("COMMIT");
  if (!commit.ok()) {
    MG_LOG(Error, "task store: COMMIT failed: ", commit.ToString());
    if (!writer_db_->InAutocommit()) {
      writer_db_->Exec("ROLLBACK").IgnoreError();
    }
    fail_all(commit);
    return results;
  }
  commit_count_.fetch_add(1, std::memory_order_relaxed);
  return results;
}

absl::Status SqliteTaskStore::ApplyOp(const WriteOp& op,
                                      store::LedgerBatch& ledger) {
  switch (op.kind) {
    case WriteOp::Kind::kDelete:
      return ApplyDelete(op);
    case WriteOp::Kind::kCustom: {
      // Rare admin writes of several statements: a savepoint undoes a
      // partial one.
      MG_RETURN_IF_ERROR(writer_db_->Exec("SAVEPOINT custom_op"));
      const size_t mark = ledger.Mark();
      absl::Status st = op.custom(*writer_db_, ledger, op.updated_at_us);
      if (writer_db_->InAutocommit()) return st;  // SQLite undid the batch
      if (!st.ok()) {
        ledger.UndoTo(mark).IgnoreError();
        writer_db_->Exec("ROLLBACK TO custom_op").IgnoreError();
      }
      absl::Status released = writer_db_->Exec("RELEASE custom_op");
      return st.ok() ? released : st;
    }
    case WriteOp::Kind::kInsert:
    case WriteOp::Kind::kUpdate:
      break;
  }
  // The ledger rows go first: a refused hold stores nothing, and if the
  // task's own write then fails, its rows are taken out again.
  const size_t mark = ledger.Mark();
  for (const LedgerEntry& e : op.rows.ledger) {
    absl::Status st = ledger.Apply(e, op.updated_at_us);
    if (!st.ok()) {
      if (!writer_db_->InAutocommit()) ledger.UndoTo(mark).IgnoreError();
      return st;
    }
  }
  // Outbox rows ride only the change that ends a task (not the submit
  // path): a savepoint takes back the task's write if one of them fails.
  const bool outbox = !op.rows.outbox.empty();
  if (outbox) {
    absl::Status st = writer_db_->Exec("SAVEPOINT task_op");
    if (!st.ok()) {
      if (!writer_db_->InAutocommit()) ledger.UndoTo(mark).IgnoreError();
      return st;
    }
  }
  absl::Status st = op.kind == WriteOp::Kind::kInsert ? ApplyInsert(op)
                                                      : ApplyUpdate(op);
  for (size_t i = 0; st.ok() && i < op.rows.outbox.size(); ++i) {
    st = store::ApplyOutboxRow(*writer_db_, op.rows.outbox[i],
                               op.updated_at_us);
  }
  if (writer_db_->InAutocommit()) return st;  // SQLite undid the batch
  if (outbox) {
    if (!st.ok()) writer_db_->Exec("ROLLBACK TO task_op").IgnoreError();
    absl::Status released = writer_db_->Exec("RELEASE task_op");
    if (st.ok()) st = released;
  }
  if (!st.ok() && ledger.Mark() > mark) {
    absl::Status undone = ledger.UndoTo(mark);
    if (!undone.ok()) return undone;  // fails the batch: nothing half done
  }
  return st;
}

absl::Status SqliteTaskStore::ApplyInsert(const WriteOp& op) {
  if (!op.idempotency_key.empty()) {
    MG_ASSIGN_OR_RETURN(Statement * release,
                        writer_db_->Cached(kReleaseKeySql));
    MG_RETURN_IF_ERROR(release->BindText(1, op.owner));
    MG_RETURN_IF_ERROR(release->BindText(2, op.idempotency_key));
    MG_RETURN_IF_ERROR(release->BindInt64(3, op.created_at_us));
    absl::Status released = release->Run();
    release->Reset();
    MG_RETURN_IF_ERROR(released);
  }
  MG_ASSIGN_OR_RETURN(Statement * stmt, writer_db_->Cached(kInsertSql));
  MG_RETURN_IF_ERROR(stmt->BindText(1, op.id));
  MG_RETURN_IF_ERROR(stmt->BindText(2, op.owner));
  MG_RETURN_IF_ERROR(stmt->BindInt64(3, op.state));
  MG_RETURN_IF_ERROR(stmt->BindInt64(4, op.version));
  MG_RETURN_IF_ERROR(stmt->BindInt64(5, op.created_at_us));
  MG_RETURN_IF_ERROR(stmt->BindInt64(6, op.updated_at_us));
  MG_RETURN_IF_ERROR(op.idempotency_key.empty()
                         ? stmt->BindNull(7)
                         : stmt->BindText(7, op.idempotency_key));
  MG_RETURN_IF_ERROR(stmt->BindBlob(8, op.blob));
  MG_RETURN_IF_ERROR(op.idempotency_expires_at_us == 0
                         ? stmt->BindNull(9)
                         : stmt->BindInt64(9, op.idempotency_expires_at_us));
  MG_RETURN_IF_ERROR(op.deadline_us.has_value()
                         ? stmt->BindInt64(10, *op.deadline_us)
                         : stmt->BindNull(10));
  absl::Status s = stmt->Run();
  int code = stmt->last_code();
  stmt->Reset();
  // A failed statement is undone on its own; the transaction stays open
  // for the rest of the batch.
  if (code == SQLITE_CONSTRAINT_PRIMARYKEY) {
    return absl::AlreadyExistsError(
        absl::StrCat("task ", op.id, " already exists"));
  }
  if (code == SQLITE_CONSTRAINT_UNIQUE) {
    return absl::AlreadyExistsError(absl::StrCat("owner '", op.owner,
                                                 "' already has a task with "
                                                 "idempotency key '",
                                                 op.idempotency_key, "'"));
  }
  return s;
}

absl::Status SqliteTaskStore::ApplyUpdate(const WriteOp& op) {
  MG_ASSIGN_OR_RETURN(Statement * stmt, writer_db_->Cached(kUpdateSql));
  MG_RETURN_IF_ERROR(stmt->BindText(1, op.owner));
  MG_RETURN_IF_ERROR(stmt->BindInt64(2, op.state));
  MG_RETURN_IF_ERROR(stmt->BindInt64(3, op.version));
  MG_RETURN_IF_ERROR(stmt->BindInt64(4, op.updated_at_us));
  MG_RETURN_IF_ERROR(stmt->BindBlob(5, op.blob));
  MG_RETURN_IF_ERROR(stmt->BindText(6, op.id));
  MG_RETURN_IF_ERROR(stmt->BindInt64(7, op.version - 1));
  absl::Status s = stmt->Run();
  stmt->Reset();
  MG_RETURN_IF_ERROR(s);
  if (writer_db_->Changes() == 1) return absl::OkStatus();

  MG_ASSIGN_OR_RETURN(Statement * probe, writer_db_->Cached(kVersionSql));
  MG_RETURN_IF_ERROR(probe->BindText(1, op.id));
  absl::StatusOr<bool> row = probe->Step();
  int64_t stored = row.ok() && *row ? probe->ColumnInt64(0) : 0;
  probe->Reset();
  MG_RETURN_IF_ERROR(row.status());
  if (!*row)
    return absl::NotFoundError(absl::StrCat("task ", op.id, " not found"));
  return absl::AbortedError(absl::StrCat("task ", op.id, " is at version ",
                                         stored, ", update expected ",
                                         op.version - 1));
}

}  // namespace mediagw
