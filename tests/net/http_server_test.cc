// HttpServer over real loopback sockets: a small Beast client drives it and
// every wait is bounded.
#include "net/http_server.h"

#include <atomic>
#include <chrono>
#include <memory>
#include <random>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
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
using tcp = boost::asio::ip::tcp;
using test_util::Await;
using test_util::Client;
using test_util::Response;
using test_util::SendText;
using test_util::StartServer;
using test_util::WriterBox;
using test_util::kWait;
namespace websocket = boost::beast::websocket;

TEST(HttpServerTest, RoundTripsGetAndPostOnOneKeepAliveConnection) {
  absl::Mutex mu;
  std::vector<std::string> remotes;
  HttpServerOptions options;
  options.threads = 2;
  auto server = StartServer(options, [&](ServerRequest req,
                                         std::shared_ptr<ResponseWriter> w) {
    {
      absl::MutexLock lock(&mu);
      remotes.push_back(req.remote);
    }
    ServerResponse res;
    res.content_type = "text/plain";
    res.headers = {{"X-Test", "yes"}, {"X-Bad", "a\r\nInjected: 1"},
                   {"Bad Name", "v"}, {"content-length", "999"}};
    res.body = absl::StrCat(req.method, " ", req.path, " ", req.query, " ",
                            req.Header("X-Custom"), " ", req.body);
    w->Send(std::move(res));
  });

  Client client(server->port());
  ASSERT_TRUE(client.connected());
  Response res;
  ASSERT_FALSE(client.Request(http::verb::get, "/a%20b?x=1", "", &res));
  EXPECT_EQ(res.result_int(), 200);
  EXPECT_EQ(res.body(), "GET /a b x=1  ");
  EXPECT_EQ(res[http::field::server], "mediagw");
  EXPECT_EQ(res["x-test"], "yes");
  EXPECT_EQ(res["injected"], "");
  EXPECT_EQ(res["x-bad"], "");
  EXPECT_EQ(res["bad name"], "");
  EXPECT_EQ(res[http::field::content_type], "text/plain");
  EXPECT_TRUE(res.keep_alive());

  ASSERT_FALSE(client.Request(http::verb::post, "/echo", "hello", &res));
  EXPECT_EQ(res.result_int(), 200);
  EXPECT_EQ(res.body(), "POST /echo   hello");
  EXPECT_EQ(res[http::field::content_length], "18");

  absl::MutexLock lock(&mu);
  ASSERT_EQ(remotes.size(), 2u);
  EXPECT_EQ(remotes[0], remotes[1]);  // same connection
  EXPECT_TRUE(absl::StartsWith(remotes[0], "127.0.0.1:"));
}

TEST(HttpServerTest, HeadersAreLowerCasedAndLookedUpCaseInsensitively) {
  ServerRequest seen;
  absl::Notification got;
  auto server = StartServer({}, [&](ServerRequest req,
                                    std::shared_ptr<ResponseWriter> w) {
    seen = req;
    got.Notify();
    SendText(w, 204, "");
  });
  Client client(server->port());
  ASSERT_FALSE(client.Write(
      "GET /h HTTP/1.1\r\nHost: x\r\nX-Mixed-Case: v1\r\nx-mixed-case: v2\r\n\r\n"));
  Response res;
  ASSERT_FALSE(client.ReadResponse(&res));
  ASSERT_TRUE(got.WaitForNotificationWithTimeout(absl::Seconds(5)));
  EXPECT_EQ(seen.Header("X-MIXED-CASE"), "v1");
  EXPECT_EQ(seen.Header("absent"), "");
  bool found = false;
  for (const auto& [k, v] : seen.headers) {
    if (k == "x-mixed-case") found = true;
    EXPECT_EQ(k, absl::AsciiStrToLower(k));
  }
  EXPECT_TRUE(found);
}

TEST(HttpServerTest, AnswersLaterFromAnotherThread) {
  std::vector<std::thread> threads;
  absl::Mutex mu;
  auto server = StartServer({}, [&](ServerRequest,
                                    std::shared_ptr<ResponseWriter> w) {
    absl::MutexLock lock(&mu);
    threads.emplace_back([w] {
      absl::SleepFor(absl::Milliseconds(150));
      SendText(w, 202, "later");
    });
  });
  Client client(server->port());
  const absl::Time start = absl::Now();
  Response res;
  ASSERT_FALSE(client.Request(http::verb::get, "/slow", "", &res));
  EXPECT_GE(absl::Now() - start, absl::Milliseconds(140));
  EXPECT_EQ(res.result_int(), 202);
  EXPECT_EQ(res.body(), "later");
  // The connection is reusable after a late answer.
  ASSERT_FALSE(client.Request(http::verb::get, "/slow", "", &res));
  EXPECT_EQ(res.body(), "later");
  absl::MutexLock lock(&mu);
  for (auto& t : threads) t.join();
}

