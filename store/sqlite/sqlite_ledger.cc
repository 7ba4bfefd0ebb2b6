#include "store/sqlite/sqlite_ledger.h"

#include <algorithm>
#include <limits>

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "common/status_mapping.h"

namespace mediagw {
namespace store {
namespace {

// An unlimited account holds and settles like any other, so that its ledger
// tells what it used, but its balance never moves.
constexpr char kHoldSql[] =
    "UPDATE accounts SET balance = balance - (CASE unlimited WHEN 1 THEN 0 "
    "ELSE ?1 END), held = held + ?1, updated_at_us = ?3 "
    "WHERE id = ?2 AND (unlimited = 1 OR balance >= ?1) "
    "RETURNING balance, held";
// ?1 = the hold, ?2 = what of it is charged.
constexpr char kReleaseSql[] =
    "UPDATE accounts SET held = held - ?1, balance = balance + (CASE "
    "unlimited WHEN 1 THEN 0 ELSE ?1 - ?2 END), updated_at_us = ?4 "
    "WHERE id = ?3 AND held >= ?1 RETURNING balance, held";
constexpr char kTopUpSql[] =
    "UPDATE accounts SET balance = balance + ?1, updated_at_us = ?3 "
    "WHERE id = ?2 AND balance <= ?4 - ?1 RETURNING balance, held";
constexpr char kHoldOfSql[] =
    "SELECT amount, account_id FROM ledger WHERE task_id = ? AND slot = 1";
constexpr char kFinalOfSql[] =
    "SELECT 1 FROM ledger WHERE task_id = ? AND slot = 2";
constexpr char kAccountExistsSql[] = "SELECT 1 FROM accounts WHERE id = ?";
constexpr char kAppendSql[] =
    "INSERT INTO ledger(account_id, task_id, kind, slot, amount, "
    "balance_after, held_after, at_us, note) "
    "VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)";

// The account's balance and held amount after an update, from RETURNING.
struct After {
  bool changed = false;
  int64_t balance = 0;
  int64_t held = 0;
};

// Runs an UPDATE ... RETURNING balance, held (parameters already bound).
absl::StatusOr<After> RunReturning(Statement* stmt) {
  After after;
  absl::StatusOr<bool> row = stmt->Step();
  if (row.ok() && *row) {
    after.changed = true;
    after.balance = stmt->ColumnInt64(0);
    after.held = stmt->ColumnInt64(1);
    // Step to the end so that the update completes.
    row = stmt->Step();
  }
  stmt->Reset();
  if (!row.ok()) return row.status();
  return after;
}

absl::StatusOr<bool> AccountExists(SqliteDb& db, const std::string& id) {
  MG_ASSIGN_OR_RETURN(Statement * stmt, db.Cached(kAccountExistsSql));
  MG_RETURN_IF_ERROR(stmt->BindText(1, id));
  absl::StatusOr<bool> row = stmt->Step();
  stmt->Reset();
  return row;
}

absl::Status NoAccount(const std::string& id) {
  return absl::NotFoundError(absl::StrCat("account ", id, " not found"));
}

absl::Status Append(SqliteDb& db, const LedgerEntry& e, int64_t amount,
                    const After& after, int64_t now_us) {
  MG_ASSIGN_OR_RETURN(Statement * stmt, db.Cached(kAppendSql));
  MG_RETURN_IF_ERROR(stmt->BindText(1, e.account_id));
  const bool task = !e.task_id.empty();
  MG_RETURN_IF_ERROR(task ? stmt->BindText(2, e.task_id) : stmt->BindNull(2));
  MG_RETURN_IF_ERROR(stmt->BindInt64(3, static_cast<int64_t>(e.kind)));
  MG_RETURN_IF_ERROR(
      !task ? stmt->BindNull(4)
            : stmt->BindInt64(4, e.kind == LedgerEntry::Kind::kHold ? 1 : 2));
  MG_RETURN_IF_ERROR(stmt->BindInt64(5, amount));
  MG_RETURN_IF_ERROR(stmt->BindInt64(6, after.balance));
  MG_RETURN_IF_ERROR(stmt->BindInt64(7, after.held));
  MG_RETURN_IF_ERROR(stmt->BindInt64(8, now_us));
  MG_RETURN_IF_ERROR(stmt->BindText(9, e.note));
  absl::Status st = stmt->Run();
  const int code = stmt->last_code();
  stmt->Reset();
  if (code == SQLITE_CONSTRAINT_UNIQUE) {
    return absl::AlreadyExistsError(
        absl::StrCat("task ", e.task_id, " already has a ",
                     e.kind == LedgerEntry::Kind::kHold ? "hold" : "final entry"));
  }
  return st;
}

absl::Status Hold(SqliteDb& db, const LedgerEntry& e, int64_t now_us) {
  MG_ASSIGN_OR_RETURN(Statement * stmt, db.Cached(kHoldSql));
  MG_RETURN_IF_ERROR(stmt->BindInt64(1, e.amount));
  MG_RETURN_IF_ERROR(stmt->BindText(2, e.account_id));
  MG_RETURN_IF_ERROR(stmt->BindInt64(3, now_us));
  MG_ASSIGN_OR_RETURN(After after, RunReturning(stmt));
  if (!after.changed) {
    MG_ASSIGN_OR_RETURN(bool exists, AccountExists(db, e.account_id));
    if (!exists) return NoAccount(e.account_id);
    return WithReason(absl::FailedPreconditionError("Insufficient balance"),
                      Reason::kCallerBalanceShort);
  }
  return Append(db, e, e.amount, after, now_us);
}

// Settle (charge e.amount of the hold, at most all of it) or refund.
absl::Status Release(SqliteDb& db, const LedgerEntry& e, int64_t now_us) {
  int64_t hold = 0;
  {
    MG_ASSIGN_OR_RETURN(Statement * stmt, db.Cached(kHoldOfSql));
    MG_RETURN_IF_ERROR(stmt->BindText(1, e.task_id));
    absl::StatusOr<bool> row = stmt->Step();
    bool same_account = false;
    if (row.ok() && *row) {
      hold = stmt->ColumnInt64(0);
      same_account = stmt->ColumnText(1) == e.account_id;
    }
    stmt->Reset();
    MG_RETURN_IF_ERROR(row.status());
    if (!*row || !same_account) {
      return absl::InternalError(absl::StrCat(
          "task ", e.task_id, " has no hold on account ", e.account_id));
    }
  }
  {
    MG_ASSIGN_OR_RETURN(Statement * stmt, db.Cached(kFinalOfSql));
    MG_RETURN_IF_ERROR(stmt->BindText(1, e.task_id));
    absl::StatusOr<bool> row = stmt->Step();
    stmt->Reset();
    MG_RETURN_IF_ERROR(row.status());
    if (*row) {
      return absl::AlreadyExistsError(
          absl::StrCat("task ", e.task_id, " already has a final entry"));
    }
  }
  const int64_t charge =
      e.kind == LedgerEntry::Kind::kSettle ? std::min(e.amount, hold) : 0;
  MG_ASSIGN_OR_RETURN(Statement * stmt, db.Cached(kReleaseSql));
  MG_RETURN_IF_ERROR(stmt->BindInt64(1, hold));
  MG_RETURN_IF_ERROR(stmt->BindInt64(2, charge));
  MG_RETURN_IF_ERROR(stmt->BindText(3, e.account_id));
  MG_RETURN_IF_ERROR(stmt->BindInt64(4, now_us));
  MG_ASSIGN_OR_RETURN(After after, RunReturning(stmt));
  if (!after.changed) {
    return absl::InternalError(absl::StrCat(
        "account ", e.account_id, " does not hold ", hold, " for ", e.task_id));
  }
  // A settle records what was charged; a refund what was given back.
  return Append(db, e, e.kind == LedgerEntry::Kind::kSettle ? charge : hold,
                after, now_us);
}

absl::Status TopUp(SqliteDb& db, const LedgerEntry& e, int64_t now_us) {
  MG_ASSIGN_OR_RETURN(Statement * stmt, db.Cached(kTopUpSql));
  MG_RETURN_IF_ERROR(stmt->BindInt64(1, e.amount));
  MG_RETURN_IF_ERROR(stmt->BindText(2, e.account_id));
  MG_RETURN_IF_ERROR(stmt->BindInt64(3, now_us));
  MG_RETURN_IF_ERROR(
      stmt->BindInt64(4, std::numeric_limits<int64_t>::max()));
  MG_ASSIGN_OR_RETURN(After after, RunReturning(stmt));
  if (!after.changed) {
    MG_ASSIGN_OR_RETURN(bool exists, AccountExists(db, e.account_id));
    if (!exists) return NoAccount(e.account_id);
    return absl::InvalidArgumentError("top-up would overflow the balance");
  }
  return Append(db, e, e.amount, after, now_us);
}

}  // namespace

absl::Status ApplyLedgerEntry(SqliteDb& db, const LedgerEntry& entry,
                              int64_t now_us) {
  if (entry.amount < 0) {
    return absl::InvalidArgumentError("ledger amounts are never negative");
  }
  switch (entry.kind) {
    case LedgerEntry::Kind::kHold:
      return Hold(db, entry, now_us);
    case LedgerEntry::Kind::kSettle:
    case LedgerEntry::Kind::kRefund:
      return Release(db, entry, now_us);
    case LedgerEntry::Kind::kTopUp:
      return TopUp(db, entry, now_us);
  }
  return absl::InvalidArgumentError("unknown ledger entry kind");
}

}  // namespace store
}  // namespace mediagw
