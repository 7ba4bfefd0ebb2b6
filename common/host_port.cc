#include "common/host_port.h"

#include <arpa/inet.h>
#include <netinet/in.h>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace mediagw {
namespace {

absl::Status NotHostPort(absl::string_view text) {
  return absl::InvalidArgumentError(
      absl::StrCat("'", text, "' is not host:port"));
}

bool IsPort(absl::string_view s, int* port) {
  // SimpleAtoi would take "+80" or " 80"; a port is digits only.
  if (s.empty() || s.size() > 5) return false;
  for (char c : s) {
    if (!absl::ascii_isdigit(static_cast<unsigned char>(c))) return false;
  }
  return absl::SimpleAtoi(s, port) && *port >= 0 && *port <= 65535;
}

}  // namespace

absl::StatusOr<HostPort> ParseHostPort(absl::string_view text) {
  HostPort out;
  absl::string_view port;
  if (!text.empty() && text.front() == '[') {
    const size_t close = text.find(']');
    if (close == absl::string_view::npos || close + 1 >= text.size() ||
        text[close + 1] != ':') {
      return NotHostPort(text);
    }
    out.host = std::string(text.substr(1, close - 1));
    in6_addr addr;
    if (out.host.empty() || inet_pton(AF_INET6, out.host.c_str(), &addr) != 1) {
      return NotHostPort(text);
    }
    port = text.substr(close + 2);
  } else {
    const size_t colon = text.find(':');
    if (colon == absl::string_view::npos || colon == 0 ||
        text.find(':', colon + 1) != absl::string_view::npos) {
      return NotHostPort(text);  // no port, no host, or IPv6 without []
    }
    out.host = std::string(text.substr(0, colon));
    port = text.substr(colon + 1);
  }
  if (!IsPort(port, &out.port)) return NotHostPort(text);
  return out;
}

std::string JoinHostPort(absl::string_view host, int port) {
  if (host.find(':') != absl::string_view::npos) {
    return absl::StrCat("[", host, "]:", port);
  }
  return absl::StrCat(host, ":", port);
}

}  // namespace mediagw
