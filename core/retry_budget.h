// Bounds retries to a share of the upstream calls, so that a failing
// upstream does not get several times the normal load from our retries.
//
// Every first call (a task's first submit) is recorded with RecordCall;
// every retry (a failover submit, a retried call) asks TryRetry first and
// goes only if it says yes. Over a sliding window (`buckets` slices of
// `window / buckets`, e.g. 6 x 10 s) retries stay within
//   ratio x first calls + min_retries_per_second x window seconds,
// the second term letting a quiet system still retry.
//
// Thread-safe, non-blocking; time comes from the injected Clock.
#ifndef MEDIAGW_CORE_RETRY_BUDGET_H_
#define MEDIAGW_CORE_RETRY_BUDGET_H_

#include <cstdint>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "common/clock.h"

namespace mediagw {

struct RetryBudgetOptions {
  double ratio = 0.2;  // extra calls retries may add (0.2 = 20%)
  absl::Duration window = absl::Seconds(60);
  int buckets = 6;
  double min_retries_per_second = 3;
};

class RetryBudget {
 public:
  // `clock` is not owned and must outlive the budget.
  RetryBudget(RetryBudgetOptions options, const Clock* clock);

  void RecordCall();
  // True, and counts the retry, when the window has room for it.
  bool TryRetry();

  // Calls and retries in the current window (tests, metrics).
  int64_t calls() const;
  int64_t retries() const;

 private:
  struct Bucket {
    int64_t epoch = -1;  // which slice of time it holds
    int64_t calls = 0;
    int64_t retries = 0;
  };
  Bucket& Current(absl::Time now) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void Sum(absl::Time now, int64_t* calls, int64_t* retries) const
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const RetryBudgetOptions options_;
  const absl::Duration slice_;
  const Clock* const clock_;
  mutable absl::Mutex mu_;
  std::vector<Bucket> buckets_ ABSL_GUARDED_BY(mu_);
};

// Full-jitter exponential backoff: uniform in [0, min(cap, base x 2^attempt))
// for attempt 0, 1, ...; `unit` is a uniform random number in [0, 1). A
// Retry-After the upstream gave (see RetryAfterOf in common/status_mapping.h)
// is a floor: the wait is never shorter than it, nor longer than `cap`
// unless Retry-After asks for more.
absl::Duration FullJitterBackoff(int attempt, absl::Duration base,
                                 absl::Duration cap, double unit,
                                 absl::Duration retry_after =
                                     absl::ZeroDuration());

// FullJitterBackoff with a random `unit` and the Retry-After of `status`.
absl::Duration RetryDelay(int attempt, absl::Duration base, absl::Duration cap,
                          const absl::Status& status);

}  // namespace mediagw

#endif  // MEDIAGW_CORE_RETRY_BUDGET_H_