TEST(HttpServerTest, DroppedWriterSends500) {
  auto server = StartServer(
      {}, [](ServerRequest, std::shared_ptr<ResponseWriter>) {});
  Client client(server->port());
  Response res;
  ASSERT_FALSE(client.Request(http::verb::get, "/", "", &res));
  EXPECT_EQ(res.result_int(), 500);
  EXPECT_TRUE(absl::StrContains(res.body(), R"("success":false)"));
}

TEST(HttpServerTest, HeadGetsLengthButNoBody) {
  auto server = StartServer({}, [](ServerRequest,
                                   std::shared_ptr<ResponseWriter> w) {
    SendText(w, 200, "twelve bytes");
  });
  Client client(server->port());
  ASSERT_FALSE(client.Write("HEAD / HTTP/1.1\r\nHost: x\r\n\r\n"
                            "GET / HTTP/1.1\r\nHost: x\r\n\r\n"));
  ASSERT_TRUE(client.ReadUntil("twelve bytes"));
  EXPECT_TRUE(absl::StrContains(client.seen(), "Content-Length: 12\r\n"));
  // The HEAD answer carries no body: the body text appears exactly once.
  const std::string& s = client.seen();
  EXPECT_EQ(s.find("twelve bytes"), s.rfind("twelve bytes"));
}

TEST(HttpServerTest, BodyOverLimitGets413AndHandlerIsNotCalled) {
  std::atomic<int> calls{0};
  HttpServerOptions options;
  options.max_body_bytes = 1000;
  auto server = StartServer(options, [&](ServerRequest,
                                         std::shared_ptr<ResponseWriter> w) {
    ++calls;
    SendText(w, 200, "ok");
  });
  {
    Client client(server->port());
    ASSERT_FALSE(client.Write(absl::StrCat(
        "POST /up HTTP/1.1\r\nHost: x\r\nContent-Length: 5000\r\n\r\n",
        std::string(5000, 'a'))));
    Response res;
    ASSERT_FALSE(client.ReadResponse(&res));
    EXPECT_EQ(res.result_int(), 413);
    EXPECT_EQ(res.body(),
              R"({"success":false,"data":null,"error":"Request body too large"})");
    EXPECT_EQ(res[http::field::content_type], "application/json");
    EXPECT_FALSE(res.keep_alive());
  }
  {
    // A chunked body has no length up front; the limit still applies.
    Client client(server->port());
    ASSERT_FALSE(client.Write(
        "POST /up HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
        "3e8\r\n" + std::string(1000, 'b') + "\r\n3e8\r\n" +
        std::string(1000, 'c') + "\r\n0\r\n\r\n"));
    Response res;
    ASSERT_FALSE(client.ReadResponse(&res));
    EXPECT_EQ(res.result_int(), 413);
  }
  {
    // At the limit is fine.
    Client client(server->port());
    Response res;
    ASSERT_FALSE(client.Request(http::verb::post, "/up",
                                std::string(1000, 'd'), &res));
    EXPECT_EQ(res.result_int(), 200);
  }
  EXPECT_EQ(calls.load(), 1);
}

TEST(HttpServerTest, HugeHeadersGet431) {
  HttpServerOptions options;
  options.max_header_bytes = 1024;
  auto server = StartServer(options, [](ServerRequest,
                                        std::shared_ptr<ResponseWriter> w) {
    SendText(w, 200, "ok");
  });
  Client client(server->port());
  ASSERT_FALSE(client.Write(absl::StrCat("GET / HTTP/1.1\r\nHost: x\r\nX-Big: ",
                                         std::string(4000, 'h'), "\r\n\r\n")));
  Response res;
  ASSERT_FALSE(client.ReadResponse(&res));
  EXPECT_EQ(res.result_int(), 431);
  beast::error_code ec;
  client.ReadToEnd(&ec);
  EXPECT_EQ(ec, asio::error::eof);
}

