#include "providers/comfyui/comfyui_ws.h"

#include <algorithm>
#include <chrono>
#include <exception>
#include <optional>
#include <thread>
#include <utility>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "boost/asio/executor_work_guard.hpp"
#include "boost/asio/io_context.hpp"
#include "boost/asio/ip/tcp.hpp"
#include "boost/asio/steady_timer.hpp"
#include "boost/beast/core.hpp"
#include "boost/beast/websocket.hpp"
#include "common/logging.h"
#include "providers/comfyui/comfyui_codec.h"

namespace mediagw::comfyui {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace websocket = beast::websocket;
using tcp = asio::ip::tcp;

struct Endpoint {
  std::string host;  // without brackets
  std::string port;
  std::string host_header;
  std::string path_prefix;
};

absl::StatusOr<Endpoint> ParseBaseUrl(absl::string_view url) {
  absl::string_view rest = url;
  if (absl::StartsWith(rest, "http://")) {
    rest.remove_prefix(7);
  } else if (absl::StartsWith(rest, "ws://")) {
    rest.remove_prefix(5);
  } else {
    return absl::InvalidArgumentError(
        absl::StrCat("websocket needs an http:// base url, got ", url));
  }
  Endpoint ep;
  size_t slash = rest.find('/');
  absl::string_view authority = rest.substr(0, slash);
  if (slash != absl::string_view::npos) {
    ep.path_prefix = std::string(rest.substr(slash));
    while (!ep.path_prefix.empty() && ep.path_prefix.back() == '/') {
      ep.path_prefix.pop_back();
    }
  }
  ep.host_header = std::string(authority);
  absl::string_view port;
  if (absl::StartsWith(authority, "[")) {
    size_t close = authority.find(']');
    if (close == absl::string_view::npos) {
      return absl::InvalidArgumentError(absl::StrCat("bad host in ", url));
    }
    ep.host = std::string(authority.substr(1, close - 1));
    absl::string_view after = authority.substr(close + 1);
    if (absl::StartsWith(after, ":")) port = after.substr(1);
  } else {
    size_t colon = authority.rfind(':');
    ep.host = std::string(authority.substr(0, colon));
    if (colon != absl::string_view::npos) port = authority.substr(colon + 1);
  }
  int port_num = 80;
  if (!port.empty() && (!absl::SimpleAtoi(port, &port_num) || port_num <= 0 ||
                        port_num > 65535)) {
    return absl::InvalidArgumentError(absl::StrCat("bad port in ", url));
  }
  if (ep.host.empty()) {
    return absl::InvalidArgumentError(absl::StrCat("no host in ", url));
  }
  ep.port = absl::StrCat(port_num);
  return ep;
}

std::chrono::steady_clock::duration ToChrono(absl::Duration d) {
  return absl::ToChronoNanoseconds(d);
}

}  // namespace

struct WsHub::Io {
  asio::io_context ioc{1};
  asio::executor_work_guard<asio::io_context::executor_type> work{
      ioc.get_executor()};
  // Touched only on the io thread; destroyed before `ioc`.
  std::vector<std::shared_ptr<Conn>> conns;
  std::thread thread;
};

// One server's connection. Every method runs on the io thread, so the
// object needs no lock of its own.
class WsHub::Conn : public std::enable_shared_from_this<WsHub::Conn> {
 public:
  Conn(WsHub* hub, asio::io_context& ioc, std::string server, Endpoint ep)
      : hub_(hub),
        ioc_(ioc),
        server_(std::move(server)),
        ep_(std::move(ep)),
        resolver_(ioc),
        timer_(ioc),
        backoff_(hub->options_.initial_backoff) {}

  void Start() { Resolve(); }

  void Stop() {
    stopped_ = true;
    timer_.cancel();
    resolver_.cancel();
    if (ws_ != nullptr) beast::get_lowest_layer(*ws_).close();
  }

 private:
  void Resolve() {
    if (stopped_) return;
    ws_ = std::make_unique<websocket::stream<beast::tcp_stream>>(ioc_);
    resolver_.async_resolve(
        ep_.host, ep_.port,
        [self = shared_from_this()](beast::error_code ec,
                                    tcp::resolver::results_type results) {
          self->OnResolve(ec, std::move(results));
        });
  }

  void OnResolve(beast::error_code ec, tcp::resolver::results_type results) {
    if (stopped_) return;
    if (ec) return Retry("resolve", ec);
    auto& stream = beast::get_lowest_layer(*ws_);
    stream.expires_after(ToChrono(hub_->options_.handshake_timeout));
    stream.async_connect(results, [self = shared_from_this()](
                                      beast::error_code ec,
                                      const tcp::endpoint&) {
      self->OnConnect(ec);
    });
  }

