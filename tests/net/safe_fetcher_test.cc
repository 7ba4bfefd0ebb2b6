// SafeFetcher end to end over loopback with the real CurlMultiClient: the
// SSRF refusal table against a canary listener, redirects, the allowlist and
// the size, type and time limits.
#include "net/safe_fetcher.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <memory>
#include <regex>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "net/curl_multi_client.h"
#include "tests/fakes/fake_upstream.h"
#include "tests/net/fetch_test_util.h"

namespace mediagw::net {
namespace {

using fakes::FakeUpstream;
using fakes::ScriptedReply;
using testing::CanaryListener;
using ::testing::HasSubstr;
using testing::SendSync;
using testing::ShortGet;

constexpr char kPng[] = "\x89PNG\r\n\x1a\n-not-really-a-png";

std::unique_ptr<SafeFetcher> MakeFetcher(HttpClient* client,
                                         SafeFetcher::Options options = {}) {
  auto fetcher = SafeFetcher::Create(client, std::move(options));
  if (!fetcher.ok()) std::abort();
  return *std::move(fetcher);
}

SafeFetcher::Options AllowOnly(const FakeUpstream& upstream) {
  SafeFetcher::Options o;
  o.allow_addresses = {absl::StrCat("127.0.0.1:", upstream.port())};
  return o;
}

ScriptedReply Png() {
  return ScriptedReply::Respond(200, kPng, {{"Content-Type", "image/png"}});
}

ScriptedReply RedirectTo(std::string location) {
  return ScriptedReply::Respond(302, "", {{"Location", std::move(location)}});
}

enum class Expect { kDenied, kInvalid };

struct Row {
  std::string url;
  Expect expect;
  std::vector<std::string> connect_to = {};  // names pinned for this row
};

// Host names that this machine's resolver maps to a loopback address without
// any network (e.g. the host's own name in /etc/hosts).
std::vector<std::string> LoopbackNamesFromHosts() {
  std::vector<std::string> candidates = {"localhost.localdomain",
                                         "ip6-localhost", "ip6-loopback"};
  char own[256] = {0};
  if (gethostname(own, sizeof(own) - 1) == 0 && own[0] != '\0') {
    candidates.push_back(own);
  }
  std::vector<std::string> names;
  for (const std::string& name : candidates) {
    addrinfo hints{};
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_NUMERICSERV;
    addrinfo* res = nullptr;
    if (getaddrinfo(name.c_str(), "80", &hints, &res) != 0) continue;
    bool all_forbidden = res != nullptr;
    for (addrinfo* ai = res; ai != nullptr; ai = ai->ai_next) {
      all_forbidden &= IsForbiddenAddress(ai->ai_addr, ai->ai_addrlen);
    }
    freeaddrinfo(res);
    if (all_forbidden) names.push_back(name);
  }
  return names;
}

// Every spelling here must be refused without a single connection to the
// canary. {P} is the canary's port.
std::vector<Row> RefusalTable(int port) {
  std::vector<Row> rows = {
      {"http://127.0.0.1:{P}/", Expect::kDenied},
      {"http://2130706433:{P}/", Expect::kDenied},
      {"http://0x7f000001:{P}/", Expect::kDenied},
      {"http://0177.0.0.1:{P}/", Expect::kDenied},
      {"http://017700000001:{P}/", Expect::kDenied},
      {"http://0x7f.1:{P}/", Expect::kDenied},
      {"http://0x7f.0x0.0x0.0x1:{P}/", Expect::kDenied},
      {"http://127.000.000.001:{P}/", Expect::kDenied},
      {"http://127.1:{P}/", Expect::kDenied},
      {"http://127.0.0.1.:{P}/", Expect::kDenied},
      {"http://0:{P}/", Expect::kDenied},
      {"http://0.0.0.0:{P}/", Expect::kDenied},
      {"http://[::]:{P}/", Expect::kDenied},
      {"http://[::1]:{P}/", Expect::kDenied},
      {"http://[::ffff:127.0.0.1]:{P}/", Expect::kDenied},
      {"http://[::ffff:7f00:1]:{P}/", Expect::kDenied},
      {"http://[0:0:0:0:0:ffff:127.0.0.1]:{P}/", Expect::kDenied},
      {"http://[::127.0.0.1]:{P}/", Expect::kDenied},
      {"http://[64:ff9b::7f00:1]:{P}/", Expect::kDenied},
      {"http://[2002:7f00:1::1]:{P}/", Expect::kDenied},
      {"http://[::1%25lo]:{P}/", Expect::kDenied},
      {"http://localhost:{P}/", Expect::kDenied},
      {"http://localhost.:{P}/", Expect::kDenied},
      {"http://LOCALHOST:{P}/", Expect::kDenied},
      {"http://LocalHost:{P}/", Expect::kDenied},
      {"http://169.254.169.254/latest/meta-data/", Expect::kDenied},
      {"http://[::ffff:a9fe:a9fe]/latest/meta-data/", Expect::kDenied},
      {"http://[fe80::1]:{P}/", Expect::kDenied},
      {"http://[fc00::1]:{P}/", Expect::kDenied},
      {"http://[ff02::1]:{P}/", Expect::kDenied},
      {"http://10.0.0.1:{P}/", Expect::kDenied},
      {"http://192.168.1.1:{P}/", Expect::kDenied},
      {"http://172.16.0.1:{P}/", Expect::kDenied},
      {"http://172.31.255.254:{P}/", Expect::kDenied},
      {"http://100.64.0.1:{P}/", Expect::kDenied},
      {"http://224.0.0.1:{P}/", Expect::kDenied},
      {"http://255.255.255.255:{P}/", Expect::kDenied},
      {"HTTP://127.0.0.1:{P}/", Expect::kDenied},
      {"https://127.0.0.1:{P}/", Expect::kDenied},
      {"hTTpS://[::1]:{P}/", Expect::kDenied},
      {"http://%31%32%37.0.0.1:{P}/", Expect::kDenied},
      {"http://foo.localhost:{P}/", Expect::kDenied},
      {"ftp://127.0.0.1:{P}/", Expect::kInvalid},
      {"file:///etc/passwd", Expect::kInvalid},
      {"file://127.0.0.1/etc/passwd", Expect::kInvalid},
      {"gopher://127.0.0.1:{P}/_GET%20/", Expect::kInvalid},
      {"dict://127.0.0.1:{P}/info", Expect::kInvalid},
      {"ldap://127.0.0.1:{P}/", Expect::kInvalid},
      {"http://user@127.0.0.1:{P}/", Expect::kInvalid},
      {"http://user:pass@127.0.0.1:{P}/", Expect::kInvalid},
      {"http://@127.0.0.1:{P}/", Expect::kInvalid},
      {"http://example.com@127.0.0.1:{P}/", Expect::kInvalid},
      // Ordinary-looking names that lead to loopback or the metadata
      // address (pinned per request, as a hostile DNS answer would): only
      // the connect-time check can catch them.
      {"http://images.cdn-mirror.test:{P}/a.png",
       Expect::kDenied,
       {"images.cdn-mirror.test:{P}:127.0.0.1:{P}"}},
      {"http://v6.cdn-mirror.test:{P}/a.png",
       Expect::kDenied,
       {"v6.cdn-mirror.test:{P}:[::1]:{P}"}},
      {"http://meta.cdn-mirror.test/latest/meta-data/",
       Expect::kDenied,
       {"meta.cdn-mirror.test:80:169.254.169.254:80"}},
  };
  for (const std::string& name : LoopbackNamesFromHosts()) {
    rows.push_back({absl::StrCat("http://", name, ":{P}/"), Expect::kDenied});
  }
  const std::string p = absl::StrCat(port);
  for (Row& row : rows) {
    row.url = absl::StrReplaceAll(row.url, {{"{P}", p}});
    for (std::string& pin : row.connect_to) {
      pin = absl::StrReplaceAll(pin, {{"{P}", p}});
    }
  }
  return rows;
}

// Whether `message` names an IPv4 or IPv6 address, or the port `port`.
bool NamesAnAddress(absl::string_view message, int port) {
  static const std::regex kV4(R"(\d+\.\d+\.\d+\.\d+)");
  static const std::regex kV6(R"([0-9a-fA-F]*::[0-9a-fA-F:]*)");
  const std::string m(message);
  return std::regex_search(m, kV4) || std::regex_search(m, kV6) ||
         absl::StrContains(m, absl::StrCat(port));
}

void ExpectRefused(const Row& row, const absl::StatusOr<HttpResponse>& r,
                   int port) {
  const absl::StatusCode want = row.expect == Expect::kDenied
                                    ? absl::StatusCode::kPermissionDenied
                                    : absl::StatusCode::kInvalidArgument;
  EXPECT_EQ(r.status().code(), want) << row.url << ": " << r.status();
  if (row.expect == Expect::kDenied) {
    // The message may reach a caller: which address a name meant is ours.
    EXPECT_EQ(r.status().message(), "address not allowed") << row.url;
    EXPECT_FALSE(NamesAnAddress(r.status().message(), port)) << row.url;
  }
}

TEST(SafeFetcherTest, RefusalTableNeverReachesTheCanary) {
  CanaryListener canary;
  CurlMultiClient client;
  auto fetcher = MakeFetcher(&client);
  const std::vector<Row> rows = RefusalTable(canary.port());
  ASSERT_GE(rows.size(), 30u);
  for (const Row& row : rows) {
    const absl::Time start = absl::Now();
    HttpRequest req = ShortGet(row.url);
    req.connect_to = row.connect_to;
    auto r = SendSync(*fetcher, req);
    ExpectRefused(row, r, canary.port());
    // Refused before any connect, not after one timed out.
    EXPECT_LT(absl::Now() - start, absl::Seconds(1)) << row.url;
  }
  if (!canary.listens_on_v6()) {
    GTEST_LOG_(INFO) << "[::1]:" << canary.port() << " was taken; the canary "
                     << "watches 127.0.0.1 only";
  }
  EXPECT_EQ(canary.Connections(), 0);
}

// Layer 2 alone: the connect filter refuses every http(s) spelling even
// when the URL pre-check is bypassed. A name this machine cannot resolve
// (e.g. "localhost." with some resolvers) yields no address to judge.
TEST(SafeFetcherTest, ConnectFilterAloneRefusesEveryHttpRow) {
  CanaryListener canary;
  CurlMultiClient client;
  auto fetcher = MakeFetcher(&client);
  int denied = 0;
  for (const Row& row : RefusalTable(canary.port())) {
    if (row.expect != Expect::kDenied) continue;
    HttpRequest req = ShortGet(row.url);
    req.connect_to = row.connect_to;
    req.connect_filter = fetcher->ConnectFilter();
    auto r = SendSync(client, req);
    if (r.status().code() == absl::StatusCode::kUnavailable &&
        absl::StrContains(r.status().message(), "resolve host")) {
      continue;
    }
    EXPECT_EQ(r.status().code(), absl::StatusCode::kPermissionDenied)
        << row.url << ": " << r.status();
    EXPECT_EQ(r.status().message(), "address not allowed") << row.url;
    ++denied;
  }
  EXPECT_GE(denied, 30);
  EXPECT_EQ(canary.Connections(), 0);
}

// curl's own words for a failed connect quote the address and port; the
// fetcher's caller gets the code without them.
TEST(SafeFetcherTest, TransportErrorsNameNoAddress) {
  int port = 0;
  {
    CanaryListener closed;  // a port that was free a moment ago
    port = closed.port();
  }
  CurlMultiClient client;
  SafeFetcher::Options o;
  o.allow_addresses = {absl::StrCat("127.0.0.1:", port)};
  auto fetcher = MakeFetcher(&client, o);
  auto r = SendSync(
      *fetcher, ShortGet(absl::StrCat("http://127.0.0.1:", port, "/x.png")));
  ASSERT_EQ(r.status().code(), absl::StatusCode::kUnavailable) << r.status();
  EXPECT_FALSE(NamesAnAddress(r.status().message(), port)) << r.status();
}

TEST(SafeFetcherTest, AllowlistedUpstreamIsFetched) {
  FakeUpstream upstream;
  upstream.Enqueue(Png());
  CurlMultiClient client;
  auto fetcher = MakeFetcher(&client, AllowOnly(upstream));
  auto r = SendSync(*fetcher, ShortGet(upstream.Url("/out.png")));
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->body, kPng);
  // By name, too: the filter sees the resolved 127.0.0.1.
  upstream.Enqueue(Png());
  HttpRequest by_name =
      ShortGet(absl::StrCat("http://localhost:", upstream.port(), "/out.png"));
  r = SendSync(*fetcher, by_name);
  // "localhost" may resolve to ::1 first; the IPv4 fallback is allowed.
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->body, kPng);
}

