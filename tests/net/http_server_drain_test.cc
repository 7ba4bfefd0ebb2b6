// HttpServer::Drain: the listener closes at once, connections with nothing
// in flight close, requests in flight (still being sent, or waiting for the
// handler's answer) are answered with Connection: close, and what is left
// when the grace is over is cut.
#include <memory>
#include <string>
#include <thread>

#include "absl/strings/match.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "gtest/gtest.h"
#include "tests/net/http_test_client.h"

namespace mediagw::net {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = boost::beast::http;
using test_util::Client;
using test_util::Response;
using test_util::SendText;
using test_util::StartServer;
using test_util::WriterBox;

TEST(HttpServerDrainTest, FinishesRequestsInFlightAndClosesTheRest) {
  WriterBox box;
  auto server = StartServer({}, [&](ServerRequest req,
                                    std::shared_ptr<ResponseWriter> w) {
    if (req.path == "/held") {
      box.Put(std::move(w));  // answered after the drain began
      return;
    }
    SendText(w, 200, "body:" + req.body);
  });
  const int port = server->port();
  Client idle(port);  // a keep-alive connection between requests
  Response res;
  ASSERT_FALSE(idle.Request(http::verb::get, "/", "", &res));
  Client silent(port);  // connected, nothing sent
  ASSERT_TRUE(silent.connected());
  Client held(port);  // its handler answers later
  ASSERT_FALSE(held.Write("GET /held HTTP/1.1\r\nHost: x\r\n\r\n"));
  ASSERT_NE(box.WaitFirst(), nullptr);
  Client slow(port);  // its body is still coming
  ASSERT_FALSE(slow.Write(
      "POST /slow HTTP/1.1\r\nHost: x\r\nContent-Length: 6\r\n\r\nabc"));
  absl::SleepFor(absl::Milliseconds(100));  // the server read the half

  std::thread drain([&] { server->Drain(absl::Seconds(10)); });
  beast::error_code ec;
  EXPECT_EQ(idle.ReadToEnd(&ec), "");
  EXPECT_EQ(silent.ReadToEnd(&ec), "");
  // The listener closes (posted to its strand): new connections are refused.
  const absl::Time end = absl::Now() + absl::Seconds(5);
  while (Client(port).connected() && absl::Now() < end) {
    absl::SleepFor(absl::Milliseconds(10));
  }
  EXPECT_FALSE(Client(port).connected());

  ASSERT_FALSE(slow.Write("def"));
  const std::string slow_answer = slow.ReadToEnd(&ec);
  EXPECT_TRUE(absl::StartsWith(slow_answer, "HTTP/1.1 200")) << slow_answer;
  EXPECT_TRUE(absl::StrContains(slow_answer, "Connection: close"))
      << slow_answer;
  EXPECT_TRUE(absl::EndsWith(slow_answer, "body:abcdef")) << slow_answer;

  SendText(box.WaitFirst(), 200, "late");
  box.Clear();
  const std::string held_answer = held.ReadToEnd(&ec);
  EXPECT_TRUE(absl::StartsWith(held_answer, "HTTP/1.1 200")) << held_answer;
  EXPECT_TRUE(absl::StrContains(held_answer, "Connection: close"))
      << held_answer;
  drain.join();  // nothing left: returns without waiting out the grace
  EXPECT_EQ(server->open_connections(), 0u);
}

// The only connection left waits for its handler, with no operation
// pending on its socket: the server must keep running to write the answer.
TEST(HttpServerDrainTest, AnAnswerGivenLaterIsStillWritten) {
  WriterBox box;
  auto server = StartServer({}, [&](ServerRequest,
                                    std::shared_ptr<ResponseWriter> w) {
    box.Put(std::move(w));
  });
  Client held(server->port());
  ASSERT_FALSE(held.Write("GET / HTTP/1.1\r\nHost: x\r\n\r\n"));
  ASSERT_NE(box.WaitFirst(), nullptr);
  std::thread drain([&] { server->Drain(absl::Seconds(10)); });
  absl::SleepFor(absl::Milliseconds(200));  // the listener is gone by now
  SendText(box.WaitFirst(), 200, "late");
  box.Clear();
  beast::error_code ec;
  const std::string answer = held.ReadToEnd(&ec);
  EXPECT_TRUE(absl::StartsWith(answer, "HTTP/1.1 200")) << answer;
  EXPECT_TRUE(absl::EndsWith(answer, "late")) << answer;
  drain.join();
}

TEST(HttpServerDrainTest, WhatIsStillOpenAfterTheGraceIsCut) {
  WriterBox box;
  auto server = StartServer({}, [&](ServerRequest,
                                    std::shared_ptr<ResponseWriter> w) {
    box.Put(std::move(w));  // never answered
  });
  Client held(server->port());
  ASSERT_FALSE(held.Write("GET / HTTP/1.1\r\nHost: x\r\n\r\n"));
  ASSERT_NE(box.WaitFirst(), nullptr);
  server->Drain(absl::Milliseconds(300));
  beast::error_code ec;
  EXPECT_EQ(held.ReadToEnd(&ec), "");
  EXPECT_EQ(server->open_connections(), 0u);
  box.Clear();
}

}  // namespace
}  // namespace mediagw::net
