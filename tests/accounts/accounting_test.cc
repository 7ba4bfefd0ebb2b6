#include "accounts/accounting.h"

#include "accounts/account_limits.h"
#include "accounts/price_table.h"
#include "common/status_mapping.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace mediagw {
namespace {

TaskRecord Image(const std::string& workflow, int n, int w = 512, int h = 512,
                 const std::string& model = "") {
  TaskRecord r;
  r.set_owner("acme");
  r.mutable_task()->set_id("t1");
  r.mutable_task()->set_workflow(workflow);
  r.mutable_task()->set_kind(v1::TASK_KIND_IMAGE);
  r.mutable_task()->set_state(v1::TASK_STATE_PENDING);
  if (n > 0) r.mutable_request()->set_n(n);
  r.mutable_request()->set_width(w);
  r.mutable_request()->set_height(h);
  r.mutable_request()->set_model(model);
  return r;
}

config::Config PricedConfig() {
  config::Config cfg;
  auto* w = cfg.add_workflows();
  w->set_name("sdxl");
  w->mutable_price()->set_per_output(10);
  (*w->mutable_price()->mutable_per_model())["pro"] = 25;
  (*w->mutable_price()->mutable_per_resolution())["1024x1024"] = 15;
  cfg.add_workflows()->set_name("free");
  return cfg;
}

TEST(PriceTableTest, ModelThenResolutionThenPerOutput) {
  auto prices = PriceTable::FromConfig(PricedConfig());
  ASSERT_TRUE(prices.ok()) << prices.status();
  EXPECT_EQ(prices->UnitPrice(Image("sdxl", 1)), 10);
  EXPECT_EQ(prices->UnitPrice(Image("sdxl", 1, 1024, 1024)), 15);
  EXPECT_EQ(prices->UnitPrice(Image("sdxl", 1, 1024, 1024, "pro")), 25);
  EXPECT_EQ(prices->UnitPrice(Image("free", 1)), 0);
  EXPECT_EQ(PriceTable::Units(Image("sdxl", 0)), 1);
  EXPECT_EQ(PriceTable::Units(Image("sdxl", 4)), 4);
  EXPECT_EQ(PriceTable::Units(Image("sdxl", 1 << 30)), kMaxUnits);
}

TEST(PriceTableTest, RefusesPricesThatCouldOverflow) {
  config::Config cfg = PricedConfig();
  cfg.mutable_workflows(0)->mutable_price()->set_per_output(kMaxUnitPrice + 1);
  EXPECT_EQ(PriceTable::FromConfig(cfg).status().code(),
            absl::StatusCode::kInvalidArgument);
  cfg = PricedConfig();
  (*cfg.mutable_workflows(0)->mutable_price()->mutable_per_model())["x"] = -1;
  EXPECT_EQ(PriceTable::FromConfig(cfg).status().code(),
            absl::StatusCode::kInvalidArgument);
}

class AccountingTest : public ::testing::Test {
 protected:
  AccountingTest() : prices_(*PriceTable::FromConfig(PricedConfig())) {}

  // Submits `r` and ends it as `end`; returns the final ledger entry.
  LedgerEntry EndAs(TaskRecord r, v1::TaskState end,
                    const std::function<void(TaskRecord&)>& before_end) {
    SideRows rows;
    EXPECT_TRUE(accounting_.AddRows(nullptr, &r, &rows).ok());
    EXPECT_EQ(rows.ledger.size(), 1u);
    EXPECT_EQ(rows.ledger[0].kind, LedgerEntry::Kind::kHold);
    TaskRecord next = r;
    if (before_end) before_end(next);
    TaskRecord current = next;
    next.mutable_task()->set_state(end);
    SideRows final_rows;
    EXPECT_TRUE(accounting_.AddRows(&current, &next, &final_rows).ok());
    EXPECT_EQ(final_rows.ledger.size(), 1u);
    EXPECT_EQ(next.task().held_credits(), 0);
    EXPECT_EQ(next.task().charged_credits(),
              final_rows.ledger[0].kind == LedgerEntry::Kind::kSettle
                  ? final_rows.ledger[0].amount
                  : 0);
    return final_rows.ledger.at(0);
  }

