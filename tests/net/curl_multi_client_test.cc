#include "net/curl_multi_client.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "common/status_mapping.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/fakes/fake_upstream.h"

namespace mediagw::net {
namespace {

using fakes::FakeUpstream;
using fakes::ScriptedReply;
using ::testing::HasSubstr;

constexpr absl::Duration kWait = absl::Seconds(10);

// Result slot shared with the callback, so a timed-out wait cannot leave the
// callback writing into a dead stack frame.
struct Outcome {
  absl::Notification done;
  absl::StatusOr<HttpResponse> result = absl::UnknownError("not run");
};

std::shared_ptr<Outcome> SendAsync(HttpClient& client, HttpRequest request) {
  auto outcome = std::make_shared<Outcome>();
  client.Send(std::move(request), [outcome](absl::StatusOr<HttpResponse> r) {
    outcome->result = std::move(r);
    outcome->done.Notify();
  });
  return outcome;
}

absl::StatusOr<HttpResponse> Await(const std::shared_ptr<Outcome>& outcome) {
  if (!outcome->done.WaitForNotificationWithTimeout(kWait)) {
    return absl::DeadlineExceededError("test wait timed out");
  }
  return outcome->result;
}

absl::StatusOr<HttpResponse> SendSync(HttpClient& client, HttpRequest request) {
  return Await(SendAsync(client, std::move(request)));
}

HttpRequest Get(std::string url) {
  HttpRequest r;
  r.url = std::move(url);
  return r;
}

// A bound but non-listening socket: connecting to its port is refused, and
// nobody else can take the port while it is held.
class ClosedPort {
 public:
  ClosedPort() {
    fd_ = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = 0;
    EXPECT_EQ(bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
    socklen_t len = sizeof(addr);
    getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
  }
  ~ClosedPort() { close(fd_); }
  int port() const { return port_; }

 private:
  int fd_ = -1;
  int port_ = 0;
};

std::string Chunked(const std::vector<std::string>& chunks) {
  std::string out = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n";
  for (const auto& c : chunks) {
    absl::StrAppend(&out, absl::Hex(c.size()), "\r\n", c, "\r\n");
  }
  absl::StrAppend(&out, "0\r\n\r\n");
  return out;
}

TEST(CurlMultiClientTest, Returns200WithBodyAndLowerCasedHeaders) {
  FakeUpstream upstream;
  upstream.Enqueue(ScriptedReply::Respond(
      200, "hello",
      {{"X-Custom-Thing", " v1 "}, {"Content-Type", "text/plain"}}));
  CurlMultiClient client;
  auto r = SendSync(client, Get(upstream.Url("/a?b=c")));
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->body, "hello");
  EXPECT_EQ(r->Header("x-custom-thing"), "v1");
  EXPECT_EQ(r->Header("CONTENT-TYPE"), "text/plain");
  EXPECT_EQ(r->Header("missing"), "");
  for (const auto& [name, value] : r->headers) {
    EXPECT_EQ(name, absl::AsciiStrToLower(name));
  }
  auto reqs = upstream.Requests();
  ASSERT_EQ(reqs.size(), 1u);
  EXPECT_EQ(reqs[0].method, "GET");
  EXPECT_EQ(reqs[0].target, "/a?b=c");
}

TEST(CurlMultiClientTest, ServerErrorIsAnOkValue) {
  FakeUpstream upstream;
  upstream.Enqueue(ScriptedReply::Respond(500, "{\"error\":\"boom\"}"));
  upstream.Enqueue(ScriptedReply::Respond(429, "", {{"Retry-After", "3"}}));
  CurlMultiClient client;
  auto r = SendSync(client, Get(upstream.Url("/")));
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->status, 500);
  EXPECT_EQ(r->body, "{\"error\":\"boom\"}");
  r = SendSync(client, Get(upstream.Url("/")));
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->status, 429);
  EXPECT_EQ(r->Header("retry-after"), "3");
}

