#include "server/accounts_setup.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "common/config.h"
#include "common/crypto.h"
#include "common/logging.h"
#include "common/status_macros.h"

namespace mediagw {

absl::StatusOr<std::vector<ConfigAccount>> ConfigAccounts(
    const config::Config& cfg) {
  std::vector<ConfigAccount> out;
  for (const config::ApiKey& k : cfg.api_keys()) {
    ConfigAccount a;
    a.id = k.name();
    if (!k.sha256().empty()) {
      a.sha256_hex = k.sha256();
    } else {
      auto secret = SecretFromEnv(k.key_env());
      if (!secret.ok()) {
        return absl::InvalidArgumentError(
            absl::StrCat("config: api_keys '", k.name(),
                         "'.key_env: ", secret.status().message()));
      }
      a.sha256_hex = Sha256Hex(*secret);
    }
    a.has_balance = k.has_balance();
    a.balance = k.balance();
    a.has_limits = k.has_limits();
    a.limits = k.limits();
    a.weight = k.weight();
    out.push_back(std::move(a));
  }
  return out;
}

absl::StatusOr<std::unique_ptr<AccountsSetup>> AccountsSetup::Create(
    const config::Config& cfg, SqliteTaskStore* store, Authenticator* auth,
    const Clock* clock) {
  MG_ASSIGN_OR_RETURN(std::vector<ConfigAccount> accounts, ConfigAccounts(cfg));
  std::unique_ptr<AccountsSetup> s(new AccountsSetup());
  MG_ASSIGN_OR_RETURN(s->prices_, PriceTable::FromConfig(cfg));
  const config::AccountsConfig& ac = cfg.accounts();
  if (!ac.admin_key_env().empty()) {
    auto admin = SecretFromEnv(ac.admin_key_env());
    if (admin.ok()) {
      s->admin_key_sha256_ = Sha256Hex(*admin);
    } else {
      MG_LOG(Warning, "accounts.admin_key_env: ", admin.status().message(),
             "; the admin service refuses every call");
    }
  }
  s->store_ = std::make_unique<SqliteAccountStore>(store);
  s->limits_ = std::make_unique<AccountLimits>(clock, ac.default_limits());
  const bool metering = !ac.has_metering() || ac.metering();
  s->accounting_ =
      std::make_unique<Accounting>(&s->prices_, s->limits_.get(), metering);
  AccountBook::Options opts;
  opts.default_weight = ac.default_weight() > 0 ? ac.default_weight() : 1;
  s->book_ = std::make_unique<AccountBook>(
      AccountBook::Deps{s->store_.get(), auth, s->limits_.get(), clock}, opts);
  MG_RETURN_IF_ERROR(s->book_->Start(accounts));
  return s;
}

}  // namespace mediagw
