// A circuit breaker for one upstream (a channel, or one base URL of a pool).
//
// Closed: calls go through; `failure_threshold` consecutive failures open
// it. Open: calls are refused for a cool-down that grows with each
// ejection in a row (base_cooldown x k, capped at max_cooldown). Half-open:
// once the cool-down is over, one call (the probe) is let through; its
// success closes the breaker (and resets the cool-down), its failure opens
// it again with the next cool-down. A probe that never reports back (its
// task was cancelled, the process lost it) is given up after one
// base_cooldown and another probe is let through.
//
// Pure logic: time comes from the injected Clock. Thread-safe; no method
// blocks or calls out while holding the lock.
#ifndef MEDIAGW_CORE_CIRCUIT_BREAKER_H_
#define MEDIAGW_CORE_CIRCUIT_BREAKER_H_

#include <cstdint>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "common/clock.h"

namespace mediagw {

struct BreakerOptions {
  int failure_threshold = 5;  // consecutive failures that open the breaker
  absl::Duration base_cooldown = absl::Seconds(30);
  absl::Duration max_cooldown = absl::Minutes(5);
};

// Values as rendered in /metrics (mediagw_channel_breaker_state).
enum class BreakerState { kClosed = 0, kOpen = 1, kHalfOpen = 2 };

// What one upstream call says about the upstream's health.
enum class CallOutcome {
  kSuccess,  // the upstream answered
  kFailure,  // transport error, timeout, 5xx or 429
  kNeutral,  // says nothing (our own validation, shutdown, the caller)
};

// Transport errors, timeouts and 5xx/429 answers (UNAVAILABLE,
// DEADLINE_EXCEEDED, with or without the outcome-unknown mark) are
// failures; OK is a success; every other code (a bad request, our
// credentials, a task's own failure) is neutral: the upstream answered,
// but such an answer must not close a half-open breaker either.
CallOutcome ClassifyOutcome(const absl::Status& status);

class CircuitBreaker {
 public:
  // `clock` is not owned and must outlive the breaker. Options are used as
  // given after clamping (threshold >= 1, max_cooldown >= base_cooldown).
  CircuitBreaker(BreakerOptions options, const Clock* clock);

  // Whether a call may go now. When the cool-down is over this admits the
  // one probe (and turns half-open); until it reports, others are refused.
  bool Allow();
  // Like Allow but changes nothing: would a call be admitted now?
  bool WouldAllow() const;

  void Record(CallOutcome outcome);

  // kOpen until a probe is admitted, even after the cool-down is over.
  BreakerState state() const;
  // Times the breaker opened (from closed or after a failed probe).
  int64_t ejections() const;
  // When an open breaker lets a probe through; InfinitePast otherwise.
  absl::Time reopen_at() const;

 private:
  bool AdmitsLocked(absl::Time now) const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void OpenLocked(absl::Time now) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const BreakerOptions options_;
  const Clock* const clock_;
  mutable absl::Mutex mu_;
  BreakerState state_ ABSL_GUARDED_BY(mu_) = BreakerState::kClosed;
  int consecutive_failures_ ABSL_GUARDED_BY(mu_) = 0;
  int open_streak_ ABSL_GUARDED_BY(mu_) = 0;  // ejections since last close
  int64_t ejections_ ABSL_GUARDED_BY(mu_) = 0;
  absl::Time open_until_ ABSL_GUARDED_BY(mu_) = absl::InfinitePast();
  absl::Time probe_started_ ABSL_GUARDED_BY(mu_) = absl::InfinitePast();
};

}  // namespace mediagw

#endif  // MEDIAGW_CORE_CIRCUIT_BREAKER_H_
