// Ledger entries applied inside the writer's open transaction (the accounts
// ledger, docs/ACCOUNTS.md). Writer thread only.
#ifndef MEDIAGW_STORE_SQLITE_SQLITE_LEDGER_H_
#define MEDIAGW_STORE_SQLITE_SQLITE_LEDGER_H_

#include <cstdint>

#include "absl/status/status.h"
#include "core/task_store.h"
#include "store/sqlite/sqlite_db.h"

namespace mediagw {
namespace store {

// Applies `entry` to its account's balance and held amount and appends it to
// the ledger, in the transaction open on `db`. Codes:
//  - FAILED_PRECONDITION with reason kCallerBalanceShort and the message
//    "Insufficient balance": a hold the balance cannot cover;
//  - NOT_FOUND: no such account;
//  - ALREADY_EXISTS: the task already has a hold, or a final entry;
//  - INTERNAL: a settle or refund of a task without a hold;
//  - INVALID_ARGUMENT: a negative amount, a top-up that would overflow;
//  - UNAVAILABLE: the database (locked, I/O, full).
// On error the caller rolls back what the entry may have changed.
absl::Status ApplyLedgerEntry(SqliteDb& db, const LedgerEntry& entry,
                              int64_t now_us);

}  // namespace store
}  // namespace mediagw

#endif  // MEDIAGW_STORE_SQLITE_SQLITE_LEDGER_H_
