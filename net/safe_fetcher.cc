#include "net/safe_fetcher.h"

#include <arpa/inet.h>
#include <curl/curl.h>
#include <netinet/in.h>

#include <algorithm>
#include <cstring>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/cord.h"
#include "absl/strings/str_join.h"
#include "common/logging.h"

namespace mediagw::net {
namespace {

struct V4Range {
  uint32_t base;  // host byte order
  int bits;
};

// IANA special-purpose IPv4 registry, minus nothing we could want to fetch
// from: every range here is local, private, shared, documentation,
// benchmarking, multicast or reserved.
constexpr V4Range kForbiddenV4[] = {
    {0x00000000, 8},   // 0.0.0.0/8 "this network" (0.0.0.0 reaches local)
    {0x0A000000, 8},   // 10/8
    {0x64400000, 10},  // 100.64/10 carrier-grade NAT
    {0x7F000000, 8},   // 127/8
    {0xA9FE0000, 16},  // 169.254/16 link-local, cloud metadata
    {0xAC100000, 12},  // 172.16/12
    {0xC0000000, 24},  // 192.0.0/24 IETF protocol assignments
    {0xC0000200, 24},  // 192.0.2/24 TEST-NET-1
    {0xC0586300, 24},  // 192.88.99/24 6to4 relay anycast
    {0xC0A80000, 16},  // 192.168/16
    {0xC6120000, 15},  // 198.18/15 benchmarking
    {0xC6336400, 24},  // 198.51.100/24 TEST-NET-2
    {0xCB007100, 24},  // 203.0.113/24 TEST-NET-3
    {0xE0000000, 4},   // 224/4 multicast
    {0xF0000000, 4},   // 240/4 reserved, includes 255.255.255.255
};

struct V6Prefix {
  uint8_t bytes[16];
  int bits;
};

constexpr V6Prefix kForbiddenV6[] = {
    {{0xfc}, 7},                           // fc00::/7 unique local
    {{0xfe, 0x80}, 10},                    // fe80::/10 link-local
    {{0xfe, 0xc0}, 10},                    // fec0::/10 site-local
    {{0xff}, 8},                           // ff00::/8 multicast
    {{0x01, 0x00, 0, 0, 0, 0, 0, 0}, 64},  // 100::/64 discard
    {{0x20, 0x01, 0x00, 0x00}, 32},        // 2001::/32 Teredo
    {{0x20, 0x01, 0x0d, 0xb8}, 32},        // 2001:db8::/32 documentation
    {{0x00, 0x64, 0xff, 0x9b, 0, 1}, 48},  // 64:ff9b:1::/48 local NAT64
};

// Prefixes whose last 32 bits are an IPv4 address reached through them.
constexpr V6Prefix kEmbedsV4[] = {
    {{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff}, 96},  // ::ffff:0:0/96 mapped
    {{0}, 96},  // ::/96 IPv4-compatible; :: and ::1 are 0.0.0.0 and 0.0.0.1
    {{0x00, 0x64, 0xff, 0x9b}, 96},  // 64:ff9b::/96 NAT64
};

bool HasPrefix(const uint8_t* addr, const V6Prefix& p) {
  const int whole = p.bits / 8;
  if (std::memcmp(addr, p.bytes, whole) != 0) return false;
  const int rest = p.bits % 8;
  if (rest == 0) return true;
  const auto mask = static_cast<uint8_t>(0xff << (8 - rest));
  return (addr[whole] & mask) == (p.bytes[whole] & mask);
}

uint32_t LoadV4(const uint8_t* b) {
  return (uint32_t{b[0]} << 24) | (uint32_t{b[1]} << 16) |
         (uint32_t{b[2]} << 8) | uint32_t{b[3]};
}

bool IsForbiddenV4(const uint8_t* b) {
  const uint32_t a = LoadV4(b);
  for (const V4Range& r : kForbiddenV4) {
    const uint32_t mask = r.bits == 0 ? 0 : ~uint32_t{0} << (32 - r.bits);
    if ((a & mask) == r.base) return true;
  }
  return false;
}

bool IsForbiddenV6(const uint8_t* b) {
  for (const V6Prefix& p : kEmbedsV4) {
    if (HasPrefix(b, p)) return IsForbiddenV4(b + 12);
  }
  if (b[0] == 0x20 && b[1] == 0x02) return IsForbiddenV4(b + 2);  // 6to4
  for (const V6Prefix& p : kForbiddenV6) {
    if (HasPrefix(b, p)) return true;
  }
  return false;
}

bool IsV4Mapped(const uint8_t* b) { return HasPrefix(b, kEmbedsV4[0]); }

// An address in one comparable shape: IPv4-mapped IPv6 becomes IPv4.
struct Peer {
  int family = AF_UNSPEC;
  uint8_t bytes[16] = {0};
  uint16_t port = 0;  // 0 = any, in allowlist entries
};

bool PeerFromSockaddr(const sockaddr* addr, size_t len, Peer* out) {
  if (addr == nullptr) return false;
  if (addr->sa_family == AF_INET && len >= sizeof(sockaddr_in)) {
    const auto* in = reinterpret_cast<const sockaddr_in*>(addr);
    out->family = AF_INET;
    std::memcpy(out->bytes, &in->sin_addr, 4);
    out->port = ntohs(in->sin_port);
    return true;
  }
  if (addr->sa_family == AF_INET6 && len >= sizeof(sockaddr_in6)) {
    const auto* in6 = reinterpret_cast<const sockaddr_in6*>(addr);
    const uint8_t* b = in6->sin6_addr.s6_addr;
    if (IsV4Mapped(b)) {
      out->family = AF_INET;
      std::memcpy(out->bytes, b + 12, 4);
    } else {
      out->family = AF_INET6;
      std::memcpy(out->bytes, b, 16);
    }
    out->port = ntohs(in6->sin6_port);
    return true;
  }
  return false;
}

// Numeric address text (no brackets) into `out`; false if it is none.
bool ParseIp(const std::string& text, Peer* out) {
  if (text.find('\0') != std::string::npos) return false;
  if (inet_pton(AF_INET, text.c_str(), out->bytes) == 1) {
    out->family = AF_INET;
    return true;
  }
  uint8_t b[16];
  if (inet_pton(AF_INET6, text.c_str(), b) != 1) return false;
  if (IsV4Mapped(b)) {
    out->family = AF_INET;
    std::memcpy(out->bytes, b + 12, 4);
  } else {
    out->family = AF_INET6;
    std::memcpy(out->bytes, b, 16);
  }
  return true;
}

bool IsForbiddenPeer(const Peer& p) {
  if (p.family == AF_INET) return IsForbiddenV4(p.bytes);
  if (p.family == AF_INET6) return IsForbiddenV6(p.bytes);
  return true;
}

// "ip", "ip:port", "[v6]" or "[v6]:port".
absl::StatusOr<Peer> ParseAllowEntry(absl::string_view entry) {
  auto bad = [&](absl::string_view why) {
    return absl::InvalidArgumentError(absl::StrCat(
        "allow_addresses entry \"", absl::CEscape(entry), "\": ", why));
  };
  absl::string_view host = entry;
  absl::string_view port;
  if (absl::StartsWith(entry, "[")) {
    const size_t close = entry.find(']');
    if (close == absl::string_view::npos) return bad("missing ']'");
    host = entry.substr(1, close - 1);
    absl::string_view rest = entry.substr(close + 1);
    if (!rest.empty()) {
      if (rest[0] != ':') return bad("expected ':port' after ']'");
      port = rest.substr(1);
      if (port.empty()) return bad("empty port");
    }
  } else if (std::count(entry.begin(), entry.end(), ':') == 1) {
    const size_t colon = entry.find(':');
    host = entry.substr(0, colon);
    port = entry.substr(colon + 1);
    if (port.empty()) return bad("empty port");
  }
  Peer peer;
  if (!ParseIp(std::string(host), &peer)) {
    return bad("not a numeric IPv4 or IPv6 address");
  }
  if (host.size() != entry.size() && absl::StartsWith(entry, "[") &&
      host.find(':') == absl::string_view::npos) {
    return bad("brackets are for IPv6 addresses");
  }
  if (!port.empty()) {
    uint32_t n = 0;
    if (!std::all_of(port.begin(), port.end(), absl::ascii_isdigit) ||
        !absl::SimpleAtoi(port, &n) || n == 0 || n > 65535) {
      return bad("port must be 1..65535");
    }
    peer.port = static_cast<uint16_t>(n);
  }
  return peer;
}

// The media type of a Content-Type value, lower-cased, without parameters.
std::string MediaType(absl::string_view content_type) {
  std::string type(absl::StripAsciiWhitespace(
      content_type.substr(0, content_type.find(';'))));
  absl::AsciiStrToLower(&type);
  return type;
}

// The text between the first "://" and the path, query or fragment.
absl::string_view Authority(absl::string_view url) {
  const size_t start = url.find("://");
  if (start == absl::string_view::npos) return {};
  absl::string_view rest = url.substr(start + 3);
  return rest.substr(0, rest.find_first_of("/?#"));
}

struct UrlParts {
  std::string scheme;
  std::string host;  // IPv6 in brackets; IPv4 numbers normalised by curl
  uint16_t port = 0;
  bool has_userinfo = false;
};

// curl's own parser, so that what is checked is what the client connects to.
absl::StatusOr<UrlParts> ParseWithCurl(const std::string& url) {
  std::unique_ptr<CURLU, void (*)(CURLU*)> h(curl_url(), &curl_url_cleanup);
  if (h == nullptr) return absl::InternalError("curl_url");
  CURLUcode uc = curl_url_set(h.get(), CURLUPART_URL, url.c_str(),
                              CURLU_NON_SUPPORT_SCHEME);
  if (uc != CURLUE_OK) {
    return absl::InvalidArgumentError(
        absl::StrCat("malformed URL: ", curl_url_strerror(uc)));
  }
  auto get = [&](CURLUPart part, unsigned flags, std::string* out) {
    char* value = nullptr;
    if (curl_url_get(h.get(), part, &value, flags) != CURLUE_OK) return false;
    *out = value;
    curl_free(value);
    return true;
  };
  UrlParts parts;
  std::string ignored;
  std::string port;
  get(CURLUPART_SCHEME, 0, &parts.scheme);
  get(CURLUPART_HOST, 0, &parts.host);
  parts.has_userinfo = get(CURLUPART_USER, 0, &ignored) ||
                       get(CURLUPART_PASSWORD, 0, &ignored) ||
                       get(CURLUPART_OPTIONS, 0, &ignored);
  uint32_t n = 0;
  if (get(CURLUPART_PORT, CURLU_DEFAULT_PORT, &port) &&
      absl::SimpleAtoi(port, &n) && n <= 65535) {
    parts.port = static_cast<uint16_t>(n);
  }
  return parts;
}

// The addresses a host is known to mean without asking DNS: an IP literal
// (also with a trailing dot, which curl hands to the resolver), or a
// "localhost" name, which curl resolves itself to both loopbacks.
std::vector<Peer> KnownPeers(absl::string_view host, uint16_t port) {
  if (absl::StartsWith(host, "[") && absl::EndsWith(host, "]")) {
    host = host.substr(1, host.size() - 2);
  }
  if (absl::EndsWith(host, ".")) host.remove_suffix(1);
  std::vector<Peer> peers;
  Peer peer;
  if (ParseIp(std::string(host), &peer)) {
    peers.push_back(peer);
  } else if (absl::EqualsIgnoreCase(host, "localhost") ||
             absl::EndsWithIgnoreCase(host, ".localhost")) {
    ParseIp("127.0.0.1", &peer);
    peers.push_back(peer);
    ParseIp("::1", &peer);
    peers.push_back(peer);
  }
  for (Peer& p : peers) p.port = port;
  return peers;
}

}  // namespace

bool IsForbiddenAddress(const sockaddr* addr, size_t len) {
  Peer peer;
  if (!PeerFromSockaddr(addr, len, &peer)) return true;
  return IsForbiddenPeer(peer);
}

bool IsForbiddenAddress(absl::string_view ip) {
  Peer peer;
  if (!ParseIp(std::string(ip), &peer)) return true;
  return IsForbiddenPeer(peer);
}

// What a request needs after Send returned: shared by the fetcher and every
// filter and completion callback it handed out.
class SafeFetcher::Policy {
 public:
  Policy(std::vector<Peer> allow, std::vector<std::string> content_types)
      : allow_(std::move(allow)), content_types_(std::move(content_types)) {}

