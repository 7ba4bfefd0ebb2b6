#include "core/retry_budget.h"

#include "common/status_mapping.h"
#include "gtest/gtest.h"

namespace mediagw {
namespace {

RetryBudgetOptions Opts(double min_per_second = 0) {
  RetryBudgetOptions o;
  o.ratio = 0.2;
  o.window = absl::Seconds(60);
  o.buckets = 6;
  o.min_retries_per_second = min_per_second;
  return o;
}

int Drain(RetryBudget& b) {
  int n = 0;
  while (n < 100000 && b.TryRetry()) ++n;
  return n;
}

TEST(RetryBudgetTest, RetriesStayWithinTheRatioOfCalls) {
  FakeClock clock;
  RetryBudget b(Opts(), &clock);
  EXPECT_FALSE(b.TryRetry());
  for (int i = 0; i < 100; ++i) b.RecordCall();
  EXPECT_EQ(Drain(b), 20);
  for (int i = 0; i < 10; ++i) b.RecordCall();
  EXPECT_EQ(Drain(b), 2);
  EXPECT_EQ(b.calls(), 110);
  EXPECT_EQ(b.retries(), 22);
}

TEST(RetryBudgetTest, OldBucketsLeaveTheWindow) {
  FakeClock clock;
  RetryBudget b(Opts(), &clock);
  for (int i = 0; i < 50; ++i) b.RecordCall();
  EXPECT_EQ(Drain(b), 10);
  clock.Advance(absl::Seconds(30));
  for (int i = 0; i < 50; ++i) b.RecordCall();
  EXPECT_EQ(Drain(b), 10);  // 100 calls, 20 retries in the window
  clock.Advance(absl::Seconds(31));
  // The first 50 calls and their 10 retries are out of the window.
  EXPECT_EQ(b.calls(), 50);
  EXPECT_EQ(b.retries(), 10);
  EXPECT_EQ(Drain(b), 0);
  clock.Advance(absl::Seconds(30));
  EXPECT_EQ(b.calls(), 0);
}

TEST(RetryBudgetTest, QuietSystemKeepsAMinimumRate) {
  FakeClock clock;
  RetryBudget b(Opts(/*min_per_second=*/0.5), &clock);
  EXPECT_EQ(Drain(b), 30);  // 0.5/s over 60 s
  clock.Advance(absl::Seconds(60));
  EXPECT_EQ(Drain(b), 30);
}

TEST(RetryBudgetTest, FullJitterStaysUnderTheExponentialCeiling) {
  const absl::Duration base = absl::Milliseconds(100);
  const absl::Duration cap = absl::Seconds(2);
  EXPECT_EQ(FullJitterBackoff(0, base, cap, 0.0), absl::ZeroDuration());
  EXPECT_EQ(FullJitterBackoff(0, base, cap, 0.5), absl::Milliseconds(50));
  EXPECT_EQ(FullJitterBackoff(3, base, cap, 0.5), absl::Milliseconds(400));
  EXPECT_EQ(FullJitterBackoff(10, base, cap, 0.5), absl::Seconds(1));
  EXPECT_EQ(FullJitterBackoff(1000, base, cap, 0.5), absl::Seconds(1));
  // Retry-After is a floor, even above the cap.
  EXPECT_EQ(FullJitterBackoff(0, base, cap, 0.1, absl::Seconds(5)),
            absl::Seconds(5));
  for (int i = 0; i < 100; ++i) {
    absl::Duration d = RetryDelay(2, base, cap, absl::UnavailableError("x"));
    EXPECT_GE(d, absl::ZeroDuration());
    EXPECT_LT(d, absl::Milliseconds(400));
  }
  absl::Status limited = WithRetryAfter(absl::UnavailableError("x"), 429, "3",
                                        absl::Now());
  EXPECT_GE(RetryDelay(0, base, cap, limited), absl::Seconds(3));
}

}  // namespace
}  // namespace mediagw