  PriceTable prices_;
  Accounting accounting_{&prices_, nullptr, /*metering=*/true};
};

TEST_F(AccountingTest, HoldsTheFullPriceAtSubmit) {
  TaskRecord r = Image("sdxl", 3);
  SideRows rows;
  ASSERT_TRUE(accounting_.AddRows(nullptr, &r, &rows).ok());
  EXPECT_EQ(rows.ledger[0].amount, 30);
  EXPECT_EQ(r.hold(), 30);
  EXPECT_EQ(r.task().held_credits(), 30);
  EXPECT_TRUE(r.hold_placed());
}

TEST_F(AccountingTest, SuccessChargesWhatWasDelivered) {
  LedgerEntry e = EndAs(Image("sdxl", 3), v1::TASK_STATE_SUCCEEDED,
                        [](TaskRecord& t) {
                          t.mutable_task()->add_outputs();
                          t.mutable_task()->add_outputs();
                        });
  EXPECT_EQ(e.kind, LedgerEntry::Kind::kSettle);
  EXPECT_EQ(e.amount, 20);
}

TEST_F(AccountingTest, FailuresAndDeadlinesRefund) {
  EXPECT_EQ(EndAs(Image("sdxl", 1), v1::TASK_STATE_FAILED, nullptr).kind,
            LedgerEntry::Kind::kRefund);
  EXPECT_EQ(EndAs(Image("sdxl", 1), v1::TASK_STATE_TIMED_OUT,
                  [](TaskRecord& t) { t.set_upstream_accepted(true); })
                .kind,
            LedgerEntry::Kind::kRefund);
}

TEST_F(AccountingTest, CancelRefundsUnlessTheUpstreamDidWork) {
  // Nothing accepted upstream.
  EXPECT_EQ(EndAs(Image("sdxl", 1), v1::TASK_STATE_CANCELED, nullptr).kind,
            LedgerEntry::Kind::kRefund);
  // Cancelled upstream while still queued.
  EXPECT_EQ(EndAs(Image("sdxl", 1), v1::TASK_STATE_CANCELED,
                  [](TaskRecord& t) {
                    t.set_upstream_accepted(true);
                    t.set_upstream_cancelled(true);
                  })
                .kind,
            LedgerEntry::Kind::kRefund);
  // It ran, or the upstream could not stop it: the hold is settled.
  LedgerEntry ran = EndAs(Image("sdxl", 2), v1::TASK_STATE_CANCELED,
                          [](TaskRecord& t) {
                            t.set_upstream_accepted(true);
                            t.set_upstream_cancelled(true);
                            t.mutable_task()->mutable_start_time()->set_seconds(1);
                          });
  EXPECT_EQ(ran.kind, LedgerEntry::Kind::kSettle);
  EXPECT_EQ(ran.amount, 20);
  EXPECT_EQ(EndAs(Image("sdxl", 1), v1::TASK_STATE_CANCELED,
                  [](TaskRecord& t) { t.set_upstream_accepted(true); })
                .kind,
            LedgerEntry::Kind::kSettle);
}

TEST_F(AccountingTest, TasksFromBeforeAccountsSettleNothing) {
  TaskRecord old = Image("sdxl", 1);  // no hold_placed
  TaskRecord next = old;
  next.mutable_task()->set_state(v1::TASK_STATE_SUCCEEDED);
  SideRows rows;
  ASSERT_TRUE(accounting_.AddRows(&old, &next, &rows).ok());
  EXPECT_TRUE(rows.empty());
}

TEST_F(AccountingTest, OnlyTheEndingTransitionSettles) {
  TaskRecord r = Image("sdxl", 1);
  SideRows rows;
  ASSERT_TRUE(accounting_.AddRows(nullptr, &r, &rows).ok());
  TaskRecord next = r;
  next.mutable_task()->set_state(v1::TASK_STATE_RUNNING);
  SideRows none;
  ASSERT_TRUE(accounting_.AddRows(&r, &next, &none).ok());
  EXPECT_TRUE(none.empty());
}

TEST(AccountLimitsTest, TokenBucketRefusesWithRetryAfterThenRefills) {
  FakeClock clock;
  admin::v1::Limits defaults;
  defaults.set_requests_per_minute(60);  // one a second
  defaults.set_burst(2);
  AccountLimits limits(&clock, defaults);
  EXPECT_TRUE(limits.Admit("a").ok());
  EXPECT_TRUE(limits.Admit("a").ok());
  absl::Status third = limits.Admit("a");
  EXPECT_EQ(third.code(), absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(ReasonOf(third), Reason::kCallerOverLimit);
  EXPECT_EQ(RetryAfterOf(third), absl::Seconds(1));
  EXPECT_TRUE(limits.Admit("b").ok());  // per account
  clock.Advance(absl::Seconds(1));
  EXPECT_TRUE(limits.Admit("a").ok());
}

TEST(AccountLimitsTest, ActiveTasksAreCappedAndFreedWhenTheyEnd) {
  FakeClock clock;
  AccountLimits limits(&clock, {});
  admin::v1::Limits two;
  two.set_max_active_tasks(2);
  limits.Set("a", two);
  ASSERT_TRUE(limits.Admit("a").ok());
  ASSERT_TRUE(limits.Admit("a").ok());
  EXPECT_EQ(limits.Admit("a").code(), absl::StatusCode::kResourceExhausted);
  limits.Finished("a");
  EXPECT_TRUE(limits.Admit("a").ok());
  limits.Release("a");  // a replay stored nothing new
  EXPECT_EQ(limits.Active("a"), 1);
  limits.Reset("a");    // back to the defaults: unlimited
  for (int i = 0; i < 10; ++i) EXPECT_TRUE(limits.Admit("a").ok());
}

}  // namespace
}  // namespace mediagw
