// AccountStore on the task store's SQLite file (schema 4): its writes ride
// the task store's writer thread and group commit, so a task's hold and the
// task commit together (core/task_store.h SideRows).
//
// Thread-safety: as SqliteTaskStore. The task store must outlive this.
#ifndef MEDIAGW_STORE_SQLITE_SQLITE_ACCOUNT_STORE_H_
#define MEDIAGW_STORE_SQLITE_SQLITE_ACCOUNT_STORE_H_

#include <string>
#include <utility>
#include <vector>

#include "core/account_store.h"
#include "store/sqlite/sqlite_task_store.h"

namespace mediagw {

class SqliteAccountStore : public AccountStore {
 public:
  explicit SqliteAccountStore(SqliteTaskStore* tasks) : tasks_(tasks) {}

  void CreateAccount(AccountRow row, int64_t initial_balance,
                     DoneCallback done) override;
  void UpdateSettings(const std::string& id, AccountRecord settings,
                      DoneCallback done) override;
  void PutKey(KeyRow row, DoneCallback done) override;
  void RevokeKey(const std::string& key_id, int64_t at_us,
                 DoneCallback done) override;
  void Apply(LedgerEntry entry, DoneCallback done) override;

  absl::StatusOr<AccountRow> GetAccount(const std::string& id) override;
  absl::StatusOr<std::vector<AccountRow>> ListAccounts(
      const std::string& after_id, int limit) override;
  absl::StatusOr<std::vector<KeyRow>> ListKeys(
      const std::string& account_id) override;
  absl::StatusOr<std::vector<LedgerRow>> ListLedger(
      const std::string& account_id, int64_t after_seq, int limit) override;
  absl::StatusOr<std::vector<std::pair<std::string, int64_t>>>
  CountActiveByOwner() override;

 private:
  SqliteTaskStore* const tasks_;
};

}  // namespace mediagw

#endif  // MEDIAGW_STORE_SQLITE_SQLITE_ACCOUNT_STORE_H_