TEST(HttpServerTest, MalformedRequestsGet400AndClose) {
  std::atomic<int> calls{0};
  auto server = StartServer({}, [&](ServerRequest,
                                    std::shared_ptr<ResponseWriter> w) {
    ++calls;
    SendText(w, 200, "ok");
  });
  const std::vector<std::string> bad = {
      "GET /x HTTP/1.1\r\nHost: x\r\nNo colon here\r\n\r\n",
      "NOT A REQUEST\r\n\r\n",
      "GET /x HTTP/9.9\r\n\r\n",
      "POST /x HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n",
      "POST /x HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
      "POST /x HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n"
      "Content-Length: 6\r\n\r\nabcdef",
      "POST /x HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n",
      "GET /x HTTP/1.1\r\nBad Name: v\r\n\r\n",
      std::string("GET /x HTTP/1.1\r\nX: a\0b\r\n\r\n", 31),
      "GET /x y HTTP/1.1\r\n\r\n",
      "POST /x HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n"
      "Transfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n",
  };
  for (const std::string& request : bad) {
    SCOPED_TRACE(request);
    Client client(server->port());
    ASSERT_FALSE(client.Write(request));
    beast::error_code ec;
    const std::string raw = client.ReadToEnd(&ec);
    EXPECT_TRUE(absl::StartsWith(raw, "HTTP/1.1 400 ")) << raw;
    EXPECT_TRUE(absl::StrContains(raw, "Bad request"));
    EXPECT_EQ(ec, asio::error::eof);
  }
  EXPECT_EQ(calls.load(), 0);
}

// Mutated and truncated requests: every answer is a well-formed status line
// the server is allowed to give, and the server keeps serving afterwards.
TEST(HttpServerTest, SurvivesMutatedRequests) {
  HttpServerOptions options;
  options.header_timeout = absl::Milliseconds(100);
  options.idle_timeout = absl::Milliseconds(100);
  options.max_body_bytes = 64;
  options.max_header_bytes = 256;
  auto server = StartServer(options, [](ServerRequest req,
                                        std::shared_ptr<ResponseWriter> w) {
    SendText(w, 200, req.body);
  });
  const std::string valid =
      "POST /p?q=1 HTTP/1.1\r\nHost: x\r\nX-A: b\r\n"
      "Transfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n";
  std::mt19937 rng(1234);
  int answered_200 = 0;
  int answered_other = 0;
  int closed_silently = 0;
  for (int i = 0; i < 60; ++i) {
    std::string request = valid;
    const int edits = 1 + static_cast<int>(rng() % 4);
    for (int e = 0; e < edits; ++e) {
      const size_t at = rng() % request.size();
      switch (rng() % 3) {
        case 0:
          request[at] = static_cast<char>(rng() % 256);
          break;
        case 1:
          request.erase(at, 1 + rng() % 8);
          break;
        default:
          request.insert(at, std::string(1 + rng() % 300,
                                         static_cast<char>(rng() % 256)));
      }
      if (request.empty()) request = "\r\n";
    }
    SCOPED_TRACE(absl::CEscape(request));
    Client client(server->port());
    ASSERT_TRUE(client.connected());
    ASSERT_FALSE(client.Write(request));
    beast::error_code ec;
    const std::string raw = client.ReadToEnd(&ec);
    EXPECT_NE(ec, asio::error::would_block);  // the server closed in time
    if (raw.empty()) {
      ++closed_silently;
      continue;
    }
    (absl::StartsWith(raw, "HTTP/1.1 200 ") ? answered_200 : answered_other)++;
    EXPECT_TRUE(absl::StartsWith(raw, "HTTP/1.1 200 ") ||
                absl::StartsWith(raw, "HTTP/1.1 400 ") ||
                absl::StartsWith(raw, "HTTP/1.1 413 ") ||
                absl::StartsWith(raw, "HTTP/1.1 431 "))
        << raw;
  }
  // The mutations exercise every outcome, not only the parser's first check.
  EXPECT_GT(answered_200, 0);
  EXPECT_GT(answered_other, 0);
  EXPECT_GT(closed_silently, 0);
  Client client(server->port());
  Response res;
  ASSERT_FALSE(client.Request(http::verb::post, "/", "still here", &res));
  EXPECT_EQ(res.body(), "still here");
}

