// ResponseWriter::SendBody: bodies of known length pulled chunk by chunk
// from a BodySource, with backpressure from the reader.
#include <algorithm>
#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "common/thread_pool.h"
#include "gtest/gtest.h"
#include "net/http_server.h"
#include "tests/net/http_test_client.h"

namespace mediagw::net {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = boost::beast::http;
using test_util::Await;
using test_util::Client;
using test_util::Response;
using test_util::StartServer;

char PatternByte(uint64_t offset) {
  return static_cast<char>('a' + offset % 23);
}

// Produces PatternByte(0..) on its own thread; fails at `fail_at` if set.
// Counts what it produced and how many Next calls overlapped.
class PatternSource : public BodySource {
 public:
  explicit PatternSource(Executor* executor, uint64_t fail_at = UINT64_MAX)
      : executor_(executor), fail_at_(fail_at) {}

  void Next(size_t max,
            std::function<void(absl::StatusOr<std::string>)> done) override {
    if (in_next_.fetch_add(1) != 0) overlapped_ = true;
    max_asked_ = std::max<size_t>(max_asked_.load(), max);
    executor_->Schedule([this, max, done = std::move(done)] {
      const uint64_t offset = produced_.load();
      in_next_.fetch_sub(1);
      if (offset >= fail_at_) {
        done(absl::DataLossError("disk gone"));
        return;
      }
      std::string chunk(max, '\0');
      for (size_t i = 0; i < max; ++i) chunk[i] = PatternByte(offset + i);
      produced_ += max;
      done(std::move(chunk));
    });
  }

  uint64_t produced() const { return produced_.load(); }
  bool overlapped() const { return overlapped_.load(); }
  size_t max_asked() const { return max_asked_.load(); }
  bool called() const { return max_asked_.load() > 0; }

