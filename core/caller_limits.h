// Per-caller admission limits, checked in memory on every submit before
// anything is stored (docs/ACCOUNTS.md). Implementation: accounts/.
#ifndef MEDIAGW_CORE_CALLER_LIMITS_H_
#define MEDIAGW_CORE_CALLER_LIMITS_H_

#include <string>

#include "absl/status/status.h"

namespace mediagw {

class CallerLimits {
 public:
  virtual ~CallerLimits() = default;
  // Takes a request token and an active-task slot of `account`.
  // RESOURCE_EXHAUSTED (reason kCallerOverLimit, with a Retry-After) when
  // it is over either limit; then nothing is taken. Thread-safe, cheap.
  virtual absl::Status Admit(const std::string& account) = 0;
  // The admitted submit stored no new task (refused, or a replay of an
  // existing one): gives the active-task slot back.
  virtual void Release(const std::string& account) = 0;
};

}  // namespace mediagw

#endif  // MEDIAGW_CORE_CALLER_LIMITS_H_
