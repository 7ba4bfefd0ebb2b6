#include "core/circuit_breaker.h"

#include "common/status_mapping.h"
#include "gtest/gtest.h"

namespace mediagw {
namespace {

BreakerOptions Opts(int threshold = 3) {
  BreakerOptions o;
  o.failure_threshold = threshold;
  o.base_cooldown = absl::Seconds(30);
  o.max_cooldown = absl::Seconds(100);
  return o;
}

void Fail(CircuitBreaker& b, int n) {
  for (int i = 0; i < n; ++i) {
    ASSERT_TRUE(b.Allow());
    b.Record(CallOutcome::kFailure);
  }
}

TEST(CircuitBreakerTest, OpensAfterThresholdConsecutiveFailures) {
  FakeClock clock;
  CircuitBreaker b(Opts(3), &clock);
  Fail(b, 2);
  EXPECT_EQ(b.state(), BreakerState::kClosed);
  b.Record(CallOutcome::kSuccess);  // resets the run
  Fail(b, 2);
  EXPECT_EQ(b.state(), BreakerState::kClosed);
  Fail(b, 1);
  EXPECT_EQ(b.state(), BreakerState::kOpen);
  EXPECT_EQ(b.ejections(), 1);
  EXPECT_FALSE(b.Allow());
  EXPECT_FALSE(b.WouldAllow());
}

TEST(CircuitBreakerTest, NeutralOutcomesNeitherOpenNorReset) {
  FakeClock clock;
  CircuitBreaker b(Opts(2), &clock);
  Fail(b, 1);
  b.Record(CallOutcome::kNeutral);
  EXPECT_EQ(b.state(), BreakerState::kClosed);
  Fail(b, 1);
  EXPECT_EQ(b.state(), BreakerState::kOpen);
}

TEST(CircuitBreakerTest, OneProbeAfterCooldownAndSuccessCloses) {
  FakeClock clock;
  CircuitBreaker b(Opts(1), &clock);
  Fail(b, 1);
  clock.Advance(absl::Seconds(29));
  EXPECT_FALSE(b.Allow());
  clock.Advance(absl::Seconds(1));
  EXPECT_TRUE(b.WouldAllow());
  EXPECT_EQ(b.state(), BreakerState::kOpen);
  EXPECT_TRUE(b.Allow());  // the probe
  EXPECT_EQ(b.state(), BreakerState::kHalfOpen);
  EXPECT_FALSE(b.Allow());  // only one
  EXPECT_FALSE(b.WouldAllow());
  b.Record(CallOutcome::kSuccess);
  EXPECT_EQ(b.state(), BreakerState::kClosed);
  EXPECT_TRUE(b.Allow());
  EXPECT_TRUE(b.Allow());
}

TEST(CircuitBreakerTest, FailedProbeReopensWithGrowingCappedCooldown) {
  FakeClock clock;
  CircuitBreaker b(Opts(1), &clock);
  Fail(b, 1);  // 30 s
  EXPECT_EQ(b.reopen_at() - clock.Now(), absl::Seconds(30));
  clock.Advance(absl::Seconds(30));
  Fail(b, 1);  // probe fails: 60 s
  EXPECT_EQ(b.state(), BreakerState::kOpen);
  EXPECT_EQ(b.reopen_at() - clock.Now(), absl::Seconds(60));
  clock.Advance(absl::Seconds(59));
  EXPECT_FALSE(b.Allow());
  clock.Advance(absl::Seconds(1));
  Fail(b, 1);  // 90 s
  EXPECT_EQ(b.reopen_at() - clock.Now(), absl::Seconds(90));
  clock.Advance(absl::Seconds(90));
  Fail(b, 1);  // 120 s capped at 100 s
  EXPECT_EQ(b.reopen_at() - clock.Now(), absl::Seconds(100));
  EXPECT_EQ(b.ejections(), 4);
  // A success closes and the next ejection starts from the base again.
  clock.Advance(absl::Seconds(100));
  ASSERT_TRUE(b.Allow());
  b.Record(CallOutcome::kSuccess);
  Fail(b, 1);
  EXPECT_EQ(b.reopen_at() - clock.Now(), absl::Seconds(30));
}

TEST(CircuitBreakerTest, LostProbeIsReplacedAfterBaseCooldown) {
  FakeClock clock;
  CircuitBreaker b(Opts(1), &clock);
  Fail(b, 1);
  clock.Advance(absl::Seconds(30));
  ASSERT_TRUE(b.Allow());
  clock.Advance(absl::Seconds(29));
  EXPECT_FALSE(b.Allow());
  clock.Advance(absl::Seconds(1));
  EXPECT_TRUE(b.Allow());
}

TEST(CircuitBreakerTest, NeutralProbeLetsTheNextCallProbe) {
  FakeClock clock;
  CircuitBreaker b(Opts(1), &clock);
  Fail(b, 1);
  clock.Advance(absl::Seconds(30));
  ASSERT_TRUE(b.Allow());
  b.Record(CallOutcome::kNeutral);
  EXPECT_EQ(b.state(), BreakerState::kHalfOpen);
  EXPECT_TRUE(b.Allow());
  EXPECT_FALSE(b.Allow());
}

TEST(CircuitBreakerTest, StragglersWhileOpenChangeNothing) {
  FakeClock clock;
  CircuitBreaker b(Opts(1), &clock);
  Fail(b, 1);
  b.Record(CallOutcome::kSuccess);  // admitted before it opened
  EXPECT_EQ(b.state(), BreakerState::kOpen);
  b.Record(CallOutcome::kFailure);
  EXPECT_EQ(b.ejections(), 1);
}

TEST(CircuitBreakerTest, ClassifiesTransportAndServerErrorsAsFailures) {
  EXPECT_EQ(ClassifyOutcome(absl::OkStatus()), CallOutcome::kSuccess);
  EXPECT_EQ(ClassifyOutcome(UpstreamHttpToStatus(503, "p", "")),
            CallOutcome::kFailure);
  EXPECT_EQ(ClassifyOutcome(UpstreamHttpToStatus(429, "p", "")),
            CallOutcome::kFailure);
  EXPECT_EQ(ClassifyOutcome(UpstreamHttpToStatus(504, "p", "")),
            CallOutcome::kFailure);
  EXPECT_EQ(ClassifyOutcome(absl::DeadlineExceededError("t")),
            CallOutcome::kFailure);
  EXPECT_EQ(ClassifyOutcome(MarkOutcomeUnknown(absl::UnavailableError("r"))),
            CallOutcome::kFailure);
  EXPECT_EQ(ClassifyOutcome(UpstreamHttpToStatus(400, "p", "")),
            CallOutcome::kNeutral);
  EXPECT_EQ(ClassifyOutcome(UpstreamHttpToStatus(401, "p", "")),
            CallOutcome::kNeutral);
  EXPECT_EQ(ClassifyOutcome(absl::InternalError("execution error")),
            CallOutcome::kNeutral);
  EXPECT_EQ(ClassifyOutcome(absl::CancelledError("shutdown")),
            CallOutcome::kNeutral);
}

}  // namespace
}  // namespace mediagw
