// Test helpers for the HttpServer tests: a small Beast client over real
// loopback sockets where every wait is bounded, and a few handler helpers.
#ifndef MEDIAGW_TESTS_NET_HTTP_TEST_CLIENT_H_
#define MEDIAGW_TESTS_NET_HTTP_TEST_CLIENT_H_

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <chrono>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "gtest/gtest.h"
#include "net/http_server.h"

namespace mediagw::net::test_util {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = boost::beast::http;
using tcp = boost::asio::ip::tcp;
using Response = http::response<http::string_body>;

inline constexpr auto kWait = std::chrono::seconds(5);

// Runs one asynchronous client operation to completion (or kWait).
template <typename Init>
beast::error_code Await(asio::io_context& ioc, Init init) {
  beast::error_code result = asio::error::would_block;
  ioc.restart();
  init([&result](beast::error_code ec, auto&&...) { result = ec; });
  ioc.run_for(kWait);
  return result;
}

class Client {
 public:
  explicit Client(int port) {
    const tcp::endpoint ep(asio::ip::make_address("127.0.0.1"),
                           static_cast<unsigned short>(port));
    connect_ec_ = Await(ioc_, [&](auto h) { stream_.async_connect(ep, h); });
  }

  bool connected() const { return !connect_ec_; }

  beast::error_code Write(const std::string& data) {
    return Await(ioc_, [&](auto h) {
      asio::async_write(stream_, asio::buffer(data), h);
    });
  }

  beast::error_code Request(http::verb verb, const std::string& target,
                            const std::string& body, Response* res,
                            bool keep_alive = true) {
    http::request<http::string_body> req{verb, target, 11};
    req.set(http::field::host, "127.0.0.1");
    req.keep_alive(keep_alive);
    if (!body.empty()) {
      req.body() = body;
      req.prepare_payload();
    }
    beast::error_code ec =
        Await(ioc_, [&](auto h) { http::async_write(stream_, req, h); });
    if (ec) return ec;
    return ReadResponse(res);
  }

  beast::error_code ReadResponse(Response* res) {
    *res = Response();
    return Await(ioc_,
                 [&](auto h) { http::async_read(stream_, buffer_, *res, h); });
  }

  // Reads raw bytes until `needle` has been seen; all bytes go to `seen`.
  bool ReadUntil(absl::string_view needle) {
    while (!absl::StrContains(seen_, needle)) {
      if (buffer_.size() > 0) {
        seen_ += beast::buffers_to_string(buffer_.data());
        buffer_.consume(buffer_.size());
        continue;
      }
      size_t got = 0;
      beast::error_code ec = Await(ioc_, [&](auto h) {
        stream_.async_read_some(
            buffer_.prepare(4096),
            [h, &got](beast::error_code ec, size_t n) mutable {
              got = n;
              h(ec);
            });
      });
      buffer_.commit(got);
      if (ec) return false;
    }
    return true;
  }

  // Reads until the server closes; returns what arrived. `ec` gets the error
  // that ended the read (eof for an orderly close).
  std::string ReadToEnd(beast::error_code* ec) {
    std::string out = beast::buffers_to_string(buffer_.data());
    buffer_.consume(buffer_.size());
    for (;;) {
      char buf[4096];
      size_t got = 0;
      *ec = Await(ioc_, [&](auto h) {
        stream_.async_read_some(
            asio::buffer(buf),
            [h, &got](beast::error_code ec, size_t n) mutable {
              got = n;
              h(ec);
            });
      });
      out.append(buf, got);
      if (*ec) return out;
    }
  }

  const std::string& seen() const { return seen_; }
  void Close() { stream_.close(); }
  asio::io_context& ioc() { return ioc_; }

 private:
  asio::io_context ioc_;
  beast::tcp_stream stream_{ioc_};
  beast::flat_buffer buffer_;
  beast::error_code connect_ec_;
  std::string seen_;
};

inline std::unique_ptr<HttpServer> StartServer(HttpServerOptions options,
                                               HttpHandler handler) {
  auto server =
      std::make_unique<HttpServer>(std::move(options), std::move(handler));
  const absl::Status status = server->Start();
  EXPECT_TRUE(status.ok()) << status;
  EXPECT_GT(server->port(), 0);
  return server;
}

inline void SendText(const std::shared_ptr<ResponseWriter>& writer, int status,
                     std::string body) {
  ServerResponse res;
  res.status = status;
  res.content_type = "text/plain";
  res.body = std::move(body);
  writer->Send(std::move(res));
}

// Keeps the writers a test holds on to, for inspection from the test thread.
class WriterBox {
 public:
  void Put(std::shared_ptr<ResponseWriter> writer) {
    absl::MutexLock lock(&mu_);
    writers_.push_back(std::move(writer));
  }
  std::shared_ptr<ResponseWriter> WaitFirst() {
    absl::MutexLock lock(&mu_);
    mu_.AwaitWithTimeout(absl::Condition(this, &WriterBox::HasOne),
                         absl::Seconds(5));
    return writers_.empty() ? nullptr : writers_.front();
  }
  void Clear() {
    std::vector<std::shared_ptr<ResponseWriter>> drop;
    absl::MutexLock lock(&mu_);
    drop.swap(writers_);
  }

 private:
  bool HasOne() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    return !writers_.empty();
  }
  absl::Mutex mu_;
  std::vector<std::shared_ptr<ResponseWriter>> writers_ ABSL_GUARDED_BY(mu_);
};

}  // namespace mediagw::net::test_util

#endif  // MEDIAGW_TESTS_NET_HTTP_TEST_CLIENT_H_
