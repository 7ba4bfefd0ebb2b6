#include "accounts/account_book.h"

#include <memory>
#include <utility>

#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/notification.h"
#include "common/crypto.h"
#include "common/logging.h"
#include "common/status_macros.h"
#include "common/utf8.h"
#include "core/request_normalizer.h"
#include "google/protobuf/util/time_util.h"

namespace mediagw {
namespace {

using google::protobuf::util::TimeUtil;

constexpr absl::Duration kSecretGrace = absl::Hours(24);
constexpr size_t kMaxNameBytes = 128;

absl::Status CheckId(absl::string_view what, absl::string_view id) {
  if (id.empty() || id.size() > 64) {
    return absl::InvalidArgumentError(
        absl::StrCat(what, " must be 1 to 64 characters"));
  }
  for (char c : id) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                    (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-';
    if (!ok) {
      return absl::InvalidArgumentError(
          absl::StrCat(what, " may hold only letters, digits, '.', '_', '-'"));
    }
  }
  return absl::OkStatus();
}

absl::Status CheckText(absl::string_view what, absl::string_view text,
                       size_t max) {
  if (!IsValidUtf8(text)) {
    return absl::InvalidArgumentError(absl::StrCat(what, " is not valid UTF-8"));
  }
  if (text.size() > max) {
    return absl::InvalidArgumentError(
        absl::StrCat(what, " is longer than ", max, " bytes"));
  }
  return absl::OkStatus();
}

absl::Status CheckDefaultWebhookUrl(absl::string_view url) {
  if (url.empty()) return absl::OkStatus();
  return CheckWebhookUrl(url, "default_webhook_url");
}

google::protobuf::Timestamp Micros(int64_t us) {
  return TimeUtil::MicrosecondsToTimestamp(us);
}

admin::v1::ApiKey KeyProto(const KeyRow& k) {
  admin::v1::ApiKey out;
  out.set_id(k.id);
  out.set_account_id(k.account_id);
  out.set_name(k.name);
  out.set_prefix(k.prefix);
  *out.mutable_create_time() = Micros(k.created_at_us);
  if (k.revoked_at_us != 0) *out.mutable_revoke_time() = Micros(k.revoked_at_us);
  return out;
}

absl::StatusOr<std::string> NewWebhookSecret() {
  MG_ASSIGN_OR_RETURN(std::string hex, RandomHex(32));
  const std::string raw = absl::HexStringToBytes(hex);
  return absl::StrCat("whsec_", absl::Base64Escape(raw));
}

}  // namespace

AccountBook::AccountBook(Deps deps, Options options)
    : deps_(deps), options_(options) {}

absl::Status AccountBook::Write(
    const std::function<void(AccountStore::DoneCallback)>& op) {
  struct Result {
    absl::Notification done;
    absl::Status status;
  };
  auto result = std::make_shared<Result>();
  op([result](absl::Status st) {
    result->status = std::move(st);
    result->done.Notify();
  });
  if (!result->done.WaitForNotificationWithTimeout(options_.write_timeout)) {
    return absl::UnavailableError("the account store did not answer in time");
  }
  return result->status;
}

void AccountBook::Cache(const AccountRow& row) {
  if (deps_.limits != nullptr) {
    if (row.settings.has_limits()) {
      deps_.limits->Set(row.id, row.settings.limits());
    } else {
      deps_.limits->Reset(row.id);
    }
  }
  absl::MutexLock l(&mu_);
  settings_[row.id] = row.settings;
}

admin::v1::Account AccountBook::ToProto(const AccountRow& row) const {
  admin::v1::Account a;
  a.set_id(row.id);
  a.set_balance(row.balance);
  a.set_held(row.held);
  a.set_unlimited(row.unlimited);
  *a.mutable_limits() = deps_.limits != nullptr ? deps_.limits->Get(row.id)
                                                : row.settings.limits();
  a.set_weight(row.settings.weight() > 0 ? row.settings.weight()
                                         : options_.default_weight);
  a.set_default_webhook_url(row.settings.default_webhook_url());
  a.set_has_webhook_secret(!row.settings.webhook_secret().empty());
  *a.mutable_create_time() = Micros(row.created_at_us);
  *a.mutable_update_time() = Micros(row.updated_at_us);
  return a;
}

absl::Status AccountBook::Start(
    const std::vector<ConfigAccount>& config_accounts) {
  for (const ConfigAccount& c : config_accounts) {
    absl::StatusOr<AccountRow> existing = deps_.store->GetAccount(c.id);
    if (existing.ok()) {
      // The balance was applied when the account was made; the config
      // still decides its limits and weight.
      AccountRecord settings = existing->settings;
      if (c.has_limits) {
        *settings.mutable_limits() = c.limits;
      } else {
        settings.clear_limits();
      }
      settings.set_weight(c.weight);
      MG_RETURN_IF_ERROR(Write([&](AccountStore::DoneCallback done) {
        deps_.store->UpdateSettings(c.id, settings, std::move(done));
      }));
    } else if (existing.status().code() == absl::StatusCode::kNotFound) {
      AccountRow row;
      row.id = c.id;
      row.unlimited = !c.has_balance;
      if (c.has_limits) *row.settings.mutable_limits() = c.limits;
      row.settings.set_weight(c.weight);
      absl::Status st = Write([&](AccountStore::DoneCallback done) {
        deps_.store->CreateAccount(row, c.has_balance ? c.balance : 0,
                                   std::move(done));
      });
      if (!st.ok() && st.code() != absl::StatusCode::kAlreadyExists) return st;
    } else {
      return existing.status();
    }
    // Config keys live in the config only: rotating one there retires the
    // old key at the next start.
    deps_.auth->Put({c.id, c.sha256_hex, c.id});
  }
  MG_ASSIGN_OR_RETURN(std::vector<KeyRow> keys, deps_.store->ListKeys(""));
  for (const KeyRow& k : keys) {
    if (k.revoked_at_us == 0) deps_.auth->Put({k.name, k.sha256_hex, k.account_id});
  }
  std::string after;
  for (;;) {
    MG_ASSIGN_OR_RETURN(std::vector<AccountRow> page,
                        deps_.store->ListAccounts(after, 500));
    for (const AccountRow& row : page) Cache(row);
    if (page.size() < 500) break;
    after = page.back().id;
  }
  if (deps_.limits != nullptr) {
    MG_ASSIGN_OR_RETURN(auto counts, deps_.store->CountActiveByOwner());
    for (const auto& [owner, n] : counts) deps_.limits->SetActive(owner, n);
  }
  return absl::OkStatus();
}

absl::StatusOr<admin::v1::Account> AccountBook::CreateAccount(
    const admin::v1::CreateAccountRequest& r) {
  MG_RETURN_IF_ERROR(CheckId("id", r.id()));
  if (r.initial_balance() < 0) {
    return absl::InvalidArgumentError("initial_balance must not be negative");
  }
  MG_RETURN_IF_ERROR(CheckDefaultWebhookUrl(r.default_webhook_url()));
  AccountRow row;
  row.id = r.id();
  row.unlimited = r.unlimited();
  if (r.has_limits()) *row.settings.mutable_limits() = r.limits();
  row.settings.set_weight(r.weight());
  row.settings.set_default_webhook_url(r.default_webhook_url());
  MG_RETURN_IF_ERROR(Write([&](AccountStore::DoneCallback done) {
    deps_.store->CreateAccount(row, r.initial_balance(), std::move(done));
  }));
  MG_ASSIGN_OR_RETURN(AccountRow stored, deps_.store->GetAccount(r.id()));
  Cache(stored);
  return ToProto(stored);
}

absl::StatusOr<admin::v1::Account> AccountBook::GetAccount(
    const std::string& id) {
  MG_RETURN_IF_ERROR(CheckId("id", id));
  MG_ASSIGN_OR_RETURN(AccountRow row, deps_.store->GetAccount(id));
  return ToProto(row);
}

absl::StatusOr<admin::v1::ListAccountsResponse> AccountBook::ListAccounts(
    const admin::v1::ListAccountsRequest& r) {
  const int size = r.page_size() <= 0 ? 50 : std::min(r.page_size(), 500);
  if (!r.page_token().empty()) MG_RETURN_IF_ERROR(CheckId("page_token", r.page_token()));
  MG_ASSIGN_OR_RETURN(std::vector<AccountRow> rows,
                      deps_.store->ListAccounts(r.page_token(), size));
  admin::v1::ListAccountsResponse out;
  for (const AccountRow& row : rows) *out.add_accounts() = ToProto(row);
  if (static_cast<int>(rows.size()) == size) {
    out.set_next_page_token(rows.back().id);
  }
  return out;
}

absl::StatusOr<admin::v1::Account> AccountBook::UpdateAccount(
    const admin::v1::UpdateAccountRequest& r) {
  MG_RETURN_IF_ERROR(CheckId("id", r.id()));
  MG_RETURN_IF_ERROR(CheckDefaultWebhookUrl(r.default_webhook_url()));
  MG_ASSIGN_OR_RETURN(AccountRow row, deps_.store->GetAccount(r.id()));
  AccountRecord settings = row.settings;
  if (r.has_limits()) {
    *settings.mutable_limits() = r.limits();
  } else {
    settings.clear_limits();
  }
  settings.set_weight(r.weight());
  settings.set_default_webhook_url(r.default_webhook_url());
  MG_RETURN_IF_ERROR(Write([&](AccountStore::DoneCallback done) {
    deps_.store->UpdateSettings(r.id(), settings, std::move(done));
  }));
  MG_ASSIGN_OR_RETURN(AccountRow stored, deps_.store->GetAccount(r.id()));
  Cache(stored);
  return ToProto(stored);
}

absl::StatusOr<admin::v1::CreateKeyResponse> AccountBook::CreateKey(
    const admin::v1::CreateKeyRequest& r) {
  MG_RETURN_IF_ERROR(CheckId("account_id", r.account_id()));
  MG_RETURN_IF_ERROR(CheckText("name", r.name(), kMaxNameBytes));
  MG_ASSIGN_OR_RETURN(std::string secret_hex, RandomHex(24));
  MG_ASSIGN_OR_RETURN(std::string id_hex, RandomHex(8));
  const std::string secret = absl::StrCat("mgw_", secret_hex);
  KeyRow row;
  row.id = absl::StrCat("key_", id_hex);
  row.account_id = r.account_id();
  row.sha256_hex = Sha256Hex(secret);
  row.prefix = secret.substr(0, 12);
  row.name = r.name().empty() ? row.id : r.name();
  row.created_at_us = absl::ToUnixMicros(deps_.clock->Now());
  MG_RETURN_IF_ERROR(Write([&](AccountStore::DoneCallback done) {
    deps_.store->PutKey(row, std::move(done));
  }));
  deps_.auth->Put({row.name, row.sha256_hex, row.account_id});
  admin::v1::CreateKeyResponse out;
  *out.mutable_key() = KeyProto(row);
  out.set_secret(secret);
  return out;
}

absl::StatusOr<admin::v1::ApiKey> AccountBook::RevokeKey(
    const std::string& key_id) {
  MG_RETURN_IF_ERROR(CheckId("key_id", key_id));
  MG_ASSIGN_OR_RETURN(std::vector<KeyRow> keys, deps_.store->ListKeys(""));
  const KeyRow* found = nullptr;
  for (const KeyRow& k : keys) {
    if (k.id == key_id) found = &k;
  }
  if (found == nullptr) {
    return absl::NotFoundError(absl::StrCat("key ", key_id, " not found"));
  }
  // Refused from now on, even if the write below fails: a revocation must
  // never be slower than its answer.
  deps_.auth->Remove(found->sha256_hex);
  const int64_t now_us = absl::ToUnixMicros(deps_.clock->Now());
  MG_RETURN_IF_ERROR(Write([&](AccountStore::DoneCallback done) {
    deps_.store->RevokeKey(key_id, now_us, std::move(done));
  }));
  KeyRow revoked = *found;
  if (revoked.revoked_at_us == 0) revoked.revoked_at_us = now_us;
  return KeyProto(revoked);
}

absl::StatusOr<admin::v1::ListKeysResponse> AccountBook::ListKeys(
    const std::string& account_id) {
  MG_RETURN_IF_ERROR(CheckId("account_id", account_id));
  MG_ASSIGN_OR_RETURN(std::vector<KeyRow> keys,
                      deps_.store->ListKeys(account_id));
  admin::v1::ListKeysResponse out;
  for (const KeyRow& k : keys) *out.add_keys() = KeyProto(k);
  return out;
}

absl::StatusOr<admin::v1::Account> AccountBook::TopUp(
    const admin::v1::TopUpRequest& r) {
  MG_RETURN_IF_ERROR(CheckId("account_id", r.account_id()));
  if (r.amount() <= 0) {
    return absl::InvalidArgumentError("amount must be positive");
  }
  MG_RETURN_IF_ERROR(CheckText("note", r.note(), kMaxNameBytes));
  LedgerEntry e;
  e.account_id = r.account_id();
  e.kind = LedgerEntry::Kind::kTopUp;
  e.amount = r.amount();
  e.note = r.note();
  MG_RETURN_IF_ERROR(Write([&](AccountStore::DoneCallback done) {
    deps_.store->Apply(e, std::move(done));
  }));
  return GetAccount(r.account_id());
}

absl::StatusOr<admin::v1::ListLedgerResponse> AccountBook::ListLedger(
    const admin::v1::ListLedgerRequest& r) {
  MG_RETURN_IF_ERROR(CheckId("account_id", r.account_id()));
  const int size = r.page_size() <= 0 ? 100 : std::min(r.page_size(), 1000);
  int64_t after = 0;
  if (!r.page_token().empty() && !absl::SimpleAtoi(r.page_token(), &after)) {
    return absl::InvalidArgumentError("page_token is malformed");
  }
  MG_ASSIGN_OR_RETURN(std::vector<LedgerRow> rows,
                      deps_.store->ListLedger(r.account_id(), after, size));
  admin::v1::ListLedgerResponse out;
  for (const LedgerRow& row : rows) {
    admin::v1::LedgerEntry* e = out.add_entries();
    e->set_seq(row.seq);
    e->set_account_id(row.account_id);
    e->set_task_id(row.task_id);
    e->set_kind(static_cast<admin::v1::LedgerEntry::Kind>(row.kind));
    e->set_amount(row.amount);
    e->set_balance_after(row.balance_after);
    e->set_held_after(row.held_after);
    *e->mutable_time() = Micros(row.at_us);
    e->set_note(row.note);
  }
  if (static_cast<int>(rows.size()) == size) {
    out.set_next_page_token(absl::StrCat(rows.back().seq));
  }
  return out;
}

absl::StatusOr<admin::v1::RotateWebhookSecretResponse>
AccountBook::RotateWebhookSecret(const std::string& account_id) {
  MG_RETURN_IF_ERROR(CheckId("account_id", account_id));
  MG_ASSIGN_OR_RETURN(AccountRow row, deps_.store->GetAccount(account_id));
  MG_ASSIGN_OR_RETURN(std::string secret, NewWebhookSecret());
  AccountRecord settings = row.settings;
  if (!settings.webhook_secret().empty()) {
    settings.set_previous_webhook_secret(settings.webhook_secret());
    *settings.mutable_previous_secret_expire_time() = Micros(
        absl::ToUnixMicros(deps_.clock->Now() + kSecretGrace));
  }
  settings.set_webhook_secret(secret);
  MG_RETURN_IF_ERROR(Write([&](AccountStore::DoneCallback done) {
    deps_.store->UpdateSettings(account_id, settings, std::move(done));
  }));
  row.settings = settings;
  Cache(row);
  admin::v1::RotateWebhookSecretResponse out;
  out.set_secret(secret);
  return out;
}

uint32_t AccountBook::Weight(const std::string& account_id) const {
  absl::MutexLock l(&mu_);
  auto it = settings_.find(account_id);
  const uint32_t w = it == settings_.end() ? 0 : it->second.weight();
  return w > 0 ? w : std::max<uint32_t>(options_.default_weight, 1);
}

std::vector<std::string> AccountBook::WebhookSecrets(
    const std::string& account_id) const {
  const absl::Time now = deps_.clock->Now();
  absl::MutexLock l(&mu_);
  auto it = settings_.find(account_id);
  std::vector<std::string> out;
  if (it == settings_.end() || it->second.webhook_secret().empty()) return out;
  out.push_back(it->second.webhook_secret());
  const AccountRecord& s = it->second;
  if (!s.previous_webhook_secret().empty() &&
      absl::FromUnixMicros(TimeUtil::TimestampToMicroseconds(
          s.previous_secret_expire_time())) > now) {
    out.push_back(s.previous_webhook_secret());
  }
  return out;
}

std::string AccountBook::DefaultWebhookUrl(const std::string& account_id) const {
  absl::MutexLock l(&mu_);
  auto it = settings_.find(account_id);
  return it == settings_.end() ? "" : it->second.default_webhook_url();
}

}  // namespace mediagw