TEST(SafeFetcherTest, SameUpstreamWithoutAllowlistIsRefused) {
  FakeUpstream upstream;
  CurlMultiClient client;
  auto fetcher = MakeFetcher(&client);
  auto r = SendSync(*fetcher, ShortGet(upstream.Url("/out.png")));
  EXPECT_EQ(r.status().code(), absl::StatusCode::kPermissionDenied)
      << r.status();
  r = SendSync(*fetcher, ShortGet(absl::StrCat(
                             "http://localhost:", upstream.port(), "/")));
  EXPECT_EQ(r.status().code(), absl::StatusCode::kPermissionDenied)
      << r.status();
  EXPECT_EQ(upstream.AcceptedConnections(), 0);
}

TEST(SafeFetcherTest, AllowlistEntryWithPortCoversOnlyThatPort) {
  FakeUpstream allowed;
  FakeUpstream other;
  CurlMultiClient client;
  auto fetcher = MakeFetcher(&client, AllowOnly(allowed));
  EXPECT_TRUE(SendSync(*fetcher, ShortGet(allowed.Url("/"))).ok());
  EXPECT_EQ(SendSync(*fetcher, ShortGet(other.Url("/"))).status().code(),
            absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(other.AcceptedConnections(), 0);
}

TEST(SafeFetcherTest, AllowlistEntryWithoutPortCoversEveryPort) {
  FakeUpstream a;
  FakeUpstream b;
  CurlMultiClient client;
  SafeFetcher::Options o;
  o.allow_addresses = {"127.0.0.1"};
  auto fetcher = MakeFetcher(&client, o);
  EXPECT_TRUE(SendSync(*fetcher, ShortGet(a.Url("/"))).ok());
  EXPECT_TRUE(SendSync(*fetcher, ShortGet(b.Url("/"))).ok());
  // Only that address: 127.0.0.2 is still loopback and still banned.
  auto r = SendSync(*fetcher,
                    ShortGet(absl::StrCat("http://127.0.0.2:", a.port(), "/")));
  EXPECT_EQ(r.status().code(), absl::StatusCode::kPermissionDenied);
}

// "localhost" means ::1 (banned) and 127.0.0.1 (allowlisted here, but its
// port is closed): the failure is the closed port's, not a refusal.
TEST(SafeFetcherTest, AllowedAddressThatFailsIsAnOrdinaryConnectError) {
  const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
  socklen_t len = sizeof(addr);
  getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  const int port = ntohs(addr.sin_port);  // bound, not listening

  CurlMultiClient client;
  SafeFetcher::Options o;
  o.allow_addresses = {absl::StrCat("127.0.0.1:", port)};
  auto allowing = MakeFetcher(&client, o);
  const std::string url = absl::StrCat("http://localhost:", port, "/");
  auto r = SendSync(*allowing, ShortGet(url));
  EXPECT_EQ(r.status().code(), absl::StatusCode::kUnavailable) << r.status();
  auto refusing = MakeFetcher(&client);
  r = SendSync(*refusing, ShortGet(url));
  EXPECT_EQ(r.status().code(), absl::StatusCode::kPermissionDenied)
      << r.status();
  close(fd);
}

TEST(SafeFetcherTest, RedirectsToBannedAddressesAreRefused) {
  FakeUpstream upstream;
  CanaryListener canary;
  CurlMultiClient client;
  auto fetcher = MakeFetcher(&client, AllowOnly(upstream));
  for (const std::string& target :
       {std::string("http://169.254.169.254/latest/meta-data/"),
        absl::StrCat("http://127.0.0.1:", canary.port(), "/"),
        absl::StrCat("http://localhost:", canary.port(), "/"),
        absl::StrCat("http://[::1]:", canary.port(), "/")}) {
    upstream.Enqueue(RedirectTo(target));
    auto r = SendSync(*fetcher, ShortGet(upstream.Url("/result")));
    EXPECT_EQ(r.status().code(), absl::StatusCode::kPermissionDenied)
        << target << ": " << r.status();
  }
  upstream.Enqueue(RedirectTo("http://169.254.169.254/latest/meta-data/"));
  auto r = SendSync(*fetcher, ShortGet(upstream.Url("/result")));
  EXPECT_EQ(r.status().message(), "redirect target not allowed");
  EXPECT_FALSE(NamesAnAddress(r.status().message(), canary.port()));
  EXPECT_EQ(canary.Connections(), 0);
  EXPECT_EQ(upstream.RequestCount(), 5);
}

// curl ignores CURLOPT_FRESH_CONNECT on a redirect it follows itself, so a
// hop could ride a keep-alive connection that another request of the shared
// client opened to a configured upstream, and the connect filter would never
// see it. The fetcher follows redirects itself, every hop on a fresh,
// filtered connection.
TEST(SafeFetcherTest, RedirectNeverRidesAPooledConnection) {
  FakeUpstream internal;  // a configured upstream, reached by the plain client
  internal.Enqueue(Png());
  internal.Enqueue(Png());
  FakeUpstream upstream;
  CurlMultiClient client;
  auto warm = SendSync(client, ShortGet(internal.Url("/warm")));
  ASSERT_TRUE(warm.ok()) << warm.status();
  auto fetcher = MakeFetcher(&client, AllowOnly(upstream));
  upstream.Enqueue(RedirectTo(internal.Url("/secret")));
  auto r = SendSync(*fetcher, ShortGet(upstream.Url("/result")));
  EXPECT_EQ(r.status().code(), absl::StatusCode::kPermissionDenied)
      << r.status();
  EXPECT_EQ(internal.RequestCount(), 1);
}

TEST(SafeFetcherTest, RelativeRedirectStaysOnTheSameUpstream) {
  FakeUpstream upstream;
  upstream.Enqueue(RedirectTo("../files/out.png?sig=1"));
  upstream.Enqueue(Png());
  CurlMultiClient client;
  auto fetcher = MakeFetcher(&client, AllowOnly(upstream));
  auto r = SendSync(*fetcher, ShortGet(upstream.Url("/tmp/result")));
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->body, kPng);
  ASSERT_EQ(upstream.RequestCount(), 2);
  EXPECT_EQ(upstream.Requests()[1].target, "/files/out.png?sig=1");
}

