// Ledger entries applied inside the writer's open transaction (the accounts
// ledger, docs/ACCOUNTS.md). Writer thread only.
//
// One LedgerBatch lives for one write transaction. It reads each account it
// touches once, keeps the running balance and held amount in memory, appends
// each entry's row with the totals after it, and writes every touched
// account once, in Flush, before the transaction commits: a burst of holds
// on one account costs one ledger row each and one account update per
// batch. Balances are checked in memory against the transaction's own view
// (the writer holds the database's write lock), and the table's CHECK
// constraints still stand behind that.
#ifndef MEDIAGW_STORE_SQLITE_SQLITE_LEDGER_H_
#define MEDIAGW_STORE_SQLITE_SQLITE_LEDGER_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "core/task_store.h"
#include "store/sqlite/sqlite_db.h"

namespace mediagw {
namespace store {

class LedgerBatch {
 public:
  explicit LedgerBatch(SqliteDb* db) : db_(db) {}

  // Applies `entry`: appends its row and moves the account's totals.
  // Codes:
  //  - FAILED_PRECONDITION with reason kCallerBalanceShort and the message
  //    "Insufficient balance": a hold the balance cannot cover;
  //  - NOT_FOUND: no such account;
  //  - ALREADY_EXISTS: the task already has a hold, or a final entry;
  //  - INTERNAL: a settle or refund of a task without a hold;
  //  - INVALID_ARGUMENT: a negative amount, a top-up that would overflow;
  //  - UNAVAILABLE: the database (locked, I/O, full).
  // On error nothing of the entry remains.
  absl::Status Apply(const LedgerEntry& entry, int64_t now_us);

  // A point to go back to: UndoTo removes the rows appended since and
  // restores the accounts' totals (a write those entries rode on failed).
  size_t Mark() const { return journal_.size(); }
  absl::Status UndoTo(size_t mark);

  // Writes the totals of every account touched. Call once, before COMMIT;
  // an error means the transaction must not commit.
  absl::Status Flush();

 private:
  struct Account {
    int64_t balance = 0;
    int64_t held = 0;
    bool unlimited = false;
    bool dirty = false;
    int64_t updated_at_us = 0;
  };
  struct Undo {
    int64_t seq;  // the row appended
    std::string account_id;
    Account before;
  };
  absl::StatusOr<Account*> Load(const std::string& id);
  absl::Status Append(const LedgerEntry& e, int64_t amount, const Account& after,
                      int64_t now_us);
  absl::Status Hold(const LedgerEntry& e, int64_t now_us);
  absl::Status Release(const LedgerEntry& e, int64_t now_us);
  absl::Status TopUp(const LedgerEntry& e, int64_t now_us);

  SqliteDb* const db_;
  absl::flat_hash_map<std::string, Account> accounts_;
  std::vector<Undo> journal_;
};

}  // namespace store
}  // namespace mediagw

#endif  // MEDIAGW_STORE_SQLITE_SQLITE_LEDGER_H_
