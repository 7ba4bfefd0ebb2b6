#include "store/sqlite/schema.h"

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/status_macros.h"

namespace mediagw {
namespace store {

const std::vector<Migration>& TaskStoreMigrations() {
  static const std::vector<Migration>* const kMigrations =
      new std::vector<Migration>{
          {1, R"sql(
CREATE TABLE tasks (
  id TEXT PRIMARY KEY NOT NULL,
  owner TEXT NOT NULL,
  state INTEGER NOT NULL,
  version INTEGER NOT NULL,
  created_at_us INTEGER NOT NULL,
  updated_at_us INTEGER NOT NULL,
  idempotency_key TEXT NULL,
  record BLOB NOT NULL
);
CREATE UNIQUE INDEX tasks_owner_idempotency_key
  ON tasks(owner, idempotency_key) WHERE idempotency_key IS NOT NULL;
CREATE INDEX tasks_state ON tasks(state);
CREATE INDEX tasks_owner_created
  ON tasks(owner, created_at_us DESC, id DESC);
)sql"},
          // The dispatcher pulls its backlog oldest first by state.
          {2, R"sql(
CREATE INDEX tasks_state_created ON tasks(state, created_at_us, id);
DROP INDEX tasks_state;
)sql"},
          // Idempotency keys expire: an insert lets go of an expired key
          // through the (owner, idempotency_key) index. Keys of older tasks
          // get the default 24 hours.
          {3, R"sql(
ALTER TABLE tasks ADD COLUMN idempotency_expires_at_us INTEGER NULL;
UPDATE tasks SET idempotency_expires_at_us = created_at_us + 86400000000
  WHERE idempotency_key IS NOT NULL;
)sql"},
          // Accounts (docs/ACCOUNTS.md): balances, keys by SHA-256, and an
          // append-only ledger with one hold and one final entry per task.
          {4, R"sql(
CREATE TABLE accounts (
  id TEXT PRIMARY KEY NOT NULL,
  balance INTEGER NOT NULL DEFAULT 0 CHECK (balance >= 0),
  held INTEGER NOT NULL DEFAULT 0 CHECK (held >= 0),
  unlimited INTEGER NOT NULL DEFAULT 0,
  record BLOB NOT NULL,
  created_at_us INTEGER NOT NULL,
  updated_at_us INTEGER NOT NULL
);
CREATE TABLE api_keys (
  id TEXT PRIMARY KEY NOT NULL,
  account_id TEXT NOT NULL,
  sha256 TEXT NOT NULL UNIQUE,
  prefix TEXT NOT NULL,
  name TEXT NOT NULL,
  created_at_us INTEGER NOT NULL,
  revoked_at_us INTEGER NULL
);
CREATE INDEX api_keys_account ON api_keys(account_id);
CREATE TABLE ledger (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  account_id TEXT NOT NULL,
  task_id TEXT NULL,
  kind INTEGER NOT NULL,
  -- 1 for a task's hold, 2 for its settle or refund, NULL for a top-up:
  -- one unique index then allows one of each per task.
  slot INTEGER NULL,
  amount INTEGER NOT NULL CHECK (amount >= 0),
  balance_after INTEGER NOT NULL,
  held_after INTEGER NOT NULL,
  at_us INTEGER NOT NULL,
  note TEXT NOT NULL DEFAULT ''
);
CREATE UNIQUE INDEX ledger_task_slot ON ledger(task_id, slot);
CREATE INDEX ledger_account ON ledger(account_id, seq);
CREATE INDEX tasks_state_owner_created
  ON tasks(state, owner, created_at_us, id);
)sql"},
          // PENDING tasks past their deadline are found without loading the
          // backlog: the deadline gets a column (written once, by the insert)
          // and PENDING rows an index on it. Rows written before this step
          // have none and are timed out when the backlog loads them.
          {5, R"sql(
ALTER TABLE tasks ADD COLUMN deadline_us INTEGER NULL;
CREATE INDEX tasks_pending_deadline ON tasks(deadline_us) WHERE state = 1;
)sql"},
          // Outbound webhooks (docs/API.md "Webhooks"): one outbox row per
          // reported task end, committed with that transition; its
          // attempts; the (account, url) endpoints a 410 disabled.
          {6, R"sql(
CREATE TABLE webhook_outbox (
  id TEXT PRIMARY KEY NOT NULL,
  task_id TEXT NOT NULL UNIQUE,
  account_id TEXT NOT NULL,
  url TEXT NOT NULL,
  event TEXT NOT NULL,
  kie_format INTEGER NOT NULL DEFAULT 0,
  body BLOB NOT NULL,
  state INTEGER NOT NULL DEFAULT 0,
  attempts INTEGER NOT NULL DEFAULT 0,
  created_at_us INTEGER NOT NULL,
  next_attempt_at_us INTEGER NOT NULL,
  give_up_at_us INTEGER NOT NULL,
  updated_at_us INTEGER NOT NULL
);
CREATE INDEX webhook_outbox_due
  ON webhook_outbox(state, next_attempt_at_us);
CREATE TABLE webhook_attempts (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  outbox_id TEXT NOT NULL,
  task_id TEXT NOT NULL,
  at_us INTEGER NOT NULL,
  duration_ms INTEGER NOT NULL,
  status_code INTEGER NOT NULL,
  error TEXT NOT NULL DEFAULT '',
  outcome INTEGER NOT NULL,
  next_attempt_at_us INTEGER NOT NULL
);
CREATE INDEX webhook_attempts_task ON webhook_attempts(task_id, seq);
CREATE TABLE webhook_disabled_endpoints (
  account_id TEXT NOT NULL,
  url TEXT NOT NULL,
  disabled_at_us INTEGER NOT NULL,
  PRIMARY KEY (account_id, url)
);
)sql"},
      };
  return *kMigrations;
}

namespace {

absl::StatusOr<int64_t> CurrentVersion(SqliteDb& db) {
  MG_ASSIGN_OR_RETURN(
      auto stmt,
      db.Prepare("SELECT COALESCE(MAX(version), 0) FROM schema_migrations"));
  MG_ASSIGN_OR_RETURN(bool row, stmt->Step());
  return row ? stmt->ColumnInt64(0) : 0;
}

absl::Status ApplyOne(SqliteDb& db, const Migration& m) {
  MG_RETURN_IF_ERROR(db.Exec("BEGIN IMMEDIATE"));
  // Another process may have applied this step while we waited for the lock.
  auto body = [&]() -> absl::Status {
    MG_ASSIGN_OR_RETURN(int64_t current, CurrentVersion(db));
    if (current >= m.version) return absl::OkStatus();
    MG_RETURN_IF_ERROR(db.Exec(m.sql));
    MG_ASSIGN_OR_RETURN(
        auto stmt,
        db.Prepare(
            "INSERT INTO schema_migrations(version, applied_at) VALUES(?, ?)"));
    MG_RETURN_IF_ERROR(stmt->BindInt64(1, m.version));
    MG_RETURN_IF_ERROR(stmt->BindInt64(2, absl::ToUnixMicros(absl::Now())));
    return stmt->Run();
  };
  absl::Status s = body();
  if (!s.ok()) {
    if (!db.InAutocommit()) db.Exec("ROLLBACK").IgnoreError();
    return absl::Status(s.code(), absl::StrCat("schema migration ", m.version,
                                               ": ", s.message()));
  }
  return db.Exec("COMMIT");
}

}  // namespace

absl::StatusOr<int64_t> ApplyMigrations(
    SqliteDb& db, const std::vector<Migration>& migrations) {
  MG_RETURN_IF_ERROR(
      db.Exec("CREATE TABLE IF NOT EXISTS schema_migrations ("
              "version INTEGER PRIMARY KEY, applied_at INTEGER NOT NULL)"));
  int64_t latest = migrations.empty() ? 0 : migrations.back().version;
  MG_ASSIGN_OR_RETURN(int64_t current, CurrentVersion(db));
  if (current > latest) {
    return absl::FailedPreconditionError(
        absl::StrCat("database schema version ", current,
                     " is newer than this binary supports (", latest, ")"));
  }
  for (const Migration& m : migrations) {
    if (m.version <= current) continue;
    MG_RETURN_IF_ERROR(ApplyOne(db, m));
  }
  return CurrentVersion(db);
}

}  // namespace store
}  // namespace mediagw