TEST(SafeFetcherTest, UnparsableLocationIsUnavailable) {
  FakeUpstream upstream;
  upstream.Enqueue(RedirectTo("http://exa mple.com:99999/"));
  CurlMultiClient client;
  auto fetcher = MakeFetcher(&client, AllowOnly(upstream));
  auto r = SendSync(*fetcher, ShortGet(upstream.Url("/")));
  EXPECT_EQ(r.status().code(), absl::StatusCode::kUnavailable) << r.status();
  EXPECT_THAT(r.status().message(), HasSubstr("bad redirect target"));
  EXPECT_EQ(upstream.RequestCount(), 1);
}

TEST(SafeFetcherTest, RedirectToNonHttpSchemeIsRefused) {
  FakeUpstream upstream;
  CurlMultiClient client;
  auto fetcher = MakeFetcher(&client, AllowOnly(upstream));
  upstream.Enqueue(RedirectTo("file:///etc/passwd"));
  auto r = SendSync(*fetcher, ShortGet(upstream.Url("/")));
  EXPECT_EQ(r.status().code(), absl::StatusCode::kPermissionDenied)
      << r.status();
}

// Bounces between two allowlisted upstreams: /n on one redirects to /n-1 on
// the other; /0 serves the image.
class PingPong {
 public:
  PingPong() {
    Serve(a_, b_);
    Serve(b_, a_);
  }
  SafeFetcher::Options Allow() const {
    SafeFetcher::Options o;
    o.allow_addresses = {absl::StrCat("127.0.0.1:", a_.port()),
                         absl::StrCat("127.0.0.1:", b_.port())};
    return o;
  }
  std::string Url(int hops) const { return a_.Url(absl::StrCat("/", hops)); }
  int Requests() const { return a_.RequestCount() + b_.RequestCount(); }