TEST(HttpServerTest, HeaderTimeoutClosesPartialRequest) {
  HttpServerOptions options;
  options.header_timeout = absl::Milliseconds(200);
  std::atomic<int> calls{0};
  auto server = StartServer(options, [&](ServerRequest,
                                         std::shared_ptr<ResponseWriter> w) {
    ++calls;
    SendText(w, 200, "ok");
  });
  Client client(server->port());
  const absl::Time start = absl::Now();
  ASSERT_FALSE(client.Write("GET / HTTP/1.1\r\nHost: x\r\n"));
  beast::error_code ec;
  const std::string raw = client.ReadToEnd(&ec);
  const absl::Duration elapsed = absl::Now() - start;
  EXPECT_TRUE(raw.empty()) << raw;
  EXPECT_TRUE(ec == asio::error::eof || ec == asio::error::connection_reset)
      << ec.message();
  EXPECT_GE(elapsed, absl::Milliseconds(150));
  EXPECT_LT(elapsed, absl::Seconds(3));
  EXPECT_EQ(calls.load(), 0);
}

TEST(HttpServerTest, IdleTimeoutClosesKeepAliveConnection) {
  HttpServerOptions options;
  options.idle_timeout = absl::Milliseconds(200);
  auto server = StartServer(options, [](ServerRequest,
                                        std::shared_ptr<ResponseWriter> w) {
    SendText(w, 200, "ok");
  });
  Client client(server->port());
  Response res;
  ASSERT_FALSE(client.Request(http::verb::get, "/", "", &res));
  EXPECT_TRUE(res.keep_alive());
  const absl::Time start = absl::Now();
  beast::error_code ec;
  EXPECT_TRUE(client.ReadToEnd(&ec).empty());
  EXPECT_EQ(ec, asio::error::eof);
  EXPECT_LT(absl::Now() - start, absl::Seconds(3));
}

TEST(HttpServerTest, ConnectionCloseAndHttp10CloseAfterResponse) {
  auto server = StartServer({}, [](ServerRequest,
                                   std::shared_ptr<ResponseWriter> w) {
    SendText(w, 200, "bye");
  });
  for (const std::string request :
       {"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
        "GET / HTTP/1.0\r\n\r\n"}) {
    SCOPED_TRACE(request);
    Client client(server->port());
    ASSERT_FALSE(client.Write(request));
    beast::error_code ec;
    const std::string raw = client.ReadToEnd(&ec);
    EXPECT_TRUE(absl::StrContains(raw, " 200 OK\r\n")) << raw;
    EXPECT_TRUE(absl::EndsWith(raw, "\r\n\r\nbye")) << raw;
    EXPECT_EQ(ec, asio::error::eof);
  }
}

TEST(HttpServerTest, ExpectContinueGetsInterimResponse) {
  auto server = StartServer({}, [](ServerRequest req,
                                   std::shared_ptr<ResponseWriter> w) {
    SendText(w, 200, req.body);
  });
  Client client(server->port());
  ASSERT_FALSE(client.Write(
      "PUT /x HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\n"
      "Content-Length: 4\r\n\r\n"));
  ASSERT_TRUE(client.ReadUntil("HTTP/1.1 100 Continue\r\n\r\n"));
  ASSERT_FALSE(client.Write("data"));
  ASSERT_TRUE(client.ReadUntil("\r\n\r\ndata"));
}

TEST(HttpServerTest, QueryParamDecoding) {
  ServerRequest req;
  req.query =
      "a=1&b=hello+world&c=%41%42%2b&d=%zz&e=100%&f&g=%4&&x%20y=sp&a=2&h=";
  EXPECT_EQ(req.QueryParam("a"), "1");  // first wins
  EXPECT_EQ(req.QueryParam("b"), "hello world");
  EXPECT_EQ(req.QueryParam("c"), "AB+");
  EXPECT_EQ(req.QueryParam("d"), "%zz");
  EXPECT_EQ(req.QueryParam("e"), "100%");
  EXPECT_EQ(req.QueryParam("f"), "");
  EXPECT_EQ(req.QueryParam("g"), "%4");
  EXPECT_EQ(req.QueryParam("x y"), "sp");
  EXPECT_EQ(req.QueryParam("h"), "");
  EXPECT_EQ(req.QueryParam("missing"), std::nullopt);
  EXPECT_EQ(req.QueryParam(""), std::nullopt);
  req.query = "";
  EXPECT_EQ(req.QueryParam("a"), std::nullopt);
  req.query = "%";
  EXPECT_EQ(req.QueryParam("%"), "");
}

