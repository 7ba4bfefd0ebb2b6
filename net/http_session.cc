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

void HttpSession::Drain() {
  asio::post(strand_, [self = shared_from_this()] {
    if (self->closed_) return;
    // A connection that has not sent a byte of its first request has
    // nothing in flight; one that has (a slow sender) is let finish.
    const bool nothing_yet = self->exchange_ == 0 &&
                             self->buffer_.size() == 0 && self->parser_ &&
                             !self->parser_->got_some();
    if (self->idle_ || nothing_yet) self->CloseConnection();
    // Otherwise the answer goes out with Connection: close (draining) and
    // the connection closes after it.
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

bool HttpSession::Write(uint64_t ex, std::string chunk,
                        std::function<void()> written) {
  return ctx_->Post(strand_, [self = shared_from_this(), ex,
                              c = std::move(chunk),
                              w = std::move(written)]() mutable {
    self->DoWrite(ex, std::move(c), std::move(w));
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
  if (exchange_ != 0 && ctx_->draining()) {
    // An answer sent keep-alive just before the drain began: no next
    // request is read.
    LingerClose();
    return;
  }
  parser_.emplace();
  parser_->body_limit(ctx_->options().max_body_bytes);
  parser_->header_limit(
      static_cast<std::uint32_t>(ctx_->options().max_header_bytes));
  response_done_ = false;
  streaming_ = false;
  head_written_ = false;
  end_queued_ = false;
  out_.clear();
  out_written_.clear();
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
      BuildResponse(std::move(response), keep_alive_ && !ctx_->draining()));
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
  // point into them. What was to run once a piece is written never will.
  out_written_.clear();
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