 private:
  Executor* const executor_;
  const uint64_t fail_at_;
  std::atomic<uint64_t> produced_{0};
  std::atomic<int> in_next_{0};
  std::atomic<bool> overlapped_{false};
  std::atomic<size_t> max_asked_{0};
};

bool IsPattern(const std::string& body) {
  for (size_t i = 0; i < body.size(); ++i) {
    if (body[i] != PatternByte(i)) return false;
  }
  return true;
}

struct Fixture {
  explicit Fixture(uint64_t length, HttpServerOptions options = {},
                   uint64_t fail_at = UINT64_MAX)
      : source(std::make_shared<PatternSource>(&pool, fail_at)) {
    server = StartServer(
        options,
        [this, length](ServerRequest req, std::shared_ptr<ResponseWriter> w) {
          w->OnClose([this] {
            if (!closed.HasBeenNotified()) closed.Notify();
          });
          ServerResponse head;
          head.status = req.path == "/partial" ? 206 : 200;
          head.content_type = "application/octet-stream";
          head.headers.emplace_back("x-test", "1");
          w->SendBody(std::move(head), length, source);
        });
  }
  ThreadPool pool{1};
  std::shared_ptr<PatternSource> source;
  absl::Notification closed;
  std::unique_ptr<HttpServer> server;
};

TEST(HttpSendBodyTest, SendsTheWholeLengthAndKeepsTheConnection) {
  const uint64_t length = 1000 * 1000 + 7;  // not a multiple of a chunk
  Fixture f(length);
  Client client(f.server->port());
  Response res;
  ASSERT_FALSE(client.Request(http::verb::get, "/partial", "", &res));
  EXPECT_EQ(res.result_int(), 206);
  EXPECT_EQ(res[http::field::content_length], absl::StrCat(length));
  EXPECT_EQ(res[http::field::content_type], "application/octet-stream");
  EXPECT_EQ(res["x-test"], "1");
  EXPECT_EQ(res.body().size(), length);
  EXPECT_TRUE(IsPattern(res.body()));
  EXPECT_EQ(f.source->produced(), length);
  EXPECT_LE(f.source->max_asked(), 64u << 10);
  EXPECT_FALSE(f.source->overlapped());
  EXPECT_TRUE(f.closed.WaitForNotificationWithTimeout(absl::Seconds(5)));
  // Keep-alive: the connection takes the next request.
  ASSERT_TRUE(res.keep_alive());
  Response again;
  ASSERT_FALSE(client.Request(http::verb::get, "/", "", &again));
  EXPECT_EQ(again.body().size(), length);
}

TEST(HttpSendBodyTest, HeadGetsTheLengthAndTheSourceIsNeverAsked) {
  Fixture f(12345);
  Client client(f.server->port());
  ASSERT_FALSE(client.Write("HEAD /x HTTP/1.1\r\nHost: x\r\n\r\n"));
  ASSERT_TRUE(client.ReadUntil("\r\n\r\n"));
  EXPECT_TRUE(absl::StrContains(client.seen(), "Content-Length: 12345\r\n"))
      << client.seen();
  // The connection goes on with the next request right after the head.
  ASSERT_FALSE(client.Write("HEAD /y HTTP/1.1\r\nHost: x\r\n\r\n"));
  ASSERT_TRUE(client.ReadUntil("HTTP/1.1 200 OK\r\n"));
  EXPECT_FALSE(f.source->called());
}

TEST(HttpSendBodyTest, SourceErrorClosesTheConnectionShortOfTheLength) {
  Fixture f(1 << 20, {}, /*fail_at=*/256 << 10);
  Client client(f.server->port());
  ASSERT_FALSE(client.Write("GET / HTTP/1.1\r\nHost: x\r\n\r\n"));
  beast::error_code ec;
  const std::string raw = client.ReadToEnd(&ec);
  const size_t head_end = raw.find("\r\n\r\n");
  ASSERT_NE(head_end, std::string::npos) << raw.substr(0, 200);
  const std::string body = raw.substr(head_end + 4);
  EXPECT_EQ(body.size(), 256u << 10);
  EXPECT_TRUE(IsPattern(body));
  EXPECT_TRUE(f.closed.WaitForNotificationWithTimeout(absl::Seconds(5)));
}

// Reads up to `n` bytes (bounded wait); returns what arrived.
std::string ReadSome(asio::io_context& ioc, beast::tcp_stream& stream,
                     size_t n) {
  std::string out;
  char buf[16 << 10];
  while (out.size() < n) {
    size_t got = 0;
    const beast::error_code ec = Await(ioc, [&](auto h) {
      stream.async_read_some(
          asio::buffer(buf, std::min(sizeof(buf), n - out.size())),
          [h, &got](beast::error_code e, size_t k) mutable {
            got = k;
            h(e);
          });
    });
    out.append(buf, got);
    if (ec) break;
  }
  return out;
}

TEST(HttpSendBodyTest, SlowReaderHoldsTheSourceBackAndStillGetsEverything) {
  const uint64_t length = 64ull << 20;
  Fixture f(length);
  asio::io_context ioc;
  beast::tcp_stream stream(ioc);
  // A small receive window, so that backpressure comes quickly.
  stream.socket().open(asio::ip::tcp::v4());
  stream.socket().set_option(asio::socket_base::receive_buffer_size(64 << 10));
  const asio::ip::tcp::endpoint ep(
      asio::ip::make_address("127.0.0.1"),
      static_cast<unsigned short>(f.server->port()));
  ASSERT_FALSE(Await(ioc, [&](auto h) { stream.async_connect(ep, h); }));
  const std::string request = "GET / HTTP/1.1\r\nHost: x\r\n\r\n";
  ASSERT_FALSE(Await(ioc, [&](auto h) {
    asio::async_write(stream, asio::buffer(request), h);
  }));
  std::string raw = ReadSome(ioc, stream, 1 << 20);
  ASSERT_EQ(raw.size(), 1u << 20);

  // The reader pauses: the source must stop once the socket buffers are
  // full instead of reading the whole body into memory.
  uint64_t before = 0;
  uint64_t now = f.source->produced();
  for (int i = 0; i < 100 && now != before; ++i) {
    before = now;
    absl::SleepFor(absl::Milliseconds(100));
    now = f.source->produced();
  }
  EXPECT_EQ(now, before) << "the source never stopped";
  EXPECT_LT(now, raw.size() + (16u << 20))
      << "far more produced than the reader took";

  // Then reads on, slowly at first, and gets every byte.
  for (int i = 0; i < 8; ++i) {
    raw += ReadSome(ioc, stream, 64 << 10);
    absl::SleepFor(absl::Milliseconds(10));
  }
  const size_t head_end = raw.find("\r\n\r\n");
  ASSERT_NE(head_end, std::string::npos);
  const size_t total = head_end + 4 + length;
  raw += ReadSome(ioc, stream, total - raw.size());
  ASSERT_EQ(raw.size(), total);
  EXPECT_TRUE(IsPattern(raw.substr(head_end + 4)));
  EXPECT_FALSE(f.source->overlapped());
}

TEST(HttpSendBodyTest, ReaderThatStopsIsClosedAfterTheIdleTimeout) {
  HttpServerOptions options;
  options.idle_timeout = absl::Milliseconds(300);
  Fixture f(256ull << 20, options);
  Client client(f.server->port());
  ASSERT_FALSE(client.Write("GET / HTTP/1.1\r\nHost: x\r\n\r\n"));
  // Never reads: the writes stall and the connection is closed.
  EXPECT_TRUE(f.closed.WaitForNotificationWithTimeout(absl::Seconds(10)));
  EXPECT_LT(f.source->produced(), 64ull << 20);
}

}  // namespace
}  // namespace mediagw::net