TEST(CurlMultiClientTest, PostBodyAndHeadersArriveWithoutExpectContinue) {
  FakeUpstream upstream;
  CurlMultiClient client;
  HttpRequest req;
  req.method = "POST";
  req.url = upstream.Url("/v1/images/generations");
  req.headers = {{"Content-Type", "application/json"},
                 {"Authorization", "Bearer k-123"},
                 {"X-Empty", ""}};
  // Over 1 MiB: the size at which curl would otherwise send Expect.
  req.body = std::string(2 << 20, 'x');
  auto r = SendSync(client, req);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->status, 200);
  auto reqs = upstream.Requests();
  ASSERT_EQ(reqs.size(), 1u);
  EXPECT_EQ(reqs[0].method, "POST");
  EXPECT_EQ(reqs[0].target, "/v1/images/generations");
  EXPECT_EQ(reqs[0].body.size(), req.body.size());
  EXPECT_EQ(reqs[0].body, req.body);
  EXPECT_EQ(reqs[0].Header("content-type"), "application/json");
  EXPECT_EQ(reqs[0].Header("authorization"), "Bearer k-123");
  EXPECT_EQ(reqs[0].Header("expect"), "");
  bool saw_empty = false;
  for (const auto& [name, value] : reqs[0].headers) {
    if (name == "x-empty") saw_empty = value.empty();
  }
  EXPECT_TRUE(saw_empty);
}

TEST(CurlMultiClientTest, OtherMethodsCarryTheirBody) {
  FakeUpstream upstream;
  CurlMultiClient client;
  HttpRequest put;
  put.method = "PUT";
  put.url = upstream.Url("/obj");
  put.body = "data";
  ASSERT_TRUE(SendSync(client, put).ok());
  HttpRequest del;
  del.method = "DELETE";
  del.url = upstream.Url("/obj");
  ASSERT_TRUE(SendSync(client, del).ok());
  HttpRequest empty_post;
  empty_post.method = "POST";
  empty_post.url = upstream.Url("/interrupt");
  ASSERT_TRUE(SendSync(client, empty_post).ok());
  auto reqs = upstream.Requests();
  ASSERT_EQ(reqs.size(), 3u);
  EXPECT_EQ(reqs[0].method, "PUT");
  EXPECT_EQ(reqs[0].body, "data");
  EXPECT_EQ(reqs[1].method, "DELETE");
  EXPECT_EQ(reqs[1].body, "");
  EXPECT_EQ(reqs[2].method, "POST");
  EXPECT_EQ(reqs[2].Header("content-length"), "0");
}

TEST(CurlMultiClientTest, SequentialRequestsReuseOneConnection) {
  FakeUpstream upstream;
  CurlMultiClient client;
  for (int i = 0; i < 3; ++i) {
    auto r = SendSync(client, Get(upstream.Url(absl::StrCat("/", i))));
    ASSERT_TRUE(r.ok()) << r.status();
  }
  EXPECT_EQ(upstream.AcceptedConnections(), 1);
  for (const auto& req : upstream.Requests()) EXPECT_EQ(req.connection, 1);
}

TEST(CurlMultiClientTest, ServerClosingAfterReplyForcesNewConnection) {
  FakeUpstream upstream;
  ScriptedReply closing = ScriptedReply::Respond(200, "bye");
  closing.close_after = true;
  upstream.Enqueue(closing);
  CurlMultiClient client;
  ASSERT_TRUE(SendSync(client, Get(upstream.Url("/1"))).ok());
  ASSERT_TRUE(SendSync(client, Get(upstream.Url("/2"))).ok());
  EXPECT_EQ(upstream.AcceptedConnections(), 2);
}

