#include "net/http_session.h"

#include <algorithm>
#include <chrono>
#include <optional>
#include <utility>
#include <vector>

#include <boost/asio/write.hpp>
#include <boost/beast/websocket/rfc6455.hpp>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "common/logging.h"
#include "net/http_wire.h"
#include "net/response_writer.h"
#include "net/url_decode.h"
#include "net/websocket_session.h"

namespace mediagw::net {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = boost::beast::http;
using tcp = boost::asio::ip::tcp;

namespace {

constexpr char kContinue[] = "HTTP/1.1 100 Continue\r\n\r\n";
constexpr size_t kReadChunk = 16 << 10;
// The largest chunk asked of a BodySource: one per connection is in memory.
constexpr size_t kBodyChunk = 64 << 10;
// After an error response the peer may still be sending (a rejected body);
// closing with unread data would reset the connection before the peer reads
// our answer, so we read and discard for a short while first.
constexpr auto kLingerTime = std::chrono::milliseconds(1000);
constexpr size_t kMaxDrainBytes = 4 << 20;

std::chrono::nanoseconds Chrono(absl::Duration d) {
  return absl::ToChronoNanoseconds(d);
}

std::string ToStd(beast::string_view s) { return std::string(s.data(), s.size()); }

bool IsHttpError(const beast::error_code& ec) {
  return &ec.category() ==
         &http::make_error_code(http::error::bad_method).category();
}

// The request as the handler sees it, without the body.
ServerRequest FromHeader(const http::request_header<>& req,
                         const std::string& remote) {
  ServerRequest request;
  request.method = ToStd(req.method_string());
  request.target = ToStd(req.target());
  const size_t q = request.target.find('?');
  absl::string_view raw_path = request.target;
  if (q != std::string::npos) {
    raw_path = raw_path.substr(0, q);
    request.query = request.target.substr(q + 1);
  }
  request.path = PercentDecode(raw_path, /*plus_as_space=*/false);
  for (const auto& field : req) {
    request.headers.emplace_back(
        absl::AsciiStrToLower(ToStd(field.name_string())),
        ToStd(field.value()));
  }
  request.remote = remote;
  return request;
}

}  // namespace

HttpSession::HttpSession(std::shared_ptr<ServerContext> ctx,
                         tcp::socket socket, ConnectionSlot slot)
    : ctx_(std::move(ctx)),
      strand_(socket.get_executor()),
      slot_(std::move(slot)),
      remote_(RemoteString(socket)) {
  stream_.emplace(std::move(socket));
}

HttpSession::~HttpSession() {
  if (registered_) ctx_->Unregister(id_);
}

void HttpSession::Start() {
  ctx_->Post(strand_, [self = shared_from_this()] { self->DoStart(); });
}

void HttpSession::Shutdown() {
  asio::post(strand_, [self = shared_from_this()] { self->CloseConnection(); });
}

void HttpSession::CloseIfIdle() {
  asio::post(strand_, [self = shared_from_this()] {
    if (self->idle_) self->CloseConnection();
  });
}

// ---------------------------------------------------------------------------
// Exchange operations (any thread).

bool HttpSession::Send(uint64_t ex, ServerResponse response) {
  return ctx_->Post(strand_, [self = shared_from_this(), ex,
                              r = std::move(response)]() mutable {
    self->DoSend(ex, std::move(r));
  });
}

bool HttpSession::SendBody(uint64_t ex, ServerResponse head, uint64_t length,
                           std::shared_ptr<BodySource> source) {
  return ctx_->Post(strand_, [self = shared_from_this(), ex,
                              h = std::move(head), length,
                              src = std::move(source)]() mutable {
    self->DoSendBody(ex, std::move(h), length, std::move(src));
  });
}

bool HttpSession::StartStream(uint64_t ex, int status, HttpHeaders headers) {
  return ctx_->Post(strand_, [self = shared_from_this(), ex, status,
                              h = std::move(headers)]() mutable {
    self->DoStartStream(ex, status, std::move(h));
  });
}

bool HttpSession::Write(uint64_t ex, std::string chunk) {
  return ctx_->Post(strand_, [self = shared_from_this(), ex,
                              c = std::move(chunk)]() mutable {
    self->DoWrite(ex, std::move(c));
  });
}

bool HttpSession::End(uint64_t ex) {
  return ctx_->Post(strand_,
                    [self = shared_from_this(), ex] { self->DoEnd(ex); });
}

bool HttpSession::Abort(uint64_t ex) {
  return ctx_->Post(strand_, [self = shared_from_this(), ex] {
    if (!self->closed_ && ex == self->exchange_) self->CloseConnection();
  });
}

bool HttpSession::AcceptWebSocket(uint64_t ex, WebSocketCallbacks callbacks) {
  return ctx_->Post(strand_, [self = shared_from_this(), ex,
                              cb = std::move(callbacks)]() mutable {
    self->DoAcceptWebSocket(ex, std::move(cb));
  });
}

// ---------------------------------------------------------------------------
// Reading a request.

void HttpSession::DoStart() {
  if (!ctx_->Register(weak_from_this(), &id_)) {
    CloseConnection();
    return;
  }
  registered_ = true;
  // The first request's header timeout and deadline run from the
  // connection, not from its first byte, so a silent connection cannot be
  // held open.
  request_deadline_ = std::chrono::steady_clock::now() +
                      Chrono(ctx_->options().request_timeout);
  ReadNextRequest();
}

void HttpSession::ReadNextRequest() {
  parser_.emplace();
  parser_->body_limit(ctx_->options().max_body_bytes);
  parser_->header_limit(
      static_cast<std::uint32_t>(ctx_->options().max_header_bytes));
  response_done_ = false;
  streaming_ = false;
  head_written_ = false;
  end_queued_ = false;
  out_.clear();
  out_bytes_ = 0;
  out_inflight_ = 0;
  stream_head_.reset();
  stream_sr_.reset();
  upgrade_request_.reset();
  body_source_.reset();
  body_left_ = 0;
  if (exchange_ == 0) {
    ReadHeader();
    return;
  }
  if (buffer_.size() > 0) {
    request_deadline_ = std::chrono::steady_clock::now() +
                        Chrono(ctx_->options().request_timeout);
    ReadHeader();
    return;
  }
  SetIdle(true);
  stream_->expires_after(Chrono(ctx_->options().idle_timeout));
  stream_->async_read_some(
      buffer_.prepare(kReadChunk),
      beast::bind_front_handler(&HttpSession::OnIdleRead, shared_from_this()));
}

void HttpSession::OnIdleRead(beast::error_code ec, size_t n) {
  if (closed_) return;
  if (ec) {
    CloseConnection();
    return;
  }
  SetIdle(false);
  request_deadline_ = std::chrono::steady_clock::now() +
                      Chrono(ctx_->options().request_timeout);
  buffer_.commit(n);
  ReadHeader();
}

void HttpSession::SetIdle(bool idle) {
  if (idle_ == idle) return;
  idle_ = idle;
  if (registered_) ctx_->SetIdle(id_, idle);
}

void HttpSession::ReadHeader() {
  stream_->expires_at(std::min(
      std::chrono::steady_clock::now() +
          Chrono(ctx_->options().header_timeout),
      request_deadline_));
  http::async_read_header(
      *stream_, buffer_, *parser_,
      [self = shared_from_this()](beast::error_code ec, size_t) {
        self->OnHeader(ec);
      });
}

void HttpSession::OnHeader(beast::error_code ec) {
  if (closed_) return;
  if (ec) {
    HandleReadError(ec);
    return;
  }
  const auto& req = parser_->get();
  if (const HeadCheck& check = ctx_->options().check_head) {
    std::optional<ServerResponse> refusal = check(FromHeader(req, remote_));
    if (refusal) {
      RefuseHead(*std::move(refusal));
      return;
    }
  }
  if (!parser_->is_done() &&
      beast::iequals(req[http::field::expect], "100-continue")) {
    stream_->expires_at(std::min(
        std::chrono::steady_clock::now() +
            Chrono(ctx_->options().idle_timeout),
        request_deadline_));
    asio::async_write(*stream_, asio::buffer(kContinue, sizeof(kContinue) - 1),
                      [self = shared_from_this()](beast::error_code ec, size_t) {
                        if (self->closed_) return;
                        if (ec) {
                          self->CloseConnection();
                          return;
                        }
                        self->ReadBody();
                      });
    return;
  }
  ReadBody();
}

void HttpSession::ReadBody() {
  if (parser_->is_done()) {
    Dispatch();
    return;
  }
  // One deadline for the whole request: a body trickled a byte at a time
  // cannot hold the connection longer than request_timeout. A body that
  // stops altogether is also cut after idle_timeout, if that comes first.
  stream_->expires_at(std::min(std::chrono::steady_clock::now() +
                                   Chrono(ctx_->options().idle_timeout),
                               request_deadline_));
  http::async_read_some(
      *stream_, buffer_, *parser_,
      [self = shared_from_this()](beast::error_code ec, size_t) {
        self->OnBody(ec);
      });
}

void HttpSession::OnBody(beast::error_code ec) {
  if (closed_) return;
  if (ec) {
    HandleReadError(ec);
    return;
  }
  ReadBody();
}

void HttpSession::HandleReadError(beast::error_code ec) {
  if (ec == http::error::body_limit) {
    SendError(413, "Request body too large");
  } else if (ec == http::error::header_limit ||
             ec == http::error::buffer_overflow) {
    SendError(431, "Request header fields too large");
  } else if (ec == http::error::end_of_stream ||
             ec == http::error::partial_message || !IsHttpError(ec)) {
    // Peer gone, timeout or socket error: nobody to answer.
    CloseConnection();
  } else {
    MG_LOG(Debug, "malformed request from ", remote_, ": ", ec.message());
    SendError(400, "Bad request");
  }
}

// The head check refused the request: answer and close without a 100
// Continue and without reading the body (LingerClose only discards what the
// peer already sent, so that it can read the answer).
void HttpSession::RefuseHead(ServerResponse response) {
  const auto& req = parser_->get();
  version_ = req.version();
  head_request_ = req.method() == http::verb::head;
  exchange_open_ = false;
  keep_alive_ = false;
  WriteResponse(BuildResponse(std::move(response), /*keep_alive=*/false));
}

void HttpSession::Dispatch() {
  Request req = parser_->release();
  ServerRequest request = FromHeader(req, remote_);
  keep_alive_ = req.keep_alive();
  version_ = req.version();
  head_request_ = req.method() == http::verb::head;
  const bool upgrade = beast::websocket::is_upgrade(req);
  request.body = std::move(req.body());
  if (upgrade) {
    req.body().clear();
    upgrade_request_ = std::move(req);
  }

  ++exchange_;
  exchange_open_ = true;
  close_notifier_ = std::make_shared<CloseNotifier>();
  auto writer = std::make_shared<ResponseWriterImpl>(
      shared_from_this(), exchange_, upgrade, close_notifier_);
  ctx_->handler()(std::move(request), std::move(writer));
}

bool HttpSession::Current(uint64_t ex) const {
  return !closed_ && exchange_open_ && ex == exchange_;
}

// ---------------------------------------------------------------------------
// Whole responses.

std::shared_ptr<HttpSession::Response> HttpSession::BuildResponse(
    ServerResponse response, bool keep_alive) const {
  auto res = std::make_shared<Response>();
  res->version(version_ == 10 ? 10 : 11);
  res->result(ValidStatus(response.status));
  res->set(http::field::server, kServerName);
  if (!response.content_type.empty()) {
    AddHeaders({{"Content-Type", std::move(response.content_type)}}, *res);
  }
  AddHeaders(response.headers, *res);
  res->keep_alive(keep_alive);
  res->body() = std::move(response.body);
  if (ForbidsBody(res->result_int())) res->body().clear();
  res->prepare_payload();
  if (head_request_) res->body().clear();  // Content-Length stays
  return res;
}

void HttpSession::DoSend(uint64_t ex, ServerResponse response) {
  if (!Current(ex)) return;
  exchange_open_ = false;
  WriteResponse(
      BuildResponse(std::move(response), keep_alive_ && !ctx_->stopping()));
}

void HttpSession::SendError(int status, absl::string_view message) {
  exchange_open_ = false;
  keep_alive_ = false;
  auto res = std::make_shared<Response>();
  res->version(11);
  res->result(static_cast<unsigned>(status));
  res->set(http::field::server, kServerName);
  res->set(http::field::content_type, "application/json");
  res->keep_alive(false);
  res->body() = ErrorBody(message);
  res->prepare_payload();
  WriteResponse(std::move(res));
}

void HttpSession::WriteResponse(std::shared_ptr<Response> res) {
  writing_ = true;
  const bool keep_alive = res->keep_alive();
  stream_->expires_after(Chrono(ctx_->options().idle_timeout));
  Response& msg = *res;
  http::async_write(*stream_, msg,
                    [self = shared_from_this(), res = std::move(res),
                     keep_alive](beast::error_code ec, size_t) {
                      self->OnResponseWritten(ec, keep_alive);
                    });
}

void HttpSession::OnResponseWritten(beast::error_code ec, bool keep_alive) {
  writing_ = false;
  if (closed_) return;
  FinishExchange();
  if (ec) {
    CloseConnection();
  } else if (!keep_alive) {
    LingerClose();
  } else {
    ReadNextRequest();
  }
}

// ---------------------------------------------------------------------------
// Streaming responses.

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
  stream_head_->keep_alive(keep_alive_ && !ctx_->stopping());
  keep_alive_ = stream_head_->keep_alive();
  WriteStreamHead([](HttpSession& self) {
    self.head_written_ = true;
    self.StartMonitor();
    self.Pump();
  });
}

