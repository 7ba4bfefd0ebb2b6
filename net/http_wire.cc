#include "net/http_wire.h"

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"

namespace mediagw::net {

namespace beast = boost::beast;
namespace http = boost::beast::http;

namespace {

// RFC 9110 tchar.
bool IsToken(absl::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                    (c >= '0' && c <= '9') ||
                    absl::StrContains("!#$%&'*+-.^_`|~", c);
    if (!ok) return false;
  }
  return true;
}

bool IsSafeValue(absl::string_view s) {
  for (char c : s) {
    if (c == '\r' || c == '\n' || c == '\0') return false;
  }
  return true;
}

}  // namespace

std::string RemoteString(const boost::asio::ip::tcp::socket& socket) {
  beast::error_code ec;
  const auto ep = socket.remote_endpoint(ec);
  if (ec) return "";
  if (ep.address().is_v6()) {
    return absl::StrCat("[", ep.address().to_string(), "]:", ep.port());
  }
  return absl::StrCat(ep.address().to_string(), ":", ep.port());
}

std::string ErrorBody(absl::string_view message) {
  return absl::StrCat(R"({"success":false,"data":null,"error":")", message,
                      R"("})");
}

void AddHeaders(const HttpHeaders& headers, http::fields& out) {
  for (const auto& [name, value] : headers) {
    if (!IsToken(name) || !IsSafeValue(value)) continue;
    if (absl::EqualsIgnoreCase(name, "content-length") ||
        absl::EqualsIgnoreCase(name, "transfer-encoding") ||
        absl::EqualsIgnoreCase(name, "connection")) {
      continue;
    }
    const beast::string_view n(name.data(), name.size());
    const beast::string_view v(value.data(), value.size());
    // Known names go out in their canonical spelling.
    const http::field known = http::string_to_field(n);
    if (known != http::field::unknown) {
      out.insert(known, v);
    } else {
      out.insert(n, v);
    }
  }
}

unsigned ValidStatus(int status) {
  return status >= 100 && status <= 999 ? static_cast<unsigned>(status) : 500;
}

bool ForbidsBody(unsigned status) {
  return status < 200 || status == 204 || status == 304;
}

}  // namespace mediagw::net