// curl silently sends a request again on a fresh connection when a reused
// one dies before any reply byte. For a POST (a submit) that would reach the
// upstream twice, so it never goes out on a reused connection: one send,
// and an error that says the outcome is unknown.
TEST(CurlMultiClientTest, PostIsNeverResentAfterAReusedConnectionDies) {
  FakeUpstream upstream;
  CurlMultiClient client;
  ASSERT_TRUE(SendSync(client, Get(upstream.Url("/warm"))).ok());
  upstream.Enqueue(ScriptedReply::Reset());
  HttpRequest post = Get(upstream.Url("/submit"));
  post.method = "POST";
  post.body = "{}";
  auto r = SendSync(client, post);
  int posts = 0;
  for (const auto& req : upstream.Requests()) posts += req.method == "POST";
  EXPECT_EQ(posts, 1);
  EXPECT_FALSE(r.ok());
  EXPECT_TRUE(IsOutcomeUnknown(r.status())) << r.status();
  // GETs still reuse connections.
  const int before = upstream.AcceptedConnections();
  ASSERT_TRUE(SendSync(client, Get(upstream.Url("/a"))).ok());
  ASSERT_TRUE(SendSync(client, Get(upstream.Url("/b"))).ok());
  EXPECT_LE(upstream.AcceptedConnections(), before + 1);
}

TEST(CurlMultiClientTest, RedirectsAreNotFollowed) {
  FakeUpstream upstream;
  upstream.Enqueue(
      ScriptedReply::Respond(302, "", {{"Location", "/elsewhere"}}));
  CurlMultiClient client;
  auto r = SendSync(client, Get(upstream.Url("/")));
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->status, 302);
  EXPECT_EQ(r->Header("location"), "/elsewhere");
  EXPECT_EQ(upstream.RequestCount(), 1);
}

TEST(CurlMultiClientTest, ConnectionRefusedIsUnavailable) {
  ClosedPort closed;
  CurlMultiClient client;
  auto r = SendSync(client,
                    Get(absl::StrCat("http://127.0.0.1:", closed.port(), "/")));
  EXPECT_EQ(r.status().code(), absl::StatusCode::kUnavailable) << r.status();
  EXPECT_THAT(r.status().message(), HasSubstr("connect"));
  // Nothing went out: another channel may be sent the same job.
  EXPECT_FALSE(IsOutcomeUnknown(r.status()));
}

TEST(CurlMultiClientTest, TotalTimeoutIsDeadlineExceeded) {
  FakeUpstream upstream;
  ScriptedReply slow = ScriptedReply::Respond(200, "late");
  slow.delay = absl::Seconds(5);
  upstream.Enqueue(slow);
  CurlMultiClient client;
  HttpRequest req = Get(upstream.Url("/"));
  req.timeout = absl::Milliseconds(300);
  absl::Time start = absl::Now();
  auto r = SendSync(client, req);
  EXPECT_EQ(r.status().code(), absl::StatusCode::kDeadlineExceeded)
      << r.status();
  EXPECT_LT(absl::Now() - start, absl::Seconds(3));
  // The request went out; the upstream may be acting on it.
  EXPECT_TRUE(IsOutcomeUnknown(r.status()));
}

TEST(CurlMultiClientTest, LowSpeedAbortIsDeadlineExceeded) {
  FakeUpstream upstream;
  ScriptedReply trickle = ScriptedReply::Respond(200, std::string(10000, 'b'));
  trickle.trickle_bytes = 1;
  trickle.trickle_pause = absl::Milliseconds(200);
  upstream.Enqueue(trickle);
  CurlMultiClient client;
  HttpRequest req = Get(upstream.Url("/slow"));
  req.timeout = absl::Seconds(30);
  req.low_speed_bytes = 1000;
  req.low_speed_time = absl::Seconds(1);
  absl::Time start = absl::Now();
  auto r = SendSync(client, req);
  EXPECT_EQ(r.status().code(), absl::StatusCode::kDeadlineExceeded)
      << r.status();
  EXPECT_THAT(r.status().message(), HasSubstr("too slow"));
  EXPECT_LT(absl::Now() - start, absl::Seconds(5));
}

TEST(CurlMultiClientTest, SlowButSteadyBodyCompletes) {
  FakeUpstream upstream;
  ScriptedReply trickle = ScriptedReply::Respond(200, "0123456789");
  trickle.trickle_bytes = 2;
  trickle.trickle_pause = absl::Milliseconds(30);
  upstream.Enqueue(trickle);
  CurlMultiClient client;
  auto r = SendSync(client, Get(upstream.Url("/")));
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->body, "0123456789");
}

