#include "net/curl_transfer.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <algorithm>
#include <cstdint>
#include <limits>
#include <string>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "common/logging.h"
#include "common/status_macros.h"
#include "common/status_mapping.h"

namespace mediagw::net::internal {
namespace {

// curl reads 0 as "no limit", so infinite and non-positive durations map to
// 0 and tiny positive ones round up to 1 ms. Beyond ~24 days is treated as no
// limit too, keeping curl's own deadline arithmetic far from overflow.
long ToCurlMs(absl::Duration d) {
  if (d == absl::InfiniteDuration() || d <= absl::ZeroDuration()) return 0;
  int64_t ms = absl::ToInt64Milliseconds(absl::Ceil(d, absl::Milliseconds(1)));
  if (ms > std::numeric_limits<int32_t>::max()) return 0;
  return static_cast<long>(ms);
}

// CURLOPT_LOW_SPEED_TIME has one-second resolution; round up so a caller's
// 500 ms still enables the check.
long ToCurlSeconds(absl::Duration d) {
  if (d == absl::InfiniteDuration() || d <= absl::ZeroDuration()) return 0;
  int64_t s = absl::ToInt64Seconds(absl::Ceil(d, absl::Seconds(1)));
  if (s > std::numeric_limits<long>::max()) return 0;
  return static_cast<long>(s);
}

bool HasLineBreak(absl::string_view s) {
  return s.find_first_of("\r\n") != absl::string_view::npos;
}

bool IsToken(absl::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    if (c <= ' ' || c >= 127 || c == ':') return false;
  }
  return true;
}

// "1.2.3.4:80" or "[::1]:80"; "?" for families curl should never hand us.
std::string FormatSockaddr(const sockaddr* addr, size_t len) {
  char text[INET6_ADDRSTRLEN] = "?";
  if (addr->sa_family == AF_INET && len >= sizeof(sockaddr_in)) {
    const auto* in = reinterpret_cast<const sockaddr_in*>(addr);
    inet_ntop(AF_INET, &in->sin_addr, text, sizeof(text));
    return absl::StrCat(text, ":", ntohs(in->sin_port));
  }
  if (addr->sa_family == AF_INET6 && len >= sizeof(sockaddr_in6)) {
    const auto* in6 = reinterpret_cast<const sockaddr_in6*>(addr);
    inet_ntop(AF_INET6, &in6->sin6_addr, text, sizeof(text));
    return absl::StrCat("[", text, "]:", ntohs(in6->sin6_port));
  }
  return absl::StrCat("address of family ", addr->sa_family);
}

// Runs after DNS for every address curl is about to connect to, on every
// redirect hop and for each Happy Eyeballs attempt, so the filter judges the
// peer that will actually be reached rather than the name in the URL.
curl_socket_t OnOpenSocket(void* user, curlsocktype /*purpose*/,
                           curl_sockaddr* address) {
  auto* t = static_cast<CurlTransfer*>(user);
  const auto len = static_cast<size_t>(address->addrlen);
  if (!t->request.connect_filter(&address->addr, len)) {
    t->refused_address = FormatSockaddr(&address->addr, len);
    return CURL_SOCKET_BAD;  // curl tries the next address, then fails
  }
  t->allowed_address = true;
  return socket(address->family, address->socktype | SOCK_CLOEXEC,
                address->protocol);
}

// A new socket: nothing has been sent on it yet. curl's own retry of a
// request that died on a reused connection opens one too, so what was
// written to the dead connection does not count.
int OnSockopt(void* user, curl_socket_t /*fd*/, curlsocktype /*purpose*/) {
  static_cast<CurlTransfer*>(user)->request_sent = false;
  return CURL_SOCKOPT_OK;
}

// The connection is up (TLS included) and the request is about to be
// written: from here on the upstream may act on it.
int OnPrereq(void* user, char* /*remote_ip*/, char* /*local_ip*/,
             int /*remote_port*/, int /*local_port*/) {
  static_cast<CurlTransfer*>(user)->request_sent = true;
  return CURL_PREREQFUNC_OK;
}

size_t OnBody(char* data, size_t size, size_t nmemb, void* user) {
  auto* t = static_cast<CurlTransfer*>(user);
  size_t n = size * nmemb;
  int64_t limit = t->request.max_response_bytes;
  if (limit >= 0 && static_cast<int64_t>(t->response.body.size() + n) > limit) {
    t->body_too_large = true;
    return 0;  // makes curl abort with CURLE_WRITE_ERROR
  }
  t->response.body.append(data, n);
  return n;
}

size_t OnHeader(char* data, size_t size, size_t nmemb, void* user) {
  auto* t = static_cast<CurlTransfer*>(user);
  size_t n = size * nmemb;
  absl::string_view line(data, n);
  if (absl::StartsWith(line, "HTTP/")) {
    // A new status line starts a new header block (1xx interim responses,
    // a proxy's CONNECT reply, or the next redirect hop); keep only the
    // final one, and only the final response's body.
    t->response.headers.clear();
    t->response.body.clear();
    t->refused_address.clear();
    t->allowed_address = false;
    return n;
  }
  if (!line.empty() && (line[0] == ' ' || line[0] == '\t')) {
    // obs-fold continuation of the previous header.
    if (!t->response.headers.empty()) {
      std::string& value = t->response.headers.back().second;
      absl::StrAppend(&value, " ", absl::StripAsciiWhitespace(line));
    }
    return n;
  }
  size_t colon = line.find(':');
  if (colon == absl::string_view::npos) return n;  // blank line ends block
  std::string name(absl::StripAsciiWhitespace(line.substr(0, colon)));
  absl::AsciiStrToLower(&name);
  t->response.headers.emplace_back(
      std::move(name),
      std::string(absl::StripAsciiWhitespace(line.substr(colon + 1))));
  return n;
}

// True when the URL curl last worked on is not http(s): after a redirect,
// that is the Location target the protocol restriction turned down.
bool EffectiveUrlIsNotHttp(CURL* easy) {
  char* url = nullptr;
  if (curl_easy_getinfo(easy, CURLINFO_EFFECTIVE_URL, &url) != CURLE_OK ||
      url == nullptr) {
    return false;
  }
  absl::string_view u(url);
  return !absl::StartsWithIgnoreCase(u, "http://") &&
         !absl::StartsWithIgnoreCase(u, "https://");
}

absl::Status CurlCodeToStatus(CURL* easy, CURLcode code,
                              const CurlTransfer& t) {
  std::string msg = curl_easy_strerror(code);
  if (t.error[0] != '\0') absl::StrAppend(&msg, ": ", t.error);
  if (t.body_too_large || code == CURLE_FILESIZE_EXCEEDED) {
    return absl::ResourceExhaustedError(absl::StrCat(
        "response body exceeds ", t.request.max_response_bytes, " bytes"));
  }
  // A refusal shows up as a failed connect once no other address is left.
  // If the filter let another address of the hop through, that address
  // failed on its own: an ordinary connect error.
  if (code == CURLE_COULDNT_CONNECT && !t.refused_address.empty() &&
      !t.allowed_address) {
    // Which internal address a name led to is for the operator, not for
    // whoever supplied the URL (the message may reach a caller).
    MG_LOG(Warning, "connection to ", t.refused_address,
           " refused: private or reserved address");
    return absl::PermissionDeniedError("address not allowed");
  }
  if (code == CURLE_TOO_MANY_REDIRECTS) {
    return absl::FailedPreconditionError(absl::StrCat(
        "more than ", t.request.max_redirects, " redirects: ", msg));
  }
  if (code == CURLE_UNSUPPORTED_PROTOCOL && t.request.max_redirects > 0 &&
      EffectiveUrlIsNotHttp(easy)) {
    return absl::PermissionDeniedError(
        absl::StrCat("redirect to a URL that is not http(s): ", msg));
  }
  if (code == CURLE_URL_MALFORMAT && t.request.max_redirects > 0) {
    // The first URL passed ValidateUrl, so this is the upstream's Location.
    return absl::UnavailableError(absl::StrCat("bad redirect target: ", msg));
  }
  // Whether the request went out on the last connection decides if a
  // failover may resend it (see OnPrereq).
  const bool sent = t.request_sent;
  auto after_send = [sent](absl::Status s) {
    return sent ? MarkOutcomeUnknown(std::move(s)) : s;
  };
  switch (code) {
    case CURLE_OPERATION_TIMEDOUT:
      return after_send(absl::DeadlineExceededError(msg));
    case CURLE_URL_MALFORMAT:
      return absl::InvalidArgumentError(msg);
    case CURLE_OUT_OF_MEMORY:
    case CURLE_BAD_FUNCTION_ARGUMENT:
    case CURLE_UNKNOWN_OPTION:
    case CURLE_NOT_BUILT_IN:
    case CURLE_FAILED_INIT:
    case CURLE_WRITE_ERROR:
    case CURLE_READ_ERROR:
    case CURLE_ABORTED_BY_CALLBACK:
      return absl::InternalError(msg);
    default:
      // Connect/resolve failures, resets, empty or truncated replies, bad
      // status lines (curl reports HTTP/0.9 and bad codes as
      // UNSUPPORTED_PROTOCOL), TLS and HTTP/2 errors: the upstream is not
      // usable now. Whether it acted on a request that went out is
      // unknown.
      return after_send(absl::UnavailableError(msg));
  }
}

// Rejects what is the caller's mistake rather than the upstream's, so that
// curl's UNSUPPORTED_PROTOCOL later always means a bad server reply.
absl::Status ValidateUrl(const std::string& url) {
  if (HasLineBreak(url)) {
    return absl::InvalidArgumentError("URL contains a line break");
  }
  CURLU* parsed = curl_url();
  if (parsed == nullptr) return absl::InternalError("curl_url");
  CURLUcode uc = curl_url_set(parsed, CURLUPART_URL, url.c_str(), 0);
  char* scheme = nullptr;
  if (uc == CURLUE_OK) uc = curl_url_get(parsed, CURLUPART_SCHEME, &scheme, 0);
  absl::Status status;
  if (uc != CURLUE_OK) {
    status = absl::InvalidArgumentError(
        absl::StrCat("malformed URL: ", curl_url_strerror(uc)));
  } else if (!absl::EqualsIgnoreCase(scheme, "http") &&
             !absl::EqualsIgnoreCase(scheme, "https")) {
    status = absl::InvalidArgumentError(
        absl::StrCat("unsupported URL scheme \"", scheme, "\""));
  }
  curl_free(scheme);
  curl_url_cleanup(parsed);
  return status;
}

}  // namespace