 private:
  static void Serve(FakeUpstream& self, const FakeUpstream& peer) {
    const std::string peer_base = peer.Url("/");
    self.SetHandler([peer_base](const fakes::RecordedRequest& req) {
      const int n = std::atoi(req.target.c_str() + 1);
      if (n == 0) return Png();
      return RedirectTo(absl::StrCat(peer_base, n - 1));
    });
  }
  FakeUpstream a_;
  FakeUpstream b_;
};

TEST(SafeFetcherTest, ThreeRedirectsAreFollowedFourAreNot) {
  PingPong servers;
  CurlMultiClient client;
  auto fetcher = MakeFetcher(&client, servers.Allow());
  auto r = SendSync(*fetcher, ShortGet(servers.Url(3)));
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->body, kPng);
  EXPECT_EQ(servers.Requests(), 4);

  r = SendSync(*fetcher, ShortGet(servers.Url(4)));
  EXPECT_EQ(r.status().code(), absl::StatusCode::kFailedPrecondition)
      << r.status();
  EXPECT_THAT(r.status().message(), HasSubstr("redirects"));
  EXPECT_EQ(servers.Requests(), 8);  // the fifth URL is never requested
}

TEST(SafeFetcherTest, ZeroMaxRedirectsReturnsTheRedirect) {
  PingPong servers;
  CurlMultiClient client;
  SafeFetcher::Options o = servers.Allow();
  o.max_redirects = 0;
  auto fetcher = MakeFetcher(&client, o);
  auto r = SendSync(*fetcher, ShortGet(servers.Url(1)));
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->status, 302);
  EXPECT_EQ(servers.Requests(), 1);
}

