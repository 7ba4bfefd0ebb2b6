// CurlMultiClient's fetch-safety fields: connect_filter, max_redirects and
// the proxy and connection-reuse rules that come with a filter.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <atomic>
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
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
using testing::SendSync;
using testing::ShortGet;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

// Records "ip:port" of every address offered to the filter and refuses the
// ports listed in `refused`.
class RecordingFilter {
 public:
  explicit RecordingFilter(std::vector<int> refused = {})
      : refused_(std::move(refused)) {}

  std::function<bool(const sockaddr*, size_t)> Get() {
    return [this](const sockaddr* addr, size_t len) {
      char text[INET6_ADDRSTRLEN] = "?";
      int port = 0;
      if (addr->sa_family == AF_INET && len >= sizeof(sockaddr_in)) {
        const auto* in = reinterpret_cast<const sockaddr_in*>(addr);
        inet_ntop(AF_INET, &in->sin_addr, text, sizeof(text));
        port = ntohs(in->sin_port);
      } else if (addr->sa_family == AF_INET6 && len >= sizeof(sockaddr_in6)) {
        const auto* in6 = reinterpret_cast<const sockaddr_in6*>(addr);
        inet_ntop(AF_INET6, &in6->sin6_addr, text, sizeof(text));
        port = ntohs(in6->sin6_port);
      }
      absl::MutexLock l(&mu_);
      seen_.push_back(absl::StrCat(text, ":", port));
      for (int r : refused_) {
        if (r == port) return false;
      }
      return true;
    };
  }

  std::vector<std::string> Seen() const {
    absl::MutexLock l(&mu_);
    return seen_;
  }

 private:
  const std::vector<int> refused_;
  mutable absl::Mutex mu_;
  std::vector<std::string> seen_ ABSL_GUARDED_BY(mu_);
};

std::string Loopback(const FakeUpstream& u) {
  return absl::StrCat("127.0.0.1:", u.port());
}

TEST(CurlConnectFilterTest, AllowedAddressConnectsAndIsSeenWithItsPort) {
  FakeUpstream upstream;
  RecordingFilter filter;
  CurlMultiClient client;
  HttpRequest req = ShortGet(upstream.Url("/a"));
  req.connect_filter = filter.Get();
  auto r = SendSync(client, req);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->status, 200);
  EXPECT_THAT(filter.Seen(), ElementsAre(Loopback(upstream)));
}

TEST(CurlConnectFilterTest, RefusedAddressIsPermissionDeniedBeforeConnect) {
  CanaryListener canary;
  RecordingFilter filter({canary.port()});
  CurlMultiClient client;
  HttpRequest req =
      ShortGet(absl::StrCat("http://127.0.0.1:", canary.port(), "/"));
  req.connect_filter = filter.Get();
  auto r = SendSync(client, req);
  EXPECT_EQ(r.status().code(), absl::StatusCode::kPermissionDenied)
      << r.status();
  // Neither the address nor the port goes back; the log has them.
  EXPECT_EQ(r.status().message(), "address not allowed");
  EXPECT_EQ(canary.Connections(), 0);
}

// The same request without a filter does reach the canary, so the test
// above can tell a refusal from a listener that counts nothing.
TEST(CurlConnectFilterTest, CanaryCountsAnUnfilteredConnection) {
  CanaryListener canary;
  CurlMultiClient client;
  HttpRequest req =
      ShortGet(absl::StrCat("http://127.0.0.1:", canary.port(), "/"));
  req.timeout = absl::Milliseconds(300);
  auto r = SendSync(client, req);
  EXPECT_EQ(r.status().code(), absl::StatusCode::kDeadlineExceeded)
      << r.status();
  EXPECT_EQ(canary.Connections(), 1);
}

