// Accounts at run time (docs/ACCOUNTS.md): creates the config file's
// accounts, keeps every working key in the Authenticator and every
// account's limits in AccountLimits, and carries out the admin calls.
//
// The admin methods block on the store (a write, then a read back): call
// them from a worker thread, never from a gRPC reaction or a store
// callback. A revoked key is removed from the Authenticator before
// RevokeKey returns, so every later request with it is refused.
// Thread-safe.
#ifndef MEDIAGW_ACCOUNTS_ACCOUNT_BOOK_H_
#define MEDIAGW_ACCOUNTS_ACCOUNT_BOOK_H_

#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "accounts/account_limits.h"
#include "common/clock.h"
#include "core/account_store.h"
#include "core/auth.h"
#include "mediagw/admin/v1/admin.pb.h"

namespace mediagw {

// An account the config file declares through an api_keys entry.
struct ConfigAccount {
  std::string id;          // the key's name
  std::string sha256_hex;  // of its key
  bool has_balance = false;
  int64_t balance = 0;  // applied once, when the account is first created
  admin::v1::Limits limits;
  bool has_limits = false;
  uint32_t weight = 0;
};

class AccountBook {
 public:
  struct Deps {
    AccountStore* store;
    Authenticator* auth;
    AccountLimits* limits;
    const Clock* clock;
  };
  struct Options {
    uint32_t default_weight = 1;
    // How long an admin call waits for its write.
    absl::Duration write_timeout = absl::Seconds(30);
  };
  AccountBook(Deps deps, Options options);

  // Creates the config accounts that do not exist yet (an existing one
  // keeps its balance; its limits and weight follow the config), registers
  // their keys, then loads every working key, every account's limits and
  // the non-terminal task counts. Blocks; call once at start.
  absl::Status Start(const std::vector<ConfigAccount>& config_accounts);

  // Admin calls. INVALID_ARGUMENT for bad ids or amounts, NOT_FOUND,
  // ALREADY_EXISTS, UNAVAILABLE when the store cannot write.
  absl::StatusOr<admin::v1::Account> CreateAccount(
      const admin::v1::CreateAccountRequest& request);
  absl::StatusOr<admin::v1::Account> GetAccount(const std::string& id);
  absl::StatusOr<admin::v1::ListAccountsResponse> ListAccounts(
      const admin::v1::ListAccountsRequest& request);
  absl::StatusOr<admin::v1::Account> UpdateAccount(
      const admin::v1::UpdateAccountRequest& request);
  absl::StatusOr<admin::v1::CreateKeyResponse> CreateKey(
      const admin::v1::CreateKeyRequest& request);
  absl::StatusOr<admin::v1::ApiKey> RevokeKey(const std::string& key_id);
  absl::StatusOr<admin::v1::ListKeysResponse> ListKeys(
      const std::string& account_id);
  absl::StatusOr<admin::v1::Account> TopUp(
      const admin::v1::TopUpRequest& request);
  absl::StatusOr<admin::v1::ListLedgerResponse> ListLedger(
      const admin::v1::ListLedgerRequest& request);
  absl::StatusOr<admin::v1::RotateWebhookSecretResponse> RotateWebhookSecret(
      const std::string& account_id);

  // Cached settings (no store read). Weight is at least 1.
  uint32_t Weight(const std::string& account_id) const;
  // The account's webhook signing secrets, newest first (two during a
  // rotation's grace period); empty when it has none.
  std::vector<std::string> WebhookSecrets(const std::string& account_id) const;
  std::string DefaultWebhookUrl(const std::string& account_id) const;

 private:
  absl::Status Write(const std::function<void(AccountStore::DoneCallback)>& op);
  admin::v1::Account ToProto(const AccountRow& row) const;
  void Cache(const AccountRow& row);

  const Deps deps_;
  const Options options_;
  mutable absl::Mutex mu_;
  absl::flat_hash_map<std::string, AccountRecord> settings_ ABSL_GUARDED_BY(mu_);
};

}  // namespace mediagw

#endif  // MEDIAGW_ACCOUNTS_ACCOUNT_BOOK_H_
