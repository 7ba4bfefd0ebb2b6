#include "store/sqlite/sqlite_ledger.h"

#include <algorithm>
#include <limits>

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "common/status_mapping.h"

namespace mediagw {
namespace store {
namespace {

constexpr char kLoadSql[] =
    "SELECT balance, held, unlimited FROM accounts WHERE id = ?";
constexpr char kWriteSql[] =
    "UPDATE accounts SET balance = ?, held = ?, updated_at_us = ? WHERE id = ?";
constexpr char kHoldOfSql[] =
    "SELECT amount, account_id FROM ledger WHERE task_id = ? AND slot = 1";
constexpr char kAppendSql[] =
    "INSERT INTO ledger(account_id, task_id, kind, slot, amount, "
    "balance_after, held_after, at_us, note) "
    "VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)";
constexpr char kFinalOfSql[] =
    "SELECT 1 FROM ledger WHERE task_id = ? AND slot = 2";
constexpr char kRemoveSql[] = "DELETE FROM ledger WHERE seq = ?";

}  // namespace

absl::StatusOr<LedgerBatch::Account*> LedgerBatch::Load(const std::string& id) {
  auto it = accounts_.find(id);
  if (it != accounts_.end()) return &it->second;
  MG_ASSIGN_OR_RETURN(Statement * stmt, db_->Cached(kLoadSql));
  MG_RETURN_IF_ERROR(stmt->BindText(1, id));
  absl::StatusOr<bool> row = stmt->Step();
  Account a;
  if (row.ok() && *row) {
    a.balance = stmt->ColumnInt64(0);
    a.held = stmt->ColumnInt64(1);
    a.unlimited = stmt->ColumnInt64(2) != 0;
  }
  stmt->Reset();
  MG_RETURN_IF_ERROR(row.status());
  if (!*row) return absl::NotFoundError(absl::StrCat("account ", id, " not found"));
  return &accounts_.emplace(id, a).first->second;
}

absl::Status LedgerBatch::Append(const LedgerEntry& e, int64_t amount,
                                 const Account& after, int64_t now_us) {
  MG_ASSIGN_OR_RETURN(Statement * stmt, db_->Cached(kAppendSql));
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
    return absl::AlreadyExistsError(absl::StrCat(
        "task ", e.task_id, " already has a ",
        e.kind == LedgerEntry::Kind::kHold ? "hold" : "final entry"));
  }
  return st;
}

absl::Status LedgerBatch::Apply(const LedgerEntry& e, int64_t now_us) {
  if (e.amount < 0) {
    return absl::InvalidArgumentError("ledger amounts are never negative");
  }
  switch (e.kind) {
    case LedgerEntry::Kind::kHold:
      return Hold(e, now_us);
    case LedgerEntry::Kind::kSettle:
    case LedgerEntry::Kind::kRefund:
      return Release(e, now_us);
    case LedgerEntry::Kind::kTopUp:
      return TopUp(e, now_us);
  }
  return absl::InvalidArgumentError("unknown ledger entry kind");
}

absl::Status LedgerBatch::Hold(const LedgerEntry& e, int64_t now_us) {
  MG_ASSIGN_OR_RETURN(Account * a, Load(e.account_id));
  if (!a->unlimited && a->balance < e.amount) {
    return WithReason(absl::FailedPreconditionError("Insufficient balance"),
                      Reason::kCallerBalanceShort);
  }
  if (a->held > std::numeric_limits<int64_t>::max() - e.amount) {
    return absl::InvalidArgumentError("held amount would overflow");
  }
  Account after = *a;
  // An unlimited account holds like any other, so that its ledger tells
  // what it used, but its balance never moves.
  if (!a->unlimited) after.balance -= e.amount;
  after.held += e.amount;
  MG_RETURN_IF_ERROR(Append(e, e.amount, after, now_us));
  journal_.push_back({db_->LastInsertRowid(), e.account_id, *a});
  after.dirty = true;
  after.updated_at_us = now_us;
  *a = after;
  return absl::OkStatus();
}

// Settle (charge e.amount of the hold, at most all of it) or refund.
absl::Status LedgerBatch::Release(const LedgerEntry& e, int64_t now_us) {
  int64_t hold = 0;
  {
    MG_ASSIGN_OR_RETURN(Statement * stmt, db_->Cached(kHoldOfSql));
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
    // A second final entry is the caller's mistake, not a broken account.
    MG_ASSIGN_OR_RETURN(Statement * stmt, db_->Cached(kFinalOfSql));
    MG_RETURN_IF_ERROR(stmt->BindText(1, e.task_id));
    absl::StatusOr<bool> row = stmt->Step();
    stmt->Reset();
    MG_RETURN_IF_ERROR(row.status());
    if (*row) {
      return absl::AlreadyExistsError(
          absl::StrCat("task ", e.task_id, " already has a final entry"));
    }
  }
  MG_ASSIGN_OR_RETURN(Account * a, Load(e.account_id));
  if (a->held < hold) {
    return absl::InternalError(absl::StrCat(
        "account ", e.account_id, " does not hold ", hold, " for ", e.task_id));
  }
  const int64_t charge =
      e.kind == LedgerEntry::Kind::kSettle ? std::min(e.amount, hold) : 0;
  Account after = *a;
  after.held -= hold;
  if (!a->unlimited) after.balance += hold - charge;
  // A settle records what was charged; a refund what was given back. The
  // unique (task_id, slot) index refuses a second final entry.
  MG_RETURN_IF_ERROR(Append(
      e, e.kind == LedgerEntry::Kind::kSettle ? charge : hold, after, now_us));
  journal_.push_back({db_->LastInsertRowid(), e.account_id, *a});
  after.dirty = true;
  after.updated_at_us = now_us;
  *a = after;
  return absl::OkStatus();
}

absl::Status LedgerBatch::TopUp(const LedgerEntry& e, int64_t now_us) {
  MG_ASSIGN_OR_RETURN(Account * a, Load(e.account_id));
  if (a->balance > std::numeric_limits<int64_t>::max() - e.amount) {
    return absl::InvalidArgumentError("top-up would overflow the balance");
  }
  Account after = *a;
  after.balance += e.amount;
  MG_RETURN_IF_ERROR(Append(e, e.amount, after, now_us));
  journal_.push_back({db_->LastInsertRowid(), e.account_id, *a});
  after.dirty = true;
  after.updated_at_us = now_us;
  *a = after;
  return absl::OkStatus();
}

absl::Status LedgerBatch::UndoTo(size_t mark) {
  while (journal_.size() > mark) {
    const Undo& u = journal_.back();
    MG_ASSIGN_OR_RETURN(Statement * stmt, db_->Cached(kRemoveSql));
    MG_RETURN_IF_ERROR(stmt->BindInt64(1, u.seq));
    absl::Status st = stmt->Run();
    stmt->Reset();
    MG_RETURN_IF_ERROR(st);
    // The totals as they were, dirty only if an earlier entry moved them.
    accounts_[u.account_id] = u.before;
    journal_.pop_back();
  }
  return absl::OkStatus();
}

absl::Status LedgerBatch::Flush() {
  for (auto& [id, a] : accounts_) {
    if (!a.dirty) continue;
    MG_ASSIGN_OR_RETURN(Statement * stmt, db_->Cached(kWriteSql));
    MG_RETURN_IF_ERROR(stmt->BindInt64(1, a.balance));
    MG_RETURN_IF_ERROR(stmt->BindInt64(2, a.held));
    MG_RETURN_IF_ERROR(stmt->BindInt64(3, a.updated_at_us));
    MG_RETURN_IF_ERROR(stmt->BindText(4, id));
    absl::Status st = stmt->Run();
    stmt->Reset();
    MG_RETURN_IF_ERROR(st);
    a.dirty = false;
  }
  journal_.clear();
  return absl::OkStatus();
}

}  // namespace store
}  // namespace mediagw
