// HttpSession's streamed responses: chunked streams (StartStream, Write,
// End, with a monitor read that notices the peer leaving) and bodies of
// known length pulled from a BodySource with backpressure (SendBody).
#include <algorithm>
#include <string>
#include <vector>

#include <boost/asio/write.hpp>
#include <utility>

#include "absl/time/time.h"
#include "common/logging.h"
#include "net/http_session.h"
#include "net/http_wire.h"

namespace mediagw::net {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = boost::beast::http;
using tcp = boost::asio::ip::tcp;

namespace {
// The largest chunk asked of a BodySource: one per connection is in memory.
constexpr size_t kBodyChunk = 64 << 10;
}  // namespace

void HttpSession::DoStartStream(uint64_t ex, int status, HttpHeaders headers) {
  if (!Current(ex)) return;
  exchange_open_ = false;
  streaming_ = true;
  // HTTP/1.0 has no chunked encoding: the body then ends with the connection.
  chunked_ = version_ >= 11;
  if (!chunked_) keep_alive_ = false;
  stream_head_ = std::make_unique<StreamHead>();
  stream_head_->version(version_ == 10 ? 10 : 11);
  stream_head_->result(ValidStatus(status));
  stream_head_->set(http::field::server, kServerName);
  AddHeaders(headers, *stream_head_);
  if (chunked_) stream_head_->chunked(true);
  stream_head_->keep_alive(keep_alive_ && !ctx_->draining());
  keep_alive_ = stream_head_->keep_alive();
  WriteStreamHead([](HttpSession& self) {
    self.head_written_ = true;
    self.StartMonitor();
    self.Pump();
  });
}

void HttpSession::DoWrite(uint64_t ex, std::string chunk,
                          std::function<void()> written) {
  if (closed_ || ex != exchange_ || !streaming_ || end_queued_) return;
  // An empty chunk would read as the terminating one.
  if (chunk.empty()) return;
  if (out_bytes_ + chunk.size() > kMaxQueuedBytes) {
    MG_LOG(Warning, "stream reader ", remote_, " too slow; closing");
    CloseConnection();
    return;
  }
  if (chunked_) {
    out_.push_back(absl::StrCat(absl::Hex(chunk.size()), "\r\n", chunk, "\r\n"));
  } else {
    out_.push_back(std::move(chunk));
  }
  out_written_.push_back(std::move(written));
  out_bytes_ += out_.back().size();
  Pump();
}

void HttpSession::DoEnd(uint64_t ex) {
  if (closed_ || ex != exchange_ || !streaming_ || end_queued_) return;
  end_queued_ = true;
  if (chunked_) {
    out_.push_back("0\r\n\r\n");
    out_written_.emplace_back();
  }
  Pump();
}

void HttpSession::Pump() {
  if (writing_ || closed_ || !head_written_ || !streaming_) return;
  if (out_.empty()) {
    if (end_queued_) OnStreamDone();
    return;
  }
  // Everything queued goes out in one gathered write.
  std::vector<asio::const_buffer> buffers;
  buffers.reserve(out_.size());
  for (const std::string& piece : out_) buffers.push_back(asio::buffer(piece));
  out_inflight_ = out_.size();
  writing_ = true;
  // Only the write timer changes while the monitor read is pending.
  stream_->expires_after(absl::ToChronoNanoseconds(ctx_->options().idle_timeout));
  asio::async_write(*stream_, buffers,
                    [self = shared_from_this()](beast::error_code ec, size_t) {
                      self->writing_ = false;
                      if (self->closed_) return;
                      if (ec) {
                        self->CloseConnection();
                        return;
                      }
                      std::vector<std::function<void()>> written;
                      for (; self->out_inflight_ > 0; --self->out_inflight_) {
                        self->out_bytes_ -= self->out_.front().size();
                        self->out_.pop_front();
                        if (self->out_written_.front()) {
                          written.push_back(
                              std::move(self->out_written_.front()));
                        }
                        self->out_written_.pop_front();
                      }
                      for (auto& fn : written) fn();
                      self->Pump();
                    });
}

// While a stream is open the client sends nothing, so a pending read is how
// we learn that it went away (EOF or reset) and can run the OnClose hooks.
void HttpSession::StartMonitor() {
  if (monitor_pending_ || closed_) return;
  stream_->expires_never();
  monitor_pending_ = true;
  stream_->async_read_some(
      buffer_.prepare(kReadChunk),
      beast::bind_front_handler(&HttpSession::OnMonitor, shared_from_this()));
}

void HttpSession::OnMonitor(beast::error_code ec, size_t n) {
  monitor_pending_ = false;
  if (closed_) return;
  if (!ec) {
    // A pipelined request: keep its bytes for after the stream.
    buffer_.commit(n);
    if (response_done_) ReadNextRequest();
    return;
  }
  if (ec == asio::error::operation_aborted && response_done_) {
    ReadNextRequest();
    return;
  }
  CloseConnection();
}

void HttpSession::OnStreamDone() {
  streaming_ = false;
  response_done_ = true;
  FinishExchange();
  if (!keep_alive_ || ctx_->draining()) {
    if (monitor_pending_) {
      beast::error_code ignored;
      stream_->socket().shutdown(tcp::socket::shutdown_send, ignored);
      CloseConnection();
    } else {
      LingerClose();
    }
  } else if (monitor_pending_) {
    // OnMonitor continues with the next request.
    beast::error_code ignored;
    stream_->socket().cancel(ignored);
  } else {
    ReadNextRequest();
  }
}

// ---------------------------------------------------------------------------
// Bodies of known length pulled from a BodySource.

void HttpSession::DoSendBody(uint64_t ex, ServerResponse head, uint64_t length,
                             std::shared_ptr<BodySource> source) {
  if (!Current(ex)) return;
  exchange_open_ = false;
  const unsigned status = ValidStatus(head.status);
  stream_head_ = std::make_unique<StreamHead>();
  stream_head_->version(version_ == 10 ? 10 : 11);
  stream_head_->result(status);
  stream_head_->set(http::field::server, kServerName);
  if (!head.content_type.empty()) {
    AddHeaders({{"Content-Type", std::move(head.content_type)}},
               *stream_head_);
  }
  AddHeaders(head.headers, *stream_head_);
  if (ForbidsBody(status)) {
    length = 0;
  } else {
    stream_head_->content_length(length);
  }
  stream_head_->keep_alive(keep_alive_ && !ctx_->draining());
  keep_alive_ = stream_head_->keep_alive();
  body_left_ = head_request_ ? 0 : length;
  if (body_left_ > 0) body_source_ = std::move(source);
  WriteStreamHead([](HttpSession& self) { self.PullBody(); });
}

void HttpSession::WriteStreamHead(void (*then)(HttpSession&)) {
  stream_sr_ = std::make_unique<
      http::response_serializer<http::empty_body>>(*stream_head_);
  writing_ = true;
  stream_->expires_after(absl::ToChronoNanoseconds(ctx_->options().idle_timeout));
  http::async_write_header(
      *stream_, *stream_sr_,
      [self = shared_from_this(), then](beast::error_code ec, size_t) {
        self->writing_ = false;
        if (self->closed_) return;
        if (ec) {
          self->CloseConnection();
          return;
        }
        then(*self);
      });
}

void HttpSession::PullBody() {
  if (body_left_ == 0) {
    FinishBody();
    return;
  }
  // No socket operation is pending while the source works, so no timer
  // runs: the source must answer (our sources always do, with data or an
  // error).
  stream_->expires_never();
  const size_t want =
      static_cast<size_t>(std::min<uint64_t>(kBodyChunk, body_left_));
  body_source_->Next(
      want, [self = shared_from_this(),
             ex = exchange_](absl::StatusOr<std::string> chunk) mutable {
        // Always through the strand, also when the source answers inline.
        self->ctx_->Post(self->strand_, [self, ex,
                                         c = std::move(chunk)]() mutable {
          self->OnBodyChunk(ex, std::move(c));
        });
      });
}

void HttpSession::OnBodyChunk(uint64_t ex, absl::StatusOr<std::string> chunk) {
  if (closed_ || ex != exchange_ || body_source_ == nullptr) return;
  if (!chunk.ok() || chunk->empty() || chunk->size() > body_left_) {
    MG_LOG(Warning, "response body to ", remote_, " cut short: ",
           chunk.ok() ? "bad chunk size" : chunk.status().ToString());
    CloseConnection();
    return;
  }
  body_chunk_ = *std::move(chunk);
  writing_ = true;
  // Per chunk: a reader that keeps reading may be slow, one that stops is
  // closed after idle_timeout.
  stream_->expires_after(absl::ToChronoNanoseconds(ctx_->options().idle_timeout));
  asio::async_write(*stream_, asio::buffer(body_chunk_),
                    [self = shared_from_this()](beast::error_code ec,
                                                size_t n) {
                      self->writing_ = false;
                      if (self->closed_) return;
                      if (ec) {
                        self->CloseConnection();
                        return;
                      }
                      self->body_left_ -= n;
                      self->PullBody();
                    });
}

void HttpSession::FinishBody() {
  body_source_.reset();
  body_chunk_.clear();
  body_chunk_.shrink_to_fit();
  response_done_ = true;
  FinishExchange();
  if (!keep_alive_ || ctx_->draining()) {
    LingerClose();
  } else {
    ReadNextRequest();
  }
}

// ---------------------------------------------------------------------------
// Websocket hand-over and closing.

}  // namespace mediagw::net
