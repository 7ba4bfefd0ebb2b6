#include "accounts/accounting.h"

#include <algorithm>

#include "core/state_machine.h"

namespace mediagw {

Accounting::Accounting(const PriceTable* prices, AccountLimits* limits,
                       bool metering)
    : prices_(prices), limits_(limits), metering_(metering) {}

int64_t Accounting::Charge(const TaskRecord& r) {
  const int64_t hold = r.hold();
  switch (r.task().state()) {
    case v1::TASK_STATE_SUCCEEDED: {
      const int64_t delivered = r.task().outputs_size();
      // unit_price * delivered cannot overflow: both are bounded
      // (kMaxUnitPrice, and outputs are capped far below kMaxUnits).
      return std::min(hold, r.unit_price() * std::min<int64_t>(
                                                 delivered, kMaxUnits));
    }
    case v1::TASK_STATE_CANCELED: {
      const bool ran = r.task().has_start_time();
      const bool no_work =
          !r.upstream_accepted() || (r.upstream_cancelled() && !ran);
      return no_work ? 0 : hold;
    }
    default:
      return 0;  // FAILED, TIMED_OUT: ours or the upstream's failure
  }
}

absl::Status Accounting::AddRows(const TaskRecord* before, TaskRecord* next,
                                 SideRows* rows) {
  if (!metering_) return absl::OkStatus();
  if (before == nullptr) {
    const int64_t unit = prices_->UnitPrice(*next);
    const int64_t hold = unit * PriceTable::Units(*next);
    next->set_hold_placed(true);
    next->set_unit_price(unit);
    next->set_hold(hold);
    next->mutable_task()->set_held_credits(hold);
    next->mutable_task()->set_charged_credits(0);
    LedgerEntry e;
    e.account_id = next->owner();
    e.task_id = next->task().id();
    e.kind = LedgerEntry::Kind::kHold;
    e.amount = hold;
    rows->ledger.push_back(std::move(e));
    return absl::OkStatus();
  }
  // Tasks stored before accounts existed hold nothing and settle nothing.
  if (!before->hold_placed() || IsTerminal(before->task().state()) ||
      !IsTerminal(next->task().state())) {
    return absl::OkStatus();
  }
  const int64_t charge = Charge(*next);
  next->mutable_task()->set_held_credits(0);
  next->mutable_task()->set_charged_credits(charge);
  LedgerEntry e;
  e.account_id = next->owner();
  e.task_id = next->task().id();
  e.kind = charge > 0 ? LedgerEntry::Kind::kSettle : LedgerEntry::Kind::kRefund;
  e.amount = charge;
  rows->ledger.push_back(std::move(e));
  return absl::OkStatus();
}

void Accounting::Committed(const TaskRecord* before, const TaskRecord& next) {
  if (limits_ == nullptr || before == nullptr) return;
  if (!IsTerminal(before->task().state()) && IsTerminal(next.task().state())) {
    limits_->Finished(next.owner());
  }
}

}  // namespace mediagw