void HttpSession::DoWrite(uint64_t ex, std::string chunk) {
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
  out_bytes_ += out_.back().size();
  Pump();
}

void HttpSession::DoEnd(uint64_t ex) {
  if (closed_ || ex != exchange_ || !streaming_ || end_queued_) return;
  end_queued_ = true;
  if (chunked_) out_.push_back("0\r\n\r\n");
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
  stream_->expires_after(Chrono(ctx_->options().idle_timeout));
  asio::async_write(*stream_, buffers,
                    [self = shared_from_this()](beast::error_code ec, size_t) {
                      self->writing_ = false;
                      if (self->closed_) return;
                      if (ec) {
                        self->CloseConnection();
                        return;
                      }
                      for (; self->out_inflight_ > 0; --self->out_inflight_) {
                        self->out_bytes_ -= self->out_.front().size();
                        self->out_.pop_front();
                      }
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
  if (!keep_alive_ || ctx_->stopping()) {
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
  stream_head_->keep_alive(keep_alive_ && !ctx_->stopping());
  keep_alive_ = stream_head_->keep_alive();
  body_left_ = head_request_ ? 0 : length;
  if (body_left_ > 0) body_source_ = std::move(source);
  WriteStreamHead([](HttpSession& self) { self.PullBody(); });
}

void HttpSession::WriteStreamHead(void (*then)(HttpSession&)) {
  stream_sr_ = std::make_unique<
      http::response_serializer<http::empty_body>>(*stream_head_);
  writing_ = true;
  stream_->expires_after(Chrono(ctx_->options().idle_timeout));
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
  stream_->expires_after(Chrono(ctx_->options().idle_timeout));
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
  if (!keep_alive_ || ctx_->stopping()) {
    LingerClose();
  } else {
    ReadNextRequest();
  }
}

// ---------------------------------------------------------------------------
// Websocket hand-over and closing.

void HttpSession::DoAcceptWebSocket(uint64_t ex, WebSocketCallbacks callbacks) {
  if (!Current(ex) || !upgrade_request_) return;
  exchange_open_ = false;
  auto ws = std::make_shared<WebSocketSessionImpl>(
      ctx_, std::move(*stream_), std::move(callbacks),
      std::move(close_notifier_), std::move(slot_));
  stream_.reset();
  closed_ = true;
  Request req = std::move(*upgrade_request_);
  upgrade_request_.reset();
  // Registered before we leave, so Stop() never misses the connection.
  ws->Start(std::move(req));
  if (registered_) {
    ctx_->Unregister(id_);
    registered_ = false;
  }
}

void HttpSession::FinishExchange() {
  auto notifier = std::move(close_notifier_);
  close_notifier_.reset();
  if (notifier) notifier->Fire();
}

void HttpSession::LingerClose() {
  if (closed_) return;
  beast::error_code ec;
  stream_->socket().shutdown(tcp::socket::shutdown_send, ec);
  if (ec) {
    CloseConnection();
    return;
  }
  drained_ = 0;
  stream_->expires_after(kLingerTime);
  Linger();
}

void HttpSession::Linger() {
  stream_->async_read_some(
      asio::buffer(drain_buf_),
      [self = shared_from_this()](beast::error_code ec, size_t n) {
        if (self->closed_) return;
        self->drained_ += n;
        if (ec || self->drained_ > kMaxDrainBytes) {
          self->CloseConnection();
          return;
        }
        self->Linger();
      });
}

void HttpSession::CloseConnection() {
  if (closed_) return;
  closed_ = true;
  streaming_ = false;
  // out_ and body_chunk_ are left alone: a write being aborted may still
  // point into them.
  if (stream_) stream_->close();
  slot_.Release();
  body_source_.reset();
  idle_ = false;
  if (registered_) {
    ctx_->Unregister(id_);
    registered_ = false;
  }
  FinishExchange();
}

}  // namespace mediagw::net
