// Durable accounts, API keys and the ledger (docs/ACCOUNTS.md).
// Implementations: store/sqlite (the same file and writer thread as the
// task store, so a task's hold commits in the task's own transaction).
//
// Writes are asynchronous like TaskStore's: `done` runs on the store's
// writer thread once the write is durable or has failed; keep it short.
// Reads are synchronous and may block on disk: never call them from the
// curl loop or a gRPC reaction.
#ifndef MEDIAGW_CORE_ACCOUNT_STORE_H_
#define MEDIAGW_CORE_ACCOUNT_STORE_H_

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "core/task_store.h"
#include "mediagw/admin/v1/admin.pb.h"
#include "mediagw/internal/record.pb.h"

namespace mediagw {

using internal::AccountRecord;

// An account as stored: balance and held are the ledger's running totals.
struct AccountRow {
  std::string id;
  int64_t balance = 0;
  int64_t held = 0;
  bool unlimited = false;
  AccountRecord settings;
  int64_t created_at_us = 0;
  int64_t updated_at_us = 0;
};

struct KeyRow {
  std::string id;  // "key_<prefix>"
  std::string account_id;
  std::string sha256_hex;  // of the key; the key itself is never stored
  std::string prefix;
  std::string name;
  int64_t created_at_us = 0;
  int64_t revoked_at_us = 0;  // 0 while it works
};

struct LedgerRow {
  int64_t seq = 0;
  std::string account_id;
  std::string task_id;
  LedgerEntry::Kind kind = LedgerEntry::Kind::kHold;
  int64_t amount = 0;
  int64_t balance_after = 0;
  int64_t held_after = 0;
  int64_t at_us = 0;
  std::string note;
};

class AccountStore {
 public:
  using DoneCallback = std::function<void(absl::Status)>;
  virtual ~AccountStore() = default;

  // ALREADY_EXISTS if the id is taken. A positive `initial_balance` is
  // written as a TOP_UP ledger entry in the same transaction.
  virtual void CreateAccount(AccountRow row, int64_t initial_balance,
                             DoneCallback done) = 0;
  // Replaces the settings; NOT_FOUND if absent.
  virtual void UpdateSettings(const std::string& id, AccountRecord settings,
                              DoneCallback done) = 0;
  // ALREADY_EXISTS if the id or hash is taken; NOT_FOUND without the
  // account.
  virtual void PutKey(KeyRow row, DoneCallback done) = 0;
  // Sets revoked_at_us unless already revoked; NOT_FOUND if absent.
  virtual void RevokeKey(const std::string& key_id, int64_t at_us,
                         DoneCallback done) = 0;
  // A ledger entry with no task write (TOP_UP); codes as for TaskStore's
  // side rows (store/sqlite/sqlite_ledger.h).
  virtual void Apply(LedgerEntry entry, DoneCallback done) = 0;

  virtual absl::StatusOr<AccountRow> GetAccount(const std::string& id) = 0;
  // Ordered by id, after `after_id`; at most `limit`.
  virtual absl::StatusOr<std::vector<AccountRow>> ListAccounts(
      const std::string& after_id, int limit) = 0;
  // Every key of the account, or of all accounts when `account_id` is empty.
  virtual absl::StatusOr<std::vector<KeyRow>> ListKeys(
      const std::string& account_id) = 0;
  // The account's entries with seq > after_seq, oldest first.
  virtual absl::StatusOr<std::vector<LedgerRow>> ListLedger(
      const std::string& account_id, int64_t after_seq, int limit) = 0;
  // Non-terminal tasks per owner (for the active-task limits at start).
  virtual absl::StatusOr<std::vector<std::pair<std::string, int64_t>>>
  CountActiveByOwner() = 0;
};

}  // namespace mediagw

#endif  // MEDIAGW_CORE_ACCOUNT_STORE_H_
