// File descriptor budget of the process: every open HTTP connection holds a
// descriptor, so the connection cap must fit under RLIMIT_NOFILE together
// with everything else (files, curl, gRPC, SQLite).
#ifndef MEDIAGW_SERVER_FD_LIMITS_H_
#define MEDIAGW_SERVER_FD_LIMITS_H_

#include <cstdint>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace mediagw {

// Descriptors kept for everything but HTTP connections.
inline constexpr uint64_t kFdReserve = 1024;

// The soft limit to set, given the current soft and hard limits (hard may be
// RLIM_INFINITY) and the descriptors `needed`: the hard limit itself, so
// that bursts never meet a lower ceiling than the system allows.
// FAILED_PRECONDITION, naming the numbers, when `needed` exceeds the hard
// limit. Pure.
absl::StatusOr<uint64_t> PlanFdLimit(uint64_t soft, uint64_t hard,
                                     uint64_t needed);

// Raises the soft RLIMIT_NOFILE of the process to its hard limit and checks
// that max_http_connections + kFdReserve descriptors fit. Call once at
// start, before any thread is started. FAILED_PRECONDITION when they do not
// fit (the process must not start), UNAVAILABLE if the limit cannot be
// read or set.
absl::Status EnsureFdLimit(uint64_t max_http_connections);

}  // namespace mediagw

#endif  // MEDIAGW_SERVER_FD_LIMITS_H_