TEST(CurlConnectFilterTest, NameIsJudgedByTheAddressItResolvesTo) {
  FakeUpstream upstream;
  RecordingFilter filter({upstream.port()});
  CurlMultiClient client;
  HttpRequest req = ShortGet(absl::StrCat("http://localhost:", upstream.port(),
                                          "/"));
  req.connect_filter = filter.Get();
  auto r = SendSync(client, req);
  EXPECT_EQ(r.status().code(), absl::StatusCode::kPermissionDenied)
      << r.status();
  ASSERT_FALSE(filter.Seen().empty());
  for (const std::string& seen : filter.Seen()) {
    EXPECT_THAT(seen, ::testing::AnyOf(
                          absl::StrCat("127.0.0.1:", upstream.port()),
                          absl::StrCat("::1:", upstream.port())));
  }
  EXPECT_EQ(upstream.AcceptedConnections(), 0);
}

TEST(CurlConnectFilterTest, FollowsRedirectsAndFiltersEveryHop) {
  FakeUpstream first;
  FakeUpstream second;
  first.Enqueue(ScriptedReply::Respond(
      302, "moved", {{"Location", second.Url("/final")}, {"X-Hop", "1"}}));
  second.Enqueue(ScriptedReply::Respond(200, "done", {{"X-Hop", "2"}}));
  RecordingFilter filter;
  CurlMultiClient client;
  HttpRequest req = ShortGet(first.Url("/start"));
  req.max_redirects = 1;
  req.connect_filter = filter.Get();
  auto r = SendSync(client, req);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->body, "done");  // not "moveddone"
  EXPECT_EQ(r->Header("x-hop"), "2");
  EXPECT_THAT(filter.Seen(), ElementsAre(Loopback(first), Loopback(second)));
  ASSERT_EQ(second.RequestCount(), 1);
  EXPECT_EQ(second.Requests()[0].target, "/final");
}

TEST(CurlConnectFilterTest, RefusedRedirectTargetIsNeverContacted) {
  FakeUpstream first;
  CanaryListener canary;
  first.Enqueue(ScriptedReply::Respond(
      302, "", {{"Location",
                 absl::StrCat("http://127.0.0.1:", canary.port(), "/")}}));
  RecordingFilter filter({canary.port()});
  CurlMultiClient client;
  HttpRequest req = ShortGet(first.Url("/"));
  req.max_redirects = 3;
  req.connect_filter = filter.Get();
  auto r = SendSync(client, req);
  EXPECT_EQ(r.status().code(), absl::StatusCode::kPermissionDenied)
      << r.status();
  EXPECT_EQ(canary.Connections(), 0);
}

TEST(CurlConnectFilterTest, MoreRedirectsThanAllowedIsFailedPrecondition) {
  FakeUpstream upstream;
  // /n redirects to /n-1; /0 answers.
  upstream.SetHandler([](const fakes::RecordedRequest& req) {
    int n = std::atoi(req.target.c_str() + 1);
    if (n == 0) return ScriptedReply::Respond(200, "end");
    return ScriptedReply::Respond(302, "",
                                  {{"Location", absl::StrCat("/", n - 1)}});
  });
  CurlMultiClient client;
  HttpRequest ok = ShortGet(upstream.Url("/2"));
  ok.max_redirects = 2;
  auto r = SendSync(client, ok);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->body, "end");

  HttpRequest too_many = ShortGet(upstream.Url("/3"));
  too_many.max_redirects = 2;
  r = SendSync(client, too_many);
  EXPECT_EQ(r.status().code(), absl::StatusCode::kFailedPrecondition)
      << r.status();
  EXPECT_THAT(r.status().message(), HasSubstr("more than 2 redirects"));
}

TEST(CurlConnectFilterTest, RedirectToAnotherSchemeIsPermissionDenied) {
  FakeUpstream upstream;
  CanaryListener canary;
  const std::string port = absl::StrCat(canary.port());
  CurlMultiClient client;
  for (const std::string& target :
       {"ftp://127.0.0.1:" + port + "/x", "gopher://127.0.0.1:" + port + "/_x",
        "dict://127.0.0.1:" + port + "/info", std::string("file:///etc/passwd"),
        "FTP://127.0.0.1:" + port + "/x"}) {
    upstream.Enqueue(ScriptedReply::Respond(302, "", {{"Location", target}}));
    HttpRequest req = ShortGet(upstream.Url("/"));
    req.max_redirects = 3;
    auto r = SendSync(client, req);
    EXPECT_EQ(r.status().code(), absl::StatusCode::kPermissionDenied)
        << target << ": " << r.status();
    EXPECT_THAT(r.status().message(), HasSubstr("not http(s)")) << target;
  }
  EXPECT_EQ(canary.Connections(), 0);
}

