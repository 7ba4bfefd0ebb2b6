// Per-account limits in memory: a token bucket for submits and a cap on
// non-terminal tasks (docs/ACCOUNTS.md). No store read on the hot path.
//
// Thread-safe: one mutex, held only for arithmetic.
#ifndef MEDIAGW_ACCOUNTS_ACCOUNT_LIMITS_H_
#define MEDIAGW_ACCOUNTS_ACCOUNT_LIMITS_H_

#include <cstdint>
#include <string>

#include "absl/container/flat_hash_map.h"
#include "absl/synchronization/mutex.h"
#include "common/clock.h"
#include "core/caller_limits.h"
#include "mediagw/admin/v1/admin.pb.h"

namespace mediagw {

class AccountLimits : public CallerLimits {
 public:
  // `defaults` apply to accounts without limits of their own. `clock` is
  // not owned and must outlive this.
  AccountLimits(const Clock* clock, admin::v1::Limits defaults);

  // Replaces the account's limits (a bucket keeps its tokens, capped).
  void Set(const std::string& account, const admin::v1::Limits& limits);
  // Back to the defaults.
  void Reset(const std::string& account);
  admin::v1::Limits Get(const std::string& account) const;
  // At start: the account's non-terminal tasks in the store.
  void SetActive(const std::string& account, int64_t active);
  int64_t Active(const std::string& account) const;

  // CallerLimits.
  absl::Status Admit(const std::string& account) override;
  void Release(const std::string& account) override;
  // A task of the account ended (its slot frees).
  void Finished(const std::string& account);

 private:
  struct State {
    admin::v1::Limits limits;
    bool own_limits = false;
    double tokens = -1;  // < 0: full, not yet touched
    absl::Time refilled;
    int64_t active = 0;
  };
  State& StateOf(const std::string& account) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const Clock* const clock_;
  const admin::v1::Limits defaults_;
  mutable absl::Mutex mu_;
  absl::flat_hash_map<std::string, State> accounts_ ABSL_GUARDED_BY(mu_);
};

}  // namespace mediagw

#endif  // MEDIAGW_ACCOUNTS_ACCOUNT_LIMITS_H_
