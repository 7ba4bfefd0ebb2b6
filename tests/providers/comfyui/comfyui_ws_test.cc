// Websocket progress: the provider's hub against a small Beast websocket
// server on 127.0.0.1:0 that plays ComfyUI's /ws messages.
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "boost/asio/io_context.hpp"
#include "boost/asio/ip/tcp.hpp"
#include "boost/beast/core.hpp"
#include "boost/beast/http.hpp"
#include "boost/beast/websocket.hpp"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "net/curl_multi_client.h"
#include "providers/comfyui/comfyui_codec.h"
#include "providers/comfyui/comfyui_provider.h"
#include "tests/providers/comfyui/provider_test_util.h"

namespace mediagw::comfyui {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
using tcp = asio::ip::tcp;
using ::testing::ElementsAre;
using ::testing::Pair;
using namespace ::mediagw::comfyui::testing;  // NOLINT: test helpers

// Accepts websocket upgrades, records each request target, and pushes
// frames to the newest connection. Everything runs on one io thread.
class WsTestServer {
 public:
  WsTestServer() : acceptor_(ioc_, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0)) {
    Accept();
    thread_ = std::thread([this] { ioc_.run(); });
  }
  ~WsTestServer() {
    asio::post(ioc_, [this] {
      beast::error_code ec;
      acceptor_.close(ec);
      for (auto& c : conns_) c->ws.next_layer().close(ec);
    });
    thread_.join();
  }

  std::string BaseUrl() const {
    return absl::StrCat("http://127.0.0.1:", acceptor_.local_endpoint().port());
  }

  // Target of the n-th (1-based) accepted upgrade, nullopt on timeout.
  std::optional<std::string> WaitForConnection(size_t n) {
    absl::Time end = absl::Now() + kWait;
    while (absl::Now() < end) {
      {
        absl::MutexLock lock(&mu_);
        if (targets_.size() >= n) return targets_[n - 1];
      }
      absl::SleepFor(absl::Milliseconds(10));
    }
    return std::nullopt;
  }

  void Send(std::string frame, bool text = true) {
    asio::post(ioc_, [this, frame = std::move(frame), text] {
      if (conns_.empty()) return;
      auto& ws = conns_.back()->ws;
      beast::error_code ec;
      ws.text(text);
      ws.write(asio::buffer(frame), ec);
    });
  }

  void DropNewest() {
    asio::post(ioc_, [this] {
      beast::error_code ec;
      if (!conns_.empty()) conns_.back()->ws.next_layer().close(ec);
    });
  }

 private:
  struct Conn {
    explicit Conn(tcp::socket s) : ws(std::move(s)) {}
    websocket::stream<tcp::socket> ws;
    beast::flat_buffer buffer;
    http::request<http::string_body> request;
  };

  void Accept() {
    acceptor_.async_accept([this](beast::error_code ec, tcp::socket socket) {
      if (ec) return;
      auto c = std::make_shared<Conn>(std::move(socket));
      http::async_read(c->ws.next_layer(), c->buffer, c->request,
                       [this, c](beast::error_code ec, size_t) {
                         if (ec) return;
                         c->ws.async_accept(c->request, [this, c](beast::error_code ec) {
                           if (ec) return;
                           conns_.push_back(c);
                           {
                             absl::MutexLock lock(&mu_);
                             targets_.push_back(std::string(c->request.target()));
                           }
                           Drain(c);
                         });
                       });
      Accept();
    });
  }

  // Keeps reading so control frames (ping, close) are answered.
  void Drain(std::shared_ptr<Conn> c) {
    c->buffer.clear();
    c->ws.async_read(c->buffer, [this, c](beast::error_code ec, size_t) {
      if (!ec) Drain(c);
    });
  }

  asio::io_context ioc_;
  tcp::acceptor acceptor_;
  std::vector<std::shared_ptr<Conn>> conns_;  // io thread only
  std::thread thread_;
  absl::Mutex mu_;
  std::vector<std::string> targets_ ABSL_GUARDED_BY(mu_);
};

std::string Progress(const std::string& id, int value, int max) {
  return absl::StrCat(R"({"type":"progress","data":{"value":)", value,
                      R"(,"max":)", max, R"(,"prompt_id":")", id,
                      R"(","node":"3"}})");
}