TEST(HttpServerTest, PathIsPercentDecodedWithMalformedEscapesKept) {
  absl::Mutex mu;
  std::vector<ServerRequest> seen;
  auto server = StartServer({}, [&](ServerRequest req,
                                    std::shared_ptr<ResponseWriter> w) {
    absl::MutexLock lock(&mu);
    seen.push_back(req);
    SendText(w, 200, "ok");
  });
  Client client(server->port());
  Response res;
  ASSERT_FALSE(client.Request(http::verb::get,
                              "/up%2Floads/a+b%zz%4?task_id=t%31", "", &res));
  ASSERT_FALSE(client.Request(http::verb::get, "/trailing%", "", &res));
  absl::MutexLock lock(&mu);
  ASSERT_EQ(seen.size(), 2u);
  EXPECT_EQ(seen[0].path, "/up/loads/a+b%zz%4");
  EXPECT_EQ(seen[0].target, "/up%2Floads/a+b%zz%4?task_id=t%31");
  EXPECT_EQ(seen[0].query, "task_id=t%31");
  EXPECT_EQ(seen[0].QueryParam("task_id"), "t1");
  EXPECT_EQ(seen[1].path, "/trailing%");
  EXPECT_EQ(seen[1].query, "");
}

TEST(HttpServerTest, StreamDeliversEachChunkPromptlyAndReportsDisconnect) {
  WriterBox box;
  absl::Notification closed;
  auto server = StartServer({}, [&](ServerRequest,
                                    std::shared_ptr<ResponseWriter> w) {
    w->OnClose([&closed] { closed.Notify(); });
    w->StartStream(200, {{"content-type", "text/event-stream"},
                         {"cache-control", "no-cache"}});
    w->Write("data: one\n\n");
    box.Put(std::move(w));
  });
  Client client(server->port());
  ASSERT_FALSE(client.Write("GET /events HTTP/1.1\r\nHost: x\r\n\r\n"));
  // Chunk one arrives while the stream is still open and chunk two unwritten.
  ASSERT_TRUE(client.ReadUntil("data: one\n\n"));
  EXPECT_TRUE(absl::StrContains(client.seen(), "Transfer-Encoding: chunked"));
  EXPECT_TRUE(absl::StrContains(client.seen(),
                                "Content-Type: text/event-stream"));
  EXPECT_TRUE(absl::StrContains(client.seen(), "b\r\ndata: one\n\n\r\n"));
  EXPECT_FALSE(closed.HasBeenNotified());

  auto writer = box.WaitFirst();
  ASSERT_NE(writer, nullptr);
  writer->Write("data: two\n\n");
  ASSERT_TRUE(client.ReadUntil("data: two\n\n"));
  EXPECT_FALSE(closed.HasBeenNotified());

  client.Close();
  EXPECT_TRUE(closed.WaitForNotificationWithTimeout(absl::Seconds(5)));
  // After the peer left these are harmless no-ops.
  writer->Write("data: three\n\n");
  writer->End();
  int late = 0;
  writer->OnClose([&late] { ++late; });  // already closed: runs at once
  EXPECT_EQ(late, 1);
}

TEST(HttpServerTest, StreamToReaderThatNeverReadsIsClosed) {
  WriterBox box;
  absl::Notification closed;
  auto server = StartServer({}, [&](ServerRequest,
                                    std::shared_ptr<ResponseWriter> w) {
    w->OnClose([&closed] { closed.Notify(); });
    w->StartStream(200, {{"content-type", "application/octet-stream"}});
    box.Put(std::move(w));
  });
  Client client(server->port());
  ASSERT_FALSE(client.Write("GET /firehose HTTP/1.1\r\nHost: x\r\n\r\n"));
  auto writer = box.WaitFirst();
  ASSERT_NE(writer, nullptr);
  // Far more than the kernel buffers plus the server's queue limit.
  const std::string mib(1 << 20, 'z');
  for (int i = 0; i < 64 && !closed.HasBeenNotified(); ++i) {
    writer->Write(mib);
    absl::SleepFor(absl::Milliseconds(5));
  }
  EXPECT_TRUE(closed.WaitForNotificationWithTimeout(absl::Seconds(5)));
}

TEST(HttpServerTest, WriteThenReportsEachChunkOnceItIsWritten) {
  absl::Notification small_written;
  WriterBox box;
  auto server = StartServer({}, [&](ServerRequest,
                                    std::shared_ptr<ResponseWriter> w) {
    w->StartStream(200, {{"content-type", "text/event-stream"}});
    w->WriteThen("data: one\n\n", [&] { small_written.Notify(); });
    box.Put(std::move(w));
  });
  Client client(server->port());
  ASSERT_FALSE(client.Write("GET /events HTTP/1.1\r\nHost: x\r\n\r\n"));
  ASSERT_TRUE(client.ReadUntil("data: one\n\n"));
  EXPECT_TRUE(small_written.WaitForNotificationWithTimeout(absl::Seconds(5)));

  auto writer = box.WaitFirst();
  ASSERT_NE(writer, nullptr);
  // Once the peer is gone nothing is written and nothing reports written.
  client.Close();
  writer->End();
  bool late = false;
  writer->WriteThen("data: two\n\n", [&late] { late = true; });
  server->Stop();
  EXPECT_FALSE(late);
}

