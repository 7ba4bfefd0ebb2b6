#include "store/sqlite/sqlite_webhook_store.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"

namespace mediagw {

using store::SqliteDb;
using store::Statement;

namespace {

constexpr char kOutboxColumns[] =
    "o.id, o.task_id, o.account_id, o.url, o.event, o.kie_format, o.body, "
    "o.created_at_us, o.give_up_at_us, o.state, o.attempts, "
    "o.next_attempt_at_us";

OutboxState StateOf(int64_t v) {
  switch (v) {
    case 1:
      return OutboxState::kDelivered;
    case 2:
      return OutboxState::kFailed;
    case 3:
      return OutboxState::kDisabled;
    default:
      return OutboxState::kPending;
  }
}

OutboxEntry ReadEntry(const Statement& s) {
  OutboxEntry e;
  e.row.id = std::string(s.ColumnText(0));
  e.row.task_id = std::string(s.ColumnText(1));
  e.row.account_id = std::string(s.ColumnText(2));
  e.row.url = std::string(s.ColumnText(3));
  e.row.event = std::string(s.ColumnText(4));
  e.row.kie_format = s.ColumnInt64(5) != 0;
  e.row.body = std::string(s.ColumnBlob(6));
  e.row.created_at_us = s.ColumnInt64(7);
  e.row.give_up_at_us = s.ColumnInt64(8);
  e.state = StateOf(s.ColumnInt64(9));
  e.attempts = static_cast<int>(s.ColumnInt64(10));
  e.next_attempt_at_us = s.ColumnInt64(11);
  return e;
}

// Runs `stmt` (bound) and reports how many rows it changed.
absl::StatusOr<int> RunCounting(SqliteDb& db, Statement* stmt) {
  absl::Status st = stmt->Run();
  stmt->Reset();
  MG_RETURN_IF_ERROR(st);
  return db.Changes();
}

}  // namespace

namespace store {

absl::Status ApplyOutboxRow(SqliteDb& db, const OutboxRow& row,
                            int64_t now_us) {
  if (row.id.empty() || row.task_id.empty() || row.url.empty()) {
    return absl::InvalidArgumentError(
        "an outbox row needs an id, a task and a URL");
  }
  MG_ASSIGN_OR_RETURN(
      Statement * stmt,
      db.Cached("INSERT INTO webhook_outbox(id, task_id, account_id, url, "
                "event, kie_format, body, state, attempts, created_at_us, "
                "next_attempt_at_us, give_up_at_us, updated_at_us) "
                "VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, 0, 0, ?8, ?8, ?9, ?8)"));
  const int64_t created = row.created_at_us != 0 ? row.created_at_us : now_us;
  MG_RETURN_IF_ERROR(stmt->BindText(1, row.id));
  MG_RETURN_IF_ERROR(stmt->BindText(2, row.task_id));
  MG_RETURN_IF_ERROR(stmt->BindText(3, row.account_id));
  MG_RETURN_IF_ERROR(stmt->BindText(4, row.url));
  MG_RETURN_IF_ERROR(stmt->BindText(5, row.event));
  MG_RETURN_IF_ERROR(stmt->BindInt64(6, row.kie_format ? 1 : 0));
  MG_RETURN_IF_ERROR(stmt->BindBlob(7, row.body));
  MG_RETURN_IF_ERROR(stmt->BindInt64(8, created));
  MG_RETURN_IF_ERROR(stmt->BindInt64(9, row.give_up_at_us));
  absl::Status st = stmt->Run();
  const int code = stmt->last_code();
  stmt->Reset();
  if (code == SQLITE_CONSTRAINT_PRIMARYKEY || code == SQLITE_CONSTRAINT_UNIQUE) {
    return absl::AlreadyExistsError(
        absl::StrCat("task ", row.task_id, " already has a webhook delivery"));
  }
  return st;
}

}  // namespace store

absl::StatusOr<std::vector<OutboxEntry>> SqliteWebhookStore::ListDue(
    int64_t now_us, int limit) {
  std::vector<OutboxEntry> out;
  MG_RETURN_IF_ERROR(tasks_->WithReader([&](SqliteDb& db) -> absl::Status {
    MG_ASSIGN_OR_RETURN(
        Statement * stmt,
        db.Cached(absl::StrCat(
            "SELECT ", kOutboxColumns,
            ", EXISTS(SELECT 1 FROM webhook_disabled_endpoints d WHERE "
            "d.account_id = o.account_id AND d.url = o.url) "
            "FROM webhook_outbox o WHERE o.state = 0 AND "
            "o.next_attempt_at_us <= ? ORDER BY o.next_attempt_at_us "
            "LIMIT ?")));
    MG_RETURN_IF_ERROR(stmt->BindInt64(1, now_us));
    MG_RETURN_IF_ERROR(stmt->BindInt64(2, std::max(limit, 0)));
    absl::Status st;
    for (;;) {
      absl::StatusOr<bool> row = stmt->Step();
      if (!row.ok() || !*row) {
        st = row.status();
        break;
      }
      OutboxEntry e = ReadEntry(*stmt);
      e.endpoint_disabled = stmt->ColumnInt64(12) != 0;
      out.push_back(std::move(e));
    }
    stmt->Reset();
    return st;
  }));
  return out;
}

void SqliteWebhookStore::RecordAttempt(AttemptRow a, DoneCallback done) {
  tasks_->EnqueueCustom(
      [a = std::move(a)](SqliteDb& db, store::LedgerBatch&,
                         int64_t now_us) -> absl::Status {
        {
          MG_ASSIGN_OR_RETURN(
              Statement * stmt,
              db.Cached("UPDATE webhook_outbox SET state = ?1, attempts = "
                        "attempts + 1, next_attempt_at_us = ?2, "
                        "updated_at_us = ?3 WHERE id = ?4 AND state = 0"));
          MG_RETURN_IF_ERROR(stmt->BindInt64(1, static_cast<int>(a.outcome)));
          MG_RETURN_IF_ERROR(stmt->BindInt64(2, a.next_attempt_at_us));
          MG_RETURN_IF_ERROR(stmt->BindInt64(3, now_us));
          MG_RETURN_IF_ERROR(stmt->BindText(4, a.outbox_id));
          MG_ASSIGN_OR_RETURN(int changed, RunCounting(db, stmt));
          if (changed == 0) {
            return absl::NotFoundError(absl::StrCat(
                "webhook delivery ", a.outbox_id, " is not pending"));
          }
        }
        {
          MG_ASSIGN_OR_RETURN(
              Statement * stmt,
              db.Cached("INSERT INTO webhook_attempts(outbox_id, task_id, "
                        "at_us, duration_ms, status_code, error, outcome, "
                        "next_attempt_at_us) VALUES(?, ?, ?, ?, ?, ?, ?, ?)"));
          MG_RETURN_IF_ERROR(stmt->BindText(1, a.outbox_id));
          MG_RETURN_IF_ERROR(stmt->BindText(2, a.task_id));
          MG_RETURN_IF_ERROR(stmt->BindInt64(3, a.at_us));
          MG_RETURN_IF_ERROR(stmt->BindInt64(4, a.duration_ms));
          MG_RETURN_IF_ERROR(stmt->BindInt64(5, a.status_code));
          MG_RETURN_IF_ERROR(stmt->BindText(6, a.error));
          MG_RETURN_IF_ERROR(stmt->BindInt64(7, static_cast<int>(a.outcome)));
          MG_RETURN_IF_ERROR(stmt->BindInt64(8, a.next_attempt_at_us));
          MG_RETURN_IF_ERROR(RunCounting(db, stmt).status());
        }
        if (!a.disable_endpoint) return absl::OkStatus();
        MG_ASSIGN_OR_RETURN(
            Statement * stmt,
            db.Cached("INSERT OR IGNORE INTO webhook_disabled_endpoints("
                      "account_id, url, disabled_at_us) VALUES(?, ?, ?)"));
        MG_RETURN_IF_ERROR(stmt->BindText(1, a.account_id));
        MG_RETURN_IF_ERROR(stmt->BindText(2, a.url));
        MG_RETURN_IF_ERROR(stmt->BindInt64(3, now_us));
        return RunCounting(db, stmt).status();
      },
      std::move(done));
}

absl::StatusOr<std::optional<WebhookHistory>> SqliteWebhookStore::History(
    const std::string& task_id, int max_attempts) {
  std::optional<WebhookHistory> out;
  MG_RETURN_IF_ERROR(tasks_->WithReader([&](SqliteDb& db) -> absl::Status {
    {
      MG_ASSIGN_OR_RETURN(
          Statement * stmt,
          db.Cached(absl::StrCat("SELECT ", kOutboxColumns,
                                 " FROM webhook_outbox o WHERE o.task_id = ?")));
      MG_RETURN_IF_ERROR(stmt->BindText(1, task_id));
      absl::StatusOr<bool> row = stmt->Step();
      if (row.ok() && *row) out = WebhookHistory{ReadEntry(*stmt), {}};
      stmt->Reset();
      MG_RETURN_IF_ERROR(row.status());
    }
    if (!out.has_value()) return absl::OkStatus();
    // The newest attempts, returned oldest first.
    MG_ASSIGN_OR_RETURN(
        Statement * stmt,
        db.Cached("SELECT outbox_id, task_id, at_us, duration_ms, "
                  "status_code, error, outcome, next_attempt_at_us FROM "
                  "webhook_attempts WHERE task_id = ? ORDER BY seq DESC "
                  "LIMIT ?"));
    MG_RETURN_IF_ERROR(stmt->BindText(1, task_id));
    MG_RETURN_IF_ERROR(stmt->BindInt64(2, std::max(max_attempts, 0)));
    absl::Status st;
    for (;;) {
      absl::StatusOr<bool> row = stmt->Step();
      if (!row.ok() || !*row) {
        st = row.status();
        break;
      }
      AttemptRow a;
      a.outbox_id = std::string(stmt->ColumnText(0));
      a.task_id = std::string(stmt->ColumnText(1));
      a.at_us = stmt->ColumnInt64(2);
      a.duration_ms = stmt->ColumnInt64(3);
      a.status_code = static_cast<int>(stmt->ColumnInt64(4));
      a.error = std::string(stmt->ColumnText(5));
      a.outcome = StateOf(stmt->ColumnInt64(6));
      a.next_attempt_at_us = stmt->ColumnInt64(7);
      out->attempts.push_back(std::move(a));
    }
    stmt->Reset();
    std::reverse(out->attempts.begin(), out->attempts.end());
    return st;
  }));
  return out;
}

void SqliteWebhookStore::Replay(const std::string& task_id, int64_t now_us,
                                int64_t give_up_at_us, DoneCallback done) {
  tasks_->EnqueueCustom(
      [task_id, now_us, give_up_at_us](SqliteDb& db, store::LedgerBatch&,
                                       int64_t) -> absl::Status {
        {
          MG_ASSIGN_OR_RETURN(
              Statement * stmt,
              db.Cached("DELETE FROM webhook_disabled_endpoints WHERE "
                        "(account_id, url) IN (SELECT account_id, url FROM "
                        "webhook_outbox WHERE task_id = ?)"));
          MG_RETURN_IF_ERROR(stmt->BindText(1, task_id));
          MG_RETURN_IF_ERROR(RunCounting(db, stmt).status());
        }
        MG_ASSIGN_OR_RETURN(
            Statement * stmt,
            db.Cached("UPDATE webhook_outbox SET state = 0, "
                      "next_attempt_at_us = ?1, give_up_at_us = ?2, "
                      "updated_at_us = ?1 WHERE task_id = ?3"));
        MG_RETURN_IF_ERROR(stmt->BindInt64(1, now_us));
        MG_RETURN_IF_ERROR(stmt->BindInt64(2, give_up_at_us));
        MG_RETURN_IF_ERROR(stmt->BindText(3, task_id));
        MG_ASSIGN_OR_RETURN(int changed, RunCounting(db, stmt));
        if (changed == 0) {
          return absl::NotFoundError(
              absl::StrCat("task ", task_id, " has no webhook delivery"));
        }
        return absl::OkStatus();
      },
      std::move(done));
}

}  // namespace mediagw