TEST(CurlMultiClientTest, DroppedConnectionsAreUnavailable) {
  FakeUpstream upstream;
  ScriptedReply truncated = ScriptedReply::Respond(200, std::string(100, 't'));
  truncated.truncate_body_at = 10;
  upstream.Enqueue(ScriptedReply::Close());
  upstream.Enqueue(ScriptedReply::Reset());
  upstream.Enqueue(truncated);
  CurlMultiClient client;
  for (const char* what : {"close", "reset", "truncated"}) {
    auto r = SendSync(client, Get(upstream.Url("/")));
    EXPECT_EQ(r.status().code(), absl::StatusCode::kUnavailable)
        << what << ": " << r.status();
    EXPECT_TRUE(IsOutcomeUnknown(r.status())) << what;
  }
  // The client is still usable afterwards.
  auto ok = SendSync(client, Get(upstream.Url("/")));
  ASSERT_TRUE(ok.ok()) << ok.status();
}

TEST(CurlMultiClientTest, MalformedResponsesAreUnavailable) {
  const std::vector<std::string> garbage = {
      "HTPX/1.1 200 OK\r\n\r\n",
      "garbage without a status line\r\n\r\n",
      "HTTP/1.1 2x0 OK\r\nContent-Length: 0\r\n\r\n",
      "HTTP/1.1 200 OK\r\nContent-Length: banana\r\n\r\n",
      "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nxx\r\n",
      std::string("\0\0\0\0\xff\xfe", 6),
  };
  FakeUpstream upstream;
  for (const auto& g : garbage) upstream.Enqueue(ScriptedReply::Raw(g));
  CurlMultiClient client;
  for (const auto& g : garbage) {
    auto r = SendSync(client, Get(upstream.Url("/")));
    EXPECT_EQ(r.status().code(), absl::StatusCode::kUnavailable)
        << absl::CEscape(g) << ": " << r.status();
  }
}

TEST(CurlMultiClientTest, BodyOverLimitIsResourceExhausted) {
  FakeUpstream upstream;
  // Announced by Content-Length, and streamed chunked with no length.
  upstream.Enqueue(ScriptedReply::Respond(200, std::string(5000, 'x')));
  upstream.Enqueue(ScriptedReply::Raw(
      Chunked({std::string(600, 'a'), std::string(600, 'b')})));
  upstream.Enqueue(ScriptedReply::Respond(200, std::string(1000, 'x')));
  CurlMultiClient client;
  HttpRequest req = Get(upstream.Url("/big"));
  req.max_response_bytes = 1000;
  for (int i = 0; i < 2; ++i) {
    auto r = SendSync(client, req);
    EXPECT_EQ(r.status().code(), absl::StatusCode::kResourceExhausted)
        << i << ": " << r.status();
  }
  auto exact = SendSync(client, req);
  ASSERT_TRUE(exact.ok()) << exact.status();
  EXPECT_EQ(exact->body.size(), 1000u);
}

TEST(CurlMultiClientTest, EndlessHeadersAreRejected) {
  std::string raw = "HTTP/1.1 200 OK\r\n";
  const std::string filler(1000, 'h');
  for (int i = 0; i < 2000; ++i) {
    absl::StrAppend(&raw, "X-Filler-", i, ": ", filler, "\r\n");
  }
  absl::StrAppend(&raw, "Content-Length: 0\r\n\r\n");
  FakeUpstream upstream;
  upstream.Enqueue(ScriptedReply::Raw(raw));
  CurlMultiClient client;
  auto r = SendSync(client, Get(upstream.Url("/")));
  EXPECT_EQ(r.status().code(), absl::StatusCode::kUnavailable) << r.status();
  EXPECT_THAT(r.status().message(), HasSubstr("header"));
}

TEST(CurlMultiClientTest, InterimResponseHeadersAreDropped) {
  FakeUpstream upstream;
  upstream.Enqueue(
      ScriptedReply::Raw("HTTP/1.1 100 Continue\r\nX-Interim: 1\r\n\r\n"
                         "HTTP/1.1 201 Created\r\nX-Final: 2\r\nX-Final: 3\r\n"
                         "Content-Length: 2\r\n\r\nok"));
  CurlMultiClient client;
  auto r = SendSync(client, Get(upstream.Url("/")));
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->status, 201);
  EXPECT_EQ(r->body, "ok");
  EXPECT_EQ(r->Header("x-interim"), "");
  EXPECT_EQ(r->Header("X-Final"), "2");  // first of duplicates
}

