#include "store/sqlite/sqlite_account_store.h"

#include <algorithm>
#include <functional>

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "store/sqlite/sqlite_ledger.h"

namespace mediagw {

using store::SqliteDb;
using store::Statement;

namespace {

constexpr char kAccountColumns[] =
    "id, balance, held, unlimited, record, created_at_us, updated_at_us";

absl::StatusOr<AccountRow> ReadAccount(const Statement& stmt) {
  AccountRow row;
  row.id = std::string(stmt.ColumnText(0));
  row.balance = stmt.ColumnInt64(1);
  row.held = stmt.ColumnInt64(2);
  row.unlimited = stmt.ColumnInt64(3) != 0;
  const absl::string_view blob = stmt.ColumnBlob(4);
  if (!row.settings.ParseFromArray(blob.data(), static_cast<int>(blob.size()))) {
    return absl::DataLossError(
        absl::StrCat("account ", row.id, ": stored settings unreadable"));
  }
  row.created_at_us = stmt.ColumnInt64(5);
  row.updated_at_us = stmt.ColumnInt64(6);
  return row;
}

KeyRow ReadKey(const Statement& stmt) {
  KeyRow k;
  k.id = std::string(stmt.ColumnText(0));
  k.account_id = std::string(stmt.ColumnText(1));
  k.sha256_hex = std::string(stmt.ColumnText(2));
  k.prefix = std::string(stmt.ColumnText(3));
  k.name = std::string(stmt.ColumnText(4));
  k.created_at_us = stmt.ColumnInt64(5);
  k.revoked_at_us = stmt.ColumnIsNull(6) ? 0 : stmt.ColumnInt64(6);
  return k;
}

absl::Status RunChecked(Statement* stmt, absl::string_view what) {
  absl::Status st = stmt->Run();
  const int code = stmt->last_code();
  stmt->Reset();
  if (code == SQLITE_CONSTRAINT_PRIMARYKEY || code == SQLITE_CONSTRAINT_UNIQUE) {
    return absl::AlreadyExistsError(absl::StrCat(what, " already exists"));
  }
  return st;
}

// Runs an UPDATE of one row (parameters bound): NOT_FOUND (`what` not
// found) when it matched none.
absl::Status UpdateOne(SqliteDb& db, Statement* stmt, absl::string_view what) {
  absl::Status st = stmt->Run();
  stmt->Reset();
  MG_RETURN_IF_ERROR(st);
  if (db.Changes() == 0) {
    return absl::NotFoundError(absl::StrCat(what, " not found"));
  }
  return absl::OkStatus();
}

// Steps `stmt` to the end, handing each row to `row`; resets it.
absl::Status ForEachRow(Statement* stmt,
                        const std::function<absl::Status(const Statement&)>& row) {
  absl::Status st;
  for (;;) {
    absl::StatusOr<bool> more = stmt->Step();
    if (!more.ok() || !*more) {
      st = more.status();
      break;
    }
    st = row(*stmt);
    if (!st.ok()) break;
  }
  stmt->Reset();
  return st;
}

}  // namespace

void SqliteAccountStore::CreateAccount(AccountRow row, int64_t initial_balance,
                                       DoneCallback done) {
  std::string blob;
  if (!row.settings.SerializeToString(&blob)) {
    done(absl::InternalError("cannot serialize account settings"));
    return;
  }
  tasks_->EnqueueCustom(
      [row = std::move(row), blob = std::move(blob), initial_balance](
          SqliteDb& db, store::LedgerBatch& ledger,
          int64_t now_us) -> absl::Status {
        MG_ASSIGN_OR_RETURN(
            Statement * stmt,
            db.Cached("INSERT INTO accounts(id, balance, held, unlimited, "
                      "record, created_at_us, updated_at_us) "
                      "VALUES(?, 0, 0, ?, ?, ?, ?)"));
        MG_RETURN_IF_ERROR(stmt->BindText(1, row.id));
        MG_RETURN_IF_ERROR(stmt->BindInt64(2, row.unlimited ? 1 : 0));
        MG_RETURN_IF_ERROR(stmt->BindBlob(3, blob));
        MG_RETURN_IF_ERROR(stmt->BindInt64(4, now_us));
        MG_RETURN_IF_ERROR(stmt->BindInt64(5, now_us));
        MG_RETURN_IF_ERROR(
            RunChecked(stmt, absl::StrCat("account ", row.id)));
        if (initial_balance <= 0) return absl::OkStatus();
        LedgerEntry top_up;
        top_up.account_id = row.id;
        top_up.kind = LedgerEntry::Kind::kTopUp;
        top_up.amount = initial_balance;
        top_up.note = "initial balance";
        return ledger.Apply(top_up, now_us);
      },
      std::move(done));
}

void SqliteAccountStore::UpdateSettings(const std::string& id,
                                        AccountRecord settings,
                                        DoneCallback done) {
  std::string blob;
  if (!settings.SerializeToString(&blob)) {
    done(absl::InternalError("cannot serialize account settings"));
    return;
  }
  tasks_->EnqueueCustom(
      [id, blob = std::move(blob)](SqliteDb& db, store::LedgerBatch&,
                                   int64_t now_us) -> absl::Status {
        MG_ASSIGN_OR_RETURN(
            Statement * stmt,
            db.Cached("UPDATE accounts SET record = ?, updated_at_us = ? "
                      "WHERE id = ?"));
        MG_RETURN_IF_ERROR(stmt->BindBlob(1, blob));
        MG_RETURN_IF_ERROR(stmt->BindInt64(2, now_us));
        MG_RETURN_IF_ERROR(stmt->BindText(3, id));
        return UpdateOne(db, stmt, absl::StrCat("account ", id));
      },
      std::move(done));
}

void SqliteAccountStore::PutKey(KeyRow row, DoneCallback done) {
  tasks_->EnqueueCustom(
      [row = std::move(row)](SqliteDb& db, store::LedgerBatch&,
                             int64_t now_us) -> absl::Status {
        {
          MG_ASSIGN_OR_RETURN(Statement * probe,
                              db.Cached("SELECT 1 FROM accounts WHERE id = ?"));
          MG_RETURN_IF_ERROR(probe->BindText(1, row.account_id));
          absl::StatusOr<bool> found = probe->Step();
          probe->Reset();
          MG_RETURN_IF_ERROR(found.status());
          if (!*found) {
            return absl::NotFoundError(
                absl::StrCat("account ", row.account_id, " not found"));
          }
        }
        MG_ASSIGN_OR_RETURN(
            Statement * stmt,
            db.Cached("INSERT INTO api_keys(id, account_id, sha256, prefix, "
                      "name, created_at_us, revoked_at_us) "
                      "VALUES(?, ?, ?, ?, ?, ?, NULL)"));
        MG_RETURN_IF_ERROR(stmt->BindText(1, row.id));
        MG_RETURN_IF_ERROR(stmt->BindText(2, row.account_id));
        MG_RETURN_IF_ERROR(stmt->BindText(3, row.sha256_hex));
        MG_RETURN_IF_ERROR(stmt->BindText(4, row.prefix));
        MG_RETURN_IF_ERROR(stmt->BindText(5, row.name));
        MG_RETURN_IF_ERROR(stmt->BindInt64(
            6, row.created_at_us != 0 ? row.created_at_us : now_us));
        return RunChecked(stmt, absl::StrCat("key ", row.id));
      },
      std::move(done));
}

void SqliteAccountStore::RevokeKey(const std::string& key_id, int64_t at_us,
                                   DoneCallback done) {
  tasks_->EnqueueCustom(
      [key_id, at_us](SqliteDb& db, store::LedgerBatch&,
                      int64_t) -> absl::Status {
        MG_ASSIGN_OR_RETURN(
            Statement * stmt,
            db.Cached("UPDATE api_keys SET revoked_at_us = COALESCE("
                      "revoked_at_us, ?) WHERE id = ?"));
        MG_RETURN_IF_ERROR(stmt->BindInt64(1, at_us));
        MG_RETURN_IF_ERROR(stmt->BindText(2, key_id));
        return UpdateOne(db, stmt, absl::StrCat("key ", key_id));
      },
      std::move(done));
}

void SqliteAccountStore::Apply(LedgerEntry entry, DoneCallback done) {
  tasks_->EnqueueCustom(
      [entry = std::move(entry)](SqliteDb&, store::LedgerBatch& ledger,
                                 int64_t now_us) {
        return ledger.Apply(entry, now_us);
      },
      std::move(done));
}

absl::StatusOr<AccountRow> SqliteAccountStore::GetAccount(
    const std::string& id) {
  absl::StatusOr<AccountRow> out =
      absl::NotFoundError(absl::StrCat("account ", id, " not found"));
  MG_RETURN_IF_ERROR(tasks_->WithReader([&](SqliteDb& db) -> absl::Status {
    MG_ASSIGN_OR_RETURN(
        Statement * stmt,
        db.Cached(absl::StrCat("SELECT ", kAccountColumns,
                               " FROM accounts WHERE id = ?")));
    MG_RETURN_IF_ERROR(stmt->BindText(1, id));
    absl::StatusOr<bool> row = stmt->Step();
    if (row.ok() && *row) out = ReadAccount(*stmt);
    stmt->Reset();
    return row.status();
  }));
  return out;
}

absl::StatusOr<std::vector<AccountRow>> SqliteAccountStore::ListAccounts(
    const std::string& after_id, int limit) {
  std::vector<AccountRow> out;
  MG_RETURN_IF_ERROR(tasks_->WithReader([&](SqliteDb& db) -> absl::Status {
    MG_ASSIGN_OR_RETURN(
        Statement * stmt,
        db.Cached(absl::StrCat("SELECT ", kAccountColumns,
                               " FROM accounts WHERE id > ? ORDER BY id "
                               "LIMIT ?")));
    MG_RETURN_IF_ERROR(stmt->BindText(1, after_id));
    MG_RETURN_IF_ERROR(stmt->BindInt64(2, std::max(limit, 0)));
    return ForEachRow(stmt, [&](const Statement& row) -> absl::Status {
      MG_ASSIGN_OR_RETURN(AccountRow a, ReadAccount(row));
      out.push_back(std::move(a));
      return absl::OkStatus();
    });
  }));
  return out;
}

absl::StatusOr<std::vector<KeyRow>> SqliteAccountStore::ListKeys(
    const std::string& account_id) {
  std::vector<KeyRow> out;
  MG_RETURN_IF_ERROR(tasks_->WithReader([&](SqliteDb& db) -> absl::Status {
    MG_ASSIGN_OR_RETURN(
        Statement * stmt,
        db.Cached("SELECT id, account_id, sha256, prefix, name, "
                  "created_at_us, revoked_at_us FROM api_keys "
                  "WHERE ? = '' OR account_id = ? ORDER BY created_at_us, id"));
    MG_RETURN_IF_ERROR(stmt->BindText(1, account_id));
    MG_RETURN_IF_ERROR(stmt->BindText(2, account_id));
    return ForEachRow(stmt, [&](const Statement& row) {
      out.push_back(ReadKey(row));
      return absl::OkStatus();
    });
  }));
  return out;
}

absl::StatusOr<std::vector<LedgerRow>> SqliteAccountStore::ListLedger(
    const std::string& account_id, int64_t after_seq, int limit) {
  std::vector<LedgerRow> out;
  MG_RETURN_IF_ERROR(tasks_->WithReader([&](SqliteDb& db) -> absl::Status {
    MG_ASSIGN_OR_RETURN(
        Statement * stmt,
        db.Cached("SELECT seq, account_id, task_id, kind, amount, "
                  "balance_after, held_after, at_us, note FROM ledger "
                  "WHERE account_id = ? AND seq > ? ORDER BY seq LIMIT ?"));
    MG_RETURN_IF_ERROR(stmt->BindText(1, account_id));
    MG_RETURN_IF_ERROR(stmt->BindInt64(2, after_seq));
    MG_RETURN_IF_ERROR(stmt->BindInt64(3, std::max(limit, 0)));
    return ForEachRow(stmt, [&](const Statement& row) {
      LedgerRow r;
      r.seq = row.ColumnInt64(0);
      r.account_id = std::string(row.ColumnText(1));
      if (!row.ColumnIsNull(2)) r.task_id = std::string(row.ColumnText(2));
      r.kind = static_cast<LedgerEntry::Kind>(row.ColumnInt64(3));
      r.amount = row.ColumnInt64(4);
      r.balance_after = row.ColumnInt64(5);
      r.held_after = row.ColumnInt64(6);
      r.at_us = row.ColumnInt64(7);
      r.note = std::string(row.ColumnText(8));
      out.push_back(std::move(r));
      return absl::OkStatus();
    });
  }));
  return out;
}

absl::StatusOr<std::vector<std::pair<std::string, int64_t>>>
SqliteAccountStore::CountActiveByOwner() {
  std::vector<std::pair<std::string, int64_t>> out;
  MG_RETURN_IF_ERROR(tasks_->WithReader([&](SqliteDb& db) -> absl::Status {
    // Terminal states: SUCCEEDED, FAILED, CANCELED, TIMED_OUT.
    MG_ASSIGN_OR_RETURN(
        Statement * stmt,
        db.Cached(absl::StrCat(
            "SELECT owner, COUNT(*) FROM tasks WHERE state NOT IN (",
            v1::TASK_STATE_SUCCEEDED, ", ", v1::TASK_STATE_FAILED, ", ",
            v1::TASK_STATE_CANCELED, ", ", v1::TASK_STATE_TIMED_OUT,
            ") GROUP BY owner")));
    return ForEachRow(stmt, [&](const Statement& row) {
      out.emplace_back(std::string(row.ColumnText(0)), row.ColumnInt64(1));
      return absl::OkStatus();
    });
  }));
  return out;
}

}  // namespace mediagw