std::string Done(const std::string& id) {
  return absl::StrCat(R"({"type":"executing","data":{"node":null,"prompt_id":")",
                      id, R"("}})");
}

std::shared_ptr<Provider> MakeWsProvider(HttpClient* http,
                                         const std::string& base) {
  ComfyUiOptions o;
  o.channel_name = "ws";
  o.base_urls = {base};
  o.templates = {{"default", ReadWorkflow("default")}};
  o.client_id = "cid ws";
  auto p = NewComfyUiProvider(std::move(o), http);
  EXPECT_TRUE(p.ok()) << p.status();
  return p.ok() ? *p : nullptr;
}

TaskRecord Watched(const std::string& task, const std::string& id,
                   const std::string& server) {
  TaskRecord r = MakeRecord(task, id);
  r.set_provider_state(BuildProviderState(server));
  return r;
}

TEST(ComfyWsTest, ProgressAndHintsReachListener) {
  WsTestServer server;
  net::CurlMultiClient http;
  auto p = MakeWsProvider(&http, server.BaseUrl());
  RecordingListener listener;
  p->Watch(Watched("t1", "pid-1", server.BaseUrl()), &listener);
  auto target = server.WaitForConnection(1);
  ASSERT_TRUE(target.has_value());
  EXPECT_EQ(*target, "/ws?clientId=cid%20ws");

  server.Send(R"({"type":"status","data":{"status":{"exec_info":{"queue_remaining":1}}}})");
  server.Send(Progress("pid-1", 1, 4));
  server.Send("{not json");
  server.Send(std::string("\x00\x01\x02\x03", 4), /*text=*/false);
  server.Send(Progress("someone-else", 3, 4));
  server.Send(Progress("pid-1", 2, 4));
  server.Send(Progress("pid-1", 1, 4));  // a second sampler restarting
  server.Send(Progress("pid-1", 4, 4));
  server.Send(Done("pid-1"));
  ASSERT_TRUE(listener.WaitFor([&] { return !listener.Hints().empty(); }));
  EXPECT_THAT(listener.Progress(),
              ElementsAre(Pair("t1", 0.25), Pair("t1", 0.5), Pair("t1", 1.0)));
  EXPECT_THAT(listener.Hints(), ElementsAre("t1"));
  ComfyUiStats stats = GetComfyUiStats(*p);
  EXPECT_EQ(stats.ws_connects, 1);
  EXPECT_EQ(stats.ws_malformed, 1);
  EXPECT_EQ(stats.ws_binary_messages, 1);
}

TEST(ComfyWsTest, ReconnectsAfterDropAndStopsAfterUnwatch) {
  WsTestServer server;
  net::CurlMultiClient http;
  auto p = MakeWsProvider(&http, server.BaseUrl());
  RecordingListener listener;
  p->Watch(Watched("t1", "pid-1", server.BaseUrl()), &listener);
  p->Watch(Watched("t2", "pid-2", server.BaseUrl()), &listener);
  ASSERT_TRUE(server.WaitForConnection(1).has_value());
  server.DropNewest();
  ASSERT_TRUE(server.WaitForConnection(2).has_value());
  server.Send(Done("pid-1"));
  ASSERT_TRUE(listener.WaitFor([&] { return listener.Hints().size() == 1; }));

  p->Unwatch("t1");
  server.Send(Done("pid-1"));
  server.Send(Done("pid-2"));  // same connection, so it arrives after
  ASSERT_TRUE(listener.WaitFor([&] { return listener.Hints().size() == 2; }));
  EXPECT_THAT(listener.Hints(), ElementsAre("t1", "t2"));
  EXPECT_GE(GetComfyUiStats(*p).ws_disconnects, 1);
}

TEST(ComfyWsTest, DestroysPromptlyWhileReconnecting) {
  std::string dead;
  {
    WsTestServer gone;
    dead = gone.BaseUrl();
  }
  net::CurlMultiClient http;
  auto p = MakeWsProvider(&http, dead);
  RecordingListener listener;
  p->Watch(Watched("t1", "pid-1", dead), &listener);
  absl::SleepFor(absl::Milliseconds(300));  // a few failed attempts
  EXPECT_GE(GetComfyUiStats(*p).ws_disconnects, 1);
  absl::Time start = absl::Now();
  p.reset();
  EXPECT_LT(absl::Now() - start, absl::Seconds(2));
}

}  // namespace
}  // namespace mediagw::comfyui
