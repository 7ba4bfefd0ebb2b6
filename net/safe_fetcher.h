// SafeFetcher: an HttpClient for URLs we did not configure ourselves
// (upstream result URLs, caller-supplied input-image URLs). It guards against
// server-side request forgery in two layers:
//  1. Before anything goes out, the URL must be http or https (any case),
//     without user info, with a host, at most kMaxFetchUrlBytes long; a host
//     written as an IP literal (in any spelling curl accepts, e.g. 2130706433
//     or 0x7f.1) must pass the address policy below.
//  2. Every address the wrapped client is about to connect to, after DNS,
//     must pass the address policy (installed as HttpRequest::connect_filter
//     on a fresh connection that is never reused). This is the layer that
//     matters: it sees what names resolve to, so DNS tricks cannot reach a
//     banned address.
// Redirects are followed here, not by curl (which would let a hop reuse a
// pooled connection of the shared client): each hop's URL goes through
// layer 1 again and is fetched as a new request through layer 2.
// The address policy refuses IsForbiddenAddress() addresses unless they are
// on the allowlist (Options::allow_addresses).
//
// Threading: Send is thread-safe. `done` runs once, on the wrapped client's
// loop thread, except when the URL check fails: then it runs inline on the
// calling thread before Send returns.
//
// Ownership: the wrapped client is not owned and must outlive the fetcher and
// every transfer it started. The fetcher itself may be destroyed while its
// transfers are in flight (each request holds its own copy of the policy).
//
// Status codes passed to `done`, besides the wrapped client's own
// (UNAVAILABLE, DEADLINE_EXCEEDED, CANCELLED, INTERNAL; see
// net/curl_multi_client.h):
//  - INVALID_ARGUMENT: the URL is malformed, too long, not http(s), has user
//    info or no host.
//  - PERMISSION_DENIED: the URL's IP literal, or an address the host resolved
//    to on any hop, is private or reserved and not allowlisted; or a redirect
//    led to a URL that fails the URL check (e.g. a scheme other than
//    http(s)).
//  - UNAVAILABLE also when a redirect's Location is not a URL.
//  - FAILED_PRECONDITION: more than max_redirects redirects, or a 2xx reply
//    whose Content-Type is not allowed (the message names the type).
//  - RESOURCE_EXHAUSTED: the body is over max_bytes.
// Error messages never name an address or port that a host resolved to or
// that a refused redirect led to (they may reach callers in task errors):
// a refusal reads "address not allowed" or "redirect target not allowed",
// and transport errors of the wrapped client get a fixed text per code (its
// payloads kept). The details go to the log (common/logging.h).
//  - OK: any other reply, including 3xx (when a Location is missing), 4xx and
//    5xx; the caller judges the status.
//
// Request headers go to every redirect hop, except Authorization and Cookie
// when the host or port changes. 303, and 301/302 after a POST, continue as
// a GET without a body.
#ifndef MEDIAGW_NET_SAFE_FETCHER_H_
#define MEDIAGW_NET_SAFE_FETCHER_H_

#include <sys/socket.h>

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "core/http_client.h"

namespace mediagw::net {

inline constexpr size_t kMaxFetchUrlBytes = 8192;

// True for addresses a fetch must not reach: IPv4 0/8, 10/8, 100.64/10,
// 127/8, 169.254/16, 172.16/12, 192.0.0/24, 192.0.2/24, 192.88.99/24,
// 192.168/16, 198.18/15, 198.51.100/24, 203.0.113/24, 224/4, 240/4 (with
// 255.255.255.255); IPv6 ::, ::1, fc00::/7, fe80::/10, fec0::/10, ff00::/8,
// 100::/64, 2001::/32 (Teredo), 2001:db8::/32, 64:ff9b:1::/48, and for
// ::ffff:0:0/96, ::/96, 64:ff9b::/96 and 2002::/16 whatever the embedded IPv4
// address is. Families other than AF_INET and AF_INET6, and a `len` too short
// for the family, are forbidden too. Pure; thread-safe.
bool IsForbiddenAddress(const struct sockaddr* addr, size_t len);
// The same for a numeric address ("10.0.0.1", "::1"; no brackets, no port).
// Text that is not an address is forbidden.
bool IsForbiddenAddress(absl::string_view ip);

class SafeFetcher : public HttpClient {
 public:
  struct Options {
    // Cap on the response body (RESOURCE_EXHAUSTED beyond). > 0.
    int64_t max_bytes = int64_t{64} << 20;
    // Cap on the whole transfer, redirects included. > 0.
    absl::Duration timeout = absl::Seconds(120);
    // Redirects followed; 0 = a 3xx is returned as the response. >= 0.
    int max_redirects = 3;
    // A 2xx reply's media type (before any ';') must start with one of these
    // (ASCII case-insensitive). A missing or empty Content-Type is allowed:
    // the caller sniffs the bytes anyway. An empty list allows every type
    // (webhook receivers answer what they like).
    std::vector<std::string> allowed_content_types = {
        "image/", "video/", "application/octet-stream", "binary/octet-stream"};
    // Addresses exempt from the ban: "ip" (any port) or "ip:port", IPv4 or
    // IPv6 ("127.0.0.1:43211", "::1", "[::1]:8188"). An IPv4-mapped IPv6
    // peer (::ffff:a.b.c.d) matches an IPv4 entry.
    std::vector<std::string> allow_addresses;
  };

  // INVALID_ARGUMENT for an allowlist entry that is not an address, or an
  // option out of range. `client` is not owned (see above); not null.
  static absl::StatusOr<std::unique_ptr<SafeFetcher>> Create(HttpClient* client,
                                                             Options options);

  ~SafeFetcher() override;
  SafeFetcher(const SafeFetcher&) = delete;
  SafeFetcher& operator=(const SafeFetcher&) = delete;

  // Checks request.url, then sends through the wrapped client with
  // http_only and connect_filter set, redirects followed here (up to the
  // options' max_redirects; the timeout covers every hop), and
  // max_response_bytes and timeout lowered to the options' caps (a request
  // may ask for less; the HttpRequest default timeout of 60 s is below the
  // default cap). Other fields pass through unchanged.
  void Send(HttpRequest request, HttpCallback done) override;

  // Layer 1 alone: OK, or the INVALID_ARGUMENT / PERMISSION_DENIED that Send
  // would report without sending. Thread-safe.
  absl::Status CheckUrl(absl::string_view url) const;

  // Layer 2 alone: the connect_filter Send installs. It holds its own copy
  // of the policy, so it may outlive the fetcher. Thread-safe.
  std::function<bool(const struct sockaddr*, size_t)> ConnectFilter() const;

 private:
  class Policy;
  struct Hop;
  static absl::Status CheckUrlAgainst(const Policy& policy,
                                      absl::string_view url);
  // Sends hop->request; on the loop thread, follows a redirect or finishes.
  static void SendHop(std::shared_ptr<Hop> hop);
  static void FollowRedirect(std::shared_ptr<Hop> hop, int status,
                             absl::string_view location);
  SafeFetcher(HttpClient* client, Options options,
              std::shared_ptr<const Policy> policy);

  HttpClient* const client_;
  const Options options_;
  const std::shared_ptr<const Policy> policy_;
};

}  // namespace mediagw::net

#endif  // MEDIAGW_NET_SAFE_FETCHER_H_
