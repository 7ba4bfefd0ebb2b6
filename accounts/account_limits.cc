#include "accounts/account_limits.h"

#include <algorithm>
#include <cmath>

#include "absl/strings/str_cat.h"
#include "common/status_mapping.h"

namespace mediagw {
namespace {

double Capacity(const admin::v1::Limits& l) {
  return l.burst() > 0 ? l.burst() : l.requests_per_minute();
}

absl::Status OverLimit(const std::string& message, absl::Duration wait) {
  absl::Status st = WithReason(absl::ResourceExhaustedError(message),
                               Reason::kCallerOverLimit);
  // Whole seconds, at least one, as the Retry-After header carries them.
  const int64_t secs = std::max<int64_t>(
      1, static_cast<int64_t>(std::ceil(absl::ToDoubleSeconds(wait))));
  return WithRetryAfter(std::move(st), 429, absl::StrCat(secs),
                        absl::UnixEpoch());
}

}  // namespace

AccountLimits::AccountLimits(const Clock* clock, admin::v1::Limits defaults)
    : clock_(clock), defaults_(std::move(defaults)) {}

AccountLimits::State& AccountLimits::StateOf(const std::string& account) {
  auto [it, inserted] = accounts_.try_emplace(account);
  if (inserted) it->second.limits = defaults_;
  return it->second;
}

void AccountLimits::Set(const std::string& account,
                        const admin::v1::Limits& limits) {
  absl::MutexLock l(&mu_);
  State& s = StateOf(account);
  s.limits = limits;
  s.own_limits = true;
  if (s.tokens > Capacity(limits)) s.tokens = Capacity(limits);
}

void AccountLimits::Reset(const std::string& account) {
  absl::MutexLock l(&mu_);
  State& s = StateOf(account);
  s.limits = defaults_;
  s.own_limits = false;
  if (s.tokens > Capacity(defaults_)) s.tokens = Capacity(defaults_);
}

admin::v1::Limits AccountLimits::Get(const std::string& account) const {
  absl::MutexLock l(&mu_);
  auto it = accounts_.find(account);
  return it == accounts_.end() ? defaults_ : it->second.limits;
}

void AccountLimits::SetActive(const std::string& account, int64_t active) {
  absl::MutexLock l(&mu_);
  StateOf(account).active = active;
}

int64_t AccountLimits::Active(const std::string& account) const {
  absl::MutexLock l(&mu_);
  auto it = accounts_.find(account);
  return it == accounts_.end() ? 0 : it->second.active;
}

absl::Status AccountLimits::Admit(const std::string& account) {
  const absl::Time now = clock_->Now();
  absl::MutexLock l(&mu_);
  State& s = StateOf(account);
  const admin::v1::Limits& lim = s.limits;
  if (lim.max_active_tasks() > 0 &&
      s.active >= static_cast<int64_t>(lim.max_active_tasks())) {
    return OverLimit(absl::StrCat("Too many unfinished tasks (limit ",
                                  lim.max_active_tasks(), ")"),
                     absl::Seconds(1));
  }
  if (lim.requests_per_minute() > 0) {
    const double cap = Capacity(lim);
    const double rate = lim.requests_per_minute() / 60.0;  // per second
    if (s.tokens < 0) {
      s.tokens = cap;
    } else {
      s.tokens = std::min(
          cap, s.tokens + absl::ToDoubleSeconds(now - s.refilled) * rate);
    }
    s.refilled = now;
    if (s.tokens < 1) {
      return OverLimit(absl::StrCat("Rate limit exceeded (",
                                    lim.requests_per_minute(),
                                    " requests per minute)"),
                       absl::Seconds((1 - s.tokens) / rate));
    }
    s.tokens -= 1;
  }
  ++s.active;
  return absl::OkStatus();
}

void AccountLimits::Release(const std::string& account) { Finished(account); }

void AccountLimits::Finished(const std::string& account) {
  absl::MutexLock l(&mu_);
  State& s = StateOf(account);
  if (s.active > 0) --s.active;
}

}  // namespace mediagw
