// Listen addresses from configuration: "host:port" or "[ipv6]:port".
// Thread-safe, no state.
#ifndef MEDIAGW_COMMON_HOST_PORT_H_
#define MEDIAGW_COMMON_HOST_PORT_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace mediagw {

struct HostPort {
  std::string host;  // without brackets: "127.0.0.1", "::1", "localhost"
  int port = 0;      // 0..65535; 0 = the kernel picks
};

// Parses "host:port" (host: a name or IPv4 address, no ':') or
// "[addr]:port" (addr: a literal IPv6 address). The port is decimal
// digits only, 0..65535. INVALID_ARGUMENT "'<text>' is not host:port"
// otherwise; callers put the field name in front.
absl::StatusOr<HostPort> ParseHostPort(absl::string_view text);

// "host:port", with the host in brackets when it holds a ':' (IPv6), as
// URLs and gRPC targets want it.
std::string JoinHostPort(absl::string_view host, int port);

}  // namespace mediagw

#endif  // MEDIAGW_COMMON_HOST_PORT_H_