TEST(SafeFetcherTest, BodyOverMaxBytesIsResourceExhausted) {
  FakeUpstream upstream;
  CurlMultiClient client;
  SafeFetcher::Options o = AllowOnly(upstream);
  o.max_bytes = 1000;
  auto fetcher = MakeFetcher(&client, o);
  upstream.Enqueue(ScriptedReply::Respond(200, std::string(1001, 'x'),
                                          {{"Content-Type", "image/png"}}));
  auto r = SendSync(*fetcher, ShortGet(upstream.Url("/")));
  EXPECT_EQ(r.status().code(), absl::StatusCode::kResourceExhausted)
      << r.status();
  // Without Content-Length the count is enforced while reading.
  upstream.Enqueue(ScriptedReply::Raw(absl::StrCat(
      "HTTP/1.1 200 OK\r\nContent-Type: image/png\r\nConnection: close\r\n\r\n",
      std::string(5000, 'y'))));
  r = SendSync(*fetcher, ShortGet(upstream.Url("/")));
  EXPECT_EQ(r.status().code(), absl::StatusCode::kResourceExhausted)
      << r.status();
  // Exactly at the cap is fine.
  upstream.Enqueue(ScriptedReply::Respond(200, std::string(1000, 'z'),
                                          {{"Content-Type", "image/png"}}));
  r = SendSync(*fetcher, ShortGet(upstream.Url("/")));
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->body.size(), 1000u);
  // A request may ask for less than the cap.
  upstream.Enqueue(ScriptedReply::Respond(200, std::string(500, 'w'),
                                          {{"Content-Type", "image/png"}}));
  HttpRequest small = ShortGet(upstream.Url("/"));
  small.max_response_bytes = 100;
  EXPECT_EQ(SendSync(*fetcher, small).status().code(),
            absl::StatusCode::kResourceExhausted);
}

