#include "server/fd_limits.h"

#include <sys/resource.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "absl/strings/str_cat.h"

namespace mediagw {

absl::StatusOr<uint64_t> PlanFdLimit(uint64_t soft, uint64_t hard,
                                     uint64_t needed) {
  // Without a hard limit the kernel's fs.nr_open still caps the soft one;
  // ask for what we need rather than for infinity, which it refuses.
  if (hard == static_cast<uint64_t>(RLIM_INFINITY)) {
    return std::max(soft, needed);
  }
  if (needed > hard) {
    return absl::FailedPreconditionError(absl::StrCat(
        "server.max_http_connections needs ", needed - kFdReserve, " + ",
        kFdReserve, " = ", needed,
        " file descriptors but the hard RLIMIT_NOFILE is ", hard,
        "; lower max_http_connections or raise the limit (ulimit -Hn, "
        "systemd LimitNOFILE=)"));
  }
  return std::max(soft, hard);
}

absl::Status EnsureFdLimit(uint64_t max_http_connections) {
  struct rlimit lim;
  if (::getrlimit(RLIMIT_NOFILE, &lim) != 0) {
    return absl::UnavailableError(
        absl::StrCat("getrlimit(RLIMIT_NOFILE): ", std::strerror(errno)));
  }
  const uint64_t needed = max_http_connections + kFdReserve;
  absl::StatusOr<uint64_t> target =
      PlanFdLimit(lim.rlim_cur, lim.rlim_max, needed);
  if (!target.ok()) return target.status();
  if (*target != lim.rlim_cur) {
    lim.rlim_cur = static_cast<rlim_t>(*target);
    if (::setrlimit(RLIMIT_NOFILE, &lim) != 0) {
      return absl::UnavailableError(absl::StrCat(
          "setrlimit(RLIMIT_NOFILE, ", *target, "): ", std::strerror(errno)));
    }
  }
  return absl::OkStatus();
}

}  // namespace mediagw
