// HttpServer against hostile clients: the connection cap, idle-first
// eviction near it, the whole-request deadline and the head check.
#include <atomic>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "gtest/gtest.h"
#include "net/http_server.h"
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

// Waits (bounded) until the server counts `n` open connections.
bool WaitOpen(const HttpServer& server, size_t n) {
  const absl::Time end = absl::Now() + absl::Seconds(5);
  while (server.open_connections() != n) {
    if (absl::Now() > end) return false;
    absl::SleepFor(absl::Milliseconds(5));
  }
  return true;
}

// True when the peer closed: a request on the connection gets no answer.
bool IsClosed(Client& client) {
  Response res;
  return static_cast<bool>(client.Request(http::verb::get, "/probe", "", &res));
}

TEST(HttpServerLimitsTest, BeyondTheCapNewConnectionsAreRefusedAtOnce) {
  HttpServerOptions options;
  options.max_connections = 4;
  std::atomic<int> calls{0};
  auto server = StartServer(
      options, [&](ServerRequest req, std::shared_ptr<ResponseWriter> w) {
        ++calls;
        SendText(w, 200, req.path);
      });
  // Four silent connections hold every slot.
  std::vector<std::unique_ptr<Client>> held;
  for (int i = 0; i < 4; ++i) {
    held.push_back(std::make_unique<Client>(server->port()));
    ASSERT_TRUE(held.back()->connected());
  }
  ASSERT_TRUE(WaitOpen(*server, 4));

  for (int i = 0; i < 3; ++i) {
    Client extra(server->port());
    ASSERT_TRUE(extra.connected());
    beast::error_code ec;
    const std::string raw = extra.ReadToEnd(&ec);
    // Refused without a request having been sent: a bare 503, then close.
    EXPECT_TRUE(raw.empty() || absl::StartsWith(raw, "HTTP/1.1 503 ")) << raw;
    EXPECT_TRUE(ec == asio::error::eof || ec == asio::error::connection_reset)
        << ec.message();
  }
  EXPECT_EQ(calls.load(), 0);
  EXPECT_EQ(server->open_connections(), 4u);

  // The connections already open are served as usual, more than once.
  for (int round = 0; round < 2; ++round) {
    for (size_t i = 0; i < held.size(); ++i) {
      Response res;
      const std::string path = absl::StrCat("/held", i);
      ASSERT_FALSE(held[i]->Request(http::verb::get, path, "", &res));
      EXPECT_EQ(res.result_int(), 200);
      EXPECT_EQ(res.body(), path);
    }
  }

  // A closed one frees its slot.
  held[0]->Close();
  ASSERT_TRUE(WaitOpen(*server, 3));
  Client again(server->port());
  Response res;
  ASSERT_FALSE(again.Request(http::verb::get, "/again", "", &res));
  EXPECT_EQ(res.body(), "/again");
}

TEST(HttpServerLimitsTest, NearTheCapIdleKeepAliveConnectionsGoFirst) {
  HttpServerOptions options;
  options.max_connections = 10;  // eviction from 9 open connections on
  auto server = StartServer(
      options, [](ServerRequest req, std::shared_ptr<ResponseWriter> w) {
        SendText(w, 200, req.path);
      });
  // Five connections idle between requests, oldest first.
  std::vector<std::unique_ptr<Client>> idle;
  for (int i = 0; i < 5; ++i) {
    idle.push_back(std::make_unique<Client>(server->port()));
    Response res;
    ASSERT_FALSE(idle.back()->Request(http::verb::get, "/idle", "", &res));
    ASSERT_TRUE(res.keep_alive());
    // Idle order is the order the responses were written.
    absl::SleepFor(absl::Milliseconds(30));
  }
  // Three in the middle of a request.
  std::vector<std::unique_ptr<Client>> busy;
  for (int i = 0; i < 3; ++i) {
    busy.push_back(std::make_unique<Client>(server->port()));
    ASSERT_FALSE(busy.back()->Write("GET /busy HTTP/1.1\r\nHost: x\r\n"));
  }
  ASSERT_TRUE(WaitOpen(*server, 8));

  // Four newcomers: 12 would not fit under the cap of 10 without evictions.
  std::vector<std::unique_ptr<Client>> fresh;
  for (int i = 0; i < 4; ++i) {
    fresh.push_back(std::make_unique<Client>(server->port()));
    Response res;
    ASSERT_FALSE(fresh.back()->Request(http::verb::get, "/new", "", &res))
        << "newcomer " << i << " was refused";
    EXPECT_EQ(res.body(), "/new");
  }

  // Requests already under way are never cut.
  for (auto& client : busy) {
    ASSERT_FALSE(client->Write("\r\n"));
    Response res;
    ASSERT_FALSE(client->ReadResponse(&res));
    EXPECT_EQ(res.body(), "/busy");
  }
  // At least two idle connections went, and always the oldest.
  std::vector<bool> closed;
  for (auto& client : idle) closed.push_back(IsClosed(*client));
  int evicted = 0;
  for (size_t i = 0; i < closed.size(); ++i) {
    if (closed[i]) ++evicted;
    if (i > 0 && closed[i]) {
      EXPECT_TRUE(closed[i - 1]) << "idle " << i << " evicted before " << i - 1;
    }
  }
  EXPECT_GE(evicted, 2);
  EXPECT_LE(server->open_connections(), 10u);
}