TEST(SafeFetcherTest, ContentTypeMustBeMedia) {
  FakeUpstream upstream;
  CurlMultiClient client;
  auto fetcher = MakeFetcher(&client, AllowOnly(upstream));
  struct Case {
    const char* type;  // nullptr = no header
    bool ok;
  };
  for (const Case& c : std::vector<Case>{{"image/png", true},
                                         {"IMAGE/PNG; charset=binary", true},
                                         {"video/mp4", true},
                                         {"application/octet-stream", true},
                                         {"binary/octet-stream", true},
                                         {nullptr, true},
                                         {"", true},
                                         {"text/html", false},
                                         {"text/html; charset=utf-8", false},
                                         {"application/json", false},
                                         {"image", false},
                                         {"text/image/png", false}}) {
    HttpHeaders headers;
    if (c.type != nullptr) headers.push_back({"Content-Type", c.type});
    upstream.Enqueue(ScriptedReply::Respond(200, kPng, headers));
    auto r = SendSync(*fetcher, ShortGet(upstream.Url("/")));
    const std::string label = c.type == nullptr ? "(none)" : c.type;
    if (c.ok) {
      EXPECT_TRUE(r.ok()) << label << ": " << r.status();
    } else {
      EXPECT_EQ(r.status().code(), absl::StatusCode::kFailedPrecondition)
          << label << ": " << r.status();
      EXPECT_THAT(r.status().message(), HasSubstr("content type"));
    }
  }
  upstream.Enqueue(
      ScriptedReply::Respond(200, "<html>", {{"Content-Type", "text/html"}}));
  auto r = SendSync(*fetcher, ShortGet(upstream.Url("/")));
  EXPECT_THAT(r.status().message(), HasSubstr("\"text/html\""));
  // Error replies are the caller's to judge, whatever their type.
  upstream.Enqueue(
      ScriptedReply::Respond(404, "<html>", {{"Content-Type", "text/html"}}));
  r = SendSync(*fetcher, ShortGet(upstream.Url("/")));
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->status, 404);
}

