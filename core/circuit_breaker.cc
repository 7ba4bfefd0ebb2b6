#include "core/circuit_breaker.h"

#include <algorithm>

namespace mediagw {

CallOutcome ClassifyOutcome(const absl::Status& status) {
  if (status.ok()) return CallOutcome::kSuccess;
  switch (status.code()) {
    case absl::StatusCode::kUnavailable:
    case absl::StatusCode::kDeadlineExceeded:
      return CallOutcome::kFailure;
    default:
      return CallOutcome::kNeutral;
  }
}

namespace {
BreakerOptions Clamp(BreakerOptions o) {
  o.failure_threshold = std::max(1, o.failure_threshold);
  o.base_cooldown = std::max(o.base_cooldown, absl::ZeroDuration());
  o.max_cooldown = std::max(o.max_cooldown, o.base_cooldown);
  return o;
}
}  // namespace

CircuitBreaker::CircuitBreaker(BreakerOptions options, const Clock* clock)
    : options_(Clamp(options)), clock_(clock) {}

bool CircuitBreaker::AdmitsLocked(absl::Time now) const {
  switch (state_) {
    case BreakerState::kClosed:
      return true;
    case BreakerState::kOpen:
      return now >= open_until_;
    case BreakerState::kHalfOpen:
      // The probe is out; a lost one is given up after a base cool-down.
      return now >= probe_started_ + options_.base_cooldown;
  }
  return true;
}

bool CircuitBreaker::Allow() {
  const absl::Time now = clock_->Now();
  absl::MutexLock l(&mu_);
  if (!AdmitsLocked(now)) return false;
  if (state_ != BreakerState::kClosed) {
    state_ = BreakerState::kHalfOpen;
    probe_started_ = now;
  }
  return true;
}

bool CircuitBreaker::WouldAllow() const {
  const absl::Time now = clock_->Now();
  absl::MutexLock l(&mu_);
  return AdmitsLocked(now);
}

void CircuitBreaker::OpenLocked(absl::Time now) {
  ++open_streak_;
  ++ejections_;
  // base x k for the k-th ejection in a row, without overflowing.
  absl::Duration rem;
  const int64_t max_k =
      options_.base_cooldown > absl::ZeroDuration()
          ? absl::IDivDuration(options_.max_cooldown, options_.base_cooldown,
                               &rem)
          : 1;
  const int64_t k = std::min<int64_t>(open_streak_, std::max<int64_t>(1, max_k) + 1);
  const absl::Duration cooldown =
      std::min(options_.base_cooldown * k, options_.max_cooldown);
  state_ = BreakerState::kOpen;
  open_until_ = now + cooldown;
  consecutive_failures_ = 0;
}

void CircuitBreaker::Record(CallOutcome outcome) {
  const absl::Time now = clock_->Now();
  absl::MutexLock l(&mu_);
  switch (outcome) {
    case CallOutcome::kSuccess:
      // Any answer while closed resets the run; in half-open it is the probe
      // (or a call admitted before the breaker opened) coming back alive.
      if (state_ == BreakerState::kOpen) return;  // a straggler: the probe decides
      state_ = BreakerState::kClosed;
      consecutive_failures_ = 0;
      open_streak_ = 0;
      return;
    case CallOutcome::kFailure:
      if (state_ == BreakerState::kHalfOpen) {
        OpenLocked(now);
        return;
      }
      if (state_ == BreakerState::kOpen) return;  // already ejected
      if (++consecutive_failures_ >= options_.failure_threshold) {
        OpenLocked(now);
      }
      return;
    case CallOutcome::kNeutral:
      // A probe that proved nothing: let the next call probe at once.
      if (state_ == BreakerState::kHalfOpen) {
        probe_started_ = absl::InfinitePast();
      }
      return;
  }
}

BreakerState CircuitBreaker::state() const {
  absl::MutexLock l(&mu_);
  return state_;
}

int64_t CircuitBreaker::ejections() const {
  absl::MutexLock l(&mu_);
  return ejections_;
}

absl::Time CircuitBreaker::reopen_at() const {
  absl::MutexLock l(&mu_);
  return state_ == BreakerState::kOpen ? open_until_ : absl::InfinitePast();
}

}  // namespace mediagw
