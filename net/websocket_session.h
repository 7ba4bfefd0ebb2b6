// Internal to net/: a websocket connection taken over from an HttpSession
// after the handler called ResponseWriter::AcceptWebSocket.
//
// Threading: callbacks (on_open, on_text, on_close) run on the connection's
// strand, one at a time, never under a lock. SendText/SendBinary/Close are
// thread-safe: they post onto the strand, where frames are queued and
// written in call order with one async_write outstanding at a time.
// on_close runs exactly once, after on_open if the handshake succeeded, or
// alone if it failed.
//
// Lifetime: pending operations hold the session by shared_ptr; the
// ServerContext lists it weakly so Stop() can close it.
#ifndef MEDIAGW_NET_WEBSOCKET_SESSION_H_
#define MEDIAGW_NET_WEBSOCKET_SESSION_H_

#include <atomic>
#include <cstdint>
#include <deque>
#include <memory>
#include <string>
#include <utility>

#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>

#include "net/http_server.h"
#include "net/server_context.h"

namespace mediagw::net {

class WebSocketSessionImpl
    : public WebSocketSession,
      public Connection,
      public std::enable_shared_from_this<WebSocketSessionImpl> {
 public:
  using Request = boost::beast::http::request<boost::beast::http::string_body>;

  // `stream` must have no pending operation. `notifier` (may be null) fires
  // when the websocket closes. `slot` counts the connection until this
  // session is gone.
  WebSocketSessionImpl(std::shared_ptr<ServerContext> ctx,
                       boost::beast::tcp_stream stream,
                       WebSocketCallbacks callbacks,
                       std::shared_ptr<CloseNotifier> notifier,
                       ConnectionSlot slot);

  // Registers and answers the handshake in `request`. Must run on the
  // stream's strand.
  void Start(Request request);

  void SendText(std::string text) override;
  void SendBinary(std::string bytes) override;
  void Close() override;
  bool IsOpen() const override;
  void Shutdown() override;

 private:
  void OnAccept(boost::beast::error_code ec);
  void Read();
  void OnRead(boost::beast::error_code ec, size_t n);
  void Enqueue(bool binary, std::string payload);
  void Pump();
  void DoClose();
  void Finish();

  const std::shared_ptr<ServerContext> ctx_;
  const boost::asio::any_io_executor strand_;
  ConnectionSlot slot_;  // after ctx_: released before the context goes
  std::atomic<bool> open_{false};

  // Confined to the strand.
  boost::beast::websocket::stream<boost::beast::tcp_stream> ws_;
  WebSocketCallbacks callbacks_;
  Request request_;  // the handshake; kept alive for async_accept
  std::shared_ptr<CloseNotifier> notifier_;
  boost::beast::flat_buffer buffer_;
  std::deque<std::pair<bool, std::string>> out_;  // (binary, payload)
  size_t out_bytes_ = 0;
  bool writing_ = false;
  bool close_requested_ = false;
  bool closing_ = false;
  bool finished_ = false;
  uint64_t id_ = 0;
  bool registered_ = false;
};

}  // namespace mediagw::net

#endif  // MEDIAGW_NET_WEBSOCKET_SESSION_H_