TEST(HttpServerTest, EndedStreamKeepsConnectionAlive) {
  absl::Notification closed;
  auto server = StartServer({}, [&](ServerRequest req,
                                    std::shared_ptr<ResponseWriter> w) {
    if (req.path == "/plain") {
      SendText(w, 200, "plain");
      return;
    }
    w->OnClose([&closed] { closed.Notify(); });
    w->StartStream(200, {{"content-type", "text/plain"}});
    w->Write("ab");
    w->Write("");  // ignored: would terminate the chunked body
    w->Write("cd");
    w->End();
    w->Write("late");  // after End: ignored
  });
  Client client(server->port());
  Response res;
  ASSERT_FALSE(client.Request(http::verb::get, "/stream", "", &res));
  EXPECT_EQ(res.body(), "abcd");
  EXPECT_TRUE(res.chunked());
  EXPECT_TRUE(closed.WaitForNotificationWithTimeout(absl::Seconds(5)));
  ASSERT_FALSE(client.Request(http::verb::get, "/plain", "", &res));
  EXPECT_EQ(res.body(), "plain");
}

TEST(HttpServerTest, Http10StreamIsDelimitedByClose) {
  auto server = StartServer({}, [](ServerRequest,
                                   std::shared_ptr<ResponseWriter> w) {
    w->StartStream(200, {{"content-type", "text/plain"}});
    w->Write("one,");
    w->Write("two");
    w->End();
  });
  Client client(server->port());
  ASSERT_FALSE(client.Write("GET / HTTP/1.0\r\n\r\n"));
  beast::error_code ec;
  const std::string raw = client.ReadToEnd(&ec);
  EXPECT_TRUE(absl::StartsWith(raw, "HTTP/1.0 200 OK\r\n")) << raw;
  EXPECT_FALSE(absl::StrContains(raw, "chunked")) << raw;
  EXPECT_TRUE(absl::EndsWith(raw, "\r\n\r\none,two")) << raw;
  EXPECT_EQ(ec, asio::error::eof);
}

TEST(HttpServerTest, BodylessStatusesAndBadStatusCodes) {
  auto server = StartServer({}, [](ServerRequest req,
                                   std::shared_ptr<ResponseWriter> w) {
    if (req.path == "/204") SendText(w, 204, "must not be sent");
    if (req.path == "/304") SendText(w, 304, "nor this");
    if (req.path == "/bad") SendText(w, 1000, "odd");
  });
  Client client(server->port());
  Response res;
  ASSERT_FALSE(client.Request(http::verb::get, "/204", "", &res));
  EXPECT_EQ(res.result_int(), 204);
  EXPECT_EQ(res.body(), "");
  ASSERT_FALSE(client.Request(http::verb::get, "/bad", "", &res));
  EXPECT_EQ(res.result_int(), 500);
  // The connection survived both and frames the next answer correctly.
  ASSERT_FALSE(client.Write("GET /304 HTTP/1.1\r\nHost: x\r\n\r\n"
                            "GET /204 HTTP/1.1\r\nHost: x\r\n\r\n"));
  ASSERT_TRUE(client.ReadUntil("HTTP/1.1 204"));
  EXPECT_TRUE(absl::StartsWith(client.seen(), "HTTP/1.1 304 Not Modified\r\n"));
  EXPECT_FALSE(absl::StrContains(client.seen(), "nor this"));
}

TEST(HttpServerTest, AbortClosesWithoutResponse) {
  absl::Notification closed;
  auto server = StartServer({}, [&](ServerRequest,
                                    std::shared_ptr<ResponseWriter> w) {
    w->OnClose([&closed] { closed.Notify(); });
    w->Abort();
    SendText(w, 200, "never");  // ignored after Abort
  });
  Client client(server->port());
  ASSERT_FALSE(client.Write("GET / HTTP/1.1\r\nHost: x\r\n\r\n"));
  beast::error_code ec;
  EXPECT_EQ(client.ReadToEnd(&ec), "");
  EXPECT_TRUE(ec == asio::error::eof || ec == asio::error::connection_reset)
      << ec.message();
  EXPECT_TRUE(closed.WaitForNotificationWithTimeout(absl::Seconds(5)));
}