  bool Allows(const Peer& peer) const {
    if (!IsForbiddenPeer(peer)) return true;
    for (const Peer& a : allow_) {
      const size_t n = a.family == AF_INET ? 4 : 16;
      if (a.family == peer.family && std::memcmp(a.bytes, peer.bytes, n) == 0 &&
          (a.port == 0 || a.port == peer.port)) {
        return true;
      }
    }
    return false;
  }

  bool Allows(const sockaddr* addr, size_t len) const {
    Peer peer;
    return PeerFromSockaddr(addr, len, &peer) && Allows(peer);
  }

  absl::Status CheckContentType(const HttpResponse& response) const {
    const std::string type = MediaType(response.Header("content-type"));
    if (type.empty() || content_types_.empty()) return absl::OkStatus();
    for (const std::string& prefix : content_types_) {
      if (absl::StartsWith(type, prefix)) return absl::OkStatus();
    }
    return absl::FailedPreconditionError(absl::StrCat(
        "fetched content type \"", absl::CEscape(type.substr(0, 100)),
        "\" is not one of: ", absl::StrJoin(content_types_, ", ")));
  }

 private:
  const std::vector<Peer> allow_;
  const std::vector<std::string> content_types_;  // lower-case
};

absl::StatusOr<std::unique_ptr<SafeFetcher>> SafeFetcher::Create(
    HttpClient* client, Options options) {
  if (client == nullptr) return absl::InvalidArgumentError("client is null");
  if (options.max_bytes <= 0) {
    return absl::InvalidArgumentError("max_bytes must be positive");
  }
  if (options.timeout <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError("timeout must be positive");
  }
  if (options.max_redirects < 0) {
    return absl::InvalidArgumentError("max_redirects must not be negative");
  }
  std::vector<Peer> allow;
  for (const std::string& entry : options.allow_addresses) {
    absl::StatusOr<Peer> peer = ParseAllowEntry(entry);
    if (!peer.ok()) return peer.status();
    allow.push_back(*peer);
  }
  std::vector<std::string> types;
  for (const std::string& prefix : options.allowed_content_types) {
    // An empty prefix would silently allow every type.
    if (prefix.empty()) {
      return absl::InvalidArgumentError("empty allowed_content_types entry");
    }
    types.push_back(absl::AsciiStrToLower(prefix));
  }
  auto policy =
      std::make_shared<const Policy>(std::move(allow), std::move(types));
  return std::unique_ptr<SafeFetcher>(
      new SafeFetcher(client, std::move(options), std::move(policy)));
}

SafeFetcher::SafeFetcher(HttpClient* client, Options options,
                         std::shared_ptr<const Policy> policy)
    : client_(client),
      options_(std::move(options)),
      policy_(std::move(policy)) {}

SafeFetcher::~SafeFetcher() = default;

absl::Status SafeFetcher::CheckUrl(absl::string_view url) const {
  return CheckUrlAgainst(*policy_, url);
}

absl::Status SafeFetcher::CheckUrlAgainst(const Policy& policy,
                                          absl::string_view url) {
  if (url.empty()) return absl::InvalidArgumentError("empty URL");
  if (url.size() > kMaxFetchUrlBytes) {
    return absl::InvalidArgumentError(
        absl::StrCat("URL longer than ", kMaxFetchUrlBytes, " bytes"));
  }
  for (char c : url) {
    const auto b = static_cast<unsigned char>(c);
    if (b <= 0x20 || b == 0x7f) {
      return absl::InvalidArgumentError(
          "URL contains a space or control character");
    }
  }
  absl::StatusOr<UrlParts> parts = ParseWithCurl(std::string(url));
  if (!parts.ok()) return parts.status();
  if (!absl::EqualsIgnoreCase(parts->scheme, "http") &&
      !absl::EqualsIgnoreCase(parts->scheme, "https")) {
    return absl::InvalidArgumentError(
        absl::StrCat("URL scheme \"", absl::CEscape(parts->scheme),
                     "\" is not allowed; only http and https"));
  }
  // The raw text is checked too, because curl is lenient: it reads
  // "http:///x" as host "x" and "http:x" as a host without slashes.
  if (!absl::StartsWithIgnoreCase(url, "http://") &&
      !absl::StartsWithIgnoreCase(url, "https://")) {
    return absl::InvalidArgumentError(
        "URL must start with http:// or https://");
  }
  const absl::string_view authority = Authority(url);
  if (parts->has_userinfo || absl::StrContains(authority, '@')) {
    // "http://trusted@evil/" reads as trusted to a human; and credentials
    // have no business in a fetched URL.
    return absl::InvalidArgumentError("URL must not contain user info");
  }
  if (parts->host.empty() || authority.empty()) {
    return absl::InvalidArgumentError("URL has no host");
  }
  const std::vector<Peer> peers = KnownPeers(parts->host, parts->port);
  if (!peers.empty() &&
      std::none_of(peers.begin(), peers.end(),
                   [&](const Peer& p) { return policy.Allows(p); })) {
    MG_LOG(Warning, "fetch refused: URL host ", absl::CEscape(parts->host),
           " is a private or reserved address");
    return absl::PermissionDeniedError("address not allowed");
  }
  return absl::OkStatus();
}

std::function<bool(const sockaddr*, size_t)> SafeFetcher::ConnectFilter()
    const {
  return [policy = policy_](const sockaddr* addr, size_t len) {
    return policy->Allows(addr, len);
  };
}

// One fetch across its redirect hops. curl is never asked to follow a
// redirect: it ignores CURLOPT_FRESH_CONNECT on hops it follows, so such a
// hop could ride a pooled keep-alive connection of the shared client that
// the connect filter never judged. Each hop here is a request of its own,
// with a fresh, filtered connection and the URL check applied again.
struct SafeFetcher::Hop {
  HttpClient* client;
  std::shared_ptr<const Policy> policy;
  int max_redirects;
  int redirects = 0;
  absl::Time deadline;
  HttpRequest request;
  HttpCallback done;
};

namespace {

// The wrapped client's transport errors quote what curl saw, such as the
// address and port a name resolved to ("Failed to connect to 10.0.0.5 port
// 6379"). Those stay in the log; the caller gets the code (and any payload,
// e.g. whether the request went out) with a message that names nothing.
absl::Status ForCaller(const absl::Status& status) {
  absl::string_view text;
  switch (status.code()) {
    case absl::StatusCode::kUnavailable:
      text = "the server could not be reached or broke off the transfer";
      break;
    case absl::StatusCode::kDeadlineExceeded:
      text = "the download timed out";
      break;
    case absl::StatusCode::kInternal:
      text = "the download failed";
      break;
    default:
      // Our own messages (address not allowed, size and type limits).
      return status;
  }
  MG_LOG(Info, "fetch failed: ", status.ToString());
  absl::Status out(status.code(), text);
  status.ForEachPayload([&out](absl::string_view type_url,
                               const absl::Cord& payload) {
    out.SetPayload(type_url, payload);
  });
  return out;
}

bool IsRedirect(int status) {
  return status == 301 || status == 302 || status == 303 || status == 307 ||
         status == 308;
}

// `location` resolved against the URL it answered, as a browser would.
absl::StatusOr<std::string> ResolveLocation(const std::string& base,
                                            absl::string_view location) {
  std::unique_ptr<CURLU, void (*)(CURLU*)> h(curl_url(), &curl_url_cleanup);
  if (h == nullptr) return absl::InternalError("curl_url");
  const std::string loc(location);
  char* out = nullptr;
  if (curl_url_set(h.get(), CURLUPART_URL, base.c_str(),
                   CURLU_NON_SUPPORT_SCHEME) != CURLUE_OK ||
      curl_url_set(h.get(), CURLUPART_URL, loc.c_str(),
                   CURLU_NON_SUPPORT_SCHEME) != CURLUE_OK ||
      curl_url_get(h.get(), CURLUPART_URL, &out, 0) != CURLUE_OK) {
    return absl::UnavailableError(absl::StrCat(
        "bad redirect target \"", absl::CEscape(loc.substr(0, 200)), "\""));
  }
  std::string resolved = out;
  curl_free(out);
  return resolved;
}

}  // namespace

void SafeFetcher::Send(HttpRequest request, HttpCallback done) {
  absl::Status checked = CheckUrl(request.url);
  if (!checked.ok()) {
    done(std::move(checked));
    return;
  }
  request.max_redirects = 0;
  request.http_only = true;
  request.connect_filter = ConnectFilter();
  if (request.max_response_bytes < 0 ||
      request.max_response_bytes > options_.max_bytes) {
    request.max_response_bytes = options_.max_bytes;
  }
  // Zero and infinite both mean "no limit" to the client.
  if (request.timeout <= absl::ZeroDuration() ||
      request.timeout > options_.timeout) {
    request.timeout = options_.timeout;
  }
  auto hop = std::make_shared<Hop>();
  hop->client = client_;
  hop->policy = policy_;
  hop->max_redirects = options_.max_redirects;
  hop->deadline = absl::Now() + request.timeout;
  hop->request = std::move(request);
  hop->done = std::move(done);
  SendHop(std::move(hop));
}

void SafeFetcher::SendHop(std::shared_ptr<Hop> hop) {
  HttpClient* client = hop->client;
  HttpRequest request = hop->request;
  client->Send(std::move(request),
               [hop = std::move(hop)](absl::StatusOr<HttpResponse> result) {
                 if (!result.ok()) {
                   hop->done(ForCaller(result.status()));
                   return;
                 }
                 const absl::string_view location = result->Header("location");
                 if (hop->max_redirects > 0 && IsRedirect(result->status) &&
                     !location.empty()) {
                   FollowRedirect(std::move(hop), result->status, location);
                   return;
                 }
                 if (result->status >= 200 && result->status < 300) {
                   absl::Status type_ok =
                       hop->policy->CheckContentType(*result);
                   if (!type_ok.ok()) {
                     hop->done(std::move(type_ok));
                     return;
                   }
                 }
                 hop->done(std::move(result));
               });
}

void SafeFetcher::FollowRedirect(std::shared_ptr<Hop> hop, int status,
                                 absl::string_view location) {
  if (hop->redirects >= hop->max_redirects) {
    hop->done(absl::FailedPreconditionError(
        absl::StrCat("more than ", hop->max_redirects, " redirects")));
    return;
  }
  absl::StatusOr<std::string> next =
      ResolveLocation(hop->request.url, location);
  if (!next.ok()) {
    hop->done(next.status());
    return;
  }
  absl::Status allowed = CheckUrlAgainst(*hop->policy, *next);
  absl::StatusOr<UrlParts> to = ParseWithCurl(*next);
  if (!allowed.ok() || !to.ok()) {
    const std::string where = to.ok() ? absl::StrCat(to->host, ":", to->port)
                                      : absl::CEscape(next->substr(0, 200));
    MG_LOG(Warning, "fetch refused: redirect to ", where, ": ",
           allowed.ok() ? to.status().message() : allowed.message());
    hop->done(absl::PermissionDeniedError("redirect target not allowed"));
    return;
  }
  const absl::Duration left = hop->deadline - absl::Now();
  if (left <= absl::ZeroDuration()) {
    hop->done(absl::DeadlineExceededError("fetch timed out while redirected"));
    return;
  }
  HttpRequest& r = hop->request;
  absl::StatusOr<UrlParts> from = ParseWithCurl(r.url);
  // As curl does: credentials stay with the host they were meant for, and
  // 303 (or 301/302 after a POST) turns the request into a GET.
  if (!from.ok() || from->host != to->host || from->port != to->port) {
    r.headers.erase(std::remove_if(r.headers.begin(), r.headers.end(),
                                   [](const auto& h) {
                                     return absl::EqualsIgnoreCase(
                                                h.first, "authorization") ||
                                            absl::EqualsIgnoreCase(h.first,
                                                                   "cookie");
                                   }),
                    r.headers.end());
  }
  if (status == 303 ||
      ((status == 301 || status == 302) && r.method == "POST")) {
    r.method = "GET";
    r.body.clear();
  }
  r.url = *std::move(next);
  r.timeout = left;
  ++hop->redirects;
  SendHop(std::move(hop));
}

}  // namespace mediagw::net
