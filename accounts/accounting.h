// The accounts hook on the one transition path (core/task_writer.h): a new
// task holds its full price, and the change that ends it settles or refunds
// that hold, in the same store transaction (docs/ACCOUNTS.md "Billing
// rules"). It also frees the account's active-task slot when a task ends.
//
// Thread-safe (its state is immutable; AccountLimits locks its own).
#ifndef MEDIAGW_ACCOUNTS_ACCOUNTING_H_
#define MEDIAGW_ACCOUNTS_ACCOUNTING_H_

#include "accounts/account_limits.h"
#include "accounts/price_table.h"
#include "core/task_writer.h"

namespace mediagw {

class Accounting : public TransitionRows {
 public:
  // `limits` may be null (no limits). With `metering` off there are no
  // holds and no ledger rows; limits still apply. Not owned; must outlive
  // this.
  Accounting(const PriceTable* prices, AccountLimits* limits, bool metering);

  absl::Status AddRows(const TaskRecord* before, TaskRecord* next,
                       SideRows* rows) override;
  void Committed(const TaskRecord* before, const TaskRecord& next) override;

  // What a task that ends as `final_record` is charged of its hold:
  // SUCCEEDED pays for what was delivered; FAILED and TIMED_OUT pay
  // nothing; CANCELED pays nothing when no upstream job was accepted, or
  // when the job was cancelled upstream before it started running, and
  // its full hold otherwise (the upstream did billable work we cannot take
  // back).
  static int64_t Charge(const TaskRecord& final_record);

 private:
  const PriceTable* const prices_;
  AccountLimits* const limits_;
  const bool metering_;
};

}  // namespace mediagw

#endif  // MEDIAGW_ACCOUNTS_ACCOUNTING_H_