  void OnConnect(beast::error_code ec) {
    if (stopped_) return;
    if (ec) return Retry("connect", ec);
    // The websocket layer's own timeouts take over from here.
    beast::get_lowest_layer(*ws_).expires_never();
    websocket::stream_base::timeout timeouts;
    timeouts.handshake_timeout = ToChrono(hub_->options_.handshake_timeout);
    timeouts.idle_timeout = ToChrono(hub_->options_.idle_timeout);
    timeouts.keep_alive_pings = true;
    ws_->set_option(timeouts);
    ws_->read_message_max(
        static_cast<std::uint64_t>(hub_->options_.max_message_bytes));
    std::string target = absl::StrCat(ep_.path_prefix, "/ws?clientId=",
                                      UrlEncode(hub_->options_.client_id));
    ws_->async_handshake(ep_.host_header, target,
                         [self = shared_from_this()](beast::error_code ec) {
                           self->OnHandshake(ec);
                         });
  }

  void OnHandshake(beast::error_code ec) {
    if (stopped_) return;
    if (ec) return Retry("handshake", ec);
    backoff_ = hub_->options_.initial_backoff;
    hub_->Count([](Stats& s) { ++s.connects; });
    MG_LOG(Debug, "comfyui ws connected to ", server_);
    Read();
  }

  void Read() {
    buffer_.clear();
    ws_->async_read(buffer_, [self = shared_from_this()](beast::error_code ec,
                                                          std::size_t) {
      self->OnRead(ec);
    });
  }

  void OnRead(beast::error_code ec) {
    if (stopped_) return;
    if (ec) return Retry("read", ec);
    if (ws_->got_text()) {
      hub_->Count([](Stats& s) { ++s.text_messages; });
      std::string text = beast::buffers_to_string(buffer_.data());
      hub_->on_message_(server_, text);
    } else {
      hub_->Count([](Stats& s) { ++s.binary_messages; });
    }
    Read();
  }

  void Retry(absl::string_view stage, beast::error_code ec) {
    hub_->Count([](Stats& s) { ++s.disconnects; });
    MG_LOG(Debug, "comfyui ws ", server_, " ", stage, ": ", ec.message(),
           "; retry in ", absl::FormatDuration(backoff_));
    if (ws_ != nullptr) beast::get_lowest_layer(*ws_).close();
    timer_.expires_after(ToChrono(backoff_));
    backoff_ = std::min(backoff_ * 2, hub_->options_.max_backoff);
    timer_.async_wait([self = shared_from_this()](beast::error_code ec) {
      if (!ec) self->Resolve();
    });
  }

  WsHub* const hub_;
  asio::io_context& ioc_;
  const std::string server_;
  const Endpoint ep_;
  tcp::resolver resolver_;
  asio::steady_timer timer_;
  std::unique_ptr<websocket::stream<beast::tcp_stream>> ws_;
  beast::flat_buffer buffer_;
  absl::Duration backoff_;
  bool stopped_ = false;
};

WsHub::WsHub(Options options, MessageFn on_message)
    : options_(std::move(options)), on_message_(std::move(on_message)) {}

WsHub::~WsHub() { Stop(); }

void WsHub::Stop() {
  std::unique_ptr<Io> io;
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
    io = std::move(io_);
  }
  if (io == nullptr) return;
  Io* raw = io.get();
  asio::post(raw->ioc, [raw] {
    for (auto& c : raw->conns) c->Stop();
    raw->conns.clear();
  });
  // With the sockets closed and no work guard, run() returns once the
  // cancelled handlers have drained.
  raw->work.reset();
  raw->thread.join();
}

absl::Status WsHub::Connect(const std::string& base_url) {
  auto ep = ParseBaseUrl(base_url);
  if (!ep.ok()) return ep.status();
  absl::MutexLock lock(&mu_);
  if (stopping_) return absl::FailedPreconditionError("websocket hub stopped");
  if (!servers_.insert(base_url).second) return absl::OkStatus();
  if (io_ == nullptr) {
    io_ = std::make_unique<Io>();
    Io* raw = io_.get();
    raw->thread = std::thread([raw] {
      // Boost reports some failures by throwing; none may escape the thread.
      for (;;) {
        try {
          raw->ioc.run();
          return;
        } catch (const std::exception& e) {
          MG_LOG(Error, "comfyui ws loop: ", e.what());
        }
      }
    });
  }
  Io* raw = io_.get();
  asio::post(raw->ioc, [this, raw, server = base_url, ep = *std::move(ep)] {
    auto conn = std::make_shared<Conn>(this, raw->ioc, server, ep);
    raw->conns.push_back(conn);
    conn->Start();
  });
  return absl::OkStatus();
}

WsHub::Stats WsHub::GetStats() const {
  absl::MutexLock lock(&mu_);
  return stats_;
}

}  // namespace mediagw::comfyui
