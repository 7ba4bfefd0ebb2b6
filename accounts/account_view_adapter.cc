#include "accounts/account_view_adapter.h"

#include <algorithm>
#include <limits>
#include <utility>

namespace mediagw {

v1::Account CallerAccount(const admin::v1::Account& a, int64_t active) {
  v1::Account out;
  out.set_id(a.id());
  out.set_balance(a.balance());
  out.set_held(a.held());
  out.set_unlimited(a.unlimited());
  out.set_requests_per_minute(a.limits().requests_per_minute());
  // A burst of 0 means the bucket holds a minute's requests: say so.
  out.set_burst(a.limits().burst() > 0 ? a.limits().burst()
                                       : a.limits().requests_per_minute());
  out.set_max_active_tasks(a.limits().max_active_tasks());
  out.set_active_tasks(static_cast<uint32_t>(std::clamp<int64_t>(
      active, 0, std::numeric_limits<uint32_t>::max())));
  return out;
}

void AccountViewAdapter::AccountOf(const std::string& account_id,
                                   Callback done) {
  executor_->Schedule([this, account_id, done = std::move(done)] {
    absl::StatusOr<admin::v1::Account> account = book_->GetAccount(account_id);
    if (!account.ok()) {
      done(account.status());
      return;
    }
    done(CallerAccount(*account, limits_->Active(account_id)));
  });
}

}  // namespace mediagw
