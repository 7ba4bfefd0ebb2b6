// Internal to net/: one HTTP/1.1 connection. Reads a request, hands it to the
// handler with a ResponseWriter, writes the answer, and only then reads the
// next request (keep-alive without pipelining).
//
// Threading: every Do*/On* member runs on the connection's strand. The
// public exchange methods (Send, StartStream, ...) are thread-safe: they post
// onto the strand and return false when the server is stopping. Each carries
// the exchange number given to the writer, so a call for a finished exchange
// is ignored.
//
// Timeouts: header_timeout from the connection (or, between keep-alive
// requests, from the first byte) to the end of the headers; request_timeout
// from the same moment to the end of the body (one deadline, however slowly
// the bytes trickle); idle_timeout while waiting for the next request, as
// the inactivity limit of body reads and as the limit for each write.
//
// A connection waiting for its next keep-alive request is marked idle in the
// context, which may close it (CloseIfIdle) to make room near the cap. While
// the server drains, idle connections close, and a request in flight is
// answered with Connection: close.
//
// Lifetime: pending asynchronous operations and the current ResponseWriter
// hold the session by shared_ptr. The ServerContext lists it weakly so that
// Stop() can close it.
#ifndef MEDIAGW_NET_HTTP_SESSION_H_
#define MEDIAGW_NET_HTTP_SESSION_H_

#include <chrono>
#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <string>

#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include "net/http_server.h"
#include "net/server_context.h"

namespace mediagw::net {

class HttpSession : public Connection,
                    public std::enable_shared_from_this<HttpSession> {
 public:
  HttpSession(std::shared_ptr<ServerContext> ctx,
              boost::asio::ip::tcp::socket socket, ConnectionSlot slot);
  ~HttpSession() override;

  // Registers with the context and starts reading. Call once, from any
  // thread, right after construction.
  void Start();
  void Shutdown() override;
  void CloseIfIdle() override;
  void Drain() override;

  // Exchange operations, used by the ResponseWriter of exchange `ex`.
  bool Send(uint64_t ex, ServerResponse response);
  bool SendBody(uint64_t ex, ServerResponse head, uint64_t length,
                std::shared_ptr<BodySource> source);
  bool StartStream(uint64_t ex, int status, HttpHeaders headers);
  // `written` (optional) runs on the strand once the chunk is on the socket.
  bool Write(uint64_t ex, std::string chunk,
             std::function<void()> written = nullptr);
  bool End(uint64_t ex);
  bool Abort(uint64_t ex);
  bool AcceptWebSocket(uint64_t ex, WebSocketCallbacks callbacks);

 private:
  using Request = boost::beast::http::request<boost::beast::http::string_body>;
  using Response =
      boost::beast::http::response<boost::beast::http::string_body>;
  using StreamHead =
      boost::beast::http::response<boost::beast::http::empty_body>;

  void DoStart();
  void ReadNextRequest();
  void OnIdleRead(boost::beast::error_code ec, size_t n);
  void ReadHeader();
  void OnHeader(boost::beast::error_code ec);
  void ReadBody();
  void OnBody(boost::beast::error_code ec);
  void HandleReadError(boost::beast::error_code ec);
  void RefuseHead(ServerResponse response);
  void Dispatch();
  void SetIdle(bool idle);

  std::shared_ptr<Response> BuildResponse(ServerResponse response,
                                          bool keep_alive) const;
  void DoSend(uint64_t ex, ServerResponse response);
  void SendError(int status, absl::string_view message);
  void WriteResponse(std::shared_ptr<Response> res);
  void OnResponseWritten(boost::beast::error_code ec, bool keep_alive);

  void DoStartStream(uint64_t ex, int status, HttpHeaders headers);
  void DoWrite(uint64_t ex, std::string chunk, std::function<void()> written);
  void DoEnd(uint64_t ex);
  void Pump();
  void StartMonitor();
  void OnMonitor(boost::beast::error_code ec, size_t n);
  void OnStreamDone();

  void DoSendBody(uint64_t ex, ServerResponse head, uint64_t length,
                  std::shared_ptr<BodySource> source);
  void PullBody();
  // Writes *stream_head_ (the head of a streamed or pulled body), then
  // runs `then`; closes the connection on a write error.
  void WriteStreamHead(void (*then)(HttpSession&));
  void OnBodyChunk(uint64_t ex, absl::StatusOr<std::string> chunk);
  void FinishBody();

  void DoAcceptWebSocket(uint64_t ex, WebSocketCallbacks callbacks);
  void FinishExchange();
  void LingerClose();
  void Linger();
  void CloseConnection();
  bool Current(uint64_t ex) const;

  const std::shared_ptr<ServerContext> ctx_;
  // The strand of this connection; immutable, so readable from any thread.
  const boost::asio::any_io_executor strand_;

  // Everything below is confined to the strand.
  ConnectionSlot slot_;  // after ctx_: released before the context goes
  std::optional<boost::beast::tcp_stream> stream_;
  boost::beast::flat_buffer buffer_;
  std::optional<boost::beast::http::request_parser<
      boost::beast::http::string_body>>
      parser_;
  std::string remote_;
  uint64_t id_ = 0;
  bool registered_ = false;
  bool closed_ = false;
  bool idle_ = false;  // waiting for the next keep-alive request
  std::chrono::steady_clock::time_point request_deadline_;

  uint64_t exchange_ = 0;
  bool exchange_open_ = false;  // handler owns the exchange, not answered
  bool keep_alive_ = false;
  unsigned version_ = 11;
  bool head_request_ = false;
  std::optional<Request> upgrade_request_;
  std::shared_ptr<CloseNotifier> close_notifier_;

  // Streaming state.
  bool streaming_ = false;
  bool chunked_ = true;
  bool writing_ = false;
  bool end_queued_ = false;
  bool response_done_ = false;
  bool monitor_pending_ = false;
  bool head_written_ = false;
  std::deque<std::string> out_;
  // Parallel to out_: what runs once each piece is written (may be empty).
  std::deque<std::function<void()>> out_written_;
  size_t out_bytes_ = 0;     // queued in out_, including in flight
  size_t out_inflight_ = 0;  // leading entries of out_ being written
  std::unique_ptr<StreamHead> stream_head_;
  std::unique_ptr<boost::beast::http::response_serializer<
      boost::beast::http::empty_body>>
      stream_sr_;

  // SendBody state: the source, the bytes still to send, the chunk being
  // written.
  std::shared_ptr<BodySource> body_source_;
  uint64_t body_left_ = 0;
  std::string body_chunk_;

  size_t drained_ = 0;
  char drain_buf_[4096];
};

}  // namespace mediagw::net

#endif  // MEDIAGW_NET_HTTP_SESSION_H_