// The caller's URL was fine; the upstream's Location was not.
TEST(CurlConnectFilterTest, MalformedRedirectTargetIsUnavailable) {
  FakeUpstream upstream;
  upstream.Enqueue(ScriptedReply::Respond(302, "", {{"Location", "http://[::1"}}));
  CurlMultiClient client;
  HttpRequest req = ShortGet(upstream.Url("/"));
  req.max_redirects = 3;
  auto r = SendSync(client, req);
  EXPECT_EQ(r.status().code(), absl::StatusCode::kUnavailable) << r.status();
  EXPECT_THAT(r.status().message(), HasSubstr("bad redirect target"));
}

TEST(CurlConnectFilterTest, FilteredRequestsNeitherReuseNorLeaveConnections) {
  FakeUpstream upstream;
  RecordingFilter filter;
  CurlMultiClient client;
  // An unfiltered request leaves a keep-alive connection in the cache.
  ASSERT_TRUE(SendSync(client, ShortGet(upstream.Url("/plain"))).ok());
  for (int i = 0; i < 2; ++i) {
    HttpRequest req = ShortGet(upstream.Url("/filtered"));
    req.connect_filter = filter.Get();
    ASSERT_TRUE(SendSync(client, req).ok());
  }
  EXPECT_EQ(filter.Seen().size(), 2u);
  EXPECT_EQ(upstream.AcceptedConnections(), 3);
  // Unfiltered traffic still reuses its own connection.
  ASSERT_TRUE(SendSync(client, ShortGet(upstream.Url("/plain"))).ok());
  EXPECT_EQ(upstream.AcceptedConnections(), 3);
}

// A proxy from the environment would make the filter judge the proxy's
// address, not the target's.
TEST(CurlConnectFilterTest, FilteredRequestsIgnoreProxyEnvironment) {
  FakeUpstream proxy;
  FakeUpstream target;
  for (const char* name : {"no_proxy", "NO_PROXY"}) unsetenv(name);
  setenv("http_proxy", proxy.Url("").c_str(), 1);
  {
    CurlMultiClient client;
    // Control: without a filter the environment's proxy is used.
    ASSERT_TRUE(SendSync(client, ShortGet(target.Url("/via-proxy"))).ok());
    EXPECT_EQ(proxy.RequestCount(), 1);
    EXPECT_EQ(target.RequestCount(), 0);

    RecordingFilter filter;
    HttpRequest req = ShortGet(target.Url("/direct"));
    req.connect_filter = filter.Get();
    ASSERT_TRUE(SendSync(client, req).ok());
    EXPECT_EQ(proxy.RequestCount(), 1);
    EXPECT_EQ(target.RequestCount(), 1);
    EXPECT_THAT(filter.Seen(), ElementsAre(Loopback(target)));
  }
  unsetenv("http_proxy");
}

TEST(CurlConnectFilterTest, FilterIsReleasedWhenTheTransferEnds) {
  FakeUpstream upstream;
  auto token = std::make_shared<int>(0);
  CurlMultiClient client;
  HttpRequest req = ShortGet(upstream.Url("/"));
  req.connect_filter = [token](const sockaddr*, size_t) { return true; };
  ASSERT_TRUE(SendSync(client, std::move(req)).ok());
  // The callback has run; the loop drops the transfer right after it.
  for (int i = 0; i < 100 && token.use_count() > 1; ++i) {
    absl::SleepFor(absl::Milliseconds(10));
  }
  EXPECT_EQ(token.use_count(), 1);
}

TEST(CurlConnectFilterTest, NegativeMaxRedirectsIsInvalidArgument) {
  CurlMultiClient client;
  HttpRequest req = ShortGet("http://127.0.0.1:1/");
  req.max_redirects = -1;
  EXPECT_EQ(SendSync(client, req).status().code(),
            absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace mediagw::net