TEST(SafeFetcherTest, TimeoutIsCappedByTheOptions) {
  FakeUpstream upstream;
  ScriptedReply slow = Png();
  slow.delay = absl::Seconds(5);
  upstream.SetDefault(slow);
  CurlMultiClient client;
  SafeFetcher::Options o = AllowOnly(upstream);
  o.timeout = absl::Milliseconds(300);
  auto fetcher = MakeFetcher(&client, o);
  HttpRequest req = ShortGet(upstream.Url("/"));
  req.timeout = absl::Seconds(10);  // asks for more than the cap
  const absl::Time start = absl::Now();
  auto r = SendSync(*fetcher, req);
  EXPECT_EQ(r.status().code(), absl::StatusCode::kDeadlineExceeded)
      << r.status();
  EXPECT_LT(absl::Now() - start, absl::Seconds(3));
}

TEST(SafeFetcherTest, FetcherMayBeDestroyedWhileATransferRuns) {
  FakeUpstream upstream;
  ScriptedReply slow = Png();
  slow.delay = absl::Milliseconds(300);
  upstream.Enqueue(slow);
  CurlMultiClient client;
  auto fetcher = MakeFetcher(&client, AllowOnly(upstream));
  auto outcome = std::make_shared<testing::Outcome>();
  fetcher->Send(ShortGet(upstream.Url("/")),
                [outcome](absl::StatusOr<HttpResponse> r) {
                  outcome->result = std::move(r);
                  outcome->done.Notify();
                });
  fetcher.reset();
  ASSERT_TRUE(outcome->done.WaitForNotificationWithTimeout(testing::kTestWait));
  ASSERT_TRUE(outcome->result.ok()) << outcome->result.status();
  EXPECT_EQ(outcome->result->body, kPng);
}

TEST(SafeFetcherTest, UrlRefusalRunsInlineWithoutTouchingTheClient) {
  CurlMultiClient client;
  auto fetcher = MakeFetcher(&client);
  bool ran = false;
  fetcher->Send(
      ShortGet("ftp://example.com/"), [&ran](absl::StatusOr<HttpResponse> r) {
        ran = true;
        EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
      });
  EXPECT_TRUE(ran);
  EXPECT_EQ(client.GetStats().requests_started, 0);
}

}  // namespace
}  // namespace mediagw::net
