// The accounts parts of the service, built from the config (docs/ACCOUNTS.md):
// prices, per-account limits, the ledger hook on the transition path and
// the AccountBook that the admin service and authentication use.
#ifndef MEDIAGW_SERVER_ACCOUNTS_SETUP_H_
#define MEDIAGW_SERVER_ACCOUNTS_SETUP_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "accounts/account_book.h"
#include "accounts/account_limits.h"
#include "accounts/accounting.h"
#include "accounts/price_table.h"
#include "common/clock.h"
#include "core/auth.h"
#include "mediagw/config/config.pb.h"
#include "store/sqlite/sqlite_account_store.h"

namespace mediagw {

// The config's api_keys as accounts; a key_env that is unset or empty is
// INVALID_ARGUMENT naming the key.
absl::StatusOr<std::vector<ConfigAccount>> ConfigAccounts(
    const config::Config& cfg);

class AccountsSetup {
 public:
  // Builds every part and runs AccountBook::Start (blocking: creates the
  // config accounts, loads keys into `auth`, counts active tasks). `store`,
  // `auth` and `clock` are not owned and must outlive this.
  static absl::StatusOr<std::unique_ptr<AccountsSetup>> Create(
      const config::Config& cfg, SqliteTaskStore* store, Authenticator* auth,
      const Clock* clock);

  AccountBook* book() { return book_.get(); }
  AccountLimits* limits() { return limits_.get(); }
  // Add to the TaskWriter before the first write.
  TransitionRows* hook() { return accounting_.get(); }
  // The admin key's SHA-256 (lower-case hex); empty when none is set.
  const std::string& admin_key_sha256() const { return admin_key_sha256_; }

 private:
  AccountsSetup() = default;

  PriceTable prices_;
  std::unique_ptr<SqliteAccountStore> store_;
  std::unique_ptr<AccountLimits> limits_;
  std::unique_ptr<Accounting> accounting_;
  std::unique_ptr<AccountBook> book_;
  std::string admin_key_sha256_;
};

}  // namespace mediagw

#endif  // MEDIAGW_SERVER_ACCOUNTS_SETUP_H_
