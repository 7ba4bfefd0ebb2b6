// Asynchronous HTTP/1.1 server on Boost.Beast, shared by the REST gateway and
// the provider simulator. Keep-alive, a request body limit, a header read
// timeout, one deadline for the whole request and an idle timeout; a cap on
// open connections; a hook that can refuse a request from its headers before
// any body byte is read; websocket upgrade, chunked streaming (SSE) and
// bodies of known length pulled from a source chunk by chunk.
//
// Hostile clients: a connection beyond max_connections is accepted and at
// once answered with a bare 503 (Connection: close) and closed, without
// reading from it; connections already open are unaffected. From 90% of the
// cap on, each new connection first closes the connections that have been
// idle between keep-alive requests longest. A request (headers and body
// together) must arrive within request_timeout, however slowly it trickles.
//
// Threading: the server runs its own io_context on `threads` threads. The
// handler is called on one of them and must not block; it answers through
// the ResponseWriter, at once or later from any thread. ResponseWriter and
// WebSocketSession methods are thread-safe.
#ifndef MEDIAGW_NET_HTTP_SERVER_H_
#define MEDIAGW_NET_HTTP_SERVER_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>
#include "absl/strings/string_view.h"

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "core/http_client.h"  // HttpHeaders

namespace mediagw::net {

struct ServerRequest {
  std::string method;  // "GET", "POST", ...
  std::string target;  // raw request target, e.g. "/v1/index.php?endpoint=x"
  std::string path;    // target before '?', percent-decoded
  std::string query;   // raw text after '?', may be empty
  HttpHeaders headers;  // names lower-cased, in arrival order
  std::string body;
  std::string remote;  // peer "ip:port"

  // First header with this (case-insensitive) name, or "".
  absl::string_view Header(absl::string_view name) const;
  // Percent-decoded ('+' as space) value of the first query parameter
  // `name`, or nullopt when absent.
  std::optional<std::string> QueryParam(absl::string_view name) const;
  // Every query parameter, percent-decoded, in order.
  std::vector<std::pair<std::string, std::string>> QueryParams() const;
};

struct ServerResponse {
  int status = 200;
  std::string content_type = "application/json";
  HttpHeaders headers;  // extra headers
  std::string body;
};

class WebSocketSession {
 public:
  virtual ~WebSocketSession() = default;
  // Queue a frame; frames go out in call order. No-op after close.
  virtual void SendText(std::string text) = 0;
  virtual void SendBinary(std::string bytes) = 0;
  virtual void Close() = 0;
  virtual bool IsOpen() const = 0;
};

struct WebSocketCallbacks {
  // Each runs on a server thread; must not block.
  std::function<void(std::shared_ptr<WebSocketSession>)> on_open;
  std::function<void(std::shared_ptr<WebSocketSession>, std::string)> on_text;
  std::function<void(std::shared_ptr<WebSocketSession>)> on_close;
};

// A response body of known length produced chunk by chunk, for
// ResponseWriter::SendBody.
class BodySource {
 public:
  virtual ~BodySource() = default;
  // Produces the next at most `max` (> 0) bytes and hands them to `done`
  // exactly once, on any thread, possibly inline: a non-empty chunk, or an
  // error, which closes the connection (the announced length can no longer
  // be honoured). Next is called again only after the previous chunk was
  // written to the socket, so at most one chunk per connection is in memory;
  // it is not called after the whole length was produced, after an error or
  // once the connection is closed. Must not block the calling (server)
  // thread: a source that does I/O hands the read to its own executor.
  virtual void Next(size_t max,
                    std::function<void(absl::StatusOr<std::string>)> done) = 0;
};

class ResponseWriter {
 public:
  virtual ~ResponseWriter() = default;
  // Answer with exactly one of: Send; SendBody; StartStream then Write* then
  // End; AcceptWebSocket. A writer dropped without answering sends a 500.
  virtual void Send(ServerResponse response) = 0;