absl::Status Configure(CURL* easy, CurlTransfer* t) {
  const HttpRequest& r = t->request;
  if (!IsToken(r.method)) {
    return absl::InvalidArgumentError(
        absl::StrCat("invalid HTTP method \"", absl::CEscape(r.method), "\""));
  }
  if (r.max_redirects < 0) {
    return absl::InvalidArgumentError("max_redirects is negative");
  }
  MG_RETURN_IF_ERROR(ValidateUrl(r.url));
  // Suppress "Expect: 100-continue": one round trip less, and some upstreams
  // mishandle it.
  t->header_list = curl_slist_append(t->header_list, "Expect:");
  for (const auto& [name, value] : r.headers) {
    if (!IsToken(name) || HasLineBreak(value)) {
      return absl::InvalidArgumentError(
          absl::StrCat("invalid request header \"", absl::CEscape(name), "\""));
    }
    // "Name;" is curl's spelling of a header with an empty value.
    std::string line = value.empty() ? absl::StrCat(name, ";")
                                     : absl::StrCat(name, ": ", value);
    curl_slist* next = curl_slist_append(t->header_list, line.c_str());
    if (next == nullptr) return absl::InternalError("curl_slist_append");
    t->header_list = next;
  }
  if (t->header_list == nullptr)
    return absl::InternalError("curl_slist_append");

  for (const std::string& pin : r.connect_to) {
    if (HasLineBreak(pin) || std::count(pin.begin(), pin.end(), ':') < 3) {
      return absl::InvalidArgumentError(
          absl::StrCat("connect_to entry \"", absl::CEscape(pin),
                       "\" is not host:port:connect-host:connect-port"));
    }
    curl_slist* next = curl_slist_append(t->connect_to_list, pin.c_str());
    if (next == nullptr) return absl::InternalError("curl_slist_append");
    t->connect_to_list = next;
  }

  CURLcode rc = CURLE_OK;
  auto set = [&](CURLoption opt, auto value) {
    if (rc == CURLE_OK) rc = curl_easy_setopt(easy, opt, value);
  };
  set(CURLOPT_URL, r.url.c_str());
  // Always http(s), for the first URL and every redirect target, which
  // is what http_only asks for; the field therefore changes nothing here.
  set(CURLOPT_PROTOCOLS_STR, "http,https");
  set(CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
  if (r.max_redirects > 0) {
    set(CURLOPT_FOLLOWLOCATION, 1L);
    set(CURLOPT_MAXREDIRS, static_cast<long>(r.max_redirects));
  } else {
    set(CURLOPT_FOLLOWLOCATION, 0L);
  }
  if (r.connect_filter) {
    set(CURLOPT_OPENSOCKETFUNCTION, &OnOpenSocket);
    set(CURLOPT_OPENSOCKETDATA, static_cast<void*>(t));
    // A proxy would make the filter judge the proxy instead of the target.
    set(CURLOPT_PROXY, "");
    set(CURLOPT_NOPROXY, "*");
    // A cached connection was opened by some earlier transfer, maybe one
    // without a filter (or with a laxer one): never reuse, never donate.
    set(CURLOPT_FRESH_CONNECT, 1L);
    set(CURLOPT_FORBID_REUSE, 1L);
  }
  set(CURLOPT_SOCKOPTFUNCTION, &OnSockopt);
  set(CURLOPT_SOCKOPTDATA, static_cast<void*>(t));
  set(CURLOPT_PREREQFUNCTION, &OnPrereq);
  set(CURLOPT_PREREQDATA, static_cast<void*>(t));
  set(CURLOPT_NOSIGNAL, 1L);
  set(CURLOPT_TCP_KEEPALIVE, 1L);
  set(CURLOPT_ERRORBUFFER, t->error);
  set(CURLOPT_CONNECTTIMEOUT_MS, ToCurlMs(r.connect_timeout));
  set(CURLOPT_TIMEOUT_MS, ToCurlMs(r.timeout));
  if (r.low_speed_bytes > 0) {
    set(CURLOPT_LOW_SPEED_LIMIT, static_cast<long>(r.low_speed_bytes));
    set(CURLOPT_LOW_SPEED_TIME, ToCurlSeconds(r.low_speed_time));
  }
  if (r.max_response_bytes >= 0) {
    // Rejects early when Content-Length already says too much; OnBody
    // enforces it for chunked or lying responses.
    set(CURLOPT_MAXFILESIZE_LARGE,
        static_cast<curl_off_t>(r.max_response_bytes));
  }
  set(CURLOPT_HTTPHEADER, t->header_list);
  if (!r.connect_to.empty()) set(CURLOPT_CONNECT_TO, t->connect_to_list);
  set(CURLOPT_WRITEFUNCTION, &OnBody);
  set(CURLOPT_WRITEDATA, static_cast<void*>(t));
  set(CURLOPT_HEADERFUNCTION, &OnHeader);
  set(CURLOPT_HEADERDATA, static_cast<void*>(t));

  const bool has_body = !r.body.empty();
  if (r.method == "GET" && !has_body) {
    set(CURLOPT_HTTPGET, 1L);
  } else if (r.method == "HEAD") {
    set(CURLOPT_NOBODY, 1L);
  } else {
    if (r.method == "POST" || r.method == "PUT" || r.method == "PATCH" ||
        has_body) {
      // The body outlives the transfer (owned by `t`), so no copy.
      set(CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(r.body.size()));
      set(CURLOPT_POSTFIELDS, r.body.data());
    }
    if (r.method != "POST") set(CURLOPT_CUSTOMREQUEST, r.method.c_str());
  }
  // curl sends a request again, on its own, when a reused connection dies
  // before the first reply byte: for a submit that may be a second job.
  // Requests that are not idempotent therefore always get a connection of
  // their own, and such a death reaches the caller as "outcome unknown".
  if (r.method == "POST" || r.method == "PATCH") set(CURLOPT_FRESH_CONNECT, 1L);
  if (rc != CURLE_OK) {
    return absl::InternalError(
        absl::StrCat("curl_easy_setopt: ", curl_easy_strerror(rc)));
  }
  return absl::OkStatus();
}

absl::StatusOr<HttpResponse> TakeResult(CURL* easy, CURLcode code,
                                        CurlTransfer* t) {
  if (code != CURLE_OK) return CurlCodeToStatus(easy, code, *t);
  long status = 0;
  curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &status);
  t->response.status = static_cast<int>(status);
  return std::move(t->response);
}

}  // namespace mediagw::net::internal
