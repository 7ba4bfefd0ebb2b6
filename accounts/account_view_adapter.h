// core/AccountView over AccountBook (the stored balance) and AccountLimits
// (the limits and active tasks in memory). The store read runs on
// `executor`. Thread-safe; every pointer must outlive the adapter, and the
// executor must have run every job before the adapter is destroyed.
#ifndef MEDIAGW_ACCOUNTS_ACCOUNT_VIEW_ADAPTER_H_
#define MEDIAGW_ACCOUNTS_ACCOUNT_VIEW_ADAPTER_H_

#include <string>

#include "accounts/account_book.h"
#include "accounts/account_limits.h"
#include "common/thread_pool.h"
#include "core/account_view.h"

namespace mediagw {

// The caller's view of an admin Account, with `active` non-terminal tasks.
v1::Account CallerAccount(const admin::v1::Account& account, int64_t active);

class AccountViewAdapter : public AccountView {
 public:
  AccountViewAdapter(AccountBook* book, const AccountLimits* limits,
                     Executor* executor)
      : book_(book), limits_(limits), executor_(executor) {}

  void AccountOf(const std::string& account_id, Callback done) override;

 private:
  AccountBook* const book_;
  const AccountLimits* const limits_;
  Executor* const executor_;
};

}  // namespace mediagw

#endif  // MEDIAGW_ACCOUNTS_ACCOUNT_VIEW_ADAPTER_H_