TEST(CurlMultiClientTest, ChunkedBodyIsReassembled) {
  FakeUpstream upstream;
  upstream.Enqueue(ScriptedReply::Raw(Chunked({"hel", "lo ", "world"})));
  CurlMultiClient client;
  auto r = SendSync(client, Get(upstream.Url("/")));
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->body, "hello world");
}

TEST(CurlMultiClientTest, PinnedNameReachesItsAddressWithoutDns) {
  FakeUpstream upstream;
  upstream.Enqueue(ScriptedReply::Respond(200, "pinned"));
  CurlMultiClient client;
  HttpRequest req =
      Get(absl::StrCat("http://upstream.pin.test:", upstream.port(), "/x"));
  req.connect_to = {absl::StrCat("upstream.pin.test:", upstream.port(),
                                 ":127.0.0.1:", upstream.port())};
  auto r = SendSync(client, req);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->body, "pinned");
}

TEST(CurlMultiClientTest, RejectsBadRequestsWithInvalidArgument) {
  CurlMultiClient client;
  HttpRequest injected = Get("http://127.0.0.1:1/");
  injected.headers = {{"X-A", "v\r\nX-Injected: 1"}};
  HttpRequest bad_name = Get("http://127.0.0.1:1/");
  bad_name.headers = {{"Bad Name", "v"}};
  HttpRequest bad_method = Get("http://127.0.0.1:1/");
  bad_method.method = "GET /x";
  HttpRequest bad_pin = Get("http://a.test:1/");
  bad_pin.connect_to = {"a.test:1:127.0.0.1"};
  HttpRequest split_pin = Get("http://a.test:1/");
  split_pin.connect_to = {"a.test:1:127.0.0.1:1\r\nX: y"};
  for (const HttpRequest& req :
       {injected, bad_name, bad_method, bad_pin, split_pin,
        Get("ftp://127.0.0.1/x"), Get("file:///etc/passwd"),
        Get("http://[::1/"), Get("")}) {
    auto r = SendSync(client, req);
    EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument)
        << req.url << ": " << r.status();
  }
}

TEST(CurlMultiClientTest, TwoHundredConcurrentRequestsComplete) {
  FakeUpstream upstream;
  upstream.SetHandler([](const fakes::RecordedRequest& req) {
    ScriptedReply r = ScriptedReply::Respond(200, req.target);
    r.delay = absl::Milliseconds(20);
    return r;
  });
  CurlMultiClient client;
  constexpr int kN = 200;
  std::vector<std::shared_ptr<Outcome>> outcomes;
  for (int i = 0; i < kN; ++i) {
    outcomes.push_back(
        SendAsync(client, Get(upstream.Url(absl::StrCat("/r", i)))));
  }
  for (int i = 0; i < kN; ++i) {
    auto r = Await(outcomes[i]);
    ASSERT_TRUE(r.ok()) << i << ": " << r.status();
    EXPECT_EQ(r->body, absl::StrCat("/r", i));
  }
  auto stats = client.GetStats();
  EXPECT_EQ(stats.requests_started, kN);
  EXPECT_EQ(stats.requests_completed, kN);
  EXPECT_EQ(stats.requests_failed, 0);
  EXPECT_EQ(stats.active_transfers, 0);
}

TEST(CurlMultiClientTest, SendFromCallbackChains) {
  FakeUpstream upstream;
  CurlMultiClient client;
  auto second = std::make_shared<Outcome>();
  client.Send(Get(upstream.Url("/first")), [&, second](auto r) {
    ASSERT_TRUE(r.ok());
    client.Send(Get(upstream.Url("/second")), [second](auto r2) {
      second->result = std::move(r2);
      second->done.Notify();
    });
  });
  auto r = Await(second);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(upstream.RequestCount(), 2);
}