TEST(HttpServerTest, WebSocketEcho) {
  absl::Notification opened, ws_closed;
  absl::Mutex mu;
  absl::Status plain_status;
  auto server = StartServer({}, [&](ServerRequest req,
                                    std::shared_ptr<ResponseWriter> w) {
    if (req.path != "/ws") {
      absl::Status s = w->AcceptWebSocket({});
      {
        absl::MutexLock lock(&mu);
        plain_status = s;
      }
      SendText(w, 400, "not a websocket");
      return;
    }
    WebSocketCallbacks cb;
    cb.on_open = [&](std::shared_ptr<WebSocketSession> s) {
      EXPECT_TRUE(s->IsOpen());
      opened.Notify();
    };
    cb.on_text = [](std::shared_ptr<WebSocketSession> s, std::string text) {
      s->SendText("echo:" + text);
      s->SendBinary("bin:" + text);
    };
    cb.on_close = [&](std::shared_ptr<WebSocketSession> s) {
      EXPECT_FALSE(s->IsOpen());
      ws_closed.Notify();
    };
    ASSERT_TRUE(w->AcceptWebSocket(std::move(cb)).ok());
  });

  {
    Client plain(server->port());
    Response res;
    ASSERT_FALSE(plain.Request(http::verb::get, "/plain", "", &res));
    EXPECT_EQ(res.result_int(), 400);
    absl::MutexLock lock(&mu);
    EXPECT_EQ(plain_status.code(), absl::StatusCode::kFailedPrecondition);
  }

  asio::io_context ioc;
  websocket::stream<beast::tcp_stream> ws(ioc);
  const tcp::endpoint ep(asio::ip::make_address("127.0.0.1"),
                         static_cast<unsigned short>(server->port()));
  ASSERT_FALSE(Await(ioc, [&](auto h) {
    beast::get_lowest_layer(ws).async_connect(ep, h);
  }));
  websocket::response_type upgrade;
  ASSERT_FALSE(Await(ioc, [&](auto h) {
    ws.async_handshake(upgrade, "127.0.0.1", "/ws", h);
  }));
  EXPECT_EQ(upgrade[http::field::server], "mediagw");
  EXPECT_TRUE(opened.WaitForNotificationWithTimeout(absl::Seconds(5)));

  for (const std::string msg : {"hi", "there"}) {
    ws.text(true);
    ASSERT_FALSE(Await(ioc, [&](auto h) {
      ws.async_write(asio::buffer(msg), h);
    }));
    beast::flat_buffer buf;
    ASSERT_FALSE(Await(ioc, [&](auto h) { ws.async_read(buf, h); }));
    EXPECT_TRUE(ws.got_text());
    EXPECT_EQ(beast::buffers_to_string(buf.data()), "echo:" + msg);
    buf.consume(buf.size());
    ASSERT_FALSE(Await(ioc, [&](auto h) { ws.async_read(buf, h); }));
    EXPECT_TRUE(ws.got_binary());
    EXPECT_EQ(beast::buffers_to_string(buf.data()), "bin:" + msg);
  }
  ASSERT_FALSE(Await(ioc, [&](auto h) {
    ws.async_close(websocket::close_code::normal, h);
  }));
  EXPECT_TRUE(ws_closed.WaitForNotificationWithTimeout(absl::Seconds(5)));
}

TEST(HttpServerTest, ServerClosesWebSocket) {
  absl::Notification ws_closed;
  auto server = StartServer({}, [&](ServerRequest,
                                    std::shared_ptr<ResponseWriter> w) {
    WebSocketCallbacks cb;
    cb.on_open = [](std::shared_ptr<WebSocketSession> s) {
      s->SendText("first");
      s->SendText("second");
      s->Close();
      s->SendText("dropped");
    };
    cb.on_close = [&](std::shared_ptr<WebSocketSession>) {
      ws_closed.Notify();
    };
    EXPECT_TRUE(w->AcceptWebSocket(std::move(cb)).ok());
  });
  asio::io_context ioc;
  websocket::stream<beast::tcp_stream> ws(ioc);
  const tcp::endpoint ep(asio::ip::make_address("127.0.0.1"),
                         static_cast<unsigned short>(server->port()));
  ASSERT_FALSE(Await(ioc, [&](auto h) {
    beast::get_lowest_layer(ws).async_connect(ep, h);
  }));
  ASSERT_FALSE(Await(ioc, [&](auto h) {
    ws.async_handshake("127.0.0.1", "/ws", h);
  }));
  std::vector<std::string> got;
  beast::error_code ec;
  for (int i = 0; i < 5 && !ec; ++i) {
    beast::flat_buffer buf;
    ec = Await(ioc, [&](auto h) { ws.async_read(buf, h); });
    if (!ec) got.push_back(beast::buffers_to_string(buf.data()));
  }
  EXPECT_EQ(got, (std::vector<std::string>{"first", "second"}));
  EXPECT_EQ(ec, websocket::error::closed);
  EXPECT_TRUE(ws_closed.WaitForNotificationWithTimeout(absl::Seconds(5)));
}

