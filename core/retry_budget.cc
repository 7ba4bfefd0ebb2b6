#include "core/retry_budget.h"

#include <algorithm>
#include <cmath>

#include "absl/random/random.h"
#include "common/status_mapping.h"

namespace mediagw {
namespace {

RetryBudgetOptions Clamp(RetryBudgetOptions o) {
  o.buckets = std::max(1, o.buckets);
  o.window = std::max(o.window, absl::Milliseconds(o.buckets));
  o.ratio = std::max(0.0, o.ratio);
  o.min_retries_per_second = std::max(0.0, o.min_retries_per_second);
  return o;
}

}  // namespace

RetryBudget::RetryBudget(RetryBudgetOptions options, const Clock* clock)
    : options_(Clamp(options)),
      slice_(options_.window / options_.buckets),
      clock_(clock),
      buckets_(static_cast<size_t>(options_.buckets)) {}

RetryBudget::Bucket& RetryBudget::Current(absl::Time now) {
  absl::Duration rem;
  const int64_t epoch = absl::IDivDuration(now - absl::UnixEpoch(), slice_, &rem);
  Bucket& b = buckets_[static_cast<size_t>(epoch % options_.buckets)];
  if (b.epoch != epoch) b = Bucket{epoch, 0, 0};
  return b;
}

void RetryBudget::Sum(absl::Time now, int64_t* calls,
                      int64_t* retries) const {
  absl::Duration rem;
  const int64_t epoch = absl::IDivDuration(now - absl::UnixEpoch(), slice_, &rem);
  *calls = 0;
  *retries = 0;
  for (const Bucket& b : buckets_) {
    if (b.epoch <= epoch - options_.buckets || b.epoch > epoch) continue;
    *calls += b.calls;
    *retries += b.retries;
  }
}

void RetryBudget::RecordCall() {
  const absl::Time now = clock_->Now();
  absl::MutexLock l(&mu_);
  ++Current(now).calls;
}

bool RetryBudget::TryRetry() {
  const absl::Time now = clock_->Now();
  absl::MutexLock l(&mu_);
  int64_t calls, retries;
  Sum(now, &calls, &retries);
  const double allowed =
      options_.ratio * static_cast<double>(calls) +
      options_.min_retries_per_second * absl::ToDoubleSeconds(options_.window);
  if (static_cast<double>(retries) + 1 > allowed) return false;
  ++Current(now).retries;
  return true;
}

int64_t RetryBudget::calls() const {
  const absl::Time now = clock_->Now();
  absl::MutexLock l(&mu_);
  int64_t calls, retries;
  Sum(now, &calls, &retries);
  return calls;
}

int64_t RetryBudget::retries() const {
  const absl::Time now = clock_->Now();
  absl::MutexLock l(&mu_);
  int64_t calls, retries;
  Sum(now, &calls, &retries);
  return retries;
}

absl::Duration FullJitterBackoff(int attempt, absl::Duration base,
                                 absl::Duration cap, double unit,
                                 absl::Duration retry_after) {
  absl::Duration ceiling = cap;
  if (attempt < 30) ceiling = std::min(cap, base * (int64_t{1} << attempt));
  unit = std::clamp(unit, 0.0, 1.0);
  const absl::Duration wait = ceiling * unit;
  return std::max(wait, retry_after);
}

absl::Duration RetryDelay(int attempt, absl::Duration base, absl::Duration cap,
                          const absl::Status& status) {
  thread_local absl::BitGen gen;
  const double unit = absl::Uniform<double>(gen, 0.0, 1.0);
  return FullJitterBackoff(attempt, base, cap, unit,
                           RetryAfterOf(status).value_or(absl::ZeroDuration()));
}

}  // namespace mediagw