  // A response of `length` body bytes pulled from `source` (see BodySource)
  // in chunks of at most 64 KiB; `head.body` is ignored. The answer to a HEAD
  // request (and a status that forbids a body) gets the headers only, with
  // Content-Length: `length`, and `source` is never called. Each chunk write
  // has idle_timeout to complete: a reader that stops reading is closed, a
  // slow reader that keeps reading may take as long as it needs.
  virtual void SendBody(ServerResponse head, uint64_t length,
                        std::shared_ptr<BodySource> source) = 0;

  // Chunked response (e.g. text/event-stream). `headers` must include the
  // content type. Write after the peer has gone is a no-op.
  virtual void StartStream(int status, HttpHeaders headers) = 0;
  virtual void Write(std::string chunk) = 0;
  // As Write, then `written` runs once the chunk has been written to the
  // socket (on a server thread; short, must not block), which lets a
  // producer hold back what a slow reader has not taken yet instead of
  // queueing it. It never runs if the connection closes first (OnClose
  // runs then), nor for a call that is ignored.
  virtual void WriteThen(std::string chunk, std::function<void()> written) = 0;
  virtual void End() = 0;
  // Runs once when the connection closes (peer gone or End). Any thread.
  virtual void OnClose(std::function<void()> fn) = 0;

  // Closes the connection at once without (more of) a response; for fault
  // injection in the simulator.
  virtual void Abort() = 0;

  // Upgrades a websocket handshake request. Returns FAILED_PRECONDITION if
  // the request is not a websocket upgrade.
  virtual absl::Status AcceptWebSocket(WebSocketCallbacks callbacks) = 0;
};

using HttpHandler =
    std::function<void(ServerRequest request, std::shared_ptr<ResponseWriter>)>;

// Runs on a server thread once a request's headers are in, before any body
// byte is read or a 100 Continue is sent; `head.body` is empty. A response
// refuses the request: it is sent with Connection: close, the body is never
// read into memory and the handler is not called. nullopt lets the request
// through. Must not block.
using HeadCheck =
    std::function<std::optional<ServerResponse>(const ServerRequest& head)>;

struct HttpServerOptions {
  std::string host = "127.0.0.1";
  int port = 0;  // 0: the kernel picks; see HttpServer::port()
  size_t max_body_bytes = 8 << 20;        // larger bodies get 413
  size_t max_header_bytes = 16 << 10;     // larger headers get 431
  absl::Duration header_timeout = absl::Seconds(10);  // first byte to end of headers
  // From the connection (first request) or the request's first byte
  // (keep-alive) to the end of its body; the connection is closed unanswered
  // when it passes.
  absl::Duration request_timeout = absl::Seconds(30);
  absl::Duration idle_timeout = absl::Seconds(60);    // between keep-alive requests
  // Open connections (HTTP and websocket) at most; 0 = no cap.
  size_t max_connections = 10000;
  HeadCheck check_head;  // optional
  int threads = 1;
};

class HttpServer {
 public:
  HttpServer(HttpServerOptions options, HttpHandler handler);
  ~HttpServer();  // Stop()s
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // Binds and starts serving. UNAVAILABLE if the address cannot be bound.
  absl::Status Start();
  int port() const;
  // Connections open now (accepted and not yet closed). Thread-safe.
  size_t open_connections() const;
  // Closes the listener and every connection, joins the threads. Idempotent.
  void Stop();
  // Graceful Stop: closes the listener at once (a connection accepted
  // meanwhile is closed unanswered) and every connection with nothing in
  // flight; a request in flight (still being sent, handled, or answered,
  // including a pulled body to a slow reader) is let finish and answered
  // with Connection: close. Returns once no connection is left or `grace`
  // has passed, then Stop()s, which cuts whatever is left. Blocks the
  // caller; must not run on a server thread. No-op if not started.
  void Drain(absl::Duration grace);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace mediagw::net

#endif  // MEDIAGW_NET_HTTP_SERVER_H_
