#include "net/websocket_session.h"

#include <chrono>
#include <utility>

#include "absl/time/time.h"
#include "common/logging.h"

namespace mediagw::net {

namespace beast = boost::beast;
namespace websocket = boost::beast::websocket;

WebSocketSessionImpl::WebSocketSessionImpl(
    std::shared_ptr<ServerContext> ctx, beast::tcp_stream stream,
    WebSocketCallbacks callbacks, std::shared_ptr<CloseNotifier> notifier,
    ConnectionSlot slot)
    : ctx_(std::move(ctx)),
      strand_(stream.get_executor()),
      slot_(std::move(slot)),
      ws_(std::move(stream)),
      callbacks_(std::move(callbacks)),
      notifier_(std::move(notifier)) {}

void WebSocketSessionImpl::Start(Request request) {
  request_ = std::move(request);
  if (!ctx_->Register(weak_from_this(), &id_)) {
    Finish();
    return;
  }
  registered_ = true;
  // The websocket layer runs its own timers; the TCP ones must be off.
  beast::get_lowest_layer(ws_).expires_never();
  auto timeouts =
      websocket::stream_base::timeout::suggested(beast::role_type::server);
  timeouts.idle_timeout = absl::ToChronoNanoseconds(ctx_->options().idle_timeout);
  timeouts.keep_alive_pings = true;
  ws_.set_option(timeouts);
  ws_.set_option(websocket::stream_base::decorator(
      [](websocket::response_type& res) {
        res.set(beast::http::field::server, "mediagw");
      }));
  ws_.read_message_max(ctx_->options().max_body_bytes);
  ws_.async_accept(request_,
                   beast::bind_front_handler(&WebSocketSessionImpl::OnAccept,
                                             shared_from_this()));
}

void WebSocketSessionImpl::OnAccept(beast::error_code ec) {
  if (finished_) return;
  if (ec) {
    MG_LOG(Debug, "websocket handshake failed: ", ec.message());
    Finish();
    return;
  }
  open_ = true;
  if (callbacks_.on_open) callbacks_.on_open(shared_from_this());
  Read();
}

void WebSocketSessionImpl::Read() {
  if (finished_) return;
  ws_.async_read(buffer_,
                 beast::bind_front_handler(&WebSocketSessionImpl::OnRead,
                                           shared_from_this()));
}

void WebSocketSessionImpl::OnRead(beast::error_code ec, size_t /*n*/) {
  if (finished_) return;
  if (ec) {
    Finish();
    return;
  }
  const bool text = ws_.got_text();
  std::string message = beast::buffers_to_string(buffer_.data());
  buffer_.consume(buffer_.size());
  // Binary frames from clients have no use in the API; they are dropped.
  if (text && callbacks_.on_text) {
    callbacks_.on_text(shared_from_this(), std::move(message));
  }
  Read();
}

void WebSocketSessionImpl::SendText(std::string text) {
  if (!open_) return;
  ctx_->Post(strand_, [self = shared_from_this(), t = std::move(text)]() mutable {
    self->Enqueue(false, std::move(t));
  });
}

void WebSocketSessionImpl::SendBinary(std::string bytes) {
  if (!open_) return;
  ctx_->Post(strand_, [self = shared_from_this(), b = std::move(bytes)]() mutable {
    self->Enqueue(true, std::move(b));
  });
}

void WebSocketSessionImpl::Enqueue(bool binary, std::string payload) {
  if (!open_ || close_requested_) return;
  if (out_bytes_ + payload.size() > kMaxQueuedBytes) {
    MG_LOG(Warning, "websocket reader too slow; closing");
    Finish();
    return;
  }
  out_bytes_ += payload.size();
  out_.emplace_back(binary, std::move(payload));
  Pump();
}

void WebSocketSessionImpl::Pump() {
  if (writing_ || finished_ || closing_) return;
  if (out_.empty()) {
    if (close_requested_) DoClose();
    return;
  }
  writing_ = true;
  ws_.binary(out_.front().first);
  ws_.async_write(
      boost::asio::buffer(out_.front().second),
      [self = shared_from_this()](beast::error_code ec, size_t) {
        self->writing_ = false;
        if (self->finished_) return;
        if (ec) {
          self->Finish();
          return;
        }
        self->out_bytes_ -= self->out_.front().second.size();
        self->out_.pop_front();
        self->Pump();
      });
}

void WebSocketSessionImpl::Close() {
  if (!open_) return;
  ctx_->Post(strand_, [self = shared_from_this()] {
    if (!self->open_ || self->close_requested_) return;
    self->close_requested_ = true;
    self->Pump();
  });
}

void WebSocketSessionImpl::DoClose() {
  if (closing_ || finished_) return;
  closing_ = true;
  // The pending read sees the peer's close reply and calls Finish().
  ws_.async_close(websocket::close_code::normal,
                  [self = shared_from_this()](beast::error_code ec) {
                    if (ec) self->Finish();
                  });
}

bool WebSocketSessionImpl::IsOpen() const { return open_; }

void WebSocketSessionImpl::Shutdown() {
  boost::asio::post(strand_, [self = shared_from_this()] { self->Finish(); });
}

void WebSocketSessionImpl::Finish() {
  if (finished_) return;
  finished_ = true;
  open_ = false;
  beast::get_lowest_layer(ws_).close();
  slot_.Release();
  if (registered_) {
    ctx_->Unregister(id_);
    registered_ = false;
  }
  if (notifier_) notifier_->Fire();
  if (callbacks_.on_close) callbacks_.on_close(shared_from_this());
}

}  // namespace mediagw::net
