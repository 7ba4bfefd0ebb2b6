// Internal to net/: small pieces of HTTP/1.1 framing shared by the session
// code. Pure functions; thread-safe.
#ifndef MEDIAGW_NET_HTTP_WIRE_H_
#define MEDIAGW_NET_HTTP_WIRE_H_

#include <string>

#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/http/fields.hpp>

#include "absl/strings/string_view.h"
#include "core/http_client.h"  // HttpHeaders

namespace mediagw::net {

inline constexpr char kServerName[] = "mediagw";

// "ip:port" ("[ip]:port" for IPv6) of the peer, or "" if unknown.
std::string RemoteString(const boost::asio::ip::tcp::socket& socket);

// The legacy JSON error envelope: {"success":false,"data":null,"error":...}.
// `message` must not need JSON escaping (it is one of our constants).
std::string ErrorBody(absl::string_view message);

// Appends handler-supplied headers. Drops the framing headers the server
// owns (Content-Length, Transfer-Encoding, Connection), names that are not
// HTTP tokens and values with CR, LF or NUL (header injection).
void AddHeaders(const HttpHeaders& headers, boost::beast::http::fields& out);

// `status` if it is a three-digit code, else 500 (Beast throws otherwise).
unsigned ValidStatus(int status);

// 1xx, 204 and 304 responses have no body.
bool ForbidsBody(unsigned status);

}  // namespace mediagw::net

#endif  // MEDIAGW_NET_HTTP_WIRE_H_
