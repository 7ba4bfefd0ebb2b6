// The fault proxy against a scripted upstream, through the real HTTP client,
// so each fault shows up as the gateway would see it.
#include "tests/fakes/fault_proxy.h"

#include <string>

#include "absl/synchronization/notification.h"
#include "gtest/gtest.h"
#include "net/curl_multi_client.h"
#include "tests/fakes/fake_upstream.h"

namespace mediagw::fakes {
namespace {

class FaultProxyTest : public ::testing::Test {
 protected:
  FaultProxyTest() : curl_(net::CurlMultiClient::Options{}), proxy_(up_.port()) {
    up_.SetDefault(ScriptedReply::Respond(200, std::string(1000, 'x')));
  }
  void SetUp() override { ASSERT_TRUE(proxy_.Start().ok()); }

  absl::StatusOr<HttpResponse> Get(const std::string& path,
                                   absl::Duration timeout = absl::Seconds(10)) {
    HttpRequest r;
    r.url = proxy_.url() + path;
    r.timeout = timeout;
    absl::Notification n;
    absl::StatusOr<HttpResponse> out = absl::InternalError("no answer");
    curl_.Send(std::move(r), [&](absl::StatusOr<HttpResponse> resp) {
      out = std::move(resp);
      n.Notify();
    });
    EXPECT_TRUE(n.WaitForNotificationWithTimeout(timeout + absl::Seconds(10)));
    return out;
  }

  FakeUpstream up_;
  net::CurlMultiClient curl_;
  FaultProxy proxy_;
};

TEST_F(FaultProxyTest, ForwardsWithoutAFault) {
  auto r = Get("/a");
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->body.size(), 1000u);
  EXPECT_EQ(up_.RequestCount(), 1);
  EXPECT_EQ(proxy_.CountRequests("GET /a "), 1);
  EXPECT_EQ(proxy_.forwarded(), 1);
}

TEST_F(FaultProxyTest, Burst503AnswersItselfForTheNextRequests) {
  ProxyFault f;
  f.kind = ProxyFault::Kind::k503;
  f.requests = 2;
  f.retry_after_seconds = 3;
  proxy_.SetFault(f);
  for (int i = 0; i < 2; ++i) {
    auto r = Get("/b");
    ASSERT_TRUE(r.ok()) << r.status();
    EXPECT_EQ(r->status, 503);
    EXPECT_EQ(r->Header("retry-after"), "3");
  }
  auto r = Get("/b");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(up_.RequestCount(), 1);
  EXPECT_EQ(proxy_.faulted(), 2);
}

TEST_F(FaultProxyTest, Burst503ForATimeWindowAndOnlyOnMatchingRequests) {
  ProxyFault f;
  f.kind = ProxyFault::Kind::k503;
  f.match = "/prompt";
  f.until = absl::Now() + absl::Milliseconds(300);
  proxy_.SetFault(f);
  EXPECT_EQ(Get("/prompt")->status, 503);
  EXPECT_EQ(Get("/history")->status, 200);
  absl::SleepFor(absl::Milliseconds(400));
  EXPECT_EQ(Get("/prompt")->status, 200);
}

TEST_F(FaultProxyTest, ResetOnAcceptAndMidStream) {
  ProxyFault f;
  f.kind = ProxyFault::Kind::kReset;
  f.requests = 1;
  proxy_.SetFault(f);
  auto r = Get("/c");
  EXPECT_EQ(r.status().code(), absl::StatusCode::kUnavailable) << r.status();
  EXPECT_EQ(up_.RequestCount(), 0);
  f.reset_after_bytes = 40;  // inside the head
  proxy_.SetFault(f);
  r = Get("/c");
  EXPECT_EQ(r.status().code(), absl::StatusCode::kUnavailable) << r.status();
  EXPECT_EQ(up_.RequestCount(), 1) << "mid-stream: the upstream got it";
  EXPECT_TRUE(Get("/c").ok());
}

TEST_F(FaultProxyTest, BlackholeNeverAnswers) {
  ProxyFault f;
  f.kind = ProxyFault::Kind::kBlackhole;
  f.requests = 1;
  proxy_.SetFault(f);
  auto r = Get("/d", absl::Milliseconds(500));
  EXPECT_EQ(r.status().code(), absl::StatusCode::kDeadlineExceeded)
      << r.status();
  EXPECT_EQ(up_.RequestCount(), 0);
  EXPECT_TRUE(Get("/d").ok());
}

TEST_F(FaultProxyTest, CutMidBodyClosesAfterSomeBytes) {
  ProxyFault f;
  f.kind = ProxyFault::Kind::kCutBody;
  f.cut_after_bytes = 200;
  f.requests = 1;
  proxy_.SetFault(f);
  auto r = Get("/e");
  EXPECT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), absl::StatusCode::kUnavailable) << r.status();
  EXPECT_TRUE(Get("/e").ok());
}

TEST_F(FaultProxyTest, SlowDripDeliversEverythingSlowly) {
  ProxyFault f;
  f.kind = ProxyFault::Kind::kSlowDrip;
  f.drip_bytes = 100;
  f.drip_pause = absl::Milliseconds(10);
  proxy_.SetFault(f);
  auto r = Get("/f");
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->body, std::string(1000, 'x'));
  // A client that allows less time than the drip needs gives up.
  r = Get("/f", absl::Milliseconds(50));
  EXPECT_EQ(r.status().code(), absl::StatusCode::kDeadlineExceeded)
      << r.status();
}

}  // namespace
}  // namespace mediagw::fakes