TEST(HttpServerTest, StopWithIdleConnectionReturnsPromptly) {
  HttpServerOptions options;
  options.threads = 2;
  auto server = StartServer(options, [](ServerRequest,
                                        std::shared_ptr<ResponseWriter> w) {
    SendText(w, 200, "ok");
  });
  Client client(server->port());
  Response res;
  ASSERT_FALSE(client.Request(http::verb::get, "/", "", &res));
  const absl::Time start = absl::Now();
  server->Stop();
  EXPECT_LT(absl::Now() - start, absl::Seconds(1));
  beast::error_code ec;
  client.ReadToEnd(&ec);
  EXPECT_TRUE(ec == asio::error::eof || ec == asio::error::connection_reset)
      << ec.message();
  server->Stop();  // idempotent
  Client refused(server->port());
  EXPECT_FALSE(refused.connected());
}

TEST(HttpServerTest, StopWithRequestsInFlightAndWritersOutlivingServer) {
  WriterBox box;
  absl::Notification ws_closed;
  auto server = StartServer({}, [&](ServerRequest req,
                                    std::shared_ptr<ResponseWriter> w) {
    if (req.path == "/stream") w->StartStream(200, {{"content-type", "x/y"}});
    if (req.path == "/ws") {
      WebSocketCallbacks cb;
      cb.on_close = [&](std::shared_ptr<WebSocketSession>) {
        ws_closed.Notify();
      };
      EXPECT_TRUE(w->AcceptWebSocket(std::move(cb)).ok());
    }
    box.Put(std::move(w));
  });
  Client pending(server->port());
  ASSERT_FALSE(pending.Write("GET /wait HTTP/1.1\r\nHost: x\r\n\r\n"));
  ASSERT_NE(box.WaitFirst(), nullptr);
  Client streaming(server->port());
  ASSERT_FALSE(streaming.Write("GET /stream HTTP/1.1\r\nHost: x\r\n\r\n"));
  ASSERT_TRUE(streaming.ReadUntil("\r\n\r\n"));

  asio::io_context ioc;
  websocket::stream<beast::tcp_stream> ws(ioc);
  const tcp::endpoint ep(asio::ip::make_address("127.0.0.1"),
                         static_cast<unsigned short>(server->port()));
  ASSERT_FALSE(Await(ioc, [&](auto h) {
    beast::get_lowest_layer(ws).async_connect(ep, h);
  }));
  ASSERT_FALSE(Await(ioc, [&](auto h) {
    ws.async_handshake("127.0.0.1", "/ws", h);
  }));

  const absl::Time start = absl::Now();
  server->Stop();
  EXPECT_LT(absl::Now() - start, absl::Seconds(1));
  EXPECT_TRUE(ws_closed.HasBeenNotified());
  beast::error_code ec;
  EXPECT_EQ(pending.ReadToEnd(&ec), "");

  // Writers held past Stop and past the server itself stay safe to use.
  server.reset();
  auto writer = box.WaitFirst();
  SendText(writer, 200, "too late");
  writer->Write("x");
  writer->End();
  EXPECT_EQ(writer->AcceptWebSocket({}).code(),
            absl::StatusCode::kFailedPrecondition);
  box.Clear();
}

TEST(HttpServerTest, StartFailsWhenPortIsTaken) {
  auto first = StartServer({}, [](ServerRequest,
                                  std::shared_ptr<ResponseWriter> w) {
    SendText(w, 200, "ok");
  });
  HttpServerOptions options;
  options.port = first->port();
  HttpServer second(options, [](ServerRequest,
                                std::shared_ptr<ResponseWriter>) {});
  EXPECT_EQ(second.Start().code(), absl::StatusCode::kUnavailable);
}

}  // namespace
}  // namespace mediagw::net