TEST(CurlMultiClientTest, AllCallbacksRunOnOneLoopThread) {
  FakeUpstream upstream;
  upstream.Enqueue(ScriptedReply::Close());
  CurlMultiClient client;
  absl::Mutex mu;
  std::vector<std::thread::id> ids;
  auto note = [&] {
    absl::MutexLock l(&mu);
    ids.push_back(std::this_thread::get_id());
  };
  std::vector<std::shared_ptr<Outcome>> outcomes;
  std::vector<std::thread> senders;
  for (int t = 0; t < 4; ++t) {
    senders.emplace_back([&] {
      for (int i = 0; i < 5; ++i) {
        auto o = std::make_shared<Outcome>();
        client.Send(Get(upstream.Url("/")), [&, o](auto r) {
          note();
          o->result = std::move(r);
          o->done.Notify();
        });
        absl::MutexLock l(&mu);
        outcomes.push_back(o);
      }
    });
  }
  for (auto& s : senders) s.join();
  absl::Notification timer;
  client.RunAt(client.Now(), [&] {
    note();
    timer.Notify();
  });
  for (auto& o : outcomes)
    ASSERT_TRUE(o->done.WaitForNotificationWithTimeout(kWait));
  ASSERT_TRUE(timer.WaitForNotificationWithTimeout(kWait));
  absl::MutexLock l(&mu);
  ASSERT_EQ(ids.size(), 21u);
  for (const auto& id : ids) EXPECT_EQ(id, ids[0]);
  EXPECT_NE(ids[0], std::this_thread::get_id());
}

TEST(CurlMultiClientTest, DestructorCancelsInFlightRequestsAndDropsTimers) {
  FakeUpstream upstream;
  ScriptedReply stall = ScriptedReply::Respond(200, "never");
  stall.delay = absl::Seconds(30);
  upstream.SetDefault(stall);
  std::vector<std::shared_ptr<Outcome>> outcomes;
  std::atomic<bool> timer_fired{false};
  absl::Time start = absl::Now();
  {
    CurlMultiClient client;
    for (int i = 0; i < 3; ++i) {
      outcomes.push_back(SendAsync(client, Get(upstream.Url("/stall"))));
    }
    client.RunAt(client.Now() + absl::Milliseconds(300),
                 [&] { timer_fired = true; });
    ASSERT_TRUE(upstream.WaitForRequests(3, kWait));
  }
  EXPECT_LT(absl::Now() - start, absl::Seconds(5));
  for (auto& o : outcomes) {
    ASSERT_TRUE(o->done.HasBeenNotified());
    EXPECT_EQ(o->result.status().code(), absl::StatusCode::kCancelled);
  }
  absl::SleepFor(absl::Milliseconds(400));
  EXPECT_FALSE(timer_fired);
}

TEST(CurlMultiClientTest, SendAfterShutdownIsCancelledInline) {
  CurlMultiClient client;
  client.Shutdown();
  client.Shutdown();  // idempotent
  auto o = SendAsync(client, Get("http://127.0.0.1:1/"));
  ASSERT_TRUE(o->done.HasBeenNotified());
  EXPECT_EQ(o->result.status().code(), absl::StatusCode::kCancelled);
  bool ran = false;
  client.RunAt(client.Now(), [&] { ran = true; });
  EXPECT_FALSE(ran);
}

TEST(CurlMultiClientTest, StatsCountFailures) {
  FakeUpstream upstream;
  upstream.Enqueue(ScriptedReply::Reset());
  CurlMultiClient client;
  EXPECT_FALSE(SendSync(client, Get(upstream.Url("/"))).ok());
  EXPECT_TRUE(SendSync(client, Get(upstream.Url("/"))).ok());
  auto stats = client.GetStats();
  EXPECT_EQ(stats.requests_started, 2);
  EXPECT_EQ(stats.requests_completed, 1);
  EXPECT_EQ(stats.requests_failed, 1);
  EXPECT_EQ(stats.active_transfers, 0);
}

}  // namespace
}  // namespace mediagw::net