TEST(HttpServerLimitsTest, TrickledBodyIsCutAtTheRequestDeadline) {
  HttpServerOptions options;
  options.request_timeout = absl::Milliseconds(300);
  options.header_timeout = absl::Seconds(10);
  options.idle_timeout = absl::Seconds(10);
  std::atomic<int> calls{0};
  auto server = StartServer(
      options, [&](ServerRequest, std::shared_ptr<ResponseWriter> w) {
        ++calls;
        SendText(w, 200, "ok");
      });
  Client client(server->port());
  ASSERT_FALSE(client.Write(
      "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n"));
  // A byte every 50 ms: each read makes progress, the request never ends.
  const absl::Time start = absl::Now();
  bool cut = false;
  for (int i = 0; i < 100 && !cut; ++i) {
    absl::SleepFor(absl::Milliseconds(50));
    cut = static_cast<bool>(client.Write("x"));
  }
  EXPECT_TRUE(cut) << "still open after " << absl::Now() - start;
  EXPECT_EQ(calls.load(), 0);
}

TEST(HttpServerLimitsTest, TrickledHeadersAreCutAtTheRequestDeadline) {
  HttpServerOptions options;
  options.request_timeout = absl::Milliseconds(300);
  options.header_timeout = absl::Seconds(10);
  std::atomic<int> calls{0};
  auto server = StartServer(
      options, [&](ServerRequest, std::shared_ptr<ResponseWriter> w) {
        ++calls;
        SendText(w, 200, "ok");
      });
  // First an ordinary request, so the deadline of the second one runs from
  // its own first byte.
  Client client(server->port());
  Response res;
  ASSERT_FALSE(client.Request(http::verb::get, "/", "", &res));
  ASSERT_FALSE(client.Write("GET / HTTP/1.1\r\n"));
  bool cut = false;
  for (int i = 0; i < 100 && !cut; ++i) {
    absl::SleepFor(absl::Milliseconds(50));
    cut = static_cast<bool>(client.Write("X-Slow: 1\r\n"));
  }
  EXPECT_TRUE(cut);
  EXPECT_EQ(calls.load(), 1);
}

// Refuses POST /secret without "x-key: good", as an API key check would.
std::optional<ServerResponse> CheckKey(const ServerRequest& head) {
  if (head.path != "/secret" || head.Header("x-key") == "good") {
    return std::nullopt;
  }
  EXPECT_TRUE(head.body.empty());
  ServerResponse res;
  res.status = 401;
  res.body = R"({"error":"bad key"})";
  return res;
}

TEST(HttpServerLimitsTest, HeadCheckRefusesBeforeContinueAndBody) {
  HttpServerOptions options;
  options.check_head = CheckKey;
  std::atomic<int> calls{0};
  auto server = StartServer(
      options, [&](ServerRequest req, std::shared_ptr<ResponseWriter> w) {
        ++calls;
        SendText(w, 200, absl::StrCat(req.body.size()));
      });
  Client client(server->port());
  ASSERT_FALSE(client.Write(
      "POST /secret HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\n"
      "Content-Length: 8388608\r\n\r\n"));
  beast::error_code ec;
  const std::string raw = client.ReadToEnd(&ec);
  EXPECT_TRUE(absl::StartsWith(raw, "HTTP/1.1 401 ")) << raw;
  EXPECT_FALSE(absl::StrContains(raw, "100 Continue")) << raw;
  EXPECT_TRUE(absl::StrContains(raw, "Connection: close\r\n")) << raw;
  EXPECT_TRUE(absl::EndsWith(raw, R"({"error":"bad key"})")) << raw;
  EXPECT_EQ(ec, asio::error::eof) << ec.message();
  EXPECT_EQ(calls.load(), 0);
}

TEST(HttpServerLimitsTest, HeadCheckAnswersAnUploadWithoutWaitingForIt) {
  HttpServerOptions options;
  options.check_head = CheckKey;
  std::atomic<int> calls{0};
  auto server = StartServer(
      options, [&](ServerRequest, std::shared_ptr<ResponseWriter> w) {
        ++calls;
        SendText(w, 200, "ok");
      });
  // No Expect: the client starts on its 8 MB body, but the answer comes
  // after the first piece, long before the body could be complete.
  Client client(server->port());
  ASSERT_FALSE(client.Write(absl::StrCat(
      "POST /secret HTTP/1.1\r\nHost: x\r\nContent-Length: 8388608\r\n\r\n",
      std::string(1000, 'b'))));
  Response res;
  ASSERT_FALSE(client.ReadResponse(&res));
  EXPECT_EQ(res.result_int(), 401);
  EXPECT_FALSE(res.keep_alive());
  EXPECT_EQ(calls.load(), 0);
}

TEST(HttpServerLimitsTest, HeadCheckLetsGoodRequestsThrough) {
  HttpServerOptions options;
  options.check_head = CheckKey;
  auto server = StartServer(
      options, [](ServerRequest req, std::shared_ptr<ResponseWriter> w) {
        SendText(w, 200, absl::StrCat(req.path, " ", req.body));
      });
  Client client(server->port());
  ASSERT_FALSE(
      client.Write("POST /secret HTTP/1.1\r\nHost: x\r\nx-key: good\r\n"
                   "Expect: 100-continue\r\nContent-Length: 4\r\n\r\n"));
  ASSERT_TRUE(client.ReadUntil("HTTP/1.1 100 Continue\r\n\r\n"));
  ASSERT_FALSE(client.Write("data"));
  ASSERT_TRUE(client.ReadUntil("\r\n\r\n/secret data"));
  // Other paths pass the check too, on the same connection.
  Response res;
  ASSERT_FALSE(client.Request(http::verb::get, "/open", "", &res));
  EXPECT_EQ(res.body(), "/open ");
}

}  // namespace
}  // namespace mediagw::net
